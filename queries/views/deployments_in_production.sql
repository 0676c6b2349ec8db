-- Each production deployment (`deployment_outcomes`) with the deploy job that made it: the
-- one its status names, else (a status whose URL names no job) the deploy job of the same
-- repository and commit, and environment where the job names one, that was running when it
-- was created. A view of its own because the deploy attempts read it twice (the jobs
-- that made a deployment, and the deployments no job made): staged, it is computed once.
WITH deploy_job_runs AS (
  -- When each deploy job ran, from a narrow read of the CI records (for the deployments
  -- whose status names no job).
  SELECT provider, repo, commit_sha, environment, job_id,
    MIN(COALESCE(started_at, completed_at, event_time)) AS started_at,
    MAX(COALESCE(completed_at, event_time)) AS finished_at
  FROM ci_jobs
  WHERE gate = 'deploy' AND record_kind = 'job'
    AND event_time > $evidence_start AND event_time <= $as_of AND ingested_at <= $known_at
  GROUP BY provider, repo, commit_sha, environment, job_id
)
SELECT
  d.provider, d.repo, d.deploy_id, d.environment, d.commit_sha, d.run_id, d.created_at,
  d.went_out, d.final_status, d.event_time, d.ingested_at, d.source, d.source_name,
  d.source_id, d.record_sha256,
  COALESCE(d.job_id, MIN(j.job_id)) AS job_id
FROM deployment_outcomes d
LEFT JOIN deploy_job_runs j
  ON d.job_id IS NULL AND j.provider = d.provider AND j.repo = d.repo
 AND j.commit_sha = d.commit_sha
 AND (j.environment IS NULL OR LOWER(j.environment) = LOWER(d.environment))
 AND d.created_at >= j.started_at AND d.created_at <= j.finished_at
WHERE d.production
GROUP BY
  d.provider, d.repo, d.deploy_id, d.environment, d.commit_sha, d.run_id, d.created_at,
  d.went_out, d.final_status, d.event_time, d.ingested_at, d.source, d.source_name,
  d.source_id, d.record_sha256, d.job_id
