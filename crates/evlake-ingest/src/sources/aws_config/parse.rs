//! Parsing AWS Config configuration items into `assets` rows.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value, json};

use super::AwsConfigConfig;
use crate::emit::{Document, Emitter};
use crate::kind::Parser;
use crate::sources::json::{self, Text, text};

/// Notifications that carry no configuration item: read and skipped.
const WITHOUT_ITEMS: &[&str] = &[
    "ConfigurationSnapshotDeliveryCompleted",
    "ConfigurationSnapshotDeliveryStarted",
    "ConfigurationHistoryDeliveryCompleted",
    "ComplianceChangeNotification",
    "ConfigRulesEvaluationStarted",
    "ScheduledNotification",
];

/// The `aws-config` parser.
#[derive(Debug, Clone)]
pub struct AwsConfigParser {
    config: AwsConfigConfig,
}

impl AwsConfigParser {
    /// A parser with `config`.
    pub fn new(config: AwsConfigConfig) -> Self {
        Self { config }
    }
}

impl Parser for AwsConfigParser {
    fn parse(&self, doc: Document<'_>, out: &mut Emitter) {
        json::each_body(doc, out, |body, location, out| {
            self.body(body, location, doc.modified, out);
        });
    }
}

impl AwsConfigParser {
    /// One JSON document: a delivery file, an API output (as the CLI prints it, or as placebo
    /// records it under `data`), or a notification.
    fn body(&self, body: Text<'_>, location: &str, queried: DateTime<Utc>, out: &mut Emitter) {
        let Some(fields) = body.fields() else {
            return out.reject(location, "not a JSON object", body.bytes());
        };
        let at = |key: &str| format!("{location}/{key}");
        if let Some(data) = fields
            .get("data")
            .filter(|_| fields.contains_key("status_code"))
        {
            return self.body(*data, &at("data"), queried, out);
        }
        for key in ["configurationItems", "baseConfigurationItems"] {
            if let Some(items) = fields.get(key).and_then(|t| t.items()) {
                for (i, item) in items.into_iter().enumerate() {
                    let record = item.record();
                    self.item(
                        &record,
                        record.bytes(),
                        &format!("{location}/{key}/{i}"),
                        None,
                        out,
                    );
                }
                return;
            }
        }
        if let Some(item) = fields.get("configurationItem") {
            let record = item.record();
            return self.item(&record, record.bytes(), &at("configurationItem"), None, out);
        }
        if let Some(results) = fields.get("Results").and_then(|t| t.items()) {
            // SelectResourceConfig: each result is an item as a JSON string, the state when
            // the query ran.
            for (i, result) in results.into_iter().enumerate() {
                let location = format!("{location}/Results/{i}");
                let Some(inner) = result.value().as_str().map(str::to_string) else {
                    out.reject(&location, "a result is a JSON string", result.bytes());
                    continue;
                };
                match serde_json::from_str::<Value>(&inner) {
                    Ok(item) => self.item(&item, inner.as_bytes(), &location, Some(queried), out),
                    Err(e) => {
                        out.reject(&location, format!("not valid JSON: {e}"), inner.as_bytes())
                    }
                }
            }
            return;
        }
        // Envelopes whose payload is JSON in a string: a Config rule's invoking event, an SNS
        // message.
        for key in ["invokingEvent", "Message"] {
            if let Some(inner) = fields
                .get(key)
                .and_then(|t| t.value().as_str().map(str::to_string))
            {
                return match json::document(inner.as_bytes()) {
                    Ok(inner) => self.body(inner, &at(key), queried, out),
                    Err(e) => {
                        out.reject(&at(key), format!("not valid JSON: {e}"), inner.as_bytes())
                    }
                };
            }
        }
        if let Some(detail) = fields.get("detail") {
            return self.body(*detail, &at("detail"), queried, out);
        }
        let value = body.value();
        match text(&value, "/messageType") {
            Some(t) if WITHOUT_ITEMS.contains(&t) => out.skip(),
            Some("OversizedConfigurationItemChangeNotification") => out.reject(
                location,
                "an oversized change notification carries only a summary: ingest the \
                 ConfigHistory file it points to",
                body.bytes(),
            ),
            _ => out.reject(
                location,
                "no configuration item (configurationItems, configurationItem, Results, \
                 invokingEvent or an SNS Message)",
                body.bytes(),
            ),
        }
    }

    /// One configuration item; `queried` is its time when it has none of its own (a
    /// `SelectResourceConfig` result that did not select `configurationItemCaptureTime`).
    fn item(
        &self,
        item: &Value,
        raw: &[u8],
        location: &str,
        queried: Option<DateTime<Utc>>,
        out: &mut Emitter,
    ) {
        let (Some(resource_type), Some(resource_id)) =
            (text(item, "/resourceType"), text(item, "/resourceId"))
        else {
            return out.reject(
                location,
                "the item has no resourceType and resourceId (a SelectResourceConfig query must \
                 select resourceType, resourceId, accountId, awsRegion and \
                 configurationItemCaptureTime)",
                raw,
            );
        };
        let Some(captured) = capture_time(item.get("configurationItemCaptureTime")).or(queried)
        else {
            return out.reject(
                location,
                "the item has no configurationItemCaptureTime",
                raw,
            );
        };
        let account = text(item, "/awsAccountId").or_else(|| text(item, "/accountId"));
        let region = text(item, "/awsRegion");
        let asset_id = format!(
            "aws:{}:{}:{resource_type}:{resource_id}",
            account.unwrap_or(""),
            region.unwrap_or("")
        );
        let state = json::id(item, "/configurationStateId");
        let tags = tags(item.get("tags"));
        // A tag left blank (templates often do) is no value: the next key is asked.
        let tag = |keys: &[String]| {
            keys.iter()
                .find_map(|k| {
                    tags.iter()
                        .find(|(key, v)| key == k && !v.trim().is_empty())
                })
                .map(|(_, v)| v.trim().to_string())
        };
        let environment = tag(&self.config.environment_tags);
        let production = environment.as_deref().is_some_and(|e| {
            self.config
                .production_environments
                .iter()
                .any(|p| p.eq_ignore_ascii_case(e))
        });
        // An owner tag names a team: a Backstage group unless it says otherwise.
        let owner = tag(&self.config.owner_tags).map(|o| {
            if o.contains(':') {
                o.to_ascii_lowercase()
            } else {
                format!("group:default/{}", o.to_ascii_lowercase())
            }
        });
        let (review, review_source) = match &self.config.security_review_tag {
            Some(key) => match tag(std::slice::from_ref(key)) {
                Some(v) => match evlake_core::time::parse_timestamp(&v) {
                    Ok(t) => (json::when(Some(t)), json!(format!("tag:{key}"))),
                    Err(_) => (Value::Null, json!(format!("tag:{key} (unreadable: '{v}')"))),
                },
                // Looked for and not there: checked, and no review.
                None => (Value::Null, json!(format!("tag:{key}"))),
            },
            None => (Value::Null, Value::Null),
        };
        let fields = Map::from_iter([
            ("asset_id".to_string(), json!(asset_id)),
            ("record_kind".to_string(), json!("configuration_item")),
            (
                "name".to_string(),
                json!(text(item, "/resourceName").unwrap_or(resource_id)),
            ),
            ("asset_kind".to_string(), json!("aws_resource")),
            ("asset_type".to_string(), json!(resource_type)),
            ("environment".to_string(), json!(environment)),
            ("production".to_string(), json!(production)),
            ("owner".to_string(), json!(owner)),
            (
                "workload".to_string(),
                json!(tag(&self.config.service_tags)),
            ),
            (
                "tags".to_string(),
                json!(
                    tags.iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                ),
            ),
            (
                "status".to_string(),
                json!(text(item, "/configurationItemStatus")),
            ),
            ("account".to_string(), json!(account)),
            ("region".to_string(), json!(region)),
            ("uid".to_string(), json!(resource_id)),
            ("version".to_string(), json!(state)),
            ("last_security_review".to_string(), review),
            ("review_source".to_string(), review_source),
        ]);
        let version = state.unwrap_or_else(|| captured.timestamp_micros().to_string());
        out.row(
            "assets",
            captured,
            format!("{asset_id}|{version}"),
            location.to_string(),
            raw,
            fields,
        );
    }
}

/// An item's capture time as each writer spells it: RFC 3339 text (delivery files, events,
/// the CLI), epoch seconds (the API's JSON), or placebo's `{"__class__": "datetime", …}`,
/// which drops the zone: read as UTC (the recorded fixture's state ids say its recorder ran
/// five hours behind UTC, which nothing in the record itself says).
fn capture_time(value: Option<&Value>) -> Option<DateTime<Utc>> {
    match value? {
        Value::String(s) => evlake_core::time::parse_timestamp(s).ok(),
        Value::Number(n) => {
            let micros = (n.as_f64()? * 1e6).round() as i64;
            DateTime::from_timestamp_micros(micros)
        }
        Value::Object(o) if o.get("__class__").and_then(Value::as_str) == Some("datetime") => {
            let part = |k: &str| o.get(k).and_then(Value::as_u64);
            let day = NaiveDate::from_ymd_opt(
                i32::try_from(part("year")?).ok()?,
                u32::try_from(part("month")?).ok()?,
                u32::try_from(part("day")?).ok()?,
            )?;
            let t = day.and_hms_micro_opt(
                u32::try_from(part("hour")?).ok()?,
                u32::try_from(part("minute")?).ok()?,
                u32::try_from(part("second")?).ok()?,
                u32::try_from(part("microsecond").unwrap_or(0)).ok()?,
            )?;
            Some(t.and_utc())
        }
        _ => None,
    }
}

/// An item's tags, as a map (delivery files, events, the API) or a list of `{key, value}`
/// (some API outputs and `configuration.tags`), in key order.
fn tags(value: Option<&Value>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = match value {
        Some(Value::Object(map)) => map
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect(),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|t| {
                let key = t.get("key").or_else(|| t.get("Key"))?.as_str()?;
                let value = t.get("value").or_else(|| t.get("Value"))?.as_str()?;
                Some((key.to_string(), value.to_string()))
            })
            .collect(),
        _ => Vec::new(),
    };
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_times_read_in_every_spelling() {
        let t = |v: Value| capture_time(Some(&v)).map(|t| t.to_rfc3339());
        let want = Some("2016-12-11T06:04:03.800+00:00".to_string());
        assert_eq!(t(json!("2016-12-11T06:04:03.800Z")), want);
        assert_eq!(t(json!(1481436243.8)), want);
        assert_eq!(
            t(
                json!({"__class__": "datetime", "year": 2016, "month": 12, "day": 11,
                "hour": 6, "minute": 4, "second": 3, "microsecond": 800000})
            ),
            want
        );
        assert_eq!(t(json!(true)), None);
    }

    #[test]
    fn tags_read_as_a_map_or_a_list() {
        let want = vec![("App".to_string(), "x".to_string())];
        assert_eq!(tags(Some(&json!({"App": "x"}))), want);
        assert_eq!(tags(Some(&json!([{"key": "App", "value": "x"}]))), want);
    }
}
