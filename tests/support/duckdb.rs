//! Running a DuckDB script (Python, from `EVLAKE_PYTHON`; `scripts/test` installs the package)
//! as a child, shared by the test binaries that compare evlake's answers with DuckDB's.

use std::io::Write as _;
use std::process::{Command, Stdio};

/// Runs the Python `script` with `args`, writes `input` to its standard input and returns its
/// standard output; a failed run fails the test with DuckDB's error.
pub fn run(script: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    let python = std::env::var("EVLAKE_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut child = Command::new(&python)
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}; scripts/test installs duckdb"));
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "duckdb failed (scripts/test installs it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
