-- Every production deploy attempt, classified by the SAST evidence for its commit that
-- existed when it started. An attempt is a job of the `deploy` gate that ran for production
-- (its environment, else its branch: a pull-request or feature-branch run whose deploy job
-- was skipped is no attempt; one that names neither counts if it ran) or made a production
-- deployment,
-- or a production deployment that no ingested deploy job made (e.g. one created by an
-- external CD tool).
--   outcome  `deployed` when the job succeeded (or the deployment went out), `failed` when the
--            job ran and failed (or the deployment failed), else `blocked` (it did not run:
--            skipped or cancelled)
--   class    `blocked`        did not run, and a blocking SAST gate for the commit (one not
--                             allowed to fail) had failed before it
--            `failed`         ran and failed on its own: not a block, whatever SAST said
--            `advisory_leak`  went out although a SAST gate had failed or blocking findings existed
--            `excepted`       the same, covered by an owned, unexpired exception for `sast` in
--                             the state the lake had recorded by the deploy's start plus
--                             $exception_grace_hours (ingest cadence)
--            `excepted_late`  the same, covered only by a state recorded later (an entry
--                             added, backdated or extended after the deploy)
--            `clean`          anything else
-- Everything here looks back from the attempt over the evidence in ($evidence_start, $as_of];
-- the questions choose which attempts they report.
WITH deploy_jobs AS (
  SELECT * FROM ci_gates WHERE gate = 'deploy' AND record_kind <> 'run'
),
linked AS (
  SELECT provider, repo, job_id, MIN(deploy_id) AS deploy_id, MAX(environment) AS environment
  FROM deployments_in_production
  WHERE job_id IS NOT NULL
  GROUP BY provider, repo, job_id
),
attempts AS (
  SELECT
    j.provider, j.repo, COALESCE(l.deploy_id, j.job_id) AS deploy_id,
    COALESCE(l.environment, j.environment) AS environment, j.commit_sha, j.run_id,
    j.job_name AS deploy_job, j.started_at, j.succeeded AS deployed, j.failed AS deploy_failed,
    j.ran,
    j.event_time, j.ingested_at, j.source, j.source_name, j.source_id, j.record_sha256
  FROM deploy_jobs j
  LEFT JOIN linked l ON l.provider = j.provider AND l.repo = j.repo AND l.job_id = j.job_id
  -- (A job naming neither environment nor branch counts when it ran: a skipped one could be
  -- any branch's, and must not read as a block.)
  WHERE j.production OR l.deploy_id IS NOT NULL OR (j.production IS NULL AND j.ran)
  UNION ALL
  SELECT
    d.provider, d.repo, d.deploy_id, d.environment, d.commit_sha, d.run_id,
    CAST(NULL AS VARCHAR) AS deploy_job, d.created_at AS started_at,
    d.went_out AS deployed,
    NOT d.went_out AND d.final_status IN ('failure', 'error', 'failed') AS deploy_failed,
    d.went_out OR d.final_status IN ('failure', 'error', 'failed') AS ran,
    d.event_time, d.ingested_at, d.source, d.source_name, d.source_id, d.record_sha256
  FROM deployments_in_production d
  -- Only a concluded deployment is an attempt; one still in progress at $as_of is not yet.
  -- (GitLab's `blocked` is a deployment waiting for approval: not concluded.)
  WHERE d.final_status IN (
    'success', 'failure', 'error', 'inactive', 'failed', 'canceled', 'skipped'
  )
    -- Marked `inactive` (superseded) with no success in the evidence: it went out, if at all,
    -- before the evidence begins (only the later status is in it).
    AND NOT (d.final_status = 'inactive' AND NOT d.went_out)
    -- A deployment its deploy job made (named, or matched by time) is that job's attempt,
    -- whatever state the job is in (one waiting to be played is no attempt yet) — a job
    -- recorded by $as_of: one that completed after it is not yet one of ci_gates' attempts,
    -- and its deployment must not vanish with it.
    AND NOT EXISTS (
      SELECT 1 FROM ci_jobs c
      WHERE c.provider = d.provider AND c.repo = d.repo AND c.job_id = d.job_id
        AND c.gate = 'deploy' AND c.event_time > $evidence_start AND c.event_time <= $as_of
        AND c.ingested_at <= $known_at
    )
),
with_gates AS (
  -- Each SAST gate's newest result for the commit that finished before the attempt started:
  -- a gate re-run that passed replaces the failure before it.
  SELECT
    a.*, g.job_name AS gate_job, g.failed AS gate_failed,
    g.failed AND NOT g.allow_failure AS gate_blocked,
    g.record_sha256 || ' ' || g.source_id AS gate_record,
    ROW_NUMBER() OVER (
      PARTITION BY a.source_id, g.job_name ORDER BY g.finished_at DESC, g.source_id DESC
    ) AS n
  FROM attempts a
  LEFT JOIN ci_gates g
    ON g.gate = 'sast' AND g.repo = a.repo AND g.commit_sha = a.commit_sha
   -- Before the attempt started; for one that never ran (its times are not reliable:
   -- GitLab gives a skipped job none), any result of its own pipeline run.
   AND (g.finished_at <= a.started_at
     OR (NOT a.ran AND g.provider = a.provider AND g.run_id = a.run_id))
),
sast AS (
  SELECT
    a.provider, a.repo, a.deploy_id, a.environment, a.commit_sha, a.run_id, a.deploy_job,
    a.started_at, a.deployed, a.deploy_failed, a.event_time, a.ingested_at, a.source,
    a.source_name, a.source_id, a.record_sha256,
    COUNT(a.gate_job) AS sast_results,
    MAX(CASE WHEN a.gate_failed THEN 1 ELSE 0 END) = 1 AS sast_failed,
    MAX(CASE WHEN a.gate_blocked THEN 1 ELSE 0 END) = 1 AS sast_blocked,
    MIN(CASE WHEN a.gate_blocked THEN a.gate_job END) AS failed_gate,
    -- The record of the failed SAST result that decided the class: `sha256 source_id`.
    MIN(CASE WHEN a.gate_failed THEN a.gate_record END) AS gate_record
  FROM with_gates a
  WHERE a.n = 1
  GROUP BY
    a.provider, a.repo, a.deploy_id, a.environment, a.commit_sha, a.run_id, a.deploy_job,
    a.started_at, a.deployed, a.deploy_failed, a.event_time, a.ingested_at, a.source,
    a.source_name, a.source_id, a.record_sha256
),
finding_states AS (
  -- Each SAST finding (the scanner sources' `sast_tools`) of the attempt's commit from scans
  -- before it started, once: a finding stored twice (a SARIF file copied again, its time
  -- moved) or seen in several states (a code scanning alert open, then dismissed) is one, by
  -- tool, rule, file and fingerprint, else its record; in its latest state by then
  -- (suppressed: an accepted SARIF suppression, a dismissal; at the same microsecond,
  -- suppressed).
  SELECT
    s.provider, s.repo, s.deploy_id, s.environment, s.commit_sha, s.run_id, s.deploy_job,
    s.started_at, s.deployed, s.deploy_failed, s.event_time, s.ingested_at, s.source,
    s.source_name, s.source_id, s.record_sha256,
    s.sast_results, s.sast_failed, s.sast_blocked, s.failed_gate, s.gate_record,
    COALESCE(f.tool || ' ' || f.rule_id || ' ' || f.file_path || ' ' || f.fingerprint, f.source_id)
      AS finding,
    MAX(CASE f.severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 ELSE 0 END) AS severity_rank,
    bool_or(f.blocking) AS blocking,
    MAX(CAST(ROUND(EXTRACT(EPOCH FROM COALESCE(f.scan_time, f.event_time)) * 1000000) AS BIGINT)
      * 2 + CASE WHEN f.suppressed THEN 1 ELSE 0 END) % 2 = 1 AS suppressed,
    COALESCE(MIN(CASE WHEN NOT f.suppressed THEN f.source_id END), MIN(f.source_id))
      AS finding_source_id
  FROM sast s
  LEFT JOIN scan_findings f
    ON f.repo = s.repo AND f.commit_sha = s.commit_sha AND f.sast
   AND COALESCE(f.scan_time, f.event_time) <= s.started_at
   AND f.event_time > $evidence_start AND f.event_time <= $as_of
   AND f.ingested_at <= $known_at
  GROUP BY
    s.provider, s.repo, s.deploy_id, s.environment, s.commit_sha, s.run_id, s.deploy_job,
    s.started_at, s.deployed, s.deploy_failed, s.event_time, s.ingested_at, s.source,
    s.source_name, s.source_id, s.record_sha256,
    s.sast_results, s.sast_failed, s.sast_blocked, s.failed_gate, s.gate_record,
    COALESCE(f.tool || ' ' || f.rule_id || ' ' || f.file_path || ' ' || f.fingerprint, f.source_id)
),
findings AS (
  -- Each attempt with its findings; one a suppression hid is counted apart, as an override
  -- without owner or sunset.
  SELECT
    provider, repo, deploy_id, environment, commit_sha, run_id, deploy_job,
    started_at, deployed, deploy_failed, event_time, ingested_at, source,
    source_name, source_id, record_sha256,
    sast_results, sast_failed, sast_blocked, failed_gate, gate_record,
    -- The records of the blocking findings that decided it.
    array_to_string(
      array_sort(array_agg(finding_source_id) FILTER (WHERE blocking AND NOT suppressed)), ' '
    ) AS finding_source_ids,
    SUM(CASE WHEN severity_rank = 4 AND NOT suppressed THEN 1 ELSE 0 END) AS critical_findings,
    SUM(CASE WHEN severity_rank = 3 AND NOT suppressed THEN 1 ELSE 0 END) AS high_findings,
    SUM(CASE WHEN blocking AND NOT suppressed THEN 1 ELSE 0 END) AS blocking_findings,
    SUM(CASE WHEN blocking AND suppressed THEN 1 ELSE 0 END) AS suppressed_blocking_findings
  FROM finding_states
  GROUP BY
    provider, repo, deploy_id, environment, commit_sha, run_id, deploy_job,
    started_at, deployed, deploy_failed, event_time, ingested_at, source,
    source_name, source_id, record_sha256,
    sast_results, sast_failed, sast_blocked, failed_gate, gate_record
),
covering AS (
  -- Each attempt needing an exception, with the states of exceptions for `sast` that cover
  -- it: scoped to its repository (`repo:owner/name`, or a bare scope naming it) or service
  -- (`service:name`, or a bare scope naming the repository's name), owned, created before
  -- it, expiring after it, not revoked by then. `timely`: the state in force when the attempt
  -- started, or, for an exception the lake had no state of yet, its first state recorded
  -- within the grace (the register's ingest cadence). Any other covering state was recorded
  -- after the fact. (One pass: the attempts are read once.)
  SELECT
    f.*, e.exception_id AS cover_id, e.recorded_at AS cover_recorded_at,
    e.record_sha256 || ' ' || e.source_id AS cover_record,
    (e.recorded_at <= f.started_at
      AND (e.superseded_at IS NULL OR e.superseded_at > f.started_at))
    OR (e.first_recorded_at > f.started_at AND e.recorded_at = e.first_recorded_at
      AND EXTRACT(EPOCH FROM e.recorded_at)
        <= EXTRACT(EPOCH FROM f.started_at) + $exception_grace_hours * 3600)
      AS cover_timely,
    e.superseded_at IS NULL AS cover_current
  FROM findings f
  LEFT JOIN exception_states e
    ON f.deployed AND (f.sast_failed OR f.blocking_findings > 0)
   AND e.control = 'sast' AND e.owner IS NOT NULL
   AND e.created_at <= f.started_at
   AND e.expires_at > f.started_at
   AND (e.revoked_at IS NULL OR e.revoked_at > f.started_at)
   AND (
     (COALESCE(e.scope_kind, 'repo') = 'repo' AND e.scope = f.repo)
     OR (COALESCE(e.scope_kind, 'service') = 'service'
       AND (e.scope = f.repo OR ends_with(f.repo, '/' || e.scope)))
   )
),
covers AS (
  SELECT
    covering.*,
    MIN(CASE WHEN cover_timely THEN cover_id END) OVER (PARTITION BY source_id)
      AS timely_exception,
    MIN(CASE WHEN cover_current THEN cover_id END) OVER (PARTITION BY source_id)
      AS late_exception,
    ROW_NUMBER() OVER (PARTITION BY source_id ORDER BY cover_id, cover_recorded_at) AS m
  FROM covering
),
classified AS (
  SELECT
    covers.*,
    COALESCE(timely_exception, late_exception) AS covering_exception,
    -- The record of the exception's state that covers it (in time, else the current one).
    MIN(CASE WHEN cover_id = COALESCE(timely_exception, late_exception)
      AND CASE WHEN timely_exception IS NOT NULL THEN cover_timely ELSE cover_current END
      THEN cover_record END) OVER (PARTITION BY source_id) AS exception_record,
    -- For one covered only late: when the lake first recorded, after the fact, a state of
    -- that exception covering it.
    MIN(CASE WHEN timely_exception IS NULL AND cover_id = late_exception
      AND NOT cover_timely AND cover_recorded_at > started_at
      THEN cover_recorded_at END) OVER (PARTITION BY source_id) AS late_recorded_at,
    CASE
      WHEN deploy_failed THEN 'failed'
      WHEN NOT deployed AND sast_blocked THEN 'blocked'
      WHEN deployed AND (sast_failed OR blocking_findings > 0) THEN
        CASE
          WHEN timely_exception IS NOT NULL THEN 'excepted'
          WHEN late_exception IS NOT NULL THEN 'excepted_late'
          ELSE 'advisory_leak'
        END
      ELSE 'clean'
    END AS class
  FROM covers
)
SELECT
  deploy_id, repo, environment, commit_sha, run_id, deploy_job,
  CASE WHEN deployed THEN 'deployed' WHEN deploy_failed THEN 'failed' ELSE 'blocked' END
    AS outcome,
  class,
  CASE WHEN class = 'blocked' THEN failed_gate END AS blocked_by,
  CASE WHEN class IN ('excepted', 'excepted_late') THEN covering_exception END AS exception_id,
  CASE WHEN class = 'excepted_late' THEN late_recorded_at END AS exception_recorded_at,
  -- (`sha256 source_id`: the digest has no space, the id may.)
  CASE WHEN class IN ('excepted', 'excepted_late') THEN substr(exception_record, 66) END
    AS exception_source_id,
  CASE WHEN class IN ('excepted', 'excepted_late') THEN substr(exception_record, 1, 64) END
    AS exception_record_sha256,
  CASE WHEN class <> 'clean' THEN substr(gate_record, 66) END AS gate_source_id,
  CASE WHEN class <> 'clean' THEN substr(gate_record, 1, 64) END AS gate_record_sha256,
  CASE WHEN class IN ('advisory_leak', 'excepted', 'excepted_late') THEN finding_source_ids END
    AS finding_source_ids,
  critical_findings, high_findings, blocking_findings, suppressed_blocking_findings,
  sast_results,
  provider, started_at, event_time, ingested_at, source, source_name, source_id, record_sha256
FROM classified
WHERE m = 1
