//! What an in-toto Statement (v0.1, v1) with a SLSA provenance predicate (v0.2, v1) says:
//! its subjects, the builder, the build type, the source repository and commit, and the CI
//! run that built it; and whether the builder it claims is the identity that signed it.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::sources::json::{text, time};

/// The provenance of one attestation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Provenance {
    /// `_type`.
    pub statement_type: Option<String>,
    /// `predicateType`.
    pub predicate_type: Option<String>,
    /// Each subject's name and `sha256:` digest.
    pub subjects: Vec<(Option<String>, String)>,
    /// The builder's id.
    pub builder_id: Option<String>,
    /// The build type.
    pub build_type: Option<String>,
    /// The source repository (its URI without `git+` and the ref).
    pub source_repo: Option<String>,
    /// The source commit.
    pub source_commit: Option<String>,
    /// The invocation id as the predicate gives it.
    pub invocation_id: Option<String>,
    /// The CI run id the invocation names (GitHub's `actions/runs/<id>`, the generator's
    /// `<id>-<attempt>`).
    pub run_id: Option<String>,
    /// When the build finished (or started), as the predicate says.
    pub built_at: Option<DateTime<Utc>>,
    /// The workflow a GitHub-hosted build ran: `<repository>/<path>@<ref>`.
    workflow: Option<String>,
}

/// A git URI (`git+https://github.com/o/r@refs/tags/v1`) as a repository.
fn repository(uri: &str) -> String {
    let uri = uri.strip_prefix("git+").unwrap_or(uri);
    let uri = match uri.rsplit_once('@') {
        Some((repo, _)) if repo.contains("://") => repo,
        _ => uri,
    };
    uri.trim_end_matches(".git").to_string()
}

fn commit_of(digest: &Value) -> Option<String> {
    ["gitCommit", "sha1", "sha256"]
        .iter()
        .find_map(|k| digest[*k].as_str().map(str::to_string))
}

/// The run id in an invocation id: `…/actions/runs/<id>/attempts/<n>`, or `<id>-<attempt>`.
fn run_of(invocation: &str) -> Option<String> {
    if let Some((_, rest)) = invocation.split_once("/runs/") {
        return rest.split('/').next().map(str::to_string);
    }
    let id = invocation.split('-').next()?;
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then(|| id.to_string())
}

impl Provenance {
    /// Reads a statement; the error says why it is not one.
    pub fn from_statement(s: &Value) -> Result<Self, String> {
        let statement_type = text(s, "/_type").map(str::to_string);
        if !statement_type
            .as_deref()
            .is_some_and(|t| t.starts_with("https://in-toto.io/Statement/"))
        {
            return Err(format!(
                "the payload is not an in-toto Statement (_type {})",
                statement_type.as_deref().unwrap_or("missing")
            ));
        }
        let mut subjects = Vec::new();
        for sub in s["subject"].as_array().into_iter().flatten() {
            if let Some(d) = sub["digest"]["sha256"].as_str() {
                subjects.push((
                    sub["name"].as_str().map(str::to_string),
                    format!("sha256:{}", d.to_ascii_lowercase()),
                ));
            }
        }
        if subjects.is_empty() {
            return Err("the statement has no subject with a sha256 digest".into());
        }
        let p = &s["predicate"];
        let mut out = Self {
            statement_type,
            predicate_type: text(s, "/predicateType").map(str::to_string),
            subjects,
            ..Self::default()
        };
        if p["buildDefinition"].is_object() || p["runDetails"].is_object() {
            out.slsa_v1(p);
        } else {
            out.slsa_v02(p);
        }
        out.run_id = out.invocation_id.as_deref().and_then(run_of);
        Ok(out)
    }

    fn slsa_v1(&mut self, p: &Value) {
        let def = &p["buildDefinition"];
        self.builder_id = text(p, "/runDetails/builder/id").map(str::to_string);
        self.build_type = text(def, "/buildType").map(str::to_string);
        let dep = def["resolvedDependencies"].as_array().and_then(|deps| {
            deps.iter()
                .find(|d| d["uri"].as_str().is_some_and(|u| u.starts_with("git+")))
        });
        let ext = &def["externalParameters"];
        let workflow = &ext["workflow"];
        self.source_repo = dep
            .and_then(|d| d["uri"].as_str())
            .or(text(ext, "/source/uri"))
            .map(repository)
            .or_else(|| text(workflow, "/repository").map(repository));
        self.source_commit = dep
            .and_then(|d| commit_of(&d["digest"]))
            .or_else(|| commit_of(&ext["source"]["digest"]));
        self.invocation_id = text(p, "/runDetails/metadata/invocationId")
            .map(str::to_string)
            .or_else(|| {
                def["internalParameters"]["GITHUB_RUN_ID"]
                    .as_i64()
                    .map(|n| n.to_string())
            });
        self.built_at = time(p, "/runDetails/metadata/finishedOn")
            .or_else(|| time(p, "/runDetails/metadata/startedOn"));
        if let (Some(repo), Some(path), Some(r)) = (
            text(workflow, "/repository"),
            text(workflow, "/path"),
            text(workflow, "/ref"),
        ) {
            self.workflow = Some(format!("{}/{path}@{r}", repo.trim_end_matches('/')));
        }
    }

    fn slsa_v02(&mut self, p: &Value) {
        self.builder_id = text(p, "/builder/id").map(str::to_string);
        self.build_type = text(p, "/buildType").map(str::to_string);
        let config = &p["invocation"]["configSource"];
        let material = p["materials"].as_array().and_then(|m| m.first());
        self.source_repo = text(config, "/uri")
            .or_else(|| material.and_then(|m| m["uri"].as_str()))
            .map(repository);
        self.source_commit =
            commit_of(&config["digest"]).or_else(|| material.and_then(|m| commit_of(&m["digest"])));
        self.invocation_id = text(p, "/metadata/buildInvocationID")
            .or(text(p, "/metadata/buildInvocationId"))
            .map(str::to_string);
        self.built_at =
            time(p, "/metadata/buildFinishedOn").or_else(|| time(p, "/metadata/buildStartedOn"));
    }

    /// Whether `signer` (a certificate identity) is the builder the provenance claims: a
    /// builder that is a reusable workflow signs as that workflow; GitHub's hosted runner signs
    /// as the workflow the build ran. `None` when the builder names no identity to compare.
    pub fn signed_by_builder(&self, signer: &str) -> Option<bool> {
        let builder = self.builder_id.as_deref()?;
        if builder.contains("/.github/workflows/") {
            return Some(builder == signer);
        }
        if builder.starts_with("https://github.com/actions/runner") {
            return self.workflow.as_deref().map(|w| w == signer);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_and_runs_are_read_from_the_shapes_builders_write() {
        assert_eq!(
            repository("git+https://github.com/acme/web@refs/tags/v1"),
            "https://github.com/acme/web"
        );
        assert_eq!(
            repository("https://gitlab.com/a/b.git"),
            "https://gitlab.com/a/b"
        );
        assert_eq!(
            run_of("https://github.com/a/b/actions/runs/14095611671/attempts/1").as_deref(),
            Some("14095611671")
        );
        assert_eq!(run_of("8781225467-1").as_deref(), Some("8781225467"));
        assert_eq!(run_of("build-abc"), None);
    }
}
