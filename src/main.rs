//! The `evlake` command: parsing is here, the work is in the library crates.

use std::process::ExitCode;

/// jemalloc rather than glibc's malloc: ingest frees on other threads than it allocated on
/// (workers parse, the commit task writes), and glibc's per-thread arenas kept what was freed
/// into them, half of a long ingest's peak (docs/benchmarks.md).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    evlake::cli::main()
}
