//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`): reading a commit file
//! as `verify` does, without a store.

use crate::chain;
use crate::checkpoint::TableState;

/// Reads `bytes` as the commit file `_delta_log/…json` and replays its actions: a commit
/// either parses or is an error (never a panic), its digest is computed, and replaying it
/// twice gives the same state.
pub fn commit_file(bytes: &[u8]) {
    if let Ok(name) = std::str::from_utf8(bytes) {
        let _ = crate::verify::log_file_kind(name);
    }
    let Ok(commit) = crate::verify::parse_commit_for_fuzzing(bytes) else {
        return;
    };
    let _ = chain::actions_digest(&commit);
    let mut once = TableState::default();
    let mut again = TableState::default();
    for action in &commit {
        once.apply(action);
        again.apply(action);
    }
    assert_eq!(once.difference(&again), None);
}
