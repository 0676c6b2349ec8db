//! Parsing `get-account-authorization-details` output into `iam_state` rows.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::AwsIamSnapshotConfig;
use crate::emit::{Document, Emitter, timestamp};
use crate::kind::Parser;
use crate::sources::backstage::snapshot_instant;
use crate::sources::iam::{self, Change, Effect, Privilege};
use crate::sources::json::{self, Text, text};

/// The `aws-iam-snapshot` parser.
#[derive(Debug, Clone)]
pub struct AwsIamSnapshotParser {
    privilege: Privilege,
}

impl AwsIamSnapshotParser {
    /// A parser with `config`; a bad `privileged` glob is an error naming it.
    pub fn new(config: AwsIamSnapshotConfig) -> crate::Result<Self> {
        Ok(Self {
            privilege: Privilege::new(config.privileged.as_deref(), iam::AWS_PRIVILEGED)?,
        })
    }
}

const UNSTAMPED: &str = "an IAM authorization-details output must name its capture instant in \
    its path, as an RFC 3339 UTC timestamp (iam/111122223333/2026-11-01T06:00:00Z.json): the \
    output carries none, and dated by its file it would read as the state the day it was copied";

/// The lists of principals in the output: the list, the kind, the name field, the inline
/// policies' list.
const PRINCIPALS: &[(&str, &str, &str, &str)] = &[
    ("UserDetailList", "user", "UserName", "UserPolicyList"),
    ("GroupDetailList", "group", "GroupName", "GroupPolicyList"),
    ("RoleDetailList", "role", "RoleName", "RolePolicyList"),
];

impl Parser for AwsIamSnapshotParser {
    fn snapshots(&self) -> bool {
        true
    }

    fn snapshot_at(&self, location: &str, _modified: DateTime<Utc>) -> Option<DateTime<Utc>> {
        snapshot_instant(location)
    }

    fn parse(&self, doc: Document<'_>, out: &mut Emitter) {
        let Some(at) = snapshot_instant(doc.location) else {
            return out.reject(doc.location, UNSTAMPED, doc.bytes);
        };
        json::each_body(doc, out, |body, location, out| {
            let Some(fields) = body.fields() else {
                out.incomplete_snapshot(at);
                return out.reject(location, "not a JSON object", body.bytes());
            };
            if !PRINCIPALS
                .iter()
                .any(|(list, ..)| fields.contains_key(*list))
                && !fields.contains_key("Policies")
            {
                out.incomplete_snapshot(at);
                return out.reject(
                    location,
                    "not get-account-authorization-details output (no UserDetailList, \
                     GroupDetailList, RoleDetailList or Policies)",
                    body.bytes(),
                );
            }
            // Only a whole account's state is a baseline to replay from: the CLI's output
            // (it pages through every Marker itself), with every list in it. A raw API page
            // that says more follow, or a capture filtered to some lists, is kept but leaves
            // its snapshot unmarked.
            let truncated = fields
                .get("IsTruncated")
                .is_some_and(|t| t.value() == Value::Bool(true));
            let partial = PRINCIPALS
                .iter()
                .any(|(list, ..)| !fields.contains_key(*list));
            if truncated || partial {
                out.incomplete_snapshot(at);
            }
            self.output(&fields, at, location, out);
        });
    }
}

impl AwsIamSnapshotParser {
    fn output(
        &self,
        fields: &std::collections::BTreeMap<String, Text<'_>>,
        at: DateTime<Utc>,
        location: &str,
        out: &mut Emitter,
    ) {
        // The managed policies' default documents, to judge what attaching one grants.
        let mut documents: HashMap<String, String> = HashMap::new();
        if let Some(policies) = fields.get("Policies").and_then(|t| t.items()) {
            for (i, policy) in policies.into_iter().enumerate() {
                let value = policy.value();
                let location = format!("{location}/Policies/{i}");
                let Some(arn) = text(&value, "/Arn") else {
                    out.reject(&location, "a policy has no Arn", policy.bytes());
                    continue;
                };
                let default = value
                    .get("PolicyVersionList")
                    .and_then(Value::as_array)
                    .and_then(|versions| {
                        versions
                            .iter()
                            .find(|v| v.get("IsDefaultVersion") == Some(&Value::Bool(true)))
                    });
                let document = default
                    .and_then(|v| v.get("Document"))
                    .and_then(iam::document_text);
                if let Some(d) = &document {
                    documents.insert(arn.to_string(), d.clone());
                }
                let version = default.and_then(|v| text(v, "/VersionId"));
                let change = Change::new(Effect::Define, "policy", arn, "policy", arn)
                    .with_document(document)
                    .scoped(account_of(arn));
                self.row(
                    out,
                    at,
                    "policy",
                    &change,
                    account_of(arn),
                    version,
                    &location,
                    policy.bytes(),
                );
            }
        }
        for (list, kind, name_field, inline_list) in PRINCIPALS {
            let Some(items) = fields.get(*list).and_then(|t| t.items()) else {
                continue;
            };
            for (i, item) in items.into_iter().enumerate() {
                let value = item.value();
                let location = format!("{location}/{list}/{i}");
                let (Some(name), Some(arn)) = (
                    text(&value, &format!("/{name_field}")),
                    text(&value, "/Arn"),
                ) else {
                    out.reject(
                        &location,
                        format!("an entry has no {name_field} or Arn"),
                        item.bytes(),
                    );
                    continue;
                };
                let account = account_of(arn);
                let holds = |permission_kind, permission: &str| {
                    Change::new(Effect::Grant, kind, name, permission_kind, permission)
                        .scoped(account)
                };
                let mut changes = Vec::new();
                for attached in value
                    .get("AttachedManagedPolicies")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(policy) = text(attached, "/PolicyArn") {
                        changes.push(
                            holds("policy", policy).with_document(documents.get(policy).cloned()),
                        );
                    }
                }
                for inline in value
                    .get(*inline_list)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(policy) = text(inline, "/PolicyName") {
                        let document = inline.get("PolicyDocument").and_then(iam::document_text);
                        changes.push(holds("inline_policy", policy).with_document(document));
                    }
                }
                for group in value
                    .get("GroupList")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(group) = group.as_str() {
                        changes.push(holds("group", group));
                    }
                }
                if *kind == "user" {
                    changes.push(holds("account", "iam-user"));
                }
                for change in &changes {
                    self.row(
                        out,
                        at,
                        "holds",
                        change,
                        account,
                        None,
                        &location,
                        item.bytes(),
                    );
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn row(
        &self,
        out: &mut Emitter,
        at: DateTime<Utc>,
        record_kind: &str,
        change: &Change,
        account: Option<&str>,
        version: Option<&str>,
        location: &str,
        raw: &[u8],
    ) {
        let mut row: Map<String, Value> = iam::change_fields(change, &self.privilege);
        row.remove("effect");
        row.insert("provider".into(), json!("aws"));
        row.insert("account".into(), json!(account));
        row.insert("record_kind".into(), json!(record_kind));
        let source_id = format!(
            "{}|{}|{}|{}|{}|{}{}",
            timestamp(at).as_str().unwrap_or_default(),
            account.unwrap_or("aws"),
            change.principal_kind,
            change.principal,
            change.permission_kind,
            change.permission,
            version.map(|v| format!("@{v}")).unwrap_or_default()
        );
        out.row("iam_state", at, source_id, location.to_string(), raw, row);
    }
}

/// The account an IAM ARN is in (`arn:aws:iam::111122223333:user/alice`); none for AWS's own
/// managed policies.
fn account_of(arn: &str) -> Option<&str> {
    arn.split(':')
        .nth(4)
        .filter(|a| !a.is_empty() && *a != "aws")
}
