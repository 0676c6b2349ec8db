//! Crash points for testing crash consistency: `EVLAKE_FAILPOINT=NAME` makes the process
//! abort (as a `kill -9` would stop it) when it reaches the point called `NAME`. The points
//! sit where a crash is hardest to survive, between writing data and recording it.

/// Aborts the process if `EVLAKE_FAILPOINT` names this point; does nothing otherwise.
pub fn failpoint(name: &str) {
    if std::env::var("EVLAKE_FAILPOINT").is_ok_and(|v| v == name) {
        eprintln!("evlake: failpoint {name}: aborting");
        std::process::abort();
    }
}
