//! Runtime detections: Falco and Tetragon fixtures, growing and rotated files, bad lines.

use std::io::Write;

use evlake_ingest::IngestRun;
use evlake_store::Lake;
use serde_json::{Map, json};

use super::{fixtures, rows};

#[tokio::test]
async fn every_falco_fixture_ingests() {
    let lake = Lake::open("memory://").unwrap();
    let run = IngestRun::new(lake.clone(), "falco", "falco", &Map::new()).unwrap();
    let summary = run.ingest_paths(&[fixtures("falco")]).await.unwrap();
    assert_eq!(
        (summary.files, summary.records, summary.quarantined),
        (1, 8, 0)
    );
    assert_eq!(summary.tables["runtime_alerts"].added, 8);
    let alerts = rows(
        &lake,
        "SELECT rule, priority, workload, process, engine, CAST(event_time AS VARCHAR) AS t, source_ref
         FROM runtime_alerts ORDER BY event_time LIMIT 1",
    )
    .await;
    assert_eq!(alerts[0]["rule"], "open_from_cat");
    assert_eq!(alerts[0]["priority"], "warning");
    assert_eq!(alerts[0]["workload"], "host:test-falco-hostname");
    assert_eq!(alerts[0]["process"], "cat /dev/null");
    assert_eq!(alerts[0]["engine"], "falco");
    assert!(
        alerts[0]["t"]
            .as_str()
            .unwrap()
            .starts_with("2016-08-04T16:17:57.881781"),
        "{alerts:?}"
    );
    assert!(
        alerts[0]["source_ref"]
            .as_str()
            .unwrap()
            .ends_with("falco_json_output_open_from_cat.jsonl:1")
    );
    // Nothing changed: the stored offset is the end of the file.
    let again = run.ingest_paths(&[fixtures("falco")]).await.unwrap();
    assert_eq!((again.files, again.unchanged_files, again.bytes), (0, 1, 0));

    // A priority floor leaves the warnings out, counted as skipped.
    let lake = Lake::open("memory://").unwrap();
    let settings = Map::from_iter([("min_priority".to_string(), json!("error"))]);
    let summary = IngestRun::new(lake, "falco", "falco", &settings)
        .unwrap()
        .ingest_paths(&[fixtures("falco")])
        .await
        .unwrap();
    assert_eq!((summary.records, summary.skipped), (0, 8));
}

#[tokio::test]
async fn tetragon_events_are_alerts_only_when_the_settings_say_so() {
    // By default only policy-named or enforced events are alerts: none of the fixtures is.
    let lake = Lake::open("memory://").unwrap();
    let summary = IngestRun::new(lake, "tetragon", "tetragon", &Map::new())
        .unwrap()
        .ingest_paths(&[fixtures("tetragon")])
        .await
        .unwrap();
    assert_eq!(
        (
            summary.files,
            summary.records,
            summary.skipped,
            summary.quarantined
        ),
        (3, 0, 5, 0)
    );

    let lake = Lake::open("memory://").unwrap();
    let settings = Map::from_iter([
        ("alert_binaries".to_string(), json!(["*/nsenter"])),
        ("alert_events".to_string(), json!(["process_kprobe"])),
    ]);
    let summary = IngestRun::new(lake.clone(), "tetragon", "tetragon", &settings)
        .unwrap()
        .ingest_paths(&[fixtures("tetragon")])
        .await
        .unwrap();
    assert_eq!(
        (summary.records, summary.skipped, summary.quarantined),
        (2, 3, 0)
    );
    let alerts = rows(
        &lake,
        "SELECT rule, namespace, pod, image_digest, workload, process, priority FROM runtime_alerts ORDER BY event_time",
    )
    .await;
    assert_eq!(alerts[0]["rule"], "process_kprobe:__x64_sys_write");
    assert_eq!(alerts[0]["namespace"], "tenant-jobs");
    assert_eq!(alerts[0]["process"], "/usr/bin/vi /etc/passwd");
    assert_eq!(alerts[1]["rule"], "process_exec:/usr/bin/nsenter");
    assert_eq!(
        alerts[1]["workload"],
        "default/privileged-pod nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31"
    );
    assert_eq!(
        alerts[1]["image_digest"],
        "sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31"
    );
    assert_eq!(alerts[1]["priority"], "warning");

    // An event the settings call an alert but that has no time is quarantined, by line.
    let lake = Lake::open("memory://").unwrap();
    let settings = Map::from_iter([("alert_events".to_string(), json!(["process_exec"]))]);
    let file = fixtures("tetragon").join("tetragon_testdata_events.jsonl");
    let summary = IngestRun::new(lake.clone(), "tetragon", "tetragon", &settings)
        .unwrap()
        .ingest_paths(&[file])
        .await
        .unwrap();
    assert_eq!((summary.records, summary.quarantined), (2, 1));
    let bad = rows(&lake, "SELECT location, reason FROM _quarantine").await;
    assert!(
        bad[0]["location"]
            .as_str()
            .unwrap()
            .ends_with("tetragon_testdata_events.jsonl:1")
    );
    assert_eq!(bad[0]["reason"], "required field 'time' is missing");
}

fn falco_line(n: u32, pod: &str) -> String {
    format!(
        "{{\"uuid\":\"00000000-0000-4000-8000-{n:012}\",\"hostname\":\"node-1\",\"output\":\"shell (k8s.pod={pod})\",\"priority\":\"Notice\",\"rule\":\"Terminal shell in container\",\"source\":\"syscall\",\"tags\":[\"shell\"],\"time\":\"2026-11-20T10:00:{n:02}.000000000Z\",\"output_fields\":{{\"k8s.ns.name\":\"payments\",\"k8s.pod.name\":\"{pod}\",\"container.image.repository\":\"ghcr.io/acme/payments\",\"container.image.tag\":\"1.4.2\",\"proc.cmdline\":\"bash\"}}}}\n"
    )
}

#[tokio::test]
async fn a_growing_falco_file_is_read_on_from_its_offset_and_a_rotated_one_is_not_reread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("falco.log");
    let lake = Lake::open("memory://").unwrap();
    let run = IngestRun::new(lake.clone(), "falco", "falco", &Map::new()).unwrap();
    let count = |lake: Lake| async move {
        rows(&lake, "SELECT COUNT(*) AS n FROM runtime_alerts").await[0]["n"].clone()
    };

    // Three whole lines and half of a fourth, as Falco leaves the file mid-write.
    let fourth = falco_line(4, "payments-1");
    let (head, tail) = fourth.split_at(60);
    let mut file = std::fs::File::create(&path).unwrap();
    for n in 1..=3 {
        file.write_all(falco_line(n, "payments-1").as_bytes())
            .unwrap();
    }
    file.write_all(head.as_bytes()).unwrap();
    file.flush().unwrap();
    let first = run.ingest_paths(&[dir.path().to_path_buf()]).await.unwrap();
    assert_eq!((first.records, first.quarantined), (3, 0));

    // The writer finishes the line, then a bad line and a fifth arrive.
    file.write_all(tail.as_bytes()).unwrap();
    file.write_all(b"{\"rule\": \"cut short\n").unwrap();
    file.write_all(falco_line(5, "payments-1").as_bytes())
        .unwrap();
    file.flush().unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    let second = run.ingest_paths(&[dir.path().to_path_buf()]).await.unwrap();
    assert_eq!((second.records, second.quarantined), (2, 1));
    assert_eq!(
        second.tables["runtime_alerts"].duplicates, 0,
        "nothing read twice"
    );
    assert!(second.bytes < size, "{} of {size} bytes read", second.bytes);
    assert_eq!(count(lake.clone()).await, json!(5));
    let bad = rows(&lake, "SELECT location, reason, raw FROM _quarantine").await;
    assert!(
        bad[0]["location"]
            .as_str()
            .unwrap()
            .ends_with("falco.log:5"),
        "{bad:?}"
    );
    assert!(
        bad[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("not valid JSON")
    );

    // Rotation: the file is renamed and a new one started at the same path.
    std::fs::rename(&path, dir.path().join("falco.log.1")).unwrap();
    let mut file = std::fs::File::create(&path).unwrap();
    for n in 6..=7 {
        file.write_all(falco_line(n, "payments-2").as_bytes())
            .unwrap();
    }
    file.flush().unwrap();
    let third = run.ingest_paths(&[dir.path().to_path_buf()]).await.unwrap();
    assert_eq!(
        (third.files, third.unchanged_files, third.records),
        (1, 1, 2),
        "the rotated file is known by its inode and first line"
    );
    assert_eq!(third.tables["runtime_alerts"].duplicates, 0);
    let alerts = rows(
        &lake,
        "SELECT alert_id, workload, container_image FROM runtime_alerts ORDER BY alert_id DESC LIMIT 1",
    )
    .await;
    assert_eq!(
        alerts[0],
        Map::from_iter([
            (
                "alert_id".to_string(),
                json!("00000000-0000-4000-8000-000000000007")
            ),
            (
                "workload".to_string(),
                json!("payments/payments-2 ghcr.io/acme/payments:1.4.2")
            ),
            (
                "container_image".to_string(),
                json!("ghcr.io/acme/payments:1.4.2")
            ),
        ])
    );
}

#[tokio::test]
async fn falco_objects_under_a_prefix_are_read_whole_and_once() {
    let bucket = tempfile::tempdir().unwrap();
    let prefix = bucket.path().join("falco/2026/11");
    std::fs::create_dir_all(&prefix).unwrap();
    std::fs::write(
        prefix.join("a.jsonl"),
        falco_line(1, "web-1") + &falco_line(2, "web-1"),
    )
    .unwrap();
    // An object cannot grow: a value it leaves unfinished is bad, not pending.
    let cut = falco_line(4, "web-2");
    std::fs::write(prefix.join("b.jsonl"), falco_line(3, "web-2") + &cut[..40]).unwrap();
    let url = format!("file://{}", bucket.path().join("falco").display());
    let lake = Lake::open("memory://").unwrap();
    let run = IngestRun::new(lake.clone(), "falco", "falco", &Map::new()).unwrap();
    let first = run.ingest_paths(&[url.clone().into()]).await.unwrap();
    assert_eq!((first.files, first.records, first.quarantined), (2, 3, 1));
    let bad = rows(&lake, "SELECT location, reason FROM _quarantine").await;
    assert!(
        bad[0]["location"]
            .as_str()
            .unwrap()
            .ends_with("2026/11/b.jsonl:2"),
        "{bad:?}"
    );
    assert_eq!(bad[0]["reason"], "the input ends inside a JSON value");
    let refs = rows(
        &lake,
        "SELECT source_ref FROM runtime_alerts ORDER BY alert_id LIMIT 1",
    )
    .await;
    assert_eq!(
        refs[0]["source_ref"],
        json!(format!("{url}/2026/11/a.jsonl:1"))
    );
    let second = run.ingest_paths(&[url.into()]).await.unwrap();
    assert_eq!((second.unchanged_files, second.records), (2, 0));
}

#[tokio::test]
async fn a_last_line_its_writer_never_finished_is_quarantined_once_the_file_is_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("falco.log");
    let lake = Lake::open("memory://").unwrap();
    let run = IngestRun::new(lake.clone(), "falco", "falco", &Map::new()).unwrap();
    let line = falco_line(2, "payments-1");
    let mut file = std::fs::File::create(&path).unwrap();
    file.write_all(falco_line(1, "payments-1").as_bytes())
        .unwrap();
    file.write_all(&line.as_bytes()[..70]).unwrap();
    file.flush().unwrap();
    // Just written: the writer may still finish the line.
    let first = run.ingest_paths(&[dir.path().to_path_buf()]).await.unwrap();
    assert_eq!((first.records, first.quarantined), (1, 0));

    // Quiet for an hour (the writer died, or the file was rotated after a partial write).
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    file.set_modified(an_hour_ago).unwrap();
    let second = run.ingest_paths(&[dir.path().to_path_buf()]).await.unwrap();
    assert_eq!((second.records, second.quarantined), (0, 1));
    let bad = rows(&lake, "SELECT location, reason, raw FROM _quarantine").await;
    assert!(
        bad[0]["location"]
            .as_str()
            .unwrap()
            .ends_with("falco.log:2"),
        "{bad:?}"
    );
    let reason = bad[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("the file ends inside a JSON value and has not grown for 36")
            && reason.ends_with("s (settle_seconds 300)"),
        "{reason}"
    );
    // raw (binary) comes back hex-encoded: the 70 bytes the writer left.
    let written: String = line.as_bytes()[..70]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(bad[0]["raw"].as_str(), Some(written.as_str()));

    // Read to its end: a third run has nothing new.
    let third = run.ingest_paths(&[dir.path().to_path_buf()]).await.unwrap();
    assert_eq!((third.unchanged_files, third.quarantined), (1, 0));
}

#[tokio::test]
async fn records_and_documents_past_their_limits_are_quarantined_unparsed() {
    let dir = tempfile::tempdir().unwrap();
    let huge = format!("{{\"output\":\"{}\",\"rule\":\"x\"}}\n", "A".repeat(4096));
    std::fs::write(
        dir.path().join("falco.log"),
        [falco_line(1, "p"), huge, falco_line(2, "p")].concat(),
    )
    .unwrap();
    let config = dir.path().join("ingest.toml");
    std::fs::write(
        &config,
        "[sources.falco]\nkind = \"falco\"\npaths = [\"falco.log\"]\nmax_record_bytes = 2048\n\n\
         [sources.scans]\nkind = \"sarif\"\npaths = [\"scans\"]\nmax_document_bytes = 1000\n",
    )
    .unwrap();
    let scans = dir.path().join("scans");
    std::fs::create_dir(&scans).unwrap();
    let sarif = std::fs::read(fixtures("sarif").join("trivy_alpine-310.sarif")).unwrap();
    assert!(sarif.len() > 1000);
    std::fs::write(scans.join("big.sarif"), &sarif).unwrap();
    std::fs::write(
        scans.join("small.sarif"),
        br#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"Semgrep"}},"results":[{"ruleId":"r1","level":"error","message":{"text":"y"}}]}]}"#,
    )
    .unwrap();
    let loaded = evlake_ingest::IngestConfig::load(&config).unwrap();
    assert_eq!(loaded.sources["falco"].limits.max_record_bytes, 2048);
    assert_eq!(loaded.sources["scans"].limits.max_document_bytes, 1000);
    let lake = Lake::open("memory://").unwrap();
    let report = evlake_ingest::IngestJob::new(lake.clone(), loaded.sources.into_iter().collect())
        .run(|_| {})
        .await
        .unwrap();
    let counts: Vec<(String, u64, u64)> = report
        .summaries
        .iter()
        .map(|s| (s.source_name.clone(), s.records, s.quarantined))
        .collect();
    assert_eq!(
        counts,
        [("falco".to_string(), 2, 1), ("scans".to_string(), 1, 1)]
    );
    let bad = rows(
        &lake,
        "SELECT location, reason, length(raw) AS kept FROM _quarantine ORDER BY location",
    )
    .await;
    assert!(
        bad[0]["location"]
            .as_str()
            .unwrap()
            .ends_with("falco.log:2")
    );
    assert_eq!(
        bad[0]["reason"],
        "a record longer than 2048 bytes (max_record_bytes)"
    );
    assert!(bad[1]["location"].as_str().unwrap().ends_with("big.sarif"));
    assert_eq!(
        bad[1]["reason"],
        format!(
            "the input is {} bytes, more than max_document_bytes (1000): not read; raise the source's max_document_bytes to ingest it",
            sarif.len()
        )
    );
    assert_eq!(bad[1]["kept"], 0);
}
