//! Ingest configuration files (`ingest-configs/*.toml`): one file per deployment, a table
//! per source.
//!
//! ```toml
//! [sources.scans]
//! kind = "sarif"                      # the source kind
//! paths = ["/var/lib/ci/sarif"]       # files or directories to read
//! max_quarantine_share = 0.01         # optional; the run fails above it
//! max_record_bytes = 16777216         # optional; a longer record is quarantined unparsed
//! max_document_bytes = 268435456      # optional; a larger input read whole is quarantined unread
//! settle_seconds = 300                # optional; a growing file's unfinished end, once quiet
//! repo = "acme/web"                   # every other key is a setting of the kind
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::input::is_url;
use crate::sources::kind;
use crate::{Error, InputLimits, Result};

/// A parsed ingest configuration file.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// The file it came from.
    pub path: PathBuf,
    /// Its sources, by name.
    pub sources: BTreeMap<String, SourceConfig>,
}

/// One configured source.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// The source kind.
    pub kind: String,
    /// Files, directories or object-store prefixes (`s3://bucket/prefix`, `gs://…`, `az://…`)
    /// to read; relative paths are relative to the config file.
    pub paths: Vec<PathBuf>,
    /// The largest share of records that may be quarantined before the run counts as failed.
    pub max_quarantine_share: f64,
    /// The sizes of inputs and records the source accepts.
    pub limits: InputLimits,
    /// The kind's own settings.
    pub settings: Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    sources: BTreeMap<String, toml::Table>,
}

#[derive(Deserialize)]
struct Common {
    kind: String,
    #[serde(default)]
    paths: Vec<PathBuf>,
    #[serde(default = "default_share")]
    max_quarantine_share: f64,
    max_record_bytes: Option<usize>,
    max_document_bytes: Option<u64>,
    settle_seconds: Option<u64>,
}

fn default_share() -> f64 {
    0.01
}

impl IngestConfig {
    /// Reads and checks `path`: every source's kind must exist and its settings must be the
    /// kind's (an unknown key is an error naming the file, the source and the key).
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.display().to_string(),
            source,
        })?;
        let bad = |source: &str, reason: String| Error::ConfigFile {
            path: path.display().to_string(),
            source_name: source.to_string(),
            reason,
        };
        let file: File = toml::from_str(&text).map_err(|e| bad("", e.to_string()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut sources = BTreeMap::new();
        for (name, mut table) in file.sources {
            let common: Common = table
                .clone()
                .try_into()
                .map_err(|e: toml::de::Error| bad(&name, e.message().to_string()))?;
            for key in [
                "kind",
                "paths",
                "max_quarantine_share",
                "max_record_bytes",
                "max_document_bytes",
                "settle_seconds",
            ] {
                table.remove(key);
            }
            let mut settings = serde_json::to_value(&table).unwrap_or(Value::Null);
            // The top-level settings too (`trusted_root_file`), not only nested ones.
            resolve_files(&mut settings, base);
            let Value::Object(settings) = settings else {
                return Err(bad(&name, "settings must be a table".into()));
            };
            let kind = kind(&common.kind).map_err(|e| bad(&name, e.to_string()))?;
            let pulls = (kind.build)(&settings)
                .map_err(|e| bad(&name, e.to_string()))?
                .puller
                .is_some();
            if common.paths.is_empty() && !pulls {
                return Err(bad(
                    &name,
                    format!(
                        "nothing to read: give `paths`{}",
                        if kind.pulls {
                            ", or an `api` table to pull from"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            sources.insert(
                name,
                SourceConfig {
                    kind: common.kind,
                    paths: common
                        .paths
                        .iter()
                        .map(|p| if is_url(p) { p.clone() } else { base.join(p) })
                        .collect(),
                    max_quarantine_share: common.max_quarantine_share,
                    limits: {
                        let default = InputLimits::default();
                        InputLimits {
                            max_record_bytes: common
                                .max_record_bytes
                                .unwrap_or(default.max_record_bytes),
                            max_document_bytes: common
                                .max_document_bytes
                                .unwrap_or(default.max_document_bytes),
                            settle_seconds: common.settle_seconds.unwrap_or(default.settle_seconds),
                        }
                    },
                    settings,
                },
            );
        }
        Ok(Self {
            path: path.to_path_buf(),
            sources,
        })
    }
}

/// Makes the settings that name a file (`file`, `…_file`, at any depth) relative to the
/// config file's folder, as `paths` are.
fn resolve_files(value: &mut Value, base: &Path) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(s) if key == "file" || key.ends_with("_file") => {
                        let p = PathBuf::from(s.as_str());
                        if !is_url(&p) && p.is_relative() {
                            *s = base.join(p).display().to_string();
                        }
                    }
                    other => resolve_files(other, base),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| resolve_files(v, base)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<IngestConfig> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("site.toml");
        std::fs::write(&path, text).unwrap();
        IngestConfig::load(&path)
    }

    #[test]
    fn reads_sources_with_common_keys_and_kind_settings() {
        let config = load(
            "[sources.scans]\nkind = \"sarif\"\npaths = [\"sarif\"]\nrepo = \"acme/web\"\nmax_quarantine_share = 0.05\n",
        )
        .unwrap();
        let scans = &config.sources["scans"];
        assert_eq!(scans.kind, "sarif");
        assert!(scans.paths[0].ends_with("sarif") && scans.paths[0].is_absolute());
        assert_eq!(scans.max_quarantine_share, 0.05);
        assert_eq!(scans.settings["repo"], "acme/web");
    }

    #[test]
    fn files_a_source_names_are_relative_to_the_config_at_any_depth() {
        let dir = tempfile::tempdir().unwrap();
        let trust = dir.path().join("sigstore");
        std::fs::create_dir_all(&trust).unwrap();
        let root = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data/sigstore/trusted_root.prod.json"),
        )
        .unwrap();
        std::fs::write(trust.join("trusted_root.json"), root).unwrap();
        let path = dir.path().join("site.toml");
        std::fs::write(
            &path,
            "[sources.p]\nkind = \"in-toto\"\npaths = [\"p\"]\ntrusted_root_file = \"sigstore/trusted_root.json\"\nkeys = [{ name = \"k\", file = \"sigstore/k.pub\" }]\n",
        )
        .unwrap();
        // The key is missing: the error names where it was looked for, beside the config.
        let err = IngestConfig::load(&path).unwrap_err().to_string();
        assert!(
            err.contains(&trust.join("k.pub").display().to_string()),
            "{err}"
        );
        std::fs::write(
            &path,
            "[sources.p]\nkind = \"in-toto\"\npaths = [\"p\"]\ntrusted_root_file = \"sigstore/trusted_root.json\"\n",
        )
        .unwrap();
        let config = IngestConfig::load(&path).unwrap();
        assert_eq!(
            config.sources["p"].settings["trusted_root_file"],
            trust.join("trusted_root.json").display().to_string()
        );
    }

    #[test]
    fn errors_name_the_file_the_source_and_the_key() {
        let err = load("[sources.scans]\nkind = \"sarif\"\ncolour = \"blue\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("site.toml") && err.contains("[sources.scans]") && err.contains("colour"),
            "{err}"
        );
        let err = load("[sources.x]\nkind = \"nope\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown source kind 'nope'"), "{err}");
        let err = load("[source.x]\nkind = \"sarif\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("site.toml") && err.contains("source"), "{err}");
        let err = load("[sources.x]\npaths = []\n").unwrap_err().to_string();
        assert!(err.contains("kind"), "{err}");
    }
}
