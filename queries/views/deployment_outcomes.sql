-- One row per deployment: where it went, which commit and run, its newest status as of
-- $as_of (records in ($evidence_start, $as_of] ingested by $known_at), and whether it went
-- out: a `success` status at any time, since GitHub marks a deployment `inactive` once a
-- later one supersedes it.
-- GitHub keeps the deployment and each status as separate records (the deployment has the
-- commit, a status set by a workflow names the run and job); GitLab sends the deployment with its
-- current status. The event time and provenance are those of the status that decided what it
-- did: its first `success` (a later `inactive` must not move it to another window), else its
-- newest status.
WITH facts AS (
  SELECT
    provider, repo, deploy_id,
    MAX(environment) AS environment,
    MAX(CASE WHEN production THEN 1 ELSE 0 END) = 1 AS production,
    MAX(commit_sha) AS commit_sha,
    MAX(run_id) AS run_id,
    MAX(job_id) AS job_id,
    MIN(COALESCE(created_at, event_time)) AS created_at,
    MAX(CASE WHEN status = 'success' THEN 1 ELSE 0 END) = 1 AS went_out
  FROM deployments
  WHERE event_time > $evidence_start AND event_time <= $as_of AND ingested_at <= $known_at
  GROUP BY provider, repo, deploy_id
),
statuses AS (
  SELECT
    provider, repo, deploy_id, status, event_time, ingested_at, source, source_name,
    source_id, record_sha256,
    ROW_NUMBER() OVER (
      PARTITION BY provider, repo, deploy_id ORDER BY event_time DESC, source_id DESC
    ) AS newest,
    ROW_NUMBER() OVER (
      PARTITION BY provider, repo, deploy_id
      ORDER BY CASE WHEN status = 'success' THEN 0 ELSE 1 END,
        CASE WHEN status = 'success' THEN event_time END,
        event_time DESC, source_id DESC
    ) AS deciding
  FROM deployments
  WHERE event_time > $evidence_start AND event_time <= $as_of AND ingested_at <= $known_at
)
SELECT
  f.provider, f.repo, f.deploy_id, f.environment, f.production, f.commit_sha, f.run_id,
  f.job_id, f.created_at, n.status AS final_status, f.went_out,
  s.event_time, s.ingested_at, s.source, s.source_name, s.source_id, s.record_sha256
FROM facts f
JOIN statuses n
  ON n.provider = f.provider AND n.repo = f.repo AND n.deploy_id = f.deploy_id AND n.newest = 1
JOIN statuses s
  ON s.provider = f.provider AND s.repo = f.repo AND s.deploy_id = f.deploy_id
 AND s.deciding = 1
