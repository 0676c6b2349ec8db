//! The schema of every lake table (DESIGN §2, §3).
//!
//! Every table carries the same provenance columns — when the event happened
//! (`event_time`), when the lake committed it (`ingested_at`), where it came from
//! (`source`, `source_name`, `source_id`, `source_ref`) and the original record
//! (`record_sha256`, `raw`) — followed by its own columns and the partition column: the
//! UTC day of `event_time`, named `event_date` for event tables and `snapshot_date` for
//! snapshot tables, whose `event_time` is the instant the state was observed.

use std::sync::{Arc, LazyLock};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::{Error, Result};

/// The valid-time column of every table.
pub const EVENT_TIME: &str = "event_time";
/// The transaction-time column of every table, stamped by the lake at commit.
pub const INGESTED_AT: &str = "ingested_at";
/// The source kind column (`github-actions`, `falco`, …).
pub const SOURCE: &str = "source";
/// The de-duplication key column, unique per `source`.
pub const SOURCE_ID: &str = "source_id";
/// The original record column.
pub const RAW: &str = "raw";

/// Whether a table records events or dated snapshots of state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    /// Things that happened: one row per event.
    Event,
    /// State observed at an instant (inventory, IAM state, policies): one row per item per snapshot.
    Snapshot,
}

/// How a table is partitioned: always by the UTC day of `event_time`, under a column name
/// that says what the day is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partitioning {
    /// `event_date`, for event tables.
    EventDate,
    /// `snapshot_date`, for snapshot tables.
    SnapshotDate,
}

impl Partitioning {
    /// The partition column's name.
    pub fn column(self) -> &'static str {
        match self {
            Partitioning::EventDate => "event_date",
            Partitioning::SnapshotDate => "snapshot_date",
        }
    }
}

/// One lake table: its name, what it holds and its columns.
#[derive(Debug, Clone)]
pub struct TableSpec {
    /// The table's name in the lake and in SQL.
    pub name: &'static str,
    /// What the table holds, for listings and docs.
    pub description: &'static str,
    /// Event or snapshot table.
    pub kind: TableKind,
    schema: SchemaRef,
}

impl TableSpec {
    fn new(
        name: &'static str,
        description: &'static str,
        kind: TableKind,
        own: Vec<Field>,
        raw_type: DataType,
    ) -> Self {
        let ts = || DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        let mut fields = vec![
            Field::new(EVENT_TIME, ts(), false),
            Field::new(INGESTED_AT, ts(), false),
            Field::new(SOURCE, DataType::Utf8, false),
            Field::new("source_name", DataType::Utf8, false),
            Field::new(SOURCE_ID, DataType::Utf8, false),
            Field::new("source_ref", DataType::Utf8, false),
            Field::new("record_sha256", DataType::Utf8, false),
        ];
        fields.extend(own);
        fields.push(Field::new(RAW, raw_type, false));
        let partitioning = match kind {
            TableKind::Event => Partitioning::EventDate,
            TableKind::Snapshot => Partitioning::SnapshotDate,
        };
        fields.push(Field::new(partitioning.column(), DataType::Date32, false));
        Self {
            name,
            description,
            kind,
            schema: Arc::new(Schema::new(fields)),
        }
    }

    /// The partitioning of this table.
    pub fn partitioning(&self) -> Partitioning {
        match self.kind {
            TableKind::Event => Partitioning::EventDate,
            TableKind::Snapshot => Partitioning::SnapshotDate,
        }
    }

    /// The name of the partition column.
    pub fn partition_column(&self) -> &'static str {
        self.partitioning().column()
    }

    /// The full schema, as readers see it (partition column last).
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The schema of the batches handed to the lake for appending: the full schema less
    /// `ingested_at` (stamped by the lake at commit) and the partition column (derived from
    /// `event_time`).
    pub fn input_schema(&self) -> SchemaRef {
        let partition = self.partition_column();
        Arc::new(Schema::new(
            self.schema
                .fields()
                .iter()
                .filter(|f| f.name() != INGESTED_AT && f.name() != partition)
                .map(|f| f.as_ref().clone())
                .collect::<Vec<_>>(),
        ))
    }

    /// The schema of the data files: the full schema less the partition column, whose
    /// value lives in the file's path as Delta and Hive readers expect.
    pub fn file_schema(&self) -> SchemaRef {
        let partition = self.partition_column();
        Arc::new(Schema::new(
            self.schema
                .fields()
                .iter()
                .filter(|f| f.name() != partition)
                .map(|f| f.as_ref().clone())
                .collect::<Vec<_>>(),
        ))
    }
}

fn text(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

fn required(name: &str) -> Field {
    Field::new(name, DataType::Utf8, false)
}

fn instant(name: &str) -> Field {
    Field::new(
        name,
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        true,
    )
}

fn int(name: &str) -> Field {
    Field::new(name, DataType::Int64, true)
}

fn float(name: &str) -> Field {
    Field::new(name, DataType::Float64, true)
}

fn flag(name: &str) -> Field {
    Field::new(name, DataType::Boolean, true)
}

fn texts(name: &str) -> Field {
    Field::new(
        name,
        DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        true,
    )
}

static TABLES: LazyLock<Vec<TableSpec>> = LazyLock::new(|| {
    use TableKind::{Event, Snapshot};
    let utf8 = || DataType::Utf8;
    vec![
        TableSpec::new(
            "ci_jobs",
            "CI runs, jobs and check runs, with the gate each one implements",
            Event,
            vec![
                required("provider"),
                required("repo"),
                // `run` (a workflow run / pipeline), `job`, or `check_run`.
                required("record_kind"),
                text("run_id"),
                int("run_attempt"),
                text("workflow"),
                text("job_id"),
                text("job_name"),
                text("gate"),
                text("status"),
                text("conclusion"),
                flag("allow_failure"),
                text("commit_sha"),
                text("branch"),
                text("environment"),
                // Ran for production: by its environment when it names one, else by its
                // branch (the source's `production_environments`, `production_branches`).
                flag("production"),
                instant("started_at"),
                instant("completed_at"),
                text("actor"),
            ],
            utf8(),
        ),
        TableSpec::new(
            "deployments",
            "deployments and their status changes, per environment",
            Event,
            vec![
                required("provider"),
                required("repo"),
                required("deploy_id"),
                text("environment"),
                flag("production"),
                text("commit_sha"),
                text("ref"),
                text("run_id"),
                // The CI job that made it, when the source says (GitLab `deployable`,
                // a GitHub status's log URL).
                text("job_id"),
                text("status"),
                instant("created_at"),
                instant("updated_at"),
                text("actor"),
            ],
            utf8(),
        ),
        TableSpec::new(
            "scan_findings",
            "results of SAST, SCA, IaC and container scanners (SARIF)",
            Event,
            vec![
                required("tool"),
                text("tool_version"),
                text("rule_id"),
                text("severity"),
                float("security_severity"),
                // At or above the source's blocking threshold (`blocking_severity`).
                flag("blocking"),
                // From a static-analysis tool (the source's `sast_tools`).
                flag("sast"),
                // Hidden by an accepted SARIF suppression (in source or external).
                flag("suppressed"),
                text("level"),
                text("message"),
                text("file_path"),
                int("start_line"),
                text("fingerprint"),
                text("repo"),
                text("commit_sha"),
                instant("scan_time"),
            ],
            utf8(),
        ),
        TableSpec::new(
            "exceptions",
            "the register of overrides and break-glass exceptions",
            Event,
            vec![
                required("exception_id"),
                text("control"),
                text("scope_kind"),
                text("scope"),
                text("owner"),
                text("reason"),
                text("ticket"),
                instant("created_at"),
                instant("expires_at"),
                instant("revoked_at"),
            ],
            utf8(),
        ),
        TableSpec::new(
            "runtime_alerts",
            "runtime detections (Falco, Tetragon): one row per alert",
            Event,
            vec![
                required("alert_id"),
                required("engine"),
                text("rule"),
                text("priority"),
                text("hostname"),
                text("namespace"),
                text("pod"),
                text("container_image"),
                text("image_digest"),
                text("workload"),
                text("process"),
                texts("tags"),
                text("output"),
            ],
            utf8(),
        ),
        TableSpec::new(
            "incidents",
            "incident and ticket events (PagerDuty, Jira): triggered, acknowledged, resolved, …",
            Event,
            vec![
                required("incident_id"),
                required("system"),
                required("event_type"),
                text("status"),
                text("title"),
                text("service"),
                text("assignee"),
                text("url"),
                texts("alert_refs"),
                text("rule"),
                text("namespace"),
                text("pod"),
            ],
            utf8(),
        ),
        TableSpec::new(
            "security_reviews",
            "security reviews of services, when they were completed (Jira review issues)",
            Event,
            vec![
                // The service reviewed, lower-cased, as the review names it (a Jira
                // component): q3 matches it to an asset's name, repository or workload.
                required("subject"),
                // The review's own id (the Jira issue key).
                required("review_id"),
                text("status"),
                text("title"),
                text("reviewer"),
                text("url"),
            ],
            utf8(),
        ),
        TableSpec::new(
            "admission_decisions",
            "Kubernetes admission decisions (audit events, policy reports)",
            Event,
            vec![
                // `admission` (an API server's audit event) or `report` (a policy report's
                // result).
                required("record_kind"),
                // The cluster (`cluster` is a word SQL reserves).
                text("cluster_name"),
                text("namespace"),
                // In a production namespace (the source's `production_namespaces`).
                flag("production"),
                text("resource_kind"),
                text("resource_name"),
                // The audit event's verb: `create`, `update`, `patch`, `delete`.
                text("operation"),
                // The user as the API server names them (`user.username`).
                text("username"),
                // The person the user is, when the name carries an e-mail.
                text("person"),
                flag("allowed"),
                int("status_code"),
                // A report result (`pass`, `fail`, `warn`, `error`, `skip`), or `allowed` /
                // `denied`.
                text("result"),
                // The policy and rule that denied (or the report names), and their message.
                text("policy"),
                text("policy_version"),
                text("rule"),
                text("message"),
                // The audit event's annotations (authorization, Pod Security, validating
                // admission policies, webhooks), as JSON.
                text("annotations"),
                text("audit_id"),
                texts("images"),
                // `sha256:<hex>` of each image pinned by digest, in the order of `images`
                // (NULL-free: images without a digest are left out).
                texts("image_digests"),
            ],
            utf8(),
        ),
        TableSpec::new(
            "policies",
            "snapshots of admission policies and their versions",
            Snapshot,
            vec![
                // `name`, or `namespace/name` for a namespaced policy.
                required("policy"),
                text("policy_kind"),
                text("api_version"),
                // The cluster (`cluster` is a word SQL reserves).
                text("cluster_name"),
                text("namespace"),
                // `metadata.generation`, else `sha256:` and the spec hash's first 12 digits.
                text("policy_version"),
                int("generation"),
                text("resource_version"),
                // `enforce` when every rule that decides enforces, else `audit`.
                text("mode"),
                flag("verifies_images"),
                texts("image_references"),
                // The image-verification attestors (keys, keyless subject/issuer, Rekor), as
                // canonical JSON.
                text("attestors"),
                // SHA-256 of the spec's canonical JSON: one row per distinct content.
                text("spec_sha256"),
            ],
            utf8(),
        ),
        TableSpec::new(
            "attestations",
            "signed build provenance (in-toto / SLSA) and its verification verdict",
            Event,
            vec![
                text("artifact_name"),
                // `sha256:<hex>`, one row per subject of the statement.
                required("artifact_digest"),
                text("statement_type"),
                text("predicate_type"),
                text("builder_id"),
                text("build_type"),
                // The source repository URI (without `git+` and the ref) and commit.
                text("source_repo"),
                text("source_commit"),
                text("invocation_id"),
                // The CI run the invocation names (q1's `ci_jobs.run_id`).
                text("run_id"),
                instant("built_at"),
                // The verdict reached at ingest, and what it rests on.
                flag("signature_verified"),
                text("verification_error"),
                // The certificate's identity and OIDC issuer, or the configured key's name.
                text("signer_identity"),
                text("signer_issuer"),
                // `sha256:` of the signing key or certificate.
                text("signing_key"),
                int("log_index"),
                instant("integrated_time"),
                text("verifier"),
                text("trust_root_sha256"),
            ],
            utf8(),
        ),
        TableSpec::new(
            "iam_events",
            "identity and access events (CloudTrail, Okta, GCP audit): every record, and what each \
             permission-changing one granted or revoked",
            Event,
            vec![
                // `aws`, `okta` or `gcp`.
                required("provider"),
                // The AWS account, Okta org or GCP project the record is about.
                text("account"),
                text("region"),
                // Who acted, as the record names them, and the person that is when the record
                // itself says (an e-mail login, an SSO session name that is an e-mail).
                text("actor"),
                text("actor_email"),
                // `eventName`, `eventType`, `methodName`.
                text("action"),
                // `success`, or the error or failure the record gives.
                text("outcome"),
                text("source_ip"),
                // What the record changed, one row per change (a record without a change is one
                // row with these empty): `grant`, `revoke`, `define` (a policy's document) or
                // `use` (a role assumed).
                text("effect"),
                // Who holds the permission: `user`, `group`, `role`, `service_account`, and its
                // name as the system knows it (IAM user name, Okta login, GCP member, Identity
                // Center principal id), with the person it is when the record says.
                text("principal_kind"),
                text("principal"),
                text("principal_email"),
                // What is held: `policy`, `inline_policy`, `group` (a membership),
                // `permission_set`, `admin_role`, `app`, `role`, `credential`, `account` (the
                // principal's own account: created, deactivated).
                text("permission_kind"),
                text("permission"),
                // Where it holds: an AWS account, a GCP project or resource, an Okta org.
                text("scope"),
                // The policy document the change carries (inline policies, policy versions).
                text("document"),
                // Privileged by the source's `privileged` names or by what its document allows
                // (everything, or a privilege-escalation path: `escalation`), and by its name
                // alone (a managed policy is judged again by its newest document).
                flag("privileged"),
                flag("privileged_by_name"),
                texts("escalation"),
            ],
            utf8(),
        ),
        TableSpec::new(
            "iam_state",
            "snapshots of who holds which roles and policies, and the policies' documents \
             (AWS IAM authorization details)",
            Snapshot,
            vec![
                required("provider"),
                text("account"),
                // `holds` (a principal holds a permission) or `policy` (a managed policy's
                // default version: `permission` is its ARN, `document` its text).
                required("record_kind"),
                text("principal_kind"),
                text("principal"),
                text("principal_email"),
                text("permission_kind"),
                text("permission"),
                text("scope"),
                text("document"),
                flag("privileged"),
                flag("privileged_by_name"),
                texts("escalation"),
            ],
            utf8(),
        ),
        TableSpec::new(
            "training",
            "training completions (LMS / HR exports), with whether each course is security training",
            Event,
            vec![
                // The person's e-mail, lower-cased.
                required("person"),
                text("course_id"),
                text("course"),
                text("status"),
                instant("completed_at"),
                instant("expires_at"),
                // The course counts as security training (the source's `security_courses`).
                flag("security"),
            ],
            utf8(),
        ),
        TableSpec::new(
            "people",
            "people, their teams and the identities that map to them (HR exports, Backstage users)",
            Snapshot,
            vec![
                // The person's e-mail, lower-cased (a Backstage user without one: its ref).
                required("person"),
                text("display_name"),
                text("team"),
                texts("memberships"),
                // Every other name the person has: logins, IAM user names, SSO session names,
                // identity-store ids, lower-cased.
                texts("aliases"),
                // `active`, `leave`, `terminated`, …, as the export says.
                text("status"),
                instant("started_at"),
                instant("left_at"),
                // In the question's scope (the source's `engineering_teams`); empty when the
                // source does not say.
                flag("engineer"),
            ],
            utf8(),
        ),
        TableSpec::new(
            "assets",
            "snapshots of the asset inventory (Backstage catalog, AWS Config)",
            Snapshot,
            vec![
                required("asset_id"),
                // `entity` (a catalog entity seen in a snapshot: the snapshot is every entity
                // its source saw at that `event_time`) or `configuration_item` (a resource's
                // state from its `event_time` until its next item).
                required("record_kind"),
                text("name"),
                text("asset_kind"),
                text("asset_type"),
                text("environment"),
                // In production scope: by lifecycle or environment tag (the source's
                // `production_lifecycles`, `production_environments`).
                flag("production"),
                text("owner"),
                text("lifecycle"),
                text("system"),
                // The repository (`owner/name`) and the Kubernetes workload it runs as, when
                // the inventory says (Backstage `github.com/project-slug`,
                // `backstage.io/kubernetes-id`, or tags).
                text("repo"),
                text("workload"),
                // A Group's members and a User's groups, as entity refs.
                texts("members"),
                texts("member_of"),
                texts("tags"),
                // AWS Config's `configurationItemStatus` (`OK`, `ResourceDeleted`, …).
                text("status"),
                text("account"),
                text("region"),
                // Backstage `metadata.uid`, or the AWS resource id.
                text("uid"),
                // Backstage `metadata.etag`, or AWS `configurationStateId`.
                text("version"),
                instant("last_security_review"),
                // Where `last_security_review` is kept (`annotation:acme.io/last-security-review`,
                // `tag:…`): set when the source looks for one, even where there is none.
                text("review_source"),
            ],
            utf8(),
        ),
        TableSpec::new(
            "dsomm_activities",
            "the DSOMM model's activities as imported (custom overlays merged), per import",
            Snapshot,
            vec![
                // Opaque: two upstream ids are not RFC 4122 UUIDs.
                required("activity_uuid"),
                text("dimension"),
                text("sub_dimension"),
                text("activity"),
                int("level"),
                // The model's `meta.version` (`4.3.1`), or `legacy` for a v3 `generated.yaml`.
                text("model_version"),
                // `{samm2: [...], iso27001-2017: [...], ...}` as JSON, every id a string.
                text("references"),
                text("tags"),
            ],
            utf8(),
        ),
        TableSpec::new(
            "dsomm_progress",
            "a team's self-assessed progress per DSOMM activity: every state entered, per import",
            Snapshot,
            vec![
                required("team"),
                required("activity_uuid"),
                // The progress title as written (`Fully implemented`).
                required("progress_state"),
                // Its `progressDefinition` score, 0–1; null for a title the definition lacks
                // (the DSOMM app ignores it; evlake keeps and reports it).
                float("progress_pct"),
                // The date the team entered the state (midnight UTC); null where the file
                // keeps no dates (the legacy v3 `teamsImplemented` flags).
                instant("entered_at"),
                // Whether `team` is one of the configured `teams` (null: no teams configured).
                flag("known_team"),
            ],
            utf8(),
        ),
        TableSpec::new(
            "dsomm_evidence",
            "evidence entries of the DSOMM app (`team-evidence.yaml`, legacy `teamsEvidence`)",
            Snapshot,
            vec![
                required("activity_uuid"),
                text("evidence_id"),
                // JSON list of team names.
                text("teams"),
                text("title"),
                instant("recorded_at"),
                text("reviewer"),
                text("description"),
                // JSON list of `{type, externalLink, ...}`.
                text("attachments"),
            ],
            utf8(),
        ),
        TableSpec::new(
            "scorecards",
            "DSOMM scorecards as evlake scored them: claimed and evidenced per team and sub-dimension, as of an instant",
            Event,
            vec![
                required("team"),
                text("dimension"),
                required("sub_dimension"),
                int("claimed"),
                int("evidenced"),
                int("delta"),
                int("unverified_claims"),
                instant("as_of"),
                instant("known_at"),
                text("model_version"),
                // JSON list of `{question, verdict, level}`: the answers the levels come from.
                text("answers"),
                text("scope"),
            ],
            utf8(),
        ),
        TableSpec::new(
            "retention_checks",
            "results of evidence-retention checks, per table and source",
            Event,
            vec![
                required("checked_table"),
                text("checked_source"),
                int("policy_min_days"),
                int("policy_max_gap_days"),
                int("policy_max_staleness_hours"),
                instant("earliest_event"),
                instant("latest_event"),
                int("days_covered"),
                int("gap_days"),
                instant("last_ingestion"),
                flag("holds"),
                text("findings"),
            ],
            utf8(),
        ),
        TableSpec::new(
            "access_log",
            "every API request: who asked what, when (chain of custody of the audit)",
            Event,
            vec![
                text("principal"),
                text("role"),
                text("method"),
                text("path"),
                text("query"),
                int("status"),
                int("duration_ms"),
                text("remote_addr"),
            ],
            utf8(),
        ),
        TableSpec::new(
            "_cursors",
            "where each configured source got to: files read, high-water marks",
            Event,
            vec![required("cursor_key"), required("cursor_value")],
            utf8(),
        ),
        TableSpec::new(
            "_snapshots",
            "the snapshots an ingest run completed: per snapshot table, source and instant, \
             committed after the last of its rows, so a reader never takes part of one for all",
            Event,
            vec![required("table_name"), int("row_count")],
            utf8(),
        ),
        TableSpec::new(
            "_quarantine",
            "records that could not be ingested, with the reason and the raw bytes",
            Event,
            vec![required("location"), required("reason")],
            // The bytes that failed to parse may not be text.
            DataType::Binary,
        ),
    ]
});

/// Every lake table.
pub fn all() -> &'static [TableSpec] {
    &TABLES
}

/// The table called `name`.
pub fn get(name: &str) -> Result<&'static TableSpec> {
    TABLES
        .iter()
        .find(|t| t.name == name)
        .ok_or_else(|| Error::UnknownTable {
            name: name.to_string(),
            known: TABLES.iter().map(|t| t.name).collect::<Vec<_>>().join(", "),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_the_provenance_columns_and_its_partition_column_last() {
        for table in all() {
            let schema = table.schema();
            for column in [
                EVENT_TIME,
                INGESTED_AT,
                SOURCE,
                "source_name",
                SOURCE_ID,
                "source_ref",
                "record_sha256",
                RAW,
            ] {
                assert!(
                    schema.field_with_name(column).is_ok(),
                    "{} lacks {column}",
                    table.name
                );
            }
            let last = schema.fields().last().unwrap();
            assert_eq!(last.name(), table.partition_column());
            assert_eq!(last.data_type(), &DataType::Date32);
        }
    }

    #[test]
    fn snapshot_tables_partition_by_snapshot_date() {
        for name in ["assets", "iam_state", "policies"] {
            assert_eq!(get(name).unwrap().partition_column(), "snapshot_date");
        }
        assert_eq!(get("iam_events").unwrap().partition_column(), "event_date");
    }

    #[test]
    fn input_schema_leaves_out_what_the_lake_derives() {
        let t = get("iam_events").unwrap();
        let input = t.input_schema();
        assert!(input.field_with_name(INGESTED_AT).is_err());
        assert!(input.field_with_name("event_date").is_err());
        assert_eq!(input.fields().len() + 2, t.schema().fields().len());
        assert_eq!(
            t.file_schema().fields().len() + 1,
            t.schema().fields().len()
        );
    }

    #[test]
    fn the_design_names_every_table() {
        let names: Vec<_> = all().iter().map(|t| t.name).collect();
        assert_eq!(
            names.len(),
            24,
            "the 19 of the design, security_reviews, dsomm_evidence, scorecards, the ingest cursors and completed snapshots"
        );
        assert!(get("nope").unwrap_err().to_string().contains("ci_jobs"));
    }
}
