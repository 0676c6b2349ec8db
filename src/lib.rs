//! The `evlake` command line and the synthetic evidence it demonstrates and benchmarks with.

pub mod cli;
pub mod generate;
pub mod synthetic;

// Ingest allocates and frees many small values per record (parsed JSON, row fields); glibc's
// allocator spent a third of ingest time on them. Set here so the binary, the benchmarks and
// the tests all run on the same allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
