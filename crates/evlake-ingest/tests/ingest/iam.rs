//! The IAM, people and training sources over the real fixtures (`../shared/fixtures/
//! cloudtrail`, `okta`, `gcp-audit`) and hand-written files in the tools' own formats
//! (`tests/data/iam`): rows, identities and the changes each record made; CloudTrail's S3
//! layout read once with its digests skipped; the Okta System Log paged by `after` through a
//! rate limit.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use evlake_core::FixedClock;
use evlake_ingest::IngestRun;
use evlake_store::Lake;
use serde_json::{Map, Value, json};

use super::{data, fixtures, replay, rows};

/// A column's value, `null` when the row leaves it out (as the JSON writer does for nulls).
fn get(row: &Map<String, Value>, key: &str) -> Value {
    row.get(key).cloned().unwrap_or(Value::Null)
}

fn changes_of(rows: &[Map<String, Value>]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            let s = |k: &str| get(r, k).as_str().unwrap_or("-").to_string();
            format!(
                "{} {} {}:{} {}:{} @{} privileged={} {}",
                s("action"),
                s("effect"),
                s("principal_kind"),
                s("principal"),
                s("permission_kind"),
                s("permission"),
                s("scope"),
                get(r, "privileged"),
                s("principal_email"),
            )
        })
        .collect()
}

const CHANGES: &str = "SELECT action, effect, principal_kind, principal, permission_kind, permission, \
    scope, privileged, principal_email FROM iam_events WHERE effect IS NOT NULL \
    ORDER BY event_time, source_id";

#[tokio::test]
async fn every_cloudtrail_fixture_ingests_with_its_identities_and_changes() {
    let lake = Lake::open("memory://").unwrap();
    let run = IngestRun::new(lake.clone(), "cloudtrail", "trail", &Map::new()).unwrap();
    let summary = run.ingest_paths(&[fixtures("cloudtrail")]).await.unwrap();
    // trailscraper: 2 records; the gzip file: 1; Panther's scenario: 12 records that all use
    // the placeholder eventID "1" — the first is kept, the 11 others are a data-quality
    // error, quarantined with their bytes rather than dropped as duplicates.
    assert_eq!(
        (summary.files, summary.records, summary.quarantined),
        (3, 4, 11)
    );
    let bad = rows(&lake, "SELECT reason FROM _quarantine").await;
    assert!(
        bad.iter().all(|r| get(r, "reason")
            .as_str()
            .unwrap()
            .contains("the record id '1' is used by an earlier record with other content")),
        "{bad:?}"
    );
    let all = rows(
        &lake,
        "SELECT account, region, actor, actor_email, action, outcome FROM iam_events ORDER BY event_time",
    )
    .await;
    let actions: Vec<&str> = all.iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "DescribeLaunchConfigurations",
            "AssumeRole",
            "ConsoleLogin",
            "AttachRolePolicy"
        ]
    );
    assert_eq!(get(&all[3], "account"), "112233445566");
    assert_eq!(
        get(&all[3], "actor"),
        "arn:aws:sts::112233445566:assumed-role/Admin/Admin-user"
    );
    assert_eq!(
        get(&all[3], "actor_email"),
        Value::Null,
        "a session name that is no e-mail"
    );
    let changes = changes_of(&rows(&lake, CHANGES).await);
    assert_eq!(
        changes,
        [
            "AssumeRole use user:autoscalingdescribehandlersession role:arn:aws:iam::111111111111:role/someRole @111111111111 privileged=false -",
            "AttachRolePolicy grant role:amazonsagemakerservicecatalogproductsexecutionrole policy:arn:aws:iam::aws:policy/AmazonSageMakerFullAccess @112233445566 privileged=false -",
        ]
    );
}

#[tokio::test]
async fn cloudtrail_iam_changes_say_who_gained_or_lost_what_and_failed_calls_nothing() {
    let lake = Lake::open("memory://").unwrap();
    let run = IngestRun::new(lake.clone(), "cloudtrail", "trail", &Map::new()).unwrap();
    let summary = run
        .ingest_paths(&[data("iam/iam-changes.json")])
        .await
        .unwrap();
    assert_eq!((summary.records, summary.quarantined), (6, 0));
    assert_eq!(
        changes_of(&rows(&lake, CHANGES).await),
        [
            "AddUserToGroup grant user:alice group:platform-admins @111122223333 privileged=false -",
            // An inline policy opening an escalation path is privileged whatever its name.
            "PutUserPolicy grant user:alice inline_policy:helper @111122223333 privileged=true -",
            "DetachGroupPolicy revoke group:platform-admins policy:arn:aws:iam::aws:policy/AdministratorAccess @111122223333 privileged=true -",
            "CreateAccountAssignment grant user:94482488-3041-7026-18f3-7ef9a1b2c3d4 permission_set:arn:aws:sso:::permissionSet/ssoins-7223a1b2c3d4e5f6/ps-5f6a7b8c9d0e1f2a @111122223333 privileged=false -",
            "AssumeRoleWithSAML use user:jdoe role:arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnly_1a2b @111122223333 privileged=false -",
        ]
    );
    let escalation = rows(
        &lake,
        "SELECT escalation FROM iam_events WHERE action = 'PutUserPolicy'",
    )
    .await;
    assert_eq!(
        get(&escalation[0], "escalation"),
        json!(["PassExistingRoleToNewLambdaThenInvoke"])
    );
    let failed = rows(
        &lake,
        "SELECT outcome, effect, actor_email FROM iam_events WHERE action = 'DeleteUser'",
    )
    .await;
    assert_eq!(
        ["outcome", "effect", "actor_email"].map(|k| get(&failed[0], k)),
        [
            json!("DeleteConflictException"),
            Value::Null,
            json!("ops@acme.example")
        ]
    );
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn put(root: &Path, key: &str, bytes: &[u8]) {
    let path = root.join(key);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn trail_record(id: &str, at: &str) -> Value {
    json!({"eventVersion": "1.09", "eventID": id, "eventTime": at, "eventSource": "iam.amazonaws.com",
        "eventName": "AttachUserPolicy", "awsRegion": "us-east-1", "recipientAccountId": "111122223333",
        "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0a1b/ops@acme.example", "accountId": "111122223333"},
        "requestParameters": {"userName": "bob", "policyArn": "arn:aws:iam::aws:policy/IAMFullAccess"},
        "responseElements": null, "eventType": "AwsApiCall"})
}

#[tokio::test]
async fn cloudtrail_objects_in_the_s3_layout_are_read_once_and_digests_skipped() {
    let bucket = tempfile::tempdir().unwrap();
    let day =
        |d: u32| format!("AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/us-east-1/2026/11/{d:02}");
    let log = |d: u32, name: &str, records: Vec<Value>| {
        put(
            bucket.path(),
            &format!(
                "{}/111122223333_CloudTrail_us-east-1_202611{d:02}T{name}.json.gz",
                day(d)
            ),
            &gzip(&serde_json::to_vec(&json!({ "Records": records })).unwrap()),
        );
    };
    log(
        1,
        "0005Z_a1",
        vec![
            trail_record("e-1", "2026-11-01T00:01:00Z"),
            trail_record("e-2", "2026-11-01T00:02:00Z"),
        ],
    );
    // CloudTrail re-delivers: the same event in a second file is one row.
    log(
        1,
        "0010Z_a2",
        vec![trail_record("e-2", "2026-11-01T00:02:00Z")],
    );
    put(
        bucket.path(),
        "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail-Digest/us-east-1/2026/11/01/111122223333_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20261101T010000Z.json.gz",
        &gzip(br#"{"awsAccountId":"111122223333","digestStartTime":"2026-11-01T00:00:00Z","logFiles":[]}"#),
    );
    let url = PathBuf::from(format!(
        "file://{}",
        bucket.path().join("AWSLogs").display()
    ));
    let lake = Lake::open("memory://").unwrap();
    let run = || IngestRun::new(lake.clone(), "cloudtrail", "org-trail", &Map::new()).unwrap();
    let first = run()
        .ingest_paths(std::slice::from_ref(&url))
        .await
        .unwrap();
    assert_eq!(
        (first.files, first.records, first.skipped, first.quarantined),
        (3, 3, 1, 0),
        "{first:?}"
    );
    assert_eq!(first.tables["iam_events"].added, 2);
    assert_eq!(first.tables["iam_events"].duplicates, 1);
    log(
        2,
        "0005Z_b1",
        vec![trail_record("e-3", "2026-11-02T00:01:00Z")],
    );
    let second = run()
        .ingest_paths(std::slice::from_ref(&url))
        .await
        .unwrap();
    assert_eq!(
        (second.files, second.unchanged_files, second.records),
        (1, 3, 1)
    );
    let n = rows(
        &lake,
        "SELECT count(*) AS n, count(DISTINCT event_date) AS days FROM iam_events",
    )
    .await;
    assert_eq!(
        (get(&n[0], "n").clone(), get(&n[0], "days").clone()),
        (json!(3), json!(2))
    );
}

#[tokio::test]
async fn every_okta_fixture_ingests_and_a_reused_uuid_is_a_data_quality_error() {
    let lake = Lake::open("memory://").unwrap();
    let run = IngestRun::new(lake.clone(), "okta", "okta", &Map::new()).unwrap();
    let summary = run.ingest_paths(&[fixtures("okta")]).await.unwrap();
    // The login scenario reuses one uuid for five different events: one kept, four
    // quarantined.
    assert_eq!(
        (summary.files, summary.records, summary.quarantined),
        (3, 4, 4)
    );
    assert_eq!(
        changes_of(&rows(&lake, CHANGES).await),
        [
            "user.account.privilege.grant grant user:thomas12223391@gmail.com admin_role:Organization administrator @okta privileged=true thomas12223391@gmail.com",
            "user.account.privilege.grant grant user:thomas12223391@gmail.com admin_role:Application administrator (all) @okta privileged=false thomas12223391@gmail.com",
            "user.lifecycle.create grant user:thomas12223391@gmail.com account:okta @okta privileged=false thomas12223391@gmail.com",
        ]
    );
    let actors = rows(
        &lake,
        "SELECT DISTINCT actor_email FROM iam_events ORDER BY actor_email",
    )
    .await;
    assert_eq!(
        get(&actors[0], "actor_email"),
        "jack.naglieri@runpanther.io"
    );
}

fn okta_event(uuid: &str, at: &str, event_type: &str, group: &str) -> Value {
    json!({"uuid": uuid, "published": at, "eventType": event_type, "version": "0", "severity": "INFO",
        "actor": {"id": "00u1", "type": "User", "alternateId": "admin@acme.example", "displayName": "Admin"},
        "outcome": {"result": "SUCCESS"}, "client": {"ipAddress": "203.0.113.5"},
        "target": [{"id": "00u2", "type": "User", "alternateId": "dana@acme.example", "displayName": "Dana"},
                   {"id": "00g1", "type": "UserGroup", "alternateId": "unknown", "displayName": group}]})
}

fn page(events: Vec<Value>, next: &str) -> replay::Recorded {
    replay::Recorded {
        status: 200,
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            (
                "Link".into(),
                "<{base}/api/v1/logs?since=x>; rel=\"self\"".into(),
            ),
            (
                "Link".into(),
                format!("<{{base}}/api/v1/logs?after={next}&limit=1000>; rel=\"next\""),
            ),
        ],
        body: serde_json::to_vec(&events).unwrap(),
    }
}

#[tokio::test]
async fn the_okta_system_log_is_paged_by_after_through_a_rate_limit_and_resumed() {
    let mut routes = replay::Routes::default();
    let reset = Utc::now().timestamp() + 1;
    routes.add(
        "/api/v1/logs",
        "1",
        replay::Recorded {
            status: 429,
            headers: vec![
                ("X-Rate-Limit-Limit".into(), "60".into()),
                ("X-Rate-Limit-Remaining".into(), "0".into()),
                ("X-Rate-Limit-Reset".into(), reset.to_string()),
            ],
            body: br#"{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests."}"#.to_vec(),
        },
    );
    routes.add(
        "/api/v1/logs",
        "1",
        page(
            vec![
                okta_event(
                    "u-1",
                    "2026-11-01T08:00:00.000Z",
                    "group.user_membership.add",
                    "AWS Admins",
                ),
                okta_event(
                    "u-2",
                    "2026-11-01T09:00:00.000Z",
                    "user.session.start",
                    "AWS Admins",
                ),
            ],
            "c1",
        ),
    );
    routes.add(
        "/api/v1/logs",
        "c1",
        page(
            vec![okta_event(
                "u-3",
                "2026-11-02T08:00:00.000Z",
                "group.user_membership.remove",
                "AWS Admins",
            )],
            "c2",
        ),
    );
    routes.add("/api/v1/logs", "c2", page(vec![], "c2"));
    let server = replay::ReplayServer::start(routes).await;
    let settings: Map<String, Value> = serde_json::from_value(json!({
        "api": {"url": server.base, "since": "2026-10-01T00:00:00Z", "token_env": "EVLAKE_TEST_OKTA_TOKEN"}
    }))
    .unwrap();
    let started: DateTime<Utc> = "2026-11-03T00:00:00Z".parse().unwrap();
    let lake = Lake::open("memory://")
        .unwrap()
        .with_clock(Arc::new(FixedClock::new(started)));
    let run = || IngestRun::new(lake.clone(), "okta", "okta", &settings).unwrap();
    let first = run().pull().await.unwrap();
    let log = server.log.lock().unwrap().clone();
    assert_eq!(first.pages, 3, "{log:?}");
    assert_eq!(
        log.len(),
        4,
        "the rate-limited request is made again: {log:?}"
    );
    assert!(
        log[0].contains("since=2026-10-01T00:00:00Z") && log[0].contains("sortOrder=ASCENDING"),
        "{log:?}"
    );
    assert!(
        log[2].contains("after=c1") && log[3].contains("after=c2"),
        "{log:?}"
    );
    assert_eq!((first.records, first.quarantined), (3, 0));
    assert_eq!(
        changes_of(&rows(&lake, CHANGES).await),
        [
            "group.user_membership.add grant user:dana@acme.example group:AWS Admins @127.0.0.1 privileged=false dana@acme.example",
            "group.user_membership.remove revoke user:dana@acme.example group:AWS Admins @127.0.0.1 privileged=false dana@acme.example",
        ]
        .map(|s| s.replace("127.0.0.1", server.base.trim_start_matches("http://")))
    );
    // The next pull asks from a day before the last one began; what it reads again is known.
    let second = run().pull().await.unwrap();
    let log = server.log.lock().unwrap().clone();
    assert!(log[4].contains("since=2026-11-02T00:00:00Z"), "{log:?}");
    assert_eq!(second.tables["iam_events"].added, 0);
}

#[tokio::test]
async fn gcp_audit_entries_ingest_and_binding_deltas_say_who_gained_which_role() {
    let lake = Lake::open("memory://").unwrap();
    let run = IngestRun::new(lake.clone(), "gcp-audit", "gcp", &Map::new()).unwrap();
    let summary = run
        .ingest_paths(&[fixtures("gcp-audit"), data("iam/gcp-set-iam-policy.json")])
        .await
        .unwrap();
    assert_eq!(
        (summary.files, summary.records, summary.quarantined),
        (3, 5, 0)
    );
    let entries = rows(
        &lake,
        "SELECT account, actor, actor_email, action, outcome FROM iam_events WHERE effect IS NULL ORDER BY event_time",
    )
    .await;
    let outcomes: Vec<String> = entries
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                get(r, "account"),
                get(r, "action"),
                get(r, "outcome")
            )
        })
        .collect();
    assert_eq!(entries.len(), 2, "{outcomes:?}");
    assert!(
        outcomes.iter().any(|o| o.contains("PERMISSION_DENIED")),
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .any(|o| o
                == r#""elastic-observability" "io.k8s.coordination.v1.leases.update" "success""#),
        "{outcomes:?}"
    );
    assert_eq!(
        entries
            .iter()
            .filter(|r| get(r, "actor_email").is_null())
            .count(),
        2,
        "system: users are no e-mail"
    );
    assert_eq!(
        changes_of(&rows(&lake, CHANGES).await),
        [
            "SetIamPolicy grant user:carol@acme.example role:roles/owner @projects/acme-prod privileged=true carol@acme.example",
            "SetIamPolicy revoke user:carol@acme.example role:roles/viewer @projects/acme-prod privileged=false carol@acme.example",
            "SetIamPolicy grant service_account:ci@acme-prod.iam.gserviceaccount.com role:roles/iam.serviceAccountAdmin @projects/acme-prod privileged=true -",
        ]
    );
}

#[tokio::test]
async fn an_iam_snapshot_holds_every_attachment_membership_and_policy_document() {
    let lake = Lake::open("memory://").unwrap();
    let run = IngestRun::new(lake.clone(), "aws-iam-snapshot", "iam", &Map::new()).unwrap();
    let summary = run
        .ingest_paths(&[data("iam/authorization-details-2026-11-01T06:00:00Z.json")])
        .await
        .unwrap();
    assert_eq!(summary.quarantined, 0, "{summary:?}");
    let held = rows(
        &lake,
        "SELECT record_kind, principal_kind, principal, permission_kind, permission, scope, privileged, \
         escalation, CAST(event_time AS VARCHAR) AS at FROM iam_state ORDER BY record_kind, principal_kind, principal, permission",
    )
    .await;
    let lines: Vec<String> = held
        .iter()
        .map(|r| {
            format!(
                "{} {}:{} {}:{} @{} privileged={} {}",
                get(r, "record_kind").as_str().unwrap(),
                get(r, "principal_kind").as_str().unwrap(),
                get(r, "principal").as_str().unwrap(),
                get(r, "permission_kind").as_str().unwrap(),
                get(r, "permission").as_str().unwrap(),
                get(r, "scope").as_str().unwrap_or("-"),
                get(r, "privileged"),
                get(r, "escalation")
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            "holds group:platform-admins policy:arn:aws:iam::111122223333:policy/deployer @111122223333 privileged=true [\"CreateEC2WithExistingIP\"]",
            "holds group:platform-admins policy:arn:aws:iam::aws:policy/AdministratorAccess @111122223333 privileged=true []",
            "holds role:ci-deploy policy:arn:aws:iam::111122223333:policy/deployer @111122223333 privileged=true [\"CreateEC2WithExistingIP\"]",
            "holds user:alice policy:arn:aws:iam::aws:policy/ReadOnlyAccess @111122223333 privileged=false []",
            "holds user:alice account:iam-user @111122223333 privileged=false []",
            "holds user:alice group:platform-admins @111122223333 privileged=false []",
            "holds user:break-glass inline_policy:everything @111122223333 privileged=true [\"CreateNewPolicyVersion\",\"SetExistingDefaultPolicyVersion\",\"CreateEC2WithExistingIP\",\"CreateAccessKey\",\"CreateLoginProfile\",\"UpdateLoginProfile\",\"AttachUserPolicy\",\"AttachGroupPolicy\",\"AttachRolePolicy\",\"PutUserPolicy\",\"PutGroupPolicy\",\"PutRolePolicy\",\"AddUserToGroup\",\"UpdateRolePolicyToAssumeIt\",\"PassExistingRoleToNewLambdaThenInvoke\",\"PassExistingRoleToNewLambdaThenTriggerWithNewDynamo\",\"EditExistingLambdaFunctionWithRole\",\"PassExistingRoleToNewGlueDevEndpoint\",\"UpdateExistingGlueDevEndpoint\",\"PassExistingRoleToCloudFormation\",\"PassExistingRoleToNewDataPipeline\"]",
            "holds user:break-glass account:iam-user @111122223333 privileged=false []",
            "policy policy:arn:aws:iam::111122223333:policy/deployer policy:arn:aws:iam::111122223333:policy/deployer @111122223333 privileged=true [\"CreateEC2WithExistingIP\"]",
        ]
    );
    assert!(held.iter().all(|r| {
        get(r, "at")
            .as_str()
            .unwrap()
            .starts_with("2026-11-01T06:00:00")
    }));
    let marked = rows(
        &lake,
        "SELECT table_name, CAST(event_time AS VARCHAR) AS at FROM _snapshots",
    )
    .await;
    assert_eq!(marked.len(), 1, "{marked:?}");
    // An output whose path names no capture instant is refused, saying how to name it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        data("iam/authorization-details-2026-11-01T06:00:00Z.json"),
        dir.path().join("authorization-details.json"),
    )
    .unwrap();
    let refused = run
        .ingest_paths(&[dir.path().join("authorization-details.json")])
        .await
        .unwrap();
    assert_eq!(refused.quarantined, 1);
    let reason = rows(&lake, "SELECT reason FROM _quarantine").await;
    assert!(
        get(&reason[0], "reason")
            .as_str()
            .unwrap()
            .contains("must name its capture instant"),
        "{reason:?}"
    );
}

#[tokio::test]
async fn training_and_people_exports_map_their_columns_and_keep_the_bad_row_apart() {
    let lake = Lake::open("memory://").unwrap();
    let training: Map<String, Value> = serde_json::from_value(json!({
        "columns": {"person": "Email", "course_id": "Course ID", "course": "Course",
                    "status": "Status", "completed_at": "Completed At", "expires_at": "Expires At"},
        "security_courses": ["SEC-*"],
        "date_formats": ["%d/%m/%Y"],
    }))
    .unwrap();
    let run = IngestRun::new(lake.clone(), "training", "lms", &training).unwrap();
    let summary = run.ingest_paths(&[data("iam/training.csv")]).await.unwrap();
    // Carol's course is in progress: no completion. Dave's date is bad: quarantined, named.
    assert_eq!(
        (summary.records, summary.skipped, summary.quarantined),
        (3, 1, 1),
        "{summary:?}"
    );
    let bad = rows(&lake, "SELECT location, reason FROM _quarantine").await;
    assert!(
        get(&bad[0], "location")
            .as_str()
            .unwrap()
            .ends_with("training.csv:6"),
        "{bad:?}"
    );
    assert!(
        get(&bad[0], "reason")
            .as_str()
            .unwrap()
            .contains("column 'Completed At': 'not a date'"),
        "{bad:?}"
    );
    let done = rows(
        &lake,
        "SELECT person, course_id, security, CAST(completed_at AS VARCHAR) AS at FROM training ORDER BY person, course_id",
    )
    .await;
    let done: Vec<String> = done
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                get(r, "person").as_str().unwrap(),
                get(r, "course_id").as_str().unwrap(),
                get(r, "security"),
                &get(r, "at").as_str().unwrap()[..10]
            )
        })
        .collect();
    assert_eq!(
        done,
        [
            "alice@acme.example SEC-101 true 2025-10-01",
            "bob@acme.example HR-7 false 2026-01-10",
            "bob@acme.example SEC-101 true 2026-11-15",
        ]
    );

    let people: Map<String, Value> = serde_json::from_value(json!({
        "engineering_teams": ["platform", "payments"],
        "aliases": {"jdoe": "alice@acme.example", "94482488-3041-7026-18f3-7ef9a1b2c3d4": "bob@acme.example"},
    }))
    .unwrap();
    let run = IngestRun::new(lake.clone(), "people", "hr", &people).unwrap();
    let summary = run
        .ingest_paths(&[data("iam/people-2026-11-01T06:00:00Z.csv")])
        .await
        .unwrap();
    assert_eq!(
        (summary.records, summary.quarantined),
        (6, 0),
        "{summary:?}"
    );
    let listed = rows(
        &lake,
        "SELECT person, team, status, engineer, aliases, CAST(left_at AS VARCHAR) AS left_at FROM people ORDER BY person, source_id",
    )
    .await;
    let listed: Vec<String> = listed
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {} {} {}",
                get(r, "person").as_str().unwrap(),
                get(r, "team"),
                get(r, "status"),
                get(r, "engineer"),
                get(r, "aliases"),
                get(r, "left_at")
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            r#"alice@acme.example null null null ["jdoe"] null"#,
            r#"alice@acme.example "platform" "active" true ["alice","alice-gh"] null"#,
            r#"bob@acme.example null null null ["94482488-3041-7026-18f3-7ef9a1b2c3d4"] null"#,
            r#"bob@acme.example "payments" "active" true [] null"#,
            r#"erin@acme.example "finance" "active" false [] null"#,
            r#"frank@acme.example "platform" "inactive" true [] "2026-06-30T00:00:00Z""#,
        ]
    );
    let bad_alias: Map<String, Value> =
        serde_json::from_value(json!({"aliases": {"jdoe": "not-an-email"}})).unwrap();
    let err = IngestRun::new(lake.clone(), "people", "hr", &bad_alias)
        .err()
        .unwrap();
    assert!(err.to_string().contains("aliases.jdoe"), "{err}");
}
