//! Which CI jobs are which gates, from a source's `gates` setting.

use std::collections::BTreeMap;

use globset::GlobSet;

use crate::sources::json::globs;

/// Gates by name or glob: `{ sast = ["CodeQL*", "semgrep"], deploy = ["deploy-*"] }`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Gates(Vec<(String, GlobSet)>);

impl Gates {
    /// The gates of a `gates` setting; a bad glob is an error naming it.
    pub(crate) fn new(config: &BTreeMap<String, Vec<String>>) -> crate::Result<Self> {
        config
            .iter()
            .map(|(gate, patterns)| Ok((gate.clone(), globs(patterns, &format!("gates.{gate}"))?)))
            .collect::<crate::Result<_>>()
            .map(Gates)
    }

    /// The gate a job or check called `name` implements, if any (the first that matches).
    pub(crate) fn of(&self, name: Option<&str>) -> Option<String> {
        let name = name?;
        self.0
            .iter()
            .find(|(_, set)| set.is_match(name))
            .map(|(gate, _)| gate.clone())
    }
}
