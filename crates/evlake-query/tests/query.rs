//! Integration tests of the query session: tables and views, named parameters, as-of
//! transaction time, the read-only guard, and the memory and time limits.

use std::sync::Arc;
use std::time::Duration;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use chrono::{DateTime, Utc};
use evlake_core::FixedClock;
use evlake_query::{Error, OutputFormat, ParamValues, QuerySession, ScalarValue, render_batches};
use evlake_store::Lake;

fn t(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// `access_log` rows: request `i` at `start + i` hours, taking `i` ms.
fn requests(ids: std::ops::Range<i64>, start: DateTime<Utc>) -> RecordBatch {
    let schema = evlake_core::tables::get("access_log")
        .unwrap()
        .input_schema();
    let n = ids.clone().count();
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| -> ArrayRef {
            match f.name().as_str() {
                "event_time" => Arc::new(
                    TimestampMicrosecondArray::from(
                        ids.clone()
                            .map(|i| start.timestamp_micros() + i * 3_600_000_000)
                            .collect::<Vec<_>>(),
                    )
                    .with_timezone("UTC"),
                ),
                "source_id" => Arc::new(StringArray::from(
                    ids.clone().map(|i| format!("req-{i}")).collect::<Vec<_>>(),
                )),
                "status" => Arc::new(Int64Array::from(vec![200; n])),
                "duration_ms" => Arc::new(Int64Array::from(ids.clone().collect::<Vec<_>>())),
                "principal" => Arc::new(StringArray::from(vec!["auditor"; n])),
                name if !f.is_nullable() => {
                    Arc::new(StringArray::from(vec![format!("{name}-x"); n]))
                }
                _ => Arc::new(StringArray::from(vec![None::<&str>; n])),
            }
        })
        .collect();
    RecordBatch::try_new(schema, columns).unwrap()
}

fn count(batches: &[RecordBatch]) -> i64 {
    batches[0]
        .column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
        .value(0)
}

#[tokio::test]
async fn named_parameters_views_and_empty_tables() {
    let lake = Lake::open("memory://").unwrap();
    lake.append(
        "access_log",
        vec![requests(0..48, t("2026-11-01T00:00:00Z"))],
    )
    .unwrap()
    .execute()
    .await
    .unwrap();
    let session = QuerySession::builder(lake).build().await.unwrap();

    let params = ParamValues::from(vec![
        (
            "as_of",
            ScalarValue::TimestampMicrosecond(
                Some(t("2026-11-01T23:59:59Z").timestamp_micros()),
                Some("UTC".into()),
            ),
        ),
        ("min_ms", ScalarValue::Int64(Some(10))),
    ]);
    let sql =
        "SELECT count(*) FROM access_log WHERE event_time <= $as_of AND duration_ms >= $min_ms";
    assert_eq!(count(&session.query(sql, &params).await.unwrap()), 14);
    // The shared views of queries/views/ are registered, over empty tables too.
    assert_eq!(
        count(
            &session
                .user_query("SELECT count(*) FROM prod_deploy_attempts")
                .await
                .unwrap()
        ),
        0
    );
    // A table never ingested is there, empty: "no rows", not "no table".
    assert_eq!(
        count(
            &session
                .user_query("SELECT count(*) FROM ci_jobs")
                .await
                .unwrap()
        ),
        0
    );
    let versions = session.lake_versions();
    let access = versions.iter().find(|v| v.table == "access_log").unwrap();
    assert_eq!(access.version, Some(1));
    assert_eq!(access.chain_head.as_ref().map(String::len), Some(64));
    assert!(
        versions
            .iter()
            .find(|v| v.table == "ci_jobs")
            .unwrap()
            .version
            .is_none()
    );

    let err = session
        .query(sql, &ParamValues::from(Vec::<(&str, ScalarValue)>::new()))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("as_of"), "a missing parameter is named: {err}");
}

#[tokio::test]
async fn user_sql_is_read_only() {
    let lake = Lake::open("memory://").unwrap();
    lake.append(
        "access_log",
        vec![requests(0..3, t("2026-11-01T00:00:00Z"))],
    )
    .unwrap()
    .execute()
    .await
    .unwrap();
    let session = QuerySession::builder(lake).build().await.unwrap();
    for sql in [
        "INSERT INTO access_log SELECT * FROM access_log",
        "CREATE TABLE copy AS SELECT * FROM access_log",
        "CREATE EXTERNAL TABLE passwd (line VARCHAR) STORED AS CSV LOCATION '/etc/passwd'",
        "COPY access_log TO '/tmp/evlake-exfiltrated.parquet'",
        "DROP TABLE access_log",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM '/etc/passwd'",
    ] {
        let err = session.user_query(sql).await.unwrap_err();
        assert!(matches!(err, Error::ReadOnly { .. }), "{sql}: {err}");
        assert!(
            err.to_string().contains("evlake SQL is read-only"),
            "{sql}: {err}"
        );
    }
    assert!(!std::path::Path::new("/tmp/evlake-exfiltrated.parquet").exists());
    assert_eq!(
        count(
            &session
                .user_query("SELECT count(*) FROM access_log")
                .await
                .unwrap()
        ),
        3
    );
}

#[tokio::test]
async fn a_query_over_the_memory_limit_fails_clearly() {
    let session = QuerySession::builder(Lake::open("memory://").unwrap())
        .with_memory_limit(1 << 20)
        .build()
        .await
        .unwrap();
    let sql = "SELECT value % 500000 AS k, count(*) AS n FROM generate_series(1, 3000000) GROUP BY k ORDER BY n DESC";
    let err = session.user_query(sql).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::MemoryLimit {
                limit_bytes: 1048576,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("memory"), "{err}");
}

#[tokio::test]
async fn a_query_past_the_time_limit_is_cancelled() {
    let session = QuerySession::builder(Lake::open("memory://").unwrap())
        .with_timeout(Duration::from_millis(200))
        .build()
        .await
        .unwrap();
    let err = session
        .user_query("SELECT sum(value * value) FROM generate_series(1, 5000000000)")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err}");
    assert!(err.to_string().contains("time limit of 0.2s"), "{err}");
}

#[tokio::test]
async fn results_render_for_terminals_machines_and_reports() {
    let lake = Lake::open("memory://").unwrap();
    lake.append(
        "access_log",
        vec![requests(0..2, t("2026-11-01T00:00:00Z"))],
    )
    .unwrap()
    .execute()
    .await
    .unwrap();
    let session = QuerySession::builder(lake).build().await.unwrap();
    let rows = session
        .user_query("SELECT source_id, duration_ms FROM access_log ORDER BY source_id")
        .await
        .unwrap();
    assert_eq!(
        render_batches(&rows, OutputFormat::Csv).unwrap(),
        "source_id,duration_ms\nreq-0,0\nreq-1,1\n"
    );
}

/// Files the Delta scan read, from `EXPLAIN ANALYZE`.
async fn files_scanned(session: &QuerySession, sql: &str) -> u64 {
    let plan = session
        .user_query(&format!("EXPLAIN ANALYZE {sql}"))
        .await
        .unwrap();
    let text = render_batches(&plan, OutputFormat::Csv).unwrap();
    let (_, rest) = text
        .split_once("count_files_scanned=")
        .expect("a Delta scan in the plan");
    rest.chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn partition_values_and_file_statistics_prune_the_scan() {
    let lake = Lake::open("memory://").unwrap();
    // Three days, one file each.
    lake.append(
        "access_log",
        vec![requests(0..72, t("2026-11-01T00:00:00Z"))],
    )
    .unwrap()
    .execute()
    .await
    .unwrap();
    let session = QuerySession::builder(lake).build().await.unwrap();
    let all = "SELECT max(duration_ms) FROM access_log";
    assert_eq!(files_scanned(&session, all).await, 3);
    let by_partition =
        "SELECT max(duration_ms) FROM access_log WHERE event_date = DATE '2026-11-02'";
    assert_eq!(files_scanned(&session, by_partition).await, 1);
    let by_time = "SELECT max(duration_ms) FROM access_log WHERE event_time >= TIMESTAMP '2026-11-03T06:00:00Z'";
    assert_eq!(files_scanned(&session, by_time).await, 1);
    let rows = session.user_query(by_time).await.unwrap();
    assert_eq!(
        render_batches(&rows, OutputFormat::Csv).unwrap(),
        "max(access_log.duration_ms)\n71\n"
    );
}

#[tokio::test]
async fn a_question_over_an_empty_lake_is_no_data() {
    let lake = Lake::open("memory://")
        .unwrap()
        .with_clock(Arc::new(FixedClock::new(t("2026-11-22T12:00:00Z"))));
    let session = QuerySession::builder(lake).build().await.unwrap();
    let answer = session.ask("q1", None, None).await.unwrap();
    assert_eq!(answer.verdict, evlake_query::Verdict::NoData);
    assert_eq!(answer.level, 0);
    assert_eq!(answer.as_of, t("2026-11-22T12:00:00Z"));
    assert_eq!(answer.window_start, t("2026-11-15T12:00:00Z"));
    assert!(answer.evidence.is_empty());
    assert_eq!(answer.metrics["prod_deploys"], 0);
    assert!(answer.metrics["sast_coverage"].is_null());
    assert_eq!(answer.metrics["sources_missing"], 1);
    assert_eq!(answer.metrics["sources_missing_names"], "ci_jobs");
    assert_eq!(answer.metrics["sources_stale"], 0);
    assert!(
        answer
            .sql
            .contains("prod_deploy_attempts AS (\n-- queries/views/")
    );
    assert!(
        answer
            .sql
            .contains("-- metrics: queries/q1_sast_blocked_deploy.metrics.sql")
    );
    let q2 = session.ask("q2", None, None).await.unwrap();
    assert_eq!((q2.verdict, q2.level), (evlake_query::Verdict::NoData, 0));
    assert_eq!(q2.window_start, t("2026-10-23T12:00:00Z"));
    assert_eq!(q2.metrics["alerts"], 0);
    assert_eq!(q2.metrics["sources_missing"], 2);
    assert_eq!(
        q2.metrics["sources_missing_names"],
        "runtime_alerts, incidents"
    );
    assert!(
        q2.sql
            .contains("runtime_alert_incidents AS (\n-- queries/views/")
    );
    let err = session.ask("q7", None, None).await.unwrap_err().to_string();
    assert!(err.contains("no question 'q7'"), "{err}");
}
