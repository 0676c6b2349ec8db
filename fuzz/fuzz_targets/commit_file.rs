//! The commit-file reader `verify` uses, and the replay it compares checkpoints with.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| evlake_store::fuzzing::commit_file(bytes));
