//! Parsing GitHub REST API response bodies.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::GithubActionsConfig;
use crate::emit::{Document, Emitter};
use crate::kind::Parser;
use crate::sources::findings::{FindingPolicy, severity};
use crate::sources::gates::{Gates, Production};
use crate::sources::json::{
    Record, Text, ci_identity, each_body, emit_record, id, text, time, when,
};

/// The `github-actions` parser.
#[derive(Debug, Clone)]
pub struct GithubActionsParser {
    gates: Gates,
    production: Production,
    findings: FindingPolicy,
    repo: Option<String>,
}

impl GithubActionsParser {
    /// A parser with `config`; a bad glob is an error naming it.
    pub fn new(config: GithubActionsConfig) -> crate::Result<Self> {
        let gates = Gates::new(&config.gates)?;
        Ok(Self {
            gates,
            production: Production::new(
                &config.production_environments,
                &config.production_branches,
            )?,
            findings: FindingPolicy::new(
                &config.code_scanning.sast_tools,
                config.code_scanning.blocking_severity.as_deref(),
            )?,
            repo: config.repo,
        })
    }

    /// `owner/name` from an API or HTML URL (`…/repos/owner/name/…`, `github.com/owner/name/…`).
    fn repo_of(&self, record: &Value, url_keys: &[&str]) -> Option<String> {
        if let Some(name) = text(record, "/repository/full_name") {
            return Some(name.to_string());
        }
        for key in url_keys {
            let Some(url) = record.get(*key).and_then(Value::as_str) else {
                continue;
            };
            let path = url.split_once("://").map_or(url, |(_, rest)| rest);
            let parts: Vec<&str> = path.split('/').collect();
            let at = match parts.iter().position(|p| *p == "repos") {
                Some(i) => i + 1,
                None if parts.first().is_some_and(|h| *h == "github.com") => 1,
                None => continue,
            };
            if let (Some(owner), Some(name)) = (parts.get(at), parts.get(at + 1)) {
                return Some(format!("{owner}/{name}"));
            }
        }
        self.repo.clone()
    }
}

impl Parser for GithubActionsParser {
    fn parse(&self, doc: Document<'_>, out: &mut Emitter) {
        each_body(doc, out, |body, at, out| self.body(body, at, out));
    }
}

impl GithubActionsParser {
    /// One response body, recognised by its shape.
    fn body(&self, body: Text<'_>, at: &str, out: &mut Emitter) {
        let each = |list: Text<'_>,
                    key: &str,
                    out: &mut Emitter,
                    f: &dyn Fn(&Record<'_>, &str, &mut Emitter)| {
            for (i, record) in list.items().into_iter().flatten().enumerate() {
                f(&record.record(), &format!("{at}/{key}/{i}"), out);
            }
        };
        if let Some(items) = body.items() {
            for (i, item) in items.into_iter().enumerate() {
                let location = format!("{at}/{i}");
                let item = item.record();
                match &*item {
                    Value::Object(m) if m.contains_key("statuses_url") => {
                        self.deployment(&item, &location, out)
                    }
                    Value::Object(m) if m.contains_key("deployment_url") => {
                        self.status(&item, &location, out)
                    }
                    Value::Object(m) if m.contains_key("most_recent_instance") => {
                        self.code_scanning_alert(&item, &location, out)
                    }
                    _ => out.reject(
                        &location,
                        "not a deployment, a deployment status or a code scanning alert",
                        item.bytes(),
                    ),
                }
            }
            return;
        }
        let fields = body.fields().unwrap_or_default();
        let has = |key: &str| fields.contains_key(key);
        let list = |key: &str| fields.get(key).copied().filter(|t| t.items().is_some());
        if let Some(runs) = list("workflow_runs") {
            each(runs, "workflow_runs", out, &|r, l, o| self.run(r, l, o));
        } else if let Some(jobs) = list("jobs") {
            each(jobs, "jobs", out, &|r, l, o| self.job(r, l, o));
        } else if let Some(checks) = list("check_runs") {
            each(checks, "check_runs", out, &|r, l, o| {
                self.check_run(r, l, o)
            });
        } else if has("workflow_id") && has("run_attempt") {
            self.run(&body.record(), at, out);
        } else if has("run_id") && has("steps") {
            self.job(&body.record(), at, out);
        } else if has("check_suite") {
            self.check_run(&body.record(), at, out);
        } else if has("statuses_url") {
            self.deployment(&body.record(), at, out);
        } else if has("deployment_url") {
            self.status(&body.record(), at, out);
        } else if has("most_recent_instance") {
            self.code_scanning_alert(&body.record(), at, out);
        } else {
            out.reject(
                at,
                "not a GitHub Actions body: expected workflow_runs, jobs, check_runs, deployments, deployment statuses or code scanning alerts",
                body.bytes(),
            );
        }
    }

    /// A `ci_jobs` row; `identity` is the record's id and event time, without which it is rejected.
    /// A `ci_jobs` row of `kind` (`run`, `job`, `check_run`).
    fn ci_row(
        &self,
        record: &Record<'_>,
        location: &str,
        kind: &str,
        identity: (Option<String>, Option<DateTime<Utc>>),
        fields: Map<String, Value>,
        out: &mut Emitter,
    ) {
        let mut row = Map::from_iter([
            ("provider".to_string(), json!("github")),
            ("record_kind".to_string(), json!(kind)),
        ]);
        row.extend(fields);
        emit_record(out, "ci_jobs", record, location, identity, row);
    }

    fn run(&self, run: &Record<'_>, location: &str, out: &mut Emitter) {
        let repo = self.repo_of(run, &["url", "html_url"]);
        let attempt = run.get("run_attempt").and_then(Value::as_i64).unwrap_or(1);
        let status = text(run, "/status");
        let source_id = id(run, "/id").map(|i| {
            ci_identity(
                format!("run:{}:{i}:{attempt}", repo.as_deref().unwrap_or("")),
                status,
                status == Some("completed"),
            )
        });
        let completed = (text(run, "/status") == Some("completed"))
            .then(|| time(run, "/updated_at"))
            .flatten();
        let fields = Map::from_iter([
            ("repo".to_string(), json!(repo)),
            ("run_id".to_string(), json!(id(run, "/id"))),
            ("run_attempt".to_string(), json!(attempt)),
            ("workflow".to_string(), json!(text(run, "/name"))),
            ("gate".to_string(), json!(self.gates.of(text(run, "/name")))),
            ("status".to_string(), json!(text(run, "/status"))),
            ("conclusion".to_string(), json!(text(run, "/conclusion"))),
            ("commit_sha".to_string(), json!(text(run, "/head_sha"))),
            ("branch".to_string(), json!(text(run, "/head_branch"))),
            (
                "production".to_string(),
                json!(self.production.of(None, text(run, "/head_branch"))),
            ),
            ("started_at".to_string(), when(time(run, "/run_started_at"))),
            ("completed_at".to_string(), when(completed)),
            ("actor".to_string(), json!(text(run, "/actor/login"))),
        ]);
        self.ci_row(
            run,
            location,
            "run",
            (source_id, time(run, "/created_at")),
            fields,
            out,
        );
    }

    fn job(&self, job: &Record<'_>, location: &str, out: &mut Emitter) {
        let name = text(job, "/name");
        let event_time = time(job, "/completed_at")
            .or_else(|| time(job, "/started_at"))
            .or_else(|| time(job, "/created_at"));
        let fields = Map::from_iter([
            (
                "repo".to_string(),
                json!(self.repo_of(job, &["run_url", "url", "html_url"])),
            ),
            ("run_id".to_string(), json!(id(job, "/run_id"))),
            (
                "run_attempt".to_string(),
                json!(job.get("run_attempt").and_then(Value::as_i64)),
            ),
            ("workflow".to_string(), json!(text(job, "/workflow_name"))),
            ("job_id".to_string(), json!(id(job, "/id"))),
            ("job_name".to_string(), json!(name)),
            ("gate".to_string(), json!(self.gates.of(name))),
            ("status".to_string(), json!(text(job, "/status"))),
            ("conclusion".to_string(), json!(text(job, "/conclusion"))),
            ("commit_sha".to_string(), json!(text(job, "/head_sha"))),
            ("branch".to_string(), json!(text(job, "/head_branch"))),
            (
                "production".to_string(),
                json!(self.production.of(None, text(job, "/head_branch"))),
            ),
            ("started_at".to_string(), when(time(job, "/started_at"))),
            ("completed_at".to_string(), when(time(job, "/completed_at"))),
        ]);
        let status = text(job, "/status");
        let source_id = id(job, "/id")
            .map(|i| ci_identity(format!("job:{i}"), status, status == Some("completed")));
        self.ci_row(job, location, "job", (source_id, event_time), fields, out);
    }

    fn check_run(&self, check: &Record<'_>, location: &str, out: &mut Emitter) {
        let name = text(check, "/name");
        let event_time = time(check, "/completed_at").or_else(|| time(check, "/started_at"));
        let fields = Map::from_iter([
            (
                "repo".to_string(),
                json!(self.repo_of(check, &["url", "html_url"])),
            ),
            ("workflow".to_string(), json!(text(check, "/app/slug"))),
            ("job_id".to_string(), json!(id(check, "/id"))),
            ("job_name".to_string(), json!(name)),
            ("gate".to_string(), json!(self.gates.of(name))),
            ("status".to_string(), json!(text(check, "/status"))),
            ("conclusion".to_string(), json!(text(check, "/conclusion"))),
            ("commit_sha".to_string(), json!(text(check, "/head_sha"))),
            (
                "branch".to_string(),
                json!(text(check, "/check_suite/head_branch")),
            ),
            (
                "production".to_string(),
                json!(
                    self.production
                        .of(None, text(check, "/check_suite/head_branch"))
                ),
            ),
            ("started_at".to_string(), when(time(check, "/started_at"))),
            (
                "completed_at".to_string(),
                when(time(check, "/completed_at")),
            ),
        ]);
        let status = text(check, "/status");
        let source_id = id(check, "/id").map(|i| {
            ci_identity(
                format!("check_run:{i}"),
                status,
                status == Some("completed"),
            )
        });
        self.ci_row(
            check,
            location,
            "check_run",
            (source_id, event_time),
            fields,
            out,
        );
    }

    /// A `deployments` row: a deployment or one of its statuses.
    fn deploy_row(
        &self,
        record: &Record<'_>,
        location: &str,
        identity: (Option<String>, Option<DateTime<Utc>>),
        fields: Map<String, Value>,
        out: &mut Emitter,
    ) {
        let environment = text(record, "/environment");
        let mut row = Map::from_iter([
            ("provider".to_string(), json!("github")),
            ("environment".to_string(), json!(environment)),
            (
                "production".to_string(),
                json!(environment.map(|e| self.production.environment(e))),
            ),
            ("created_at".to_string(), when(time(record, "/created_at"))),
            ("updated_at".to_string(), when(time(record, "/updated_at"))),
            ("actor".to_string(), json!(text(record, "/creator/login"))),
        ]);
        row.extend(fields);
        emit_record(out, "deployments", record, location, identity, row);
    }

    fn deployment(&self, deployment: &Record<'_>, location: &str, out: &mut Emitter) {
        let fields = Map::from_iter([
            (
                "repo".to_string(),
                json!(self.repo_of(deployment, &["repository_url", "url"])),
            ),
            ("deploy_id".to_string(), json!(id(deployment, "/id"))),
            ("commit_sha".to_string(), json!(text(deployment, "/sha"))),
            ("ref".to_string(), json!(text(deployment, "/ref"))),
            ("status".to_string(), json!("created")),
        ]);
        let source_id = id(deployment, "/id").map(|i| format!("deployment:{i}"));
        self.deploy_row(
            deployment,
            location,
            (source_id, time(deployment, "/created_at")),
            fields,
            out,
        );
    }

    fn status(&self, status: &Record<'_>, location: &str, out: &mut Emitter) {
        let deploy_id = text(status, "/deployment_url")
            .and_then(|u| u.rsplit('/').next())
            .map(str::to_string);
        // A status set by a workflow links to its run and job: `…/actions/runs/RUN/job/JOB`.
        let links = ["/log_url", "/target_url"]
            .iter()
            .filter_map(|p| text(status, p))
            .find_map(run_of_url);
        let (run_id, job_id) = links.map_or((None, None), |(r, j)| (Some(r), j));
        let fields = Map::from_iter([
            (
                "repo".to_string(),
                json!(self.repo_of(status, &["deployment_url", "repository_url", "url"])),
            ),
            ("deploy_id".to_string(), json!(deploy_id)),
            ("run_id".to_string(), json!(run_id)),
            ("job_id".to_string(), json!(job_id)),
            ("status".to_string(), json!(text(status, "/state"))),
        ]);
        let source_id = id(status, "/id").map(|i| format!("deployment_status:{i}"));
        self.deploy_row(
            status,
            location,
            (source_id, time(status, "/created_at")),
            fields,
            out,
        );
    }
}

impl GithubActionsParser {
    /// A code scanning alert (`GET /repos/{repo}/code-scanning/alerts`): `scan_findings` rows
    /// for its most recent instance — the commit GitHub last saw it open (or dismissed) on.
    /// The finding is dated when the alert was opened: a deploy of that commit after it
    /// shipped code with the alert known and open. A dismissed alert (an override without
    /// sunset, like a SARIF suppression) is also a row of its own, dated when it was
    /// dismissed, so it hides the finding only from deploys after that; an open alert updated
    /// since it was opened (reopened, say) is open from then on too. A fixed alert's most
    /// recent instance is the commit that fixed it: no finding there. Pulled regularly, an
    /// alert leaves a row for each commit it was seen open on.
    fn code_scanning_alert(&self, alert: &Record<'_>, location: &str, out: &mut Emitter) {
        let instance = alert.get("most_recent_instance").unwrap_or(&Value::Null);
        let state = text(instance, "/state").or(text(alert, "/state"));
        if !matches!(state, Some("open" | "dismissed")) {
            return;
        }
        let repo = self.repo_of(alert, &["url", "html_url"]);
        let commit = text(instance, "/commit_sha");
        let tool = text(alert, "/tool/name");
        // GitHub's level is derived from the CVSS-like score: its lower bound stands for it.
        let score = match text(alert, "/rule/security_severity_level") {
            Some("critical") => Some(9.0),
            Some("high") => Some(7.0),
            Some("medium") => Some(4.0),
            Some("low") => Some(0.1),
            _ => None,
        };
        let severity = severity(score, text(alert, "/rule/severity").unwrap_or("none"));
        let opened = time(alert, "/created_at");
        let number = id(alert, "/number");
        let key = number.as_ref().map(|n| {
            format!(
                "code-scanning:{}:{n}@{}",
                repo.as_deref().unwrap_or(""),
                commit.unwrap_or("")
            )
        });
        let row = |suppressed: bool, at: Option<DateTime<Utc>>| {
            Map::from_iter([
                ("tool".to_string(), json!(tool)),
                (
                    "tool_version".to_string(),
                    json!(text(alert, "/tool/version")),
                ),
                ("rule_id".to_string(), json!(text(alert, "/rule/id"))),
                ("severity".to_string(), json!(severity)),
                (
                    "blocking".to_string(),
                    json!(self.findings.blocks(severity)),
                ),
                ("sast".to_string(), json!(self.findings.is_sast(tool))),
                ("suppressed".to_string(), json!(suppressed)),
                ("security_severity".to_string(), json!(score)),
                ("level".to_string(), json!(text(alert, "/rule/severity"))),
                (
                    "message".to_string(),
                    json!(text(instance, "/message/text").or(text(alert, "/rule/description"))),
                ),
                (
                    "file_path".to_string(),
                    json!(text(instance, "/location/path")),
                ),
                (
                    "start_line".to_string(),
                    json!(
                        instance
                            .pointer("/location/start_line")
                            .and_then(Value::as_i64)
                    ),
                ),
                (
                    "fingerprint".to_string(),
                    json!(number.as_ref().map(|n| format!("code-scanning:{n}"))),
                ),
                ("repo".to_string(), json!(repo)),
                ("commit_sha".to_string(), json!(commit)),
                ("scan_time".to_string(), when(at)),
            ])
        };
        emit_record(
            out,
            "scan_findings",
            alert,
            location,
            (key.clone(), opened),
            row(false, opened),
        );
        let updated = time(alert, "/updated_at");
        if state == Some("open") && updated > opened {
            // Open again since (reopened after a dismissal, say): open from then on too.
            let reopened = key
                .as_ref()
                .zip(updated)
                .map(|(k, at)| format!("{k}:open@{}", at.to_rfc3339()));
            emit_record(
                out,
                "scan_findings",
                alert,
                location,
                (reopened, updated),
                row(false, updated),
            );
        }
        if state == Some("dismissed") {
            // Without its time a dismissal would hide the finding from every deploy.
            let dismissed = time(alert, "/dismissed_at").or_else(|| time(alert, "/updated_at"));
            emit_record(
                out,
                "scan_findings",
                alert,
                location,
                (key.map(|k| format!("{k}:dismissed")), dismissed),
                row(true, dismissed),
            );
        }
    }
}

/// The workflow run id, and the job id if there is one, in a URL of the form
/// `…/actions/runs/RUN[/job/JOB]`.
fn run_of_url(url: &str) -> Option<(String, Option<String>)> {
    let digits = |s: &str| -> String { s.chars().take_while(char::is_ascii_digit).collect() };
    let (_, rest) = url.split_once("/actions/runs/")?;
    let run = digits(rest);
    let job = rest
        .split_once("/job/")
        .map(|(_, j)| digits(j))
        .filter(|j| !j.is_empty());
    (!run.is_empty()).then_some((run, job))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser() -> GithubActionsParser {
        let mut config = GithubActionsConfig::default();
        config
            .gates
            .insert("sast".into(), vec!["CodeQL*".into(), "semgrep".into()]);
        config
            .gates
            .insert("deploy".into(), vec!["deploy-*".into()]);
        GithubActionsParser::new(config).unwrap()
    }

    #[test]
    fn gates_match_by_exact_name_or_glob() {
        let p = parser();
        assert_eq!(
            p.gates.of(Some("CodeQL analyze (javascript)")).as_deref(),
            Some("sast")
        );
        assert_eq!(p.gates.of(Some("semgrep")).as_deref(), Some("sast"));
        assert_eq!(p.gates.of(Some("semgrep-ci")), None);
        assert_eq!(p.gates.of(Some("deploy-prod")).as_deref(), Some("deploy"));
        assert!(
            GithubActionsParser::new(GithubActionsConfig {
                gates: [("sast".to_string(), vec!["[".to_string()])].into(),
                ..GithubActionsConfig::default()
            })
            .unwrap_err()
            .to_string()
            .contains("gates.sast")
        );
    }

    #[test]
    fn the_repository_comes_from_the_body_or_its_urls() {
        let p = parser();
        let job = json!({"run_url": "https://api.github.com/repos/acme/web/actions/runs/1"});
        assert_eq!(p.repo_of(&job, &["run_url"]).as_deref(), Some("acme/web"));
        let html = json!({"html_url": "https://github.com/acme/api/actions/runs/1"});
        assert_eq!(p.repo_of(&html, &["html_url"]).as_deref(), Some("acme/api"));
        let run = json!({"repository": {"full_name": "acme/mobile"}});
        assert_eq!(p.repo_of(&run, &[]).as_deref(), Some("acme/mobile"));
        assert_eq!(p.repo_of(&json!({}), &["url"]), None);
    }

    #[test]
    fn a_deployment_status_links_to_the_run_that_set_it() {
        assert_eq!(
            run_of_url("https://github.com/acme/web/actions/runs/4242/job/99"),
            Some(("4242".to_string(), Some("99".to_string())))
        );
        assert_eq!(
            run_of_url("https://github.com/acme/web/actions/runs/4242"),
            Some(("4242".to_string(), None))
        );
        assert_eq!(run_of_url("https://ci.example.com/deploys/7"), None);
    }
}
