//! Running one source over its inputs into the lake.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use evlake_store::Lake;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::cursor::Cursors;
use crate::emit::{Document, Emitter};
use crate::http::Http;
use crate::input::StreamPosition;
use crate::kind::{Framing, Kind, Parser, Puller, Source};
use crate::progress::{ProgressSink, Ticker};
use crate::sources::kind;
use crate::stream::{self, Piece};
use crate::{Error, Result, input};

/// What a run did to one table.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct TableCounts {
    /// Rows added.
    pub added: u64,
    /// Rows already in the lake (or repeated in the input), left out.
    pub duplicates: u64,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestSummary {
    /// The source kind.
    pub kind: String,
    /// The source's name.
    pub source_name: String,
    /// Files read.
    pub files: u64,
    /// API pages fetched.
    pub pages: u64,
    /// Files left alone because they had not changed since the source last read them.
    pub unchanged_files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Records parsed into rows.
    pub records: u64,
    /// Well-formed records the source's settings leave out (e.g. Tetragon events that are
    /// not alerts).
    pub skipped: u64,
    /// Records sent to `_quarantine`.
    pub quarantined: u64,
    /// Per table: rows added and duplicates.
    pub tables: BTreeMap<String, TableCounts>,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// The largest share of quarantined records the run allows.
    pub max_quarantine_share: f64,
}

impl IngestSummary {
    /// The share of records quarantined.
    pub fn quarantine_share(&self) -> f64 {
        let seen = self.records + self.quarantined;
        if seen == 0 {
            0.0
        } else {
            self.quarantined as f64 / seen as f64
        }
    }

    /// Whether more records were quarantined than the run allows.
    pub fn over_quarantine_limit(&self) -> bool {
        self.quarantine_share() > self.max_quarantine_share
    }
}

/// One run of one configured source.
pub struct IngestRun {
    lake: Lake,
    kind: &'static Kind,
    source_name: String,
    parser: Box<dyn Parser>,
    puller: Option<Box<dyn Puller>>,
    batch_rows: usize,
    max_quarantine_share: f64,
    limits: InputLimits,
    progress: Option<ProgressSink>,
}

/// How large one input may be before ingest refuses to hold it, and how long a growing file
/// must be quiet before its unfinished end counts as finished. Common settings of every
/// source (`max_record_bytes`, `max_document_bytes`, `settle_seconds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputLimits {
    /// The longest record of a stream (JSON Lines or values one after another); a longer one
    /// is quarantined without being parsed. Default 16 MiB.
    pub max_record_bytes: usize,
    /// The largest input read whole (a SARIF file, a pipeline export, an object of JSON
    /// Lines); a larger one is quarantined unread. Default 256 MiB.
    pub max_document_bytes: u64,
    /// How long a growing file must not have changed before a value it leaves unfinished at
    /// its end (a writer that died mid-line, a file rotated after a partial write) is
    /// quarantined instead of waited for. Default 300 s.
    pub settle_seconds: u64,
}

impl Default for InputLimits {
    fn default() -> Self {
        Self {
            max_record_bytes: 16 << 20,
            max_document_bytes: 256 << 20,
            settle_seconds: 300,
        }
    }
}

impl std::fmt::Debug for IngestRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestRun")
            .field("kind", &self.kind.name)
            .field("source_name", &self.source_name)
            .finish()
    }
}

impl IngestRun {
    /// A run of source kind `kind`, named `source_name`, with `settings` (the kind's config keys).
    pub fn new(
        lake: Lake,
        kind_name: &str,
        source_name: &str,
        settings: &Map<String, Value>,
    ) -> Result<Self> {
        let kind = kind(kind_name)?;
        let Source { parser, puller } = (kind.build)(settings).map_err(|e| match e {
            Error::Setting { reason } => Error::Config {
                source_name: source_name.to_string(),
                kind: kind.name.to_string(),
                reason,
            },
            other => other,
        })?;
        Ok(Self {
            lake,
            kind,
            source_name: source_name.to_string(),
            parser,
            puller,
            batch_rows: 50_000,
            max_quarantine_share: 0.01,
            limits: InputLimits::default(),
            progress: None,
        })
    }

    /// The sizes of inputs and records the run accepts (default [`InputLimits::default`]).
    pub fn with_limits(mut self, limits: InputLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The most rows held in memory before they are committed (default 50,000).
    pub fn with_batch_rows(mut self, rows: usize) -> Self {
        self.batch_rows = rows.max(1);
        self
    }

    /// The largest share of records that may be quarantined before the run counts as failed
    /// (default 0.01).
    pub fn with_max_quarantine_share(mut self, share: f64) -> Self {
        self.max_quarantine_share = share;
        self
    }

    /// Sends the run's progress to `sink`.
    pub fn with_progress(mut self, sink: ProgressSink) -> Self {
        self.progress = Some(sink);
        self
    }

    /// Reads `paths`: files, directories (recursively, in path order) and object-store
    /// prefixes (`s3://bucket/prefix`, …, in key order).
    pub async fn ingest_paths(&self, paths: &[PathBuf]) -> Result<IngestSummary> {
        let began = Instant::now();
        let mut summary = self.summary();
        let mut out = Emitter::new(self.kind.name, &self.source_name, self.lake.clock().now());
        let mut cursors = Cursors::load(&self.lake, self.kind.name, &self.source_name).await?;
        let inputs = input::inputs(paths).await?;
        let total: u64 = inputs.iter().map(|i| i.size).sum();
        let mut progress = Ticker::start(self.progress.as_ref(), &self.source_name, Some(total));
        for input in inputs {
            if let Some(reason) = &input.refused {
                out.reject(&input.location, reason, b"");
                continue;
            }
            if self.parser.framing() == Framing::JsonValues
                && let Some(key) = input.stream_key()?
            {
                // A growing file: read on from where the source stopped.
                let mut from: StreamPosition = cursors
                    .get(&key)
                    .and_then(|v| serde_json::from_str(v).ok())
                    .unwrap_or_default();
                if from.offset > input.size {
                    // Truncated in place: what is there now is new.
                    from = StreamPosition::default();
                }
                if from.offset == input.size {
                    summary.unchanged_files += 1;
                    progress.advance(input.size, summary.records);
                    continue;
                }
                progress.advance(from.offset, summary.records);
                let to = self
                    .read_stream(&input, from, &mut out, &mut summary, &mut progress)
                    .await?;
                summary.files += 1;
                cursors.set(
                    key,
                    serde_json::to_string(&to).expect("a position serialises"),
                );
                continue;
            }
            // An input is read again only when it changed (size, modification time, e-tag).
            if cursors.get(&input.key) == Some(input.seen.as_str()) {
                summary.unchanged_files += 1;
                progress.advance(input.size, summary.records);
                continue;
            }
            if input.size > self.limits.max_document_bytes {
                let reason = format!(
                    "the input is {} bytes, more than max_document_bytes ({}): not read; raise the \
                     source's max_document_bytes to ingest it",
                    input.size, self.limits.max_document_bytes
                );
                out.reject(&input.location, &reason, b"");
                progress.advance(input.size, summary.records + out.accepted);
                cursors.set(input.key, input.seen);
                continue;
            }
            let bytes = input.read().await?;
            let location = input.location.as_str();
            summary.files += 1;
            summary.bytes += bytes.len() as u64;
            self.parse_input(location, &bytes, input.modified, &mut out, &mut summary)
                .await?;
            progress.advance(bytes.len() as u64, summary.records + out.accepted);
            tracing::debug!(
                source = %self.source_name,
                file = %location,
                bytes = bytes.len(),
                records = summary.records + out.accepted,
                quarantined = summary.quarantined + out.rejected.len() as u64,
                "read"
            );
            cursors.set(input.key, input.seen);
        }
        self.flush(&mut out, &mut summary).await?;
        // The rows are committed, the cursor that covers them is not.
        evlake_core::failpoint("ingest.before_cursor");
        cursors.commit(&self.lake).await?;
        progress.finish();
        summary.seconds = began.elapsed().as_secs_f64();
        Ok(summary)
    }

    /// Whether the source's settings configure an API to pull from.
    pub fn pulls(&self) -> bool {
        self.puller.is_some()
    }

    /// Pulls from the source's API: from where its cursor stands to now, every page, each
    /// body parsed as a saved one would be (its location is the URL); the cursor moves only
    /// once every row is committed.
    pub async fn pull(&self) -> Result<IngestSummary> {
        let Some(puller) = &self.puller else {
            return Err(Error::Config {
                source_name: self.source_name.clone(),
                kind: self.kind.name.to_string(),
                reason: "no API is configured to pull from".into(),
            });
        };
        let began = Instant::now();
        let mut summary = self.summary();
        let mut out = Emitter::new(self.kind.name, &self.source_name, self.lake.clock().now());
        let mut cursors = Cursors::load(&self.lake, self.kind.name, &self.source_name).await?;
        let http = Http::new(puller.http())?;
        let start = puller.start(self.lake.clock().now(), &|key| {
            cursors.get(key).map(str::to_string)
        });
        let mut progress = Ticker::start(self.progress.as_ref(), &self.source_name, None);
        let mut queue: std::collections::VecDeque<_> = start.requests.into();
        while let Some(request) = queue.pop_front() {
            let page = http.get(&request.url).await?;
            summary.pages += 1;
            summary.bytes += page.body.len() as u64;
            let follow = puller.follow(&request, &page.body);
            if follow.parse {
                let now = self.lake.clock().now();
                self.parse_input(&request.url, &page.body, now, &mut out, &mut summary)
                    .await?;
            }
            if let (true, Some(next)) = (follow.next_page, page.next) {
                queue.push_back(crate::kind::PullRequest {
                    url: next,
                    tag: request.tag.clone(),
                });
            }
            queue.extend(follow.requests);
            progress.advance(1, summary.records + out.accepted);
            tracing::debug!(
                source = %self.source_name,
                url = %request.url,
                bytes = page.body.len(),
                records = summary.records + out.accepted,
                "fetched"
            );
        }
        self.flush(&mut out, &mut summary).await?;
        for (key, value) in start.cursor {
            cursors.set(key, value);
        }
        evlake_core::failpoint("ingest.before_cursor");
        cursors.commit(&self.lake).await?;
        progress.finish();
        summary.seconds = began.elapsed().as_secs_f64();
        Ok(summary)
    }

    /// Hands one input (a file, an object, an API page) to the parser — whole, or value by
    /// value for stream-framed kinds — committing whenever the buffer is full.
    async fn parse_input(
        &self,
        location: &str,
        bytes: &[u8],
        modified: chrono::DateTime<chrono::Utc>,
        out: &mut Emitter,
        summary: &mut IngestSummary,
    ) -> Result<()> {
        if self.parser.framing() == Framing::Document {
            self.parser.parse(
                Document {
                    location,
                    bytes,
                    modified,
                },
                out,
            );
            return self.flush_if_full(out, summary).await;
        }
        let split = stream::split(bytes, true, self.limits.max_record_bytes);
        self.parse_pieces(location, 0, bytes, &split.pieces, modified, out, summary)
            .await?;
        // A whole object or page cannot grow: a value it leaves unfinished is bad.
        let rest = &bytes[split.consumed..];
        if !rest.is_empty() {
            let at = format!("{location}:{}", split.lines + 1);
            out.reject(&at, "the input ends inside a JSON value", rest);
        }
        Ok(())
    }

    /// Reads a growing local file from `from` to its current end, chunk by chunk so memory
    /// stays bounded; returns where it got to. A value still being written at the end is
    /// left for the next run.
    async fn read_stream(
        &self,
        input: &input::Input,
        from: StreamPosition,
        out: &mut Emitter,
        summary: &mut IngestSummary,
        progress: &mut Ticker<'_>,
    ) -> Result<StreamPosition> {
        const CHUNK: usize = 8 << 20;
        let Some(mut file) = input.open_at(from.offset)? else {
            unreachable!("only local files are read as streams");
        };
        let read_err = |source| Error::Read {
            path: input.location.clone(),
            source,
        };
        let mut at = from;
        let mut buf: Vec<u8> = Vec::with_capacity(CHUNK);
        loop {
            let before = buf.len();
            buf.resize(before + CHUNK, 0);
            let n = std::io::Read::read(&mut file, &mut buf[before..]).map_err(read_err)?;
            buf.truncate(before + n);
            summary.bytes += n as u64;
            let at_end = n == 0;
            let split = stream::split(&buf, at_end, self.limits.max_record_bytes);
            self.parse_pieces(
                &input.location,
                at.lines,
                &buf,
                &split.pieces,
                input.modified,
                out,
                summary,
            )
            .await?;
            at.offset += split.consumed as u64;
            at.lines += split.lines;
            progress.advance(split.consumed as u64, summary.records + out.accepted);
            buf.drain(..split.consumed);
            if at_end {
                let quiet = self.lake.clock().now() - input.modified;
                if !buf.is_empty() && quiet.num_seconds() >= self.limits.settle_seconds as i64 {
                    // Its writer is gone: waiting would leave it neither ingested nor quarantined.
                    let reason = format!(
                        "the file ends inside a JSON value and has not grown for {} s \
                         (settle_seconds {})",
                        quiet.num_seconds(),
                        self.limits.settle_seconds
                    );
                    let where_ = format!("{}:{}", input.location, at.lines + 1);
                    out.reject(&where_, &reason, &buf);
                    at.offset += buf.len() as u64;
                    at.lines += buf.iter().filter(|b| **b == b'\n').count() as u64;
                }
                return Ok(at);
            }
        }
    }

    /// Hands the values of a stream to the parser (located `FILE:LINE`, lines counted from
    /// `first_line` + 1) and quarantines its bad lines.
    #[allow(clippy::too_many_arguments)]
    async fn parse_pieces(
        &self,
        location: &str,
        first_line: u64,
        buf: &[u8],
        pieces: &[Piece],
        modified: chrono::DateTime<chrono::Utc>,
        out: &mut Emitter,
        summary: &mut IngestSummary,
    ) -> Result<()> {
        for piece in pieces {
            match piece {
                Piece::Value { range, line } => {
                    let at = format!("{location}:{}", first_line + line + 1);
                    self.parser.parse(
                        Document {
                            location: &at,
                            bytes: &buf[range.clone()],
                            modified,
                        },
                        out,
                    );
                }
                Piece::Bad {
                    range,
                    line,
                    reason,
                } => {
                    let at = format!("{location}:{}", first_line + line + 1);
                    let bytes = &buf[range.clone()];
                    out.reject(&at, reason, bytes.strip_suffix(b"\n").unwrap_or(bytes));
                }
            }
            self.flush_if_full(out, summary).await?;
        }
        Ok(())
    }

    fn summary(&self) -> IngestSummary {
        IngestSummary {
            kind: self.kind.name.to_string(),
            source_name: self.source_name.clone(),
            max_quarantine_share: self.max_quarantine_share,
            ..IngestSummary::default()
        }
    }

    async fn flush_if_full(&self, out: &mut Emitter, summary: &mut IngestSummary) -> Result<()> {
        if out.buffered() >= self.batch_rows {
            self.flush(out, summary).await?;
        }
        Ok(())
    }

    async fn flush(&self, out: &mut Emitter, summary: &mut IngestSummary) -> Result<()> {
        summary.records += std::mem::take(&mut out.accepted);
        summary.skipped += std::mem::take(&mut out.skipped);
        for (table, batch) in out.drain() {
            if table == "_quarantine" {
                summary.quarantined += batch.num_rows() as u64;
            }
            let done = self
                .lake
                .append(table, vec![batch])?
                .with_commit_metadata([
                    (
                        "evlake.source".to_string(),
                        Value::String(self.kind.name.to_string()),
                    ),
                    (
                        "evlake.sourceName".to_string(),
                        Value::String(self.source_name.clone()),
                    ),
                ])
                .execute()
                .await?;
            tracing::info!(
                source = %self.source_name,
                table,
                version = done.version,
                added = done.rows_added,
                duplicates = done.duplicates,
                "committed"
            );
            let counts = summary.tables.entry(table.to_string()).or_default();
            counts.added += done.rows_added;
            counts.duplicates += done.duplicates;
        }
        Ok(())
    }
}
