//! Settings of a `dsomm` source.

use serde::Deserialize;

/// Settings of a `dsomm` source: where the DSOMM app's configuration is, and the custom
/// activity files it loads over the model. Every file is relative to the config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DsommConfig {
    /// The app's `meta.yaml`: its `progressDefinition` (the states' titles and scores) and its
    /// `teams` (inline, or a `$ref` such as `default/teams.yaml#/teams`, resolved from the
    /// directory of this file). Omitted: the app's default states (`Not implemented` 0 %,
    /// `Started` 20 %, `Partly implemented` 50 %, `Fully implemented` 100 %) and no team list.
    pub meta_file: Option<String>,
    /// The teams file, when `meta.yaml`'s `$ref` does not lead to it from where the config
    /// keeps `meta.yaml` (the app resolves it from its assets directory).
    pub teams_file: Option<String>,
    /// Custom activity files (the app's `activityFiles` after the model), loaded in order over
    /// every model the source imports: an entry overrides the activity of the same UUID (or,
    /// without one, of the same name) field by field, adds a new one, or drops it with
    /// `ignore: true`.
    #[serde(default)]
    pub overlays: Vec<OverlayConfig>,
}

/// A custom activity file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverlayConfig {
    /// The file, relative to the config file.
    pub file: String,
}
