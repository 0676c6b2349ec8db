//! Settings of an `exceptions` source.

use serde::Deserialize;

/// Settings of an `exceptions` source.
///
/// The register is YAML (a list of entries, or a mapping with an `exceptions` list) or CSV
/// with a header line. Each entry has `id` (required), `control` (e.g. `sast`), `scope`
/// (`repo:acme/web`, `service:payments`, `person:jane@example.com`, or a bare value with
/// `scope_kind`), `owner`, `reason`, `ticket`, `created`, `expires` and `revoked` (dates or
/// RFC 3339 timestamps; a date for `expires` means the end of that day).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionsConfig {
    /// The control to assume for entries that name none (e.g. a register kept for one control).
    pub control: Option<String>,
}
