-- One row per deployment: where it went, which commit and run, and its newest status as of
-- $as_of (records in ($evidence_start, $as_of]).
-- GitHub keeps the deployment and each status as separate records (the deployment has the
-- commit, a status set by a workflow names the run and job); GitLab sends the deployment with its
-- current status. The provenance columns are those of the newest status.
SELECT
  provider, repo, deploy_id, environment, production, commit_sha, run_id, job_id, created_at,
  final_status, event_time, ingested_at, source, source_name, source_id, record_sha256
FROM (
  -- One pass: each record of a deployment sees the facts of all its records (window
  -- aggregates share one sort), and the newest record is kept.
  SELECT
    provider, repo, deploy_id,
    MAX(environment) OVER w AS environment,
    MAX(CASE WHEN production THEN 1 ELSE 0 END) OVER w = 1 AS production,
    MAX(commit_sha) OVER w AS commit_sha,
    MAX(run_id) OVER w AS run_id,
    MAX(job_id) OVER w AS job_id,
    MIN(COALESCE(created_at, event_time)) OVER w AS created_at,
    status AS final_status,
    event_time, ingested_at, source, source_name, source_id, record_sha256,
    ROW_NUMBER() OVER (
      PARTITION BY provider, repo, deploy_id ORDER BY event_time DESC, source_id DESC
    ) AS n
  FROM deployments
  WHERE event_time > $evidence_start AND event_time <= $as_of
  WINDOW w AS (PARTITION BY provider, repo, deploy_id)
) records
WHERE n = 1
