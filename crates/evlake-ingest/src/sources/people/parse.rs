//! Parsing HR exports into `people` rows.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde_json::{Map, Value, json};

use super::PeopleConfig;
use crate::emit::{Document, Emitter, timestamp};
use crate::kind::Parser;
use crate::sources::backstage::snapshot_instant;
use crate::sources::register::{self, ExportRow};

const INACTIVE: &[&str] = &[
    "terminated",
    "inactive",
    "left",
    "offboarded",
    "deactivated",
    "former",
];

/// The `people` parser.
#[derive(Debug, Clone)]
pub struct PeopleParser {
    config: PeopleConfig,
    engineering: Option<GlobSet>,
    inactive: Vec<String>,
    /// The configured aliases, by person.
    aliases: BTreeMap<String, Vec<String>>,
}

impl PeopleParser {
    /// A parser with `config`; a bad glob or an alias that maps to no e-mail is an error
    /// naming it.
    pub fn new(config: PeopleConfig) -> crate::Result<Self> {
        let engineering = match &config.engineering_teams {
            None => None,
            Some(patterns) => {
                let mut set = GlobSetBuilder::new();
                for p in patterns {
                    let glob = GlobBuilder::new(p)
                        .case_insensitive(true)
                        .build()
                        .map_err(|e| {
                            crate::Error::setting(format!("engineering_teams: '{p}': {e}"))
                        })?;
                    set.add(glob);
                }
                Some(
                    set.build()
                        .map_err(|e| crate::Error::setting(format!("engineering_teams: {e}")))?,
                )
            }
        };
        let mut aliases: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (alias, person) in &config.aliases {
            if !person.contains('@') {
                return Err(crate::Error::setting(format!(
                    "aliases.{alias}: '{person}' is not an e-mail address"
                )));
            }
            aliases
                .entry(person.trim().to_ascii_lowercase())
                .or_default()
                .push(alias.trim().to_ascii_lowercase());
        }
        let inactive = config
            .inactive_statuses
            .clone()
            .unwrap_or_else(|| INACTIVE.iter().map(|s| s.to_string()).collect());
        Ok(Self {
            config,
            engineering,
            inactive,
            aliases,
        })
    }
}

impl Parser for PeopleParser {
    fn current_state(&self, location: &str) -> bool {
        snapshot_instant(location).is_none()
    }

    fn snapshots(&self) -> bool {
        true
    }

    fn snapshot_at(&self, location: &str, modified: DateTime<Utc>) -> Option<DateTime<Utc>> {
        Some(snapshot_instant(location).unwrap_or(modified))
    }

    fn parse(&self, doc: Document<'_>, out: &mut Emitter) {
        let at = snapshot_instant(doc.location).unwrap_or(doc.modified);
        let before = out.rejected.len();
        for entry in register::entries(doc, "people", out) {
            self.entry(&entry.fields, at, &entry.location, entry.raw, out);
        }
        if out.rejected.len() > before {
            // Someone missing from a snapshot would read as having left.
            out.incomplete_snapshot(at);
        }
        // The configured aliases, in every snapshot: identities mapped whether or not the
        // export lists the person.
        for (person, aliases) in &self.aliases {
            let row = Map::from_iter([
                ("person".to_string(), json!(person)),
                ("aliases".to_string(), json!(aliases)),
            ]);
            let raw = serde_json::to_vec(&json!({ "person": person, "aliases": aliases }))
                .expect("aliases serialise");
            out.row(
                "people",
                at,
                format!(
                    "{}|aliases|{person}",
                    timestamp(at).as_str().unwrap_or_default()
                ),
                format!("{}#aliases", doc.location),
                &raw,
                row,
            );
        }
    }
}

impl PeopleParser {
    fn entry(
        &self,
        fields: &Map<String, Value>,
        at: DateTime<Utc>,
        location: &str,
        raw: &[u8],
        out: &mut Emitter,
    ) {
        let c = &self.config.columns;
        let export = ExportRow {
            fields,
            date_formats: &self.config.date_formats,
        };
        let field = |column: &str| export.text(column);
        let person = match export.person(&c.person) {
            Ok(p) => p,
            Err(e) => return out.reject(location, e, raw),
        };
        let (started_at, left_at) =
            match (export.instant(&c.started_at), export.instant(&c.left_at)) {
                (Ok(a), Ok(b)) => (a, b),
                (Err(e), _) | (_, Err(e)) => return out.reject(location, e, raw),
            };
        let team = field(&c.team);
        let status = field(&c.status).map(|s| {
            if self
                .inactive
                .iter()
                .any(|i| i.eq_ignore_ascii_case(s.trim()))
            {
                "inactive"
            } else {
                "active"
            }
        });
        let engineer = match &self.engineering {
            None => true,
            Some(set) => team.as_deref().is_some_and(|t| set.is_match(t)),
        };
        let aliases: Vec<String> = field(&c.aliases)
            .map(|a| {
                a.split([';', ','])
                    .map(|s| s.trim().to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let row = Map::from_iter([
            ("person".to_string(), json!(person)),
            ("display_name".to_string(), json!(field(&c.display_name))),
            ("team".to_string(), json!(team)),
            (
                "memberships".to_string(),
                json!(team.iter().collect::<Vec<_>>()),
            ),
            ("aliases".to_string(), json!(aliases)),
            ("status".to_string(), json!(status.unwrap_or("active"))),
            (
                "started_at".to_string(),
                started_at.map_or(Value::Null, timestamp),
            ),
            (
                "left_at".to_string(),
                left_at.map_or(Value::Null, timestamp),
            ),
            ("engineer".to_string(), json!(engineer)),
        ]);
        // Per export file: two exports (or two HR sources) listing one person at one instant
        // are two rows, neither dropped as the other's duplicate.
        let file = location.trim_end_matches(|c: char| c.is_ascii_digit());
        let file = file
            .strip_suffix("#/")
            .or_else(|| file.strip_suffix(':'))
            .unwrap_or(file);
        out.row(
            "people",
            at,
            format!(
                "{}|{person}|{file}",
                timestamp(at).as_str().unwrap_or_default()
            ),
            location.to_string(),
            raw,
            row,
        );
    }
}
