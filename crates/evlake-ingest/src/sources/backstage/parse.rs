//! Parsing Backstage catalog entities into `assets` and `people` rows.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use regex::Regex;
use serde_json::{Map, Value, json};

use super::BackstageConfig;
use crate::emit::{Document, Emitter, timestamp};
use crate::kind::Parser;
use crate::sources::json::{self, Text, text, yaml_documents};

/// The entity kinds of the catalog model that are assets (Location and Template are the
/// catalog's own plumbing: read and skipped).
const ASSET_KINDS: &[&str] = &[
    "component",
    "system",
    "resource",
    "api",
    "group",
    "user",
    "domain",
];
const PLUMBING_KINDS: &[&str] = &["location", "template"];
/// The kinds a production lifecycle puts in production scope: what runs.
const RUNNING_KINDS: &[&str] = &["component", "resource", "api"];

/// The `backstage` parser.
#[derive(Debug, Clone)]
pub struct BackstageParser {
    config: BackstageConfig,
}

impl BackstageParser {
    /// A parser with `config`.
    pub fn new(config: BackstageConfig) -> Self {
        Self { config }
    }
}

impl Parser for BackstageParser {
    /// An entity descriptor file (`.yaml`, `.yml`) whose path names no snapshot instant is a
    /// checkout of `catalog-info.yaml` files: the catalog as it is now. An archived export
    /// (an API response, JSON) is a record of when it was taken, whatever its name.
    fn current_state(&self, location: &str) -> bool {
        let path = location.to_ascii_lowercase();
        (path.ends_with(".yaml") || path.ends_with(".yml")) && snapshot_instant(location).is_none()
    }

    /// The catalog keeps no history: each pull, export or checkout is all of it at once.
    fn snapshots(&self) -> bool {
        true
    }

    /// A saved response by the instant its path names; an API page, and a checkout, by the
    /// run (`modified` is its start); a saved response naming none belongs to no snapshot.
    fn snapshot_at(&self, location: &str, modified: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match snapshot_instant(location) {
            Some(at) => Some(at),
            None if is_url(location) || self.current_state(location) => Some(modified),
            None => None,
        }
    }

    fn parse(&self, doc: Document<'_>, out: &mut Emitter) {
        let Some(at) = self.snapshot_at(doc.location, doc.modified) else {
            return out.reject(doc.location, UNSTAMPED, doc.bytes);
        };
        let first = doc.bytes.iter().find(|b| !b.is_ascii_whitespace());
        if matches!(first, Some(b'{' | b'[')) {
            self.parse_json(doc, at, out);
        } else {
            self.parse_yaml(doc, at, out);
        }
    }
}

/// Why a saved catalog response whose path names no instant is refused: dated by its
/// modification time, the pages of one pull would each be a snapshot of its own, and an
/// export copied today would read as today's catalog.
const UNSTAMPED: &str = "a saved catalog response must name its snapshot instant in its path, \
    as an RFC 3339 UTC timestamp (backstage/2026-11-01T06:00:00Z/page-1.json): not read";

fn is_url(location: &str) -> bool {
    location.starts_with("http://") || location.starts_with("https://")
}

/// The snapshot instant an archived file's path names: its last RFC 3339 UTC timestamp
/// (`2026-11-01T06:00:00Z`, or the basic `20261101T060000Z`). URLs (API pages) name none.
pub(crate) fn snapshot_instant(location: &str) -> Option<DateTime<Utc>> {
    static STAMP: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(\.\d+)?Z")
            .expect("a regex")
    });
    if is_url(location) {
        return None;
    }
    let path = location.split('#').next().unwrap_or(location);
    let c = STAMP.captures_iter(path).last()?;
    let text = format!(
        "{}-{}-{}T{}:{}:{}{}Z",
        &c[1],
        &c[2],
        &c[3],
        &c[4],
        &c[5],
        &c[6],
        c.get(7).map_or("", |m| m.as_str())
    );
    DateTime::parse_from_rfc3339(&text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl BackstageParser {
    fn parse_json(&self, doc: Document<'_>, at: DateTime<Utc>, out: &mut Emitter) {
        let body = match json::document(doc.bytes) {
            Ok(body) => body,
            Err(e) => {
                out.incomplete_snapshot(at);
                return out.reject(doc.location, format!("not valid JSON: {e}"), doc.bytes);
            }
        };
        // `by-query` pages hold `items`; `/entities` returns the array; one entity alone too.
        let (items, pointer) = match (body.items(), body.at(&["items"]).and_then(Text::items)) {
            (Some(items), _) => (items, ""),
            (None, Some(items)) => (items, "/items"),
            (None, None) if body.at(&["kind"]).is_some() => (vec![body], ""),
            (None, None) => {
                out.incomplete_snapshot(at);
                return out.reject(
                    doc.location,
                    "neither a catalog response (an `items` list or an array of entities) nor an entity",
                    doc.bytes,
                );
            }
        };
        let single = items.len() == 1 && pointer.is_empty() && body.items().is_none();
        for (i, item) in items.into_iter().enumerate() {
            let location = if single {
                doc.location.to_string()
            } else {
                format!("{}#{pointer}/{i}", doc.location)
            };
            self.entity(&item.value(), item.bytes(), &location, at, out);
        }
    }

    fn parse_yaml(&self, doc: Document<'_>, at: DateTime<Utc>, out: &mut Emitter) {
        let Ok(text) = std::str::from_utf8(doc.bytes) else {
            out.incomplete_snapshot(at);
            return out.reject(doc.location, "the file is not UTF-8 text", doc.bytes);
        };
        for (line, part) in yaml_documents(text) {
            let location = format!("{}:{line}", doc.location);
            match serde_saphyr::from_str::<Value>(part) {
                // A document of comments only.
                Ok(Value::Null) => {}
                Ok(entity) if entity.is_object() => {
                    self.entity(&entity, part.as_bytes(), &location, at, out)
                }
                // Not a mapping (a proxy's HTML page reads as one string): no entity document.
                Ok(_) => {
                    out.incomplete_snapshot(at);
                    out.reject(
                        &location,
                        "not an entity: the document is not a mapping",
                        part.as_bytes(),
                    )
                }
                Err(e) => {
                    out.incomplete_snapshot(at);
                    out.reject(&location, format!("not valid YAML: {e}"), part.as_bytes())
                }
            }
        }
    }

    fn entity(
        &self,
        entity: &Value,
        raw: &[u8],
        location: &str,
        at: DateTime<Utc>,
        out: &mut Emitter,
    ) {
        let Some(kind) = text(entity, "/kind") else {
            return out.reject(location, "the entity has no `kind`", raw);
        };
        let kind = kind.to_ascii_lowercase();
        if PLUMBING_KINDS.contains(&kind.as_str()) {
            return out.skip();
        }
        if !ASSET_KINDS.contains(&kind.as_str()) {
            return out.reject(
                location,
                format!(
                    "unknown entity kind '{kind}' (the catalog model's kinds: {})",
                    ASSET_KINDS.join(", ")
                ),
                raw,
            );
        }
        let Some(name) = text(entity, "/metadata/name").filter(|n| !n.is_empty()) else {
            return out.reject(location, "the entity has no `metadata.name`", raw);
        };
        let namespace = text(entity, "/metadata/namespace").unwrap_or("default");
        let entity_ref = format!("{kind}:{namespace}/{name}").to_ascii_lowercase();
        let refs = |pointer: &str, default_kind: &str| -> Value {
            let list = match entity.pointer(pointer) {
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
                Some(Value::String(one)) => vec![one.as_str()],
                _ => Vec::new(),
            };
            json!(
                list.into_iter()
                    .map(|r| entity_ref_of(r, default_kind, namespace))
                    .collect::<Vec<_>>()
            )
        };
        // The owner as written (blank is none), else the catalog's own `ownedBy` relation
        // (API responses).
        let owner = text(entity, "/spec/owner")
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(|o| entity_ref_of(o, "group", namespace))
            .or_else(|| relation(entity, "ownedBy"));
        let system = text(entity, "/spec/system").map(|s| entity_ref_of(s, "system", namespace));
        let lifecycle = text(entity, "/spec/lifecycle");
        let production = RUNNING_KINDS.contains(&kind.as_str())
            && lifecycle.is_some_and(|l| {
                self.config
                    .production_lifecycles
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(l))
            });
        let annotation = |key: &str| {
            entity
                .pointer("/metadata/annotations")
                .and_then(|a| a.get(key))
                .and_then(Value::as_str)
        };
        let repo = annotation("github.com/project-slug")
            .or_else(|| annotation("gitlab.com/project-slug"))
            .map(str::to_string);
        let (review, review_source) = match &self.config.security_review_annotation {
            Some(key) => match annotation(key) {
                Some(value) => match evlake_core::time::parse_timestamp(value) {
                    Ok(t) => (json::when(Some(t)), json!(format!("annotation:{key}"))),
                    // Kept, and said: a review date nobody can read is no review.
                    Err(_) => (
                        Value::Null,
                        json!(format!("annotation:{key} (unreadable: '{value}')")),
                    ),
                },
                // Looked for and not there: checked, and no review.
                None => (Value::Null, json!(format!("annotation:{key}"))),
            },
            None => (Value::Null, Value::Null),
        };
        let tags = entity
            .pointer("/metadata/tags")
            .cloned()
            .unwrap_or(json!([]));
        let fields = Map::from_iter([
            ("asset_id".to_string(), json!(entity_ref)),
            ("record_kind".to_string(), json!("entity")),
            ("name".to_string(), json!(name)),
            ("asset_kind".to_string(), json!(kind)),
            ("asset_type".to_string(), json!(text(entity, "/spec/type"))),
            ("production".to_string(), json!(production)),
            ("owner".to_string(), json!(owner)),
            ("lifecycle".to_string(), json!(lifecycle)),
            ("system".to_string(), json!(system)),
            ("repo".to_string(), json!(repo)),
            (
                "workload".to_string(),
                json!(annotation("backstage.io/kubernetes-id")),
            ),
            ("members".to_string(), refs("/spec/members", "user")),
            ("member_of".to_string(), refs("/spec/memberOf", "group")),
            (
                "tags".to_string(),
                if tags.is_array() { tags } else { json!([]) },
            ),
            ("uid".to_string(), json!(text(entity, "/metadata/uid"))),
            ("version".to_string(), json!(text(entity, "/metadata/etag"))),
            ("last_security_review".to_string(), review),
            ("review_source".to_string(), review_source),
        ]);
        // One row per entity per snapshot: the entity's uid when the API gives one.
        let key = text(entity, "/metadata/uid").unwrap_or(&entity_ref);
        let source_id = format!("{}|{key}", timestamp(at).as_str().unwrap_or_default());
        if kind == "user" {
            let email = text(entity, "/spec/profile/email").map(str::to_ascii_lowercase);
            let member_of = refs("/spec/memberOf", "group");
            let team = member_of.get(0).cloned().unwrap_or(Value::Null);
            let person = Map::from_iter([
                (
                    "person".to_string(),
                    json!(email.clone().unwrap_or_else(|| entity_ref.clone())),
                ),
                (
                    "display_name".to_string(),
                    json!(text(entity, "/spec/profile/displayName")),
                ),
                ("team".to_string(), team),
                ("memberships".to_string(), member_of),
                ("aliases".to_string(), json!([entity_ref, name])),
            ]);
            out.row(
                "people",
                at,
                source_id.clone(),
                location.to_string(),
                raw,
                person,
            );
        }
        out.row("assets", at, source_id, location.to_string(), raw, fields);
    }
}

/// The full, lower-case ref (`kind:namespace/name`) of a ref as entities write it, where the
/// kind and the namespace may be left out (Backstage's defaults: the relation's kind, and
/// the namespace of the entity that names it).
fn entity_ref_of(written: &str, default_kind: &str, namespace: &str) -> String {
    let (kind, rest) = match written.split_once(':') {
        Some((kind, rest)) => (kind, rest),
        None => (default_kind, written),
    };
    let (namespace, name) = rest.split_once('/').unwrap_or((namespace, rest));
    format!("{kind}:{namespace}/{name}").to_ascii_lowercase()
}

/// The target of the entity's first relation of `kind` (catalog API responses carry them).
fn relation(entity: &Value, kind: &str) -> Option<String> {
    entity
        .get("relations")?
        .as_array()?
        .iter()
        .find(|r| r["type"] == kind)
        .and_then(|r| r["targetRef"].as_str())
        .map(str::to_ascii_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_take_the_kind_and_namespace_they_leave_out_from_where_they_are_written() {
        assert_eq!(
            entity_ref_of("team-a", "group", "default"),
            "group:default/team-a"
        );
        assert_eq!(entity_ref_of("user:Jdoe", "group", "ops"), "user:ops/jdoe");
        assert_eq!(
            entity_ref_of("infra/core", "group", "ops"),
            "group:infra/core"
        );
    }

    #[test]
    fn an_archived_file_names_its_snapshot_instant_and_an_api_page_does_not() {
        let t = |s: &str| snapshot_instant(s).map(|t| t.to_rfc3339());
        assert_eq!(
            t("/data/backstage/2026-11-01T06:00:00Z/page-1.json").as_deref(),
            Some("2026-11-01T06:00:00+00:00")
        );
        assert_eq!(
            t("s3://b/catalog/20261101T060000Z.json").as_deref(),
            Some("2026-11-01T06:00:00+00:00")
        );
        assert_eq!(t("https://bs/api?x=2026-11-01T06:00:00Z"), None);
        assert_eq!(t("/repo/catalog-info.yaml"), None);
    }

    #[test]
    fn only_unstamped_yaml_is_the_catalog_as_it_is_now() {
        let parser = BackstageParser::new(BackstageConfig::default());
        for (location, current) in [
            ("/repo/catalog-info.yaml", true),
            ("s3://b/checkout/svc/catalog-info.YML", true),
            (
                "/data/backstage/2026-11-01T06:00:00Z/catalog-info.yaml",
                false,
            ),
            ("/data/backstage/export-20261101.json.gz", false),
            ("/data/backstage/latest.json", false),
        ] {
            assert_eq!(parser.current_state(location), current, "{location}");
        }
    }

    #[test]
    fn yaml_streams_split_at_document_markers_with_their_lines() {
        let docs = yaml_documents("a: 1\n---\n# only a comment\n---\nb: 2\n");
        assert_eq!(
            docs,
            [(1, "a: 1\n"), (3, "# only a comment\n"), (5, "b: 2\n")]
        );
    }
}
