//! Parsing Okta System Log events into `iam_events` rows.

use serde_json::Value;

use super::OktaConfig;
use crate::emit::{Document, Emitter};
use crate::kind::Parser;
use crate::sources::iam::{self, Change, Effect, IamRecord, Privilege, SeenIds};
use crate::sources::json::{text, time};

/// The `okta` parser.
#[derive(Debug, Clone)]
pub struct OktaParser {
    org: String,
    privilege: Privilege,
}

impl OktaParser {
    /// A parser with `config`; a bad `privileged` glob is an error naming it.
    pub fn new(config: OktaConfig) -> crate::Result<Self> {
        let host = config.api.as_ref().and_then(|api| {
            let rest = api
                .url
                .split_once("://")
                .map_or(api.url.as_str(), |(_, r)| r);
            rest.split('/').next().map(str::to_string)
        });
        Ok(Self {
            org: config.org.or(host).unwrap_or_else(|| "okta".into()),
            privilege: Privilege::new(config.privileged.as_deref(), iam::OKTA_PRIVILEGED)?,
        })
    }
}

impl Parser for OktaParser {
    fn parse(&self, doc: Document<'_>, out: &mut Emitter) {
        let mut seen = SeenIds::default();
        iam::each_record(doc, &["Logs"], out, |event, raw, location, out| {
            self.event(event, raw, location, &mut seen, out);
        });
    }
}

impl OktaParser {
    fn event(&self, e: &Value, raw: &[u8], location: &str, seen: &mut SeenIds, out: &mut Emitter) {
        let Some(id) = text(e, "/uuid") else {
            return out.reject(location, "the event has no uuid", raw);
        };
        let Some(at) = time(e, "/published") else {
            return out.reject(location, "the event has no published time", raw);
        };
        if !seen.admit(id, raw, location, out) {
            return;
        }
        let result = text(e, "/outcome/result");
        let record = IamRecord {
            provider: "okta",
            account: Some(self.org.clone()),
            region: None,
            actor: text(e, "/actor/alternateId").map(str::to_string),
            action: text(e, "/eventType").map(str::to_string),
            outcome: Some(match result {
                None | Some("SUCCESS") => "success".to_string(),
                Some(other) => other.to_ascii_lowercase(),
            }),
            source_ip: text(e, "/client/ipAddress").map(str::to_string),
        };
        let changes = if matches!(result, None | Some("SUCCESS")) {
            self.changes(e)
        } else {
            Vec::new()
        };
        iam::emit(
            out,
            &record,
            at,
            id,
            location,
            raw,
            &changes,
            &self.privilege,
        );
    }

    /// What a successful event granted or revoked.
    fn changes(&self, e: &Value) -> Vec<Change> {
        let targets = e
            .get("target")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let target = |kinds: &[&str], field: &str| {
            targets.iter().find_map(|t| {
                let kind = t.get("type").and_then(Value::as_str)?;
                kinds
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(kind))
                    .then(|| t.get(field).and_then(Value::as_str))
                    .flatten()
                    .map(str::to_string)
            })
        };
        let Some(user) = target(&["User"], "alternateId") else {
            return Vec::new();
        };
        let org = Some(self.org.as_str());
        let event_type = text(e, "/eventType").unwrap_or_default();
        let grant = |yes: bool| if yes { Effect::Grant } else { Effect::Revoke };
        let one = |effect, kind, permission: Option<String>| -> Vec<Change> {
            permission
                .map(|p| Change::new(effect, "user", &user, kind, &p).scoped(org))
                .into_iter()
                .collect()
        };
        match event_type {
            "group.user_membership.add" | "group.user_membership.remove" => one(
                grant(event_type.ends_with("add")),
                "group",
                target(&["UserGroup", "Group"], "displayName"),
            ),
            "application.user_membership.add" | "application.user_membership.remove" => one(
                grant(event_type.ends_with("add")),
                "app",
                target(&["AppInstance"], "displayName")
                    .or_else(|| target(&["AppInstance"], "alternateId")),
            ),
            "user.account.privilege.grant" | "user.account.privilege.revoke" => {
                let listed = text(e, "/debugContext/debugData/privilegeGranted")
                    .or_else(|| text(e, "/debugContext/debugData/privilegeRevoked"))
                    .unwrap_or("administrator");
                listed
                    .split(',')
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(|role| {
                        Change::new(
                            grant(event_type.ends_with("grant")),
                            "user",
                            &user,
                            "admin_role",
                            role,
                        )
                        .scoped(org)
                    })
                    .collect()
            }
            "user.lifecycle.deactivate" | "user.lifecycle.suspend" => {
                one(Effect::Revoke, "account", Some("okta".into()))
            }
            "user.lifecycle.create"
            | "user.lifecycle.activate"
            | "user.lifecycle.reactivate"
            | "user.lifecycle.unsuspend" => one(Effect::Grant, "account", Some("okta".into())),
            _ => Vec::new(),
        }
    }
}
