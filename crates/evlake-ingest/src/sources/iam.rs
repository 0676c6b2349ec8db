//! What the IAM sources (`cloudtrail`, `okta`, `gcp-audit`, `aws-iam-snapshot`) share: who a
//! principal is, what a change grants, whether it is privileged, and one `iam_events` row per
//! change.
//!
//! **Identity.** [`person_of`] is the one place a principal's name becomes a person's e-mail
//! when the name itself says so: an e-mail login (Okta `alternateId`, GCP `principalEmail`,
//! an IAM Identity Center user name), a GCP member `user:…`, an AWS principal id or
//! assumed-role ARN whose session name is an e-mail (`AROA…:alice@acme.example`,
//! `…/assumed-role/AWSReservedSSO_…/alice@acme.example`). Every other name (an IAM user name,
//! an SSO session name that is a login, an identity-store id, a Kubernetes user) is kept as
//! the record gives it, lower-cased, and the `iam_permissions_at` view maps it through the
//! aliases of the `people` table. Service accounts are never people.
//!
//! **Privilege.** A grant is privileged when its permission's name matches the source's
//! `privileged` globs (defaults per provider, below), or when the policy document it carries
//! (or the snapshot holds for it) allows every action on every resource, or every action of a
//! published privilege-escalation path (`escalation.toml`, with its sources). A document is
//! evaluated as AWS does for one principal's policy: an explicit `Deny` on all resources
//! removes an action; an `Allow` counts when its `Action` matches (wildcards `*` and `?`,
//! case-insensitive) or its `NotAction` does not, and its resource is not a single named
//! resource (a `*` anywhere in it, or `NotResource`). Conditions are not evaluated: a
//! conditional `Allow` counts (the grant is reviewed), a conditional `Deny` does not remove.
//! Each document is evaluated on its own: a path split across two policies is not found.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::emit::{Document, Emitter};
use crate::sources::json;

/// The AWS managed policies privileged by default (matched on the ARN's last part).
pub(crate) const AWS_PRIVILEGED: &[&str] =
    &["AdministratorAccess", "IAMFullAccess", "PowerUserAccess"];
/// The Okta administrator roles privileged by default (role types and their display names).
pub(crate) const OKTA_PRIVILEGED: &[&str] = &[
    "SUPER_ADMIN",
    "ORG_ADMIN",
    "Super Administrator",
    "Organization Administrator",
];
/// The GCP roles privileged by default.
pub(crate) const GCP_PRIVILEGED: &[&str] = &["roles/owner", "roles/editor", "roles/iam.*Admin"];

/// A person's e-mail from a principal's name, when the name carries one (module docs).
pub(crate) fn person_of(name: &str) -> Option<String> {
    let name = name.trim();
    if name.starts_with("serviceAccount:") || name.contains("gserviceaccount.com") {
        return None;
    }
    let name = name
        .strip_prefix("user:")
        .unwrap_or(name)
        .rsplit(['/', ':'])
        .next()
        .unwrap_or(name);
    is_email(name).then(|| name.to_ascii_lowercase())
}

fn is_email(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !text.contains(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// A permission was granted.
    Grant,
    /// A permission was revoked.
    Revoke,
    /// A policy's document was defined (a new default version).
    Define,
    /// A role was used (assumed).
    Use,
}

impl Effect {
    fn as_str(self) -> &'static str {
        match self {
            Effect::Grant => "grant",
            Effect::Revoke => "revoke",
            Effect::Define => "define",
            Effect::Use => "use",
        }
    }
}

/// One change a record makes: who gains or loses what, where.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub effect: Effect,
    pub principal_kind: &'static str,
    pub principal: String,
    pub permission_kind: &'static str,
    pub permission: String,
    pub scope: Option<String>,
    /// The policy document it carries, as JSON text.
    pub document: Option<String>,
}

impl Change {
    /// A change of `effect` for `principal_kind` `principal` on `permission_kind` `permission`.
    pub(crate) fn new(
        effect: Effect,
        principal_kind: &'static str,
        principal: &str,
        permission_kind: &'static str,
        permission: &str,
    ) -> Self {
        Self {
            effect,
            principal_kind,
            principal: principal.trim().to_string(),
            permission_kind,
            permission: permission.trim().to_string(),
            scope: None,
            document: None,
        }
    }

    /// The same, where it holds.
    pub(crate) fn scoped(mut self, scope: Option<&str>) -> Self {
        self.scope = scope.map(str::to_string);
        self
    }

    /// The same, with the policy document it carries.
    pub(crate) fn with_document(mut self, document: Option<String>) -> Self {
        self.document = document;
        self
    }
}

/// Which permissions are privileged: names by glob, and documents by what they allow.
#[derive(Debug, Clone)]
pub(crate) struct Privilege {
    names: GlobSet,
}

impl Privilege {
    /// From the source's `privileged` setting, else `defaults`; a bad glob names the setting.
    pub(crate) fn new(configured: Option<&[String]>, defaults: &[&str]) -> crate::Result<Self> {
        let patterns: Vec<String> = match configured {
            Some(p) => p.to_vec(),
            None => defaults.iter().map(|s| s.to_string()).collect(),
        };
        let mut set = GlobSetBuilder::new();
        for p in &patterns {
            let glob = GlobBuilder::new(p)
                .case_insensitive(true)
                .literal_separator(false)
                .build()
                .map_err(|e| crate::Error::setting(format!("privileged: '{p}': {e}")))?;
            set.add(glob);
        }
        let names = set
            .build()
            .map_err(|e| crate::Error::setting(format!("privileged: {e}")))?;
        Ok(Self { names })
    }

    /// Whether a permission is privileged by its name alone.
    pub(crate) fn named(&self, permission: &str) -> bool {
        let short = permission.rsplit('/').next().unwrap_or(permission);
        self.names.is_match(permission) || self.names.is_match(short)
    }

    /// Whether a permission is privileged, and the escalation paths its document opens.
    pub(crate) fn assess(&self, permission: &str, document: Option<&str>) -> (bool, Vec<String>) {
        let named = self.named(permission);
        let assessed = document
            .and_then(policy_document)
            .map(|d| assess_document(&d));
        match assessed {
            Some(a) => (
                named || a.allows_all || !a.escalation.is_empty(),
                a.escalation,
            ),
            None => (named, Vec::new()),
        }
    }
}

/// A policy document as the records write it: an object, JSON text, or URL-encoded JSON text
/// (as IAM's own API returns it).
pub(crate) fn policy_document(text: &str) -> Option<Value> {
    let parse = |t: &str| {
        serde_json::from_str::<Value>(t)
            .ok()
            .filter(Value::is_object)
    };
    parse(text).or_else(|| parse(&percent_decode(text)?))
}

/// A document's canonical JSON text, whatever form it was written in.
pub(crate) fn document_text(value: &Value) -> Option<String> {
    match value {
        Value::Object(_) => Some(value.to_string()),
        Value::String(text) => policy_document(text).map(|d| d.to_string()),
        _ => None,
    }
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[derive(Debug, Deserialize)]
struct EscalationPaths {
    path: Vec<EscalationPath>,
}

#[derive(Debug, Deserialize)]
struct EscalationPath {
    id: String,
    actions: Vec<String>,
}

static ESCALATION: LazyLock<Vec<EscalationPath>> = LazyLock::new(|| {
    toml::from_str::<EscalationPaths>(include_str!("escalation.toml"))
        .expect("escalation.toml is valid")
        .path
});

/// What one policy document allows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Assessment {
    /// Every action on every resource.
    pub allows_all: bool,
    /// The escalation paths every action of which it allows.
    pub escalation: Vec<String>,
}

/// Evaluates one policy document (module docs).
pub(crate) fn assess_document(document: &Value) -> Assessment {
    let statements: Vec<&Value> = match document.get("Statement") {
        Some(Value::Array(s)) => s.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => Vec::new(),
    };
    let allows_all = statements.iter().any(|s| {
        effect_is(s, "Allow")
            && strings(s.get("Action"))
                .iter()
                .any(|a| a == "*" || a == "*:*")
            && strings(s.get("Resource")).iter().any(|r| r == "*")
    }) && !denied(&statements, "*");
    let allowed = |action: &str| {
        statements
            .iter()
            .any(|s| effect_is(s, "Allow") && applies(s, action) && broad_resource(s))
            && !denied(&statements, action)
    };
    let escalation = ESCALATION
        .iter()
        .filter(|p| p.actions.iter().all(|a| allowed(a)))
        .map(|p| p.id.clone())
        .collect();
    Assessment {
        allows_all,
        escalation,
    }
}

fn effect_is(statement: &Value, effect: &str) -> bool {
    statement
        .get("Effect")
        .and_then(Value::as_str)
        .is_some_and(|e| e.eq_ignore_ascii_case(effect))
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

fn applies(statement: &Value, action: &str) -> bool {
    if statement.get("Action").is_some() {
        strings(statement.get("Action"))
            .iter()
            .any(|p| wildcard(p, action))
    } else if statement.get("NotAction").is_some() {
        !strings(statement.get("NotAction"))
            .iter()
            .any(|p| wildcard(p, action))
    } else {
        false
    }
}

fn broad_resource(statement: &Value) -> bool {
    statement.get("NotResource").is_some()
        || strings(statement.get("Resource"))
            .iter()
            .any(|r| r.contains('*'))
}

fn denied(statements: &[&Value], action: &str) -> bool {
    statements.iter().any(|s| {
        effect_is(s, "Deny")
            && s.get("Condition").is_none()
            && applies(s, action)
            && strings(s.get("Resource")).iter().any(|r| r == "*")
    })
}

/// IAM's action wildcards: `*` any run of characters, `?` one, case-insensitive.
fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (
        pattern.to_ascii_lowercase().chars().collect(),
        text.to_ascii_lowercase().chars().collect(),
    );
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The fields of an IAM record every change of it shares.
#[derive(Debug, Clone, Default)]
pub(crate) struct IamRecord {
    pub provider: &'static str,
    pub account: Option<String>,
    pub region: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<String>,
    pub source_ip: Option<String>,
}

/// Hands every record of an IAM export to `record` with its bytes and location: JSON (one
/// document, several, or JSON Lines) whose records are under one of `list_keys`, or form an
/// array, or are the documents themselves; or a YAML wrapper (`.yml`, `.yaml`: Panther's
/// `{LogType, Logs: [...]}`), whose records keep their JSON text as `raw`.
pub(crate) fn each_record(
    doc: Document<'_>,
    list_keys: &[&str],
    out: &mut Emitter,
    mut record: impl FnMut(&Value, &[u8], &str, &mut Emitter),
) {
    let path = doc.location.to_ascii_lowercase();
    if path.ends_with(".yml") || path.ends_with(".yaml") {
        let wrapper: Value = match serde_saphyr::from_slice(doc.bytes) {
            Ok(v) => v,
            Err(e) => return out.reject(doc.location, format!("not valid YAML: {e}"), doc.bytes),
        };
        let Some(logs) = list_keys.iter().find_map(|k| wrapper.get(k)?.as_array()) else {
            return out.reject(
                doc.location,
                format!("no '{}' list in the YAML export", list_keys.join("' or '")),
                doc.bytes,
            );
        };
        for (i, value) in logs.iter().enumerate() {
            let raw = serde_json::to_vec(value).expect("a value serialises");
            record(value, &raw, &format!("{}#/{i}", doc.location), out);
        }
        return;
    }
    json::each_body(doc, out, |body, location, out| {
        let listed = body.fields().and_then(|mut fields| {
            list_keys
                .iter()
                .find_map(|k| fields.remove(*k).map(|t| (k.to_string(), t)))
        });
        let (items, prefix) = match listed {
            Some((key, list)) => match list.items() {
                Some(items) => (items, format!("{location}/{key}")),
                None if list.value().is_null() => return,
                None => {
                    return out.reject(location, format!("'{key}' is not a list"), body.bytes());
                }
            },
            None => match body.items() {
                Some(items) => (items, location.to_string()),
                None => {
                    let value = body.value();
                    return record(&value, body.bytes(), location, out);
                }
            },
        };
        for (i, item) in items.into_iter().enumerate() {
            let value = item.value();
            record(&value, item.bytes(), &format!("{prefix}/{i}"), out);
        }
    });
}

/// The record ids a document has used, so an id reused with other content is quarantined as
/// a data-quality error rather than dropped as a duplicate.
#[derive(Debug, Default)]
pub(crate) struct SeenIds(HashMap<String, String>);

impl SeenIds {
    /// Whether `id` may be emitted for `raw`: not when the document already used it for
    /// other bytes (then `raw` is quarantined, naming the id).
    pub(crate) fn admit(
        &mut self,
        id: &str,
        raw: &[u8],
        location: &str,
        out: &mut Emitter,
    ) -> bool {
        let sha = evlake_core::sha256_hex(raw);
        match self.0.get(id) {
            Some(seen) if *seen != sha => {
                out.reject(
                    location,
                    format!(
                        "the record id '{id}' is used by an earlier record with other content: a \
                         data-quality error in the export, not a duplicate"
                    ),
                    raw,
                );
                false
            }
            _ => {
                self.0.insert(id.to_string(), sha);
                true
            }
        }
    }
}

/// Emits one `iam_events` row per change of the record (one row, its change columns empty,
/// when it changes nothing): `source_id` is the record's id, with `#N` for the N-th change of
/// a record making several.
#[allow(clippy::too_many_arguments)]
pub(crate) fn emit(
    out: &mut Emitter,
    record: &IamRecord,
    event_time: DateTime<Utc>,
    id: &str,
    location: &str,
    raw: &[u8],
    changes: &[Change],
    privilege: &Privilege,
) {
    let base = Map::from_iter([
        ("provider".to_string(), json!(record.provider)),
        ("account".to_string(), json!(record.account)),
        ("region".to_string(), json!(record.region)),
        ("actor".to_string(), json!(record.actor)),
        (
            "actor_email".to_string(),
            json!(record.actor.as_deref().and_then(person_of)),
        ),
        ("action".to_string(), json!(record.action)),
        ("outcome".to_string(), json!(record.outcome)),
        ("source_ip".to_string(), json!(record.source_ip)),
    ]);
    if changes.is_empty() {
        return out.row(
            "iam_events",
            event_time,
            id.to_string(),
            location.to_string(),
            raw,
            base,
        );
    }
    for (n, change) in changes.iter().enumerate() {
        let mut row = base.clone();
        row.extend(change_fields(change, privilege));
        let source_id = if changes.len() == 1 {
            id.to_string()
        } else {
            format!("{id}#{n}")
        };
        out.row(
            "iam_events",
            event_time,
            source_id,
            location.to_string(),
            raw,
            row,
        );
    }
}

/// The columns of a change, shared by `iam_events` and `iam_state`, with its privilege.
pub(crate) fn change_fields(change: &Change, privilege: &Privilege) -> Map<String, Value> {
    let (privileged, escalation) = privilege.assess(&change.permission, change.document.as_deref());
    Map::from_iter([
        (
            "privileged_by_name".to_string(),
            json!(privilege.named(&change.permission)),
        ),
        ("effect".to_string(), json!(change.effect.as_str())),
        ("principal_kind".to_string(), json!(change.principal_kind)),
        (
            "principal".to_string(),
            json!(change.principal.to_ascii_lowercase()),
        ),
        (
            "principal_email".to_string(),
            json!(person_of(&change.principal)),
        ),
        ("permission_kind".to_string(), json!(change.permission_kind)),
        ("permission".to_string(), json!(change.permission)),
        ("scope".to_string(), json!(change.scope)),
        ("document".to_string(), json!(change.document)),
        ("privileged".to_string(), json!(privileged)),
        ("escalation".to_string(), json!(escalation)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_a_person_only_when_it_carries_an_email() {
        assert_eq!(
            person_of("Alice@Acme.example").as_deref(),
            Some("alice@acme.example")
        );
        assert_eq!(
            person_of("AROAIOJRFK4IOK6BW5ISY:alice@acme.example").as_deref(),
            Some("alice@acme.example")
        );
        assert_eq!(
            person_of("arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_0a1b/bob@acme.example")
                .as_deref(),
            Some("bob@acme.example")
        );
        assert_eq!(
            person_of("user:carol@acme.example").as_deref(),
            Some("carol@acme.example")
        );
        assert_eq!(
            person_of("serviceAccount:ci@proj.iam.gserviceaccount.com"),
            None
        );
        assert_eq!(person_of("ci@proj.iam.gserviceaccount.com"), None);
        assert_eq!(person_of("AROAIOJRFK4IOK6BW5ISY:Admin-user"), None);
        assert_eq!(person_of("deploy-bot"), None);
    }

    fn doc(text: &str) -> Assessment {
        assess_document(&serde_json::from_str(text).unwrap())
    }

    #[test]
    fn a_document_allowing_everything_is_privileged_unless_denied() {
        let all = doc(r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#);
        assert!(all.allows_all);
        assert!(
            all.escalation
                .contains(&"CreateNewPolicyVersion".to_string())
        );
        let denied = doc(
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
                {"Effect":"Deny","Action":"*","Resource":"*"}]}"#,
        );
        assert_eq!(denied, Assessment::default());
    }

    #[test]
    fn escalation_paths_follow_wildcards_not_action_deny_and_resources() {
        let wild = doc(r#"{"Statement":{"Effect":"Allow","Action":"iam:Attach*","Resource":"*"}}"#);
        assert!(!wild.allows_all);
        assert_eq!(wild.escalation, ["AttachUserPolicy", "AttachGroupPolicy"]);
        // PowerUserAccess: everything but IAM — PassRole is IAM, so only the non-IAM paths.
        let power = doc(
            r#"{"Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}]}"#,
        );
        assert_eq!(
            power.escalation,
            [
                "EditExistingLambdaFunctionWithRole",
                "UpdateExistingGlueDevEndpoint"
            ]
        );
        let pass = doc(
            r#"{"Statement":[{"Effect":"Allow","Action":["iam:PassRole","ec2:RunInstances"],"Resource":"*"},
                {"Effect":"Deny","Action":"ec2:Run*","Resource":"*"}]}"#,
        );
        assert!(pass.escalation.is_empty());
        let named = doc(
            r#"{"Statement":[{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"arn:aws:iam::1:user/bob"}]}"#,
        );
        assert!(named.escalation.is_empty());
        let own = doc(
            r#"{"Statement":[{"Effect":"Allow","Action":"iam:createaccesskey","Resource":"arn:aws:iam::*:user/${aws:username}"}]}"#,
        );
        assert_eq!(own.escalation, ["CreateAccessKey"]);
    }

    #[test]
    fn privilege_is_by_name_or_by_document() {
        let p = Privilege::new(None, AWS_PRIVILEGED).unwrap();
        assert_eq!(
            p.assess("arn:aws:iam::aws:policy/AdministratorAccess", None),
            (true, vec![])
        );
        assert_eq!(
            p.assess("arn:aws:iam::aws:policy/ReadOnlyAccess", None),
            (false, vec![])
        );
        let encoded = "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22iam%3AUpdateLoginProfile%22%2C%22Resource%22%3A%22*%22%7D%5D%7D";
        assert_eq!(
            p.assess("inline-helper", Some(encoded)),
            (true, vec!["UpdateLoginProfile".to_string()])
        );
        let gcp = Privilege::new(None, GCP_PRIVILEGED).unwrap();
        assert!(gcp.assess("roles/iam.securityAdmin", None).0);
        assert!(!gcp.assess("roles/viewer", None).0);
        assert!(Privilege::new(Some(&["[".to_string()]), &[]).is_err());
    }
}
