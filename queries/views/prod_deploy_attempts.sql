-- Every production deploy attempt, classified by the SAST evidence for its commit that
-- existed when it started. An attempt is a job of the `deploy` gate (with the production
-- deployment it made, if any), or a production deployment that no ingested
-- deploy job made (e.g. one created by an external CD tool).
--   outcome  `deployed` when the job (or the deployment's newest status) succeeded, else `blocked`
--   class    `blocked`        did not go out, and a SAST gate for the commit had failed before it
--            `advisory_leak`  went out although a SAST gate had failed or blocking findings existed
--            `excepted`       the same, covered by an unexpired, owned exception for `sast`
--            `clean`          anything else
-- Everything here looks back from the attempt over the evidence in ($evidence_start, $as_of];
-- the questions choose which attempts they report.
WITH deploy_jobs AS (
  SELECT * FROM ci_gates WHERE gate = 'deploy' AND record_kind <> 'run'
),
linked AS (
  SELECT provider, repo, job_id, MIN(deploy_id) AS deploy_id, MAX(environment) AS environment
  FROM deployment_outcomes
  WHERE production AND job_id IS NOT NULL
  GROUP BY provider, repo, job_id
),
attempts AS (
  SELECT
    j.provider, j.repo, COALESCE(l.deploy_id, j.job_id) AS deploy_id,
    COALESCE(l.environment, j.environment) AS environment, j.commit_sha, j.run_id,
    j.job_name AS deploy_job, j.started_at, j.succeeded AS deployed,
    j.event_time, j.ingested_at, j.source, j.source_name, j.source_id, j.record_sha256
  FROM deploy_jobs j
  LEFT JOIN linked l ON l.provider = j.provider AND l.repo = j.repo AND l.job_id = j.job_id
  UNION ALL
  SELECT
    d.provider, d.repo, d.deploy_id, d.environment, d.commit_sha, d.run_id,
    CAST(NULL AS VARCHAR) AS deploy_job, d.created_at AS started_at,
    d.final_status = 'success' AS deployed,
    d.event_time, d.ingested_at, d.source, d.source_name, d.source_id, d.record_sha256
  FROM deployment_outcomes d
  WHERE d.production
    -- Only a concluded deployment is an attempt; one still in progress at $as_of is not yet.
    AND d.final_status IN (
      'success', 'failure', 'error', 'inactive', 'failed', 'canceled', 'blocked', 'skipped'
    )
    AND NOT EXISTS (
      SELECT 1 FROM deploy_jobs j
      WHERE j.provider = d.provider AND j.repo = d.repo AND j.job_id = d.job_id
    )
),
with_gates AS (
  -- Each SAST gate's newest result for the commit that finished before the attempt started:
  -- a gate re-run that passed replaces the failure before it.
  SELECT
    a.*, g.job_name AS gate_job, g.failed AS gate_failed,
    ROW_NUMBER() OVER (
      PARTITION BY a.source_id, g.job_name ORDER BY g.finished_at DESC, g.source_id DESC
    ) AS n
  FROM attempts a
  LEFT JOIN ci_gates g
    ON g.gate = 'sast' AND g.repo = a.repo AND g.commit_sha = a.commit_sha
   AND g.finished_at <= a.started_at
),
sast AS (
  SELECT
    a.provider, a.repo, a.deploy_id, a.environment, a.commit_sha, a.run_id, a.deploy_job,
    a.started_at, a.deployed, a.event_time, a.ingested_at, a.source, a.source_name,
    a.source_id, a.record_sha256,
    COUNT(a.gate_job) AS sast_results,
    MAX(CASE WHEN a.gate_failed THEN 1 ELSE 0 END) = 1 AS sast_failed,
    MIN(CASE WHEN a.gate_failed THEN a.gate_job END) AS failed_gate
  FROM with_gates a
  WHERE a.n = 1
  GROUP BY
    a.provider, a.repo, a.deploy_id, a.environment, a.commit_sha, a.run_id, a.deploy_job,
    a.started_at, a.deployed, a.event_time, a.ingested_at, a.source, a.source_name,
    a.source_id, a.record_sha256
),
findings AS (
  -- The SARIF findings for the commit from scans before the attempt started.
  SELECT
    s.provider, s.repo, s.deploy_id, s.environment, s.commit_sha, s.run_id, s.deploy_job,
    s.started_at, s.deployed, s.event_time, s.ingested_at, s.source, s.source_name,
    s.source_id, s.record_sha256,
    s.sast_results, s.sast_failed, s.failed_gate,
    SUM(CASE WHEN f.severity = 'critical' THEN 1 ELSE 0 END) AS critical_findings,
    SUM(CASE WHEN f.severity = 'high' THEN 1 ELSE 0 END) AS high_findings,
    SUM(CASE WHEN f.blocking THEN 1 ELSE 0 END) AS blocking_findings
  FROM sast s
  LEFT JOIN scan_findings f
    ON f.repo = s.repo AND f.commit_sha = s.commit_sha
   AND COALESCE(f.scan_time, f.event_time) <= s.started_at
   AND f.event_time > $evidence_start AND f.event_time <= $as_of
   AND f.ingested_at <= $known_at
  GROUP BY
    s.provider, s.repo, s.deploy_id, s.environment, s.commit_sha, s.run_id, s.deploy_job,
    s.started_at, s.deployed, s.event_time, s.ingested_at, s.source, s.source_name,
    s.source_id, s.record_sha256,
    s.sast_results, s.sast_failed, s.failed_gate
),
facts AS (
  -- The exception for `sast` that covers the attempt: scoped to its repository or
  -- service, owned, created before it and expiring after it, not revoked by then.
  SELECT
    f.*, e.exception_id AS covering_exception,
    ROW_NUMBER() OVER (PARTITION BY f.source_id ORDER BY e.exception_id) AS m
  FROM findings f
  LEFT JOIN exceptions_current e
    ON e.control = 'sast' AND e.owner IS NOT NULL
   AND e.created_at <= f.started_at
   AND e.expires_at > f.started_at
   AND (e.revoked_at IS NULL OR e.revoked_at > f.started_at)
   AND (
     (e.scope_kind = 'repo' AND e.scope = f.repo)
     OR (e.scope_kind = 'service' AND (e.scope = f.repo OR f.repo LIKE '%/' || e.scope))
   )
),
classified AS (
  SELECT
    facts.*,
    CASE
      WHEN NOT deployed AND sast_failed THEN 'blocked'
      WHEN deployed AND (sast_failed OR blocking_findings > 0)
        THEN CASE WHEN covering_exception IS NULL THEN 'advisory_leak' ELSE 'excepted' END
      ELSE 'clean'
    END AS class
  FROM facts
  WHERE m = 1
)
SELECT
  deploy_id, repo, environment, commit_sha, run_id, deploy_job,
  CASE WHEN deployed THEN 'deployed' ELSE 'blocked' END AS outcome,
  class,
  CASE WHEN class = 'blocked' THEN failed_gate END AS blocked_by,
  CASE WHEN class = 'excepted' THEN covering_exception END AS exception_id,
  critical_findings, high_findings, blocking_findings, sast_results,
  provider, started_at, event_time, ingested_at, source, source_name, source_id, record_sha256
FROM classified
