//! The permission views against hand-written sequences in the tools' own formats, at instants
//! between every pair of events: an IAM snapshot then CloudTrail deltas (grant → revoke →
//! grant, a group's policy detached and re-attached while its membership changes, a change
//! at or before the snapshot's instant already in it, a revoke and a grant in the same
//! second), and Okta changes with no snapshot (the baseline unknown).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use evlake_core::FixedClock;
use evlake_ingest::IngestRun;
use evlake_query::{QuerySession, batches_to_rows};
use evlake_store::Lake;
use serde_json::{Map, Value, json};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn trail(id: &str, time: &str, name: &str, request: Value) -> Value {
    json!({"eventVersion": "1.09", "eventID": id, "eventTime": time, "eventSource": "iam.amazonaws.com",
        "eventName": name, "awsRegion": "us-east-1", "recipientAccountId": "111122223333",
        "userIdentity": {"type": "AssumedRole", "accountId": "111122223333",
            "arn": "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0a1b/ops@acme.example"},
        "requestParameters": request, "responseElements": null, "eventType": "AwsApiCall"})
}

fn okta(uuid: &str, time: &str, event_type: &str) -> Value {
    json!({"uuid": uuid, "published": time, "eventType": event_type, "outcome": {"result": "SUCCESS"},
        "actor": {"id": "00u1", "type": "User", "alternateId": "it@acme.example"},
        "target": [{"id": "00u2", "type": "User", "alternateId": "dana@acme.example"},
                   {"id": "00g1", "type": "UserGroup", "displayName": "AWS Admins"}]})
}

const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

/// A lake of the sequences, ingested on 2026-10-15 (before every instant asked about).
async fn lake_of_sequences(dir: &std::path::Path) -> Lake {
    let bob = |id: &str, t: &str, name: &str| {
        trail(id, t, name, json!({"userName": "bob", "policyArn": ADMIN}))
    };
    let admins = |id: &str, t: &str, name: &str| {
        trail(
            id,
            t,
            name,
            json!({"groupName": "admins", "policyArn": ADMIN}),
        )
    };
    let records = vec![
        // At the snapshot's instant: already in it (the snapshot does not list it: not held).
        trail(
            "e0",
            "2026-11-01T06:00:00Z",
            "AttachUserPolicy",
            json!({"userName": "carol", "policyArn": ADMIN}),
        ),
        bob("e1", "2026-11-02T10:00:00Z", "AttachUserPolicy"),
        bob("e2", "2026-11-03T10:00:00Z", "DetachUserPolicy"),
        bob("e3", "2026-11-04T10:00:00Z", "AttachUserPolicy"),
        admins("e4", "2026-11-05T10:00:00Z", "DetachGroupPolicy"),
        admins("e5", "2026-11-06T10:00:00Z", "AttachGroupPolicy"),
        // The group's name in another case: IAM's names are case-insensitive.
        trail(
            "e6",
            "2026-11-07T10:00:00Z",
            "RemoveUserFromGroup",
            json!({"userName": "alice", "groupName": "Admins"}),
        ),
        // A revoke and a grant in the same second: read as held.
        bob("e7", "2026-11-08T10:00:00Z", "DetachUserPolicy"),
        bob("e8", "2026-11-08T10:00:00Z", "AttachUserPolicy"),
    ];
    std::fs::create_dir_all(dir.join("trail")).unwrap();
    std::fs::write(
        dir.join("trail/111122223333_CloudTrail_us-east-1_20261102T0000Z_x.json"),
        serde_json::to_vec(&json!({ "Records": records })).unwrap(),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("iam")).unwrap();
    std::fs::write(
        dir.join("iam/2026-11-01T06:00:00Z.json"),
        serde_json::to_vec(&json!({
            "UserDetailList": [
                {"UserName": "alice", "Arn": "arn:aws:iam::111122223333:user/alice", "GroupList": ["admins"], "AttachedManagedPolicies": [], "UserPolicyList": []},
                {"UserName": "bob", "Arn": "arn:aws:iam::111122223333:user/bob", "GroupList": [], "AttachedManagedPolicies": [], "UserPolicyList": []},
                {"UserName": "carol", "Arn": "arn:aws:iam::111122223333:user/carol", "GroupList": [], "AttachedManagedPolicies": [], "UserPolicyList": []}
            ],
            "GroupDetailList": [{"GroupName": "admins", "Arn": "arn:aws:iam::111122223333:group/admins", "GroupPolicyList": [],
                "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN}]}],
            "RoleDetailList": [], "Policies": [], "IsTruncated": false
        }))
        .unwrap(),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("okta")).unwrap();
    std::fs::write(
        dir.join("okta/2026-11.json"),
        serde_json::to_vec(&json!([
            okta(
                "o1",
                "2026-11-02T12:00:00.000Z",
                "group.user_membership.add"
            ),
            okta(
                "o2",
                "2026-11-03T12:00:00.000Z",
                "group.user_membership.remove"
            ),
            okta(
                "o3",
                "2026-11-04T12:00:00.000Z",
                "group.user_membership.add"
            ),
        ]))
        .unwrap(),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("hr")).unwrap();
    std::fs::write(
        dir.join("hr/2026-10-01T00:00:00Z.csv"),
        "email,team,aliases\nalice@acme.example,platform,alice\nbob@acme.example,platform,bob\ncarol@acme.example,platform,carol\ndana@acme.example,platform,\n",
    )
    .unwrap();
    let lake = Lake::open(&dir.join("lake").display().to_string())
        .unwrap()
        .with_clock(Arc::new(FixedClock::new(at("2026-10-15T00:00:00Z"))));
    for (kind, path) in [
        ("cloudtrail", "trail"),
        ("aws-iam-snapshot", "iam"),
        ("okta", "okta"),
        ("people", "hr"),
    ] {
        let summary = IngestRun::new(lake.clone(), kind, kind, &Map::new())
            .unwrap()
            .ingest_paths(&[dir.join(path)])
            .await
            .unwrap();
        assert_eq!(summary.quarantined, 0, "{kind}: {summary:?}");
    }
    lake
}

/// What each person held at `t`, through the ad-hoc views of a session opened at `t`.
async fn held_at(lake: &Lake, t: DateTime<Utc>) -> Vec<String> {
    let session = QuerySession::builder(lake.clone().with_clock(Arc::new(FixedClock::new(t))))
        .build()
        .await
        .unwrap();
    let rows = batches_to_rows(
        &session
            .user_query(
                "SELECT person, permission_kind, permission, via, baseline FROM person_permissions \
                 ORDER BY person, permission_kind, permission, via",
            )
            .await
            .unwrap(),
    )
    .unwrap();
    rows.iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or("-").to_string();
            let name = s("permission").rsplit('/').next().unwrap().to_string();
            format!(
                "{} {} {} {} {}",
                s("person"),
                s("permission_kind"),
                name,
                s("via"),
                s("baseline")
            )
        })
        .collect()
}

#[tokio::test]
async fn permissions_at_every_instant_between_the_events_replay_the_snapshot_and_its_deltas() {
    let dir = tempfile::tempdir().unwrap();
    let lake = lake_of_sequences(dir.path()).await;
    let alice_group = [
        "alice@acme.example group admins direct snapshot",
        "alice@acme.example policy AdministratorAccess group admins snapshot",
    ];
    let dana = "dana@acme.example group AWS Admins direct unknown";
    let bob =
        |baseline: &str| format!("bob@acme.example policy AdministratorAccess direct {baseline}");
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("2026-11-01T05:59:59Z", vec![]),
        (
            "2026-11-01T06:00:00Z",
            alice_group.map(String::from).to_vec(),
        ),
        (
            "2026-11-02T09:59:59Z",
            alice_group.map(String::from).to_vec(),
        ),
        (
            "2026-11-02T10:00:00Z",
            [alice_group[0], alice_group[1], &bob("snapshot")]
                .map(String::from)
                .to_vec(),
        ),
        (
            "2026-11-02T12:00:00Z",
            [alice_group[0], alice_group[1], &bob("snapshot"), dana]
                .map(String::from)
                .to_vec(),
        ),
        (
            "2026-11-03T10:00:01Z",
            [alice_group[0], alice_group[1], dana]
                .map(String::from)
                .to_vec(),
        ),
        (
            "2026-11-03T12:00:00Z",
            alice_group.map(String::from).to_vec(),
        ),
        (
            "2026-11-04T10:00:00Z",
            [alice_group[0], alice_group[1], &bob("snapshot")]
                .map(String::from)
                .to_vec(),
        ),
        (
            "2026-11-04T12:00:01Z",
            [alice_group[0], alice_group[1], &bob("snapshot"), dana]
                .map(String::from)
                .to_vec(),
        ),
        // The group's policy detached while alice stays a member: she holds the membership only.
        (
            "2026-11-05T10:00:00Z",
            [alice_group[0], &bob("snapshot"), dana]
                .map(String::from)
                .to_vec(),
        ),
        (
            "2026-11-06T10:00:00Z",
            [alice_group[0], alice_group[1], &bob("snapshot"), dana]
                .map(String::from)
                .to_vec(),
        ),
        // Removed from the group (named `Admins`): neither the membership nor what it held.
        (
            "2026-11-07T10:00:00Z",
            [bob("snapshot"), dana.to_string()].to_vec(),
        ),
        (
            "2026-11-08T10:00:00Z",
            [bob("snapshot"), dana.to_string()].to_vec(),
        ),
    ];
    for (instant, want) in cases {
        assert_eq!(held_at(&lake, at(instant)).await, want, "at {instant}");
    }
}
