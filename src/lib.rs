//! The `evlake` command line and the synthetic evidence it demonstrates and benchmarks with.

pub mod cli;
pub mod generate;
pub mod synthetic;
