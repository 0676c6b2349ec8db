//! The one table of source kinds.

use serde_json::{Map, Value};

use crate::emit::{Document, Emitter};
use crate::sources::{exceptions, github_actions, gitlab_ci, sarif};
use crate::{Error, Result};

/// Turns input documents of one source kind into lake rows.
pub trait Parser: Send + Sync {
    /// Whether each file is one document (JSON, YAML, SARIF) or each line is (JSON Lines).
    fn line_per_record(&self) -> bool;

    /// Parses one document, emitting rows and rejecting what it cannot take.
    fn parse(&self, doc: Document<'_>, out: &mut Emitter);
}

/// Builds a kind's parser from a source's settings; the error names the setting.
pub type BuildParser = fn(&Map<String, Value>) -> Result<Box<dyn Parser>, String>;

/// A registered source kind.
#[derive(Debug)]
pub struct Kind {
    /// The name used in configs and on the command line.
    pub name: &'static str,
    /// What the kind reads.
    pub description: &'static str,
    /// The tables it writes.
    pub tables: &'static [&'static str],
    /// Builds its parser from the source's settings (unknown keys are an error).
    pub parser: BuildParser,
}

/// Reads a kind's settings into its config struct (whose `deny_unknown_fields` names any
/// unknown key).
pub(crate) fn settings<T: serde::de::DeserializeOwned>(
    settings: &Map<String, Value>,
) -> Result<T, String> {
    serde_json::from_value(Value::Object(settings.clone())).map_err(|e| e.to_string())
}

static KINDS: &[Kind] = &[
    github_actions::KIND,
    gitlab_ci::KIND,
    sarif::KIND,
    exceptions::KIND,
];

/// Every registered source kind.
pub fn kinds() -> &'static [Kind] {
    KINDS
}

/// The kind called `name`.
pub fn kind(name: &str) -> Result<&'static Kind> {
    KINDS
        .iter()
        .find(|k| k.name == name)
        .ok_or_else(|| Error::UnknownKind {
            kind: name.to_string(),
            known: KINDS.iter().map(|k| k.name).collect::<Vec<_>>().join(", "),
        })
}
