//! Finding the input files of a run.

use std::fs::Metadata;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// Every file named, or found below a named directory, in path order, with its metadata.
pub(crate) fn files(paths: &[PathBuf]) -> Result<Vec<(PathBuf, Metadata)>> {
    let mut out = Vec::new();
    for path in paths {
        collect(path, &mut out)?;
    }
    Ok(out)
}

fn collect(path: &Path, out: &mut Vec<(PathBuf, Metadata)>) -> Result<()> {
    let read_err = |source| Error::Read {
        path: path.display().to_string(),
        source,
    };
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(read_err)?
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<_>>()
            .map_err(read_err)?;
        entries.sort();
        for entry in entries {
            let hidden = entry
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if !hidden {
                collect(&entry, out)?;
            }
        }
    } else {
        out.push((
            path.to_path_buf(),
            std::fs::metadata(path).map_err(read_err)?,
        ));
    }
    Ok(())
}
