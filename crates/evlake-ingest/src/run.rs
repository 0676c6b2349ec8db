//! Running one source over its inputs into the lake.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::TimestampMicrosecondType;
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use tokio::sync::mpsc;

use evlake_core::tables::{self, TableKind};
use evlake_store::{AppendOutcome, Lake};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::cursor::Cursors;
use crate::emit::{Emitter, timestamp};
use crate::http::Http;
use crate::input::StreamPosition;
use crate::kind::{Framing, Kind, Parser, Puller, Source};
use crate::pipeline::{self, Gatherer, Origin, Parsed, Unit, Work};
use crate::progress::{ProgressSink, Ticker};
use crate::sources::kind;
use crate::stream;
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
    /// Snapshots the run read but did not mark complete, because a document of each (a page,
    /// a file) was lost to quarantine: questions do not read them as the source's state.
    pub incomplete_snapshots: u64,
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
    parser: Arc<dyn Parser>,
    puller: Option<Box<dyn Puller>>,
    batch_rows: usize,
    workers: usize,
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
            parser: Arc::from(parser),
            puller,
            batch_rows: 12_500,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
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

    /// The most rows held in memory before they are committed (default 12,500).
    pub fn with_batch_rows(mut self, rows: usize) -> Self {
        self.batch_rows = rows.max(1);
        self
    }

    /// How many inputs (or chunks of a stream) are parsed at once, on as many threads
    /// (default: the cores available). Commits stay in input order whatever the number.
    pub fn with_workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
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
        let mut cursors = Cursors::load(&self.lake, self.kind.name, &self.source_name).await?;
        let inputs = input::inputs(paths).await?;
        let total: u64 = inputs.iter().map(|i| i.size).sum();
        let mut progress = Ticker::start(self.progress.as_ref(), &self.source_name, Some(total));
        let known = cursors.clone();
        let began_at = self.lake.clock().now();
        let (tx, rx) = mpsc::channel(self.workers);
        let (_, committed) = tokio::join!(
            self.read_inputs(inputs, &known, began_at, tx),
            self.commit_units(rx, &mut summary, &mut cursors, &mut progress)
        );
        committed?;
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
        let mut cursors = Cursors::load(&self.lake, self.kind.name, &self.source_name).await?;
        // The instant the pull began stamps every page: a snapshot source's pages are one
        // snapshot, and the event time of last resort is the same for all of them.
        let began_at = self.lake.clock().now();
        let start = puller.start(began_at, &|key| cursors.get(key).map(str::to_string));
        let mut progress = Ticker::start(self.progress.as_ref(), &self.source_name, None);
        let (tx, rx) = mpsc::channel(self.workers);
        let (_, committed) = tokio::join!(
            self.fetch_pages(puller.as_ref(), start.requests, began_at, tx),
            self.commit_units(rx, &mut summary, &mut cursors, &mut progress)
        );
        committed?;
        for (key, value) in start.cursor {
            cursors.set(key, value);
        }
        evlake_core::failpoint("ingest.before_cursor");
        cursors.commit(&self.lake).await?;
        progress.finish();
        summary.seconds = began.elapsed().as_secs_f64();
        Ok(summary)
    }

    /// Reads every input in order and cuts it into units for the workers; the run began at
    /// `began_at`. An error ends the run at that input: it is sent in the units' place.
    async fn read_inputs(
        &self,
        inputs: Vec<input::Input>,
        known: &Cursors,
        began_at: DateTime<Utc>,
        tx: mpsc::Sender<Result<Unit>>,
    ) {
        let mut out = Gatherer::new(tx);
        for input in inputs {
            match self.read_input(&input, known, began_at, &mut out).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => return out.fail(e).await,
            }
        }
        out.flush().await;
    }

    /// Sends the units of one input; `false` once the run has stopped taking them.
    async fn read_input(
        &self,
        input: &input::Input,
        known: &Cursors,
        began_at: DateTime<Utc>,
        out: &mut Gatherer,
    ) -> Result<bool> {
        // A document of the input would be dated so: by the run, if it is the state now.
        let current = self.parser.current_state(&input.location);
        let modified = if current { began_at } else { input.modified };
        if let Some(reason) = &input.refused {
            let location = input.location.clone();
            let reason = reason.clone();
            return Ok(out
                .send(Unit::of(Work::Refuse {
                    location,
                    reason,
                    modified,
                }))
                .await);
        }
        if self.parser.framing() == Framing::JsonValues
            && let Some(key) = input.stream_key()?
        {
            // A growing file: read on from where the source stopped.
            let mut from: StreamPosition = known
                .get(&key)
                .and_then(|v| serde_json::from_str(v).ok())
                .unwrap_or_default();
            if from.offset > input.size {
                // Truncated in place: what is there now is new.
                from = StreamPosition::default();
            }
            if from.offset == input.size {
                let mut unit = Unit::nothing();
                unit.unchanged = 1;
                unit.progress = input.size;
                return Ok(out.send(unit).await);
            }
            let mut skipped = Unit::nothing();
            skipped.progress = from.offset;
            if !out.send(skipped).await {
                return Ok(false);
            }
            return self.read_stream(input, key, from, out).await;
        }
        // An input is read again only when it changed (size, modification time, e-tag), or
        // when it stands for the state at the run's instant.
        if !current && known.get(&input.key) == Some(input.seen.as_str()) {
            let mut unit = Unit::nothing();
            unit.unchanged = 1;
            unit.progress = input.size;
            return Ok(out.send(unit).await);
        }
        let mut unit = if input.size > self.limits.max_document_bytes {
            Unit::of(Work::Refuse {
                location: input.location.clone(),
                reason: format!(
                    "the input is {} bytes, more than max_document_bytes ({}): not read; raise the \
                     source's max_document_bytes to ingest it",
                    input.size, self.limits.max_document_bytes
                ),
                modified,
            })
        } else {
            let bytes = Bytes::from(input.read().await?);
            let mut unit = self.whole_input(input.location.clone(), bytes, modified);
            unit.files = 1;
            unit
        };
        unit.progress = input.size;
        unit.cursors.push((input.key.clone(), input.seen.clone()));
        Ok(out.send(unit).await)
    }

    /// The unit of a whole input (a file, an object, an API page): one document, or every
    /// value of a stream that cannot grow, so a value it leaves unfinished is bad.
    fn whole_input(&self, location: String, bytes: Bytes, modified: DateTime<Utc>) -> Unit {
        let size = bytes.len() as u64;
        let mut unit = Unit::of(if self.parser.framing() == Framing::Document {
            Work::Document {
                location,
                bytes,
                modified,
            }
        } else {
            let split = stream::split(&bytes, true, self.limits.max_record_bytes);
            let rest = (split.consumed < bytes.len()).then(|| {
                (
                    split.consumed..bytes.len(),
                    split.lines,
                    "the input ends inside a JSON value".to_string(),
                )
            });
            Work::Values {
                location,
                bytes,
                pieces: split.pieces,
                first_line: 0,
                modified,
                rest,
            }
        });
        unit.bytes = size;
        unit
    }

    /// Reads a growing local file from `from` to its current end, chunk by chunk so memory
    /// stays bounded, one unit per chunk; the last carries where it got to. A value still
    /// being written at the end is left for the next run, unless the file has been quiet
    /// for `settle_seconds`.
    async fn read_stream(
        &self,
        input: &input::Input,
        key: String,
        from: StreamPosition,
        out: &mut Gatherer,
    ) -> Result<bool> {
        const CHUNK: usize = 8 << 20;
        let Some(mut file) = input.open_at(from.offset)? else {
            unreachable!("only local files are read as streams");
        };
        let read_err = |source| Error::Read {
            path: input.location.clone(),
            source,
        };
        let mut at = from;
        let mut buf = BytesMut::with_capacity(CHUNK);
        loop {
            let before = buf.len();
            buf.resize(before + CHUNK, 0);
            let n = std::io::Read::read(&mut file, &mut buf[before..]).map_err(read_err)?;
            buf.truncate(before + n);
            let at_end = n == 0;
            let split = stream::split(&buf, at_end, self.limits.max_record_bytes);
            let mut consumed = split.consumed;
            let mut rest = None;
            if at_end && consumed < buf.len() {
                let quiet = self.lake.clock().now() - input.modified;
                if quiet.num_seconds() >= self.limits.settle_seconds as i64 {
                    // Its writer is gone: waiting would leave it neither ingested nor quarantined.
                    let reason = format!(
                        "the file ends inside a JSON value and has not grown for {} s \
                         (settle_seconds {})",
                        quiet.num_seconds(),
                        self.limits.settle_seconds
                    );
                    rest = Some((consumed..buf.len(), split.lines, reason));
                    consumed = buf.len();
                }
            }
            let chunk = buf.split_to(consumed).freeze();
            let first_line = at.lines;
            at.offset += consumed as u64;
            at.lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
            let mut unit = Unit::of(Work::Values {
                location: input.location.clone(),
                bytes: chunk,
                pieces: split.pieces,
                first_line,
                modified: input.modified,
                rest,
            });
            unit.bytes = n as u64;
            unit.progress = consumed as u64;
            if at_end {
                unit.files = 1;
                unit.cursors.push((
                    key,
                    serde_json::to_string(&at).expect("a position serialises"),
                ));
                return Ok(out.send(unit).await);
            }
            if !out.send(unit).await {
                return Ok(false);
            }
        }
    }

    /// Fetches every page from `requests` on, following the puller, one unit per page, each
    /// modified at `began_at`.
    async fn fetch_pages(
        &self,
        puller: &dyn Puller,
        requests: Vec<crate::kind::PullRequest>,
        began_at: DateTime<Utc>,
        tx: mpsc::Sender<Result<Unit>>,
    ) {
        let fetched = async {
            let http = Http::new(puller.http())?;
            let mut queue: std::collections::VecDeque<_> = requests.into();
            while let Some(request) = queue.pop_front() {
                let page = http.get(&request.url).await?;
                let follow = puller.follow(&request, &page.body);
                let size = page.body.len() as u64;
                let mut unit = if follow.parse {
                    self.whole_input(request.url.clone(), Bytes::from(page.body), began_at)
                } else {
                    let mut unit = Unit::nothing();
                    unit.bytes = size;
                    unit
                };
                unit.pages = 1;
                unit.progress = 1;
                tracing::debug!(source = %self.source_name, url = %request.url, bytes = size, "fetched");
                if let (true, Some(next)) = (follow.next_page, page.next) {
                    queue.push_back(crate::kind::PullRequest {
                        url: next,
                        tag: request.tag.clone(),
                    });
                }
                queue.extend(follow.requests);
                if tx.send(Ok(unit)).await.is_err() {
                    return Ok(());
                }
            }
            Ok(())
        };
        if let Err(e) = fetched.await {
            let _ = tx.send(Err(e)).await;
        }
    }

    /// Parses the units on the workers, takes the results back in order and commits them
    /// whenever `batch_rows` rows are buffered; sets each input's cursor once its rows are
    /// in the buffer (cursors are committed after the last rows). Stops at the first error.
    async fn commit_units(
        &self,
        rx: mpsc::Receiver<Result<Unit>>,
        summary: &mut IngestSummary,
        cursors: &mut Cursors,
        progress: &mut Ticker<'_>,
    ) -> Result<()> {
        let origin = Origin {
            kind: self.kind.name,
            source_name: self.source_name.clone(),
            now: self.lake.clock().now(),
            max_document_bytes: self.limits.max_document_bytes,
        };
        let units = futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|unit| (unit, rx))
        });
        let mut parsed = std::pin::pin!(
            units
                .map(|unit| {
                    let parser = Arc::clone(&self.parser);
                    let origin = origin.clone();
                    async move {
                        let unit = unit?;
                        tokio::task::spawn_blocking(move || pipeline::parse(&parser, &origin, unit))
                            .await
                            .map_err(|e| Error::Worker(e.to_string()))
                    }
                })
                .buffered(self.workers)
        );
        let mut pending: Vec<(&'static str, RecordBatch)> = Vec::new();
        let mut pending_rows = 0;
        let mut committing: Option<Commit> = None;
        let mut snapshots = SnapshotsWritten::default();
        while let Some(parsed) = parsed.next().await {
            let Parsed {
                unit,
                batches,
                accepted,
                skipped,
                rejected,
                incomplete,
                taken,
            } = parsed?;
            summary.records += accepted;
            summary.skipped += skipped;
            summary.quarantined += rejected;
            summary.files += unit.files;
            summary.unchanged_files += unit.unchanged;
            summary.pages += unit.pages;
            summary.bytes += unit.bytes;
            progress.advance(unit.progress, summary.records);
            pending_rows += batches.iter().map(|(_, b)| b.num_rows()).sum::<usize>();
            if self.parser.snapshots() {
                for (table, batch) in &batches {
                    snapshots.note(table, batch);
                }
                snapshots.lost(incomplete);
                snapshots.taken(taken);
            }
            pending.extend(batches);
            for (key, value) in unit.cursors {
                cursors.set(key, value);
            }
            if pending_rows >= self.batch_rows {
                if let Some(previous) = committing.take() {
                    finish_commit(previous, summary).await?;
                }
                committing = Some(self.start_commit(std::mem::take(&mut pending)));
                pending_rows = 0;
            }
        }
        if let Some(previous) = committing.take() {
            finish_commit(previous, summary).await?;
        }
        finish_commit(self.start_commit(pending), summary).await?;
        summary.incomplete_snapshots = snapshots.incomplete_count();
        if snapshots.rows.is_empty() {
            return Ok(());
        }
        // Every row of the run's snapshots is committed: only now are they complete.
        evlake_core::failpoint("ingest.before_snapshots");
        let markers = snapshots.markers(&origin);
        commit(
            self.lake.clone(),
            self.kind.name,
            self.source_name.clone(),
            markers,
        )
        .await?;
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

    /// Starts committing buffered batches on a task of its own, so that the workers' results
    /// keep being taken (and parsed ahead) while it writes; one commit runs at a time.
    fn start_commit(&self, pending: Vec<(&'static str, RecordBatch)>) -> Commit {
        tokio::spawn(commit(
            self.lake.clone(),
            self.kind.name,
            self.source_name.clone(),
            pending,
        ))
    }
}

/// The rows a snapshot source's run wrote to snapshot tables (`assets`, `people`), by table
/// and snapshot instant (microseconds): what the run's `_snapshots` markers say it completed.
/// A reader of a snapshot table takes a snapshot only once its marker is in, so a run larger
/// than one commit, one that died between commits, or one that lost a document (a page, a file)
/// of the snapshot to quarantine is never read as the whole of its catalog.
#[derive(Debug, Default)]
struct SnapshotsWritten {
    rows: BTreeMap<(&'static str, i64), u64>,
    /// Snapshot instants (microseconds) that lost a document.
    incomplete: BTreeSet<i64>,
}

impl SnapshotsWritten {
    /// Counts `batch`'s rows if `table` is a snapshot table.
    fn note(&mut self, table: &'static str, batch: &RecordBatch) {
        if !tables::get(table).is_ok_and(|t| t.kind == TableKind::Snapshot) {
            return;
        }
        let Some(times) = batch.column_by_name(tables::EVENT_TIME) else {
            return;
        };
        // A batch is one snapshot or a few, its rows in runs of one instant: count per run.
        let times = times.as_primitive::<TimestampMicrosecondType>().values();
        for run in times.chunk_by(|a, b| a == b) {
            *self.rows.entry((table, run[0])).or_default() += run.len() as u64;
        }
    }

    /// Notes snapshots a parser declared taken, which may hold no row.
    fn taken(&mut self, taken: BTreeSet<(&'static str, i64)>) {
        for key in taken {
            self.rows.entry(key).or_default();
        }
    }

    /// Notes the snapshots a unit's parse lost documents from.
    fn lost(&mut self, incomplete: BTreeSet<i64>) {
        self.incomplete.extend(incomplete);
    }

    /// How many of the run's snapshots are left unmarked because they lost a document.
    fn incomplete_count(&self) -> u64 {
        self.incomplete.len() as u64
    }

    /// One `_snapshots` row per table and instant, keyed by source name, table and instant
    /// (a re-run of the same snapshot adds none).
    fn markers(&self, origin: &Origin) -> Vec<(&'static str, RecordBatch)> {
        let mut out = Emitter::new(origin.kind, &origin.source_name, origin.now);
        for ((table, micros), rows) in &self.rows {
            if self.incomplete.contains(micros) {
                continue;
            }
            let at = DateTime::from_timestamp_micros(*micros).expect("a lake instant");
            let instant = timestamp(at);
            let raw =
                serde_json::json!({"table": table, "snapshot_time": instant, "row_count": rows});
            out.row(
                "_snapshots",
                at,
                format!(
                    "{}|{table}|{}",
                    origin.source_name,
                    instant.as_str().unwrap_or("")
                ),
                format!("{} snapshot of {table}", origin.source_name),
                raw.to_string().as_bytes(),
                Map::from_iter([
                    ("table_name".to_string(), Value::from(*table)),
                    ("row_count".to_string(), Value::from(*rows)),
                ]),
            );
        }
        out.drain()
    }
}

/// A commit in progress: per table committed, rows added and duplicates.
type Commit = tokio::task::JoinHandle<Result<Vec<(&'static str, AppendOutcome)>>>;

/// Waits for `commit` and counts what it did.
async fn finish_commit(commit: Commit, summary: &mut IngestSummary) -> Result<()> {
    let done = commit.await.map_err(|e| Error::Worker(e.to_string()))??;
    for (table, outcome) in done {
        let counts = summary.tables.entry(table.to_string()).or_default();
        counts.added += outcome.rows_added;
        counts.duplicates += outcome.duplicates;
    }
    Ok(())
}

/// Commits buffered batches: one append per table, in table order, quarantine last.
async fn commit(
    lake: Lake,
    kind: &'static str,
    source_name: String,
    pending: Vec<(&'static str, RecordBatch)>,
) -> Result<Vec<(&'static str, AppendOutcome)>> {
    let mut by_table: BTreeMap<(bool, &'static str), Vec<RecordBatch>> = BTreeMap::new();
    for (table, batch) in pending {
        by_table
            .entry((table == "_quarantine", table))
            .or_default()
            .push(batch);
    }
    let mut out = Vec::new();
    for ((_, table), batches) in by_table {
        let done = lake
            .append(table, batches)?
            .with_commit_metadata([
                ("evlake.source".to_string(), Value::String(kind.to_string())),
                (
                    "evlake.sourceName".to_string(),
                    Value::String(source_name.clone()),
                ),
            ])
            .execute()
            .await?;
        tracing::info!(
            source = %source_name,
            table,
            version = done.version,
            added = done.rows_added,
            duplicates = done.duplicates,
            "committed"
        );
        out.push((table, done));
    }
    Ok(out)
}
