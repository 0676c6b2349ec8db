//! The inventory side of the synthetic organisation (q3): the Backstage catalog archived
//! every day at 06:00 UTC as the catalog API's `by-query` pages (one day missed), and the
//! AWS Config history and snapshot files of each service's ECS service in the S3 delivery
//! layout, with what q3 must find planted in [`InventoryTruth`].
//!
//! Every service `svc-NNNN` of the organisation is a Component owned by a team of two
//! engineers, reviewed every 180 days (the `acme.io/last-security-review` annotation), and
//! runs as an ECS service tagged with its service, team and environment. In the `advisory`
//! (and `scanning`) organisation the generator plants, each on a production service:
//!
//! | service | plant |
//! |---|---|
//! | svc-0001 | no `spec.owner` (`without_owner`) |
//! | svc-0002 | owned by `team-empty`, a group nobody is a member of (`owner_unresolvable`) |
//! | svc-0003 | no review annotation; its Jira review issue is still open (`without_review`) |
//! | svc-0004 | last reviewed 400 days before the history (`review_stale`) |
//! | svc-0005 | never in the catalog, no resource: deploys and alerts anyway (`shadow_service`) |
//! | svc-0006 | removed from the catalog and its resource deleted 45 days before the end, still deploying (`decommissioned_deploying`) |
//! | svc-0007 | reviewed in Jira, not by annotation: a resolved `Security Review` issue naming it as component every 180 days (`reviewed_in_jira`, no finding) |
//!
//! and, in every organisation with a catalog, `svc-retired` (removed 50 days before the end,
//! quiet since) and `svc-new` (added 20 days before the end: never in an inventory 30 days
//! before any instant of the history). With `enforced` nothing is planted but those two;
//! with `none` there is no catalog and no AWS Config, so every service running is forgotten.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Datelike, Duration, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use crate::{Maturity, Rng, ts as rfc3339};

/// The AWS account and region the resources live in.
const ACCOUNT: &str = "123456789012";
const REGION: &str = "eu-west-1";
/// Entities per catalog API page.
const PAGE: usize = 500;
/// Days between a service's security reviews.
const REVIEW_EVERY_DAYS: i64 = 180;

/// An asset the generator put in the inventory, with when it was there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssetTruth {
    /// How q3 names it: the entity ref, or `aws:{account}:{region}:{type}:{id}`.
    pub asset_id: String,
    /// The component's or resource's name.
    pub name: String,
    /// `component` or `aws_resource`.
    pub asset_kind: String,
    /// In production scope (lifecycle `production`, or environment tag `production`).
    pub production: bool,
    /// Its owner's entity ref, if it names one.
    pub owner: Option<String>,
    /// Whether the owner is a group with members.
    pub owner_staffed: bool,
    /// From when it is listed: a catalog snapshot at or after this lists it; a resource
    /// exists from this capture time.
    pub listed_from: DateTime<Utc>,
    /// From when it is no longer listed (removed, or its resource deleted), if it is.
    pub listed_until: Option<DateTime<Utc>>,
    /// The days of its security reviews (a snapshot's annotation names the latest one on or
    /// before it), or with `jira_reviews` the instants its Jira review issues were resolved;
    /// none for a resource or component never reviewed.
    pub reviews: Vec<DateTime<Utc>>,
    /// Whether its reviews are Jira issues (naming it as their component) rather than the
    /// catalog annotation.
    pub jira_reviews: bool,
    /// What was planted on it, if anything.
    pub plant: Option<String>,
}

/// What the inventory side planted (part of `truth.json`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct InventoryTruth {
    /// The catalog's snapshot instants, in order.
    pub snapshots: Vec<DateTime<Utc>>,
    /// Every component and resource.
    pub assets: Vec<AssetTruth>,
    /// The Group and User entities in every snapshot.
    pub directory_entities: u64,
    /// The day the catalog missed.
    pub missed_day: Option<NaiveDate>,
    /// Services in production that no inventory lists, ever.
    pub shadow: Vec<String>,
    /// When each service not listed for the whole history was seen in production (its
    /// deployments' and their statuses' times, its runtime alerts' times), in order.
    pub activity: BTreeMap<String, Vec<DateTime<Utc>>>,
    /// Records written per file family.
    pub files: BTreeMap<String, u64>,
}

/// A service as the catalog lists it.
struct Service {
    name: String,
    lifecycle: &'static str,
    owner: Option<String>,
    reviews: Vec<DateTime<Utc>>,
    listed_from: DateTime<Utc>,
    listed_until: Option<DateTime<Utc>>,
    resource: bool,
    plant: Option<&'static str>,
}

/// Writes the catalog snapshots under `out/backstage` and AWS Config files under
/// `out/aws-config`, for `services` services over the `days` days from `start`;
/// `activity(service)` is when that service was seen in production.
pub(crate) fn generate(
    out: &Path,
    services: u32,
    start: NaiveDate,
    days: u32,
    seed: u64,
    maturity: Maturity,
    activity: impl Fn(&str) -> Vec<DateTime<Utc>>,
) -> std::io::Result<InventoryTruth> {
    if maturity == Maturity::None {
        // The archivers are configured but never exported anything: no inventory lists any
        // service, so every one that runs in production is forgotten by it.
        fs::create_dir_all(out.join("backstage"))?;
        fs::create_dir_all(out.join("aws-config"))?;
        let shadow: Vec<String> = (0..services).map(|i| format!("svc-{i:04}")).collect();
        let activity = shadow.iter().map(|s| (s.clone(), activity(s))).collect();
        return Ok(InventoryTruth {
            shadow,
            activity,
            ..InventoryTruth::default()
        });
    }
    let mut rng = Rng::new(seed ^ 0x1A7E_5707_0000_0003);
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let history_start = midnight(start);
    let end = start + Duration::days(i64::from(days.max(1)) - 1);
    let end_instant = midnight(end) + Duration::hours(6);
    let plants = maturity != Maturity::Enforced && services >= 8;
    let teams = services.div_ceil(10).max(2);
    let removed = |days_before_end: i64| {
        Some(end_instant - Duration::days(days_before_end) - Duration::hours(1))
    };

    let mut catalog = Vec::new();
    for i in 0..services {
        let name = format!("svc-{i:04}");
        let plant = if plants {
            match i {
                1 => Some("without_owner"),
                2 => Some("owner_unresolvable"),
                3 => Some("without_review"),
                4 => Some("review_stale"),
                5 => Some("shadow_service"),
                6 => Some("decommissioned_deploying"),
                7 => Some("reviewed_in_jira"),
                _ => None,
            }
        } else {
            None
        };
        let anchor = history_start - Duration::days(rng.below(REVIEW_EVERY_DAYS as u64) as i64);
        let reviews = match plant {
            Some("without_review") => Vec::new(),
            Some("review_stale") => vec![history_start - Duration::days(400)],
            // A Jira review is resolved in the afternoon, not at midnight like a date.
            Some("reviewed_in_jira") => (0..)
                .map(|k| anchor + Duration::days(k * REVIEW_EVERY_DAYS) + Duration::hours(14))
                .take_while(|t| *t <= end_instant)
                .collect(),
            _ => (0..)
                .map(|k| anchor + Duration::days(k * REVIEW_EVERY_DAYS))
                .take_while(|t| *t <= end_instant)
                .collect(),
        };
        let owner = match plant {
            Some("without_owner") => None,
            Some("owner_unresolvable") => Some("group:default/team-empty".to_string()),
            _ => Some(format!("group:default/team-{:02}", i % teams)),
        };
        catalog.push(Service {
            name,
            lifecycle: if i % 10 == 9 {
                "experimental"
            } else {
                "production"
            },
            owner,
            reviews,
            listed_from: history_start - Duration::days(30),
            listed_until: if plant == Some("decommissioned_deploying") {
                removed(45)
            } else {
                None
            },
            resource: plant != Some("shadow_service"),
            plant,
        });
    }
    for (name, from, until, plant) in [
        (
            "svc-retired",
            history_start - Duration::days(30),
            removed(50),
            "decommissioned",
        ),
        (
            "svc-new",
            end_instant - Duration::days(20) - Duration::hours(1),
            None,
            "added_late",
        ),
    ] {
        catalog.push(Service {
            name: name.to_string(),
            lifecycle: "production",
            owner: Some("group:default/team-00".to_string()),
            reviews: vec![history_start - Duration::days(10)],
            listed_from: from,
            listed_until: until,
            resource: false,
            plant: Some(plant),
        });
    }

    let missed_day = (days > 45).then(|| end - Duration::days(40));
    let dir = out.join("backstage");
    fs::create_dir_all(&dir)?;
    let mut snapshots = Vec::new();
    let (mut entities_written, mut pages) = (0u64, 0u64);
    for day in start.iter_days().take(days as usize) {
        if Some(day) == missed_day {
            continue;
        }
        let at = midnight(day) + Duration::hours(6);
        snapshots.push(at);
        let mut entities = Vec::new();
        for t in 0..teams {
            entities.push(group(&format!("team-{t:02}")));
            for m in 0..2 {
                entities.push(user(&format!("eng-{t:02}-{m}"), &format!("team-{t:02}")));
            }
        }
        if plants {
            entities.push(group("team-empty"));
        }
        for s in &catalog {
            let listed = s.plant != Some("shadow_service")
                && s.listed_from <= at
                && s.listed_until.is_none_or(|u| at < u);
            if listed {
                entities.push(component(s, at));
            }
        }
        entities_written += entities.len() as u64;
        let snapshot_dir = dir.join(rfc3339(at, SecondsFormat::Secs));
        fs::create_dir_all(&snapshot_dir)?;
        let chunks: Vec<&[Value]> = entities.chunks(PAGE).collect();
        for (n, items) in chunks.iter().enumerate() {
            let next = (n + 1 < chunks.len()).then(|| format!("eyJwYWdlIjo{n}fQ"));
            let page = json!({
                "items": items,
                "totalItems": entities.len(),
                "pageInfo": match next { Some(c) => json!({"nextCursor": c}), None => json!({}) },
            });
            fs::write(
                snapshot_dir.join(format!("page-{:03}.json", n + 1)),
                serde_json::to_vec(&page)?,
            )?;
            pages += 1;
        }
    }

    let items = aws_config(out, &catalog, start, days)?;
    let review_issues = jira_reviews(out, &catalog, end_instant)?;
    let mut assets = Vec::new();
    let mut watched = BTreeMap::new();
    for s in &catalog {
        if s.plant != Some("shadow_service") {
            assets.push(AssetTruth {
                asset_id: format!("component:default/{}", s.name),
                name: s.name.clone(),
                asset_kind: "component".into(),
                production: s.lifecycle == "production",
                owner: s.owner.clone(),
                owner_staffed: s
                    .owner
                    .as_deref()
                    .is_some_and(|o| o != "group:default/team-empty"),
                listed_from: s.listed_from,
                listed_until: s.listed_until,
                reviews: s.reviews.clone(),
                jira_reviews: s.plant == Some("reviewed_in_jira"),
                plant: s.plant.map(str::to_string),
            });
        }
        if s.resource {
            assets.push(AssetTruth {
                asset_id: format!(
                    "aws:{ACCOUNT}:{REGION}:AWS::ECS::Service:{}",
                    resource_id(&s.name)
                ),
                name: s.name.clone(),
                asset_kind: "aws_resource".into(),
                production: true,
                owner: Some(format!("group:default/team-{}", team_of(s))),
                owner_staffed: true,
                listed_from: s.listed_from,
                listed_until: s.listed_until,
                // A review issue names the service, which the resource is too.
                reviews: if s.plant == Some("reviewed_in_jira") {
                    s.reviews.clone()
                } else {
                    Vec::new()
                },
                jira_reviews: s.plant == Some("reviewed_in_jira"),
                plant: s.plant.map(str::to_string),
            });
        }
        if s.plant.is_some() {
            watched.insert(s.name.clone(), activity(&s.name));
        }
    }
    Ok(InventoryTruth {
        snapshots,
        assets,
        directory_entities: u64::from(teams) * 3 + u64::from(plants),
        missed_day,
        shadow: catalog
            .iter()
            .filter(|s| s.plant == Some("shadow_service"))
            .map(|s| s.name.clone())
            .collect(),
        activity: watched,
        files: BTreeMap::from([
            ("backstage_entities".to_string(), entities_written),
            ("backstage_pages".to_string(), pages),
            ("aws_config_items".to_string(), items),
            ("jira_review_issues".to_string(), review_issues),
        ]),
    })
}

/// The team a service's resource is tagged with: its owner's, or team-00 for one without.
fn team_of(s: &Service) -> String {
    match s
        .owner
        .as_deref()
        .and_then(|o| o.strip_prefix("group:default/team-"))
    {
        Some("empty") | None => "00".to_string(),
        Some(t) => t.to_string(),
    }
}

fn resource_id(service: &str) -> String {
    format!("arn:aws:ecs:{REGION}:{ACCOUNT}:service/prod/{service}")
}

/// A stable id from a name, shaped like the catalog's uids.
fn uid(name: &str) -> String {
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let (a, b) = (Rng::mix(h), Rng::mix(h ^ 1));
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}

fn group(name: &str) -> Value {
    json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Group",
        "metadata": {"namespace": "default", "name": name, "uid": uid(&format!("group:{name}")),
            "etag": format!("{:x}", Rng::mix(name.len() as u64))},
        "spec": {"type": "team", "profile": {"email": format!("{name}@acme.example")}, "children": []},
        "relations": [],
    })
}

fn user(name: &str, team: &str) -> Value {
    json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "User",
        "metadata": {"namespace": "default", "name": name, "uid": uid(&format!("user:{name}")),
            "etag": format!("{:x}", Rng::mix(name.len() as u64 + 7))},
        "spec": {"profile": {"displayName": name, "email": format!("{name}@acme.example")},
            "memberOf": [team]},
        "relations": [{"type": "memberOf", "targetRef": format!("group:default/{team}")}],
    })
}

fn component(s: &Service, at: DateTime<Utc>) -> Value {
    let mut annotations = json!({
        "backstage.io/managed-by-location": format!("url:https://github.com/acme/{}/tree/main/catalog-info.yaml", s.name),
        "github.com/project-slug": format!("acme/{}", s.name),
        "backstage.io/kubernetes-id": s.name,
    });
    let review = s.reviews.iter().rfind(|r| **r <= at);
    if let Some(r) = review.filter(|_| s.plant != Some("reviewed_in_jira")) {
        annotations["acme.io/last-security-review"] = json!(r.date_naive().to_string());
    }
    let mut spec = json!({"type": "service", "lifecycle": s.lifecycle, "system": "payments"});
    let mut relations = Vec::new();
    if let Some(owner) = &s.owner {
        spec["owner"] = json!(owner.trim_start_matches("group:default/"));
        relations.push(json!({"type": "ownedBy", "targetRef": owner}));
    }
    json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {
            "namespace": "default",
            "name": s.name,
            "uid": uid(&format!("component:{}", s.name)),
            "etag": format!("{:x}", Rng::mix(review.map_or(0, |r| r.timestamp() as u64))),
            "annotations": annotations,
            "tags": ["rust", "payments"],
            "links": [{"url": format!("https://grafana.acme.example/d/{}", s.name), "title": "Dashboard"}],
        },
        "spec": spec,
        "relations": relations,
    })
}

/// Writes each resource's configuration items: its discovery, a change every 30 days, its
/// deletion; as `ConfigHistory` files on the day of each, and a `ConfigSnapshot` of every
/// resource then recorded each Sunday. Returns the items written.
fn aws_config(
    out: &Path,
    catalog: &[Service],
    start: NaiveDate,
    days: u32,
) -> std::io::Result<u64> {
    let root = out.join(format!("aws-config/AWSLogs/{ACCOUNT}/Config/{REGION}"));
    let mut by_day: BTreeMap<NaiveDate, Vec<Value>> = BTreeMap::new();
    let mut history: Vec<(DateTime<Utc>, usize, Value)> = Vec::new();
    let end = start + Duration::days(i64::from(days.max(1)));
    for (n, s) in catalog.iter().enumerate().filter(|(_, s)| s.resource) {
        let mut at = s.listed_from;
        let mut status = "ResourceDiscovered";
        loop {
            if s.listed_until.is_some_and(|u| at >= u) {
                break;
            }
            history.push((at, n, item(s, at, status)));
            status = "OK";
            at += Duration::days(30);
            if at.date_naive() >= end {
                break;
            }
        }
        if let Some(until) = s.listed_until {
            history.push((until, n, item(s, until, "ResourceDeleted")));
        }
    }
    history.sort_by_key(|(t, n, _)| (*t, *n));
    let written = history.len() as u64;
    for (t, _, v) in &history {
        by_day.entry(t.date_naive()).or_default().push(v.clone());
    }
    let write = |day: NaiveDate, family: &str, items: &[Value]| -> std::io::Result<()> {
        let dir = root.join(format!(
            "{}/{}/{}/{family}",
            day.year(),
            day.month(),
            day.day()
        ));
        fs::create_dir_all(&dir)?;
        let stamp = day.format("%Y%m%dT000000Z");
        let name = match family {
            "ConfigHistory" => format!(
                "{ACCOUNT}_Config_{REGION}_ConfigHistory_AWS::ECS::Service_{stamp}_{}_1.json.gz",
                day.format("%Y%m%dT235959Z")
            ),
            _ => format!(
                "{ACCOUNT}_Config_{REGION}_ConfigSnapshot_{stamp}_{:x}.json.gz",
                Rng::mix(day.num_days_from_ce() as u64) as u32
            ),
        };
        let mut body = json!({"fileVersion": "1.0", "configurationItems": items});
        if family == "ConfigSnapshot" {
            body["configSnapshotId"] =
                json!(format!("{:x}", Rng::mix(day.num_days_from_ce() as u64)));
        }
        let mut gz = flate2::write::GzEncoder::new(
            File::create(dir.join(name))?,
            flate2::Compression::fast(),
        );
        gz.write_all(&serde_json::to_vec(&body)?)?;
        gz.finish()?;
        Ok(())
    };
    for (day, items) in &by_day {
        write(*day, "ConfigHistory", items)?;
    }
    for day in start
        .iter_days()
        .take(days as usize)
        .filter(|d| d.weekday() == chrono::Weekday::Sun)
    {
        let cut = day.and_hms_opt(23, 59, 59).expect("a time").and_utc();
        let mut current: BTreeMap<usize, &Value> = BTreeMap::new();
        for (_, n, v) in history.iter().filter(|(t, _, _)| *t <= cut) {
            if v["configurationItemStatus"] == "ResourceDeleted" {
                current.remove(n);
            } else {
                current.insert(*n, v);
            }
        }
        let items: Vec<Value> = current.into_values().cloned().collect();
        write(day, "ConfigSnapshot", &items)?;
    }
    Ok(written)
}

fn item(s: &Service, at: DateTime<Utc>, status: &str) -> Value {
    let id = resource_id(&s.name);
    json!({
        "relatedEvents": [],
        "relationships": [{"resourceType": "AWS::ECS::Cluster", "resourceName": "prod", "relationshipName": "Is contained in Cluster"}],
        "configuration": if status == "ResourceDeleted" { Value::Null } else {
            json!({"serviceName": s.name, "clusterArn": format!("arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/prod"), "desiredCount": 2, "launchType": "FARGATE"})
        },
        "supplementaryConfiguration": {},
        "tags": if status == "ResourceDeleted" { json!({}) } else {
            json!({"service": s.name, "team": format!("team-{}", team_of(s)), "environment": "production"})
        },
        "configurationItemVersion": "1.3",
        "configurationItemCaptureTime": rfc3339(at, SecondsFormat::Millis),
        "configurationStateId": at.timestamp_millis(),
        "awsAccountId": ACCOUNT,
        "configurationItemStatus": status,
        "resourceType": "AWS::ECS::Service",
        "resourceId": id,
        "resourceName": s.name,
        "ARN": id,
        "awsRegion": REGION,
        "availabilityZone": "Multiple Availability Zones",
        "configurationStateMd5Hash": "",
        "resourceCreationTime": rfc3339(s.listed_from, SecondsFormat::Millis),
    })
}

/// A Jira resolution: id, name, description.
type Resolution = (&'static str, &'static str, &'static str);

/// Writes the Jira security review issues to `out/jira/security-reviews.json`, a search
/// result as Jira returns it: a resolved `Security Review` issue per review of each service
/// reviewed in Jira, naming it as the issue's component, one review of the service without
/// reviews still open (no review until it is resolved), and, after the last review of each
/// service reviewed in Jira, one closed as `Won't Do` (no review either). Returns the issues
/// written.
fn jira_reviews(out: &Path, catalog: &[Service], end: DateTime<Utc>) -> std::io::Result<u64> {
    let jira_time = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string();
    // Jira Software's resolutions (id, name, description), as `fields.resolution` carries them.
    let done: Resolution = ("10000", "Done", "Work has been completed on this issue.");
    let wont_do: Resolution = ("10001", "Won't Do", "This issue won't be actioned.");
    let issue = |n: u64,
                 service: &str,
                 created: DateTime<Utc>,
                 resolved: Option<(DateTime<Utc>, Resolution)>| {
        let id = 90_000 + n;
        let (status, category) = if resolved.is_some() {
            ("Done", "done")
        } else {
            ("In Progress", "indeterminate")
        };
        let resolution = resolved.map(|(_, (id, name, description))| {
            json!({"self": format!("https://acme.atlassian.net/rest/api/3/resolution/{id}"),
                "id": id, "description": description, "name": name})
        });
        let resolved = resolved.map(|(at, _)| at);
        json!({
            "expand": "operations,changelog",
            "id": id.to_string(),
            "self": format!("https://acme.atlassian.net/rest/api/3/issue/{id}"),
            "key": format!("SECREV-{n}"),
            "fields": {
                "summary": format!("Security review: {service}"),
                "issuetype": {"name": "Security Review"},
                "components": [{"name": service}],
                "created": jira_time(created),
                "updated": jira_time(resolved.unwrap_or(created)),
                "resolution": resolution,
                "resolutiondate": resolved.map(jira_time),
                "status": {"name": status, "statusCategory": {"key": category}},
                "labels": ["security-review"],
                "project": {"key": "SECREV"},
                "assignee": {"displayName": "AppSec Review Board"},
            },
        })
    };
    let mut issues = Vec::new();
    for s in catalog {
        match s.plant {
            Some("reviewed_in_jira") => {
                for r in &s.reviews {
                    let n = issues.len() as u64 + 1;
                    issues.push(issue(n, &s.name, *r - Duration::days(9), Some((*r, done))));
                }
                if let Some(last) = s.reviews.last() {
                    let n = issues.len() as u64 + 1;
                    let closed = *last + (end - *last) / 2;
                    issues.push(issue(n, &s.name, *last, Some((closed, wont_do))));
                }
            }
            Some("without_review") => {
                let n = issues.len() as u64 + 1;
                issues.push(issue(n, &s.name, end - Duration::days(60), None));
            }
            _ => {}
        }
    }
    if issues.is_empty() {
        return Ok(0);
    }
    let body =
        json!({"startAt": 0, "maxResults": issues.len(), "total": issues.len(), "issues": issues});
    fs::write(
        out.join("jira").join("security-reviews.json"),
        serde_json::to_vec_pretty(&body)?,
    )?;
    Ok(issues.len() as u64)
}
