//! What a source kind is: the parser and puller traits and the registration a kind's folder
//! provides. The table of kinds is `sources/mod.rs`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::emit::{Document, Emitter};
pub use crate::http::HttpSettings;
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

    /// Whether the input at `location` is the state of things at the run's instant (a
    /// checkout of `catalog-info.yaml` files), not a record of when it was written: it is then
    /// read on every run, changed or not, and its document's `modified` is the instant the run
    /// began, so that all such inputs of a run are one snapshot. Default: no.
    fn current_state(&self, _location: &str) -> bool {
        false
    }

    /// The instant of the snapshot the input at `location` belongs to, for a snapshot source;
    /// `modified` is what its document's would be (the run's start for the state now and for
    /// API pages). `None`: no snapshot (the input is refused). Default: none.
    fn snapshot_at(&self, _location: &str, _modified: DateTime<Utc>) -> Option<DateTime<Utc>> {
        None
    }

    /// Whether the rows it writes to snapshot tables are snapshots — everything the source
    /// held at one instant, so that what a snapshot lacks is gone — rather than each
    /// resource's own changes (AWS Config's items). A run then marks each snapshot complete in
    /// `_snapshots` once its last row is committed. Default: no.
    fn snapshots(&self) -> bool {
        false
    }
}

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

/// A source built from its settings: its parser and, when the settings configure an API,
/// its puller.
pub struct Source {
    /// Turns the source's documents into rows.
    pub parser: Box<dyn Parser>,
    /// Fetches the source's documents from its API.
    pub puller: Option<Box<dyn Puller>>,
}

/// Builds a source from its settings, read once into the kind's config (whose
/// `deny_unknown_fields` names any unknown key); the error names the setting.
pub type BuildSource = fn(&Map<String, Value>) -> Result<Source>;

/// A registered source kind.
#[derive(Debug)]
pub struct Kind {
    /// The name used in configs and on the command line.
    pub name: &'static str,
    /// What the kind reads.
    pub description: &'static str,
    /// The tables it writes.
    pub tables: &'static [&'static str],
    /// Whether it can pull from an API (an `api` table in its settings).
    pub pulls: bool,
    /// Builds the source from its settings (unknown keys are an error).
    pub build: BuildSource,
}

/// Reads a kind's settings into its config struct (whose `deny_unknown_fields` names any
/// unknown key).
pub(crate) fn settings<T: serde::de::DeserializeOwned>(settings: &Map<String, Value>) -> Result<T> {
    serde_json::from_value(Value::Object(settings.clone())).map_err(Error::setting)
}
