//! The `evlake` command: parsing is here, the work is in the library crates.

use std::process::ExitCode;

fn main() -> ExitCode {
    evlake::cli::main()
}
