//! Test helpers: evidence rows, and S3-compatible servers started on loopback by the test.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray};
use chrono::{DateTime, Utc};
use evlake_store::Lake;

pub const ACCESS_KEY: &str = "evlake-test";
pub const SECRET_KEY: &str = "evlake-test-secret";

pub fn t(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// `iam_events` input rows with ids `evt-<i>` for each i in `ids`, one minute apart from `start`
/// (so ids map to the same event time whatever batch they are in).
pub fn iam_events(ids: impl IntoIterator<Item = u64>, start: DateTime<Utc>) -> RecordBatch {
    let ids: Vec<u64> = ids.into_iter().collect();
    let schema = evlake_core::tables::get("iam_events")
        .unwrap()
        .input_schema();
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| -> ArrayRef {
            match f.name().as_str() {
                "event_time" => Arc::new(
                    TimestampMicrosecondArray::from(
                        ids.iter()
                            .map(|i| start.timestamp_micros() + *i as i64 * 60_000_000)
                            .collect::<Vec<_>>(),
                    )
                    .with_timezone("UTC"),
                ),
                "source" => Arc::new(StringArray::from(vec!["okta"; ids.len()])),
                "source_id" => Arc::new(StringArray::from(
                    ids.iter()
                        .map(|i| format!("evt-{i:08}"))
                        .collect::<Vec<_>>(),
                )),
                "action" => Arc::new(StringArray::from(vec![
                    "user.account.privilege.grant";
                    ids.len()
                ])),
                "raw" => Arc::new(StringArray::from(
                    ids.iter()
                        .map(|i| format!(r#"{{"uuid":"evt-{i:08}"}}"#))
                        .collect::<Vec<_>>(),
                )),
                name if !f.is_nullable() => {
                    Arc::new(StringArray::from(vec![format!("{name}-x"); ids.len()]))
                }
                _ => Arc::new(StringArray::from(vec![None::<&str>; ids.len()])),
            }
        })
        .collect();
    RecordBatch::try_new(schema, columns).unwrap()
}

/// Rows in the table's current version, read through Delta (not by listing files).
pub async fn count_rows(lake: &Lake, table: &str) -> u64 {
    lake.summary(table).await.unwrap().rows
}

/// Every `source_id` in the table's current version, read back through DataFusion.
pub async fn source_ids(lake: &Lake, table: &str) -> Vec<String> {
    let delta = lake
        .table(table, evlake_store::TableVersion::Latest)
        .await
        .unwrap();
    ids_of(&delta).await
}

pub async fn ids_of(delta: &deltalake::DeltaTable) -> Vec<String> {
    let batches = sql(delta, "SELECT source_id FROM t ORDER BY source_id").await;
    batches
        .iter()
        .flat_map(|b| {
            let text =
                arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8).unwrap();
            let a = text.as_any().downcast_ref::<StringArray>().unwrap().clone();
            (0..a.len()).map(move |i| a.value(i).to_string())
        })
        .collect()
}

/// Runs `query` over the Delta table registered as `t`.
pub async fn sql(delta: &deltalake::DeltaTable, query: &str) -> Vec<RecordBatch> {
    use deltalake::datafusion::prelude::SessionContext;
    let ctx = SessionContext::new();
    delta.update_datafusion_session(&ctx.state()).unwrap();
    ctx.register_table("t", delta.table_provider().await.unwrap())
        .unwrap();
    ctx.sql(query).await.unwrap().collect().await.unwrap()
}

/// An in-process S3 server (s3s-fs) on 127.0.0.1 with bucket `lake`. Its conditional put is
/// not atomic, so it serves protocol tests, not concurrency tests.
pub struct S3sServer {
    pub endpoint: String,
    _dir: tempfile::TempDir,
}

impl S3sServer {
    pub async fn start() -> Self {
        use hyper_util::rt::{TokioExecutor, TokioIo};
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("lake")).unwrap();
        let fs = s3s_fs::FileSystem::new(dir.path()).unwrap();
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    break;
                };
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            endpoint,
            _dir: dir,
        }
    }

    pub fn options(&self) -> HashMap<String, String> {
        s3_options(&self.endpoint)
    }
}

pub fn s3_options(endpoint: &str) -> HashMap<String, String> {
    HashMap::from([
        ("aws_endpoint".into(), endpoint.to_string()),
        ("aws_allow_http".into(), "true".into()),
        ("aws_region".into(), "us-east-1".into()),
        ("aws_access_key_id".into(), ACCESS_KEY.into()),
        ("aws_secret_access_key".into(), SECRET_KEY.into()),
        ("aws_virtual_hosted_style_request".into(), "false".into()),
    ])
}

/// A moto S3 server (atomic conditional put) in a child Python process on 127.0.0.1,
/// with bucket `lake`; stopped when dropped. The Python comes from `EVLAKE_PYTHON`, which
/// the project's test script sets to a virtual environment holding `moto[server]`.
pub struct MotoServer {
    pub endpoint: String,
    child: Child,
}

const MOTO: &str = r#"
import sys, boto3
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
server.start()
host, port = server.get_host_and_port()
endpoint = f"http://{host}:{port}"
boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
             aws_access_key_id="x", aws_secret_access_key="y").create_bucket(Bucket="lake")
print("EVLAKE_ENDPOINT", endpoint, flush=True)
sys.stdin.read()
server.stop()
"#;

impl MotoServer {
    pub fn start() -> Self {
        let python = std::env::var("EVLAKE_PYTHON").unwrap_or_else(|_| "python3".into());
        let mut child = Command::new(&python)
            .args(["-c", MOTO])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {python}: {e}; run the tests with scripts/test, which installs moto"
                )
            });
        // moto announces itself on stdout too; the endpoint is on the marked line.
        let endpoint = BufReader::new(child.stdout.take().unwrap())
            .lines()
            .map_while(Result::ok)
            .find_map(|line| line.strip_prefix("EVLAKE_ENDPOINT ").map(str::to_string))
            .unwrap_or_else(|| {
                panic!("moto did not start (is moto[server] installed for {python}? scripts/test installs it)")
            });
        Self { endpoint, child }
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
