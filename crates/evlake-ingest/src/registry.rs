//! The one table of source kinds.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::emit::{Document, Emitter};
pub use crate::http::HttpSettings;
use crate::sources::{
    exceptions, falco, github_actions, gitlab_ci, jira, pagerduty, sarif, tetragon,
};
use crate::{Error, Result};

/// How a kind's inputs split into the documents its parser reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Each input (file, object, API page) is one document, which the parser splits itself.
    Document,
    /// Each input is a stream of JSON values (JSON Lines, or pretty-printed values one after
    /// another) that writers append to: each value is a document, and a local file is read on
    /// from where the source stopped (its cursor holds the byte offset).
    JsonValues,
}

/// Turns input documents of one source kind into lake rows.
pub trait Parser: Send + Sync {
    /// How the kind's inputs split into documents (default: one document per input).
    fn framing(&self) -> Framing {
        Framing::Document
    }

    /// Parses one document, emitting rows and rejecting what it cannot take.
    fn parse(&self, doc: Document<'_>, out: &mut Emitter);
}

/// Builds a kind's parser from a source's settings; the error names the setting.
pub type BuildParser = fn(&Map<String, Value>) -> Result<Box<dyn Parser>, String>;

/// One request a puller wants made; `tag` tells the puller what the response is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    /// The URL.
    pub url: String,
    /// What the response is, in the puller's own terms (e.g. `runs acme/web 2026-11-01…`).
    pub tag: String,
}

/// Where a pull starts: the first requests, and the cursor keys to move once everything the
/// run fetched is committed.
#[derive(Debug, Clone, Default)]
pub struct PullStart {
    /// The first requests.
    pub requests: Vec<PullRequest>,
    /// Cursor moves, `(key, value)`.
    pub cursor: Vec<(String, String)>,
}

/// What one fetched page leads to.
#[derive(Debug, Clone, Default)]
pub struct FollowUp {
    /// Whether the page's body goes to the parser.
    pub parse: bool,
    /// Whether the page's next page (`Link` / `X-Next-Page`) is fetched too.
    pub next_page: bool,
    /// Further requests (e.g. the jobs of each run listed).
    pub requests: Vec<PullRequest>,
}

/// Pulls a source kind's evidence from its REST API.
pub trait Puller: Send + Sync {
    /// How to authenticate and how long rate limits may be waited out.
    fn http(&self) -> HttpSettings;

    /// The first requests for a run at `now`, given the source's cursor (`key → value`).
    fn start(&self, now: DateTime<Utc>, cursor: &dyn Fn(&str) -> Option<String>) -> PullStart;

    /// What the page fetched for `request` leads to.
    fn follow(&self, request: &PullRequest, body: &[u8]) -> FollowUp;
}

/// Builds a kind's puller from a source's settings, `None` when they configure no API.
pub type BuildPuller = fn(&Map<String, Value>) -> Result<Option<Box<dyn Puller>>, String>;

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
    /// Builds its puller, for kinds that pull from an API.
    pub puller: Option<BuildPuller>,
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
    falco::KIND,
    tetragon::KIND,
    pagerduty::KIND,
    jira::KIND,
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
