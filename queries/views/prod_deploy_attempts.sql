-- Every production deploy attempt, classified by the SAST evidence for its commit that
-- existed when it started. An attempt is a job of the `deploy` gate (with the production
-- deployment it made, if any), or a production deployment that no ingested
-- deploy job made (e.g. one created by an external CD tool).
--   outcome  `deployed` when the job (or the deployment's newest status) succeeded, else `blocked`
--   class    `blocked`        did not go out, and a SAST gate for the commit had failed before it
--            `advisory_leak`  went out although a SAST gate had failed or blocking findings existed
--            `excepted`       the same, covered by an unexpired, owned exception for `sast`
--            `clean`          anything else
-- Everything here looks back from the attempt, so the view is the same whatever the as-of;
-- the questions bound it in time.
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
    AND NOT EXISTS (
      SELECT 1 FROM deploy_jobs j
      WHERE j.provider = d.provider AND j.repo = d.repo AND j.job_id = d.job_id
    )
),
latest_sast AS (
  -- The newest result of each SAST gate for the commit before the attempt: a gate re-run
  -- that passed replaces the failure before it.
  SELECT
    a.source_id, g.job_name, g.failed,
    ROW_NUMBER() OVER (
      PARTITION BY a.source_id, g.job_name ORDER BY g.finished_at DESC, g.source_id DESC
    ) AS n
  FROM attempts a
  JOIN ci_gates g
    ON g.gate = 'sast' AND g.repo = a.repo AND g.commit_sha = a.commit_sha
   AND g.finished_at <= a.started_at
),
sast AS (
  SELECT
    source_id,
    COUNT(*) AS sast_results,
    MAX(CASE WHEN failed THEN 1 ELSE 0 END) AS sast_failed,
    MIN(CASE WHEN failed THEN job_name END) AS failed_gate
  FROM latest_sast
  WHERE n = 1
  GROUP BY source_id
),
findings AS (
  SELECT
    a.source_id,
    SUM(CASE WHEN f.severity = 'critical' THEN 1 ELSE 0 END) AS critical_findings,
    SUM(CASE WHEN f.severity = 'high' THEN 1 ELSE 0 END) AS high_findings,
    SUM(CASE WHEN f.blocking THEN 1 ELSE 0 END) AS blocking_findings
  FROM attempts a
  JOIN scan_findings f
    ON f.repo = a.repo AND f.commit_sha = a.commit_sha
   AND COALESCE(f.scan_time, f.event_time) <= a.started_at
  GROUP BY a.source_id
),
covered AS (
  SELECT a.source_id, MIN(e.exception_id) AS exception_id
  FROM attempts a
  JOIN exceptions_current e
    ON e.control = 'sast' AND e.owner IS NOT NULL
   AND e.created_at <= a.started_at
   AND e.expires_at > a.started_at
   AND (e.revoked_at IS NULL OR e.revoked_at > a.started_at)
   AND (
     (e.scope_kind = 'repo' AND e.scope = a.repo)
     OR (e.scope_kind = 'service' AND (e.scope = a.repo OR a.repo LIKE '%/' || e.scope))
   )
  GROUP BY a.source_id
),
facts AS (
  SELECT
    a.*,
    COALESCE(s.sast_results, 0) AS sast_results,
    COALESCE(s.sast_failed, 0) = 1 AS sast_failed,
    s.failed_gate,
    COALESCE(f.critical_findings, 0) AS critical_findings,
    COALESCE(f.high_findings, 0) AS high_findings,
    COALESCE(f.blocking_findings, 0) AS blocking_findings,
    c.exception_id AS covering_exception
  FROM attempts a
  LEFT JOIN sast s ON s.source_id = a.source_id
  LEFT JOIN findings f ON f.source_id = a.source_id
  LEFT JOIN covered c ON c.source_id = a.source_id
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
