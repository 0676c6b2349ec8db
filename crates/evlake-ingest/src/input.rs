//! The inputs of a run: local files (directories read recursively) and objects under an
//! object-store prefix (`s3://bucket/prefix`, `gs://…`, `az://…`, `file://…`), each with what
//! the cursor remembers of it, so an input is read again only when it changed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::{Error, Result};

/// One input: a file or an object.
pub(crate) struct Input {
    /// Where it is, for quarantine locations and logs: a path or a URL.
    pub location: String,
    /// Its cursor key.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it last changed.
    pub modified: DateTime<Utc>,
    /// What the cursor records of it: it is read again when this differs.
    pub seen: String,
    /// Why it is not read, for a path that is no regular file under its configured root (a
    /// symbolic link out of the root or one that does not resolve, a FIFO, a socket, a
    /// device): the run quarantines the path with this reason and none of its bytes.
    pub refused: Option<String>,
    source: Source,
}

enum Source {
    File(PathBuf),
    Object(Arc<dyn ObjectStore>, object_store::path::Path),
}

impl Input {
    /// Its bytes.
    pub(crate) async fn read(&self) -> Result<Vec<u8>> {
        match &self.source {
            Source::File(path) => std::fs::read(path).map_err(|source| Error::Read {
                path: self.location.clone(),
                source,
            }),
            Source::Object(store, path) => {
                let err = |e: object_store::Error| Error::Object {
                    url: self.location.clone(),
                    reason: e.to_string(),
                };
                Ok(store
                    .get(path)
                    .await
                    .map_err(err)?
                    .bytes()
                    .await
                    .map_err(err)?
                    .to_vec())
            }
        }
    }
}

/// Where a stream-framed file was read to: its cursor value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct StreamPosition {
    /// Bytes read and parsed.
    pub offset: u64,
    /// Lines in those bytes.
    pub lines: u64,
}

impl Input {
    /// The cursor key of a local file read as a growing stream, `None` for objects (whole and
    /// immutable) and for a file with nothing in it yet.
    ///
    /// The key is the file's device and inode with a checksum of its first line: a file
    /// rotated by renaming keeps its key (and so is not read again), a new file at the old
    /// path gets a new one, and an inode reused by another file differs in its first line.
    pub(crate) fn stream_key(&self) -> Result<Option<String>> {
        let Source::File(path) = &self.source else {
            return Ok(None);
        };
        let read_err = |source| Error::Read {
            path: self.location.clone(),
            source,
        };
        let mut head = Vec::with_capacity(4096);
        std::io::Read::read_to_end(
            &mut std::io::Read::take(std::fs::File::open(path).map_err(read_err)?, 4096),
            &mut head,
        )
        .map_err(read_err)?;
        if head.is_empty() {
            return Ok(None);
        }
        let first_line = match head.iter().position(|b| *b == b'\n') {
            Some(n) => &head[..=n],
            None => &head[..],
        };
        let checksum = &evlake_core::sha256_hex(first_line)[..16];
        Ok(Some(format!(
            "stream:{}:{checksum}",
            file_identity(path, &self.location)?
        )))
    }

    /// The file, opened at `offset`, for a stream read.
    pub(crate) fn open_at(&self, offset: u64) -> Result<Option<std::fs::File>> {
        let Source::File(path) = &self.source else {
            return Ok(None);
        };
        let read_err = |source| Error::Read {
            path: self.location.clone(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(read_err)?;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(offset)).map_err(read_err)?;
        Ok(Some(file))
    }
}

#[cfg(unix)]
fn file_identity(path: &Path, location: &str) -> Result<String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).map_err(|source| Error::Read {
        path: location.to_string(),
        source,
    })?;
    Ok(format!("{}:{}", meta.dev(), meta.ino()))
}

// Without inodes a file is known by its absolute path: a renamed file is read again, and
// the lake's de-duplication keeps its records once.
#[cfg(not(unix))]
fn file_identity(path: &Path, location: &str) -> Result<String> {
    std::path::absolute(path)
        .map(|p| p.display().to_string())
        .map_err(|source| Error::Read {
            path: location.to_string(),
            source,
        })
}

/// Whether a configured path is an object-store URL rather than a local path.
pub(crate) fn is_url(path: &Path) -> bool {
    path.to_str().is_some_and(|p| p.contains("://"))
}

/// Every input named, in order: files in path order below each directory, objects in key
/// order below each URL prefix.
pub(crate) async fn inputs(paths: &[PathBuf]) -> Result<Vec<Input>> {
    let mut out = Vec::new();
    for path in paths {
        if is_url(path) {
            objects(&path.to_string_lossy(), &mut out).await?;
        } else {
            files(path, &mut out)?;
        }
    }
    Ok(out)
}

async fn objects(url: &str, out: &mut Vec<Input>) -> Result<()> {
    let err = |reason: String| Error::Object {
        url: url.to_string(),
        reason,
    };
    let (store, prefix, _) =
        evlake_store::object_store_at(url, &HashMap::new()).map_err(|e| err(e.to_string()))?;
    let mut listed: Vec<_> = store
        .list(Some(&prefix))
        .try_collect()
        .await
        .map_err(|e| err(e.to_string()))?;
    listed.sort_by(|a, b| a.location.cmp(&b.location));
    let base = url.trim_end_matches('/');
    for meta in listed {
        let relative = meta
            .location
            .as_ref()
            .strip_prefix(prefix.as_ref())
            .unwrap_or(meta.location.as_ref())
            .trim_start_matches('/')
            .to_string();
        let hidden = relative.split('/').any(|part| part.starts_with('.'));
        if hidden {
            continue;
        }
        let location = format!("{base}/{relative}");
        out.push(Input {
            key: format!("object:{location}"),
            seen: serde_json::json!({
                "size": meta.size,
                "modified": meta.last_modified,
                "e_tag": meta.e_tag,
            })
            .to_string(),
            location,
            size: meta.size,
            modified: meta.last_modified,
            refused: None,
            source: Source::Object(store.clone(), meta.location),
        });
    }
    Ok(())
}

/// The files below a configured path. Symbolic links are followed only while they stay
/// inside it (the configured path resolved), so a link cannot bring `/proc/self/environ` or
/// `/etc/shadow` into the lake; anything that is not a regular file is refused, not read.
fn files(path: &Path, out: &mut Vec<Input>) -> Result<()> {
    let root = std::fs::canonicalize(path).map_err(|source| Error::Read {
        path: path.display().to_string(),
        source,
    })?;
    files_below(&root, path, out)
}

fn files_below(root: &Path, path: &Path, out: &mut Vec<Input>) -> Result<()> {
    let read_err = |source| Error::Read {
        path: path.display().to_string(),
        source,
    };
    let refuse = |out: &mut Vec<Input>, reason: String| {
        out.push(Input {
            location: path.display().to_string(),
            key: format!("refused:{}", path.display()),
            seen: String::new(),
            size: 0,
            modified: DateTime::<Utc>::UNIX_EPOCH,
            refused: Some(reason),
            source: Source::File(path.to_path_buf()),
        });
    };
    let link = std::fs::symlink_metadata(path).map_err(read_err)?;
    if link.file_type().is_symlink() {
        match std::fs::canonicalize(path) {
            Err(e) => {
                refuse(
                    out,
                    format!("a symbolic link that does not resolve ({e}): not read"),
                );
                return Ok(());
            }
            Ok(target) if !target.starts_with(root) => {
                refuse(
                    out,
                    format!(
                        "a symbolic link to {}, outside {}: not followed",
                        target.display(),
                        root.display()
                    ),
                );
                return Ok(());
            }
            Ok(_) => {}
        }
    }
    let meta = std::fs::metadata(path).map_err(read_err)?;
    if meta.is_dir() {
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
                files_below(root, &entry, out)?;
            }
        }
    } else if !meta.is_file() {
        refuse(
            out,
            "not a regular file (a FIFO, socket or device): not read".to_string(),
        );
    } else {
        let modified: DateTime<Utc> = meta.modified().map_err(read_err)?.into();
        let absolute = std::path::absolute(path).map_err(read_err)?;
        out.push(Input {
            location: path.display().to_string(),
            key: format!("file:{}", absolute.display()),
            seen: serde_json::json!({ "size": meta.len(), "modified": modified }).to_string(),
            size: meta.len(),
            modified,
            refused: None,
            source: Source::File(path.to_path_buf()),
        });
    }
    Ok(())
}
