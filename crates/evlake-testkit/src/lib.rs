//! Test support shared by evlake's crates: S3-compatible servers on 127.0.0.1 that a test
//! starts and stops — s3s-fs in process (protocol tests) and moto in a child Python process
//! (atomic conditional put, for concurrency tests).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The credentials both servers accept.
pub const ACCESS_KEY: &str = "evlake-test";
/// The secret of [`ACCESS_KEY`].
pub const SECRET_KEY: &str = "evlake-test-secret";

/// An in-process S3 server (s3s-fs) on 127.0.0.1 with bucket `lake`. Its conditional put is
/// not atomic, so it serves protocol tests, not concurrency tests.
pub struct S3sServer {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    _dir: tempfile::TempDir,
}

impl S3sServer {
    /// Starts the server on a free port, serving a fresh directory.
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

    /// The object-store options that reach it.
    pub fn options(&self) -> HashMap<String, String> {
        s3_options(&self.endpoint)
    }
}

/// The object-store options (path-style, plain HTTP, the test credentials) for an S3
/// server at `endpoint`.
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
    /// `http://127.0.0.1:PORT`.
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
    /// Starts moto and waits until it serves.
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
