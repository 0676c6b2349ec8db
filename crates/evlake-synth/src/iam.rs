//! Synthetic `iam_events` rows, deterministic for a seed: the load for the append
//! benchmark and the command-line tests.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, RecordBatch, StringBuilder, TimestampMicrosecondArray, new_null_array,
};
use arrow::datatypes::DataType;
use chrono::{DateTime, Utc};

use crate::Rng;

const PROVIDERS: &[&str] = &["aws", "okta", "gcp"];
const ACTIONS: &[(&str, &str, &str)] = &[
    (
        "AttachRolePolicy",
        "grant",
        "arn:aws:iam::aws:policy/AdministratorAccess",
    ),
    (
        "DetachRolePolicy",
        "revoke",
        "arn:aws:iam::aws:policy/AdministratorAccess",
    ),
    ("AssumeRole", "use", "arn:aws:iam::111111111111:role/deploy"),
    (
        "user.account.privilege.grant",
        "grant",
        "Super Administrator",
    ),
    ("group.user_membership.add", "grant", "engineering-admins"),
    ("SetIamPolicy", "grant", "roles/owner"),
    ("user.session.start", "use", "okta"),
];

/// A stream of synthetic IAM events: `total` rows spread evenly from `start` over `days`,
/// in batches of `batch_rows`, in event-time order like a real export.
#[derive(Debug, Clone)]
pub struct IamEvents {
    start: DateTime<Utc>,
    step_micros: i64,
    total: u64,
    batch_rows: usize,
    next: u64,
    seed: u64,
}

impl IamEvents {
    /// `total` events over `days` days from `start`, `batch_rows` per batch, from `seed`.
    pub fn new(start: DateTime<Utc>, days: u32, total: u64, batch_rows: usize, seed: u64) -> Self {
        let span = i64::from(days.max(1)) * 86_400_000_000;
        Self {
            start,
            step_micros: (span / total.max(1) as i64).max(1),
            total,
            batch_rows,
            next: 0,
            seed,
        }
    }

    fn pick(&self, i: u64, salt: u64, n: usize) -> usize {
        let key = i
            .wrapping_add(self.seed)
            .wrapping_add(salt.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        (Rng::mix(key) % n as u64) as usize
    }
}

impl Iterator for IamEvents {
    type Item = RecordBatch;

    fn next(&mut self) -> Option<RecordBatch> {
        if self.next >= self.total {
            return None;
        }
        let end = (self.next + self.batch_rows as u64).min(self.total);
        let n = (end - self.next) as usize;
        let schema = evlake_core::tables::get("iam_events")
            .expect("iam_events is a lake table")
            .input_schema();
        let mut times = Vec::with_capacity(n);
        let mut cols: Vec<StringBuilder> = (0..schema.fields().len() - 1)
            .map(|_| StringBuilder::new())
            .collect();
        for i in self.next..end {
            let t = self.start.timestamp_micros() + i as i64 * self.step_micros;
            times.push(t);
            let provider = PROVIDERS[self.pick(i, 1, PROVIDERS.len())];
            let (action, effect, permission) = ACTIONS[self.pick(i, 2, ACTIONS.len())];
            let person = format!("engineer{:04}@example.com", self.pick(i, 3, 2000));
            let target = format!("engineer{:04}@example.com", self.pick(i, 4, 2000));
            let id = format!("{provider}-{:016x}-{i:010}", self.seed);
            let raw = format!(
                r#"{{"eventID":"{id}","eventName":"{action}","eventTime":"{}","userIdentity":{{"principalId":"AROA:{person}"}},"requestParameters":{{"target":"{target}","policy":"{permission}"}}}}"#,
                DateTime::from_timestamp_micros(t)
                    .expect("in range")
                    .to_rfc3339()
            );
            let sha = evlake_core::sha256_hex(raw.as_bytes());
            let source_ref = format!("synthetic://iam_events/{}#{i}", self.seed);
            let source_ip = format!("10.{}.{}.{}", i % 256, (i / 256) % 256, (i / 65536) % 256);
            for (b, field) in cols.iter_mut().zip(&schema.fields()[1..]) {
                let value = match field.name().as_str() {
                    "source" | "provider" => Some(provider),
                    "source_name" => Some("synthetic"),
                    "source_id" => Some(id.as_str()),
                    "source_ref" => Some(source_ref.as_str()),
                    "record_sha256" => Some(sha.as_str()),
                    "account" | "scope" => Some("111111111111"),
                    "region" => Some("eu-central-1"),
                    "actor" => Some(person.as_str()),
                    "actor_email" => Some(person.as_str()),
                    "action" => Some(action),
                    "outcome" => Some("success"),
                    "source_ip" => Some(source_ip.as_str()),
                    "effect" => Some(effect),
                    "principal_kind" => Some("user"),
                    "principal" | "principal_email" => Some(target.as_str()),
                    "permission_kind" => Some("policy"),
                    "permission" => Some(permission),
                    "raw" => Some(raw.as_str()),
                    _ => None,
                };
                b.append_option(value);
            }
        }
        self.next = end;
        let mut columns: Vec<ArrayRef> = vec![Arc::new(
            TimestampMicrosecondArray::from(times).with_timezone("UTC"),
        )];
        columns.extend(
            cols.iter_mut()
                .zip(&schema.fields()[1..])
                .map(|(b, field)| match field.data_type() {
                    DataType::Utf8 => Arc::new(b.finish()) as ArrayRef,
                    other => new_null_array(other, n),
                }),
        );
        Some(RecordBatch::try_new(schema, columns).expect("synthetic rows match iam_events"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_deterministic_and_in_time_order() {
        let start = DateTime::parse_from_rfc3339("2026-10-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let a: Vec<_> = IamEvents::new(start, 2, 250, 100, 7).collect();
        let b: Vec<_> = IamEvents::new(start, 2, 250, 100, 7).collect();
        assert_eq!(a, b);
        assert_eq!(
            a.iter().map(|x| x.num_rows()).collect::<Vec<_>>(),
            [100, 100, 50]
        );
        let c: Vec<_> = IamEvents::new(start, 2, 250, 100, 8).collect();
        assert_ne!(a, c);
    }
}
