//! Splitting a stream of JSON values — JSON Lines, or pretty-printed values one after
//! another, as Falco and Tetragon write them — into records, keeping exact byte offsets so a
//! file that grows is read on from where the last run stopped.

use std::ops::Range;

use serde::de::IgnoredAny;

/// One piece of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// A whole JSON value.
    Value {
        /// Its bytes within the buffer.
        range: Range<usize>,
        /// The line it starts on, counted from 0 at the buffer's start.
        line: u64,
    },
    /// A line that is not JSON (the stream goes on at the next line).
    Bad {
        /// Its bytes within the buffer.
        range: Range<usize>,
        /// The line it starts on, counted from 0 at the buffer's start.
        line: u64,
        /// Why it is not a record.
        reason: String,
    },
}

/// What [`split`] found in a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Split {
    /// The whole values and bad lines, in order.
    pub pieces: Vec<Piece>,
    /// How many bytes the pieces (and the whitespace between them) cover; what follows is an
    /// unfinished value.
    pub consumed: usize,
    /// How many newlines the consumed bytes hold.
    pub lines: u64,
}

/// Splits `buf` into JSON values and bad lines. `at_end` says that no more bytes follow
/// (for now): an unfinished value at the end is then a writer still writing — left for the
/// next run — unless its last line is complete, in which case it is a bad line. A value longer
/// than `max_record` bytes is a bad line too, and is never handed to a parser.
pub(crate) fn split(buf: &[u8], at_end: bool, max_record: usize) -> Split {
    let mut pieces = Vec::new();
    let mut pos = 0;
    let mut line = 0u64;
    let newlines = |range: Range<usize>| buf[range].iter().filter(|b| **b == b'\n').count() as u64;
    loop {
        let start = match buf[pos..].iter().position(|b| !b.is_ascii_whitespace()) {
            Some(skip) => pos + skip,
            None => {
                line += newlines(pos..buf.len());
                pos = buf.len();
                break;
            }
        };
        line += newlines(pos..start);
        // JSON Lines: a whole line from `{` to `}` is taken as one value without a validating
        // pass — the parser reads it anyway, and quarantines it if it is not JSON after all.
        if let Some(end) = json_line(&buf[start..]).filter(|end| *end <= max_record) {
            pieces.push(Piece::Value {
                range: start..start + end,
                line,
            });
            pos = start + end;
            continue;
        }
        let mut values =
            serde_json::Deserializer::from_slice(&buf[start..]).into_iter::<IgnoredAny>();
        let too_long = || format!("a record longer than {max_record} bytes (max_record_bytes)");
        let bad_reason = match values.next() {
            Some(Ok(_)) => {
                let end = start + values.byte_offset();
                let range = start..end;
                pieces.push(if range.len() > max_record {
                    Piece::Bad {
                        range,
                        line,
                        reason: too_long(),
                    }
                } else {
                    Piece::Value { range, line }
                });
                line += newlines(start..end);
                pos = end;
                continue;
            }
            Some(Err(e)) if e.is_eof() => {
                let rest = &buf[start..];
                let finished_line = rest.last().is_some_and(|b| *b == b'\n');
                if rest.len() > max_record {
                    too_long()
                } else if at_end && finished_line {
                    format!("not valid JSON: {e}")
                } else {
                    pos = start;
                    break;
                }
            }
            Some(Err(e)) => format!("not valid JSON: {e}"),
            None => unreachable!("a non-blank buffer holds a value or an error"),
        };
        let end = buf[start..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(buf.len(), |n| start + n + 1);
        pieces.push(Piece::Bad {
            range: start..end,
            line,
            reason: bad_reason,
        });
        line += newlines(start..end);
        pos = end;
    }
    Split {
        pieces,
        consumed: pos,
        lines: line,
    }
}

/// The length of the object that fills the first line of `rest`, if the line (up to its
/// newline) starts with `{` and ends with `}`.
fn json_line(rest: &[u8]) -> Option<usize> {
    if rest.first() != Some(&b'{') {
        return None;
    }
    let newline = rest.iter().position(|b| *b == b'\n')?;
    let end = rest[..newline]
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())?;
    (rest[end] == b'}').then_some(end + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(split: &Split, buf: &[u8]) -> Vec<(String, u64)> {
        split
            .pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Value { range, line } => Some((
                    String::from_utf8(buf[range.clone()].to_vec()).unwrap(),
                    *line,
                )),
                Piece::Bad { .. } => None,
            })
            .collect()
    }

    #[test]
    fn json_lines_and_pretty_values_split_with_their_lines() {
        let buf = b"{\"a\":1}\n\n{\"b\":\n  2\n}\n{\"c\":3}\n";
        let split = split(buf, true, 1 << 20);
        assert_eq!(
            values(&split, buf),
            vec![
                ("{\"a\":1}".to_string(), 0),
                ("{\"b\":\n  2\n}".to_string(), 2),
                ("{\"c\":3}".to_string(), 5)
            ]
        );
        assert_eq!((split.consumed, split.lines), (buf.len(), 6));
    }

    #[test]
    fn a_bad_line_is_its_own_piece_and_the_next_line_is_read() {
        let buf = b"{\"a\":1}\nnot json at all\n{\"c\":3}\n";
        let split = split(buf, true, 1 << 20);
        assert_eq!(values(&split, buf).len(), 2);
        match &split.pieces[1] {
            Piece::Bad {
                range,
                line,
                reason,
            } => {
                assert_eq!(&buf[range.clone()], b"not json at all\n");
                assert_eq!(*line, 1);
                assert!(reason.starts_with("not valid JSON"), "{reason}");
            }
            other => panic!("expected a bad line, got {other:?}"),
        }
        assert_eq!(split.consumed, buf.len());
    }

    #[test]
    fn an_unfinished_last_line_waits_for_its_writer() {
        let buf = b"{\"a\":1}\n{\"b\":";
        let split = split(buf, true, 1 << 20);
        assert_eq!(values(&split, buf).len(), 1);
        assert_eq!((split.consumed, split.lines), (8, 1));
        // A truncated line that its writer ended is bad, not unfinished.
        let buf = b"{\"a\":1}\n{\"b\":\n";
        let split = super::split(buf, true, 1 << 20);
        assert_eq!(split.consumed, buf.len());
        assert!(matches!(split.pieces[1], Piece::Bad { line: 1, .. }));
        // Before the end of the input, it may still be completed by the next chunk.
        let split = super::split(buf, false, 1 << 20);
        assert_eq!(split.consumed, 8);
    }

    #[test]
    fn a_record_longer_than_the_limit_is_bad_and_never_parsed() {
        let long = format!("{{\"a\":\"{}\"}}", "x".repeat(100));
        for text in [
            format!("{long}\n{{\"b\":1}}\n"),
            // Pretty-printed, so the JSON Lines shortcut does not apply.
            format!("{{\n\"a\":\"{}\"}}\n{{\"b\":1}}\n", "x".repeat(100)),
        ] {
            let buf = text.as_bytes();
            let split = split(buf, true, 64);
            assert_eq!(
                values(&split, buf),
                vec![("{\"b\":1}".to_string(), split.lines - 1)]
            );
            match &split.pieces[0] {
                Piece::Bad { reason, .. } => {
                    assert_eq!(reason, "a record longer than 64 bytes (max_record_bytes)")
                }
                other => panic!("expected a bad record, got {other:?}"),
            }
        }
    }
}
