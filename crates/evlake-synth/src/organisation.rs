//! A synthetic organisation's evidence in the sources' real formats —
//! GitHub Actions REST bodies (workflow runs, jobs, deployments, deployment statuses), a
//! SARIF log per SAST scan, an exceptions register, and (in [`runtime`]) Falco alerts with
//! the PagerDuty incidents and Jira issues they led to — with the `ingest.toml` that reads
//! them and `truth.json`, the answer the generator planted. Deterministic for a seed.
//!
//! The organisation: repositories `acme/svc-NNNN`, each pushing to `main` a few times a day
//! on working days; every push runs a `ci` workflow with `build`, a SAST job (`semgrep` or
//! `CodeQL analyze`) and `deploy-production`. A repository's SAST gate either blocks (a
//! critical finding fails the job, and the deploy job that needs it is skipped) or is
//! advisory (`continue-on-error`, or the scanner is set never to fail): the deploy goes out.
//! Some advisory repositories hold an exception in the register: owned, with an expiry
//! (which covers the deploys before it), or without one (which covers nothing). A few
//! deploys fail on their own. That is the `advisory` [`Maturity`]; the others shape the same
//! organisation to another rung: no SAST job at all (`none`), SAST on about half the pushes
//! (`scanning`), every gate blocking and no exceptions (`enforced`).

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Duration, NaiveDate, SecondsFormat, Utc, Weekday};
use serde::Serialize;
use serde_json::{Value, json};

use crate::access::{self, AccessTruth};
use crate::inventory::{self, InventoryTruth};
use crate::runtime::{self, RuntimeTruth};
use crate::supply_chain::{self, Release, SupplyChainTruth};
use crate::{Maturity, Rng, ts as rfc3339};

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// The directory to write into (created if missing).
    pub out: PathBuf,
    /// How many services (one repository each).
    pub services: u32,
    /// How many days of history, ending with `end`.
    pub days: u32,
    /// The last day of history.
    pub end: NaiveDate,
    /// The seed: the same seed writes the same files.
    pub seed: u64,
    /// How mature the organisation's practice is.
    pub maturity: Maturity,
}

/// A production deploy attempt the generator planted that q1 must report, as q1 names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlantedDeploy {
    /// The deployment id, or the deploy job's id when no deployment was made (skipped).
    pub deploy_id: String,
    /// `owner/name`.
    pub repo: String,
    /// `blocked`, `failed`, `advisory_leak` or `excepted`.
    pub class: String,
    /// When the attempt concluded (the deploy job's `completed_at`).
    pub event_time: DateTime<Utc>,
    /// The exception that covers it, for `excepted`.
    pub exception_id: Option<String>,
}

/// A production deploy that went out, as the level's coverage counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeployedTruth {
    /// When its deploy job concluded.
    pub event_time: DateTime<Utc>,
    /// Whether a SAST job ran for its commit before it.
    pub after_sast: bool,
    /// Whether its commit's SAST log had a blocking finding hidden by an accepted suppression.
    pub suppressed: bool,
}

/// An entry of the exceptions register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisterTruth {
    /// Its id.
    pub id: String,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// When it expires, if it says.
    pub expires: Option<DateTime<Utc>>,
}

/// What the generator planted (`truth.json`).
#[derive(Debug, Clone, Serialize)]
pub struct Truth {
    /// The seed used.
    pub seed: u64,
    /// How mature the organisation's practice is.
    pub maturity: Maturity,
    /// The first day of history.
    pub start: NaiveDate,
    /// The last day of history.
    pub end: NaiveDate,
    /// When the exceptions register was written: its entries were created then, and a lake
    /// that had been running would have recorded it then (a test ingests it at this instant;
    /// a lake that backfills it later sees its exceptions as recorded after the deploys).
    pub register_recorded_at: DateTime<Utc>,
    /// Repositories by gate profile (`blocking`, `advisory`, `advisory_excepted`).
    pub repos: BTreeMap<String, Vec<String>>,
    /// Every production deploy attempt, by class (`blocked`, `failed`, `advisory_leak`,
    /// `excepted`, `clean`).
    pub attempts_by_class: BTreeMap<String, u64>,
    /// How many SAST jobs ran.
    pub sast_runs: u64,
    /// When each SAST job finished, in time order (in memory only, like `deployed`).
    #[serde(skip)]
    pub sast_finished: Vec<DateTime<Utc>>,
    /// Every attempt that is not `clean`, in time order.
    pub planted: Vec<PlantedDeploy>,
    /// What real CI leaves beside the deploys, which must not change any class: pull-request
    /// runs whose deploy job was skipped, check runs beside their jobs, deployments later
    /// marked `inactive`, Trivy SARIF (not SAST), SAST SARIF without provenance placed by the
    /// path template; and suppressed blocking findings (overrides: they keep a window from
    /// level 3, see `deployed`).
    pub real_world: BTreeMap<String, u64>,
    /// Every production deploy that went out, in time order (kept in memory for the tests'
    /// coverage figures, not written: one entry per deploy).
    #[serde(skip)]
    pub deployed: Vec<DeployedTruth>,
    /// The exceptions register's entries.
    pub register: Vec<RegisterTruth>,
    /// Records written per file family, and bytes written.
    pub files: BTreeMap<String, u64>,
    /// The runtime alerts and the incidents they opened (q2).
    pub runtime: RuntimeTruth,
    /// The catalog snapshots and configuration items, and what q3 must find (q3).
    pub inventory: InventoryTruth,
    /// The people, their training and their access, and what q4 must find (q4).
    pub access: AccessTruth,
    /// The releases' admissions into production, their signed provenance and the policy
    /// that verified them, and what q5 must find (q5).
    pub supply_chain: SupplyChainTruth,
    /// The teams' DSOMM self-assessment as the app's files record it (the scorecard).
    pub dsomm: crate::dsomm::DsommTruth,
}

impl Truth {
    /// The planted attempts of `class` that concluded in `(from, to]`, by deploy id.
    pub fn in_window(&self, class: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<String> {
        let mut ids: Vec<String> = self
            .planted
            .iter()
            .filter(|p| p.class == class && p.event_time > from && p.event_time <= to)
            .map(|p| p.deploy_id.clone())
            .collect();
        ids.sort();
        ids
    }

    /// The most recent blocked attempt in `(from, to]`.
    pub fn last_blocked(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Option<&PlantedDeploy> {
        self.planted
            .iter()
            .filter(|p| p.class == "blocked" && p.event_time > from && p.event_time <= to)
            .max_by(|a, b| a.event_time.cmp(&b.event_time))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    Blocking,
    Advisory,
    AdvisoryExcepted,
}

impl Gate {
    fn name(self) -> &'static str {
        match self {
            Gate::Blocking => "blocking",
            Gate::Advisory => "advisory",
            Gate::AdvisoryExcepted => "advisory_excepted",
        }
    }
}

/// An exception of the register, as the generator uses it to decide coverage.
#[derive(Debug, Clone)]
struct Exception {
    id: String,
    scope: String,
    owner: String,
    created: DateTime<Utc>,
    expires: Option<DateTime<Utc>>,
}

impl Exception {
    fn covers(&self, at: DateTime<Utc>) -> bool {
        self.created <= at && self.expires.is_some_and(|e| e > at)
    }
}

struct Repo {
    name: String,
    gate: Gate,
    scanner: &'static str,
    /// The exception whose scope names this repository, if any.
    exception: Option<Exception>,
}

/// Writes one file family line by line, counting records.
struct Sink {
    dir: PathBuf,
    records: u64,
}

impl Sink {
    fn new(dir: PathBuf) -> std::io::Result<Self> {
        fs::create_dir_all(&dir)?;
        Ok(Self { dir, records: 0 })
    }

    fn write_day(&mut self, day: NaiveDate, ext: &str, bodies: &[Value]) -> std::io::Result<u64> {
        if bodies.is_empty() {
            return Ok(0);
        }
        let path = self.dir.join(format!("{day}.{ext}"));
        let mut file = BufWriter::new(File::create(&path)?);
        for body in bodies {
            serde_json::to_writer(&mut file, body)?;
            file.write_all(b"\n")?;
        }
        file.flush()?;
        Ok(fs::metadata(path)?.len())
    }
}

/// GitHub's REST API writes instants to the second.
fn ts(t: DateTime<Utc>) -> String {
    rfc3339(t, SecondsFormat::Secs)
}

fn sha(rng: &mut Rng) -> String {
    format!(
        "{:016x}{:016x}{:08x}",
        rng.bits(),
        rng.bits(),
        rng.bits() as u32
    )
}

/// Writes the organisation into `options.out` and returns what it planted (also written to
/// `truth.json`).
pub fn generate(options: &GenerateOptions) -> std::io::Result<Truth> {
    let out = &options.out;
    fs::create_dir_all(out)?;
    let mut rng = Rng::new(options.seed ^ 0xE71A_4E00_0000_0001);
    // Its own stream, so the organisation a seed draws is the same with or without them.
    let mut real = Rng::new(options.seed ^ 0x5EED_0F0E_A11D_0002);
    let mut real_world: BTreeMap<String, u64> = BTreeMap::new();
    // Each repository's last deployment that went out: GitHub marks it `inactive` when the
    // next one succeeds.
    let mut live: BTreeMap<String, String> = BTreeMap::new();
    let start = options.end - Duration::days(i64::from(options.days.max(1)) - 1);
    let history_start = start.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let history_end = options
        .end
        .and_hms_opt(23, 59, 59)
        .expect("a time")
        .and_utc();

    let mut repos = Vec::new();
    let mut register = Vec::new();
    for i in 0..options.services {
        let name = format!("acme/svc-{i:04}");
        let draw = rng.unit();
        let gate = if options.maturity == Maturity::Enforced || draw < 0.6 {
            Gate::Blocking
        } else if draw < 0.85 {
            Gate::Advisory
        } else {
            Gate::AdvisoryExcepted
        };
        let scanner = if rng.chance(0.5) {
            "semgrep"
        } else {
            "CodeQL analyze"
        };
        let exception = (gate == Gate::AdvisoryExcepted).then(|| {
            let id = format!("EXC-{:04}", i);
            let created = history_start - Duration::days(10);
            // Half expire in the middle of the history, a quarter after it, a quarter never.
            let expires = match rng.below(4) {
                0 | 1 => Some(
                    history_start
                        + Duration::seconds((history_end - history_start).num_seconds() / 2),
                ),
                2 => Some(history_end + Duration::days(30)),
                _ => None,
            };
            let short = name.trim_start_matches("acme/");
            let scope = if i % 2 == 0 {
                format!("repo:{name}")
            } else {
                format!("service:{short}")
            };
            Exception {
                id,
                scope,
                owner: format!("lead-{short}@acme.example"),
                created,
                expires,
            }
        });
        if let Some(e) = &exception {
            let mut entry = json!({
                "id": e.id,
                "control": "sast",
                "scope": e.scope,
                "owner": e.owner,
                "reason": "SAST findings triaged as false positives pending rule tuning",
                "ticket": format!("SEC-{}", 1000 + i),
                "created": e.created.date_naive().to_string(),
            });
            if let Some(expires) = e.expires {
                entry["expires"] = json!(ts(expires));
            }
            register.push(entry);
        }
        repos.push(Repo {
            name,
            gate,
            scanner,
            exception,
        });
    }

    let mut runs = Sink::new(out.join("github/runs"))?;
    let mut jobs = Sink::new(out.join("github/jobs"))?;
    let mut deployments = Sink::new(out.join("github/deployments"))?;
    let mut statuses = Sink::new(out.join("github/statuses"))?;
    let mut checks = Sink::new(out.join("github/check-runs"))?;
    let sarif_dir = out.join("sarif");
    fs::create_dir_all(&sarif_dir)?;
    let mut bytes = 0u64;
    let mut sarif_files = 0u64;
    let mut by_class: BTreeMap<String, u64> = BTreeMap::new();
    let mut planted = Vec::new();
    let mut sast_runs = 0u64;
    let mut sast_finished = Vec::new();
    let mut deployed_truth = Vec::new();
    // When each repository's deployments went out, at their `success` (q3's activity).
    let mut deploy_activity: BTreeMap<String, Vec<DateTime<Utc>>> = BTreeMap::new();
    // The deploys that went out, for the cluster that admitted them (q5).
    let mut releases = Vec::new();
    let (mut run_id, mut job_id, mut deploy_id, mut status_id) = (
        9_000_000_000u64,
        30_000_000_000u64,
        2_000_000_000u64,
        4_000_000_000u64,
    );

    for day in start.iter_days().take(options.days as usize) {
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        let (mut day_runs, mut day_jobs, mut day_deployments, mut day_statuses) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut day_checks = Vec::new();
        let day_sarif = sarif_dir.join(day.to_string());
        for repo in &repos {
            let pushes = if weekend {
                u64::from(rng.chance(0.2))
            } else {
                rng.below(3)
            };
            for _ in 0..pushes {
                run_id += 1;
                let commit = sha(&mut rng);
                let created = day.and_hms_opt(8, 0, 0).expect("a time").and_utc()
                    + Duration::seconds(rng.below(10 * 3600) as i64);
                let critical = if rng.chance(0.08) {
                    1 + rng.below(2)
                } else {
                    0
                };
                let others = rng.below(4);
                // A scanner set never to fail lets criticals through in some advisory repos.
                let ignores = repo.gate != Gate::Blocking && rng.chance(0.3);
                let scanned = match options.maturity {
                    Maturity::None => false,
                    Maturity::Scanning => rng.chance(0.5),
                    Maturity::Advisory | Maturity::Enforced => true,
                };
                let (critical, others) = if scanned { (critical, others) } else { (0, 0) };
                let sast_failed = critical > 0 && !ignores;
                let deploy_breaks = rng.chance(0.02);
                let skipped = sast_failed && repo.gate == Gate::Blocking;

                let build_start = created + Duration::seconds(5);
                let build_end = build_start + Duration::seconds(60 + rng.below(60) as i64);
                let sast_start = created + Duration::seconds(6);
                let sast_end = sast_start + Duration::seconds(120 + rng.below(120) as i64);
                let deploy_start = sast_end.max(build_end) + Duration::seconds(10);
                let deploy_end = if skipped {
                    deploy_start
                } else {
                    deploy_start + Duration::seconds(90 + rng.below(60) as i64)
                };
                let html = format!("https://github.com/{}", repo.name);
                let api = format!("https://api.github.com/repos/{}", repo.name);
                let run_url = format!("{api}/actions/runs/{run_id}");
                let job = |id: u64,
                           name: &str,
                           conclusion: &str,
                           s: DateTime<Utc>,
                           e: DateTime<Utc>| {
                    json!({
                        "id": id,
                        "run_id": run_id,
                        "workflow_name": "ci",
                        "head_branch": "main",
                        "run_url": run_url,
                        "run_attempt": 1,
                        "node_id": format!("CR_{id}"),
                        "head_sha": commit,
                        "url": format!("{api}/actions/jobs/{id}"),
                        "html_url": format!("{html}/actions/runs/{run_id}/job/{id}"),
                        "status": "completed",
                        "conclusion": conclusion,
                        "created_at": ts(created),
                        "started_at": ts(s),
                        "completed_at": ts(e),
                        "name": name,
                        "steps": [],
                        "check_run_url": format!("{api}/check-runs/{id}"),
                        "labels": ["ubuntu-latest"],
                        "runner_name": if conclusion == "skipped" { Value::Null } else { json!("GitHub Actions 2") },
                    })
                };
                let (build_id, sast_id, deploy_job_id) = (job_id + 1, job_id + 2, job_id + 3);
                job_id += 3;
                sast_runs += u64::from(scanned);
                if scanned {
                    sast_finished.push(sast_end);
                }
                let deploy_conclusion = if skipped {
                    "skipped"
                } else if deploy_breaks {
                    "failure"
                } else {
                    "success"
                };
                let run_conclusion =
                    if skipped || deploy_breaks || (sast_failed && repo.gate == Gate::Blocking) {
                        "failure"
                    } else {
                        "success"
                    };
                let mut run_jobs = vec![job(build_id, "build", "success", build_start, build_end)];
                if scanned {
                    run_jobs.push(job(
                        sast_id,
                        repo.scanner,
                        if sast_failed { "failure" } else { "success" },
                        sast_start,
                        sast_end,
                    ));
                }
                run_jobs.push(job(
                    deploy_job_id,
                    "deploy-production",
                    deploy_conclusion,
                    deploy_start,
                    deploy_end,
                ));
                if real.chance(0.2) {
                    // The same jobs listed as check runs (same ids): one gate result each.
                    let twins: Vec<Value> = run_jobs
                        .iter()
                        .filter(|j| j["name"] != "build")
                        .map(|j| check_run(j, &api, &html))
                        .collect();
                    *real_world.entry("check_runs".into()).or_default() += twins.len() as u64;
                    day_checks.push(json!({"total_count": twins.len(), "check_runs": twins}));
                }
                day_jobs.push(json!({"total_count": run_jobs.len(), "jobs": run_jobs}));
                day_runs.push(json!({
                    "id": run_id,
                    "name": "ci",
                    "node_id": format!("WFR_{run_id}"),
                    "head_branch": "main",
                    "head_sha": commit,
                    "path": ".github/workflows/ci.yml",
                    "run_number": run_id % 100_000,
                    "event": "push",
                    "status": "completed",
                    "conclusion": run_conclusion,
                    "workflow_id": 161_335,
                    "url": run_url,
                    "html_url": format!("{html}/actions/runs/{run_id}"),
                    "created_at": ts(created),
                    "updated_at": ts(deploy_end),
                    "run_attempt": 1,
                    "run_started_at": ts(created),
                    "actor": {"login": "dev-bot"},
                    "repository": {"full_name": repo.name},
                }));

                // The SAST job's SARIF log.
                let mut results = Vec::new();
                for n in 0..critical + others {
                    let (rule, score) = if n < critical {
                        ("sql-injection", "9.8")
                    } else {
                        [
                            ("weak-hash", "5.3"),
                            ("open-redirect", "6.1"),
                            ("xss", "7.5"),
                        ][rng.below(3) as usize]
                    };
                    results.push(json!({
                        "ruleId": rule,
                        "level": "error",
                        "message": {"text": format!("{rule} in handler {n}")},
                        "locations": [{"physicalLocation": {
                            "artifactLocation": {"uri": format!("src/handlers/h{n}.py")},
                            "region": {"startLine": 10 + n}
                        }}],
                        "partialFingerprints": {"primaryLocationLineHash": format!("{commit}:{n}")},
                        "properties": {"security-severity": score},
                    }));
                }
                // A blocking finding the team suppressed in source (advisory repositories).
                let suppressed = scanned && repo.gate != Gate::Blocking && real.chance(0.05);
                if suppressed {
                    results.push(json!({
                        "ruleId": "hardcoded-credential",
                        "level": "error",
                        "message": {"text": "credential in source"},
                        "locations": [{"physicalLocation": {
                            "artifactLocation": {"uri": "src/settings.py"},
                            "region": {"startLine": 3}
                        }}],
                        "partialFingerprints": {"primaryLocationLineHash": format!("{commit}:s")},
                        "properties": {"security-severity": "9.1"},
                        "suppressions": [{"kind": "inSource", "justification": "test credential"}],
                    }));
                    *real_world.entry("suppressed_findings".into()).or_default() += 1;
                }
                let tool = repo.scanner.split(' ').next().unwrap_or("scanner");
                // Some uploads carry no provenance: the path says what they scanned.
                let placed = scanned && real.chance(0.25);
                let mut run = json!({
                    "tool": {"driver": {"name": tool, "version": "1.0.0"}},
                    "results": results,
                    "invocations": [{"executionSuccessful": true, "endTimeUtc": ts(sast_end)}],
                });
                if !placed {
                    run["versionControlProvenance"] = json!([
                        {"repositoryUri": html, "revisionId": commit, "branch": "refs/heads/main"}
                    ]);
                }
                let sarif = json!({
                    "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
                    "version": "2.1.0",
                    "runs": [run],
                });
                if scanned {
                    let path = if placed {
                        *real_world.entry("sarif_placed_by_path".into()).or_default() += 1;
                        day_sarif
                            .join(&repo.name)
                            .join(&commit)
                            .join(format!("{tool}.sarif"))
                    } else {
                        day_sarif.join(format!("{}-{run_id}.sarif", repo.name.replace('/', "_")))
                    };
                    fs::create_dir_all(path.parent().expect("a directory"))?;
                    let text = serde_json::to_vec(&sarif)?;
                    bytes += text.len() as u64;
                    fs::write(path, text)?;
                    sarif_files += 1;
                }
                if real.chance(0.15) {
                    // A container scan: Trivy's CVEs are not SAST findings.
                    let trivy = trivy_sarif(&html, &commit, build_end);
                    fs::create_dir_all(&day_sarif)?;
                    let path = day_sarif.join(format!(
                        "{}-{run_id}.trivy.sarif",
                        repo.name.replace('/', "_")
                    ));
                    let text = serde_json::to_vec(&trivy)?;
                    bytes += text.len() as u64;
                    fs::write(path, text)?;
                    sarif_files += 1;
                    *real_world.entry("trivy_sarif".into()).or_default() += 1;
                }

                // The deployment a running deploy job makes, with its statuses.
                let deployed = !skipped && !deploy_breaks;
                let attempt_id = if skipped {
                    deploy_job_id.to_string()
                } else {
                    deploy_id += 1;
                    let created = deploy_start + Duration::seconds(3);
                    let log = format!("{html}/actions/runs/{run_id}/job/{deploy_job_id}");
                    let deployment_url = format!("{api}/deployments/{deploy_id}");
                    if deployed {
                        deploy_activity
                            .entry(repo.name.clone())
                            .or_default()
                            .push(deploy_end);
                    }
                    day_deployments.push(json!({
                        "url": deployment_url,
                        "id": deploy_id,
                        "sha": commit,
                        "ref": "main",
                        "task": "deploy",
                        "payload": {},
                        "environment": "production",
                        "creator": {"login": "github-actions[bot]"},
                        "created_at": ts(created),
                        "updated_at": ts(deploy_end),
                        "statuses_url": format!("{deployment_url}/statuses"),
                        "repository_url": api,
                    }));
                    let mut list = Vec::new();
                    for (state, at) in [
                        ("in_progress", created),
                        (if deployed { "success" } else { "failure" }, deploy_end),
                    ] {
                        status_id += 1;
                        list.push(json!({
                            "url": format!("{deployment_url}/statuses/{status_id}"),
                            "id": status_id,
                            "state": state,
                            "creator": {"login": "github-actions[bot]"},
                            "description": "",
                            "environment": "production",
                            "target_url": log,
                            "log_url": log,
                            "created_at": ts(at),
                            "updated_at": ts(at),
                            "deployment_url": deployment_url,
                            "repository_url": api,
                        }));
                    }
                    list.reverse(); // The API lists the newest status first.
                    day_statuses.push(Value::Array(list));
                    if deployed
                        && let Some(previous) = live.insert(repo.name.clone(), deployment_url)
                    {
                        status_id += 1;
                        day_statuses.push(json!([{
                            "url": format!("{previous}/statuses/{status_id}"),
                            "id": status_id,
                            "state": "inactive",
                            "creator": {"login": "github-actions[bot]"},
                            "description": "",
                            "environment": "production",
                            "created_at": ts(deploy_end),
                            "updated_at": ts(deploy_end),
                            "deployment_url": previous,
                            "repository_url": api,
                        }]));
                        *real_world.entry("inactive_deployments".into()).or_default() += 1;
                    }
                    deploy_id.to_string()
                };

                let findings_block = critical > 0;
                let covering = repo.exception.as_ref().filter(|e| e.covers(deploy_start));
                // A deploy job that ran and failed is `failed`, whatever SAST said; one skipped
                // after its blocking SAST gate failed is `blocked`.
                let class = if skipped {
                    "blocked"
                } else if deploy_breaks {
                    "failed"
                } else if sast_failed || findings_block {
                    if covering.is_some() {
                        "excepted"
                    } else {
                        "advisory_leak"
                    }
                } else {
                    "clean"
                };
                *by_class.entry(class.to_string()).or_default() += 1;
                if deployed {
                    releases.push(Release {
                        repo: repo.name.clone(),
                        commit: commit.clone(),
                        run_id,
                        built_at: build_end,
                        // `kubectl apply` early in the deploy job, which then waits for
                        // the rollout.
                        applied_at: deploy_start + Duration::seconds(20),
                        sast: scanned.then_some(if sast_failed { "failed" } else { "passed" }),
                    });
                    deployed_truth.push(DeployedTruth {
                        event_time: deploy_end,
                        after_sast: scanned,
                        suppressed,
                    });
                }
                if class != "clean" {
                    planted.push(PlantedDeploy {
                        deploy_id: attempt_id,
                        repo: repo.name.clone(),
                        class: class.to_string(),
                        event_time: deploy_end,
                        exception_id: (class == "excepted")
                            .then(|| covering.map(|e| e.id.clone()))
                            .flatten(),
                    });
                }
                if scanned && real.chance(0.1) {
                    // A pull request's run: SAST runs (and may fail), the deploy job is skipped
                    // by its `if:` (main only). No production attempt.
                    run_id += 1;
                    let (sast_id, deploy_job_id) = (job_id + 1, job_id + 2);
                    job_id += 2;
                    let pr_commit = sha(&mut real);
                    let branch = format!("feature/change-{}", run_id % 1000);
                    // Opened before the push it was merged as, the same day.
                    let opened = created - Duration::minutes(30);
                    let run_url = format!("{api}/actions/runs/{run_id}");
                    let failed = real.chance(0.5);
                    let end = opened + Duration::seconds(150);
                    sast_runs += 1;
                    sast_finished.push(end);
                    let pr_job = |id: u64, name: &str, conclusion: &str, e: DateTime<Utc>| {
                        json!({
                            "id": id, "run_id": run_id, "workflow_name": "ci",
                            "head_branch": branch, "run_url": run_url, "run_attempt": 1,
                            "node_id": format!("CR_{id}"), "head_sha": pr_commit,
                            "url": format!("{api}/actions/jobs/{id}"),
                            "html_url": format!("{html}/actions/runs/{run_id}/job/{id}"),
                            "status": "completed", "conclusion": conclusion,
                            "created_at": ts(opened), "started_at": ts(opened), "completed_at": ts(e),
                            "name": name, "steps": [],
                            "check_run_url": format!("{api}/check-runs/{id}"),
                            "labels": ["ubuntu-latest"],
                            "runner_name": if conclusion == "skipped" { Value::Null } else { json!("GitHub Actions 3") },
                        })
                    };
                    let pr_jobs = vec![
                        pr_job(
                            sast_id,
                            repo.scanner,
                            if failed { "failure" } else { "success" },
                            end,
                        ),
                        pr_job(deploy_job_id, "deploy-production", "skipped", opened),
                    ];
                    day_jobs.push(json!({"total_count": 2, "jobs": pr_jobs}));
                    day_runs.push(json!({
                        "id": run_id, "name": "ci", "node_id": format!("WFR_{run_id}"),
                        "head_branch": branch, "head_sha": pr_commit,
                        "path": ".github/workflows/ci.yml", "run_number": run_id % 100_000,
                        "event": "pull_request", "status": "completed",
                        "conclusion": if failed { "failure" } else { "success" },
                        "workflow_id": 161_335, "url": run_url,
                        "html_url": format!("{html}/actions/runs/{run_id}"),
                        "created_at": ts(opened), "updated_at": ts(end), "run_attempt": 1,
                        "run_started_at": ts(opened), "actor": {"login": "dev"},
                        "repository": {"full_name": repo.name},
                    }));
                    *real_world.entry("pull_request_runs".into()).or_default() += 1;
                }
            }
        }
        runs.records += day_runs.len() as u64;
        if !day_runs.is_empty() {
            let body = json!({"total_count": day_runs.len(), "workflow_runs": day_runs});
            bytes += runs.write_day(day, "json", &[body])?;
        }
        jobs.records += day_jobs
            .iter()
            .map(|b| b["jobs"].as_array().map_or(0, Vec::len) as u64)
            .sum::<u64>();
        bytes += jobs.write_day(day, "jsonl", &day_jobs)?;
        deployments.records += day_deployments.len() as u64;
        if !day_deployments.is_empty() {
            bytes += deployments.write_day(day, "json", &[Value::Array(day_deployments)])?;
        }
        statuses.records += day_statuses
            .iter()
            .map(|s| s.as_array().map_or(0, Vec::len) as u64)
            .sum::<u64>();
        bytes += statuses.write_day(day, "jsonl", &day_statuses)?;
        checks.records += day_checks
            .iter()
            .map(|b| b["check_runs"].as_array().map_or(0, Vec::len) as u64)
            .sum::<u64>();
        bytes += checks.write_day(day, "jsonl", &day_checks)?;
    }

    let register_text = register_yaml(&register);
    fs::write(out.join("exceptions.yaml"), &register_text)?;
    fs::write(out.join("ingest.toml"), INGEST_CONFIG)?;
    planted.sort_by(|a, b| (a.event_time, &a.deploy_id).cmp(&(b.event_time, &b.deploy_id)));
    let runtime = runtime::generate(
        out,
        options.services,
        start,
        options.days,
        options.seed,
        options.maturity,
    )?;
    let inventory = inventory::generate(
        out,
        options.services,
        start,
        options.days,
        options.seed,
        options.maturity,
        |service| {
            let prefix = format!("{service}/");
            let mut seen: Vec<DateTime<Utc>> = deploy_activity
                .get(&format!("acme/{service}"))
                .cloned()
                .unwrap_or_default();
            seen.extend(
                runtime
                    .alerts
                    .iter()
                    .filter(|a| a.workload.starts_with(&prefix))
                    .map(|a| a.alert_time),
            );
            seen.sort();
            seen
        },
    )?;
    let access = access::generate(out, start, options.days, options.seed, options.maturity)?;
    releases.sort_by_key(|r| r.applied_at);
    let supply_chain = supply_chain::generate(
        out,
        &releases,
        start,
        options.days,
        options.seed,
        options.maturity,
    )?;
    let dsomm = crate::dsomm::generate(out, options.services, start, options.end)?;
    deployed_truth.sort_by_key(|d| d.event_time);
    sast_finished.sort();
    let truth = Truth {
        seed: options.seed,
        maturity: options.maturity,
        start,
        end: options.end,
        register_recorded_at: history_start - Duration::days(10),
        repos: repos.iter().fold(BTreeMap::new(), |mut m, r| {
            m.entry(r.gate.name().to_string())
                .or_insert_with(Vec::new)
                .push(r.name.clone());
            m
        }),
        attempts_by_class: by_class,
        sast_runs,
        sast_finished,
        planted,
        real_world,
        deployed: deployed_truth,
        register: repos
            .iter()
            .filter_map(|r| r.exception.as_ref())
            .map(|e| RegisterTruth {
                id: e.id.clone(),
                created: e.created,
                expires: e.expires,
            })
            .collect(),
        files: BTreeMap::from([
            ("workflow_runs".to_string(), runs.records),
            ("jobs".to_string(), jobs.records),
            ("deployments".to_string(), deployments.records),
            ("deployment_statuses".to_string(), statuses.records),
            ("check_runs".to_string(), checks.records),
            ("sarif_files".to_string(), sarif_files),
            ("exceptions".to_string(), register.len() as u64),
            ("bytes".to_string(), bytes + register_text.len() as u64),
        ]),
        runtime,
        inventory,
        access,
        supply_chain,
        dsomm,
    };
    let file = BufWriter::new(File::create(out.join("truth.json"))?);
    serde_json::to_writer_pretty(file, &truth)?;
    Ok(truth)
}

/// The check run GitHub lists for an Actions job (`GET …/commits/{ref}/check-runs`): the
/// same id, name, commit, state and times; its check suite names no branch.
fn check_run(job: &Value, api: &str, html: &str) -> Value {
    let id = job["id"].as_u64().unwrap_or_default();
    json!({
        "id": id,
        "head_sha": job["head_sha"],
        "node_id": format!("CR_{id}"),
        "external_id": "",
        "url": format!("{api}/check-runs/{id}"),
        "html_url": format!("{html}/runs/{id}"),
        "details_url": format!("{html}/runs/{id}"),
        "status": job["status"],
        "conclusion": job["conclusion"],
        "started_at": job["started_at"],
        "completed_at": job["completed_at"],
        "output": {"title": null, "summary": null, "text": null, "annotations_count": 0,
            "annotations_url": format!("{api}/check-runs/{id}/annotations")},
        "name": job["name"],
        "check_suite": {"id": id / 2},
        "app": {"id": 15368, "slug": "github-actions", "name": "GitHub Actions"},
        "pull_requests": [],
    })
}

/// A Trivy image scan's SARIF (the shape `trivy image --format sarif` writes): one critical
/// CVE in an OS package.
fn trivy_sarif(html: &str, commit: &str, at: DateTime<Utc>) -> Value {
    json!({
        "version": "2.1.0",
        "$schema": "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/main/sarif-2.1/schema/sarif-schema-2.1.0.json",
        "runs": [{
            "tool": {"driver": {"fullName": "Trivy Vulnerability Scanner", "informationUri": "https://github.com/aquasecurity/trivy",
                "name": "Trivy", "version": "0.56.2",
                "rules": [{"id": "CVE-2024-3094", "name": "OsPackageVulnerability",
                    "shortDescription": {"text": "xz: malicious code in distributed source"},
                    "defaultConfiguration": {"level": "error"},
                    "properties": {"precision": "very-high", "security-severity": "10.0",
                        "tags": ["vulnerability", "security", "CRITICAL"]}}]}},
            "results": [{"ruleId": "CVE-2024-3094", "ruleIndex": 0, "level": "error",
                "message": {"text": "Package: xz-utils\nInstalled Version: 5.6.0-0.2\nVulnerability CVE-2024-3094\nSeverity: CRITICAL\nFixed Version: 5.6.1+really5.4.5-1"},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": "library/app", "uriBaseId": "ROOTPATH"},
                    "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1}},
                    "message": {"text": "library/app: xz-utils@5.6.0-0.2"}}]}],
            "columnKind": "utf16CodeUnits",
            "originalUriBaseIds": {"ROOTPATH": {"uri": "file:///"}},
            "versionControlProvenance": [{"repositoryUri": html, "revisionId": commit, "branch": "refs/heads/main"}],
            "invocations": [{"executionSuccessful": true, "endTimeUtc": ts(at)}],
        }],
    })
}

/// The register as YAML: a list of mappings whose values are JSON strings, which YAML reads
/// as double-quoted scalars.
fn register_yaml(entries: &[Value]) -> String {
    let mut out = String::from(
        "# The security exceptions register (written by evlake generate).\nexceptions:",
    );
    out.push_str(if entries.is_empty() { " []\n" } else { "\n" });
    for entry in entries {
        for (i, (key, value)) in entry.as_object().into_iter().flatten().enumerate() {
            let lead = if i == 0 { "  - " } else { "    " };
            out.push_str(&format!("{lead}{key}: {value}\n"));
        }
    }
    out
}

/// The ingest config written beside the generated files.
const INGEST_CONFIG: &str = r#"# Written by `evlake generate`: ingests this directory.
# Run: evlake ingest --config ingest.toml

[sources.github]
kind = "github-actions"
paths = ["github"]
production_environments = ["production"]

[sources.github.gates]
sast = ["semgrep", "CodeQL*"]
deploy = ["deploy-production"]

[sources.scans]
kind = "sarif"
paths = ["sarif"]
blocking_severity = "critical"
path_template = "{repo_owner}/{repo_name}/{commit}/{tool}.sarif"

[sources.register]
kind = "exceptions"
paths = ["exceptions.yaml", "access-exceptions.yaml"]

[sources.falco]
kind = "falco"
paths = ["falco"]

[sources.pagerduty]
kind = "pagerduty"
paths = ["pagerduty"]

[sources.jira]
kind = "jira"
paths = ["jira"]
security_reviews = { issue_types = ["Security Review"] }

[sources.catalog]
kind = "backstage"
paths = ["backstage"]
security_review_annotation = "acme.io/last-security-review"

[sources.aws-config]
kind = "aws-config"
paths = ["aws-config"]

[sources.hr]
kind = "people"
paths = ["hr"]
engineering_teams = ["platform", "payments", "web"]
# Names only an alias maps: an IAM Identity Center user's identity-store id, an SSO session name.
aliases = { "94482488-3041-7026-18f3-7ef9a1b2c3d4" = "dave@acme.example", "dsmith" = "dave@acme.example" }

[sources.lms]
kind = "training"
paths = ["lms"]
security_courses = ["SEC-*"]

[sources.aws-iam]
kind = "aws-iam-snapshot"
paths = ["aws-iam"]

[sources.cloudtrail]
kind = "cloudtrail"
paths = ["cloudtrail"]
privileged = ["AdministratorAccess", "IAMFullAccess", "PowerUserAccess", "arn:aws:sso:::permissionSet/*/ps-admin*"]

[sources.okta]
kind = "okta"
paths = ["okta"]
org = "acme.okta.com"

[sources.gcp]
kind = "gcp-audit"
paths = ["gcp-audit"]

[sources.k8s-audit]
kind = "k8s-audit"
paths = ["k8s-audit"]
cluster = "prod-eu1"

[sources.kyverno]
kind = "kyverno"
paths = ["kyverno"]
cluster = "prod-eu1"

[sources.provenance]
kind = "in-toto"
paths = ["provenance"]
trusted_root_file = "sigstore/trusted_root.json"
keys = [{ name = "release-2026", file = "sigstore/release.pub" }]
identities = [{ subject_regex = 'https://github\.com/acme/svc-[0-9]+/\.github/workflows/release\.yml@refs/heads/main', issuer = "https://token.actions.githubusercontent.com" }]

[sources.dsomm]
kind = "dsomm"
paths = ["dsomm/model.yaml", "dsomm/team-progress.yaml", "dsomm/team-evidence.yaml"]
meta_file = "dsomm/meta.yaml"
"#;

/// The path of the ingest config [`generate`] writes into `out`.
pub fn ingest_config(out: &Path) -> PathBuf {
    out.join("ingest.toml")
}
