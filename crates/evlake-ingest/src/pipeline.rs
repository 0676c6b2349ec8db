//! The work a run hands to its parsing workers, and what comes back.
//!
//! A run's reader (files, objects, API pages) cuts its inputs into [`Unit`]s — a whole
//! document, or the values of one chunk of a stream — in input order. Workers parse units
//! concurrently on every core, each into rows of its own; the run takes the results back in
//! the order the units were made and commits them on one path, so de-duplication, cursors and
//! quarantine are the same as if one core had done it all. A gzip document (`.json.gz`, as
//! AWS delivers to S3) is decompressed on its worker.

use std::ops::Range;
use std::sync::Arc;

use arrow::array::RecordBatch;
use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::emit::{Document, Emitter};
use crate::kind::Parser;
use crate::stream::Piece;

/// What a worker does with a unit.
#[derive(Debug)]
pub(crate) enum Work {
    /// Parse a whole document.
    Document {
        location: String,
        bytes: Bytes,
        modified: DateTime<Utc>,
    },
    /// Parse the values of a stream and quarantine its bad lines; `rest` is a tail that
    /// will never be finished (the end of a whole object, or of a file gone quiet), with why.
    Values {
        location: String,
        bytes: Bytes,
        pieces: Vec<Piece>,
        /// Lines before `bytes` in the input.
        first_line: u64,
        modified: DateTime<Utc>,
        rest: Option<(Range<usize>, u64, String)>,
    },
    /// Quarantine an input unread, with the reason; `modified` as a document of it would have.
    Refuse {
        location: String,
        reason: String,
        modified: DateTime<Utc>,
    },
}

/// One piece of a run's work, with what the run records once its rows are in: one input's
/// work or one chunk of a stream, or many small inputs gathered by a [`Gatherer`].
#[derive(Debug)]
pub(crate) struct Unit {
    /// What the worker parses, in input order (none: the unit only carries counts and cursors).
    pub works: Vec<Work>,
    /// The cursor entries to set when this unit's rows are committed (its inputs are done).
    pub cursors: Vec<(String, String)>,
    /// Counts for the summary: inputs read, left unchanged, pages, bytes read.
    pub files: u64,
    pub unchanged: u64,
    pub pages: u64,
    pub bytes: u64,
    /// Input bytes this unit accounts for, for progress.
    pub progress: u64,
}

impl Unit {
    /// A unit of `work` and nothing else.
    pub(crate) fn of(work: Work) -> Self {
        let mut unit = Self::nothing();
        unit.works.push(work);
        unit
    }

    /// A unit with nothing to parse, for its counts and cursor.
    pub(crate) fn nothing() -> Self {
        Self {
            works: Vec::new(),
            cursors: Vec::new(),
            files: 0,
            unchanged: 0,
            pages: 0,
            bytes: 0,
            progress: 0,
        }
    }

    /// Adds `other`'s work, cursors and counts after this unit's own.
    fn absorb(&mut self, other: Unit) {
        self.works.extend(other.works);
        self.cursors.extend(other.cursors);
        self.files += other.files;
        self.unchanged += other.unchanged;
        self.pages += other.pages;
        self.bytes += other.bytes;
        self.progress += other.progress;
    }
}

/// Hands units to the workers, gathering small ones into one: a unit costs a hand-over to a
/// worker thread and a batch per table of its own, which for a tree of 100,000 SARIF files
/// of a kilobyte each is most of the work. Order is kept: a gathered unit holds consecutive
/// inputs, and a large unit first sends what was gathered before it.
pub(crate) struct Gatherer {
    tx: tokio::sync::mpsc::Sender<crate::Result<Unit>>,
    gathered: Option<Unit>,
}

impl Gatherer {
    /// A unit under this many bytes is gathered with its neighbours.
    const SMALL: u64 = 64 << 10;
    /// A gathered unit is sent once it holds this many bytes or this many inputs.
    const FULL_BYTES: u64 = 1 << 20;
    const FULL_INPUTS: usize = 512;

    /// Sends to `tx`.
    pub(crate) fn new(tx: tokio::sync::mpsc::Sender<crate::Result<Unit>>) -> Self {
        Self { tx, gathered: None }
    }

    /// Sends `unit` (or holds it to gather with the next ones); `false` once the run has
    /// stopped taking units.
    pub(crate) async fn send(&mut self, unit: Unit) -> bool {
        if unit.bytes >= Self::SMALL {
            return self.flush().await && self.tx.send(Ok(unit)).await.is_ok();
        }
        let gathered = self.gathered.get_or_insert_with(Unit::nothing);
        gathered.absorb(unit);
        if gathered.bytes >= Self::FULL_BYTES || gathered.cursors.len() >= Self::FULL_INPUTS {
            return self.flush().await;
        }
        true
    }

    /// Sends what is gathered, then `error` in the place of the units that would follow.
    pub(crate) async fn fail(&mut self, error: crate::Error) {
        if self.flush().await {
            let _ = self.tx.send(Err(error)).await;
        }
    }

    /// Sends what is gathered; `false` once the run has stopped taking units.
    pub(crate) async fn flush(&mut self) -> bool {
        match self.gathered.take() {
            Some(unit) => self.tx.send(Ok(unit)).await.is_ok(),
            None => true,
        }
    }
}

/// What a worker made of a unit: its rows (and quarantined records) as one batch per table.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub unit: Unit,
    pub batches: Vec<(&'static str, RecordBatch)>,
    pub accepted: u64,
    pub skipped: u64,
    pub rejected: u64,
    pub incomplete: std::collections::BTreeSet<i64>,
    /// Snapshots taken, by table and instant, whether or not they hold rows.
    pub taken: std::collections::BTreeSet<(&'static str, i64)>,
}

/// Who the rows are from: what every worker's emitter stamps.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub kind: &'static str,
    pub source_name: String,
    pub now: DateTime<Utc>,
    /// The most bytes a document may hold once decompressed.
    pub max_document_bytes: u64,
}

/// A gzip document's bytes decompressed (`None` when it is not gzip: read as it is), at most
/// `limit` of them, so that a small file cannot unpack into an unbounded one.
fn gunzip(bytes: &[u8], limit: u64) -> Result<Option<Vec<u8>>, String> {
    use std::io::Read;
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(None);
    }
    let mut plain = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(limit + 1)
        .read_to_end(&mut plain)
        .map_err(|e| format!("not valid gzip: {e}"))?;
    if plain.len() as u64 > limit {
        return Err(format!(
            "the input decompresses to more than max_document_bytes ({limit}): not read; raise \
             the source's max_document_bytes to ingest it"
        ));
    }
    Ok(Some(plain))
}

/// Parses one unit (on a worker).
pub(crate) fn parse(parser: &Arc<dyn Parser>, origin: &Origin, mut unit: Unit) -> Parsed {
    let mut out = Emitter::new(origin.kind, &origin.source_name, origin.now);
    for work in std::mem::take(&mut unit.works) {
        parse_work(parser, origin, work, &mut out);
    }
    let (accepted, skipped, rejected) = (out.accepted, out.skipped, out.rejected.len() as u64);
    Parsed {
        unit,
        batches: out.drain(),
        accepted,
        skipped,
        rejected,
        incomplete: std::mem::take(&mut out.incomplete),
        taken: std::mem::take(&mut out.taken),
    }
}

/// Parses one input's work (or one chunk of a stream) into `out`.
fn parse_work(parser: &Arc<dyn Parser>, origin: &Origin, work: Work, out: &mut Emitter) {
    match work {
        Work::Document {
            location,
            bytes,
            modified,
        } => match gunzip(&bytes, origin.max_document_bytes) {
            Ok(plain) => parser.parse(
                Document {
                    location: &location,
                    bytes: plain.as_deref().unwrap_or(&bytes),
                    modified,
                },
                out,
            ),
            Err(reason) => {
                refused(parser, out, &location, modified);
                out.reject(&location, reason, &bytes)
            }
        },
        Work::Values {
            location,
            bytes,
            pieces,
            first_line,
            modified,
            rest,
        } => {
            for piece in &pieces {
                match piece {
                    Piece::Value { range, line } => parser.parse(
                        Document {
                            location: &format!("{location}:{}", first_line + line + 1),
                            bytes: &bytes[range.clone()],
                            modified,
                        },
                        out,
                    ),
                    Piece::Bad {
                        range,
                        line,
                        reason,
                    } => {
                        let raw = &bytes[range.clone()];
                        refused(parser, out, &location, modified);
                        out.reject(
                            &format!("{location}:{}", first_line + line + 1),
                            reason,
                            raw.strip_suffix(b"\n").unwrap_or(raw),
                        );
                    }
                }
            }
            if let Some((range, line, reason)) = rest {
                let at = format!("{location}:{}", first_line + line + 1);
                refused(parser, out, &location, modified);
                out.reject(&at, reason, &bytes[range]);
            }
        }
        Work::Refuse {
            location,
            reason,
            modified,
        } => {
            refused(parser, out, &location, modified);
            out.reject(&location, reason, b"")
        }
    }
}

/// An input (or a piece of one) refused unparsed: the snapshot it belongs to lost it.
fn refused(parser: &Arc<dyn Parser>, out: &mut Emitter, location: &str, modified: DateTime<Utc>) {
    if parser.snapshots()
        && let Some(at) = parser.snapshot_at(location, modified)
    {
        out.incomplete_snapshot(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A unit of `bytes` bytes that sets cursor `key`.
    fn input(key: &str, bytes: u64) -> Unit {
        let mut unit = Unit::of(Work::Refuse {
            location: key.to_string(),
            reason: String::new(),
            modified: DateTime::UNIX_EPOCH,
        });
        unit.bytes = bytes;
        unit.files = 1;
        unit.cursors.push((key.to_string(), "seen".to_string()));
        unit
    }

    fn keys(unit: &Unit) -> Vec<&str> {
        unit.cursors.iter().map(|(k, _)| k.as_str()).collect()
    }

    #[tokio::test]
    async fn small_inputs_are_gathered_in_order_and_a_large_one_goes_alone_after_them() {
        let (tx, mut rx) = tokio::sync::mpsc::channel(16);
        let mut out = Gatherer::new(tx);
        for key in ["a", "b", "c"] {
            assert!(out.send(input(key, 1_000)).await);
        }
        assert!(out.send(input("big", Gatherer::SMALL)).await);
        assert!(out.send(input("d", 1_000)).await);
        assert!(out.flush().await);
        drop(out);
        let mut units = Vec::new();
        while let Some(unit) = rx.recv().await {
            units.push(unit.unwrap());
        }
        let sent: Vec<Vec<&str>> = units.iter().map(keys).collect();
        assert_eq!(sent, [vec!["a", "b", "c"], vec!["big"], vec!["d"]]);
        assert_eq!(
            (units[0].files, units[0].bytes, units[0].works.len()),
            (3, 3_000, 3)
        );
    }

    #[tokio::test]
    async fn a_gathered_unit_is_sent_when_full_and_before_an_error() {
        let (tx, mut rx) = tokio::sync::mpsc::channel(16);
        let mut out = Gatherer::new(tx);
        for i in 0..Gatherer::FULL_INPUTS + 1 {
            assert!(out.send(input(&i.to_string(), 10)).await);
        }
        out.fail(crate::Error::Worker("stopped".into())).await;
        drop(out);
        let full = rx.recv().await.unwrap().unwrap();
        assert_eq!(full.cursors.len(), Gatherer::FULL_INPUTS);
        let rest = rx.recv().await.unwrap().unwrap();
        assert_eq!(keys(&rest), [Gatherer::FULL_INPUTS.to_string()]);
        assert!(rx.recv().await.unwrap().is_err());
        assert!(rx.recv().await.is_none());
    }
}
