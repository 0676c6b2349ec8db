//! Parsing SARIF 2.1.0 logs.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::SarifConfig;
use crate::emit::{Document, Emitter, timestamp};
use crate::kind::Parser;
use crate::sources::findings::{FindingPolicy, severity};
use crate::sources::json::{Text, document, text};
use evlake_core::sha256_hex;
use regex::Regex;

/// The `sarif` parser.
#[derive(Debug, Clone)]
pub struct SarifParser {
    config: SarifConfig,
    scan_time: Option<DateTime<Utc>>,
    policy: FindingPolicy,
    path_template: Option<Regex>,
}

impl SarifParser {
    /// A parser with `config`.
    pub fn new(config: SarifConfig) -> crate::Result<Self> {
        let scan_time = config
            .scan_time
            .as_deref()
            .map(|t| {
                evlake_core::time::parse_instant(t)
                    .map_err(|e| crate::Error::setting(format!("scan_time: {e}")))
            })
            .transpose()?;
        let policy = FindingPolicy::new(&config.sast_tools, config.blocking_severity.as_deref())?;
        let path_template = config
            .path_template
            .as_deref()
            .map(path_pattern)
            .transpose()?;
        Ok(Self {
            config,
            scan_time,
            policy,
            path_template,
        })
    }
}

/// A `path_template` as a pattern over the end of a file's location: each `{name}` a group
/// of one path component (`{commit}` a hex commit id), the rest literal.
fn path_pattern(template: &str) -> crate::Result<Regex> {
    let mut pattern = String::from("(?:^|/)");
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        pattern.push_str(&regex::escape(&rest[..open]));
        let close = rest[open..].find('}').ok_or_else(|| {
            crate::Error::setting(format!("path_template: '{template}': an unclosed '{{'"))
        })? + open;
        let group = match &rest[open + 1..close] {
            "repo_owner" => r"(?P<repo_owner>[^/]+)",
            "repo_name" => r"(?P<repo_name>[^/]+)",
            // A full commit id (SHA-1 or SHA-256): a short one could never join a deploy.
            "commit" => r"(?P<commit>[0-9a-fA-F]{40}|[0-9a-fA-F]{64})",
            "tool" => r"(?P<tool>[^/]+)",
            other => {
                return Err(crate::Error::setting(format!(
                    "path_template: '{{{other}}}' is not one of {{repo_owner}}, {{repo_name}}, {{commit}}, {{tool}}"
                )));
            }
        };
        pattern.push_str(group);
        rest = &rest[close + 1..];
    }
    pattern.push_str(&regex::escape(rest));
    pattern.push('$');
    Regex::new(&pattern).map_err(|e| crate::Error::setting(format!("path_template: {e}")))
}

/// Whether SARIF `suppressions` hide a result (SARIF 2.1.0 §3.27.23): there is at least one,
/// and none is under review or rejected (a status left out means accepted).
fn suppressed(result: &Value) -> bool {
    let list = result
        .get("suppressions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    !list.is_empty()
        && !list.iter().any(|s| {
            matches!(
                s.get("status").and_then(Value::as_str),
                Some("underReview" | "rejected")
            )
        })
}

/// The repository's path (`owner/name`, or GitLab's `group/sub/name`) from a
/// `repositoryUri`, so findings join the CI records of the same repository.
fn repo_path(uri: &str) -> &str {
    let path = match uri.split_once("://") {
        Some((_, rest)) => rest.split_once('/').map_or("", |(_, path)| path),
        None => uri,
    };
    let path = path.trim_end_matches('/');
    path.strip_suffix(".git").unwrap_or(path)
}

/// A `security-severity` property, which SARIF producers write as a string or a number.
fn score(properties: Option<&Value>) -> Option<f64> {
    let v = properties?.get("security-severity")?;
    v.as_f64().or_else(|| v.as_str()?.trim().parse().ok())
}

impl Parser for SarifParser {
    fn parse(&self, doc: Document<'_>, out: &mut Emitter) {
        let log = match document(doc.bytes) {
            Ok(log) => log,
            Err(e) => return out.reject(doc.location, format!("not valid JSON: {e}"), doc.bytes),
        };
        let Some(runs) = log.at(&["runs"]).and_then(Text::items) else {
            return out.reject(doc.location, "not a SARIF log: no 'runs' array", doc.bytes);
        };
        for (r, run) in runs.into_iter().enumerate() {
            // The run's own properties are read as a value; its results keep their text.
            let mut fields = run.fields().unwrap_or_default();
            let results = fields
                .remove("results")
                .and_then(Text::items)
                .unwrap_or_default();
            let properties = fields
                .into_iter()
                .map(|(key, value)| (key, value.value()))
                .collect();
            self.parse_run(doc, r, &Value::Object(properties), &results, out);
        }
    }
}

impl SarifParser {
    fn parse_run(
        &self,
        doc: Document<'_>,
        r: usize,
        run: &Value,
        results: &[Text<'_>],
        out: &mut Emitter,
    ) {
        let driver = run.pointer("/tool/driver").unwrap_or(&Value::Null);
        let tool = driver.get("name").and_then(Value::as_str);
        let tool_version = text(driver, "/semanticVersion").or_else(|| text(driver, "/version"));
        let rules = driver
            .get("rules")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let provenance = run.pointer("/versionControlProvenance/0");
        let placed = self
            .path_template
            .as_ref()
            .and_then(|t| t.captures(doc.location.split(['#', '?']).next().unwrap_or("")));
        let from_path = |name: &str| {
            placed
                .as_ref()
                .and_then(|c| c.name(name))
                .map(|m| m.as_str())
        };
        let path_repo = from_path("repo_owner")
            .zip(from_path("repo_name"))
            .map(|(owner, name)| format!("{owner}/{name}"));
        let path_commit = from_path("commit").map(str::to_ascii_lowercase);
        let commit = provenance
            .and_then(|p| text(p, "/revisionId"))
            .or(path_commit.as_deref())
            .or(self.config.commit.as_deref());
        let repo_uri = provenance.and_then(|p| text(p, "/repositoryUri"));
        let repo = repo_uri
            .map(repo_path)
            .or(path_repo.as_deref())
            .or(self.config.repo.as_deref());
        let sast = self.policy.is_sast(tool);
        let category = text(run, "/automationDetails/id").unwrap_or("");
        let ended = run
            .get("invocations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|i| text(i, "/endTimeUtc"))
            .filter_map(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
            .max();
        let scan_time = ended.or(self.scan_time).unwrap_or(doc.modified);
        for (i, result) in results.iter().enumerate() {
            let location = format!("{}#/runs/{r}/results/{i}", doc.location);
            let record = result.record();
            let (result, raw) = (&*record, record.bytes());
            // A result the baseline had and this scan no longer finds is not a finding.
            if text(result, "/baselineState") == Some("absent") {
                out.skip();
                continue;
            }
            let rule = result
                .get("ruleIndex")
                .and_then(Value::as_u64)
                .and_then(|ix| rules.get(ix as usize))
                .or_else(|| {
                    let id = result.get("ruleId")?.as_str()?;
                    rules
                        .iter()
                        .find(|r| r.get("id").and_then(Value::as_str) == Some(id))
                });
            let Some(rule_id) = result
                .get("ruleId")
                .and_then(Value::as_str)
                .or_else(|| rule.and_then(|r| text(r, "/id")))
            else {
                out.reject(&location, "result has no ruleId and no rule", raw);
                continue;
            };
            let level = text(result, "/level")
                .or_else(|| rule.and_then(|r| text(r, "/defaultConfiguration/level")))
                .unwrap_or("warning");
            let security_severity = score(result.get("properties"))
                .or_else(|| score(rule.and_then(|r| r.get("properties"))));
            let physical = result.pointer("/locations/0/physicalLocation");
            let uri = physical.and_then(|p| text(p, "/artifactLocation/uri"));
            let fingerprint = text(result, "/partialFingerprints/primaryLocationLineHash")
                .map(str::to_string)
                .or_else(|| {
                    result
                        .get("fingerprints")
                        .and_then(Value::as_object)
                        .and_then(|f| f.values().next())
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .or_else(|| text(result, "/guid").map(str::to_string));
            // Without a fingerprint the result's content identifies it, however it is laid out.
            let identity = fingerprint.clone().unwrap_or_else(|| {
                sha256_hex(&serde_json::to_vec(result).expect("a parsed value serialises"))
            });
            let source_id = sha256_hex(
                [
                    tool.unwrap_or(""),
                    category,
                    rule_id,
                    uri.unwrap_or(""),
                    &identity,
                    repo.unwrap_or(""),
                    commit.unwrap_or(""),
                ]
                .join("\n")
                .as_bytes(),
            );
            let severity = severity(security_severity, level);
            let fields = Map::from_iter([
                ("tool".to_string(), json!(tool)),
                ("tool_version".to_string(), json!(tool_version)),
                ("rule_id".to_string(), json!(rule_id)),
                ("severity".to_string(), json!(severity)),
                ("blocking".to_string(), json!(self.policy.blocks(severity))),
                ("sast".to_string(), json!(sast)),
                ("suppressed".to_string(), json!(suppressed(result))),
                ("security_severity".to_string(), json!(security_severity)),
                ("level".to_string(), json!(level)),
                ("message".to_string(), json!(text(result, "/message/text"))),
                ("file_path".to_string(), json!(uri)),
                (
                    "start_line".to_string(),
                    json!(
                        physical
                            .and_then(|p| p.pointer("/region/startLine"))
                            .and_then(Value::as_i64)
                    ),
                ),
                ("fingerprint".to_string(), json!(fingerprint)),
                ("repo".to_string(), json!(repo)),
                ("commit_sha".to_string(), json!(commit)),
                ("scan_time".to_string(), timestamp(scan_time)),
            ]);
            out.row("scan_findings", scan_time, source_id, location, raw, fields);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_score_may_be_text_or_a_number() {
        assert_eq!(score(Some(&json!({"security-severity": "8.1"}))), Some(8.1));
        assert_eq!(score(Some(&json!({"security-severity": 5}))), Some(5.0));
        assert_eq!(score(Some(&json!({"tags": []}))), None);
    }

    #[test]
    fn the_blocking_threshold_is_configured() {
        let parser = |threshold: Option<&str>| {
            SarifParser::new(SarifConfig {
                blocking_severity: threshold.map(str::to_string),
                ..SarifConfig::default()
            })
        };
        let default = parser(None).unwrap();
        assert!(default.policy.blocks("critical") && !default.policy.blocks("high"));
        let high = parser(Some("high")).unwrap();
        assert!(
            high.policy.blocks("critical")
                && high.policy.blocks("high")
                && !high.policy.blocks("medium")
        );
        assert!(!high.policy.blocks("none"));
        let err = parser(Some("severe")).unwrap_err().to_string();
        assert!(
            err.contains("blocking_severity") && err.contains("severe"),
            "{err}"
        );
    }

    #[test]
    fn a_repository_uri_becomes_the_repository_path() {
        assert_eq!(repo_path("https://github.com/acme/web"), "acme/web");
        assert_eq!(repo_path("https://gitlab.com/g/sub/api.git"), "g/sub/api");
        assert_eq!(repo_path("acme/web"), "acme/web");
    }

    #[test]
    fn a_path_template_places_a_file_without_provenance() {
        let pattern = path_pattern("{repo_owner}/{repo_name}/{commit}/{tool}.sarif").unwrap();
        let found = pattern
            .captures("/var/scans/acme/web/0123456789ABCDEF0123456789abcdef01234567/codeql.sarif")
            .unwrap();
        assert_eq!(
            ["repo_owner", "repo_name", "commit", "tool"].map(|g| &found[g]),
            [
                "acme",
                "web",
                "0123456789ABCDEF0123456789abcdef01234567",
                "codeql"
            ]
        );
        assert!(
            pattern
                .captures("/var/scans/web/not-a-commit/codeql.sarif")
                .is_none()
        );
        let err = path_pattern("{repo}/{sha}.sarif").unwrap_err().to_string();
        assert!(err.contains("{repo}"), "{err}");
    }

    #[test]
    fn only_accepted_suppressions_hide_a_result() {
        assert!(suppressed(&json!({"suppressions": [{"kind": "inSource"}]})));
        assert!(suppressed(
            &json!({"suppressions": [{"kind": "external", "status": "accepted"}]})
        ));
        assert!(!suppressed(
            &json!({"suppressions": [{"kind": "external", "status": "underReview"}]})
        ));
        assert!(!suppressed(&json!({"suppressions": []})));
        assert!(
            !suppressed(
                &json!({"suppressions": [{"kind": "inSource"}, {"kind": "external", "status": "rejected"}]})
            ),
            "a rejected suppression leaves the result standing"
        );
        assert!(!suppressed(&json!({})));
    }
}
