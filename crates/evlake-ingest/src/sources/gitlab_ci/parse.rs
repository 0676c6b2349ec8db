//! Parsing GitLab REST API v4 response bodies.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::GitlabCiConfig;
use crate::emit::{Document, Emitter};
use crate::kind::Parser;
use crate::sources::gates::{Gates, Production};
use crate::sources::json::{Record, ci_identity, each_body, emit_record, id, text, time, when};

/// The `gitlab-ci` parser.
#[derive(Debug, Clone)]
pub struct GitlabCiParser {
    gates: Gates,
    production: Production,
    project: Option<String>,
}

impl GitlabCiParser {
    /// A parser with `config`; a bad glob is an error naming it.
    pub fn new(config: GitlabCiConfig) -> crate::Result<Self> {
        let gates = Gates::new(&config.gates)?;
        Ok(Self {
            gates,
            production: Production::new(
                &config.production_environments,
                &config.production_branches,
            )?,
            project: config.project,
        })
    }

    /// `group/project` from a `web_url` (`https://gitlab.example.com/group/project/-/jobs/7`),
    /// else from the API URL the body was pulled from (`…/projects/group%2Fproject/…`),
    /// else the `project` setting.
    fn project_of(&self, record: &Value, location: &str) -> Option<String> {
        ["/web_url", "/pipeline/web_url", "/deployable/web_url"]
            .iter()
            .filter_map(|p| text(record, p))
            .find_map(|url| {
                let path = url.split_once("://").map_or(url, |(_, rest)| rest);
                let (_, path) = path.split_once('/')?;
                Some(path.split_once("/-/")?.0.to_string())
            })
            .or_else(|| {
                let (_, rest) = location.split_once("/projects/")?;
                let id = rest.split(['/', '?', '#']).next()?;
                Some(id.replace("%2F", "/").replace("%2f", "/"))
            })
            .or_else(|| self.project.clone())
    }
}

/// Whether a GitLab pipeline or job status is final. `manual` and `skipped` are not: GitLab
/// moves a job from either back to `created` (played by hand, or its pipeline retried) under
/// the same id, and the record read then says what it did.
fn finished(status: Option<&str>) -> bool {
    matches!(status, Some("success" | "failed" | "canceled"))
}

impl Parser for GitlabCiParser {
    fn parse(&self, doc: Document<'_>, out: &mut Emitter) {
        each_body(doc, out, |body, at, out| match body.items() {
            Some(items) => {
                for (i, item) in items.into_iter().enumerate() {
                    self.record(&item.record(), &format!("{at}/{i}"), out);
                }
            }
            None if body.fields().is_some() => self.record(&body.record(), at, out),
            None => out.reject(
                at,
                "not a GitLab body: expected an object or an array",
                body.bytes(),
            ),
        });
    }
}

impl GitlabCiParser {
    /// One record, recognised by its shape: a deployment has an environment and a deployable,
    /// a job a stage, a pipeline a sha and a status.
    fn record(&self, record: &Record<'_>, location: &str, out: &mut Emitter) {
        let has = |key: &str| record.get(key).is_some();
        if has("environment") && has("deployable") {
            self.deployment(record, location, out);
        } else if has("stage") && has("name") {
            self.job(record, location, out);
        } else if has("sha") && has("status") && has("ref") {
            self.pipeline(record, location, out);
        } else {
            out.reject(
                location,
                "not a GitLab pipeline, job or deployment",
                record.bytes(),
            );
        }
    }

    /// A row of `table` for `record`, whose project the body or the settings must name.
    fn emit(
        &self,
        table: &'static str,
        record: &Record<'_>,
        location: &str,
        identity: (Option<String>, Option<DateTime<Utc>>),
        mut fields: Map<String, Value>,
        out: &mut Emitter,
    ) {
        let Some(project) = self.project_of(record, location) else {
            return out.reject(
                location,
                "no project: the body has no web_url and was not pulled from a project URL; set `project`",
                record.bytes(),
            );
        };
        fields.insert("provider".into(), json!("gitlab"));
        fields.insert("repo".into(), json!(project));
        let (source_id, event_time) = identity;
        let source_id = source_id.map(|id| format!("{project}:{id}"));
        emit_record(
            out,
            table,
            record,
            location,
            (source_id, event_time),
            fields,
        );
    }

    fn pipeline(&self, pipeline: &Record<'_>, location: &str, out: &mut Emitter) {
        let event_time = time(pipeline, "/finished_at").or_else(|| time(pipeline, "/updated_at"));
        let fields = Map::from_iter([
            ("record_kind".to_string(), json!("run")),
            ("run_id".to_string(), json!(id(pipeline, "/id"))),
            ("status".to_string(), json!(text(pipeline, "/status"))),
            ("conclusion".to_string(), json!(text(pipeline, "/status"))),
            ("commit_sha".to_string(), json!(text(pipeline, "/sha"))),
            ("branch".to_string(), json!(text(pipeline, "/ref"))),
            (
                "production".to_string(),
                json!(self.production.of(None, text(pipeline, "/ref"))),
            ),
            (
                "started_at".to_string(),
                when(time(pipeline, "/started_at")),
            ),
            (
                "completed_at".to_string(),
                when(time(pipeline, "/finished_at")),
            ),
            ("actor".to_string(), json!(text(pipeline, "/user/username"))),
        ]);
        let status = text(pipeline, "/status");
        let source_id = id(pipeline, "/id")
            .map(|i| ci_identity(format!("pipeline:{i}"), status, finished(status)));
        self.emit(
            "ci_jobs",
            pipeline,
            location,
            (source_id, event_time),
            fields,
            out,
        );
    }

    fn job(&self, job: &Record<'_>, location: &str, out: &mut Emitter) {
        let name = text(job, "/name");
        let event_time = time(job, "/finished_at")
            .or_else(|| time(job, "/started_at"))
            .or_else(|| time(job, "/created_at"));
        let fields = Map::from_iter([
            ("record_kind".to_string(), json!("job")),
            ("run_id".to_string(), json!(id(job, "/pipeline/id"))),
            ("workflow".to_string(), json!(text(job, "/stage"))),
            ("job_id".to_string(), json!(id(job, "/id"))),
            ("job_name".to_string(), json!(name)),
            ("gate".to_string(), json!(self.gates.of(name))),
            ("status".to_string(), json!(text(job, "/status"))),
            ("conclusion".to_string(), json!(text(job, "/status"))),
            (
                "allow_failure".to_string(),
                json!(job.get("allow_failure").and_then(Value::as_bool)),
            ),
            (
                "commit_sha".to_string(),
                json!(text(job, "/pipeline/sha").or_else(|| text(job, "/commit/id"))),
            ),
            ("branch".to_string(), json!(text(job, "/ref"))),
            (
                "environment".to_string(),
                json!(text(job, "/environment/name")),
            ),
            (
                "production".to_string(),
                json!(
                    self.production
                        .of(text(job, "/environment/name"), text(job, "/ref"))
                ),
            ),
            ("started_at".to_string(), when(time(job, "/started_at"))),
            ("completed_at".to_string(), when(time(job, "/finished_at"))),
            ("actor".to_string(), json!(text(job, "/user/username"))),
        ]);
        let status = text(job, "/status");
        let source_id =
            id(job, "/id").map(|i| ci_identity(format!("job:{i}"), status, finished(status)));
        self.emit(
            "ci_jobs",
            job,
            location,
            (source_id, event_time),
            fields,
            out,
        );
    }

    fn deployment(&self, deployment: &Record<'_>, location: &str, out: &mut Emitter) {
        let environment = text(deployment, "/environment/name");
        // Older API versions have no deployment status; the deploy job's status stands for it.
        let status = text(deployment, "/status").or_else(|| text(deployment, "/deployable/status"));
        let event_time = time(deployment, "/deployable/finished_at")
            .or_else(|| time(deployment, "/updated_at"))
            .or_else(|| time(deployment, "/created_at"));
        let fields = Map::from_iter([
            ("deploy_id".to_string(), json!(id(deployment, "/id"))),
            ("environment".to_string(), json!(environment)),
            (
                "production".to_string(),
                json!(environment.map(|e| self.production.environment(e))),
            ),
            ("commit_sha".to_string(), json!(text(deployment, "/sha"))),
            ("ref".to_string(), json!(text(deployment, "/ref"))),
            (
                "run_id".to_string(),
                json!(id(deployment, "/deployable/pipeline/id")),
            ),
            (
                "job_id".to_string(),
                json!(id(deployment, "/deployable/id")),
            ),
            ("status".to_string(), json!(status)),
            (
                "created_at".to_string(),
                when(time(deployment, "/created_at")),
            ),
            (
                "updated_at".to_string(),
                when(time(deployment, "/updated_at")),
            ),
            (
                "actor".to_string(),
                json!(text(deployment, "/user/username")),
            ),
        ]);
        // A deployment changes status over time; each state is its own row.
        let source_id =
            id(deployment, "/id").map(|i| format!("deployment:{i}:{}", status.unwrap_or("")));
        self.emit(
            "deployments",
            deployment,
            location,
            (source_id, event_time),
            fields,
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_comes_from_web_urls_or_the_setting() {
        let parser = |project: Option<&str>| {
            GitlabCiParser::new(GitlabCiConfig {
                project: project.map(str::to_string),
                ..GitlabCiConfig::default()
            })
            .unwrap()
        };
        let job = json!({"web_url": "https://gitlab.example.com/acme/sub/web/-/jobs/7"});
        assert_eq!(
            parser(None).project_of(&job, "jobs.json").as_deref(),
            Some("acme/sub/web")
        );
        assert_eq!(
            parser(Some("acme/api"))
                .project_of(&json!({}), "x.json")
                .as_deref(),
            Some("acme/api")
        );
        let pulled = "https://gitlab.example.com/api/v4/projects/acme%2Fsub%2Fweb/jobs?page=2#/0";
        assert_eq!(
            parser(Some("other"))
                .project_of(&json!({}), pulled)
                .as_deref(),
            Some("acme/sub/web")
        );
        assert_eq!(parser(None).project_of(&json!({}), "x.json"), None);
    }
}
