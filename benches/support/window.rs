//! The generated files of a window of days, for the benchmarks that ingest the last months
//! of a generated organisation into a lake of their own.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

/// Files under `path`, in order.
pub fn files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut out: Vec<PathBuf> = std::fs::read_dir(path)
        .unwrap()
        .flat_map(|e| files(&e.unwrap().path()))
        .collect();
    out.sort();
    out
}

/// Whether a generated file holds days on or after `from` (files and directories are named
/// by day or instant; a file without one, such as the register, is always taken).
pub fn from_day(path: &Path, from: NaiveDate) -> bool {
    path.components()
        .filter_map(|c| c.as_os_str().to_str())
        .filter_map(|c| c.get(..10).and_then(|d| d.parse::<NaiveDate>().ok()))
        .all(|day| day >= from)
}
