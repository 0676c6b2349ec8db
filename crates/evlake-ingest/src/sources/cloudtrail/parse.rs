//! Parsing CloudTrail records into `iam_events` rows.

use serde_json::Value;

use super::CloudtrailConfig;
use crate::emit::{Document, Emitter};
use crate::kind::Parser;
use crate::sources::iam::{self, Change, Effect, IamRecord, Privilege, SeenIds};
use crate::sources::json::{text, time};

/// The `cloudtrail` parser.
#[derive(Debug, Clone)]
pub struct CloudtrailParser {
    privilege: Privilege,
}

impl CloudtrailParser {
    /// A parser with `config`; a bad `privileged` glob is an error naming it.
    pub fn new(config: CloudtrailConfig) -> crate::Result<Self> {
        Ok(Self {
            privilege: Privilege::new(config.privileged.as_deref(), iam::AWS_PRIVILEGED)?,
        })
    }
}

/// Whether the object is a CloudTrail digest file (`…/CloudTrail-Digest/…`): an integrity
/// record of the log files, not events.
fn is_digest(location: &str) -> bool {
    location.contains("/CloudTrail-Digest/") || location.contains("_CloudTrail-Digest_")
}

impl Parser for CloudtrailParser {
    fn parse(&self, doc: Document<'_>, out: &mut Emitter) {
        if is_digest(doc.location) {
            return out.skip();
        }
        let mut seen = SeenIds::default();
        iam::each_record(
            doc,
            &["Records", "Events", "Logs"],
            out,
            |record, raw, location, out| {
                // LookupEvents output: each event's record is JSON text in `CloudTrailEvent`.
                if let Some(inner) = record.get("CloudTrailEvent").and_then(Value::as_str) {
                    return match serde_json::from_str::<Value>(inner) {
                        Ok(value) => {
                            self.record(&value, inner.as_bytes(), location, &mut seen, out)
                        }
                        Err(e) => {
                            out.reject(location, format!("CloudTrailEvent is not JSON: {e}"), raw)
                        }
                    };
                }
                self.record(record, raw, location, &mut seen, out);
            },
        );
    }
}

impl CloudtrailParser {
    fn record(&self, r: &Value, raw: &[u8], location: &str, seen: &mut SeenIds, out: &mut Emitter) {
        let Some(id) = text(r, "/eventID") else {
            return out.reject(location, "the record has no eventID", raw);
        };
        let Some(at) = time(r, "/eventTime") else {
            return out.reject(location, "the record has no eventTime", raw);
        };
        if !seen.admit(id, raw, location, out) {
            return;
        }
        let account = text(r, "/recipientAccountId")
            .or_else(|| text(r, "/userIdentity/accountId"))
            .map(str::to_string);
        let record = IamRecord {
            provider: "aws",
            account: account.clone(),
            region: text(r, "/awsRegion").map(str::to_string),
            actor: text(r, "/userIdentity/arn")
                .or_else(|| text(r, "/userIdentity/principalId"))
                .or_else(|| text(r, "/userIdentity/userName"))
                .map(str::to_string),
            action: text(r, "/eventName").map(str::to_string),
            outcome: Some(text(r, "/errorCode").unwrap_or("success").to_string()),
            source_ip: text(r, "/sourceIPAddress").map(str::to_string),
        };
        // A call that failed changed nothing.
        let changes = if text(r, "/errorCode").is_some() {
            Vec::new()
        } else {
            changes(r, account.as_deref())
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
}

/// What a successful call granted, revoked, defined or used.
fn changes(r: &Value, account: Option<&str>) -> Vec<Change> {
    let req = |key: &str| text(r, &format!("/requestParameters/{key}"));
    let (Some(source), Some(name)) = (text(r, "/eventSource"), text(r, "/eventName")) else {
        return Vec::new();
    };
    let effect = |grant: bool| if grant { Effect::Grant } else { Effect::Revoke };
    // The user a credential call is about: the one named, else the caller itself.
    let own_user = || req("userName").or_else(|| text(r, "/userIdentity/userName"));
    let change = match (source, name) {
        ("iam.amazonaws.com", "AttachUserPolicy" | "DetachUserPolicy") => {
            pair(req("userName"), req("policyArn"), |u, p| {
                Change::new(effect(name.starts_with("Attach")), "user", u, "policy", p)
            })
        }
        ("iam.amazonaws.com", "AttachGroupPolicy" | "DetachGroupPolicy") => {
            pair(req("groupName"), req("policyArn"), |g, p| {
                Change::new(effect(name.starts_with("Attach")), "group", g, "policy", p)
            })
        }
        ("iam.amazonaws.com", "AttachRolePolicy" | "DetachRolePolicy") => {
            pair(req("roleName"), req("policyArn"), |g, p| {
                Change::new(effect(name.starts_with("Attach")), "role", g, "policy", p)
            })
        }
        ("iam.amazonaws.com", "PutUserPolicy" | "PutGroupPolicy" | "PutRolePolicy")
        | ("iam.amazonaws.com", "DeleteUserPolicy" | "DeleteGroupPolicy" | "DeleteRolePolicy") => {
            let (kind, key) = match &name[name.len() - 10..] {
                "UserPolicy" => ("user", "userName"),
                "roupPolicy" => ("group", "groupName"),
                _ => ("role", "roleName"),
            };
            let document = r
                .pointer("/requestParameters/policyDocument")
                .and_then(iam::document_text);
            pair(req(key), req("policyName"), |who, policy| {
                Change::new(
                    effect(name.starts_with("Put")),
                    kind,
                    who,
                    "inline_policy",
                    policy,
                )
                .with_document(document.clone())
            })
        }
        ("iam.amazonaws.com", "AddUserToGroup" | "RemoveUserFromGroup") => {
            pair(req("userName"), req("groupName"), |u, g| {
                Change::new(effect(name.starts_with("Add")), "user", u, "group", g)
            })
        }
        ("iam.amazonaws.com", "CreateUser" | "DeleteUser") => req("userName").map(|u| {
            Change::new(
                effect(name.starts_with("Create")),
                "user",
                u,
                "account",
                "iam-user",
            )
        }),
        ("iam.amazonaws.com", "CreateAccessKey") => pair(
            own_user(),
            text(r, "/responseElements/accessKey/accessKeyId"),
            |u, key| Change::new(Effect::Grant, "user", u, "credential", key),
        ),
        ("iam.amazonaws.com", "DeleteAccessKey") => {
            pair(own_user(), req("accessKeyId"), |u, key| {
                Change::new(Effect::Revoke, "user", u, "credential", key)
            })
        }
        ("iam.amazonaws.com", "UpdateAccessKey") => {
            let active = req("status").is_some_and(|s| s.eq_ignore_ascii_case("active"));
            pair(own_user(), req("accessKeyId"), |u, key| {
                Change::new(effect(active), "user", u, "credential", key)
            })
        }
        ("iam.amazonaws.com", "CreateLoginProfile" | "DeleteLoginProfile") => own_user().map(|u| {
            Change::new(
                effect(name.starts_with("Create")),
                "user",
                u,
                "credential",
                "console-password",
            )
        }),
        ("iam.amazonaws.com", "CreatePolicyVersion") => {
            let default = r
                .pointer("/requestParameters/setAsDefault")
                .is_some_and(|v| v == &Value::Bool(true) || v.as_str() == Some("true"));
            let document = r
                .pointer("/requestParameters/policyDocument")
                .and_then(iam::document_text);
            req("policyArn").filter(|_| default).map(|p| {
                Change::new(Effect::Define, "policy", p, "policy", p).with_document(document)
            })
        }
        ("iam.amazonaws.com", "CreatePolicy") => {
            let document = r
                .pointer("/requestParameters/policyDocument")
                .and_then(iam::document_text);
            text(r, "/responseElements/policy/arn").map(|p| {
                Change::new(Effect::Define, "policy", p, "policy", p).with_document(document)
            })
        }
        ("sso.amazonaws.com", "CreateAccountAssignment" | "DeleteAccountAssignment") => {
            let kind = match req("principalType") {
                Some(t) if t.eq_ignore_ascii_case("GROUP") => "group",
                _ => "user",
            };
            return pair(req("principalId"), req("permissionSetArn"), |who, set| {
                Change::new(
                    effect(name.starts_with("Create")),
                    kind,
                    who,
                    "permission_set",
                    set,
                )
                .scoped(req("targetId"))
            })
            .into_iter()
            .collect();
        }
        ("sts.amazonaws.com", n) if n.starts_with("AssumeRole") => {
            let session = text(r, "/responseElements/assumedRoleUser/arn")
                .and_then(|arn| arn.rsplit('/').next())
                .or_else(|| req("roleSessionName"));
            return pair(session, req("roleArn"), |who, role| {
                Change::new(Effect::Use, "user", who, "role", role).scoped(role.split(':').nth(4))
            })
            .into_iter()
            .collect();
        }
        _ => None,
    };
    change.map(|c| c.scoped(account)).into_iter().collect()
}

fn pair(a: Option<&str>, b: Option<&str>, f: impl FnOnce(&str, &str) -> Change) -> Option<Change> {
    Some(f(a?, b?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_files_are_recognised_by_their_place_in_the_layout() {
        assert!(is_digest(
            "s3://trail/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/01/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20261101T000000Z.json.gz"
        ));
        assert!(!is_digest(
            "s3://trail/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/01/111122223333_CloudTrail_us-east-1_20261101T0005Z_abc.json.gz"
        ));
    }
}
