//! The scorecard (DESIGN §5): the teams' DSOMM self-assessment as the DSOMM app's files
//! record it, beside the audit-real score the questions' answers give, per dimension,
//! sub-dimension and sampled activity, as of any instant.
//!
//! - **Claimed**: per team and sub-dimension, the highest level L such that every activity
//!   of level ≤ L is at the 100 % state (evlake's derivation; [`derive::achieved_level`]),
//!   with the app's own numbers beside it — each sector's heatmap value and the report
//!   page's completion.
//! - **Evidenced**: every activity the rubric cites gets a verdict from its question's
//!   answer as of the same instant: `confirmed` when the answer's level reaches the rubric's
//!   `confirmed_at`, `refuted` when the answer is `contradicted` or falls short with data,
//!   `unverified` when its sources have no data or no question samples it. The same
//!   derivation then runs with each refuted activity's claim set to 0 %.

pub mod derive;
pub mod export;
mod render;
pub mod roadmap;
pub mod series;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::bound::{ParamValue, substitute};
use crate::catalog::SCORECARD;
use crate::render::batches_to_rows;
use crate::{Answer, QuerySession, Result, Rubric, Verdict};

/// How many evidence rows of an answer a sampled activity cites (the answer has them all):
/// those in the way of the answer's next rung first.
pub const CITED_ROWS: usize = 5;

/// What the evidence says of one activity a team claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityVerdict {
    /// The question's answer reaches the level that evidences the activity.
    Confirmed,
    /// The answer contradicts it, or falls short of that level with data.
    Refuted,
    /// No question samples the activity, or its sources have no data: the claim stands,
    /// marked.
    Unverified,
}

impl std::fmt::Display for ActivityVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ActivityVerdict::Confirmed => "confirmed",
            ActivityVerdict::Refuted => "refuted",
            ActivityVerdict::Unverified => "unverified",
        })
    }
}

/// The scorecard of every team as of one instant.
#[derive(Debug, Clone, Serialize)]
pub struct Scorecard {
    /// The valid-time instant.
    pub as_of: DateTime<Utc>,
    /// The transaction-time instant: only what the lake held then was read.
    pub known_at: DateTime<Utc>,
    /// The DSOMM model version the assessment was read against (none: no model imported).
    pub model_version: Option<String>,
    /// How the claimed and evidenced levels are derived, in words.
    pub derivation: &'static str,
    /// What each team is measured on: the organisation's answers (per-team scopes are not
    /// built yet, so every team is measured against the whole organisation's evidence).
    pub scope: &'static str,
    /// The answers the verdicts come from.
    pub answers: Vec<AnswerCited>,
    /// Every team's scorecard, by name.
    pub teams: Vec<TeamScorecard>,
    /// The steps that close the gap, grouped into 30, 60 and 90 days ([`roadmap`]).
    pub roadmap: Vec<roadmap::RoadmapItem>,
    /// What the assessment holds that the model or the configuration does not know.
    pub unknown: Unknowns,
    /// The statements that read the assessment, every parameter a literal (DuckDB runs them
    /// unchanged); the answers carry their own.
    pub sql: String,
}

/// One question's answer as the scorecard used it.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerCited {
    /// `q1` … `q5`.
    pub question: String,
    /// The question in words.
    pub title: String,
    /// The answer's verdict.
    pub verdict: Verdict,
    /// Its audit-real level.
    pub level: u8,
    /// How many evidence rows it has.
    pub evidence_rows: usize,
}

/// One team's scorecard.
#[derive(Debug, Clone, Serialize)]
pub struct TeamScorecard {
    /// The team's name as the assessment writes it.
    pub team: String,
    /// Whether the app's configured teams list it (none: no team list configured).
    pub known_team: Option<bool>,
    /// Per dimension, in the model's order.
    pub dimensions: Vec<DimensionScore>,
    /// The DSOMM report page's completion per level over the whole model, for this team.
    pub report: Vec<LevelCompletion>,
    /// Every claim of an activity the model has, with its verdict, for the export.
    #[serde(skip)]
    pub(crate) claims: Vec<export::ExportedClaim>,
}

/// The DSOMM report page's completion of one level: the activities of that level at the
/// 100 % state, and `Math.round(completed / total · 100)` (0 for a level with none).
#[derive(Debug, Clone, Serialize)]
pub struct LevelCompletion {
    /// The level.
    pub level: u8,
    /// Its activities in the model.
    pub total: usize,
    /// Those the team claims at the 100 % state.
    pub completed: usize,
    /// The completion percent.
    pub percent: u32,
}

/// A dimension: its sub-dimensions rolled up.
#[derive(Debug, Clone, Serialize)]
pub struct DimensionScore {
    /// The dimension's name.
    pub dimension: String,
    /// The mean of its sub-dimensions' claimed levels.
    pub claimed_mean: f64,
    /// The lowest of them.
    pub claimed_min: u8,
    /// The mean of its sub-dimensions' evidenced levels.
    pub evidenced_mean: f64,
    /// The lowest of them.
    pub evidenced_min: u8,
    /// Per sub-dimension, in the model's order.
    pub sub_dimensions: Vec<SubDimensionScore>,
}

/// A sub-dimension of one team.
#[derive(Debug, Clone, Serialize)]
pub struct SubDimensionScore {
    /// The sub-dimension's name.
    pub sub_dimension: String,
    /// The claimed level (evlake's derivation).
    pub claimed: u8,
    /// The level after refuted claims are set to 0 %.
    pub evidenced: u8,
    /// `evidenced - claimed`.
    pub delta: i16,
    /// Activities claimed above 0 % that no answer verified (they keep their claim).
    pub unverified_claims: usize,
    /// The DSOMM app's numbers per level.
    pub sectors: Vec<Sector>,
    /// The activities the questions sample, with their verdicts.
    pub sampled: Vec<SampledActivity>,
}

/// One sector (the sub-dimension at one level) as the DSOMM app shows it for the team.
#[derive(Debug, Clone, Serialize)]
pub struct Sector {
    /// The level.
    pub level: u8,
    /// How many activities it has.
    pub activities: usize,
    /// The heatmap value of the claims (none: a sector with no activities).
    pub claimed: Option<f64>,
    /// The heatmap value after refuted claims are set to 0 %.
    pub evidenced: Option<f64>,
    /// Activities claimed at the 100 % state.
    pub completed: usize,
    /// The report page's completion percent of the claims.
    pub completion_percent: Option<u32>,
}

/// An activity a question samples, for one team.
#[derive(Debug, Clone, Serialize)]
pub struct SampledActivity {
    /// Its UUID.
    pub uuid: String,
    /// Its name in the model.
    pub name: String,
    /// Its DSOMM level in the model.
    pub level: u8,
    /// The state claimed (none: never started).
    pub claimed_state: Option<String>,
    /// Its score, 0–1.
    pub claimed_pct: f64,
    /// When the team entered that state (none when the file keeps no date).
    pub entered_at: Option<DateTime<Utc>>,
    /// Whether `entered_at` is written in the file (false: the legacy flags, counted from
    /// the import that first showed them).
    pub dated: bool,
    /// The verdict.
    pub verdict: ActivityVerdict,
    /// Why, in words.
    pub reason: String,
    /// The questions that sample it, with what they found.
    pub questions: Vec<QuestionCite>,
    /// Evidence rows of those answers, with their provenance.
    pub evidence: Vec<EvidenceCite>,
    /// The claim's own record in the lake.
    pub claim_record: Option<EvidenceCite>,
    /// The evidence entries the team recorded for it in the DSOMM app (`team-evidence.yaml`).
    pub team_evidence: Vec<TeamEvidence>,
    /// The model's framework references (SAMM, ISO 27001, …).
    pub references: Value,
}

/// An evidence entry a team recorded in the DSOMM app, shown beside the activity (evidence
/// never sets progress).
#[derive(Debug, Clone, Serialize)]
pub struct TeamEvidence {
    /// The activity.
    #[serde(skip)]
    pub activity_uuid: String,
    /// The teams it names.
    #[serde(skip)]
    pub teams: Vec<String>,
    /// Its title.
    pub title: Option<String>,
    /// When it was recorded.
    pub recorded_at: Option<DateTime<Utc>>,
    /// Who reviewed it.
    pub reviewer: Option<String>,
    /// Its record in the lake.
    pub record: EvidenceCite,
}

/// One question's finding on an activity.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionCite {
    /// The question.
    pub question: String,
    /// Its verdict.
    pub verdict: Verdict,
    /// Its level.
    pub level: u8,
    /// The level that confirms the activity.
    pub confirmed_at: u8,
}

/// A lake row cited as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceCite {
    /// The question whose answer holds it, or `dsomm` for the claim's own record.
    pub question: String,
    /// Its `source_id`.
    pub source_id: String,
    /// Its `record_sha256`.
    pub record_sha256: String,
}

/// What the assessment names that the model or the app's configuration lacks: reported,
/// never fatal.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Unknowns {
    /// States whose title the progress definition lacks (the app ignores them), as
    /// `(team, activity, title)`.
    pub titles: Vec<(String, String, String)>,
    /// Teams the configured team list lacks.
    pub teams: Vec<String>,
    /// Activity UUIDs the model lacks.
    pub activities: Vec<String>,
}

/// How the levels are derived, as the scorecard states it.
const DERIVATION: &str = "claimed: per sub-dimension, the highest level L such that every \
    activity of level <= L is at the 100 % state (evlake's derivation; the DSOMM app's heatmap \
    and completion numbers are beside it); evidenced: the same after every refuted activity's \
    claim is set to 0 % (confirmed and unverified claims stand)";

const SCOPE: &str = "organisation: every team is measured against the whole organisation's answers";

struct ModelActivity {
    uuid: String,
    dimension: String,
    sub_dimension: String,
    name: String,
    level: u8,
    references: Value,
}

struct Claim {
    state: String,
    pct: f64,
    entered_at: Option<DateTime<Utc>>,
    dated: bool,
    record: EvidenceCite,
}

impl QuerySession {
    /// The scorecard as of `as_of`, read as the lake knew it at `known_at` (either defaults
    /// to when the session opened), for `team` or every team.
    pub async fn scorecard(
        &self,
        as_of: Option<DateTime<Utc>>,
        known_at: Option<DateTime<Utc>>,
        team: Option<&str>,
    ) -> Result<Scorecard> {
        let mut answers = Vec::new();
        for (question, _) in Rubric::builtin().questions() {
            answers.push(self.ask(question, as_of, known_at).await?);
        }
        self.scorecard_of(answers, team).await
    }

    /// The scorecard from `answers` already given, one per question of the rubric, all as of
    /// one instant and known at one instant (those of the first).
    pub async fn scorecard_of(
        &self,
        answers: Vec<Answer>,
        team: Option<&str>,
    ) -> Result<Scorecard> {
        let Some((as_of, known_at)) = answers.first().map(|a| (a.as_of, a.known_at)) else {
            return Err(crate::Error::Rubric(
                "the rubric has no question to score with".into(),
            ));
        };
        if let Some(odd) = answers
            .iter()
            .find(|a| (a.as_of, a.known_at) != (as_of, known_at))
        {
            return Err(crate::Error::Question {
                question: odd.question.clone(),
                reason: "a scorecard's answers are all as of one instant and known at one instant"
                    .into(),
            });
        }
        let parameters = BTreeMap::from([
            ("as_of".to_string(), ParamValue::Instant(as_of)),
            ("known_at".to_string(), ParamValue::Instant(known_at)),
        ]);
        let params = datafusion::common::ParamValues::Map(
            parameters
                .iter()
                .map(|(k, v)| (k.clone(), v.scalar().into()))
                .collect(),
        );
        let [evidence_sql, model_sql, states_sql] = SCORECARD else {
            unreachable!("the scorecard reads the teams' evidence, the model and the states")
        };
        let evidence = batches_to_rows(&self.query(evidence_sql.text, &params).await?)?;
        let model = batches_to_rows(&self.query(model_sql.text, &params).await?)?;
        let states = batches_to_rows(&self.query(states_sql.text, &params).await?)?;
        let sql = SCORECARD
            .iter()
            .map(|f| {
                format!(
                    "-- queries/{}\n{}",
                    f.path,
                    substitute(f.text, &parameters).trim()
                )
            })
            .collect::<Vec<_>>()
            .join(";\n\n");
        Ok(assemble(
            as_of,
            known_at,
            Rows {
                evidence: &evidence,
                model: &model,
                states: &states,
            },
            answers,
            team,
            sql,
        ))
    }
}

fn text(row: &Map<String, Value>, key: &str) -> String {
    row.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn instant(row: &Map<String, Value>, key: &str) -> Option<DateTime<Utc>> {
    let t = row.get(key)?.as_str()?;
    DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|t| t.with_timezone(&Utc))
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}

/// What the scorecard's statements returned.
struct Rows<'a> {
    evidence: &'a [Map<String, Value>],
    model: &'a [Map<String, Value>],
    states: &'a [Map<String, Value>],
}

fn assemble(
    as_of: DateTime<Utc>,
    known_at: DateTime<Utc>,
    rows: Rows<'_>,
    answers: Vec<Answer>,
    only_team: Option<&str>,
    sql: String,
) -> Scorecard {
    let (model_rows, state_rows) = (rows.model, rows.states);
    let team_evidence: Vec<TeamEvidence> = rows
        .evidence
        .iter()
        .map(|r| TeamEvidence {
            activity_uuid: text(r, "activity_uuid"),
            teams: r
                .get("teams")
                .and_then(Value::as_str)
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or_default(),
            title: r.get("title").and_then(Value::as_str).map(str::to_string),
            recorded_at: instant(r, "recorded_at"),
            reviewer: r
                .get("reviewer")
                .and_then(Value::as_str)
                .map(str::to_string),
            record: EvidenceCite {
                question: "dsomm".into(),
                source_id: text(r, "source_id"),
                record_sha256: text(r, "record_sha256"),
            },
        })
        .collect();
    let model: Vec<ModelActivity> = model_rows
        .iter()
        .map(|r| ModelActivity {
            uuid: text(r, "activity_uuid"),
            dimension: text(r, "dimension"),
            sub_dimension: text(r, "sub_dimension"),
            name: text(r, "activity"),
            level: r.get("level").and_then(Value::as_u64).unwrap_or(0) as u8,
            references: r
                .get("references")
                .and_then(Value::as_str)
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or(Value::Null),
        })
        .collect();
    let model_version = model_rows.first().map(|r| text(r, "model_version"));
    let known_uuids: BTreeSet<&str> = model.iter().map(|a| a.uuid.as_str()).collect();

    let mut unknown = Unknowns::default();
    let mut known_team: BTreeMap<String, Option<bool>> = BTreeMap::new();
    let mut claims: BTreeMap<(String, String), Claim> = BTreeMap::new();
    for r in state_rows {
        let (team, uuid, state) = (
            text(r, "team"),
            text(r, "activity_uuid"),
            text(r, "progress_state"),
        );
        known_team.insert(team.clone(), r.get("known_team").and_then(Value::as_bool));
        if !known_uuids.contains(uuid.as_str()) && !unknown.activities.contains(&uuid) {
            unknown.activities.push(uuid.clone());
        }
        let Some(pct) = r.get("progress_pct").and_then(Value::as_f64) else {
            unknown.titles.push((team, uuid, state));
            continue;
        };
        let claim = Claim {
            state,
            pct,
            entered_at: instant(r, "entered_at"),
            dated: r.get("dated").and_then(Value::as_bool).unwrap_or(true),
            record: EvidenceCite {
                question: "dsomm".into(),
                source_id: text(r, "source_id"),
                record_sha256: text(r, "record_sha256"),
            },
        };
        // The highest-scored state held is the current one (rows come by score).
        let key = (team, uuid);
        if claims.get(&key).is_none_or(|c| claim.pct >= c.pct) {
            claims.insert(key, claim);
        }
    }
    unknown.teams = known_team
        .iter()
        .filter(|(_, k)| **k == Some(false))
        .map(|(t, _)| t.clone())
        .collect();

    let by_uuid = answer_findings(&answers);
    let verdicts: BTreeMap<String, (ActivityVerdict, String)> = model
        .iter()
        .map(|a| {
            let found = by_uuid.get(&a.uuid).map(Vec::as_slice).unwrap_or_default();
            (a.uuid.clone(), verdict(found))
        })
        .collect();
    let selected: Vec<(&String, &Option<bool>)> = known_team
        .iter()
        .filter(|(t, _)| only_team.is_none_or(|only| only == t.as_str()))
        .collect();
    let teams = selected
        .iter()
        .map(|(team, known)| {
            team_scorecard(
                team,
                **known,
                Assessed {
                    model: &model,
                    claims: &claims,
                    team_evidence: &team_evidence,
                },
                &by_uuid,
                &verdicts,
            )
        })
        .collect();
    let levels = TeamLevels {
        model: &model,
        claims: &claims,
        teams: selected.iter().map(|(t, _)| (*t).clone()).collect(),
        refuted: verdicts
            .iter()
            .filter(|(_, (v, _))| *v == ActivityVerdict::Refuted)
            .map(|(u, _)| u.clone())
            .collect(),
    };
    let roadmap = roadmap::plan(&answers, Rubric::builtin(), &levels);
    Scorecard {
        as_of,
        known_at,
        model_version,
        derivation: DERIVATION,
        scope: SCOPE,
        answers: answers
            .iter()
            .map(|a| AnswerCited {
                question: a.question.clone(),
                title: a.title.clone(),
                verdict: a.verdict,
                level: a.level,
                evidence_rows: a.evidence.len(),
            })
            .collect(),
        teams,
        roadmap,
        unknown,
        sql,
    }
}

/// The teams' evidenced levels with any set of activities refuted, for the roadmap.
struct TeamLevels<'a> {
    model: &'a [ModelActivity],
    claims: &'a BTreeMap<(String, String), Claim>,
    teams: Vec<String>,
    refuted: BTreeSet<String>,
}

impl roadmap::Levels for TeamLevels<'_> {
    fn refuted(&self) -> &BTreeSet<String> {
        &self.refuted
    }

    fn teams(&self) -> Vec<String> {
        self.teams.clone()
    }

    fn placed(&self, uuid: &str) -> Option<(String, String, String)> {
        let a = self.model.iter().find(|a| a.uuid == uuid)?;
        Some((a.dimension.clone(), a.sub_dimension.clone(), a.name.clone()))
    }

    fn evidenced(&self, team: &str, refuted: &BTreeSet<String>) -> BTreeMap<String, u8> {
        let mut by_sub: BTreeMap<String, Vec<(u8, f64)>> = BTreeMap::new();
        for a in self.model {
            let pct = if refuted.contains(&a.uuid) {
                0.0
            } else {
                self.claims
                    .get(&(team.to_string(), a.uuid.clone()))
                    .map_or(0.0, |c| c.pct)
            };
            by_sub
                .entry(a.sub_dimension.clone())
                .or_default()
                .push((a.level, pct));
        }
        by_sub
            .into_iter()
            .map(|(sub, scores)| (sub, derive::achieved_level(&scores)))
            .collect()
    }
}

/// What the answers say of each activity the rubric cites: `(cite, evidence)` per question.
fn answer_findings(answers: &[Answer]) -> BTreeMap<String, Vec<(QuestionCite, Vec<EvidenceCite>)>> {
    let mut by_uuid: BTreeMap<String, Vec<(QuestionCite, Vec<EvidenceCite>)>> = BTreeMap::new();
    for a in answers {
        // The rows in the way of the answer's next rung (the leaks, the unrouted alerts)
        // first, then the answer's first rows.
        let in_the_way = Rubric::builtin()
            .question(&a.question)
            .map(|spec| roadmap::rows_in_the_way(spec, a))
            .unwrap_or_default();
        let evidence: Vec<EvidenceCite> = in_the_way
            .into_iter()
            .chain(&a.evidence)
            .filter_map(|row| {
                Some(EvidenceCite {
                    question: a.question.clone(),
                    source_id: row.get("source_id")?.as_str()?.to_string(),
                    record_sha256: row.get("record_sha256")?.as_str()?.to_string(),
                })
            })
            .fold(Vec::new(), |mut cited: Vec<EvidenceCite>, cite| {
                if cited.len() < CITED_ROWS && !cited.contains(&cite) {
                    cited.push(cite);
                }
                cited
            });
        for activity in &a.activities {
            by_uuid.entry(activity.uuid.clone()).or_default().push((
                QuestionCite {
                    question: a.question.clone(),
                    verdict: a.verdict,
                    level: a.level,
                    confirmed_at: activity.confirmed_at,
                },
                evidence.clone(),
            ));
        }
    }
    by_uuid
}

/// The verdict of the questions on one activity, and why.
fn verdict(findings: &[(QuestionCite, Vec<EvidenceCite>)]) -> (ActivityVerdict, String) {
    if findings.is_empty() {
        return (ActivityVerdict::Unverified, "no question samples it".into());
    }
    let mut reasons = Vec::new();
    let mut refuted = false;
    let mut unverified = false;
    for (q, _) in findings {
        let (id, level, at) = (&q.question, q.level, q.confirmed_at);
        match q.verdict {
            Verdict::NoData => {
                unverified = true;
                reasons.push(format!("{id}: no data"));
            }
            Verdict::Contradicted => {
                refuted = true;
                reasons.push(format!("{id}: contradicted (level {level})"));
            }
            _ if level < at => {
                refuted = true;
                reasons.push(format!("{id}: level {level} < {at}"));
            }
            _ => reasons.push(format!("{id}: level {level} >= {at}")),
        }
    }
    let verdict = if refuted {
        ActivityVerdict::Refuted
    } else if unverified {
        ActivityVerdict::Unverified
    } else {
        ActivityVerdict::Confirmed
    };
    (verdict, reasons.join("; "))
}

/// What the teams assessed: the model, their claims and the evidence entries they recorded.
struct Assessed<'a> {
    model: &'a [ModelActivity],
    claims: &'a BTreeMap<(String, String), Claim>,
    team_evidence: &'a [TeamEvidence],
}

fn team_scorecard(
    team: &str,
    known: Option<bool>,
    assessed: Assessed<'_>,
    findings: &BTreeMap<String, Vec<(QuestionCite, Vec<EvidenceCite>)>>,
    verdicts: &BTreeMap<String, (ActivityVerdict, String)>,
) -> TeamScorecard {
    let Assessed {
        model,
        claims,
        team_evidence,
    } = assessed;
    let claim_of = |uuid: &str| claims.get(&(team.to_string(), uuid.to_string()));
    let mut dimensions: Vec<DimensionScore> = Vec::new();
    let mut subs: Vec<(&str, &str)> = Vec::new();
    for a in model {
        if !subs.contains(&(a.dimension.as_str(), a.sub_dimension.as_str())) {
            subs.push((&a.dimension, &a.sub_dimension));
        }
    }
    for (dimension, sub_dimension) in subs {
        let activities: Vec<&ModelActivity> = model
            .iter()
            .filter(|a| a.dimension == dimension && a.sub_dimension == sub_dimension)
            .collect();
        let mut claimed = Vec::new();
        let mut evidenced = Vec::new();
        let mut sampled = Vec::new();
        let mut unverified_claims = 0;
        for a in &activities {
            let claim = claim_of(&a.uuid);
            let pct = claim.map_or(0.0, |c| c.pct);
            let found = findings.get(&a.uuid).map(Vec::as_slice).unwrap_or_default();
            let (verdict, reason) = verdicts[&a.uuid].clone();
            claimed.push((a.level, pct));
            evidenced.push((
                a.level,
                if verdict == ActivityVerdict::Refuted {
                    0.0
                } else {
                    pct
                },
            ));
            if pct > 0.0 && verdict == ActivityVerdict::Unverified {
                unverified_claims += 1;
            }
            if !found.is_empty() {
                sampled.push(SampledActivity {
                    uuid: a.uuid.clone(),
                    name: a.name.clone(),
                    level: a.level,
                    claimed_state: claim.map(|c| c.state.clone()),
                    claimed_pct: pct,
                    entered_at: claim.and_then(|c| c.entered_at),
                    dated: claim.is_none_or(|c| c.dated),
                    verdict,
                    reason,
                    questions: found.iter().map(|(q, _)| q.clone()).collect(),
                    evidence: found.iter().flat_map(|(_, e)| e.clone()).collect(),
                    claim_record: claim.map(|c| c.record.clone()),
                    team_evidence: team_evidence
                        .iter()
                        .filter(|e| e.activity_uuid == a.uuid && e.teams.iter().any(|t| t == team))
                        .cloned()
                        .collect(),
                    references: a.references.clone(),
                });
            }
        }
        let max_level = model.iter().map(|a| a.level).max().unwrap_or(0);
        let sectors = (1..=max_level)
            .map(|level| {
                let at = |scores: &[(u8, f64)]| -> Vec<f64> {
                    scores
                        .iter()
                        .filter(|(l, _)| *l == level)
                        .map(|(_, s)| *s)
                        .collect()
                };
                let (c, e) = (at(&claimed), at(&evidenced));
                let (completed, completion_percent) = derive::completion(&c);
                Sector {
                    level,
                    activities: c.len(),
                    claimed: derive::sector_value(&c),
                    evidenced: derive::sector_value(&e),
                    completed,
                    completion_percent,
                }
            })
            .collect();
        let (claimed_level, evidenced_level) = (
            derive::achieved_level(&claimed),
            derive::achieved_level(&evidenced),
        );
        let score = SubDimensionScore {
            sub_dimension: sub_dimension.to_string(),
            claimed: claimed_level,
            evidenced: evidenced_level,
            delta: i16::from(evidenced_level) - i16::from(claimed_level),
            unverified_claims,
            sectors,
            sampled,
        };
        match dimensions.iter_mut().find(|d| d.dimension == dimension) {
            Some(d) => d.sub_dimensions.push(score),
            None => dimensions.push(DimensionScore {
                dimension: dimension.to_string(),
                claimed_mean: 0.0,
                claimed_min: 0,
                evidenced_mean: 0.0,
                evidenced_min: 0,
                sub_dimensions: vec![score],
            }),
        }
    }
    for d in &mut dimensions {
        let n = d.sub_dimensions.len() as f64;
        let claimed = d.sub_dimensions.iter().map(|s| s.claimed);
        let evidenced = d.sub_dimensions.iter().map(|s| s.evidenced);
        d.claimed_mean = claimed.clone().map(f64::from).sum::<f64>() / n;
        d.claimed_min = claimed.min().unwrap_or(0);
        d.evidenced_mean = evidenced.clone().map(f64::from).sum::<f64>() / n;
        d.evidenced_min = evidenced.min().unwrap_or(0);
    }
    let max_level = model.iter().map(|a| a.level).max().unwrap_or(0);
    let report = (1..=max_level)
        .map(|level| {
            let scores: Vec<f64> = model
                .iter()
                .filter(|a| a.level == level)
                .map(|a| claim_of(&a.uuid).map_or(0.0, |c| c.pct))
                .collect();
            let (completed, percent) = derive::completion(&scores);
            LevelCompletion {
                level,
                total: scores.len(),
                completed,
                percent: percent.unwrap_or(0),
            }
        })
        .collect();
    let claims = model
        .iter()
        .filter_map(|a| {
            let c = claim_of(&a.uuid).filter(|c| c.pct > 0.0)?;
            Some(export::ExportedClaim {
                uuid: a.uuid.clone(),
                activity: a.name.clone(),
                state: c.state.clone(),
                entered_at: c.entered_at,
                verdict: verdicts[&a.uuid].0,
            })
        })
        .collect();
    TeamScorecard {
        team: team.to_string(),
        known_team: known,
        dimensions,
        report,
        claims,
    }
}
