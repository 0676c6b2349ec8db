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

/// DSSE's pre-authentication encoding of a payload: what a DSSE signature signs (the
/// verifier at ingest and the generator that signs both use it).
pub fn dsse_pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}
