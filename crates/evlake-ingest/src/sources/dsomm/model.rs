//! The DSOMM model: `model.yaml` (a `meta` document, then Dimension → Sub-dimension →
//! Activity name → fields), the legacy single-document `generated.yaml`, and the custom
//! activity files merged over either.

use serde_json::{Map, Value};

/// The publisher whose `meta.version` the app believes.
const UPSTREAM: &str = "https://github.com/devsecopsmaturitymodel/DevSecOps-MaturityModel-data";

/// One activity of the model, where the model (after its overlays) puts it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Activity {
    pub dimension: String,
    pub sub_dimension: String,
    /// Its name: the key the model files it under.
    pub name: String,
    pub uuid: String,
    /// Every field the files give it, merged.
    pub fields: Map<String, Value>,
}

impl Activity {
    pub fn level(&self) -> Option<i64> {
        match self.fields.get("level")? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The framework references, every id as a string (`iso27001-2017: [8.1]` parses as a
    /// YAML float: it is the control `8.1`).
    pub fn references(&self) -> Option<Value> {
        let refs = self.fields.get("references")?.as_object()?;
        Some(Value::Object(
            refs.iter()
                .map(|(framework, ids)| {
                    let ids = match ids {
                        Value::Array(ids) => ids.iter().map(as_text).collect(),
                        Value::Null => Vec::new(),
                        one => vec![as_text(one)],
                    };
                    (framework.clone(), Value::Array(ids))
                })
                .collect(),
        ))
    }

    /// The record a row keeps: where the activity is and everything the files say of it.
    pub fn record(&self) -> Value {
        let mut record = Map::new();
        record.insert("dimension".into(), self.dimension.clone().into());
        record.insert("subDimension".into(), self.sub_dimension.clone().into());
        record.insert("activity".into(), self.name.clone().into());
        record.extend(self.fields.clone());
        Value::Object(record)
    }
}

fn as_text(v: &Value) -> Value {
    match v {
        Value::String(_) => v.clone(),
        other => Value::String(other.to_string()),
    }
}

/// A model file read: its version and its activities in file order, with what was wrong.
#[derive(Debug, Clone, Default)]
pub(crate) struct Model {
    /// `meta.version` (prefixed `custom ` when another publisher than DSOMM's data
    /// repository released it); `legacy` for a v3 `generated.yaml` with no meta.
    pub version: String,
    pub activities: Vec<Activity>,
    /// Whether activities carry the v3 assessment (`teamsImplemented`).
    pub legacy: bool,
    /// Entries that are not activities, each `(path, reason)`.
    pub problems: Vec<(String, String)>,
}

/// Whether `doc` is the body of a model: Dimension → Sub-dimension → Activity → fields,
/// where some activity has a `uuid` or a `level`.
pub(crate) fn is_model_body(doc: &Value) -> bool {
    each_entry(doc).any(|(_, _, _, fields)| {
        fields
            .as_object()
            .is_some_and(|f| f.contains_key("uuid") || f.contains_key("level"))
    })
}

fn each_entry(doc: &Value) -> impl Iterator<Item = (&str, &str, &str, &Value)> {
    doc.as_object().into_iter().flat_map(|dims| {
        dims.iter()
            .filter_map(|(d, subs)| Some((d, subs.as_object()?)))
            .flat_map(|(d, subs)| {
                subs.iter()
                    .filter_map(|(s, acts)| Some((s, acts.as_object()?)))
                    .flat_map(move |(s, acts)| {
                        acts.iter()
                            .map(move |(a, f)| (d.as_str(), s.as_str(), a.as_str(), f))
                    })
            })
    })
}

/// Reads a model file's documents: an optional `meta` document, then the body.
pub(crate) fn read(docs: &[Value]) -> Model {
    let (meta, body) = match docs {
        [meta, body] if meta.get("meta").is_some() => (meta.get("meta"), body),
        [body] => (None, body),
        _ => (None, docs.last().unwrap_or(&Value::Null)),
    };
    let version = meta.and_then(|m| {
        let version = as_text(m.get("version")?);
        let version = version.as_str()?.to_string();
        let upstream = m
            .get("publisher")
            .and_then(Value::as_str)
            .is_some_and(|p| p.starts_with(UPSTREAM));
        Some(if upstream {
            version
        } else {
            format!("custom {version}")
        })
    });
    let mut model = Model {
        version: version.clone().unwrap_or_else(|| "legacy".to_string()),
        ..Model::default()
    };
    for (dimension, sub_dimension, name, fields) in each_entry(body) {
        let path = format!("{dimension} / {sub_dimension} / {name}");
        let Some(fields) = fields.as_object() else {
            model
                .problems
                .push((path, "the activity is not a mapping of fields".into()));
            continue;
        };
        let Some(uuid) = fields
            .get("uuid")
            .map(as_text)
            .and_then(|u| u.as_str().map(str::to_string))
        else {
            model
                .problems
                .push((path, "the activity has no uuid".into()));
            continue;
        };
        if let Some(first) = model.activities.iter().find(|a| a.uuid == uuid) {
            let first = format!(
                "{} / {} / {}",
                first.dimension, first.sub_dimension, first.name
            );
            model.problems.push((
                path,
                format!("uuid {uuid} is already {first}'s: kept the first"),
            ));
            continue;
        }
        model.legacy |= fields.contains_key("teamsImplemented");
        model.activities.push(Activity {
            dimension: dimension.to_string(),
            sub_dimension: sub_dimension.to_string(),
            name: name.to_string(),
            uuid,
            fields: fields.clone(),
        });
    }
    if version.is_none() && !model.legacy {
        model.version = "unknown".to_string();
    }
    model
}

/// Merges a custom activity file over `activities`, as the app loads `activityFiles` in
/// order: an entry matches an activity by `uuid`, else by name; a match is overridden field
/// by field and filed where the entry is, under the entry's name; an unmatched entry with a
/// `uuid` is a new activity; `ignore: true` drops the match — or, on a dimension or a
/// sub-dimension, everything in it. Returns what could not be applied, as `(path, reason)`.
pub(crate) fn overlay(activities: &mut Vec<Activity>, body: &Value) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let ignored = |v: &Value| v.get("ignore").and_then(Value::as_bool) == Some(true);
    for (dimension, subs) in body.as_object().into_iter().flatten() {
        if ignored(subs) {
            activities.retain(|a| &a.dimension != dimension);
            continue;
        }
        for (sub_dimension, acts) in subs.as_object().into_iter().flatten() {
            if ignored(acts) {
                activities
                    .retain(|a| !(&a.dimension == dimension && &a.sub_dimension == sub_dimension));
                continue;
            }
            for (name, fields) in acts.as_object().into_iter().flatten() {
                let Some(fields) = fields.as_object() else {
                    continue;
                };
                let ignore = fields.get("ignore").and_then(Value::as_bool) == Some(true);
                let uuid = fields
                    .get("uuid")
                    .map(as_text)
                    .and_then(|u| u.as_str().map(str::to_string));
                let found = match &uuid {
                    Some(uuid) => activities.iter().position(|a| &a.uuid == uuid),
                    None => activities.iter().position(|a| &a.name == name),
                };
                let path = format!("{dimension} / {sub_dimension} / {name}");
                match (found, uuid) {
                    (Some(i), _) if ignore => {
                        activities.remove(i);
                    }
                    (Some(i), _) => {
                        let a = &mut activities[i];
                        a.dimension = dimension.clone();
                        a.sub_dimension = sub_dimension.clone();
                        a.name = name.clone();
                        a.fields.extend(fields.clone());
                    }
                    (None, _) if ignore => {
                        problems.push((path, "ignores an activity the model does not have".into()))
                    }
                    (None, Some(uuid)) => activities.push(Activity {
                        dimension: dimension.clone(),
                        sub_dimension: sub_dimension.clone(),
                        name: name.clone(),
                        uuid,
                        fields: fields.clone(),
                    }),
                    (None, None) => problems.push((
                        path,
                        "matches no activity by name and has no uuid to add one".into(),
                    )),
                }
            }
        }
    }
    problems
}
