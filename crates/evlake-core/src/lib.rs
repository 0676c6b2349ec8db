//! The shared vocabulary of evlake: the schema of every lake table, the clock that
//! makes "now" injectable, time parsing for as-of instants, and the core error type.

pub mod clock;
pub mod error;
mod failpoint;
pub mod tables;
pub mod time;

pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{Error, Result};
pub use failpoint::failpoint;
pub use tables::{Partitioning, TableKind, TableSpec};

use sha2::{Digest, Sha256};

/// SHA-256 of `bytes`, in lower-case hex: how evlake names every record, file and commit.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
