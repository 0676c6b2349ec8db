-- One row per deployment: where it went, which commit and run, its newest status as of
-- $as_of (records in ($evidence_start, $as_of] ingested by $known_at), and whether it went
-- out: a `success` status at any time, since GitHub marks a deployment `inactive` once a
-- later one supersedes it.
-- GitHub keeps the deployment and each status as separate records (the deployment has the
-- commit, a status set by a workflow names the run and job); GitLab sends the deployment with its
-- current status. The event time and provenance are those of the record that decided what it
-- did: its first `success` (a later `inactive` must not move it to another window), else its
-- newest record. Built from hash aggregates and joins only: a window would sort every record.
WITH records AS (
  SELECT
    provider, repo, deploy_id, environment, production, commit_sha, run_id, job_id,
    created_at, status, event_time, ingested_at, source, source_name, source_id, record_sha256
  FROM deployments
  WHERE event_time > $evidence_start AND event_time <= $as_of AND ingested_at <= $known_at
),
facts AS (
  SELECT
    provider, repo, deploy_id,
    MAX(environment) AS environment,
    MAX(CASE WHEN production THEN 1 ELSE 0 END) = 1 AS production,
    MAX(commit_sha) AS commit_sha,
    MAX(run_id) AS run_id,
    MAX(job_id) AS job_id,
    MIN(COALESCE(created_at, event_time)) AS created_at,
    MAX(event_time) AS newest_at,
    MIN(CASE WHEN status = 'success' THEN event_time END) AS first_success_at
  FROM records
  GROUP BY provider, repo, deploy_id
),
picked AS (
  -- Ties at the same instant: the status and record with the greatest name and id.
  SELECT
    f.provider, f.repo, f.deploy_id,
    MAX(CASE WHEN r.event_time = f.newest_at THEN r.status END) AS final_status,
    MAX(CASE
      WHEN r.event_time = COALESCE(f.first_success_at, f.newest_at)
        AND (f.first_success_at IS NULL OR r.status = 'success')
      THEN r.source_id
    END) AS deciding_id
  FROM facts f
  JOIN records r ON r.provider = f.provider AND r.repo = f.repo AND r.deploy_id = f.deploy_id
  GROUP BY f.provider, f.repo, f.deploy_id
)
SELECT
  f.provider, f.repo, f.deploy_id, f.environment, f.production, f.commit_sha, f.run_id,
  f.job_id, f.created_at, p.final_status, f.first_success_at IS NOT NULL AS went_out,
  s.event_time, s.ingested_at, s.source, s.source_name, s.source_id, s.record_sha256
FROM facts f
JOIN picked p ON p.provider = f.provider AND p.repo = f.repo AND p.deploy_id = f.deploy_id
JOIN records s
  ON s.provider = f.provider AND s.repo = f.repo AND s.deploy_id = f.deploy_id
 AND s.source_id = p.deciding_id
