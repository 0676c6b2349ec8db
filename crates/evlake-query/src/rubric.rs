//! The audit-real ladder of each question (`queries/rubric.toml`, DESIGN §5): verdict and
//! level from a question's metrics, by thresholds kept as data.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Error, Result, Verdict};

/// Every question's rubric, by question id (`q1` …), with the SHA-256 of its text.
#[derive(Debug, Clone)]
pub struct Rubric {
    questions: BTreeMap<String, QuestionRubric>,
    sha256: String,
}

impl Rubric {
    /// Parses a rubric; an error names the key that is wrong.
    pub fn parse(text: &str) -> Result<Self> {
        let questions: BTreeMap<String, QuestionRubric> =
            toml::from_str(text).map_err(|e| Error::Rubric(e.to_string()))?;
        for (id, q) in &questions {
            // The views read evidence from the lookback on: state older than that is not read.
            if let Some(days) = q.snapshot_offset_days.filter(|d| *d > q.lookback_days) {
                return Err(Error::Rubric(format!(
                    "[{id}] snapshot_offset_days = {days} is more than lookback_days = {}: the state then lies before the evidence read",
                    q.lookback_days
                )));
            }
            let mut levels: Vec<u8> = q.levels.iter().map(|l| l.level).collect();
            levels.sort_unstable();
            if levels.iter().zip(1..).any(|(l, n)| *l != n) {
                return Err(Error::Rubric(format!(
                    "[{id}] levels {levels:?}: the ladder climbs 1, 2, 3, … without gaps"
                )));
            }
            if q.levels.iter().filter(|l| l.held.is_some()).count() > 1 {
                return Err(Error::Rubric(format!(
                    "[{id}] more than one level is `held` over periods"
                )));
            }
            for l in &q.levels {
                if l.when.is_empty() && l.held.is_none() {
                    return Err(Error::Rubric(format!(
                        "[{id}] level {}: no conditions (`when`) and not `held` over periods",
                        l.level
                    )));
                }
                if let Some(held) = l.held
                    && (l.level < 2 || held.periods < 2 || held.period_days == 0)
                {
                    return Err(Error::Rubric(format!(
                        "[{id}] level {}: `held` needs a level above 1, periods of at least 2 and period_days above 0",
                        l.level
                    )));
                }
            }
            let top = q.levels.iter().map(|l| l.level).max().unwrap_or(0);
            if let Some(a) = q
                .activities
                .iter()
                .find(|a| a.confirmed_at == 0 || a.confirmed_at > top)
            {
                return Err(Error::Rubric(format!(
                    "[[{id}.activities]] {}: confirmed_at = {} is not a level of {id} (1 to {top})",
                    a.uuid, a.confirmed_at
                )));
            }
            for (n, a) in q.actions.iter().enumerate() {
                let at = format!("[[{id}.actions]] #{}", n + 1);
                if let Some(m) = a.fixes.iter().find(|m| {
                    let read = q.conditions().any(|c| c.metric() == m.as_str())
                        || (m.as_str() == PERIODS_HELD && q.held_rung().is_some());
                    !read
                }) {
                    return Err(Error::Rubric(format!(
                        "{at}: fixes '{m}', which no condition of {id} reads"
                    )));
                }
                for (placeholder, column) in [("{subjects}", &a.subject), ("{details}", &a.detail)]
                {
                    if a.action.contains(placeholder) && column.is_none() {
                        return Err(Error::Rubric(format!(
                            "{at}: the action names {placeholder} without its column"
                        )));
                    }
                }
                if a.fixes.is_empty() {
                    return Err(Error::Rubric(format!("{at}: fixes nothing")));
                }
            }
            for c in q.conditions() {
                if let Threshold::Named(name) = &c.threshold
                    && q.threshold(name).is_none()
                {
                    return Err(Error::Rubric(format!(
                        "[{id}] condition '{c}': '{name}' is neither a target nor a parameter of {id}"
                    )));
                }
            }
        }
        // An activity has one verdict in the scorecard: one question samples it.
        let mut sampled: BTreeMap<&str, &str> = BTreeMap::new();
        for (id, q) in &questions {
            for a in &q.activities {
                if let Some(other) = sampled.insert(&a.uuid, id) {
                    return Err(Error::Rubric(format!(
                        "activity {} is sampled by both {other} and {id}: one question evidences an activity",
                        a.uuid
                    )));
                }
            }
        }
        Ok(Self {
            questions,
            sha256: evlake_core::sha256_hex(text.as_bytes()),
        })
    }

    /// The rubric compiled into evlake (`queries/rubric.toml`), parsed once.
    pub fn builtin() -> &'static Self {
        static BUILTIN: std::sync::OnceLock<Rubric> = std::sync::OnceLock::new();
        BUILTIN.get_or_init(|| {
            Self::parse(crate::catalog::RUBRIC).expect("queries/rubric.toml is valid (tested)")
        })
    }

    /// SHA-256 of the rubric's text, which an answer records.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Every question's named parameters, for the views of ad-hoc SQL (a name two questions
    /// share takes the later question's value).
    pub fn parameters(&self) -> BTreeMap<String, i64> {
        self.questions
            .values()
            .flat_map(|q| q.parameters.clone())
            .collect()
    }

    /// Every question's rubric, by id in order.
    pub fn questions(&self) -> impl Iterator<Item = (&str, &QuestionRubric)> {
        self.questions.iter().map(|(id, q)| (id.as_str(), q))
    }

    /// The rubric of `question`.
    pub fn question(&self, question: &str) -> Result<&QuestionRubric> {
        self.questions
            .get(question)
            .ok_or_else(|| Error::UnknownQuestion {
                question: question.to_string(),
                known: self
                    .questions
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// One question: its text, its queries, its window and its ladder.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionRubric {
    /// The question in words.
    pub title: String,
    /// The evidence query, a path under `queries/`.
    pub sql: String,
    /// The metrics query (one row), a path under `queries/`.
    pub metrics_sql: String,
    /// The window before the as-of instant, in days.
    pub window_days: u32,
    /// How far back evidence older than the window is searched, in days.
    pub lookback_days: u32,
    /// For a question about state as it stood earlier (q3's inventory as of 30 days ago):
    /// how many days before the as-of instant that state is read, `$snapshot_at`.
    #[serde(default)]
    pub snapshot_offset_days: Option<u32>,
    /// Named integer parameters of the question's SQL and of the views
    /// (`$correlation_window_minutes`, …).
    #[serde(default)]
    pub parameters: BTreeMap<String, i64>,
    /// The targets the ladder's conditions compare metrics with, by name, each with its
    /// meaning (a condition may also compare with a parameter, by name).
    #[serde(default)]
    pub targets: BTreeMap<String, Target>,
    /// The DSOMM activities this question samples.
    pub activities: Vec<ActivityRef>,
    /// When the verdict is other than `not_evidenced`.
    pub verdict: VerdictRules,
    /// The ladder, level 1 upwards.
    pub levels: Vec<LevelRule>,
    /// The roadmap's steps for this question: what to change when a condition stands in the
    /// way (`crate::scorecard::roadmap`).
    #[serde(default)]
    pub actions: Vec<RoadmapAction>,
}

/// A step of the scorecard's roadmap: what to change when a condition on one of its metrics
/// stands in the way — a level's condition that fails, or a `no_data` or `contradicted`
/// condition that holds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoadmapAction {
    /// The metrics whose conditions it makes right.
    pub fixes: Vec<String>,
    /// What kind of work it is; the kind places it in the 30/60/90-day plan.
    pub kind: ActionKind,
    /// The action in words. `{subjects}` is replaced by the distinct values of `subject` in
    /// the rows it is about, `{count}` by how many those are, `{details}` by the distinct
    /// values of `detail` there, and `{<metric>}` by that metric of the answer.
    pub action: String,
    /// Which evidence rows of the answer it is about: each listed column's value (as text)
    /// is one of those given. With neither this nor `rows_without`, it is about no row.
    #[serde(default)]
    pub rows: BTreeMap<String, Vec<String>>,
    /// Columns those rows leave empty (an alert without an incident).
    #[serde(default)]
    pub rows_without: Vec<String>,
    /// The column of those rows naming what the action changes (a repository, a rule, a
    /// person). An action about rows applies only when some row matches.
    #[serde(default)]
    pub subject: Option<String>,
    /// A column of those rows whose values the action names beside its subjects (the
    /// permissions to revoke).
    #[serde(default)]
    pub detail: Option<String>,
    /// Where each subject's owner comes from.
    #[serde(default)]
    pub owner: Option<OwnerFrom>,
}

/// Where a roadmap subject's owner is read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum OwnerFrom {
    /// The owner q3's inventory gives the asset whose column of this name equals the subject
    /// (`repo`, `workload`, `name`).
    Inventory(String),
    /// A column of the row itself (an engineer's team).
    Column(String),
}

/// The kind of work a roadmap step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Ingest a source the question lacks, or restore a feed that stopped: nothing else can
    /// be measured without it.
    Ingest,
    /// A switch in configuration: a gate made blocking, a policy enforcing, an alert routed,
    /// access revoked.
    Enforce,
    /// Evidence that has to be produced: reviews, owners, training, signatures, inventory
    /// entries.
    Record,
    /// A level that shows only once the level below it has held over the lookback's periods.
    Sustain,
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ActionKind::Ingest => "ingest",
            ActionKind::Enforce => "enforce",
            ActionKind::Record => "record",
            ActionKind::Sustain => "sustain",
        })
    }
}

/// A DSOMM activity, cited by UUID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityRef {
    /// The activity's UUID in the DSOMM model (an opaque string).
    pub uuid: String,
    /// Its name in model 4.3.1, for readers; never joined on.
    pub name: String,
    /// Its DSOMM level in model 4.3.1.
    pub level: u8,
    /// The question's audit-real level from which its answer confirms the activity (the
    /// scorecard's verdict: below it, with data, the answer refutes the claim).
    pub confirmed_at: u8,
}

/// A target of the ladder: a value a metric must reach, and what it means.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The value.
    pub value: f64,
    /// What meeting it means, in words.
    pub meaning: String,
}

/// Conditions for the verdicts; the first that holds wins, in this order.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerdictRules {
    /// The sources hold no data for the window.
    pub no_data: Vec<Condition>,
    /// Evidence shows the control did not hold.
    pub contradicted: Vec<Condition>,
    /// Evidence shows the control held.
    pub evidenced: Vec<Condition>,
}

/// One rung of the ladder.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelRule {
    /// The level, 1–4.
    pub level: u8,
    /// What reaching it means, in words.
    pub meaning: String,
    /// What must hold (with every lower rung) to reach it.
    #[serde(default)]
    pub when: Vec<Condition>,
    /// For a question about state at one instant (q3): the rung is reached only when the
    /// rung below it held at the ends of consecutive periods counted back from the as-of
    /// instant, each answered as the lake knew it at the same known-at instant. The answer's
    /// metric `periods_held` counts them.
    #[serde(default)]
    pub held: Option<HeldOver>,
}

/// Consecutive periods over which a rung's level below must have held (see [`LevelRule::held`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeldOver {
    /// How many periods, the one ending at the as-of instant included.
    pub periods: u32,
    /// Each period's length, in days.
    pub period_days: u32,
}

/// The metric an answer carries for a rung with [`LevelRule::held`]: how many consecutive
/// periods, counted back from the as-of instant, the rung below it held.
pub const PERIODS_HELD: &str = "periods_held";

impl QuestionRubric {
    /// The value of a target or parameter a condition names.
    fn threshold(&self, name: &str) -> Option<f64> {
        self.targets
            .get(name)
            .map(|t| t.value)
            .or_else(|| self.parameters.get(name).map(|v| *v as f64))
    }

    /// Every condition of the verdicts and the ladder.
    pub fn conditions(&self) -> impl Iterator<Item = &Condition> {
        self.levels
            .iter()
            .flat_map(|l| &l.when)
            .chain(&self.verdict.no_data)
            .chain(&self.verdict.contradicted)
            .chain(&self.verdict.evidenced)
    }

    /// The verdict for `metrics`.
    pub fn verdict(&self, metrics: &BTreeMap<String, Value>) -> Verdict {
        let holds = |conditions: &[Condition]| self.all_hold(conditions, metrics);
        if holds(&self.verdict.no_data) {
            Verdict::NoData
        } else if holds(&self.verdict.contradicted) {
            Verdict::Contradicted
        } else if holds(&self.verdict.evidenced) {
            Verdict::Evidenced
        } else {
            Verdict::NotEvidenced
        }
    }

    /// The highest level whose conditions and those of every level below hold. A rung held
    /// over periods also needs [`PERIODS_HELD`] in `metrics` to reach its count.
    pub fn level(&self, metrics: &BTreeMap<String, Value>) -> u8 {
        let mut levels: Vec<&LevelRule> = self.levels.iter().collect();
        levels.sort_by_key(|l| l.level);
        levels
            .iter()
            .take_while(|l| match l.held {
                None => self.all_hold(&l.when, metrics),
                Some(held) => {
                    (l.when.is_empty() || self.all_hold(&l.when, metrics))
                        && metrics
                            .get(PERIODS_HELD)
                            .and_then(Value::as_u64)
                            .is_some_and(|n| n >= u64::from(held.periods))
                }
            })
            .last()
            .map_or(0, |l| l.level)
    }

    /// The rung held over periods, if the ladder has one.
    pub fn held_rung(&self) -> Option<(&LevelRule, HeldOver)> {
        self.levels.iter().find_map(|l| Some((l, l.held?)))
    }

    /// Whether `condition` holds for `metrics` (a missing or null metric fails it).
    pub fn holds(&self, condition: &Condition, metrics: &BTreeMap<String, Value>) -> bool {
        let value = match &condition.threshold {
            Threshold::Number(v) => Some(*v),
            Threshold::Named(name) => self.threshold(name),
        };
        value.is_some_and(|v| condition.holds(metrics, v))
    }

    fn all_hold(&self, conditions: &[Condition], metrics: &BTreeMap<String, Value>) -> bool {
        !conditions.is_empty() && conditions.iter().all(|c| self.holds(c, metrics))
    }
}

/// `<metric> <op> <threshold>`, e.g. `advisory_leaks == 0` or
/// `excepted_share <= max_excepted_share` (a target or parameter of the question).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "String")]
pub struct Condition {
    metric: String,
    op: Op,
    threshold: Threshold,
}

/// What a condition compares with.
#[derive(Debug, Clone, PartialEq)]
enum Threshold {
    Number(f64),
    Named(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

const OPS: [(&str, Op); 6] = [
    ("==", Op::Eq),
    ("!=", Op::Ne),
    (">=", Op::Ge),
    ("<=", Op::Le),
    (">", Op::Gt),
    ("<", Op::Lt),
];

impl TryFrom<String> for Condition {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let parts: Vec<&str> = text.split_whitespace().collect();
        let [metric, op, value] = parts[..] else {
            return Err(format!(
                "condition '{text}': expected '<metric> <op> <number or target>'"
            ));
        };
        let op = OPS
            .iter()
            .find(|(s, _)| *s == op)
            .map(|(_, op)| *op)
            .ok_or_else(|| format!("condition '{text}': unknown operator '{op}'"))?;
        let threshold = match value.parse() {
            Ok(number) => Threshold::Number(number),
            Err(_)
                if value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && value.starts_with(|c: char| c.is_ascii_alphabetic()) =>
            {
                Threshold::Named(value.to_string())
            }
            Err(_) => {
                return Err(format!(
                    "condition '{text}': '{value}' is neither a number nor a name"
                ));
            }
        };
        Ok(Self {
            metric: metric.to_string(),
            op,
            threshold,
        })
    }
}

impl Condition {
    /// Whether the condition holds against `value`; a missing or null metric never does.
    fn holds(&self, metrics: &BTreeMap<String, Value>, value: f64) -> bool {
        let Some(x) = metrics.get(&self.metric).and_then(Value::as_f64) else {
            return false;
        };
        match self.op {
            Op::Eq => x == value,
            Op::Ne => x != value,
            Op::Gt => x > value,
            Op::Ge => x >= value,
            Op::Lt => x < value,
            Op::Le => x <= value,
        }
    }

    /// The metric the condition reads.
    pub fn metric(&self) -> &str {
        &self.metric
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = OPS
            .iter()
            .find(|(_, o)| *o == self.op)
            .map_or("?", |(s, _)| s);
        match &self.threshold {
            Threshold::Number(v) => write!(f, "{} {op} {v}", self.metric),
            Threshold::Named(name) => write!(f, "{} {op} {name}", self.metric),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn metrics(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn conditions_parse_and_compare() {
        let c = Condition::try_from("advisory_leaks == 0".to_string()).unwrap();
        assert!(c.holds(&metrics(&[("advisory_leaks", json!(0))]), 0.0));
        assert!(!c.holds(&metrics(&[("advisory_leaks", json!(2))]), 0.0));
        assert!(!c.holds(&metrics(&[("advisory_leaks", Value::Null)]), 0.0));
        assert!(!c.holds(&metrics(&[]), 0.0));
        let share = Condition::try_from("share >= 0.5".to_string()).unwrap();
        assert!(share.holds(&metrics(&[("share", json!(0.5))]), 0.5));
        assert!(!share.holds(&metrics(&[("share", json!(0.49))]), 0.5));
        assert_eq!(share.to_string(), "share >= 0.5");
        let named = Condition::try_from("share >= min_share".to_string()).unwrap();
        assert_eq!(named.threshold, Threshold::Named("min_share".into()));
        assert_eq!(named.to_string(), "share >= min_share");
        for bad in ["x =~ 1", "x > 1one", "x > a-b", "x >"] {
            assert!(Condition::try_from(bad.to_string()).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_builtin_rubric_cites_dsomm_uuids_and_names_metrics_the_queries_return() {
        let rubric = Rubric::builtin();
        let q1 = rubric.question("q1").unwrap();
        assert!(
            q1.activities
                .iter()
                .any(|a| a.uuid == "ac8730a2-ccc0-465c-9550-d91edae9d5ee")
        );
        for id in ["q1", "q2", "q3", "q4", "q5"] {
            let q = rubric.question(id).unwrap();
            assert!(!q.activities.is_empty(), "{id} cites DSOMM activities");
            let sql = crate::catalog::question_file(&q.metrics_sql).unwrap().text;
            for target in q.targets.values() {
                assert!(
                    !target.meaning.is_empty(),
                    "{id}: every target says what it means"
                );
            }
            for c in q.conditions() {
                assert!(
                    sql.contains(&format!("AS {}", c.metric())),
                    "{id}: {c} is not a metric"
                );
            }
        }
        let err = rubric.question("q9").unwrap_err().to_string();
        assert!(err.contains("q9") && err.contains("q1"), "{err}");
    }

    #[test]
    fn levels_climb_only_while_every_rung_below_holds() {
        let rubric = Rubric::parse(
            r#"
            [q]
            title = "t"
            sql = "a.sql"
            metrics_sql = "b.sql"
            window_days = 7
            lookback_days = 90
            activities = []
            verdict = { no_data = ["n == 0"], contradicted = ["bad > 0"], evidenced = ["good > 0"] }
            targets = { min_cover = { value = 0.9, meaning = "nine in ten" } }
            parameters = { most_bad = 0 }
            levels = [
              { level = 1, meaning = "runs", when = ["runs > 0"] },
              { level = 2, meaning = "covers", when = ["cover >= min_cover"] },
              { level = 3, meaning = "blocks", when = ["good > 0", "bad <= most_bad"] },
            ]
            "#,
        )
        .unwrap();
        let q = rubric.question("q").unwrap();
        let m = metrics(&[
            ("n", json!(5)),
            ("runs", json!(3)),
            ("cover", json!(0.5)),
            ("good", json!(1)),
            ("bad", json!(0)),
        ]);
        assert_eq!(q.level(&m), 1, "level 3 holds but level 2 does not");
        assert_eq!(q.verdict(&m), Verdict::Evidenced);
        let m = metrics(&[("n", json!(0)), ("runs", json!(0))]);
        assert_eq!((q.level(&m), q.verdict(&m)), (0, Verdict::NoData));
        let m = metrics(&[("n", json!(5)), ("runs", json!(3)), ("cover", json!(0.9))]);
        assert_eq!(q.level(&m), 2, "a target is compared by its value");
        let err = Rubric::parse("[q]\ntitle = 1").unwrap_err().to_string();
        assert!(err.contains("title"), "{err}");
        let unknown = r#"
            [q]
            title = "t"
            sql = "a.sql"
            metrics_sql = "b.sql"
            window_days = 7
            lookback_days = 90
            activities = []
            verdict = { no_data = ["n == 0"], contradicted = ["bad > 0"], evidenced = ["good > 0"] }
            levels = [{ level = 1, meaning = "runs", when = ["runs > min_runs"] }]
            "#;
        let err = Rubric::parse(unknown).unwrap_err().to_string();
        assert!(
            err.contains("'min_runs' is neither a target nor a parameter"),
            "{err}"
        );
    }

    #[test]
    fn a_rung_held_over_periods_needs_the_count_of_periods_the_rung_below_held() {
        let text = |held: &str| {
            format!(
                r#"
            [q]
            title = "t"
            sql = "a.sql"
            metrics_sql = "b.sql"
            window_days = 7
            lookback_days = 90
            activities = []
            verdict = {{ no_data = ["n == 0"], contradicted = ["bad > 0"], evidenced = ["n > 0"] }}
            levels = [
              {{ level = 1, meaning = "runs", when = ["n > 0"] }},
              {{ level = 2, meaning = "clean", when = ["bad == 0"] }},
              {{ level = 3, meaning = "kept clean", {held} }},
            ]
            "#
            )
        };
        let rubric = Rubric::parse(&text("held = { periods = 3, period_days = 30 }")).unwrap();
        let q = rubric.question("q").unwrap();
        let (rung, held) = q.held_rung().unwrap();
        assert_eq!(
            (rung.level, held),
            (
                3,
                HeldOver {
                    periods: 3,
                    period_days: 30
                }
            )
        );
        let mut m = metrics(&[("n", json!(5)), ("bad", json!(0))]);
        assert_eq!(
            q.level(&m),
            2,
            "without periods_held the rung is not reached"
        );
        m.insert(PERIODS_HELD.into(), json!(2));
        assert_eq!(q.level(&m), 2, "two periods of three");
        m.insert(PERIODS_HELD.into(), json!(3));
        assert_eq!(q.level(&m), 3);
        for (bad, says) in [
            (
                "held = { periods = 1, period_days = 30 }",
                "periods of at least 2",
            ),
            (
                "held = { periods = 3, period_days = 0 }",
                "period_days above 0",
            ),
            ("held = { periods = 3, days = 30 }", "unknown field `days`"),
            ("when = []", "no conditions"),
            (
                r#"when = ["n > 0"] }, { level = 5, meaning = "x", when = ["n > 0"]"#,
                "without gaps",
            ),
            (
                r#"held = { periods = 3, period_days = 30 } }, { level = 4, meaning = "x", held = { periods = 2, period_days = 30 }"#,
                "more than one level",
            ),
        ] {
            let err = Rubric::parse(&text(bad)).unwrap_err().to_string();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn q2_climbs_from_alerts_to_tracked_remediation_within_target() {
        let q2 = Rubric::builtin().question("q2").unwrap();
        let mut m = metrics(&[
            ("sources_unusable", json!(0)),
            ("alerts", json!(40)),
            ("alerts_with_incident", json!(0)),
            ("remediated", json!(0)),
            ("routed_share", json!(0.0)),
            ("p90_minutes_to_remediate", Value::Null),
            ("periods_tracked", json!(0)),
            ("max_period_p90_minutes_to_remediate", Value::Null),
        ]);
        // Alerts fire, none reaches anyone: audit-only detection.
        assert_eq!((q2.verdict(&m), q2.level(&m)), (Verdict::Contradicted, 1));
        m.insert("alerts_with_incident".into(), json!(25));
        m.insert("routed_share".into(), json!(0.95));
        m.insert("remediated".into(), json!(20));
        m.insert("p90_minutes_to_remediate".into(), json!(2000.0));
        assert_eq!(
            (q2.verdict(&m), q2.level(&m)),
            (Verdict::Evidenced, 2),
            "routed, but remediated past the target"
        );
        m.insert("p90_minutes_to_remediate".into(), json!(600.0));
        m.insert("routed_share".into(), json!(0.6));
        assert_eq!(
            q2.level(&m),
            2,
            "within the target, but too few alerts routed"
        );
        m.insert("routed_share".into(), json!(0.95));
        m.insert("periods_tracked".into(), json!(3));
        m.insert("max_period_p90_minutes_to_remediate".into(), json!(2880.0));
        assert_eq!(
            q2.level(&m),
            3,
            "tracked, but one period's p90 misses a day"
        );
        m.insert("max_period_p90_minutes_to_remediate".into(), json!(600.0));
        assert_eq!(q2.level(&m), 4);
        m.insert("periods_tracked".into(), json!(2));
        assert_eq!(q2.level(&m), 3, "two periods are not a trend");
        m.insert("sources_unusable".into(), json!(1));
        assert_eq!(q2.verdict(&m), Verdict::NoData);
    }

    #[test]
    fn q1_needs_a_block_in_the_window_overrides_within_target_and_three_tracked_periods() {
        let q1 = Rubric::builtin().question("q1").unwrap();
        let mut m = metrics(&[
            ("sources_unusable", json!(0)),
            ("sast_runs", json!(30)),
            ("sast_coverage", json!(1.0)),
            ("blocked_by_sast", json!(0)),
            ("blocked_by_sast_lookback", json!(2)),
            ("advisory_leaks", json!(0)),
            ("excepted_late", json!(0)),
            ("excepted_share", json!(0.1)),
            ("suppressed_blocking_findings", json!(0)),
            ("exceptions_without_expiry", json!(0)),
            ("exceptions_without_owner", json!(0)),
            ("periods_tracked", json!(3)),
            ("min_period_sast_coverage", json!(1.0)),
            ("max_period_advisory_leaks", json!(0)),
            ("max_period_excepted_share", json!(0.1)),
        ]);
        assert_eq!(
            (q1.verdict(&m), q1.level(&m)),
            (Verdict::NotEvidenced, 2),
            "the last block lies before the window; one deploy in ten went out excepted"
        );
        m.insert("blocked_by_sast".into(), json!(1));
        m.insert("excepted_share".into(), json!(0.05));
        assert_eq!((q1.verdict(&m), q1.level(&m)), (Verdict::Evidenced, 3));
        m.insert("max_period_excepted_share".into(), json!(0.0));
        assert_eq!(q1.level(&m), 4);
        m.insert("min_period_sast_coverage".into(), json!(0.9));
        assert_eq!(q1.level(&m), 3, "one period's coverage missed its target");
        m.insert("min_period_sast_coverage".into(), json!(1.0));
        m.insert("suppressed_blocking_findings".into(), json!(1));
        assert_eq!(
            q1.level(&m),
            2,
            "a suppressed blocking finding is an override"
        );
        m.insert("advisory_leaks".into(), json!(1));
        assert_eq!(q1.verdict(&m), Verdict::Contradicted);
        m.insert("sources_unusable".into(), json!(1));
        assert_eq!(q1.verdict(&m), Verdict::NoData);
    }

    #[test]
    fn an_activity_sampled_twice_a_confirming_level_off_the_ladder_and_an_action_fixing_nothing_read_are_refused()
     {
        let rubric = crate::catalog::RUBRIC;
        let twice = rubric.replacen(
            "uuid = \"8a442d8e-0eb1-4793-a513-571aef982edd\"",
            "uuid = \"6c05c837-8c99-46e2-828b-7c903e27dba4\"",
            1,
        );
        let err = Rubric::parse(&twice).unwrap_err().to_string();
        assert!(
            err.contains("6c05c837-8c99-46e2-828b-7c903e27dba4 is sampled by both q1 and q2"),
            "{err}"
        );
        let off = rubric.replacen("confirmed_at = 4", "confirmed_at = 5", 1);
        let err = Rubric::parse(&off).unwrap_err().to_string();
        assert!(
            err.contains("confirmed_at = 5 is not a level of q2 (1 to 4)"),
            "{err}"
        );
        let nothing = rubric.replacen(
            "fixes = [\"suppressed_blocking_findings\"]",
            "fixes = [\"no_such_metric\"]",
            1,
        );
        let err = Rubric::parse(&nothing).unwrap_err().to_string();
        assert!(
            err.contains(
                "[[q1.actions]] #4: fixes 'no_such_metric', which no condition of q1 reads"
            ),
            "{err}"
        );
    }

    #[test]
    fn a_snapshot_before_the_lookback_is_refused() {
        let text = crate::catalog::RUBRIC
            .replace("snapshot_offset_days = 30", "snapshot_offset_days = 91");
        let err = Rubric::parse(&text).unwrap_err().to_string();
        assert!(
            err.contains("[q3] snapshot_offset_days = 91 is more than lookback_days = 90"),
            "{err}"
        );
    }
}
