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

/// Which CI records are production, from a source's `production_environments` and
/// `production_branches` settings.
#[derive(Debug, Clone)]
pub(crate) struct Production {
    environments: GlobSet,
    branches: GlobSet,
}

impl Production {
    /// The production environments and branches (globs); a bad glob is an error naming it.
    pub(crate) fn new(environments: &[String], branches: &[String]) -> crate::Result<Self> {
        Ok(Self {
            environments: globs(environments, "production_environments")?,
            branches: globs(branches, "production_branches")?,
        })
    }

    /// Whether `environment` is a production environment.
    pub(crate) fn environment(&self, environment: &str) -> bool {
        self.environments.is_match(environment)
    }

    /// Whether a job ran for production: by its environment when it names one, else by its
    /// branch (a pull-request or feature-branch run is not); `None` when it names neither.
    pub(crate) fn of(&self, environment: Option<&str>, branch: Option<&str>) -> Option<bool> {
        match (environment, branch) {
            (Some(environment), _) => Some(self.environment(environment)),
            (None, Some(branch)) => Some(self.branches.is_match(branch)),
            (None, None) => None,
        }
    }
}

/// The default production branches: the usual names of a repository's main line.
pub(crate) fn default_production_branches() -> Vec<String> {
    vec!["main".into(), "master".into()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_production_by_its_environment_else_its_branch() {
        let p = Production::new(
            &["production".into(), "prod-*".into()],
            &default_production_branches(),
        )
        .unwrap();
        assert_eq!(p.of(Some("prod-eu"), Some("feature/x")), Some(true));
        assert_eq!(p.of(Some("staging"), Some("main")), Some(false));
        assert_eq!(p.of(None, Some("main")), Some(true));
        assert_eq!(p.of(None, Some("dependabot/npm/lodash")), Some(false));
        assert_eq!(p.of(None, None), None);
        let err = Production::new(&[], &["[".into()]).unwrap_err().to_string();
        assert!(err.contains("production_branches"), "{err}");
    }
}
