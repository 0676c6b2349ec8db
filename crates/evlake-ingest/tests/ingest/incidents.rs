//! Incidents: PagerDuty webhook events and REST pages, Jira search results, and both APIs
//! replayed page by page from a loopback server.

use evlake_ingest::IngestRun;
use evlake_store::Lake;
use serde_json::{Map, Value, json};

use super::{fixtures, json_page, replay, rows};

const TIMELINE: &str =
    "SELECT incident_id, event_type, CAST(event_time AS VARCHAR) AS t FROM incidents
     ORDER BY event_time, incident_id, event_type";

fn timeline(rows: &[Map<String, Value>]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r["incident_id"].as_str().unwrap(),
                r["event_type"].as_str().unwrap(),
                r["t"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn every_incident_fixture_ingests() {
    let dir = fixtures("incidents");
    let lake = Lake::open("memory://").unwrap();
    let pagerduty = IngestRun::new(lake.clone(), "pagerduty", "pd", &Map::new())
        .unwrap()
        .ingest_paths(&[
            dir.join("pagerduty_webhook_v3_incident.resolved.json"),
            dir.join("pagerduty_webhook_v3_incident.triggered.json"),
        ])
        .await
        .unwrap();
    assert_eq!(
        (pagerduty.files, pagerduty.records, pagerduty.quarantined),
        (2, 2, 0)
    );
    let jira = IngestRun::new(lake.clone(), "jira", "jira", &Map::new())
        .unwrap()
        .ingest_paths(&[dir.join("jira_issues_with_changelog.json")])
        .await
        .unwrap();
    // One issue; its changelog edits the summary and priority, never the status.
    assert_eq!((jira.files, jira.records, jira.quarantined), (1, 1, 0));
    assert_eq!(
        timeline(&rows(&lake, TIMELINE).await),
        [
            "AR-86 triggered 2015-12-02T15:39:15Z",
            "PCPZE64 resolved 2021-06-04T13:16:53.816Z",
            "PFQZPSY triggered 2021-06-04T13:35:29.781Z",
        ]
    );
    let pd = rows(
        &lake,
        "SELECT service, assignee, url, status FROM incidents WHERE incident_id = 'PFQZPSY'",
    )
    .await;
    assert_eq!(pd[0]["service"], "pig208");
    assert_eq!(pd[0]["assignee"], "PIG 208");
    assert_eq!(
        pd[0]["url"],
        "https://pig208.pagerduty.com/incidents/PFQZPSY"
    );
    assert_eq!(pd[0]["status"], "triggered");
}

#[tokio::test]
async fn a_bad_webhook_payload_is_quarantined_and_its_neighbours_kept() {
    let dir = tempfile::tempdir().unwrap();
    let good =
        std::fs::read(fixtures("incidents").join("pagerduty_webhook_v3_incident.resolved.json"))
            .unwrap();
    std::fs::write(dir.path().join("a.json"), &good).unwrap();
    std::fs::write(dir.path().join("b.json"), b"{\"event\": {\"id\": \"01X\"}}").unwrap();
    std::fs::write(dir.path().join("c.json"), b"{\"event\": ").unwrap();
    let lake = Lake::open("memory://").unwrap();
    let summary = IngestRun::new(lake.clone(), "pagerduty", "pd", &Map::new())
        .unwrap()
        .ingest_paths(&[dir.path().to_path_buf()])
        .await
        .unwrap();
    assert_eq!((summary.records, summary.quarantined), (1, 2));
    let bad = rows(
        &lake,
        "SELECT location, reason FROM _quarantine ORDER BY location",
    )
    .await;
    assert!(bad[0]["location"].as_str().unwrap().ends_with("b.json#/0"));
    assert_eq!(bad[0]["reason"], "a webhook event has an 'event_type'");
    assert!(bad[1]["location"].as_str().unwrap().ends_with("c.json#/0"));
    assert!(
        bad[1]["reason"]
            .as_str()
            .unwrap()
            .starts_with("not valid JSON")
    );
}

#[tokio::test]
async fn pagerduty_pages_follow_offset_and_more_and_the_cursor_resumes() {
    let mut routes = replay::Routes::default();
    routes.add("/incidents", "0", json_page("pagerduty/incidents-0.json"));
    routes.add("/incidents", "2", json_page("pagerduty/incidents-2.json"));
    routes.add(
        "/log_entries",
        "0",
        json_page("pagerduty/log_entries-0.json"),
    );
    routes.add(
        "/log_entries",
        "4",
        json_page("pagerduty/log_entries-4.json"),
    );
    let server = replay::ReplayServer::start(routes).await;
    let settings = Map::from_iter([(
        "api".to_string(),
        json!({
            "url": server.base,
            "token_env": "EVLAKE_TEST_PAGERDUTY_TOKEN",
            "since": "2026-11-01",
            "window_hours": 24 * 366,
        }),
    )]);
    let lake = Lake::open("memory://").unwrap();
    let run = || IngestRun::new(lake.clone(), "pagerduty", "pd", &settings).unwrap();
    let first = run().pull().await.unwrap();
    let log = server.log.lock().unwrap().clone();
    assert_eq!(first.pages, 4, "{log:?}");
    assert!(
        log.iter()
            .any(|u| u.starts_with("/log_entries?since=2026-11-01T00:00:00Z")
                && u.contains("offset=4")),
        "{log:?}"
    );
    assert_eq!((first.records, first.quarantined), (9, 0));
    assert_eq!(
        timeline(&rows(&lake, TIMELINE).await),
        [
            "PAAAAA1 triggered 2026-11-10T08:02:00Z",
            "PAAAAA1 triggered 2026-11-10T08:02:00Z",
            "PAAAAA1 acknowledged 2026-11-10T08:09:30Z",
            "PAAAAA1 resolved 2026-11-10T09:47:00Z",
            "PAAAAA2 triggered 2026-11-11T09:15:00Z",
            "PAAAAA2 triggered 2026-11-11T09:15:00Z",
            "PAAAAA2 acknowledged 2026-11-11T09:40:00Z",
            "PAAAAA3 triggered 2026-11-12T10:30:00Z",
            "PAAAAA3 triggered 2026-11-12T10:30:00Z",
        ]
    );
    // The trigger's custom details carry Falcosidekick's uuid and the workload; the
    // incident's title names the rule and the pod.
    let clues = rows(
        &lake,
        "SELECT source_id, alert_refs, rule, namespace, pod FROM incidents
         WHERE incident_id IN ('PAAAAA1', 'PAAAAA2') AND event_type = 'triggered' ORDER BY source_id",
    )
    .await;
    let clue = |i: usize| {
        (
            clues[i]["source_id"].as_str().unwrap().to_string(),
            clues[i]["alert_refs"].clone(),
            clues[i]["rule"].clone(),
            clues[i]["pod"].clone(),
        )
    };
    assert_eq!(
        clue(0),
        (
            "incident:PAAAAA1".to_string(),
            json!([]),
            json!("Terminal shell in container"),
            json!("payments-7f9c-x2")
        )
    );
    assert_eq!(
        clue(2),
        (
            "log_entry:R01".to_string(),
            json!(["3f2c0d6e-1b7a-4c55-9f00-2a7e8b9c0d1e"]),
            json!("Terminal shell in container"),
            json!("payments-7f9c-x2")
        )
    );
    assert_eq!(clues[1]["rule"], "Write below etc");
    assert_eq!(clues[1]["namespace"], "web");

    let second = run().pull().await.unwrap();
    assert_eq!(second.tables["incidents"].added, 0);
    let log = server.log.lock().unwrap().clone();
    let restart = &log[4];
    assert!(
        restart.contains("since=") && !restart.contains("since=2026-11-01"),
        "the cursor resumes: {restart}"
    );
}

#[tokio::test]
async fn jira_pages_follow_next_page_token_or_start_at_and_the_cursor_resumes() {
    for (search, pages) in [
        (
            "jql",
            [
                ("1", "jira/search-page-1.json"),
                ("CAEaAggC", "jira/search-page-2.json"),
            ],
        ),
        (
            "legacy",
            [
                ("0", "jira/search-legacy-0.json"),
                ("2", "jira/search-legacy-2.json"),
            ],
        ),
    ] {
        let path = if search == "jql" {
            "/rest/api/3/search/jql"
        } else {
            "/rest/api/2/search"
        };
        let mut routes = replay::Routes::default();
        for (page, file) in pages {
            routes.add(path, page, json_page(file));
        }
        let server = replay::ReplayServer::start(routes).await;
        let settings = Map::from_iter([
            ("alert_id_fields".to_string(), json!(["customfield_10042"])),
            (
                "api".to_string(),
                json!({
                    "url": server.base,
                    "jql": "project = SEC",
                    "search": search,
                    "since": "2026-11-01",
                }),
            ),
        ]);
        let lake = Lake::open("memory://").unwrap();
        let run = || IngestRun::new(lake.clone(), "jira", "jira", &settings).unwrap();
        let first = run().pull().await.unwrap();
        let log = server.log.lock().unwrap().clone();
        assert_eq!(first.pages, 2, "{search}: {log:?}");
        assert!(
            log[0].contains("project+%3D+SEC") && log[0].contains("2026-11-01+00%3A00"),
            "{}",
            log[0]
        );
        assert_eq!((first.records, first.quarantined), (7, 0), "{search}");
        assert_eq!(
            timeline(&rows(&lake, TIMELINE).await),
            [
                "SEC-1 triggered 2026-11-09T09:05:00Z",
                "SEC-1 status_changed 2026-11-09T09:20:00Z",
                "SEC-1 resolved 2026-11-09T12:05:00Z",
                "SEC-2 triggered 2026-11-10T11:00:00Z",
                "SEC-2 status_changed 2026-11-10T11:30:00Z",
                "SEC-3 triggered 2026-11-11T15:00:00Z",
                "SEC-3 resolved 2026-11-11T17:00:00Z",
            ],
            "{search}"
        );
        let refs = rows(
            &lake,
            "SELECT DISTINCT incident_id, alert_refs, url FROM incidents WHERE incident_id IN ('SEC-1', 'SEC-2') ORDER BY incident_id",
        )
        .await;
        assert_eq!(
            refs[0]["alert_refs"],
            json!(["7d1e2f30-5a6b-4c7d-8e9f-0a1b2c3d4e5f"])
        );
        assert_eq!(refs[0]["url"], "https://acme.atlassian.net/browse/SEC-1");
        assert_eq!(
            refs[1]["alert_refs"],
            json!(["process_exec:Z2tlOjEyMzQ6NTY3OA==:2026-11-10T10:58:01.5Z"])
        );

        let second = run().pull().await.unwrap();
        assert_eq!(second.tables["incidents"].added, 0, "{search}");
        let log = server.log.lock().unwrap().clone();
        assert!(
            !log[2].contains("2026-11-01"),
            "the cursor resumes: {}",
            log[2]
        );
    }
}

/// A Jira issue the settings call a security review is a review of each service it names,
/// at its resolution, and no incident: one still open is no review yet, one naming no
/// service is quarantined, and the incident beside them is an incident as before.
#[tokio::test]
async fn jira_security_review_issues_are_reviews_of_the_services_they_name() {
    let issue = |id: u64, kind: &str, labels: Value, components: Value, resolved: Value| {
        json!({
            "id": id.to_string(),
            "self": format!("https://acme.atlassian.net/rest/api/3/issue/{id}"),
            "key": format!("SEC-{id}"),
            "fields": {
                "summary": format!("issue {id}"),
                "issuetype": {"name": kind},
                "labels": labels,
                "components": components,
                "created": "2026-10-01T09:00:00.000+0000",
                "updated": "2026-10-02T15:30:00.000+0000",
                "resolutiondate": resolved,
                "status": {"name": "Done", "statusCategory": {"key": "done"}},
                "assignee": {"displayName": "AppSec Review Board"},
            },
        })
    };
    let done = json!("2026-10-02T15:30:00.000+0000");
    let body = json!({"issues": [
        issue(1, "Security Review", json!([]), json!([{"name": "Checkout"}, {"name": "payments-api"}]), done.clone()),
        issue(2, "Task", json!(["Security-Review"]), json!([{"name": "ledger"}]), done.clone()),
        issue(3, "Security Review", json!([]), json!([{"name": "ledger"}]), Value::Null),
        issue(4, "Security Review", json!([]), json!([]), done.clone()),
        issue(5, "Incident", json!(["falco"]), json!([{"name": "ledger"}]), Value::Null),
    ]});
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("search.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&body).unwrap()).unwrap();
    let settings: Map<String, Value> = serde_json::from_value(json!({
        "security_reviews": {"issue_types": ["security review"], "labels": ["security-review"]}
    }))
    .unwrap();
    let lake = Lake::open("memory://").unwrap();
    let summary = IngestRun::new(lake.clone(), "jira", "reviews", &settings)
        .unwrap()
        .ingest_paths(std::slice::from_ref(&file))
        .await
        .unwrap();
    assert_eq!((summary.skipped, summary.quarantined), (1, 1));
    let reviews = rows(
        &lake,
        "SELECT subject, review_id, event_time, reviewer, url FROM security_reviews ORDER BY subject",
    )
    .await;
    let found: Vec<String> = reviews
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r["subject"].as_str().unwrap(),
                r["review_id"].as_str().unwrap(),
                r["event_time"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            "checkout SEC-1 2026-10-02T15:30:00Z",
            "ledger SEC-2 2026-10-02T15:30:00Z",
            "payments-api SEC-1 2026-10-02T15:30:00Z",
        ]
    );
    assert_eq!(reviews[0]["reviewer"], "AppSec Review Board");
    assert_eq!(reviews[0]["url"], "https://acme.atlassian.net/browse/SEC-1");
    let incidents = rows(&lake, "SELECT DISTINCT incident_id FROM incidents").await;
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0]["incident_id"], "SEC-5");
    let bad = rows(&lake, "SELECT location, reason FROM _quarantine").await;
    let location = bad[0]["location"].as_str().unwrap();
    assert!(location.ends_with("search.json#/0/issues/3"), "{location}");
    assert!(
        bad[0]["reason"]
            .as_str()
            .unwrap()
            .contains("names no service")
    );
    // Read again, nothing is new.
    let again = IngestRun::new(lake.clone(), "jira", "reviews", &settings)
        .unwrap()
        .ingest_paths(&[file])
        .await
        .unwrap();
    assert_eq!(again.unchanged_files, 1);
}

#[tokio::test]
async fn a_review_register_in_yaml_or_csv_gives_one_review_per_service_at_its_completion() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("reviews.yaml"),
        "# AppSec review register\nreviews:\n  - id: REV-1\n    service: [Checkout, payments-api]\n    completed: 2026-10-02\n    reviewer: AppSec Board\n    status: Approved\n  - id: REV-2\n    service: ledger\n    status: in progress\n    completed: 2026-10-05\n  - id: REV-3\n    service: ledger\n  - id: REV-4\n    completed: 2026-10-06\n  - id: REV-5\n    service: ledger\n    completed: last tuesday\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("older.csv"),
        "id,service,completed,reviewer,url\nREV-0,\"ledger, fraud-scoring\",2025-09-30T10:00:00Z,Jane,https://wiki/rev-0\n,ledger,2025-09-30,,\n",
    )
    .unwrap();
    let lake = Lake::open("memory://").unwrap();
    let run = IngestRun::new(lake.clone(), "review-register", "reviews", &Map::new()).unwrap();
    let summary = run.ingest_paths(&[dir.path().to_path_buf()]).await.unwrap();
    // REV-2 is in progress and REV-3 not completed: no reviews yet. REV-4 names no service,
    // REV-5's date is not one, the CSV's second entry has no id.
    assert_eq!(
        (summary.records, summary.skipped, summary.quarantined),
        (4, 2, 3)
    );
    let reviews = rows(
        &lake,
        "SELECT subject, review_id, CAST(event_time AS VARCHAR) AS at, reviewer, url, source
         FROM security_reviews ORDER BY at, subject",
    )
    .await;
    assert_eq!(
        json!(reviews),
        json!([
            {"subject": "fraud-scoring", "review_id": "REV-0", "at": "2025-09-30T10:00:00Z",
             "reviewer": "Jane", "url": "https://wiki/rev-0", "source": "review-register"},
            {"subject": "ledger", "review_id": "REV-0", "at": "2025-09-30T10:00:00Z",
             "reviewer": "Jane", "url": "https://wiki/rev-0", "source": "review-register"},
            {"subject": "checkout", "review_id": "REV-1", "at": "2026-10-02T23:59:59.999999Z",
             "reviewer": "AppSec Board", "source": "review-register"},
            {"subject": "payments-api", "review_id": "REV-1", "at": "2026-10-02T23:59:59.999999Z",
             "reviewer": "AppSec Board", "source": "review-register"},
        ])
    );
    let bad: Vec<(String, String)> = rows(
        &lake,
        "SELECT location, reason FROM _quarantine ORDER BY location",
    )
    .await
    .iter()
    .map(|r| {
        let location = r["location"].as_str().unwrap();
        let base = format!("{}/", dir.path().display());
        let place = location.strip_prefix(&base).unwrap_or(location).to_string();
        (place, r["reason"].as_str().unwrap().to_string())
    })
    .collect();
    assert_eq!(
        bad[0],
        (
            "older.csv:3".to_string(),
            "required field 'id' is missing".to_string()
        )
    );
    assert_eq!(bad[1].0, "reviews.yaml#/3");
    assert_eq!(bad[1].1, "required field 'service' is missing");
    assert_eq!(bad[2].0, "reviews.yaml#/4");
    assert!(bad[2].1.starts_with("field 'completed'"), "{}", bad[2].1);
    // An unchanged register is not read again.
    let again = run.ingest_paths(&[dir.path().to_path_buf()]).await.unwrap();
    assert_eq!((again.records, again.unchanged_files), (0, 2));
}
