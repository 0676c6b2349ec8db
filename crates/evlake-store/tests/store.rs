//! Integration tests of the lake: local directory, memory and S3 stores, de-duplication,
//! concurrent writers (tasks and processes), the hash chain and `verify`, retention properties.

mod support;

use std::sync::Arc;

use evlake_store::{FindingKind, Lake, LakeConfig, TableVersion};
use support::*;

const TABLE: &str = "iam_events";

fn expected_ids(range: std::ops::Range<u64>) -> Vec<String> {
    range.map(|i| format!("evt-{i:08}")).collect()
}

async fn append(lake: &Lake, ids: impl IntoIterator<Item = u64>) -> evlake_store::AppendOutcome {
    lake.append(TABLE, vec![iam_events(ids, t("2026-11-01T00:00:00Z"))])
        .unwrap()
        .execute()
        .await
        .unwrap()
}

/// Create, append, read back and travel in time on one lake.
async fn round_trip(lake: &Lake) {
    let first = append(lake, 0..100).await;
    assert_eq!(first.version, Some(1), "version 0 creates the table");
    assert_eq!(first.rows_added, 100);
    // 3,000 minutes from the start: the rows span three day partitions.
    let second = append(lake, (100..150).chain([2000, 3000])).await;
    assert_eq!((second.version, second.rows_added), (Some(2), 52));
    assert_eq!(second.files_added, 3, "one file per touched day");

    let mut all = expected_ids(0..150);
    all.extend(["evt-00002000".to_string(), "evt-00003000".to_string()]);
    assert_eq!(source_ids(lake, TABLE).await, all);
    assert_eq!(count_rows(lake, TABLE).await, 152);

    let v1 = lake.table(TABLE, TableVersion::Version(1)).await.unwrap();
    assert_eq!(ids_of(&v1).await, expected_ids(0..100));
    let v0 = lake.table(TABLE, TableVersion::Version(0)).await.unwrap();
    assert!(ids_of(&v0).await.is_empty());

    let summary = lake.summary(TABLE).await.unwrap();
    assert_eq!(summary.first_event, Some(t("2026-11-01T00:00:00Z")));
    assert_eq!(summary.last_event, Some(t("2026-11-03T02:00:00Z")));
    assert_eq!(
        summary.chain_head,
        lake.commit_sha256(TABLE, 2).await.unwrap()
    );
    assert!(lake.verify().await.unwrap().is_clean());
}

#[tokio::test]
async fn local_directory_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().join("lake").to_str().unwrap()).unwrap();
    round_trip(&lake).await;

    // Hive-style day partitions, zstd Parquet sorted by event time.
    let day = dir.path().join("lake/iam_events/event_date=2026-11-01");
    let file = std::fs::read_dir(&day)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let reader = parquet::file::serialized_reader::SerializedFileReader::new(
        std::fs::File::open(&file).unwrap(),
    )
    .unwrap();
    use parquet::file::reader::FileReader;
    let column = reader.metadata().row_group(0).column(0);
    assert_eq!(column.column_path().string(), "event_time");
    assert!(matches!(
        column.compression(),
        parquet::basic::Compression::ZSTD(_)
    ));
}

#[tokio::test]
async fn memory_round_trip() {
    round_trip(&Lake::open("memory://").unwrap()).await;
}

#[tokio::test]
async fn s3_round_trip_over_http_on_loopback() {
    let server = S3sServer::start().await;
    let lake = Lake::open_with_options("s3://lake/evidence", &server.options()).unwrap();
    round_trip(&lake).await;
}

#[tokio::test]
async fn tables_keep_their_history_for_the_retention_period() {
    let lake = Lake::open("memory://").unwrap();
    append(&lake, 0..10).await;
    let table = lake.table(TABLE, TableVersion::Latest).await.unwrap();
    let config = &table.snapshot().unwrap().metadata().configuration().clone();
    assert_eq!(config["delta.logRetentionDuration"], "interval 365 days");
    assert_eq!(
        config["delta.deletedFileRetentionDuration"],
        "interval 365 days"
    );
    assert_eq!(config["delta.enableExpiredLogCleanup"], "false");
    assert_eq!(
        table.snapshot().unwrap().metadata().partition_columns(),
        &vec!["event_date".to_string()]
    );
}

#[tokio::test]
async fn checkpoints_do_not_remove_old_commit_files() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap())
        .unwrap()
        .with_config(LakeConfig {
            checkpoint_interval: 2,
            ..LakeConfig::default()
        });
    let log = dir.path().join("iam_events/_delta_log");
    let two_years_ago =
        std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 366 * 86_400);
    for i in 0..6u64 {
        append(&lake, [i]).await;
        // Age every commit file past any retention, so a cleanup would take them.
        for entry in std::fs::read_dir(&log).unwrap() {
            let f = std::fs::File::options()
                .write(true)
                .open(entry.unwrap().path())
                .unwrap();
            f.set_modified(two_years_ago).unwrap();
        }
    }
    let names: Vec<String> = std::fs::read_dir(&log)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names.iter().any(|n| n.ends_with(".checkpoint.parquet")),
        "checkpoints were written: {names:?}"
    );
    for v in 0..=6 {
        assert!(
            names.contains(&format!("{v:020}.json")),
            "commit {v} kept: {names:?}"
        );
    }
    assert!(lake.verify().await.unwrap().is_clean());

    // The premise: Delta's own cleanup would have removed them had evlake let it run.
    let table = lake.table(TABLE, TableVersion::Latest).await.unwrap();
    let removed = deltalake::checkpoints::cleanup_metadata(&table, None)
        .await
        .unwrap();
    assert!(removed > 0, "expired-log cleanup removes aged commit files");
}

#[tokio::test]
async fn re_appending_the_same_records_adds_nothing() {
    let lake = Lake::open("memory://").unwrap();
    append(&lake, 0..100).await;
    let again = append(&lake, 0..100).await;
    assert_eq!(
        (again.version, again.rows_added, again.duplicates),
        (None, 0, 100)
    );
    let overlap = append(&lake, 50..150).await;
    assert_eq!((overlap.rows_added, overlap.duplicates), (50, 50));
    let within = append(&lake, [500, 500, 501]).await;
    assert_eq!((within.rows_added, within.duplicates), (2, 1));
    assert_eq!(count_rows(&lake, TABLE).await, 152);
    assert_eq!(lake.summary(TABLE).await.unwrap().version, 3);
}

#[tokio::test]
async fn a_batch_in_the_wrong_shape_is_refused_with_the_columns() {
    let lake = Lake::open("memory://").unwrap();
    let err = lake
        .append("ci_jobs", vec![iam_events(0..3, t("2026-11-01T00:00:00Z"))])
        .unwrap()
        .execute()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ci_jobs") && err.contains("expected columns"),
        "{err}"
    );
    assert!(lake.append("no_such_table", vec![]).is_err());
}

/// Two writers, overlapping ranges, many commits each: every row lands exactly once.
async fn concurrent_writers(lake: Lake) {
    let write = |lake: Lake, from: u64| async move {
        let mut retries = 0;
        for chunk in 0..8u64 {
            let start = from + chunk * 40;
            let out = lake
                .append(
                    TABLE,
                    vec![iam_events(start..start + 40, t("2026-11-01T00:00:00Z"))],
                )
                .unwrap()
                .execute()
                .await
                .unwrap();
            retries += out.retries;
        }
        retries
    };
    let (a, b) = tokio::join!(
        tokio::spawn(write(lake.clone(), 0)),
        tokio::spawn(write(lake.clone(), 160))
    );
    let retries = a.unwrap() + b.unwrap();
    assert_eq!(source_ids(&lake, TABLE).await, expected_ids(0..480));
    assert!(lake.verify().await.unwrap().is_clean());
    eprintln!("commits lost to the other writer and redone: {retries}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_tasks_append_concurrently_on_a_local_directory() {
    let dir = tempfile::tempdir().unwrap();
    concurrent_writers(Lake::open(dir.path().to_str().unwrap()).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_tasks_append_concurrently_on_s3_with_atomic_conditional_put() {
    let moto = MotoServer::start();
    let lake =
        Lake::open_with_options("s3://lake/concurrent", &s3_options(&moto.endpoint)).unwrap();
    concurrent_writers(lake).await;
}

/// Not a test on its own: the body of each writer process that
/// `two_processes_append_concurrently` starts (with `--ignored`), told where to write and
/// from which id by `EVLAKE_TEST_WRITER`.
#[tokio::test]
#[ignore = "run as a child process by two_processes_append_concurrently"]
async fn writer_process() {
    let spec = std::env::var("EVLAKE_TEST_WRITER").expect("EVLAKE_TEST_WRITER=<lake>|<first id>");
    let (path, from) = spec.split_once('|').unwrap();
    let lake = Lake::open(path).unwrap();
    let from: u64 = from.parse().unwrap();
    for chunk in 0..8u64 {
        let start = from + chunk * 40;
        append(&lake, start..start + 40).await;
    }
}

#[test]
fn two_processes_append_concurrently() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap().to_string();
    let spawn = |from: u64| {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "writer_process", "--ignored", "--nocapture"])
            .env("EVLAKE_TEST_WRITER", format!("{path}|{from}"))
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn(0), spawn(160));
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let lake = Lake::open(&path).unwrap();
        assert_eq!(source_ids(&lake, TABLE).await, expected_ids(0..480));
        assert!(lake.verify().await.unwrap().is_clean());
    });
}

/// A lake with one table of four commits (create + three appends), in a fresh directory.
async fn lake_to_tamper() -> (tempfile::TempDir, Lake) {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    append(&lake, 0..100).await;
    append(&lake, 100..200).await;
    append(&lake, 200..300).await;
    let report = lake.verify().await.unwrap();
    assert!(report.is_clean(), "{:?}", report.findings);
    assert_eq!(report.tables[0].commits, 4);
    assert_eq!(report.tables[0].data_files, 3);
    (dir, lake)
}

fn data_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let day = dir.join("iam_events/event_date=2026-11-01");
    let mut files: Vec<_> = std::fs::read_dir(day)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// What a crash between writing and committing leaves in the lake of [`lake_to_tamper`]: an
/// append attempt's record, and a data file named for the attempt (a copy of the first one).
/// Returns the record and the file.
fn plant_interrupted_append(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let attempt = "6f1d2c3b-0a9e-4f8d-b7c6-5e4d3c2b1a09";
    let pending = dir.join("iam_events/_evlake_pending");
    std::fs::create_dir_all(&pending).unwrap();
    let record = pending.join(format!("{attempt}.json"));
    std::fs::write(&record, "{}").unwrap();
    let first = &data_files(dir)[0];
    let orphan = first.with_file_name(format!("part-00000-{attempt}-c000.zstd.parquet"));
    std::fs::copy(first, &orphan).unwrap();
    (record, orphan)
}

fn kinds(report: &evlake_store::VerifyReport) -> Vec<FindingKind> {
    report.findings.iter().map(|f| f.kind).collect()
}

#[tokio::test]
async fn verify_finds_a_flipped_byte_in_a_data_file() {
    let (dir, lake) = lake_to_tamper().await;
    let file = &data_files(dir.path())[1];
    let mut bytes = std::fs::read(file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(file, bytes).unwrap();
    let report = lake.verify().await.unwrap();
    assert_eq!(kinds(&report), [FindingKind::DataFileChanged]);
    assert!(
        report.findings[0]
            .path
            .ends_with(file.file_name().unwrap().to_str().unwrap())
    );
}

#[tokio::test]
async fn verify_finds_a_deleted_data_file() {
    let (dir, lake) = lake_to_tamper().await;
    std::fs::remove_file(&data_files(dir.path())[0]).unwrap();
    assert_eq!(
        kinds(&lake.verify().await.unwrap()),
        [FindingKind::DataFileMissing]
    );
}

#[tokio::test]
async fn verify_finds_a_parquet_file_dropped_outside_any_commit() {
    let (dir, lake) = lake_to_tamper().await;
    let files = data_files(dir.path());
    std::fs::copy(
        &files[0],
        files[0].with_file_name("part-00000-injected-c000.zstd.parquet"),
    )
    .unwrap();
    let report = lake.verify().await.unwrap();
    assert_eq!(kinds(&report), [FindingKind::FileOutsideCommit]);
    assert!(report.findings[0].path.contains("injected"));
}

#[tokio::test]
async fn verify_finds_an_edited_commit_file() {
    let (dir, lake) = lake_to_tamper().await;
    // Rewrite commit 2's statistics: a change that leaves the JSON valid.
    let commit = dir
        .path()
        .join(format!("iam_events/_delta_log/{:020}.json", 2));
    let text = std::fs::read_to_string(&commit).unwrap();
    let edited = text.replacen("numRecords\\\":100", "numRecords\\\":99", 1);
    assert_ne!(edited, text, "the edit applies");
    std::fs::write(&commit, edited).unwrap();
    let report = lake.verify().await.unwrap();
    // The next commit's link, its own digest, and the statistics re-derived from its file.
    assert_eq!(
        kinds(&report),
        [
            FindingKind::CommitChanged,
            FindingKind::CommitChanged,
            FindingKind::StatsChanged
        ]
    );
    assert!(
        report.findings[0]
            .path
            .ends_with("00000000000000000002.json")
    );

    // The newest commit is covered by its own actions digest.
    let (dir, lake) = lake_to_tamper().await;
    let head = dir
        .path()
        .join(format!("iam_events/_delta_log/{:020}.json", 3));
    let text = std::fs::read_to_string(&head).unwrap();
    let (_, path) = text.split_once("\"path\":\"").unwrap();
    let current = path.split('"').next().unwrap().to_string();
    // Point the newest commit at an older data file instead of its own.
    let other = data_files(dir.path())
        .into_iter()
        .map(|p| {
            format!(
                "event_date=2026-11-01/{}",
                p.file_name().unwrap().to_str().unwrap()
            )
        })
        .find(|p| *p != current)
        .unwrap();
    let edited = text.replace(&current, &other);
    assert_ne!(edited, text, "the edit applies");
    std::fs::write(&head, edited).unwrap();
    let report = lake.verify().await.unwrap();
    assert!(
        kinds(&report).contains(&FindingKind::CommitChanged),
        "{:?}",
        report.findings
    );
}

#[tokio::test]
async fn verify_finds_a_removed_commit() {
    let (dir, lake) = lake_to_tamper().await;
    std::fs::remove_file(
        dir.path()
            .join(format!("iam_events/_delta_log/{:020}.json", 1)),
    )
    .unwrap();
    let found = kinds(&lake.verify().await.unwrap());
    assert!(found.contains(&FindingKind::CommitMissing), "{found:?}");
}

#[tokio::test]
async fn ingestion_time_comes_from_the_lake_clock() {
    let clock = Arc::new(evlake_core::FixedClock::new(t("2026-11-05T12:00:00Z")));
    let lake = Lake::open("memory://").unwrap().with_clock(clock.clone());
    append(&lake, 0..3).await;
    let table = lake.table(TABLE, TableVersion::Latest).await.unwrap();
    let out = sql(
        &table,
        "SELECT DISTINCT CAST(ingested_at AS VARCHAR) AS i, CAST(event_date AS VARCHAR) AS d FROM t",
    )
    .await;
    let text = arrow::util::pretty::pretty_format_batches(&out)
        .unwrap()
        .to_string();
    assert!(
        text.contains("2026-11-05T12:00:00Z") && text.contains("2026-11-01"),
        "{text}"
    );
}

#[tokio::test]
async fn verify_tells_an_interrupted_append_from_an_inserted_file() {
    let (dir, lake) = lake_to_tamper().await;
    let (record, _) = plant_interrupted_append(dir.path());
    let report = lake.verify().await.unwrap();
    assert_eq!(kinds(&report), [FindingKind::UncommittedWrite]);
    assert!(report.is_clean(), "no table version reads it");
    assert_eq!(count_rows(&lake, TABLE).await, 300);

    // The same name without the attempt's record is a file slipped into the table.
    std::fs::remove_file(record).unwrap();
    let report = lake.verify().await.unwrap();
    assert_eq!(kinds(&report), [FindingKind::FileOutsideCommit]);
    assert!(!report.is_clean());
}

#[tokio::test]
async fn a_finished_append_leaves_no_attempt_record() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    append(&lake, 0..10).await;
    append(&lake, 0..20).await;
    let pending = dir.path().join("iam_events/_evlake_pending");
    let left = std::fs::read_dir(&pending).map_or(0, |d| d.count());
    assert_eq!(left, 0);
}

#[tokio::test]
async fn verify_finds_decoy_commit_names_and_keeps_the_real_chain() {
    let (dir, lake) = lake_to_tamper().await;
    let head = lake.verify().await.unwrap().tables[0].chain_head.clone();
    let log = dir.path().join("iam_events/_delta_log");
    let real = log.join("00000000000000000001.json");
    for decoy in ["1.json", "+1.json", "001.json"] {
        std::fs::copy(&real, log.join(decoy)).unwrap();
    }
    let report = lake.verify().await.unwrap();
    assert_eq!(kinds(&report), [FindingKind::LogFileUnexpected; 3]);
    let mut paths: Vec<&str> = report.findings.iter().map(|f| f.path.as_str()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "_delta_log/+1.json",
            "_delta_log/001.json",
            "_delta_log/1.json"
        ]
    );
    assert_eq!(report.tables[0].commits, 4);
    assert_eq!(report.tables[0].chain_head, head);
}

#[tokio::test]
async fn verify_reports_an_unreadable_commit_and_goes_on() {
    let (dir, lake) = lake_to_tamper().await;
    let log = dir.path().join("iam_events/_delta_log");
    std::fs::write(log.join("00000000000000000003.json"), b"{not a commit\n").unwrap();
    let report = lake.verify().await.unwrap();
    // Its data file is then one no readable commit added.
    assert_eq!(
        kinds(&report),
        [
            FindingKind::CommitUnreadable,
            FindingKind::FileOutsideCommit
        ]
    );
    assert_eq!(
        report.findings[0].path,
        "_delta_log/00000000000000000003.json"
    );
    // The other commits were still checked, and their data files hashed.
    assert_eq!(report.tables[0].commits, 3);
    assert_eq!(report.tables[0].data_files, 2);
}

/// What a forger who knows the scheme does after editing a commit: recomputes its actions
/// digest, so that only the other checks can find the edit.
fn reseal(commit: &std::path::Path) {
    let text = std::fs::read_to_string(commit).unwrap();
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let actions: Vec<_> = lines
        .iter()
        .filter(|a| a.get("commitInfo").is_none())
        .cloned()
        .collect();
    let digest = evlake_store::actions_digest(&actions);
    for line in &mut lines {
        if let Some(info) = line.get_mut("commitInfo") {
            info[evlake_store::ACTIONS_KEY] = serde_json::Value::String(digest.clone());
        }
    }
    let out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    std::fs::write(commit, out.join("\n")).unwrap();
}

fn commit_file(dir: &std::path::Path, version: u64) -> std::path::PathBuf {
    dir.join(format!("iam_events/_delta_log/{version:020}.json"))
}

#[tokio::test]
async fn verify_finds_removes_appended_to_the_newest_commit() {
    let (dir, lake) = lake_to_tamper().await;
    let first = std::fs::read_to_string(commit_file(dir.path(), 1)).unwrap();
    let (_, rest) = first.split_once("\"path\":\"").unwrap();
    let hidden = rest.split('"').next().unwrap();
    let head = commit_file(dir.path(), 3);
    let mut text = std::fs::read_to_string(&head).unwrap();
    text.push_str(&format!(
        "\n{{\"remove\":{{\"path\":\"{hidden}\",\"deletionTimestamp\":1,\"dataChange\":true}}}}"
    ));
    std::fs::write(&head, text).unwrap();
    assert_eq!(count_rows(&lake, TABLE).await, 200, "the remove hides rows");
    let report = lake.verify().await.unwrap();
    assert_eq!(
        kinds(&report),
        [FindingKind::CommitChanged, FindingKind::RemoveUnexpected]
    );
    assert!(
        report.findings[1].detail.contains(hidden),
        "{:?}",
        report.findings
    );

    reseal(&head);
    let report = lake.verify().await.unwrap();
    assert_eq!(kinds(&report), [FindingKind::RemoveUnexpected]);
}

#[tokio::test]
async fn verify_re_derives_statistics_even_when_the_digest_is_recomputed() {
    let (dir, lake) = lake_to_tamper().await;
    let head = commit_file(dir.path(), 3);
    let text = std::fs::read_to_string(&head).unwrap();
    // Inflate the row count and move the time range out of every window a query asks for.
    let edited = text
        .replacen("numRecords\\\":100", "numRecords\\\":100000", 1)
        .replace("2026-11-01T", "2016-11-01T");
    assert_ne!(edited, text, "the edit applies");
    std::fs::write(&head, edited).unwrap();
    assert_eq!(
        count_rows(&lake, TABLE).await,
        100_200,
        "readers trust the stats"
    );
    let report = lake.verify().await.unwrap();
    assert_eq!(
        kinds(&report),
        [FindingKind::CommitChanged, FindingKind::StatsChanged]
    );

    reseal(&head);
    let report = lake.verify().await.unwrap();
    assert_eq!(kinds(&report), [FindingKind::StatsChanged]);
    let finding = &report.findings[0];
    assert!(
        finding.path.starts_with("event_date=2026-11-01/"),
        "{finding:?}"
    );
    assert!(
        finding.detail.contains("\"numRecords\":100,"),
        "{finding:?}"
    );
}

#[tokio::test]
async fn verify_finds_a_table_deleted_whole_or_by_its_first_commit() {
    let (dir, lake) = lake_to_tamper().await;
    let report = lake.verify().await.unwrap();
    assert_eq!(report.manifest_entries, 1);
    std::fs::remove_file(commit_file(dir.path(), 0)).unwrap();
    let report = lake.verify().await.unwrap();
    assert_eq!(kinds(&report), [FindingKind::CommitMissing]);
    assert_eq!(
        report.findings[0].path,
        "_delta_log/00000000000000000000.json"
    );

    std::fs::remove_dir_all(dir.path().join(TABLE)).unwrap();
    let report = lake.verify().await.unwrap();
    assert_eq!(kinds(&report), [FindingKind::TableMissing]);
    assert_eq!(report.findings[0].table, TABLE);
    assert!(report.tables.is_empty());
}

#[tokio::test]
async fn verify_finds_a_planted_table_and_an_edited_manifest() {
    let (source, _) = lake_to_tamper().await;
    let dir = tempfile::tempdir().unwrap();
    let copy = |from: &std::path::Path, to: &std::path::Path| {
        let status = std::process::Command::new("cp")
            .arg("-r")
            .arg(from)
            .arg(to)
            .status()
            .unwrap();
        assert!(status.success());
    };
    copy(&source.path().join(TABLE), dir.path());
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    let report = lake.verify().await.unwrap();
    assert_eq!(kinds(&report), [FindingKind::TableUnlisted]);
    assert_eq!(report.tables.len(), 1, "the planted table is still checked");
    // Ingest appends to it but does not list it: it holds evidence no creation here wrote.
    append(&lake, 300..400).await;
    let report = lake.verify().await.unwrap();
    assert_eq!(kinds(&report), [FindingKind::TableUnlisted]);
    assert_eq!(report.manifest_entries, 0);

    // A forged manifest entry naming another first commit.
    copy(&source.path().join(evlake_store::MANIFEST_DIR), dir.path());
    assert!(lake.verify().await.unwrap().is_clean());
    let entry = dir
        .path()
        .join(evlake_store::MANIFEST_DIR)
        .join(format!("{:020}.json", 0));
    let text = std::fs::read_to_string(&entry).unwrap();
    let (_, rest) = text.split_once("\"genesisSha256\":\"").unwrap();
    let genesis = &rest[..64];
    std::fs::write(&entry, text.replace(genesis, &"0".repeat(64))).unwrap();
    let report = lake.verify().await.unwrap();
    assert_eq!(kinds(&report), [FindingKind::CommitChanged]);
    assert!(
        report.findings[0].detail.contains("manifest entry 0"),
        "{:?}",
        report.findings
    );

    std::fs::write(entry.with_file_name("1.json"), "{}").unwrap();
    let found = kinds(&lake.verify().await.unwrap());
    assert_eq!(
        found,
        [FindingKind::ManifestChanged, FindingKind::CommitChanged]
    );
}

#[tokio::test]
async fn a_creation_interrupted_before_its_manifest_entry_is_listed_by_the_next_append() {
    let (source, _) = lake_to_tamper().await;
    // What a creator killed between the table's first commit and its manifest entry leaves.
    let interrupted = |edit: &dyn Fn(String) -> String| {
        let dir = tempfile::tempdir().unwrap();
        let first = commit_file(dir.path(), 0);
        std::fs::create_dir_all(first.parent().unwrap()).unwrap();
        let text = std::fs::read_to_string(commit_file(source.path(), 0)).unwrap();
        std::fs::write(&first, edit(text)).unwrap();
        let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
        (dir, lake)
    };

    let (_dir, lake) = interrupted(&|text| text);
    assert_eq!(
        kinds(&lake.verify().await.unwrap()),
        [FindingKind::TableUnlisted]
    );
    assert_eq!(append(&lake, 0..100).await.rows_added, 100);
    let report = lake.verify().await.unwrap();
    assert!(report.is_clean(), "{:?}", report.findings);
    assert_eq!(report.manifest_entries, 1);
    assert_eq!(report.tables[0].commits, 2);

    // An empty table planted with a week's log retention is no creation of this lake's.
    let (_dir, lake) = interrupted(&|text| {
        let planted = text.replace("interval 365 days", "interval 7 days");
        assert_ne!(planted, text, "the first commit holds the retention");
        planted
    });
    append(&lake, 0..100).await;
    let report = lake.verify().await.unwrap();
    assert_eq!(kinds(&report), [FindingKind::TableUnlisted]);
    assert_eq!(report.manifest_entries, 0);
}

/// The log lines of commit `version` other than its `commitInfo`.
fn actions_of(dir: &std::path::Path, version: u64) -> Vec<String> {
    std::fs::read_to_string(commit_file(dir, version))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.contains("\"commitInfo\""))
        .map(str::to_string)
        .collect()
}

/// Writes a V2 (UUID-named, JSON) checkpoint of `version` holding `lines`.
fn forge_checkpoint(dir: &std::path::Path, version: u64, lines: &[String]) -> String {
    let name = format!("{version:020}.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.json");
    let mut text = format!("{{\"checkpointMetadata\":{{\"version\":{version}}}}}\n");
    for line in lines {
        text += line;
        text += "\n";
    }
    std::fs::write(dir.join("iam_events/_delta_log").join(&name), text).unwrap();
    format!("_delta_log/{name}")
}

#[tokio::test]
async fn verify_finds_a_checkpoint_that_hides_committed_files() {
    let (dir, lake) = lake_to_tamper().await;
    // Schema and protocol from the first commit, and only the first append's file.
    let mut lines = actions_of(dir.path(), 0);
    lines.extend(actions_of(dir.path(), 1));
    let forged = forge_checkpoint(dir.path(), 3, &lines);
    assert_eq!(
        count_rows(&lake, TABLE).await,
        100,
        "readers trust the checkpoint"
    );
    let report = lake.verify().await.unwrap();
    assert_eq!(kinds(&report), [FindingKind::CheckpointChanged]);
    let finding = &report.findings[0];
    assert_eq!(finding.path, forged);
    assert!(
        finding
            .detail
            .contains("leaves out 2 of the 3 data files the commits add"),
        "{finding:?}"
    );
}

#[tokio::test]
async fn verify_finds_a_checkpoint_that_invents_rows() {
    let (dir, lake) = lake_to_tamper().await;
    // A copy that passes for an interrupted append's file.
    let (_, copy) = plant_interrupted_append(dir.path());
    let copy = copy.file_name().unwrap().to_str().unwrap();
    let mut lines: Vec<String> = (0..=3).flat_map(|v| actions_of(dir.path(), v)).collect();
    let first_add = lines
        .iter()
        .find(|l| l.contains("\"add\""))
        .unwrap()
        .clone();
    let (_, rest) = first_add.split_once("\"path\":\"").unwrap();
    let original = rest.split('"').next().unwrap();
    lines.push(first_add.replace(original, &format!("event_date=2026-11-01/{copy}")));
    forge_checkpoint(dir.path(), 3, &lines);
    assert_eq!(
        count_rows(&lake, TABLE).await,
        400,
        "readers trust the checkpoint"
    );
    let report = lake.verify().await.unwrap();
    assert_eq!(
        kinds(&report),
        [
            FindingKind::CheckpointChanged,
            FindingKind::UncommittedWrite
        ]
    );
    assert!(
        report.findings[0]
            .detail
            .contains("lists 1 data files no commit adds"),
        "{:?}",
        report.findings
    );
    assert!(!report.is_clean());
}

#[tokio::test]
async fn evlake_checkpoints_are_recorded_in_the_chain_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap())
        .unwrap()
        .with_config(LakeConfig {
            checkpoint_interval: 2,
            ..LakeConfig::default()
        });
    for i in 0..6u64 {
        append(&lake, [i]).await;
    }
    let log = dir.path().join("iam_events/_delta_log");
    // Written after commits 1, 3 and 5; the commits after 1 and 3 record them.
    for v in [1u64, 3, 5] {
        assert!(log.join(format!("{v:020}.checkpoint.parquet")).exists());
    }
    for v in [2u64, 4] {
        let text = std::fs::read_to_string(commit_file(dir.path(), v)).unwrap();
        assert!(text.contains("evlake.checkpointSha256"), "commit {v}");
    }
    let report = lake.verify().await.unwrap();
    assert!(report.is_clean(), "{:?}", report.findings);

    // A genuine checkpoint of another version in its place.
    std::fs::copy(
        log.join(format!("{:020}.checkpoint.parquet", 5)),
        log.join(format!("{:020}.checkpoint.parquet", 3)),
    )
    .unwrap();
    let report = lake.verify().await.unwrap();
    assert_eq!(
        kinds(&report),
        [
            FindingKind::CheckpointChanged,
            FindingKind::CheckpointChanged
        ]
    );
    assert!(
        report.findings[0].detail.contains("commit 4 recorded"),
        "{:?}",
        report.findings
    );
    assert!(
        report.findings[1]
            .detail
            .contains("2 data files no commit adds"),
        "{:?}",
        report.findings
    );
}

#[tokio::test]
async fn verify_finds_a_checkpoint_hint_without_a_checkpoint_and_a_forged_compaction() {
    let (dir, lake) = lake_to_tamper().await;
    let log = dir.path().join("iam_events/_delta_log");
    std::fs::write(log.join("_last_checkpoint"), r#"{"version":2,"size":4}"#).unwrap();
    let report = lake.verify().await.unwrap();
    assert_eq!(kinds(&report), [FindingKind::CheckpointChanged]);
    assert!(
        report.findings[0]
            .detail
            .contains("version 2, which has no checkpoint")
    );
    std::fs::remove_file(log.join("_last_checkpoint")).unwrap();

    // A compaction of commits 1 to 3 that drops commit 2's file.
    let mut lines = actions_of(dir.path(), 1);
    lines.extend(actions_of(dir.path(), 3));
    std::fs::write(
        log.join(format!("{:020}.{:020}.compacted.json", 1, 3)),
        lines.join("\n"),
    )
    .unwrap();
    let report = lake.verify().await.unwrap();
    assert_eq!(kinds(&report), [FindingKind::CheckpointChanged]);
    assert!(
        report.findings[0]
            .detail
            .contains("no compaction of commits 1 to 3: it leaves out 1 of the 3"),
        "{:?}",
        report.findings
    );
}

#[tokio::test]
async fn verify_finds_a_remove_hidden_beside_commit_info_in_a_chained_commit() {
    let (dir, lake) = lake_to_tamper().await;
    let first = std::fs::read_to_string(commit_file(dir.path(), 1)).unwrap();
    let (_, rest) = first.split_once("\"path\":\"").unwrap();
    let hidden = rest.split('"').next().unwrap();
    // A forger who knows the scheme: a new commit linked to the head, its digest right.
    let remove =
        serde_json::json!({"remove": {"path": hidden, "deletionTimestamp": 1, "dataChange": true}});
    let mut line = serde_json::json!({
        "commitInfo": {
            "evlake.prevCommitSha256": lake.commit_sha256(TABLE, 3).await.unwrap(),
            "evlake.actionsSha256": evlake_store::actions_digest(std::slice::from_ref(&remove)),
        }
    });
    line["remove"] = remove["remove"].clone();
    std::fs::write(commit_file(dir.path(), 4), line.to_string()).unwrap();
    let report = lake.verify().await.unwrap();
    assert_eq!(
        kinds(&report),
        [FindingKind::CommitChanged, FindingKind::RemoveUnexpected]
    );
    assert!(
        report.findings[0].detail.contains("holds 2 actions"),
        "{:?}",
        report.findings
    );
}

#[tokio::test]
async fn verify_finds_a_schema_restated_after_creation_and_a_forged_checksum() {
    let (dir, lake) = lake_to_tamper().await;
    let genesis = actions_of(dir.path(), 0);
    let metadata = genesis.iter().find(|l| l.contains("\"metaData\"")).unwrap();
    // A checksum file whose schema drops the actor column.
    let mut meta: serde_json::Value = serde_json::from_str(metadata).unwrap();
    let schema = meta["metaData"]["schemaString"]
        .as_str()
        .unwrap()
        .to_string();
    let mut parsed: serde_json::Value = serde_json::from_str(&schema).unwrap();
    parsed["fields"]
        .as_array_mut()
        .unwrap()
        .retain(|f| f["name"] != "actor");
    meta["metaData"]["schemaString"] = serde_json::Value::String(parsed.to_string());
    let crc = serde_json::json!({"tableSizeBytes": 1, "numFiles": 3, "numMetadata": 1, "numProtocol": 1, "metadata": meta["metaData"]});
    let log = dir.path().join("iam_events/_delta_log");
    std::fs::write(log.join(format!("{:020}.crc", 3)), crc.to_string()).unwrap();
    let report = lake.verify().await.unwrap();
    assert_eq!(kinds(&report), [FindingKind::CheckpointChanged]);
    assert!(
        report.findings[0].detail.contains("schema"),
        "{:?}",
        report.findings
    );
    std::fs::remove_file(log.join(format!("{:020}.crc", 3))).unwrap();

    // The same schema change as a commit of its own, chained and digested.
    let info = serde_json::json!({"commitInfo": {
        "evlake.prevCommitSha256": lake.commit_sha256(TABLE, 3).await.unwrap(),
        "evlake.actionsSha256": evlake_store::actions_digest(std::slice::from_ref(&meta)),
    }});
    std::fs::write(commit_file(dir.path(), 4), format!("{info}\n{meta}")).unwrap();
    let report = lake.verify().await.unwrap();
    assert_eq!(kinds(&report), [FindingKind::SchemaChanged]);
}

#[tokio::test]
async fn verify_finds_a_checkpoint_listing_a_file_twice() {
    let (dir, lake) = lake_to_tamper().await;
    let mut lines: Vec<String> = (0..=3).flat_map(|v| actions_of(dir.path(), v)).collect();
    let again = lines
        .iter()
        .find(|l| l.contains("\"add\""))
        .unwrap()
        .clone();
    lines.push(again);
    forge_checkpoint(dir.path(), 3, &lines);
    let report = lake.verify().await.unwrap();
    assert_eq!(kinds(&report), [FindingKind::CheckpointChanged]);
    assert!(
        report.findings[0]
            .detail
            .contains("adds 1 files more than once"),
        "{:?}",
        report.findings
    );
}

#[tokio::test]
async fn an_attempt_record_excuses_its_files_for_a_day_only() {
    let (dir, _) = lake_to_tamper().await;
    plant_interrupted_append(dir.path());
    let two_days_on = chrono::Utc::now() + chrono::TimeDelta::days(2);
    let later = Lake::open(dir.path().to_str().unwrap())
        .unwrap()
        .with_clock(Arc::new(evlake_core::FixedClock::new(two_days_on)));
    let report = later.verify().await.unwrap();
    assert_eq!(kinds(&report), [FindingKind::FileOutsideCommit]);
    assert!(report.findings[0].detail.contains("never committed"));
}
