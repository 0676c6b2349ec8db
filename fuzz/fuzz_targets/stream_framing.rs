//! The stream framing of Falco, Tetragon and JSON Lines: pieces in order, inside the bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    // A small record limit, so that inputs of a few kilobytes reach the too-long path.
    evlake_ingest::fuzzing::stream_framing(bytes, 256);
});
