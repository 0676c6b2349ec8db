//! Every source kind's parser, on any bytes: rows of the table's schema or quarantine, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| evlake_ingest::fuzzing::every_kind(bytes));
