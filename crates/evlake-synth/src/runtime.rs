//! The runtime side of the synthetic organisation: Falco alerts (JSON lines as Falcosidekick
//! writes them to a file), the PagerDuty incidents some of them open (webhook v3 events) and
//! the Jira issues others get, with what q2 must find planted in [`RuntimeTruth`].
//!
//! Each service runs in namespace `svc-NNNN`, its pod renamed every day (a new rollout). On
//! any day a service may raise an alert of one of five rules, each routed its own way:
//!
//! | rule | priority | routed to | correlation |
//! |---|---|---|---|
//! | Terminal shell in container | Notice | PagerDuty, the alert's uuid in the title | `alert_id` |
//! | Write below etc | Error | PagerDuty, rule and pod in the title | `rule_workload` |
//! | Read sensitive file untrusted | Warning | Jira, the uuid as a label | `alert_id` |
//! | Contact K8S API Server From Container | Notice | nobody (audit-only) | — |
//! | Launch Package Management Process in Container | Error | nobody (audit-only) | — |
//!
//! A routed alert opens its incident a few minutes later (one in ten is dropped and opens
//! none), is acknowledged within half an hour and remediated quickly (most), slowly (days) or
//! not at all. Some `Write below etc` alerts have a decoy: the same rule in the same namespace
//! but another pod, minutes earlier, with no incident of its own — it must stay unmatched.
//!
//! That is the `advisory` [`Maturity`]: with `none` no alert fires, with `scanning` none is
//! routed, and with `enforced` only routed rules fire, none is dropped or decoyed, and every
//! incident is remediated within hours.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use crate::{Maturity, Rng, ts as rfc3339};

/// A rule the generator fires, and where its alerts go.
struct Rule {
    name: &'static str,
    priority: &'static str,
    route: Route,
    weight: f64,
    output: &'static str,
    cmdline: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    PagerdutyById,
    PagerdutyByWorkload,
    JiraById,
    Nobody,
}

const RULES: &[Rule] = &[
    Rule {
        name: "Terminal shell in container",
        priority: "Notice",
        route: Route::PagerdutyById,
        weight: 0.3,
        output: "A shell was spawned in a container with an attached terminal",
        cmdline: "bash",
    },
    Rule {
        name: "Write below etc",
        priority: "Error",
        route: Route::PagerdutyByWorkload,
        weight: 0.2,
        output: "File below /etc opened for writing",
        cmdline: "sed -i s/a/b/ /etc/hosts",
    },
    Rule {
        name: "Read sensitive file untrusted",
        priority: "Warning",
        route: Route::JiraById,
        weight: 0.2,
        output: "Sensitive file opened for reading by non-trusted program",
        cmdline: "cat /etc/shadow",
    },
    Rule {
        name: "Contact K8S API Server From Container",
        priority: "Notice",
        route: Route::Nobody,
        weight: 0.2,
        output: "Unexpected connection to K8s API Server from container",
        cmdline: "curl https://kubernetes.default",
    },
    Rule {
        name: "Launch Package Management Process in Container",
        priority: "Error",
        route: Route::Nobody,
        weight: 0.1,
        output: "Package management process launched in container",
        cmdline: "apt-get install -y netcat",
    },
];

/// An alert the generator planted, with what q2 must find for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlantedAlert {
    /// Falcosidekick's uuid.
    pub alert_id: String,
    /// The Falco rule.
    pub rule: String,
    /// When it fired.
    pub alert_time: DateTime<Utc>,
    /// `namespace/pod`.
    pub workload: String,
    /// The incident it opened (PagerDuty incident id or Jira key), if any.
    pub incident_id: Option<String>,
    /// When that incident opened.
    pub incident_opened_at: Option<DateTime<Utc>>,
    /// How q2 finds that incident: `alert_id` or `rule_workload`.
    pub correlation: Option<String>,
    /// When the incident was first acknowledged (by the end of history).
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// When it was remediated (by the end of history).
    pub remediated_at: Option<DateTime<Utc>>,
    /// A decoy: same rule and namespace as a routed alert, another pod, no incident.
    pub decoy: bool,
}

/// What the runtime side planted (part of `truth.json`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RuntimeTruth {
    /// Every alert, in time order.
    pub alerts: Vec<PlantedAlert>,
    /// Rules whose alerts never open an incident.
    pub audit_only_rules: Vec<String>,
    /// Records written per file family.
    pub files: BTreeMap<String, u64>,
}

impl RuntimeTruth {
    /// The alerts that fired in `(from, to]`.
    pub fn in_window(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<&PlantedAlert> {
        self.alerts
            .iter()
            .filter(|a| a.alert_time > from && a.alert_time <= to)
            .collect()
    }
}

/// Falco, PagerDuty and Jira write instants to the millisecond.
fn ts(t: DateTime<Utc>) -> String {
    rfc3339(t, SecondsFormat::Millis)
}

fn uuid(rng: &mut Rng) -> String {
    let (a, b) = (rng.bits(), rng.bits());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

fn pd_id(rng: &mut Rng, prefix: char) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
    let mut id = String::from(prefix);
    for _ in 0..13 {
        id.push(ALPHABET[rng.below(ALPHABET.len() as u64) as usize] as char);
    }
    id
}

/// One Falco alert line as Falcosidekick's file output writes it.
fn falco_line(
    rng: &mut Rng,
    rule: &Rule,
    at: DateTime<Utc>,
    ns: &str,
    pod: &str,
) -> (String, Value) {
    let id = uuid(rng);
    // Microseconds: the lake keeps time to the microsecond.
    let nanos = at.timestamp_nanos_opt().unwrap_or_default() + rng.below(1_000) as i64 * 1_000;
    let time = DateTime::from_timestamp_nanos(nanos);
    let container = format!("{:012x}", rng.bits() & 0xffff_ffff_ffff);
    let line = json!({
        "uuid": id,
        "output": format!(
            "{} {}: {} (user=root user_loginuid=-1 process={} proc_exepath=/usr/bin/{} command={} container_id={container} image=ghcr.io/acme/{ns} k8s_ns={ns} k8s_pod_name={pod})",
            time.format("%H:%M:%S%.9f"),
            rule.priority,
            rule.output,
            rule.cmdline.split(' ').next().unwrap_or(""),
            rule.cmdline.split(' ').next().unwrap_or(""),
            rule.cmdline
        ),
        "priority": rule.priority,
        "rule": rule.name,
        "time": time.to_rfc3339_opts(SecondsFormat::Nanos, true),
        "source": "syscall",
        "tags": ["container", "mitre_execution", "T1059"],
        "hostname": format!("node-{}", rng.below(8)),
        "output_fields": {
            "container.id": container,
            "container.image.repository": format!("ghcr.io/acme/{ns}"),
            "container.image.tag": "stable",
            "evt.time": nanos,
            "k8s.ns.name": ns,
            "k8s.pod.name": pod,
            "proc.cmdline": rule.cmdline,
            "user.name": "root",
        },
    });
    (id, line)
}

/// A PagerDuty webhook v3 event about incident `incident`.
fn webhook(rng: &mut Rng, event_type: &str, at: DateTime<Utc>, incident: &Value) -> Value {
    let mut data = incident.clone();
    data["status"] = json!(match event_type {
        "incident.triggered" => "triggered",
        "incident.acknowledged" => "acknowledged",
        _ => "resolved",
    });
    json!({
        "event": {
            "id": pd_id(rng, '0'),
            "event_type": event_type,
            "resource_type": "incident",
            "occurred_at": ts(at),
            "agent": {"id": "PSEC001", "summary": "On-call SecOps", "type": "user_reference"},
            "client": null,
            "data": data,
        }
    })
}

/// Writes the runtime evidence for `services` over `days` ending `end` into `out`
/// (`falco/`, `pagerduty/`, `jira/`) and returns what it planted.
pub fn generate(
    out: &Path,
    services: u32,
    start: NaiveDate,
    days: u32,
    seed: u64,
    maturity: Maturity,
) -> std::io::Result<RuntimeTruth> {
    let mut rng = Rng::new(seed ^ 0xFA1C_0000_0000_0002);
    let history_end = (start + Duration::days(i64::from(days) - 1))
        .and_hms_opt(23, 59, 59)
        .expect("a time")
        .and_utc();
    let known = |t: DateTime<Utc>| (t <= history_end).then_some(t);
    let mut falco: BTreeMap<NaiveDate, Vec<(DateTime<Utc>, String)>> = BTreeMap::new();
    let mut pagerduty: BTreeMap<NaiveDate, Vec<(DateTime<Utc>, Value)>> = BTreeMap::new();
    let mut jira: BTreeMap<NaiveDate, Vec<Value>> = BTreeMap::new();
    let mut alerts = Vec::new();
    let mut incident_number = 1000u64;
    let mut issue_number = 0u64;
    for day in start.iter_days().take(days as usize) {
        for service in 0..services {
            if maturity == Maturity::None || !rng.chance(0.15) {
                continue;
            }
            let ns = format!("svc-{service:04}");
            let pod = format!(
                "{ns}-{:08x}-{:05x}",
                rng.bits() as u32,
                rng.bits() & 0xfffff
            );
            // An enforced organisation routes every rule; a scanning one none.
            let rules: Vec<&Rule> = RULES
                .iter()
                .filter(|r| maturity != Maturity::Enforced || r.route != Route::Nobody)
                .collect();
            let total: f64 = rules.iter().map(|r| r.weight).sum();
            let draw = rng.unit() * total;
            let mut acc = 0.0;
            let rule = *rules
                .iter()
                .find(|r| {
                    acc += r.weight;
                    draw < acc
                })
                .unwrap_or(&rules[rules.len() - 1]);
            let route = if maturity == Maturity::Scanning {
                Route::Nobody
            } else {
                rule.route
            };
            let at = day.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
                + Duration::seconds(rng.below(86_000) as i64);
            if route == Route::PagerdutyByWorkload
                && maturity != Maturity::Enforced
                && rng.chance(0.3)
            {
                // The decoy: the same rule minutes earlier in another pod of the namespace.
                let other = format!(
                    "{ns}-{:08x}-{:05x}",
                    rng.bits() as u32,
                    rng.bits() & 0xfffff
                );
                let decoy_at = at - Duration::seconds(60 + rng.below(600) as i64);
                let (id, line) = falco_line(&mut rng, rule, decoy_at, &ns, &other);
                falco
                    .entry(decoy_at.date_naive())
                    .or_default()
                    .push((decoy_at, line.to_string()));
                alerts.push(PlantedAlert {
                    alert_id: id,
                    rule: rule.name.into(),
                    alert_time: line_time(&line),
                    workload: format!("{ns}/{other}"),
                    incident_id: None,
                    incident_opened_at: None,
                    correlation: None,
                    acknowledged_at: None,
                    remediated_at: None,
                    decoy: true,
                });
            }
            let (id, line) = falco_line(&mut rng, rule, at, &ns, &pod);
            let alert_time = line_time(&line);
            falco
                .entry(at.date_naive())
                .or_default()
                .push((at, line.to_string()));
            let mut planted = PlantedAlert {
                alert_id: id.clone(),
                rule: rule.name.into(),
                alert_time,
                workload: format!("{ns}/{pod}"),
                incident_id: None,
                incident_opened_at: None,
                correlation: None,
                acknowledged_at: None,
                remediated_at: None,
                decoy: false,
            };
            // One routed alert in ten is dropped, unless routing is enforced.
            if route != Route::Nobody && !(maturity != Maturity::Enforced && rng.chance(0.1)) {
                // Opened a few minutes after the alert (to the second, as the APIs report).
                let opened = DateTime::from_timestamp(
                    alert_time.timestamp() + 60 + rng.below(540) as i64,
                    0,
                )
                .expect("a time");
                let acknowledged = rng
                    .chance(0.9)
                    .then(|| opened + Duration::seconds(60 + rng.below(1800) as i64));
                let remediated = match rng.below(20) {
                    0 if maturity != Maturity::Enforced => None,
                    1..=5 if maturity != Maturity::Enforced => {
                        Some(opened + Duration::hours(24 + rng.below(96) as i64))
                    }
                    _ => Some(opened + Duration::minutes(30 + rng.below(210) as i64)),
                };
                let remediated = remediated.map(|r| r.max(acknowledged.unwrap_or(r)));
                if opened <= history_end {
                    let incident_id = if route == Route::JiraById {
                        issue_number += 1;
                        let key = format!("SEC-{issue_number}");
                        let issue = jira_issue(
                            &key,
                            issue_number,
                            rule,
                            &id,
                            opened,
                            acknowledged.and_then(known),
                            remediated.and_then(known),
                            &ns,
                            &pod,
                        );
                        jira.entry(opened.date_naive()).or_default().push(issue);
                        key
                    } else {
                        incident_number += 1;
                        let incident_id = pd_id(&mut rng, 'Q');
                        let title = match route {
                            Route::PagerdutyById => format!("[falco {id}] {} in {ns}", rule.name),
                            _ => format!("{} (k8s.ns={ns} k8s.pod={pod})", rule.name),
                        };
                        let incident = json!({
                            "id": incident_id,
                            "type": "incident",
                            "self": format!("https://api.pagerduty.com/incidents/{incident_id}"),
                            "html_url": format!("https://acme.pagerduty.com/incidents/{incident_id}"),
                            "number": incident_number,
                            "title": title,
                            "service": {"id": "PRUNTIME", "summary": "runtime-security", "type": "service_reference"},
                            "assignees": [{"id": "PSEC001", "summary": "On-call SecOps", "type": "user_reference"}],
                            "escalation_policy": {"id": "PESC001", "summary": "SecOps", "type": "escalation_policy_reference"},
                            "teams": [],
                            "priority": null,
                            "urgency": "high",
                            "conference_bridge": null,
                            "resolve_reason": null,
                        });
                        let mut events = vec![("incident.triggered", opened)];
                        events.extend(
                            acknowledged
                                .and_then(known)
                                .map(|t| ("incident.acknowledged", t)),
                        );
                        events.extend(remediated.and_then(known).map(|t| ("incident.resolved", t)));
                        for (event_type, t) in events {
                            let event = webhook(&mut rng, event_type, t, &incident);
                            pagerduty
                                .entry(t.date_naive())
                                .or_default()
                                .push((t, event));
                        }
                        incident_id
                    };
                    planted.incident_id = Some(incident_id);
                    planted.incident_opened_at = Some(opened);
                    planted.correlation = Some(
                        if route == Route::PagerdutyByWorkload {
                            "rule_workload"
                        } else {
                            "alert_id"
                        }
                        .into(),
                    );
                    planted.acknowledged_at = acknowledged.and_then(known);
                    planted.remediated_at = remediated.and_then(known);
                }
            }
            alerts.push(planted);
        }
    }

    let mut files = BTreeMap::new();
    let falco_dir = out.join("falco");
    fs::create_dir_all(&falco_dir)?;
    let mut count = 0;
    for (day, mut lines) in falco {
        lines.sort();
        let mut file = BufWriter::new(File::create(falco_dir.join(format!("{day}.jsonl")))?);
        for (_, line) in &lines {
            writeln!(file, "{line}")?;
        }
        file.flush()?;
        count += lines.len() as u64;
    }
    files.insert("falco_alerts".to_string(), count);
    let pd_dir = out.join("pagerduty");
    fs::create_dir_all(&pd_dir)?;
    let mut count = 0;
    for (day, mut events) in pagerduty {
        events.sort_by_key(|e| e.0);
        let mut file = BufWriter::new(File::create(pd_dir.join(format!("{day}.jsonl")))?);
        for (_, event) in &events {
            serde_json::to_writer(&mut file, event)?;
            file.write_all(b"\n")?;
        }
        file.flush()?;
        count += events.len() as u64;
    }
    files.insert("pagerduty_events".to_string(), count);
    let jira_dir = out.join("jira");
    fs::create_dir_all(&jira_dir)?;
    let mut count = 0;
    for (day, issues) in jira {
        count += issues.len() as u64;
        let page = json!({"issues": issues, "isLast": true});
        fs::write(
            jira_dir.join(format!("{day}.json")),
            serde_json::to_vec_pretty(&page)?,
        )?;
    }
    files.insert("jira_issues".to_string(), count);
    alerts.sort_by(|a, b| (a.alert_time, &a.alert_id).cmp(&(b.alert_time, &b.alert_id)));
    Ok(RuntimeTruth {
        alerts,
        audit_only_rules: RULES
            .iter()
            .filter(|r| match maturity {
                Maturity::Scanning => true,
                Maturity::Enforced => false,
                Maturity::None | Maturity::Advisory => r.route == Route::Nobody,
            })
            .map(|r| r.name.to_string())
            .collect(),
        files,
    })
}

/// Writes `total` Falco alerts spread evenly over `days` days from `start` across
/// `services` namespaces, one JSON Lines file per day in `dir` (the load of the ingest
/// benchmark); returns the bytes written.
pub fn falco_events(
    dir: &Path,
    total: u64,
    services: u32,
    start: NaiveDate,
    days: u32,
    seed: u64,
) -> std::io::Result<u64> {
    fs::create_dir_all(dir)?;
    let mut rng = Rng::new(seed ^ 0xFA1C_0000_0000_0003);
    let per_day = total.div_ceil(u64::from(days.max(1)));
    let (mut written, mut bytes) = (0u64, 0u64);
    for day in start.iter_days().take(days as usize) {
        let path = dir.join(format!("{day}.jsonl"));
        let mut file = BufWriter::new(File::create(&path)?);
        let midnight = day.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
        let n = per_day.min(total - written);
        for i in 0..n {
            let rule = &RULES[rng.below(RULES.len() as u64) as usize];
            let ns = format!("svc-{:04}", rng.below(u64::from(services.max(1))));
            let pod = format!(
                "{ns}-{:08x}-{:05x}",
                (rng.bits() >> 40) as u32,
                rng.bits() & 0xfffff
            );
            let at = midnight + Duration::microseconds((i * 86_400_000_000 / n.max(1)) as i64);
            let (_, line) = falco_line(&mut rng, rule, at, &ns, &pod);
            serde_json::to_writer(&mut file, &line)?;
            file.write_all(b"\n")?;
        }
        file.flush()?;
        written += n;
        bytes += fs::metadata(&path)?.len();
    }
    Ok(bytes)
}

fn line_time(line: &Value) -> DateTime<Utc> {
    evlake_core::time::parse_timestamp(line["time"].as_str().expect("a time"))
        .expect("the generator writes RFC 3339")
}

/// A Jira issue for an alert, with its changelog up to the end of history: To Do → In
/// Progress (acknowledged) → Done (remediated).
#[allow(clippy::too_many_arguments)]
fn jira_issue(
    key: &str,
    number: u64,
    rule: &Rule,
    alert_id: &str,
    created: DateTime<Utc>,
    acknowledged: Option<DateTime<Utc>>,
    remediated: Option<DateTime<Utc>>,
    ns: &str,
    pod: &str,
) -> Value {
    let jira_time = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string();
    let id = 30_000 + number;
    let mut histories = Vec::new();
    let mut status = ("To Do", "new", "To Do");
    let transitions = [
        acknowledged.map(|t| (t, ("In Progress", "indeterminate", "In Progress"))),
        remediated.map(|t| (t, ("Done", "done", "Done"))),
    ];
    for (n, (at, next)) in transitions.into_iter().flatten().enumerate() {
        histories.push(json!({
            "id": format!("{}", id * 10 + n as u64),
            "author": {"displayName": "SecOps Triage", "emailAddress": "secops@acme.example"},
            "created": jira_time(at),
            "items": [{"field": "status", "fieldtype": "jira", "fromString": status.0, "toString": next.0}],
        }));
        status = next;
    }
    let updated = remediated.or(acknowledged).unwrap_or(created);
    json!({
        "expand": "operations,changelog",
        "id": id.to_string(),
        "self": format!("https://acme.atlassian.net/rest/api/3/issue/{id}"),
        "key": key,
        "fields": {
            "summary": format!("{} (k8s.ns={ns} k8s.pod={pod})", rule.name),
            "created": jira_time(created),
            "updated": jira_time(updated),
            "resolutiondate": remediated.map(jira_time),
            "status": {"name": status.0, "statusCategory": {"key": status.1, "name": status.2}},
            "labels": ["falco", format!("falco-{alert_id}")],
            "project": {"key": "SEC"},
            "assignee": {"displayName": "SecOps Triage"},
        },
        "changelog": {"startAt": 0, "maxResults": histories.len(), "total": histories.len(), "histories": histories},
    })
}
