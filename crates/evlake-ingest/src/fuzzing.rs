//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`): the same code paths a
//! run takes, without a lake. Each checks the invariants a run relies on and panics when one
//! fails, so the fuzzer reports it.

use chrono::DateTime;

use crate::kind::Framing;
use crate::{Document, Emitter, kinds, stream};

/// Splits `bytes` as a stream, at its end and before it, and checks that the pieces lie in
/// order inside the bytes and that the line count is the consumed bytes' newlines.
pub fn stream_framing(bytes: &[u8], max_record: usize) {
    for at_end in [false, true] {
        let split = stream::split(bytes, at_end, max_record);
        assert!(split.consumed <= bytes.len());
        let mut last_end = 0;
        for piece in &split.pieces {
            let range = match piece {
                stream::Piece::Value { range, .. } => {
                    assert!(range.len() <= max_record, "a value past max_record");
                    range
                }
                stream::Piece::Bad { range, .. } => range,
            };
            assert!(range.start >= last_end && range.end <= split.consumed);
            last_end = range.end;
        }
        let newlines = bytes[..split.consumed]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        assert_eq!(split.lines, newlines);
    }
}

/// Hands `bytes` to every source kind that builds from default settings, framed as a run
/// frames it, and turns what each emits into Arrow batches.
pub fn every_kind(bytes: &[u8]) {
    let modified = DateTime::from_timestamp(1_764_547_200, 0).expect("a valid instant");
    for kind in kinds() {
        let Ok(source) = (kind.build)(&serde_json::Map::new()) else {
            continue;
        };
        let mut out = Emitter::new(kind.name, "fuzz", modified);
        match source.parser.framing() {
            Framing::Document => source.parser.parse(
                Document {
                    location: "fuzz",
                    bytes,
                    modified,
                },
                &mut out,
            ),
            Framing::JsonValues => {
                for piece in stream::split(bytes, true, 1 << 20).pieces {
                    if let stream::Piece::Value { range, .. } = piece {
                        source.parser.parse(
                            Document {
                                location: "fuzz:1",
                                bytes: &bytes[range],
                                modified,
                            },
                            &mut out,
                        );
                    }
                }
            }
        }
        for (table, batch) in out.drain() {
            let spec = evlake_core::tables::get(table).expect("kinds write lake tables");
            assert_eq!(
                batch.schema(),
                spec.input_schema(),
                "{} rows for {table}",
                kind.name
            );
        }
    }
}
