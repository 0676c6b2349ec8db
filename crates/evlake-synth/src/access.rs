//! The people and access side of the synthetic organisation (q4): an HR export every 30 days,
//! the LMS's training completions, AWS IAM authorization-details snapshots every 30 days,
//! CloudTrail log files in the S3 delivery layout (with digests), Okta System Log exports and
//! GCP audit entries, and the access exceptions register — with what q4 must find planted in
//! [`AccessTruth`].
//!
//! Ten engineers (`eng01`…`eng10`) train every 180 days and hold read-only access. In every
//! organisation but `enforced` the generator plants, relative to the history's end E:
//!
//! | person | plant |
//! |---|---|
//! | alice (platform) | training lapsed at E − 35 d; `AdministratorAccess` through the IAM group `platform-admins` (an IAM user only her alias maps) |
//! | bob (payments) | training lapsed at E − 15 d; Okta Super administrator, revoked at E − 10 d (in time) |
//! | carol (web) | training lapsed long ago; GCP `roles/owner` granted at E − 40 d, revoked at E − 20 d (late), granted again at E − 5 d |
//! | dave (platform) | training lapsed at E − 5 d; an admin IAM Identity Center permission set assigned to an identity-store id only an alias maps (his SSO session name is an alias too); an owned exception from E − 6 d to E + 30 d |
//! | erin (payments) | training lapsed at E − 55 d; an inline policy allowing everything, put at E − 100 d; an exception that expired at E − 10 d |
//! | hank (web) | trained at E − 100 d on a course whose certificate expired at E − 7 d |
//! | gina (platform) | never trained; left at E − 30 d (HR says so, her Okta account deactivated) |
//! | frank (finance) | never trained: not an engineer, not in scope |
//! | `break-glass` | an IAM user with `AdministratorAccess` that maps to nobody |
//!
//! With `enforced` only the ten engineers exist (and no one unmapped); with `none` the LMS
//! export has no completions.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use crate::{Maturity, Rng, ts as rfc3339};

/// The AWS account the IAM evidence is about.
pub const AWS_ACCOUNT: &str = "111122223333";
/// The Okta org (the `okta` source's `org`).
pub const OKTA_ORG: &str = "acme.okta.com";
/// The GCP project resource.
pub const GCP_PROJECT: &str = "projects/acme-prod";
/// Days a security training counts for (q4's window).
pub const TRAINING_VALID_DAYS: i64 = 365;
const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const DEPLOYER: &str = "arn:aws:iam::111122223333:policy/deployer";
const ADMIN_SET: &str = "arn:aws:sso:::permissionSet/ssoins-7223a1b2c3d4e5f6/ps-admin5f6a7b8c9d0e";
const DAVE_STORE_ID: &str = "94482488-3041-7026-18f3-7ef9a1b2c3d4";

/// A person of the organisation as the HR export lists them.
#[derive(Debug, Clone, Serialize)]
pub struct PersonTruth {
    /// Their e-mail.
    pub person: String,
    /// Their team.
    pub team: String,
    /// Whether their team is an engineering team.
    pub engineer: bool,
    /// When they left, if they did.
    pub left_at: Option<DateTime<Utc>>,
}

/// A training completion the LMS export lists.
#[derive(Debug, Clone, Serialize)]
pub struct TrainingTruth {
    /// Whose.
    pub person: String,
    /// Whether it is a security course.
    pub security: bool,
    /// When it was completed.
    pub completed_at: DateTime<Utc>,
    /// When its certificate expires, if it does.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A permission a person (or nobody) held over an interval, as q4 shows it.
#[derive(Debug, Clone, Serialize)]
pub struct HeldTruth {
    /// The person it maps to; none for a principal nobody maps.
    pub person: Option<String>,
    /// The principal holding it (`provider scope name`), for the unmapped count.
    pub principal: String,
    /// The system (`aws`, `okta`, `gcp`).
    pub provider: String,
    /// Where it holds.
    pub scope: String,
    /// What kind of permission (`policy`, `group`, `role`, …).
    pub kind: String,
    /// Its name.
    pub name: String,
    /// `direct`, or `group <name>`.
    pub via: String,
    /// Whether it is privileged.
    pub privileged: bool,
    /// Held from …
    pub from: DateTime<Utc>,
    /// … until, if it ended.
    pub until: Option<DateTime<Utc>>,
    /// Whether only the IAM snapshots show it (it predates the trail): unknown before the
    /// first snapshot.
    pub snapshots_only: bool,
}

impl HeldTruth {
    /// Whether it was held at `t`.
    pub fn held_at(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && self.until.is_none_or(|u| u > t)
    }

    /// As q4 lists it: `provider scope kind name [(via group …)]`.
    pub fn shown(&self) -> String {
        let base = format!(
            "{} {} {} {}",
            self.provider, self.scope, self.kind, self.name
        );
        if self.via == "direct" {
            base
        } else {
            format!("{base} (via {})", self.via)
        }
    }
}

/// An exception of the access register.
#[derive(Debug, Clone, Serialize)]
pub struct AccessExceptionTruth {
    /// Its id.
    pub id: String,
    /// The person it covers.
    pub person: String,
    /// Its owner.
    pub owner: String,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// When it expires.
    pub expires: DateTime<Utc>,
}

/// What q4 must find (`truth.json`'s `access`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct AccessTruth {
    /// Everyone the HR export lists.
    pub people: Vec<PersonTruth>,
    /// When the HR exports were taken.
    pub hr_snapshots: Vec<DateTime<Utc>>,
    /// Every training completion.
    pub training: Vec<TrainingTruth>,
    /// Every permission of a user principal, direct or through a group, over its interval.
    pub held: Vec<HeldTruth>,
    /// The privileged permissions revoked from a user principal, with whose and when.
    pub revocations: Vec<(String, DateTime<Utc>)>,
    /// The access exceptions.
    pub exceptions: Vec<AccessExceptionTruth>,
    /// When each IAM event record happened (one `iam_events` row each), with the ingest
    /// source that reads it (`cloudtrail`, `okta`, `gcp`), in time order.
    #[serde(skip)]
    pub iam_event_times: Vec<(String, DateTime<Utc>)>,
    /// The IAM snapshots: their instant and how many `iam_state` rows each holds.
    pub iam_snapshots: Vec<(DateTime<Utc>, u64)>,
    /// Records written per file family.
    pub files: BTreeMap<String, u64>,
}

/// One permission edge of the model: a principal holds a permission over an interval.
#[derive(Debug, Clone)]
struct Edge {
    provider: &'static str,
    scope: &'static str,
    principal_kind: &'static str,
    principal: String,
    kind: &'static str,
    permission: String,
    privileged: bool,
    document: Option<Value>,
    from: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
    /// Whether its grant is a recorded event (else it predates the trail: snapshots only).
    granted_by_event: bool,
}

impl Edge {
    fn held_at(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && self.until.is_none_or(|u| u > t)
    }
}

/// A person as the generator keeps them: e-mail, team, aliases, when they left.
type Employee = (String, &'static str, Vec<String>, Option<DateTime<Utc>>);

fn ts(t: DateTime<Utc>) -> String {
    rfc3339(t, SecondsFormat::Secs)
}

fn ms(t: DateTime<Utc>) -> String {
    rfc3339(t, SecondsFormat::Millis)
}

/// Writes the people and access evidence under `out` and returns what q4 must find.
pub(crate) fn generate(
    out: &Path,
    start: NaiveDate,
    days: u32,
    seed: u64,
    maturity: Maturity,
) -> std::io::Result<AccessTruth> {
    let mut rng = Rng::new(seed ^ 0x0ACC_E550_0000_0004);
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let history_start = midnight(start);
    let end = history_start + Duration::days(i64::from(days.max(1)));
    let e =
        |days_before: i64, hours: i64| end - Duration::days(days_before) + Duration::hours(hours);
    let plants = maturity != Maturity::Enforced;
    let mut truth = AccessTruth::default();

    // People.
    let mut people: Vec<Employee> = (1..=10)
        .map(|i| {
            let name = format!("eng{i:02}");
            let team = ["platform", "payments", "web"][i % 3];
            (format!("{name}@acme.example"), team, vec![name], None)
        })
        .collect();
    if plants {
        for (name, team) in [
            ("alice", "platform"),
            ("bob", "payments"),
            ("carol", "web"),
            ("dave", "platform"),
            ("erin", "payments"),
            ("hank", "web"),
            ("frank", "finance"),
        ] {
            people.push((
                format!("{name}@acme.example"),
                team,
                vec![name.to_string()],
                None,
            ));
        }
        people.push((
            "gina@acme.example".into(),
            "platform",
            vec!["gina".into()],
            Some(e(30, 0)),
        ));
    }
    truth.people = people
        .iter()
        .map(|(person, team, _, left)| PersonTruth {
            person: person.clone(),
            team: team.to_string(),
            engineer: *team != "finance",
            left_at: *left,
        })
        .collect();

    // HR exports every 30 days at 06:00.
    fs::create_dir_all(out.join("hr"))?;
    let mut at = history_start + Duration::hours(6);
    while at < end {
        let mut csv = String::from("email,name,team,status,start_date,leave_date,aliases\n");
        for (person, team, aliases, left) in &people {
            let gone = left.is_some_and(|l| l <= at);
            csv.push_str(&format!(
                "{person},{},{team},{},2024-01-15,{},{}\n",
                person.split('@').next().unwrap_or_default(),
                if gone { "Terminated" } else { "Active" },
                left.filter(|_| gone)
                    .map(|l| l.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                aliases.join(";")
            ));
        }
        fs::write(out.join("hr").join(format!("{}.csv", ts(at))), csv)?;
        truth.hr_snapshots.push(at);
        at += Duration::days(30);
    }

    // Training.
    let mut training = Vec::new();
    if maturity != Maturity::None {
        for i in 1..=10i64 {
            // Every 180 days, from before the history so a year back is always covered.
            let mut t =
                history_start - Duration::days(170) + Duration::days(i * 9) + Duration::hours(10);
            while t < end {
                training.push((format!("eng{i:02}@acme.example"), true, t, None));
                t += Duration::days(180);
            }
            training.push((
                format!("eng{i:02}@acme.example"),
                false,
                history_start + Duration::days(i),
                None,
            ));
        }
        if plants {
            for (name, lapsed_days_before) in [
                ("alice", 35),
                ("bob", 15),
                ("carol", 400),
                ("dave", 5),
                ("erin", 55),
            ] {
                training.push((
                    format!("{name}@acme.example"),
                    true,
                    e(TRAINING_VALID_DAYS + lapsed_days_before, 0),
                    None,
                ));
            }
            training.push(("hank@acme.example".into(), true, e(100, 0), Some(e(7, 0))));
        }
    }
    fs::create_dir_all(out.join("lms"))?;
    let mut csv = String::from("email,course_id,course,status,completed_at,expires_at\n");
    for (person, security, at, expires) in &training {
        let (id, title) = if *security {
            ("SEC-101", "Secure Coding Fundamentals")
        } else {
            ("HR-7", "Workplace Conduct")
        };
        csv.push_str(&format!(
            "{person},{id},{title},Completed,{},{}\n",
            ts(*at),
            expires.map(ts).unwrap_or_default()
        ));
    }
    if maturity != Maturity::None {
        // An enrolment, not a completion.
        csv.push_str("eng01@acme.example,SEC-201,Threat Modelling,In Progress,,\n");
    }
    fs::write(out.join("lms").join("completions.csv"), csv)?;
    truth.training = training
        .iter()
        .map(|(person, security, at, expires)| TrainingTruth {
            person: person.clone(),
            security: *security,
            completed_at: *at,
            expires_at: *expires,
        })
        .collect();

    // Permissions.
    let long_ago = history_start - Duration::days(400);
    let everything = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let aws = |kind: &'static str,
               principal_kind: &'static str,
               principal: &str,
               permission_kind,
               permission: &str,
               privileged| Edge {
        provider: "aws",
        scope: AWS_ACCOUNT,
        principal_kind,
        principal: principal.to_string(),
        kind: permission_kind,
        permission: permission.to_string(),
        privileged,
        document: None,
        from: long_ago,
        until: None,
        granted_by_event: kind == "event",
    };
    let mut edges: Vec<Edge> = Vec::new();
    edges.push(aws(
        "baseline",
        "group",
        "platform-admins",
        "policy",
        ADMIN,
        true,
    ));
    edges.push(aws(
        "baseline",
        "role",
        "ci-deploy",
        "policy",
        DEPLOYER,
        true,
    ));
    for i in 1..=10 {
        let name = format!("eng{i:02}");
        edges.push(aws("baseline", "user", &name, "account", "iam-user", false));
        edges.push(aws("baseline", "user", &name, "policy", READ_ONLY, false));
        edges.push(Edge {
            provider: "okta",
            scope: OKTA_ORG,
            principal_kind: "user",
            principal: format!("{name}@acme.example"),
            kind: "group",
            permission: "Engineering".into(),
            privileged: false,
            document: None,
            from: history_start + Duration::hours(1) + Duration::minutes(i),
            until: None,
            granted_by_event: true,
        });
    }
    if plants {
        edges.push(aws(
            "baseline", "user", "alice", "account", "iam-user", false,
        ));
        edges.push(aws(
            "baseline",
            "user",
            "alice",
            "group",
            "platform-admins",
            false,
        ));
        edges.push(aws(
            "baseline",
            "user",
            "break-glass",
            "account",
            "iam-user",
            false,
        ));
        edges.push(aws(
            "baseline",
            "user",
            "break-glass",
            "policy",
            ADMIN,
            true,
        ));
        edges.push(aws(
            "baseline", "user", "erin", "account", "iam-user", false,
        ));
        let mut inline = aws("event", "user", "erin", "inline_policy", "ops-all", true);
        inline.document = Some(everything.clone());
        inline.from = e(100, 3);
        edges.push(inline);
        let mut assignment = aws(
            "event",
            "user",
            DAVE_STORE_ID,
            "permission_set",
            ADMIN_SET,
            true,
        );
        assignment.from = e(200, 2);
        edges.push(assignment);
        let okta =
            |principal: &str, kind: &'static str, permission: &str, privileged, from, until| Edge {
                provider: "okta",
                scope: OKTA_ORG,
                principal_kind: "user",
                principal: principal.to_string(),
                kind,
                permission: permission.to_string(),
                privileged,
                document: None,
                from,
                until,
                granted_by_event: true,
            };
        edges.push(okta(
            "bob@acme.example",
            "admin_role",
            "Super administrator",
            true,
            e(300, 4),
            Some(e(10, 4)),
        ));
        edges.push(okta(
            "gina@acme.example",
            "app",
            "AWS Console",
            false,
            history_start + Duration::hours(2),
            Some(e(30, 1)),
        ));
        let gcp = |from, until| Edge {
            provider: "gcp",
            scope: GCP_PROJECT,
            principal_kind: "user",
            principal: "carol@acme.example".into(),
            kind: "role",
            permission: "roles/owner".into(),
            privileged: true,
            document: None,
            from,
            until,
            granted_by_event: true,
        };
        edges.push(gcp(e(40, 5), Some(e(20, 5))));
        edges.push(gcp(e(5, 5), None));
    }

    // Who each user principal is, as the people source's aliases say.
    let alias_of = |principal: &str| -> Option<String> {
        if principal.contains('@') {
            return Some(principal.to_string());
        }
        if principal == DAVE_STORE_ID {
            return Some("dave@acme.example".into());
        }
        people
            .iter()
            .find(|(_, _, aliases, _)| aliases.iter().any(|a| a == principal))
            .map(|(p, ..)| p.clone())
    };
    // Gina's Okta account is deactivated when she leaves: she holds nothing there after.
    let deactivated = plants.then(|| ("gina@acme.example", e(30, 1)));
    for edge in edges
        .iter()
        .filter(|e| e.principal_kind == "user" && e.kind != "account")
    {
        let person = alias_of(&edge.principal);
        let until = match deactivated {
            Some((who, at)) if edge.principal == who && edge.provider == "okta" => {
                Some(edge.until.map_or(at, |u| u.min(at)))
            }
            _ => edge.until,
        };
        let principal = format!("{} {} {}", edge.provider, edge.scope, edge.principal);
        let held = |g: &Edge, via: String, from, until| HeldTruth {
            person: person.clone(),
            principal: principal.clone(),
            provider: g.provider.to_string(),
            scope: g.scope.to_string(),
            kind: g.kind.to_string(),
            name: g.permission.clone(),
            via,
            privileged: g.privileged,
            from,
            until,
            snapshots_only: !g.granted_by_event || !edge.granted_by_event,
        };
        truth
            .held
            .push(held(edge, "direct".into(), edge.from, until));
        if edge.kind == "group" {
            for group in edges.iter().filter(|g| {
                g.principal_kind == "group"
                    && g.provider == edge.provider
                    && g.scope == edge.scope
                    && g.principal == edge.permission
            }) {
                let from = edge.from.max(group.from);
                let until = match (until, group.until) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                truth.held.push(held(
                    group,
                    format!("group {}", edge.permission),
                    from,
                    until,
                ));
            }
        }
        if let (Some(revoked), true) = (edge.until, edge.privileged)
            && let Some(person) = &person
        {
            truth.revocations.push((person.clone(), revoked));
        }
    }
    truth.revocations.sort_by_key(|(_, t)| *t);

    // IAM snapshots every 30 days at 06:00: the account's state then.
    let snapshot_dir = out.join("aws-iam").join(AWS_ACCOUNT);
    fs::create_dir_all(&snapshot_dir)?;
    let mut at = history_start + Duration::hours(6);
    while at < end {
        let (body, rows) = authorization_details(&edges, at, &everything);
        fs::write(
            snapshot_dir.join(format!("{}.json", ts(at))),
            serde_json::to_vec_pretty(&body)?,
        )?;
        truth.iam_snapshots.push((at, rows));
        at += Duration::days(30);
    }

    // The events: CloudTrail, Okta, GCP, by day.
    let mut trail: BTreeMap<NaiveDate, Vec<Value>> = BTreeMap::new();
    let mut okta: BTreeMap<NaiveDate, Vec<Value>> = BTreeMap::new();
    let mut gcp: BTreeMap<NaiveDate, Vec<Value>> = BTreeMap::new();
    let mut n = 0u64;
    let mut id = |rng: &mut Rng| {
        n += 1;
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            rng.bits() as u32,
            n & 0xffff,
            n % 4096,
            rng.below(4096),
            rng.bits() & 0xffff_ffff_ffff
        )
    };
    for edge in &edges {
        let changes = std::iter::once((edge.from, true))
            .filter(|_| edge.granted_by_event)
            .chain(edge.until.map(|u| (u, false)));
        for (t, grant) in changes {
            // Gina's deactivation ends her app membership: no revoke of its own.
            if !grant
                && edge.provider == "okta"
                && deactivated.is_some_and(|(w, at)| edge.principal == w && at == t)
            {
                continue;
            }
            let record = match edge.provider {
                "aws" => cloudtrail_change(edge, t, grant, &id(&mut rng)),
                "okta" => okta_change(edge, t, grant, &id(&mut rng)),
                _ => gcp_change(edge, t, grant, &id(&mut rng)),
            };
            let day = t.date_naive();
            let source = match edge.provider {
                "aws" => {
                    trail.entry(day).or_default().push(record);
                    "cloudtrail"
                }
                "okta" => {
                    okta.entry(day).or_default().push(record);
                    "okta"
                }
                _ => {
                    gcp.entry(day).or_default().push(record);
                    "gcp"
                }
            };
            truth.iam_event_times.push((source.into(), t));
        }
    }
    if let Some((who, at)) = deactivated {
        okta.entry(at.date_naive()).or_default().push(okta_event(
            &id(&mut rng),
            at,
            "user.lifecycle.deactivate",
            vec![
                json!({"id": "00ugina", "type": "User", "alternateId": who, "displayName": "gina"}),
            ],
            None,
        ));
        truth.iam_event_times.push(("okta".into(), at));
    }
    // Daily use: an engineer's SSO sign-in to AWS, a sign-in to Okta, a change to a GCP
    // instance (no IAM change).
    let mut day = start;
    while midnight(day) < end {
        let t = midnight(day) + Duration::hours(9) + Duration::minutes(rng.below(120) as i64);
        let session = if plants { "dsmith" } else { "eng01" };
        trail
            .entry(day)
            .or_default()
            .push(assume_role_with_saml(&id(&mut rng), t, session));
        truth.iam_event_times.push(("cloudtrail".into(), t));
        let t = t + Duration::minutes(3);
        okta.entry(day).or_default().push(okta_event(
            &id(&mut rng),
            t,
            "user.session.start",
            vec![],
            Some("eng02@acme.example"),
        ));
        truth.iam_event_times.push(("okta".into(), t));
        let t = t + Duration::minutes(3);
        gcp.entry(day)
            .or_default()
            .push(gcp_activity(&id(&mut rng), t));
        truth.iam_event_times.push(("gcp".into(), t));
        day += Duration::days(1);
    }
    truth.iam_event_times.sort_by_key(|(_, t)| *t);

    let trail_root = out.join("cloudtrail").join("AWSLogs").join(AWS_ACCOUNT);
    let mut trail_records = 0;
    for (day, records) in &trail {
        let dir = trail_root.join(format!("CloudTrail/us-east-1/{}", day.format("%Y/%m/%d")));
        fs::create_dir_all(&dir)?;
        let name = format!(
            "{AWS_ACCOUNT}_CloudTrail_us-east-1_{}T0005Z_{:016x}.json.gz",
            day.format("%Y%m%d"),
            rng.bits()
        );
        fs::write(
            dir.join(name),
            gzip(&serde_json::to_vec(&json!({"Records": records}))?)?,
        )?;
        trail_records += records.len() as u64;
        let digest_dir = trail_root.join(format!(
            "CloudTrail-Digest/us-east-1/{}",
            day.format("%Y/%m/%d")
        ));
        fs::create_dir_all(&digest_dir)?;
        let digest = json!({"awsAccountId": AWS_ACCOUNT, "digestStartTime": format!("{}T00:00:00Z", day),
            "digestEndTime": format!("{}T23:59:59Z", day), "digestS3Bucket": "acme-trail", "logFiles": []});
        fs::write(
            digest_dir.join(format!(
                "{AWS_ACCOUNT}_CloudTrail-Digest_us-east-1_acme_us-east-1_{}T235959Z.json.gz",
                day.format("%Y%m%d")
            )),
            gzip(&serde_json::to_vec(&digest)?)?,
        )?;
    }
    fs::create_dir_all(out.join("okta"))?;
    let mut okta_events = 0;
    for (day, events) in &okta {
        fs::write(
            out.join("okta").join(format!("{day}.json")),
            serde_json::to_vec(events)?,
        )?;
        okta_events += events.len() as u64;
    }
    fs::create_dir_all(out.join("gcp-audit"))?;
    let mut gcp_entries = 0;
    for (day, entries) in &gcp {
        let mut lines = Vec::new();
        for entry in entries {
            lines.extend(serde_json::to_vec(entry)?);
            lines.push(b'\n');
        }
        fs::write(out.join("gcp-audit").join(format!("{day}.json")), lines)?;
        gcp_entries += entries.len() as u64;
    }

    // The access exceptions register.
    if plants {
        truth.exceptions = vec![
            AccessExceptionTruth {
                id: "EXC-ACCESS-0001".into(),
                person: "dave@acme.example".into(),
                owner: "security-lead@acme.example".into(),
                created: e(6, 0),
                expires: e(-30, 0),
            },
            AccessExceptionTruth {
                id: "EXC-ACCESS-0002".into(),
                person: "erin@acme.example".into(),
                owner: "security-lead@acme.example".into(),
                created: e(60, 0),
                expires: e(10, 0),
            },
        ];
    }
    let mut register =
        String::from("# Access and training exceptions (written by evlake generate).\nexceptions:");
    register.push_str(if truth.exceptions.is_empty() {
        " []\n"
    } else {
        "\n"
    });
    for x in &truth.exceptions {
        register.push_str(&format!(
            "  - id: {}\n    control: access\n    scope: person:{}\n    owner: {}\n    reason: \"production access while training is renewed\"\n    created: {}\n    expires: {}\n",
            x.id, x.person, x.owner, ts(x.created), ts(x.expires)
        ));
    }
    fs::write(out.join("access-exceptions.yaml"), register)?;

    truth.files = BTreeMap::from([
        ("hr_exports".to_string(), truth.hr_snapshots.len() as u64),
        (
            "training_completions".to_string(),
            truth.training.len() as u64,
        ),
        (
            "iam_snapshots".to_string(),
            truth.iam_snapshots.len() as u64,
        ),
        ("cloudtrail_records".to_string(), trail_records),
        ("okta_events".to_string(), okta_events),
        ("gcp_entries".to_string(), gcp_entries),
    ]);
    Ok(truth)
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes)?;
    gz.finish()
}

/// `aws iam get-account-authorization-details` at `at`, and the `iam_state` rows it makes.
fn authorization_details(edges: &[Edge], at: DateTime<Utc>, everything: &Value) -> (Value, u64) {
    let held = |kind: &str| -> BTreeMap<String, Vec<&Edge>> {
        let mut by: BTreeMap<String, Vec<&Edge>> = BTreeMap::new();
        for e in edges.iter().filter(|e| {
            e.provider == "aws"
                && e.principal_kind == kind
                && e.kind != "permission_set"
                && e.held_at(at)
        }) {
            by.entry(e.principal.clone()).or_default().push(e);
        }
        by
    };
    let mut rows = 0u64;
    let attached = |es: &[&Edge], rows: &mut u64| -> Value {
        let list: Vec<Value> = es
            .iter()
            .filter(|e| e.kind == "policy")
            .map(|e| json!({"PolicyName": e.permission.rsplit('/').next(), "PolicyArn": e.permission}))
            .collect();
        *rows += list.len() as u64;
        Value::Array(list)
    };
    let mut users = Vec::new();
    for (name, es) in held("user") {
        let inline: Vec<Value> = es
            .iter()
            .filter(|e| e.kind == "inline_policy")
            .map(|e| json!({"PolicyName": e.permission, "PolicyDocument": e.document}))
            .collect();
        let groups: Vec<&str> = es
            .iter()
            .filter(|e| e.kind == "group")
            .map(|e| e.permission.as_str())
            .collect();
        let account = es.iter().any(|e| e.kind == "account");
        rows += inline.len() as u64 + groups.len() as u64 + u64::from(account);
        users.push(json!({"Path": "/", "UserName": name, "UserId": format!("AIDA{:016X}", Rng::mix(name.len() as u64)),
            "Arn": format!("arn:aws:iam::{AWS_ACCOUNT}:user/{name}"), "CreateDate": "2024-01-15T10:00:00+00:00",
            "UserPolicyList": inline, "GroupList": groups, "AttachedManagedPolicies": attached(&es, &mut rows), "Tags": []}));
    }
    let mut groups = Vec::new();
    for (name, es) in held("group") {
        groups.push(json!({"Path": "/", "GroupName": name, "GroupId": format!("AGPA{:016X}", Rng::mix(name.len() as u64 + 1)),
            "Arn": format!("arn:aws:iam::{AWS_ACCOUNT}:group/{name}"), "CreateDate": "2024-01-15T10:00:00+00:00",
            "GroupPolicyList": [], "AttachedManagedPolicies": attached(&es, &mut rows)}));
    }
    let mut roles = Vec::new();
    for (name, es) in held("role") {
        roles.push(json!({"Path": "/", "RoleName": name, "RoleId": format!("AROA{:016X}", Rng::mix(name.len() as u64 + 2)),
            "Arn": format!("arn:aws:iam::{AWS_ACCOUNT}:role/{name}"), "CreateDate": "2024-01-15T10:00:00+00:00",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Federated": format!("arn:aws:iam::{AWS_ACCOUNT}:oidc-provider/token.actions.githubusercontent.com")},
                "Action": "sts:AssumeRoleWithWebIdentity"}]},
            "InstanceProfileList": [], "RolePolicyList": [], "AttachedManagedPolicies": attached(&es, &mut rows), "Tags": []}));
    }
    let version = |document: Value| json!([{"Document": document, "VersionId": "v1", "IsDefaultVersion": true, "CreateDate": "2024-01-15T10:00:00+00:00"}]);
    let policies = vec![
        json!({"PolicyName": "AdministratorAccess", "PolicyId": "ANPAIWMBCKSKIEE64ZLYK", "Arn": ADMIN, "Path": "/",
            "DefaultVersionId": "v1", "AttachmentCount": 2, "IsAttachable": true, "PolicyVersionList": version(everything.clone())}),
        json!({"PolicyName": "ReadOnlyAccess", "PolicyId": "ANPAILL3HVNFSB6DCOWYQ", "Arn": READ_ONLY, "Path": "/",
            "DefaultVersionId": "v1", "AttachmentCount": 10, "IsAttachable": true,
            "PolicyVersionList": version(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "ec2:Describe*", "iam:Get*", "iam:List*"], "Resource": "*"}]}))}),
        json!({"PolicyName": "deployer", "PolicyId": "ANPAEXAMPLEDEPLOYER01", "Arn": DEPLOYER, "Path": "/",
            "DefaultVersionId": "v1", "AttachmentCount": 1, "IsAttachable": true,
            "PolicyVersionList": version(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ecs:UpdateService", "iam:PassRole", "ec2:RunInstances"], "Resource": "*"}]}))}),
    ];
    rows += policies.len() as u64;
    (
        json!({"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": policies, "IsTruncated": false}),
        rows,
    )
}

/// The identity of the administrator making every change: an SSO session.
fn admin_identity() -> Value {
    json!({"type": "AssumedRole", "principalId": "AROAEXAMPLEADMINROLE:ops@acme.example",
        "arn": format!("arn:aws:sts::{AWS_ACCOUNT}:assumed-role/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b/ops@acme.example"),
        "accountId": AWS_ACCOUNT, "accessKeyId": "ASIAEXAMPLE000000001",
        "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEADMINROLE",
            "arn": format!("arn:aws:iam::{AWS_ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b"),
            "accountId": AWS_ACCOUNT, "userName": "AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b"},
            "attributes": {"creationDate": "2026-01-01T00:00:00Z", "mfaAuthenticated": "false"}}})
}

fn cloudtrail(
    id: &str,
    at: DateTime<Utc>,
    source: &str,
    name: &str,
    request: Value,
    response: Value,
    identity: Value,
) -> Value {
    json!({"eventVersion": "1.09", "userIdentity": identity, "eventTime": ts(at), "eventSource": source,
        "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.10", "userAgent": "aws-cli/2.15.0",
        "requestParameters": request, "responseElements": response, "requestID": id.replace('-', "").chars().rev().collect::<String>(),
        "eventID": id, "readOnly": false, "eventType": "AwsApiCall", "managementEvent": true,
        "recipientAccountId": AWS_ACCOUNT, "eventCategory": "Management"})
}

fn cloudtrail_change(edge: &Edge, at: DateTime<Utc>, grant: bool, id: &str) -> Value {
    let (source, name, request) = match (edge.principal_kind, edge.kind) {
        ("user", "policy") => (
            "iam.amazonaws.com",
            if grant {
                "AttachUserPolicy"
            } else {
                "DetachUserPolicy"
            },
            json!({"userName": edge.principal, "policyArn": edge.permission}),
        ),
        ("group", "policy") => (
            "iam.amazonaws.com",
            if grant {
                "AttachGroupPolicy"
            } else {
                "DetachGroupPolicy"
            },
            json!({"groupName": edge.principal, "policyArn": edge.permission}),
        ),
        ("role", "policy") => (
            "iam.amazonaws.com",
            if grant {
                "AttachRolePolicy"
            } else {
                "DetachRolePolicy"
            },
            json!({"roleName": edge.principal, "policyArn": edge.permission}),
        ),
        ("user", "inline_policy") => (
            "iam.amazonaws.com",
            if grant {
                "PutUserPolicy"
            } else {
                "DeleteUserPolicy"
            },
            if grant {
                json!({"userName": edge.principal, "policyName": edge.permission,
                    "policyDocument": serde_json::to_string_pretty(&edge.document).unwrap_or_default()})
            } else {
                json!({"userName": edge.principal, "policyName": edge.permission})
            },
        ),
        ("user", "group") => (
            "iam.amazonaws.com",
            if grant {
                "AddUserToGroup"
            } else {
                "RemoveUserFromGroup"
            },
            json!({"groupName": edge.permission, "userName": edge.principal}),
        ),
        ("user", "account") => (
            "iam.amazonaws.com",
            if grant { "CreateUser" } else { "DeleteUser" },
            json!({"userName": edge.principal}),
        ),
        _ => (
            "sso.amazonaws.com",
            if grant {
                "CreateAccountAssignment"
            } else {
                "DeleteAccountAssignment"
            },
            json!({"instanceArn": "arn:aws:sso:::instance/ssoins-7223a1b2c3d4e5f6", "targetId": edge.scope,
                "targetType": "AWS_ACCOUNT", "permissionSetArn": edge.permission,
                "principalType": edge.principal_kind.to_ascii_uppercase(), "principalId": edge.principal}),
        ),
    };
    cloudtrail(id, at, source, name, request, Value::Null, admin_identity())
}

fn assume_role_with_saml(id: &str, at: DateTime<Utc>, session: &str) -> Value {
    let role = format!(
        "arn:aws:iam::{AWS_ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnly_1a2b"
    );
    let mut record = cloudtrail(
        id,
        at,
        "sts.amazonaws.com",
        "AssumeRoleWithSAML",
        json!({"sAMLAssertionID": format!("_{}", &id[..8]), "roleSessionName": session, "roleArn": role,
            "principalArn": format!("arn:aws:iam::{AWS_ACCOUNT}:saml-provider/AWSSSO_0a1b_DO_NOT_DELETE"), "durationSeconds": 43200}),
        json!({"assumedRoleUser": {"assumedRoleId": format!("AROAEXAMPLEREADONLY:{session}"),
            "arn": format!("arn:aws:sts::{AWS_ACCOUNT}:assumed-role/AWSReservedSSO_ReadOnly_1a2b/{session}")},
            "subjectType": "persistent", "audience": "https://signin.aws.amazon.com/saml"}),
        json!({"type": "SAMLUser", "principalId": format!("k9Yl0Tj8s0nS1hA0example:{session}"), "userName": session,
            "identityProvider": "k9Yl0Tj8s0nS1hA0example"}),
    );
    record["readOnly"] = json!(true);
    record
}

fn okta_event(
    uuid: &str,
    at: DateTime<Utc>,
    event_type: &str,
    target: Vec<Value>,
    actor: Option<&str>,
) -> Value {
    json!({"uuid": uuid, "published": ms(at), "eventType": event_type, "version": "0", "severity": "INFO",
        "legacyEventType": Value::Null, "displayMessage": event_type,
        "actor": {"id": "00uadmin", "type": "User", "alternateId": actor.unwrap_or("it-admin@acme.example"), "displayName": "IT Admin"},
        "client": {"ipAddress": "203.0.113.20", "userAgent": {"rawUserAgent": "Mozilla/5.0", "os": "Mac OS X", "browser": "CHROME"},
            "zone": "null", "device": "Computer"},
        "outcome": {"result": "SUCCESS"}, "target": target, "transaction": {"type": "WEB", "id": &uuid[..8]},
        "debugContext": {"debugData": {"requestId": &uuid[..8]}}, "authenticationContext": {}, "securityContext": {}})
}

fn okta_change(edge: &Edge, at: DateTime<Utc>, grant: bool, uuid: &str) -> Value {
    let user = json!({"id": format!("00u{}", &uuid[..6]), "type": "User", "alternateId": edge.principal,
        "displayName": edge.principal.split('@').next()});
    match edge.kind {
        "admin_role" => {
            let mut event = okta_event(
                uuid,
                at,
                if grant {
                    "user.account.privilege.grant"
                } else {
                    "user.account.privilege.revoke"
                },
                vec![user],
                None,
            );
            let key = if grant {
                "privilegeGranted"
            } else {
                "privilegeRevoked"
            };
            event["debugContext"]["debugData"][key] = json!(edge.permission);
            event
        }
        "app" => okta_event(
            uuid,
            at,
            if grant {
                "application.user_membership.add"
            } else {
                "application.user_membership.remove"
            },
            vec![
                user,
                json!({"id": "0oaawsconsole", "type": "AppInstance", "alternateId": "aws_console", "displayName": edge.permission}),
            ],
            None,
        ),
        _ => okta_event(
            uuid,
            at,
            if grant {
                "group.user_membership.add"
            } else {
                "group.user_membership.remove"
            },
            vec![
                user,
                json!({"id": "00gengineering", "type": "UserGroup", "alternateId": "unknown", "displayName": edge.permission}),
            ],
            None,
        ),
    }
}

/// An admin-activity entry that changes no IAM policy: an instance's metadata set.
fn gcp_activity(id: &str, at: DateTime<Utc>) -> Value {
    json!({"protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "status": {},
            "authenticationInfo": {"principalEmail": "eng03@acme.example"},
            "requestMetadata": {"callerIp": "203.0.113.30", "callerSuppliedUserAgent": "google-cloud-sdk gcloud/480.0.0"},
            "serviceName": "compute.googleapis.com", "methodName": "v1.compute.instances.setMetadata",
            "authorizationInfo": [{"resource": "projects/acme-prod/zones/europe-west1-b/instances/build-1",
                "permission": "compute.instances.setMetadata", "granted": true}],
            "resourceName": "projects/acme-prod/zones/europe-west1-b/instances/build-1"},
        "insertId": id, "resource": {"type": "gce_instance", "labels": {"project_id": "acme-prod", "zone": "europe-west1-b"}},
        "timestamp": rfc3339(at, SecondsFormat::Micros), "severity": "NOTICE",
        "logName": "projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity",
        "receiveTimestamp": rfc3339(at + Duration::seconds(1), SecondsFormat::Micros)})
}

fn gcp_change(edge: &Edge, at: DateTime<Utc>, grant: bool, id: &str) -> Value {
    json!({"protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "status": {},
            "authenticationInfo": {"principalEmail": "ops@acme.example"},
            "requestMetadata": {"callerIp": "203.0.113.10", "callerSuppliedUserAgent": "google-cloud-sdk gcloud/480.0.0"},
            "serviceName": "cloudresourcemanager.googleapis.com", "methodName": "SetIamPolicy",
            "authorizationInfo": [{"resource": edge.scope, "permission": "resourcemanager.projects.setIamPolicy", "granted": true}],
            "resourceName": edge.scope,
            "serviceData": {"@type": "type.googleapis.com/google.iam.v1.logging.AuditData",
                "policyDelta": {"bindingDeltas": [{"action": if grant { "ADD" } else { "REMOVE" }, "role": edge.permission,
                    "member": format!("user:{}", edge.principal)}]}}},
        "insertId": id, "resource": {"type": "project", "labels": {"project_id": "acme-prod"}},
        "timestamp": rfc3339(at, SecondsFormat::Micros), "severity": "NOTICE",
        "logName": "projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity",
        "receiveTimestamp": rfc3339(at + Duration::seconds(1), SecondsFormat::Micros)})
}

/// CloudTrail at volume, for the ingest benchmark: `total` management-event records spread
/// evenly over `days` days from `start`, in gzip log files of the S3 delivery layout under
/// `out` (`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/…json.gz`, up to 2,000 records
/// each, as CloudTrail batches them): mostly read-only calls by engineers' SSO sessions, a
/// share of role assumptions, and one in fifty an IAM policy attached or detached. Returns the
/// bytes of JSON written before compression.
pub fn cloudtrail_volume(
    out: &Path,
    total: u64,
    start: NaiveDate,
    days: u32,
    seed: u64,
) -> std::io::Result<u64> {
    const PER_FILE: usize = 2_000;
    const READS: &[(&str, &str)] = &[
        ("ec2.amazonaws.com", "DescribeInstances"),
        ("s3.amazonaws.com", "ListBuckets"),
        ("ecs.amazonaws.com", "DescribeServices"),
        ("logs.amazonaws.com", "DescribeLogGroups"),
        ("iam.amazonaws.com", "GetRole"),
        ("kms.amazonaws.com", "Decrypt"),
    ];
    let mut rng = Rng::new(seed ^ 0xC10D_7A11_0000_0005);
    let begin = start.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let span = Duration::days(i64::from(days.max(1)))
        .num_microseconds()
        .expect("in range");
    let step = (span / total.max(1) as i64).max(1);
    let root = out
        .join("AWSLogs")
        .join(AWS_ACCOUNT)
        .join("CloudTrail/us-east-1");
    let (mut written, mut batch, mut day) = (0u64, Vec::with_capacity(PER_FILE), None);
    let flush = |batch: &mut Vec<Value>, day: NaiveDate, rng: &mut Rng| -> std::io::Result<u64> {
        if batch.is_empty() {
            return Ok(0);
        }
        let dir = root.join(day.format("%Y/%m/%d").to_string());
        fs::create_dir_all(&dir)?;
        let body = serde_json::to_vec(&json!({ "Records": batch }))?;
        let name = format!(
            "{AWS_ACCOUNT}_CloudTrail_us-east-1_{}T0005Z_{:016x}.json.gz",
            day.format("%Y%m%d"),
            rng.bits()
        );
        fs::write(dir.join(name), gzip(&body)?)?;
        batch.clear();
        Ok(body.len() as u64)
    };
    for k in 0..total {
        let at = begin + Duration::microseconds(k as i64 * step);
        let today = at.date_naive();
        if day != Some(today) || batch.len() == PER_FILE {
            if let Some(d) = day {
                written += flush(&mut batch, d, &mut rng)?;
            }
            day = Some(today);
        }
        let id = format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            (k >> 32) as u32 ^ seed as u32,
            (k >> 16) & 0xffff,
            k & 0xfff,
            (k >> 12) & 0xf,
            k ^ (rng.bits() & 0xffff_0000_0000)
        );
        let engineer = format!("eng{:04}", rng.below(2_000));
        let record = match k % 50 {
            0 | 1 => {
                let edge = Edge {
                    provider: "aws",
                    scope: AWS_ACCOUNT,
                    principal_kind: "user",
                    principal: engineer,
                    kind: "policy",
                    permission: READ_ONLY.into(),
                    privileged: false,
                    document: None,
                    from: at,
                    until: None,
                    granted_by_event: true,
                };
                cloudtrail_change(&edge, at, k % 50 == 0, &id)
            }
            2..=6 => assume_role_with_saml(&id, at, &engineer),
            _ => {
                let (source, name) = READS[(k % READS.len() as u64) as usize];
                let identity = json!({"type": "AssumedRole", "principalId": format!("AROAEXAMPLEREADONLY:{engineer}@acme.example"),
                    "arn": format!("arn:aws:sts::{AWS_ACCOUNT}:assumed-role/AWSReservedSSO_ReadOnly_1a2b/{engineer}@acme.example"),
                    "accountId": AWS_ACCOUNT, "accessKeyId": format!("ASIA{:016X}", k),
                    "sessionContext": {"attributes": {"creationDate": ts(at - Duration::hours(1)), "mfaAuthenticated": "false"}}});
                let mut record =
                    cloudtrail(&id, at, source, name, Value::Null, Value::Null, identity);
                record["readOnly"] = json!(true);
                record
            }
        };
        batch.push(record);
    }
    if let Some(d) = day {
        written += flush(&mut batch, d, &mut rng)?;
    }
    Ok(written)
}
