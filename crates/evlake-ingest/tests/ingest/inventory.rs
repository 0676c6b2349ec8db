//! Inventories: Backstage catalog entities (YAML fixtures, archived API pages, the API itself
//! replayed page by page) and AWS Config configuration items (the fixtures, and `.json.gz`
//! delivery files under an object-store prefix in the S3 layout).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use evlake_core::FixedClock;
use evlake_ingest::IngestRun;
use evlake_store::Lake;
use serde_json::{Map, Value, json};

use super::{data, fixtures, json_page, replay, rows};

fn review_annotation() -> Map<String, Value> {
    Map::from_iter([(
        "security_review_annotation".to_string(),
        json!("acme.io/last-security-review"),
    )])
}

#[tokio::test]
async fn every_backstage_fixture_ingests_and_a_checkout_is_read_again_as_each_runs_snapshot() {
    let clock = Arc::new(FixedClock::new("2026-11-02T06:00:00Z".parse().unwrap()));
    let lake = Lake::open("memory://").unwrap().with_clock(clock.clone());
    let run = IngestRun::new(lake.clone(), "backstage", "catalog", &Map::new()).unwrap();
    let summary = run.ingest_paths(&[fixtures("backstage")]).await.unwrap();
    // A Component, a System, and a Group with five Users (one of them in a second namespace).
    assert_eq!(
        (summary.files, summary.records, summary.quarantined),
        (3, 13, 0)
    );
    // The files name no instant: they are the catalog as checked out, all three one snapshot
    // at the run's start (not each at its own modification time), and the next run reads them
    // again, unchanged as they are, as the next snapshot.
    clock.advance(chrono::Duration::hours(24));
    let again = run.ingest_paths(&[fixtures("backstage")]).await.unwrap();
    assert_eq!(
        (again.files, again.unchanged_files, again.records),
        (3, 0, 13)
    );
    let snapshots = rows(
        &lake,
        "SELECT CAST(event_time AS VARCHAR) AS at, COUNT(*) AS entities FROM assets
         GROUP BY event_time ORDER BY event_time",
    )
    .await;
    assert_eq!(
        json!(snapshots),
        json!([
            {"at": "2026-11-02T06:00:00Z", "entities": 8},
            {"at": "2026-11-03T06:00:00Z", "entities": 8},
        ])
    );
    let assets = rows(
        &lake,
        "SELECT asset_id, asset_kind, owner, system, lifecycle, production, member_of, tags
         FROM assets WHERE event_time = '2026-11-02T06:00:00Z' ORDER BY asset_id",
    )
    .await;
    let ids: Vec<&str> = assets
        .iter()
        .map(|r| r["asset_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "component:default/artist-lookup",
            "group:default/team-a",
            "system:default/artist-engagement-portal",
            "user:default/breanna.davison",
            "user:default/guest",
            "user:default/janelle.dawe",
            "user:default/nigel.manning",
            "user:development/guest",
        ]
    );
    let component = &assets[0];
    assert_eq!(component["owner"], "group:default/team-a");
    assert_eq!(
        component["system"],
        "system:default/artist-engagement-portal"
    );
    assert_eq!(component["lifecycle"], "experimental");
    assert_eq!(
        component["production"], false,
        "experimental is not production"
    );
    assert_eq!(component["tags"], json!(["java", "data"]));
    // A ref written in another namespace keeps its own; a bare one takes the entity's.
    assert_eq!(assets[7]["member_of"], json!(["group:default/team-a"]));
    assert_eq!(assets[4]["member_of"], json!(["group:default/team-a"]));
    let system = &assets[2];
    assert_eq!(system["owner"], "group:default/team-a");
    let people = rows(
        &lake,
        "SELECT person, display_name, team, aliases FROM people
         WHERE event_time = '2026-11-02T06:00:00Z' ORDER BY person, aliases",
    )
    .await;
    assert_eq!(people.len(), 5);
    assert_eq!(people[0]["person"], "breanna-davison@example.com");
    assert!(
        people[0].get("display_name").is_none(),
        "the fixture has none"
    );
    assert_eq!(people[0]["team"], "group:default/team-a");
    // Two User entities with one e-mail address are one person with two identities.
    assert_eq!(people[1]["person"], "guest@example.com");
    assert_eq!(people[2]["person"], "guest@example.com");
    assert_eq!(people[1]["aliases"], json!(["user:default/guest", "guest"]));
    let raw = rows(
        &lake,
        "SELECT raw FROM assets WHERE asset_id = 'system:default/artist-engagement-portal'
         AND event_time = '2026-11-02T06:00:00Z'",
    )
    .await;
    let text =
        std::fs::read_to_string(fixtures("backstage").join("artist-engagement-portal-system.yaml"))
            .unwrap();
    assert_eq!(
        raw[0]["raw"].as_str().unwrap(),
        text,
        "raw is the file's own document"
    );
}

/// Archived `by-query` pages under `dir/<instant>/`.
fn archive(dir: &Path, instant: &str, pages: &[&str]) {
    let at = dir.join(instant);
    std::fs::create_dir_all(&at).unwrap();
    for (i, page) in pages.iter().enumerate() {
        std::fs::copy(data(page), at.join(format!("page-{}.json", i + 1))).unwrap();
    }
}

#[tokio::test]
async fn archived_pages_are_snapshots_at_the_instant_their_path_names() {
    let dir = tempfile::tempdir().unwrap();
    let pages = [
        "backstage/by-query-1.json",
        "backstage/by-query-2.json",
        "backstage/by-query-3.json",
    ];
    archive(dir.path(), "2026-11-01T06:00:00Z", &pages);
    archive(dir.path(), "2026-11-02T06:00:00Z", &pages[..2]);
    let lake = Lake::open("memory://").unwrap();
    let summary = IngestRun::new(lake.clone(), "backstage", "catalog", &review_annotation())
        .unwrap()
        .ingest_paths(&[dir.path().to_path_buf()])
        .await
        .unwrap();
    // 5 entities (one a User, also a person) and a Location (skipped) on the first day, 4 on
    // the second.
    assert_eq!(
        (summary.records, summary.skipped, summary.quarantined),
        (11, 1, 0)
    );
    let snapshots = rows(
        &lake,
        "SELECT CAST(event_time AS VARCHAR) AS t, COUNT(*) AS n FROM assets GROUP BY 1 ORDER BY 1",
    )
    .await;
    assert_eq!(
        snapshots,
        [
            json!({"t": "2026-11-01T06:00:00Z", "n": 5}),
            json!({"t": "2026-11-02T06:00:00Z", "n": 4}),
        ]
        .map(|v| v.as_object().unwrap().clone())
    );
    let checkout = rows(
        &lake,
        "SELECT owner, repo, uid, version, production, CAST(last_security_review AS VARCHAR) AS review,
           review_source, source_ref, CAST(snapshot_date AS VARCHAR) AS day
         FROM assets WHERE name = 'checkout' ORDER BY event_time",
    )
    .await;
    assert_eq!(checkout.len(), 2);
    assert_eq!(checkout[0]["owner"], "group:default/payments");
    assert_eq!(checkout[0]["repo"], "acme/checkout");
    assert_eq!(checkout[0]["uid"], "6f1c2a0e-1b7d-4b7e-8c55-0f3c9e1a2b01");
    assert_eq!(checkout[0]["version"], "6f1c2a0ee7ag");
    assert_eq!(checkout[0]["production"], true);
    assert_eq!(checkout[0]["review"], "2026-09-14T00:00:00Z");
    assert_eq!(
        checkout[0]["review_source"],
        "annotation:acme.io/last-security-review"
    );
    assert_eq!(checkout[0]["day"], "2026-11-01");
    assert!(
        checkout[0]["source_ref"]
            .as_str()
            .unwrap()
            .ends_with("2026-11-01T06:00:00Z/page-1.json#/items/0"),
        "{}",
        checkout[0]["source_ref"]
    );
    let group = rows(
        &lake,
        "SELECT members FROM assets WHERE asset_kind = 'group' LIMIT 1",
    )
    .await;
    assert_eq!(group[0]["members"], json!(["user:default/jane"]));
    // A group without members is still a group: a review-less service too (checked, none).
    let fraud = rows(
        &lake,
        "SELECT production, review_source FROM assets WHERE name = 'fraud-scoring'",
    )
    .await;
    assert_eq!(fraud[0]["production"], false);
}

#[tokio::test]
async fn bad_entities_are_quarantined_with_their_place_and_reason_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("catalog-info.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: good\nspec:\n  owner: team-a\n  lifecycle: production\n---\n\
         apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  title: no name\n---\n\
         apiVersion: backstage.io/v1alpha1\nkind: Widget\nmetadata:\n  name: odd\n---\n\
         kind: [unclosed\n---\n# nothing but a comment\n",
    )
    .unwrap();
    let lake = Lake::open("memory://").unwrap();
    let summary = IngestRun::new(lake.clone(), "backstage", "repo", &Map::new())
        .unwrap()
        .ingest_paths(&[dir.path().to_path_buf()])
        .await
        .unwrap();
    assert_eq!((summary.records, summary.quarantined), (1, 3));
    let bad: std::collections::BTreeMap<String, String> =
        rows(&lake, "SELECT location, reason FROM _quarantine")
            .await
            .iter()
            .map(|r| {
                (
                    r["location"].as_str().unwrap().to_string(),
                    r["reason"].as_str().unwrap().to_string(),
                )
            })
            .collect();
    let file = dir.path().join("catalog-info.yaml").display().to_string();
    let at = |line: u32| bad[&format!("{file}:{line}")].clone();
    assert_eq!(at(9), "the entity has no `metadata.name`");
    assert!(
        at(14).starts_with("unknown entity kind 'widget'"),
        "{bad:?}"
    );
    assert!(at(19).starts_with("not valid YAML"), "{bad:?}");
    let good = rows(&lake, "SELECT asset_id, production FROM assets").await;
    assert_eq!(good[0]["asset_id"], "component:default/good");
    assert_eq!(good[0]["production"], true);
}

#[tokio::test]
async fn the_catalog_api_is_paged_by_cursor_or_offset_and_every_pull_is_a_new_snapshot() {
    for (endpoint, pages, size, entities) in [
        (
            "by-query",
            vec![
                (
                    "/api/catalog/entities/by-query",
                    "1",
                    "backstage/by-query-1.json",
                ),
                (
                    "/api/catalog/entities/by-query",
                    "eyJsaW1pdCI6Miwib2Zmc2V0IjoyfQ",
                    "backstage/by-query-2.json",
                ),
                (
                    "/api/catalog/entities/by-query",
                    "eyJsaW1pdCI6Miwib2Zmc2V0Ijo0fQ",
                    "backstage/by-query-3.json",
                ),
            ],
            2,
            5,
        ),
        (
            "entities",
            vec![
                ("/api/catalog/entities", "0", "backstage/entities-0.json"),
                ("/api/catalog/entities", "3", "backstage/entities-3.json"),
            ],
            3,
            4,
        ),
    ] {
        let mut routes = replay::Routes::default();
        for (path, page, file) in &pages {
            routes.add(path, page, json_page(file));
        }
        let server = replay::ReplayServer::start(routes).await;
        let mut settings = review_annotation();
        settings.insert(
            "api".into(),
            json!({"url": server.base, "endpoint": endpoint, "page_size": size,
                "filters": ["kind=component,group,user,location"]}),
        );
        let lake = Lake::open("memory://").unwrap();
        let run = || IngestRun::new(lake.clone(), "backstage", "catalog", &settings).unwrap();
        let first = run().pull().await.unwrap();
        let log = server.log.lock().unwrap().clone();
        assert_eq!(first.pages, pages.len() as u64, "{endpoint}: {log:?}");
        assert!(log[0].contains("filter=kind%3Dcomponent"), "{}", log[0]);
        if endpoint == "by-query" {
            assert!(
                !log[1].contains("filter="),
                "a cursor carries the query: {}",
                log[1]
            );
        }
        // Jane is an entity and a person.
        assert_eq!(
            (first.records, first.quarantined),
            (entities + 1, 0),
            "{endpoint}"
        );
        let second = run().pull().await.unwrap();
        assert_eq!(
            second.tables["assets"].added, entities,
            "{endpoint}: a new snapshot"
        );
        let snapshots = rows(
            &lake,
            "SELECT event_time, COUNT(*) AS n, COUNT(DISTINCT source_ref) AS refs FROM assets
             GROUP BY event_time ORDER BY event_time",
        )
        .await;
        assert_eq!(
            snapshots.len(),
            2,
            "{endpoint}: one instant per pull, {snapshots:?}"
        );
        assert!(
            snapshots.iter().all(|s| s["n"] == json!(entities)),
            "{snapshots:?}"
        );
        let people = rows(&lake, "SELECT COUNT(*) AS n FROM people").await;
        assert_eq!(people[0]["n"], 2, "{endpoint}: jane, once per snapshot");
    }
}

#[tokio::test]
async fn every_aws_config_fixture_ingests() {
    let lake = Lake::open("memory://").unwrap();
    let summary = IngestRun::new(lake.clone(), "aws-config", "config", &Map::new())
        .unwrap()
        .ingest_paths(&[fixtures("aws-config")])
        .await
        .unwrap();
    // The rule event's item and the history's two; the select result has no identity.
    assert_eq!(
        (summary.files, summary.records, summary.quarantined),
        (3, 3, 1)
    );
    let items = rows(
        &lake,
        "SELECT asset_id, asset_type, name, status, account, region, version, tags, environment,
           production, CAST(event_time AS VARCHAR) AS t
         FROM assets ORDER BY event_time",
    )
    .await;
    assert_eq!(items.len(), 3);
    assert_eq!(
        items[0]["asset_id"],
        "aws:644160558196:us-east-1:AWS::EC2::SecurityGroup:sg-a38ed1de"
    );
    assert_eq!(items[0]["t"], "2016-12-11T06:04:02.376Z");
    assert_eq!(items[1]["t"], "2016-12-11T06:04:03.800Z");
    assert_eq!(items[1]["version"], "1481454243800");
    assert_eq!(items[1]["status"], "ResourceDiscovered");
    assert_eq!(
        items[1]["tags"],
        json!(["App=blue-moon", "NetworkLocation=DMZ"])
    );
    let elb = &items[2];
    assert_eq!(
        elb["asset_type"],
        "AWS::ElasticLoadBalancingV2::LoadBalancer"
    );
    assert_eq!(elb["name"], "test");
    assert_eq!(elb["status"], "OK");
    assert_eq!(elb["account"], "644160558196");
    assert_eq!(elb["region"], "us-east-1");
    assert_eq!(elb["environment"], "Dev");
    assert_eq!(elb["production"], false);
    assert_eq!(elb["t"], "2018-09-14T10:38:48.177Z");
    let bad = rows(&lake, "SELECT location, reason FROM _quarantine").await;
    assert!(
        bad[0]["location"]
            .as_str()
            .unwrap()
            .ends_with("SelectResourceConfig_lambda.placebo.json#/0/data/Results/0"),
        "{bad:?}"
    );
    assert!(
        bad[0]["reason"]
            .as_str()
            .unwrap()
            .contains("must select resourceType"),
        "{bad:?}"
    );
}

/// A `.json.gz` delivery file of `items` at `path` under `root`.
fn delivery(root: &Path, path: &str, items: Value) {
    let file = root.join(path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(file).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all(
        &serde_json::to_vec(&json!({"fileVersion": "1.0", "configurationItems": items})).unwrap(),
    )
    .unwrap();
    gz.finish().unwrap();
}

fn config_item(id: &str, at: &str, state: u64, status: &str) -> Value {
    json!({
        "configurationItemVersion": "1.3", "configurationItemCaptureTime": at,
        "configurationStateId": state, "awsAccountId": "111122223333",
        "configurationItemStatus": status, "resourceType": "AWS::S3::Bucket",
        "resourceId": id, "resourceName": id, "ARN": format!("arn:aws:s3:::{id}"),
        "awsRegion": "eu-west-1", "availabilityZone": "Regional", "configurationStateMd5Hash": "",
        "tags": {"team": "payments", "environment": "prod", "service": "checkout"},
        "relationships": [], "configuration": {"name": id}, "supplementaryConfiguration": {},
    })
}

#[tokio::test]
async fn delivery_files_under_a_prefix_in_the_s3_layout_are_read_once() {
    let bucket = tempfile::tempdir().unwrap();
    let base = "AWSLogs/111122223333/Config/eu-west-1/2026/11/2";
    delivery(
        bucket.path(),
        &format!(
            "{base}/ConfigHistory/111122223333_Config_eu-west-1_ConfigHistory_AWS::S3::Bucket_20261102T000000Z_20261102T060000Z_1.json.gz"
        ),
        json!([
            config_item(
                "receipts",
                "2026-11-02T01:00:00.000Z",
                1_762_045_200_000,
                "ResourceDiscovered"
            ),
            config_item(
                "exports",
                "2026-11-02T02:00:00.000Z",
                1_762_048_800_000,
                "ResourceDiscovered"
            ),
        ]),
    );
    // The day's snapshot repeats the items: the same state is one row.
    delivery(
        bucket.path(),
        &format!(
            "{base}/ConfigSnapshot/111122223333_Config_eu-west-1_ConfigSnapshot_20261102T120000Z_5d1c.json.gz"
        ),
        json!([config_item(
            "receipts",
            "2026-11-02T01:00:00.000Z",
            1_762_045_200_000,
            "ResourceDiscovered"
        )]),
    );
    let url = format!("file://{}", bucket.path().join("AWSLogs").display());
    let lake = Lake::open("memory://").unwrap();
    let run = || IngestRun::new(lake.clone(), "aws-config", "config", &Map::new()).unwrap();
    let first = run().ingest_paths(&[PathBuf::from(&url)]).await.unwrap();
    assert_eq!((first.files, first.records, first.quarantined), (2, 3, 0));
    assert_eq!(first.tables["assets"].added, 2);
    let owner = rows(
        &lake,
        "SELECT owner, workload, production FROM assets WHERE name = 'receipts'",
    )
    .await;
    assert_eq!(owner[0]["owner"], "group:default/payments");
    assert_eq!(owner[0]["workload"], "checkout");
    assert_eq!(owner[0]["production"], true);
    // A later day's history: the bucket deleted. Only the new file is read.
    delivery(
        bucket.path(),
        "AWSLogs/111122223333/Config/eu-west-1/2026/11/3/ConfigHistory/111122223333_Config_eu-west-1_ConfigHistory_AWS::S3::Bucket_20261103T000000Z_20261103T060000Z_1.json.gz",
        json!([config_item(
            "exports",
            "2026-11-03T01:00:00.000Z",
            1_762_131_600_000,
            "ResourceDeleted"
        )]),
    );
    let second = run().ingest_paths(&[PathBuf::from(&url)]).await.unwrap();
    assert_eq!(
        (second.files, second.unchanged_files, second.records),
        (1, 2, 1)
    );
    let states = rows(&lake, "SELECT name, status FROM assets ORDER BY event_time").await;
    let states: Vec<String> = states
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["name"].as_str().unwrap(),
                r["status"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            "receipts ResourceDiscovered",
            "exports ResourceDiscovered",
            "exports ResourceDeleted"
        ]
    );
    // A file that is not gzip after all is quarantined whole, named.
    std::fs::write(
        bucket.path().join("AWSLogs/broken.json.gz"),
        [0x1f, 0x8b, 0, 1, 2],
    )
    .unwrap();
    let third = run().ingest_paths(&[PathBuf::from(&url)]).await.unwrap();
    assert_eq!(third.quarantined, 1);
    let bad = rows(&lake, "SELECT location, reason FROM _quarantine").await;
    assert!(
        bad[0]["location"]
            .as_str()
            .unwrap()
            .ends_with("AWSLogs/broken.json.gz"),
        "{bad:?}"
    );
    assert!(
        bad[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("not valid gzip"),
        "{bad:?}"
    );
}

/// The instants of the `assets` snapshots marked complete.
async fn marked(lake: &Lake) -> Vec<String> {
    let tables = lake.existing_tables().await.unwrap();
    if !tables.iter().any(|t| t.name == "_snapshots") {
        return Vec::new();
    }
    rows(
        lake,
        "SELECT CAST(event_time AS VARCHAR) AS t FROM _snapshots WHERE table_name = 'assets'
         ORDER BY 1",
    )
    .await
    .iter()
    .map(|r| r["t"].as_str().unwrap().to_string())
    .collect()
}

#[tokio::test]
async fn a_pull_that_lost_a_page_leaves_its_snapshot_unmarked() {
    let path = "/api/catalog/entities/by-query";
    let cursor = "eyJsaW1pdCI6Miwib2Zmc2V0IjoyfQ";
    let mut routes = replay::Routes::default();
    routes.add(path, "1", json_page("backstage/by-query-1.json"));
    // An SSO proxy's login page, served with 200 in the place of page 2: the chain of cursors
    // ends there, and the entities of pages 2 and 3 are not in this pull.
    routes.add(
        path,
        cursor,
        replay::Recorded {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: b"<!DOCTYPE html><html><body>Sign in to continue</body></html>".to_vec(),
        },
    );
    routes.add(path, cursor, json_page("backstage/by-query-2.json"));
    routes.add(
        path,
        "eyJsaW1pdCI6Miwib2Zmc2V0Ijo0fQ",
        json_page("backstage/by-query-3.json"),
    );
    let server = replay::ReplayServer::start(routes).await;
    let mut settings = Map::new();
    settings.insert(
        "api".into(),
        json!({"url": server.base, "endpoint": "by-query", "page_size": 2}),
    );
    let clock = Arc::new(FixedClock::new("2026-11-10T06:00:00Z".parse().unwrap()));
    let lake = Lake::open("memory://").unwrap().with_clock(clock.clone());
    let pull = || async {
        IngestRun::new(lake.clone(), "backstage", "catalog", &settings)
            .unwrap()
            .pull()
            .await
            .unwrap()
    };
    let lost = pull().await;
    assert_eq!(
        (
            lost.pages,
            lost.records,
            lost.quarantined,
            lost.incomplete_snapshots
        ),
        (2, 2, 1, 1),
        "page 1's two entities kept, the HTML page quarantined, the assets snapshot unmarked"
    );
    assert_eq!(marked(&lake).await, Vec::<String>::new());
    clock.advance(chrono::Duration::hours(1));
    let whole = pull().await;
    assert_eq!(
        (whole.pages, whole.quarantined, whole.incomplete_snapshots),
        (3, 0, 0)
    );
    assert_eq!(marked(&lake).await, ["2026-11-10T07:00:00Z"]);
}

#[tokio::test]
async fn an_archived_snapshot_with_a_broken_page_is_not_marked_and_the_others_are() {
    let dir = tempfile::tempdir().unwrap();
    let pages = ["backstage/by-query-1.json", "backstage/by-query-2.json"];
    archive(dir.path(), "2026-11-01T06:00:00Z", &pages);
    archive(dir.path(), "2026-11-02T06:00:00Z", &pages);
    // The second day's second page was cut off while it was being copied.
    let cut = dir.path().join("2026-11-02T06:00:00Z/page-2.json");
    let text = std::fs::read(&cut).unwrap();
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    let lake = Lake::open("memory://").unwrap();
    let summary = IngestRun::new(lake.clone(), "backstage", "catalog", &Map::new())
        .unwrap()
        .ingest_paths(&[dir.path().to_path_buf()])
        .await
        .unwrap();
    // The cut page held the day's only person: that day has assets rows, none marked.
    assert_eq!((summary.quarantined, summary.incomplete_snapshots), (1, 1));
    assert_eq!(marked(&lake).await, ["2026-11-01T06:00:00Z"]);
}

#[tokio::test]
async fn a_blank_owner_is_no_owner_and_a_blank_tag_gives_way_to_the_next() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("catalog-info.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: blank\nspec:\n  owner: ''\n  lifecycle: production\n---\n\
         apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: spaces\nspec:\n  owner: '  '\n  lifecycle: production\n",
    )
    .unwrap();
    let mut untagged = config_item("logs", "2026-11-02T01:00:00.000Z", 1, "ResourceDiscovered");
    untagged["tags"] = json!({"Owner": "", "team": "payments", "environment": " "});
    let mut blank = config_item("cache", "2026-11-02T01:00:00.000Z", 2, "ResourceDiscovered");
    blank["tags"] = json!({"owner": "", "environment": "prod"});
    delivery(
        dir.path(),
        "config/111122223333_Config_eu-west-1_ConfigHistory_AWS::S3::Bucket_20261102T000000Z_20261102T060000Z_1.json.gz",
        json!([untagged, blank]),
    );
    let lake = Lake::open("memory://").unwrap();
    for (kind, path) in [
        ("backstage", dir.path().join("catalog-info.yaml")),
        ("aws-config", dir.path().join("config")),
    ] {
        IngestRun::new(lake.clone(), kind, kind, &Map::new())
            .unwrap()
            .ingest_paths(&[path])
            .await
            .unwrap();
    }
    let owners = rows(
        &lake,
        "SELECT name, owner, environment FROM assets ORDER BY name",
    )
    .await;
    assert_eq!(
        owners,
        [
            json!({"name": "blank"}),
            json!({"name": "cache", "environment": "prod"}),
            json!({"name": "logs", "owner": "group:default/payments"}),
            json!({"name": "spaces"}),
        ]
        .map(|v| v.as_object().unwrap().clone())
    );
}

#[tokio::test]
async fn a_saved_response_that_names_no_instant_is_refused_saying_how_to_name_it() {
    let dir = tempfile::tempdir().unwrap();
    let latest = dir.path().join("latest");
    std::fs::create_dir_all(&latest).unwrap();
    std::fs::copy(
        data("backstage/by-query-1.json"),
        latest.join("page-1.json"),
    )
    .unwrap();
    let lake = Lake::open("memory://").unwrap();
    let summary = IngestRun::new(lake.clone(), "backstage", "catalog", &Map::new())
        .unwrap()
        .ingest_paths(&[dir.path().to_path_buf()])
        .await
        .unwrap();
    assert_eq!((summary.records, summary.quarantined), (0, 1));
    let bad = rows(&lake, "SELECT location, reason FROM _quarantine").await;
    assert_eq!(
        bad[0]["location"],
        json!(latest.join("page-1.json").display().to_string())
    );
    assert!(
        bad[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("a saved catalog response must name its snapshot instant in its path"),
        "{bad:?}"
    );
    assert_eq!(marked(&lake).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_lost_file_unmarks_only_its_own_snapshot_and_an_odd_entity_none() {
    let dir = tempfile::tempdir().unwrap();
    let pages = ["backstage/by-query-1.json", "backstage/by-query-2.json"];
    archive(dir.path(), "2026-11-01T06:00:00Z", &pages);
    archive(dir.path(), "2026-11-02T06:00:00Z", &pages);
    // The first day's third page is no gzip at all: refused unread, with that day's snapshot.
    std::fs::write(
        dir.path().join("2026-11-01T06:00:00Z/page-3.json.gz"),
        b"not gzip",
    )
    .unwrap();
    // The second day's third page holds an entity of a kind of the organisation's own: it is
    // quarantined, and the page, and the snapshot, are whole.
    std::fs::write(
        dir.path().join("2026-11-02T06:00:00Z/page-3.json"),
        json!({"items": [{"apiVersion": "acme.io/v1", "kind": "Pipeline",
            "metadata": {"name": "nightly"}}]})
        .to_string(),
    )
    .unwrap();
    let lake = Lake::open("memory://").unwrap();
    let summary = IngestRun::new(lake.clone(), "backstage", "catalog", &Map::new())
        .unwrap()
        .ingest_paths(&[dir.path().to_path_buf()])
        .await
        .unwrap();
    assert_eq!((summary.quarantined, summary.incomplete_snapshots), (2, 1));
    assert_eq!(marked(&lake).await, ["2026-11-02T06:00:00Z"]);
}
