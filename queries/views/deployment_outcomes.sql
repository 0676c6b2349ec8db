-- One row per deployment: where it went, which commit and run, its newest status as of
-- $as_of (records in ($evidence_start, $as_of] ingested by $known_at), and whether it went
-- out: a `success` status at any time, since GitHub marks a deployment `inactive` once a
-- later one supersedes it.
-- GitHub keeps the deployment and each status as separate records (the deployment has the
-- commit, a status set by a workflow names the run and job); GitLab sends the deployment with its
-- current status. The event time and provenance are those of the status that decided what it
-- did: its first `success` (a later `inactive` must not move it to another window), else its
-- newest status. One pass over the records (window functions, no self-join).
SELECT
  provider, repo, deploy_id, environment, production, commit_sha, run_id, job_id, created_at,
  final_status, went_out,
  event_time, ingested_at, source, source_name, source_id, record_sha256
FROM (
  SELECT
    provider, repo, deploy_id,
    MAX(environment) OVER whole AS environment,
    MAX(CASE WHEN production THEN 1 ELSE 0 END) OVER whole = 1 AS production,
    MAX(commit_sha) OVER whole AS commit_sha,
    MAX(run_id) OVER whole AS run_id,
    MAX(job_id) OVER whole AS job_id,
    MIN(COALESCE(created_at, event_time)) OVER whole AS created_at,
    MAX(CASE WHEN status = 'success' THEN 1 ELSE 0 END) OVER whole = 1 AS went_out,
    FIRST_VALUE(status) OVER (
      PARTITION BY provider, repo, deploy_id ORDER BY event_time DESC, source_id DESC
    ) AS final_status,
    ROW_NUMBER() OVER (
      PARTITION BY provider, repo, deploy_id
      ORDER BY CASE WHEN status = 'success' THEN 0 ELSE 1 END,
        CASE WHEN status = 'success' THEN event_time END,
        event_time DESC, source_id DESC
    ) AS deciding,
    event_time, ingested_at, source, source_name, source_id, record_sha256
  FROM deployments
  WHERE event_time > $evidence_start AND event_time <= $as_of AND ingested_at <= $known_at
  WINDOW whole AS (PARTITION BY provider, repo, deploy_id)
) records
WHERE deciding = 1
