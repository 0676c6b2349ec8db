//! The roadmap: the steps that close the gap between claimed and evidenced, generated from
//! the answers the scorecard used (DESIGN §5).
//!
//! For each answer, the conditions in its way are those of every level above its own that
//! fail (a rung held over periods adds `periods_held >= N`), and the `no_data` or
//! `contradicted` conditions that hold. Each of the rubric's `[[qN.actions]]` that fixes one
//! of their metrics, and that finds the evidence rows it is about, becomes a step naming
//! those rows' subjects, their owners and every row by its provenance; a condition no action
//! fixes becomes a step of its own; a general action (about no rows) stands back when the
//! actions before it fix all it would. A step is in the way of the rungs whose conditions it
//! fixes; it lifts the question's activities confirmed above the answer's level up to the
//! highest of them (with the steps of the rungs below and beside it done); a step ending a
//! contradiction also lifts those confirmed at or below the answer's level. Its gain is the most sub-dimension
//! levels a team's evidenced score rises by once those activities are no longer refuted.
//!
//! The plan groups steps by a fixed rule: ingesting or restoring a source and switching
//! configuration (`ingest`, `enforce`) in the first 30 days, producing evidence (`record`)
//! by day 60, and levels that show only after periods have held (`sustain`) by day 90; a
//! step never comes before a step of the same question whose lowest rung is lower. Within a
//! group, the larger gain comes first.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use super::EvidenceCite;
use crate::rubric::{
    ActionKind, Condition, OwnerFrom, PERIODS_HELD, QuestionRubric, RoadmapAction,
};
use crate::{Answer, Rubric, Verdict};

/// One step of the roadmap.
#[derive(Debug, Clone, Serialize)]
pub struct RoadmapItem {
    /// Due within this many days of the scorecard's as-of date: 30, 60 or 90.
    pub days: u32,
    /// The action, in concrete terms.
    pub action: String,
    /// The kind of work.
    pub kind: ActionKind,
    /// The question whose answer it comes from.
    pub question: String,
    /// The conditions it makes right, as the rubric writes them (`no longer: …` for a
    /// `contradicted` or `no_data` condition that holds now).
    pub fixes: Vec<String>,
    /// The question's audit-real level now.
    pub level_from: u8,
    /// The lowest rung it is in the way of: it is due no earlier than the steps of lower
    /// rungs of its question.
    pub first_rung: u8,
    /// The highest rung it is in the way of: the question's level once it is done, with the
    /// steps of the rungs below and beside it.
    pub level_to: u8,
    /// The most sub-dimension levels a team's evidenced score rises by.
    pub level_gained: u8,
    /// The activities whose refutation it ends, and what each team's sub-dimension gains.
    pub lifts: Vec<Lift>,
    /// What it changes: the repositories, rules, people, policies the rows name.
    pub subjects: Vec<String>,
    /// Each subject's owner, when the inventory or the row names one.
    pub owners: BTreeMap<String, String>,
    /// Every evidence row of the answer it is about.
    pub evidence: Vec<EvidenceCite>,
    /// The command whose answer shows it done, and what that answer must then show.
    pub check: String,
}

/// An activity a step lifts.
#[derive(Debug, Clone, Serialize)]
pub struct Lift {
    /// Its UUID.
    pub uuid: String,
    /// Its name.
    pub activity: String,
    /// Its dimension.
    pub dimension: String,
    /// Its sub-dimension.
    pub sub_dimension: String,
    /// The teams whose evidenced level of that sub-dimension rises.
    pub teams: Vec<TeamGain>,
}

/// How a team's evidenced level of a sub-dimension rises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamGain {
    /// The team.
    pub team: String,
    /// Its evidenced level now.
    pub from: u8,
    /// Its evidenced level once the step is done.
    pub to: u8,
}

/// A condition in an answer's way: the rung it belongs to (none: a verdict condition that
/// holds).
struct InTheWay {
    condition: Condition,
    rung: Option<u8>,
}

/// What the plan needs of the scorecard: each team's evidenced level per sub-dimension with
/// a given set of activities refuted.
pub(super) trait Levels {
    /// The activities the answers refute now.
    fn refuted(&self) -> &BTreeSet<String>;
    /// Every team scored.
    fn teams(&self) -> Vec<String>;
    /// `(dimension, sub_dimension, activity name)` of an activity the model has.
    fn placed(&self, uuid: &str) -> Option<(String, String, String)>;
    /// A team's evidenced level of every sub-dimension with `refuted` set to 0 %.
    fn evidenced(&self, team: &str, refuted: &BTreeSet<String>) -> BTreeMap<String, u8>;
}

/// The roadmap from `answers`.
pub(super) fn plan(answers: &[Answer], rubric: &Rubric, levels: &dyn Levels) -> Vec<RoadmapItem> {
    let owners = InventoryOwners::from(answers.iter().find(|a| a.question == "q3"));
    let mut items = Vec::new();
    for answer in answers {
        let Ok(spec) = rubric.question(&answer.question) else {
            continue;
        };
        let in_the_way = in_the_way(spec, answer);
        let mut fixed: BTreeSet<usize> = BTreeSet::new();
        let mut steps: Vec<(Vec<usize>, Option<&RoadmapAction>)> = Vec::new();
        for action in &spec.actions {
            let fixes: Vec<usize> = (0..in_the_way.len())
                .filter(|i| {
                    action
                        .fixes
                        .iter()
                        .any(|m| m == in_the_way[*i].condition.metric())
                })
                .collect();
            if fixes.is_empty() {
                continue;
            }
            let about_rows = !action.rows.is_empty() || !action.rows_without.is_empty();
            if about_rows && !answer.evidence.iter().any(|r| matches(action, r)) {
                continue;
            }
            // A general action stands back when the actions before it, about rows, fix all
            // it would.
            if fixes.iter().all(|i| fixed.contains(i)) {
                continue;
            }
            fixed.extend(&fixes);
            steps.push((fixes, Some(action)));
        }
        steps.extend(
            (0..in_the_way.len())
                .filter(|i| !fixed.contains(i))
                .map(|i| (vec![i], None)),
        );
        for (fixes, action) in steps {
            items.push(step(
                answer,
                spec,
                &in_the_way,
                &fixes,
                action,
                &owners,
                levels,
            ));
        }
    }
    schedule(&mut items, answers.first().map(|a| a.as_of));
    items
}

/// The evidence rows of `answer` that the actions fixing its conditions in the way are
/// about, each once, in the answer's order: what a refuted claim cites first.
pub(super) fn rows_in_the_way<'a>(
    spec: &QuestionRubric,
    answer: &'a Answer,
) -> Vec<&'a Map<String, Value>> {
    let metrics: Vec<String> = in_the_way(spec, answer)
        .into_iter()
        .map(|w| w.condition.metric().to_string())
        .collect();
    let actions: Vec<&RoadmapAction> = spec
        .actions
        .iter()
        .filter(|a| !a.rows.is_empty() || !a.rows_without.is_empty())
        .filter(|a| a.fixes.iter().any(|m| metrics.contains(m)))
        .collect();
    answer
        .evidence
        .iter()
        .filter(|r| actions.iter().any(|a| matches(a, r)))
        .collect()
}

/// The conditions in `answer`'s way.
fn in_the_way(spec: &QuestionRubric, answer: &Answer) -> Vec<InTheWay> {
    let metrics = &answer.metrics;
    let holding = |conditions: &[Condition]| -> Vec<InTheWay> {
        conditions
            .iter()
            .filter(|c| spec.holds(c, metrics))
            .map(|c| InTheWay {
                condition: c.clone(),
                rung: None,
            })
            .collect()
    };
    match answer.verdict {
        // Without data the ladder says nothing: the source comes first.
        Verdict::NoData => return holding(&spec.verdict.no_data),
        Verdict::Contradicted => {}
        _ => return rungs_in_the_way(spec, answer),
    }
    let mut found = holding(&spec.verdict.contradicted);
    found.extend(rungs_in_the_way(spec, answer));
    found
}

fn rungs_in_the_way(spec: &QuestionRubric, answer: &Answer) -> Vec<InTheWay> {
    let mut levels: Vec<_> = spec
        .levels
        .iter()
        .filter(|l| l.level > answer.level)
        .collect();
    levels.sort_by_key(|l| l.level);
    let mut found = Vec::new();
    for l in levels {
        let mut conditions = l.when.clone();
        if let Some(held) = l.held {
            conditions.push(
                Condition::try_from(format!("{PERIODS_HELD} >= {}", held.periods))
                    .expect("a count of periods is a condition"),
            );
        }
        found.extend(
            conditions
                .into_iter()
                .filter(|c| !spec.holds(c, &answer.metrics))
                .map(|condition| InTheWay {
                    condition,
                    rung: Some(l.level),
                }),
        );
    }
    found
}

fn cell(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The text values of a column: a list's items one by one.
fn values(row: &Map<String, Value>, column: &str) -> Vec<String> {
    match row.get(column) {
        Some(Value::Array(items)) => items.iter().filter_map(cell).collect(),
        Some(v) => cell(v).into_iter().collect(),
        None => Vec::new(),
    }
}

fn matches(action: &RoadmapAction, row: &Map<String, Value>) -> bool {
    action.rows.iter().all(|(column, wanted)| {
        row.get(column)
            .and_then(cell)
            .is_some_and(|v| wanted.contains(&v))
    }) && action
        .rows_without
        .iter()
        .all(|column| row.get(column).is_none_or(Value::is_null))
}

/// Owners by the inventory's columns, from q3's evidence rows.
struct InventoryOwners(BTreeMap<(String, String), BTreeSet<String>>);

impl InventoryOwners {
    fn from(q3: Option<&Answer>) -> Self {
        let mut by = BTreeMap::new();
        for row in q3.map(|a| a.evidence.as_slice()).unwrap_or_default() {
            let Some(owner) = row.get("owner").and_then(cell) else {
                continue;
            };
            for (column, value) in row {
                if let Some(value) = cell(value) {
                    by.entry((column.clone(), value))
                        .or_insert_with(BTreeSet::new)
                        .insert(owner.clone());
                }
            }
        }
        Self(by)
    }

    fn of(&self, column: &str, value: &str) -> Option<String> {
        let owners = self.0.get(&(column.to_string(), value.to_string()))?;
        Some(owners.iter().cloned().collect::<Vec<_>>().join(", "))
    }
}

fn distinct(rows: &[&Map<String, Value>], column: Option<&str>) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for v in rows
        .iter()
        .flat_map(|r| column.map(|c| values(r, c)).unwrap_or_default())
    {
        if !seen.contains(&v) {
            seen.push(v);
        }
    }
    seen
}

fn render(
    template: &str,
    subjects: &[String],
    details: &[String],
    metrics: &BTreeMap<String, Value>,
) -> String {
    let mut text = template
        .replace("{subjects}", &subjects.join(", "))
        .replace("{details}", &details.join(", "))
        .replace("{count}", &subjects.len().to_string());
    for (name, value) in metrics {
        let placeholder = format!("{{{name}}}");
        if text.contains(&placeholder) {
            let shown = match value {
                Value::Null => "none".to_string(),
                Value::String(s) if s.is_empty() => "none".to_string(),
                Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() != 0.0) => {
                    format!("{:.2}", n.as_f64().unwrap_or_default())
                }
                other => cell(other).unwrap_or_default(),
            };
            text = text.replace(&placeholder, &shown);
        }
    }
    text
}

fn step(
    answer: &Answer,
    spec: &QuestionRubric,
    in_the_way: &[InTheWay],
    fixes: &[usize],
    action: Option<&RoadmapAction>,
    owners: &InventoryOwners,
    levels: &dyn Levels,
) -> RoadmapItem {
    let rows: Vec<&Map<String, Value>> = match action {
        Some(a) if !a.rows.is_empty() || !a.rows_without.is_empty() => {
            answer.evidence.iter().filter(|r| matches(a, r)).collect()
        }
        _ => Vec::new(),
    };
    let subjects = distinct(&rows, action.and_then(|a| a.subject.as_deref()));
    let details = distinct(&rows, action.and_then(|a| a.detail.as_deref()));
    let mut subject_owners = BTreeMap::new();
    if let Some(a) = action
        && let (Some(subject), Some(from)) = (&a.subject, &a.owner)
    {
        for row in &rows {
            let owner = match from {
                OwnerFrom::Inventory(column) => row
                    .get(subject)
                    .and_then(cell)
                    .and_then(|v| owners.of(column, &v)),
                OwnerFrom::Column(column) => row.get(column).and_then(cell),
            };
            if let Some(owner) = owner {
                for s in values(row, subject) {
                    subject_owners.entry(s).or_insert_with(|| owner.clone());
                }
            }
        }
    }
    let fixed: Vec<&InTheWay> = fixes.iter().map(|i| &in_the_way[*i]).collect();
    let rungs = || fixed.iter().filter_map(|w| w.rung);
    let first_rung = rungs().min().unwrap_or(answer.level);
    let level_to = rungs().max().unwrap_or(answer.level);
    let action_text = match action {
        Some(a) => render(&a.action, &subjects, &details, &answer.metrics),
        None => {
            let w = fixed[0];
            match w
                .rung
                .and_then(|r| spec.levels.iter().find(|l| l.level == r))
            {
                Some(l) => format!(
                    "meet `{}` for level {}: {}",
                    w.condition, l.level, l.meaning
                ),
                None => format!("end `{}` ({} now)", w.condition, answer.verdict),
            }
        }
    };
    let kind = action.map_or_else(
        || match fixed[0].rung {
            None if answer.verdict == Verdict::NoData => ActionKind::Ingest,
            _ if fixed[0].condition.metric() == PERIODS_HELD => ActionKind::Sustain,
            _ => ActionKind::Record,
        },
        |a| a.kind,
    );
    let fixes_text = fixed
        .iter()
        .map(|w| match w.rung {
            Some(_) => w.condition.to_string(),
            None => format!("no longer: {}", w.condition),
        })
        .collect();
    // The answer stops refuting an activity once it is no longer contradicted and reaches the
    // activity's `confirmed_at`: a step of a rung lifts the activities confirmed above the
    // answer's level up to that rung (with the steps below and beside it done), and a step
    // ending the contradiction those confirmed at or below the level too.
    let ends_contradiction = fixed.iter().any(|w| w.rung.is_none());
    let lifted: BTreeSet<String> = if answer.verdict == Verdict::NoData {
        BTreeSet::new()
    } else {
        spec.activities
            .iter()
            .filter(|a| {
                a.confirmed_at <= level_to
                    && (ends_contradiction || a.confirmed_at > answer.level)
                    && levels.refuted().contains(&a.uuid)
            })
            .map(|a| a.uuid.clone())
            .collect()
    };
    let (lifts, level_gained) = lifts(&lifted, levels);
    let check = format!(
        "evlake ask {} --as-of <due date>: {}",
        answer.question,
        fixed
            .iter()
            .map(|w| match w.rung {
                Some(_) => w.condition.to_string(),
                None => format!("not {}", w.condition),
            })
            .collect::<Vec<_>>()
            .join(" and ")
    );
    RoadmapItem {
        days: 0,
        action: action_text,
        kind,
        question: answer.question.clone(),
        fixes: fixes_text,
        level_from: answer.level,
        first_rung,
        level_to,
        level_gained,
        lifts,
        subjects,
        owners: subject_owners,
        evidence: rows
            .iter()
            .filter_map(|r| {
                Some(EvidenceCite {
                    question: answer.question.clone(),
                    source_id: r.get("source_id")?.as_str()?.to_string(),
                    record_sha256: r.get("record_sha256")?.as_str()?.to_string(),
                })
            })
            .collect(),
        check,
    }
}

/// What ending the refutation of `lifted` does for every team, and the largest gain.
fn lifts(lifted: &BTreeSet<String>, levels: &dyn Levels) -> (Vec<Lift>, u8) {
    if lifted.is_empty() {
        return (Vec::new(), 0);
    }
    let after: BTreeSet<String> = levels.refuted().difference(lifted).cloned().collect();
    let mut gains: BTreeMap<String, Vec<TeamGain>> = BTreeMap::new();
    for team in levels.teams() {
        let now = levels.evidenced(&team, levels.refuted());
        for (sub, to) in levels.evidenced(&team, &after) {
            let from = now.get(&sub).copied().unwrap_or(0);
            if to > from {
                gains.entry(sub).or_default().push(TeamGain {
                    team: team.clone(),
                    from,
                    to,
                });
            }
        }
    }
    let mut out = Vec::new();
    let mut best = 0;
    for uuid in lifted {
        let Some((dimension, sub_dimension, activity)) = levels.placed(uuid) else {
            continue;
        };
        let teams = gains.get(&sub_dimension).cloned().unwrap_or_default();
        best = best.max(teams.iter().map(|g| g.to - g.from).max().unwrap_or(0));
        out.push(Lift {
            uuid: uuid.clone(),
            activity,
            dimension,
            sub_dimension,
            teams,
        });
    }
    (out, best)
}

/// Places every step in its 30-, 60- or 90-day group and orders the plan.
fn schedule(items: &mut [RoadmapItem], as_of: Option<DateTime<Utc>>) {
    for item in items.iter_mut() {
        item.days = match item.kind {
            ActionKind::Ingest | ActionKind::Enforce => 30,
            ActionKind::Record => 60,
            ActionKind::Sustain => 90,
        };
    }
    // A step comes no earlier than one of its question opening a lower rung: lower rungs
    // first, so a chain of rungs carries its delay up.
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|i| items[*i].first_rung);
    for i in order {
        let floor = items
            .iter()
            .filter(|o| o.question == items[i].question && o.first_rung < items[i].first_rung)
            .map(|o| o.days)
            .max()
            .unwrap_or(0);
        let item = &mut items[i];
        item.days = item.days.max(floor);
        if let Some(as_of) = as_of {
            let due = (as_of + Duration::days(i64::from(item.days))).format("%Y-%m-%d");
            item.check = item.check.replace("<due date>", &due.to_string());
        }
    }
    items.sort_by(|a, b| {
        (
            a.days,
            std::cmp::Reverse(a.level_gained),
            &a.question,
            a.first_rung,
            a.kind,
        )
            .cmp(&(
                b.days,
                std::cmp::Reverse(b.level_gained),
                &b.question,
                b.first_rung,
                b.kind,
            ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Two sub-dimensions of one team: `Static depth` with the SAST activities (levels 3, 4)
    /// and the status checks (3), all claimed fully.
    struct Fake {
        refuted: BTreeSet<String>,
    }

    const SAST: &str = "6c05c837-8c99-46e2-828b-7c903e27dba4";
    const CHECKS: &str = "ac8730a2-ccc0-465c-9550-d91edae9d5ee";

    impl Levels for Fake {
        fn refuted(&self) -> &BTreeSet<String> {
            &self.refuted
        }
        fn teams(&self) -> Vec<String> {
            vec!["payments".into()]
        }
        fn placed(&self, uuid: &str) -> Option<(String, String, String)> {
            let (sub, name) = match uuid {
                SAST => (
                    "Static depth",
                    "Static analysis for important server side components",
                ),
                CHECKS => ("Build", "Require status checks to pass"),
                _ => return None,
            };
            Some(("Test and Verification".into(), sub.into(), name.into()))
        }
        fn evidenced(&self, _team: &str, refuted: &BTreeSet<String>) -> BTreeMap<String, u8> {
            // Both sub-dimensions are claimed at level 3: each falls to 0 while refuted.
            BTreeMap::from([
                (
                    "Static depth".to_string(),
                    if refuted.contains(SAST) { 0 } else { 3 },
                ),
                (
                    "Build".to_string(),
                    if refuted.contains(CHECKS) { 0 } else { 3 },
                ),
            ])
        }
    }

    fn row(pairs: &[(&str, Value)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn answer(
        question: &str,
        verdict: Verdict,
        level: u8,
        metrics: Value,
        evidence: Vec<Map<String, Value>>,
    ) -> Answer {
        let t: DateTime<Utc> = "2026-11-30T23:59:59Z".parse().unwrap();
        Answer {
            question: question.into(),
            title: String::new(),
            as_of: t,
            window_start: t - Duration::days(7),
            window_end: t,
            known_at: t,
            verdict,
            level,
            evidence,
            metrics: serde_json::from_value(metrics).unwrap(),
            activities: Rubric::builtin()
                .question(question)
                .unwrap()
                .activities
                .clone(),
            parameters: BTreeMap::new(),
            rubric_sha256: String::new(),
            evlake_version: String::new(),
            sql: String::new(),
            lake_version: Vec::new(),
        }
    }

    /// q1 with SAST before every deploy (level 2) but two advisory leaks in two repositories,
    /// and an inventory naming the owner of one of them.
    fn advisory() -> Vec<Answer> {
        let leak = |repo: &str, id: &str| {
            row(&[
                ("deploy_id", json!(id)),
                ("repo", json!(repo)),
                ("class", json!("advisory_leak")),
                ("source_id", json!(format!("gh:{id}"))),
                ("record_sha256", json!(format!("sha-{id}"))),
            ])
        };
        let q1 = answer(
            "q1",
            Verdict::Contradicted,
            2,
            json!({
                "sources_unusable": 0, "sast_runs": 9, "sast_coverage": 1.0, "advisory_leaks": 3,
                "blocked_by_sast": 0, "blocked_by_sast_lookback": 2, "excepted_late": 0,
                "excepted_share": 0.0, "suppressed_blocking_findings": 0,
                "exceptions_without_expiry": 0, "exceptions_without_owner": 0,
                "periods_tracked": 3, "min_period_sast_coverage": 1.0,
                "max_period_advisory_leaks": 3, "max_period_excepted_share": 0.0
            }),
            vec![
                leak("acme/ledger", "1"),
                leak("acme/billing", "2"),
                leak("acme/ledger", "3"),
                row(&[("class", json!("blocked")), ("repo", json!("acme/web"))]),
            ],
        );
        let q3 = answer(
            "q3",
            Verdict::Evidenced,
            3,
            json!({}),
            vec![row(&[
                ("repo", json!("acme/ledger")),
                ("owner", json!("group:default/payments")),
            ])],
        );
        vec![q1, q3]
    }

    #[test]
    fn an_advisory_gate_becomes_one_step_naming_its_repositories_owners_and_rows() {
        let levels = Fake {
            refuted: BTreeSet::from([SAST.to_string(), CHECKS.to_string()]),
        };
        let steps = plan(&advisory(), Rubric::builtin(), &levels);
        let q1: Vec<&RoadmapItem> = steps.iter().filter(|i| i.question == "q1").collect();
        assert_eq!(q1.len(), 1, "{steps:#?}");
        let gate = q1[0];
        assert_eq!(
            gate.action,
            "move the SAST gate of acme/ledger, acme/billing from advisory to blocking"
        );
        assert_eq!(gate.kind, ActionKind::Enforce);
        assert_eq!(gate.days, 30);
        assert_eq!((gate.level_from, gate.first_rung, gate.level_to), (2, 3, 4));
        assert_eq!(
            gate.fixes,
            [
                "no longer: advisory_leaks > 0",
                "advisory_leaks == 0",
                "max_period_advisory_leaks == 0"
            ]
        );
        assert_eq!(gate.subjects, ["acme/ledger", "acme/billing"]);
        assert_eq!(
            gate.owners,
            BTreeMap::from([(
                "acme/ledger".to_string(),
                "group:default/payments".to_string()
            )])
        );
        let rows: Vec<&str> = gate.evidence.iter().map(|e| e.source_id.as_str()).collect();
        assert_eq!(rows, ["gh:1", "gh:2", "gh:3"]);
        // Both SAST activities confirm from level 2 and the status checks from 3: all lifted.
        let lifted: Vec<(&str, &[TeamGain])> = gate
            .lifts
            .iter()
            .map(|l| (l.uuid.as_str(), l.teams.as_slice()))
            .collect();
        let gain = [TeamGain {
            team: "payments".into(),
            from: 0,
            to: 3,
        }];
        assert_eq!(lifted, [(SAST, &gain[..]), (CHECKS, &gain[..])]);
        assert_eq!(gate.level_gained, 3);
        assert_eq!(
            gate.check,
            "evlake ask q1 --as-of 2026-12-30: not advisory_leaks > 0 and advisory_leaks == 0 and max_period_advisory_leaks == 0"
        );
    }

    #[test]
    fn no_data_asks_for_the_source_and_a_condition_no_action_fixes_is_a_step_of_its_own() {
        let levels = Fake {
            refuted: BTreeSet::new(),
        };
        let q1 = answer(
            "q1",
            Verdict::NoData,
            0,
            json!({"sources_unusable": 1, "sources_missing_names": "exceptions", "sources_stale_names": ""}),
            Vec::new(),
        );
        let steps = plan(&[q1], Rubric::builtin(), &levels);
        assert_eq!(steps.len(), 1, "{steps:#?}");
        assert_eq!(
            steps[0].action,
            "ingest the CI history and the exceptions register q1 reads (missing: exceptions; stopped: none)"
        );
        assert_eq!(
            (steps[0].kind, steps[0].days, steps[0].level_gained),
            (ActionKind::Ingest, 30, 0)
        );
        assert!(steps[0].lifts.is_empty());

        // Level 3 of q1 fails only on a blocked deploy in the lookback, which no action names.
        let mut q1 = advisory().remove(0);
        q1.verdict = Verdict::NotEvidenced;
        q1.metrics.insert("advisory_leaks".into(), json!(0));
        q1.metrics
            .insert("max_period_advisory_leaks".into(), json!(0));
        q1.metrics
            .insert("blocked_by_sast_lookback".into(), json!(0));
        q1.evidence.clear();
        let steps = plan(&[q1], Rubric::builtin(), &levels);
        let actions: Vec<(&str, u32, u8)> = steps
            .iter()
            .map(|i| (i.action.as_str(), i.days, i.level_to))
            .collect();
        let level3 = &Rubric::builtin().question("q1").unwrap().levels[2].meaning;
        assert_eq!(
            actions,
            [(
                format!("meet `blocked_by_sast_lookback > 0` for level 3: {level3}").as_str(),
                60,
                3
            )]
        );
    }
}
