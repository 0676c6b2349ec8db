//! The `evlake` command line: argument parsing, rendering and exit codes over the library
//! crates.

pub mod cli;
