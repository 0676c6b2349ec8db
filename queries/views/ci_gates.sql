-- Every CI record that implements a gate (`sast`, `sca`, `iac`, `container`, `deploy`, as the
-- source's `gates` setting maps job and check names), with whether it failed or succeeded:
-- the latest concluded record of each job (or run attempt) by event time, so a GitLab job
-- skipped and then retried under the same id says what it did last, however the records were
-- backfilled; a GitHub Actions job also listed as a check run (same id) is one result, the
-- job's. (Found by a narrow aggregate and a hash join rather than a window over every
-- record, which would sort them all.)
-- GitHub reports `conclusion`; GitLab only `status` (copied into `conclusion` at ingest).
-- `allow_failure`: the job may fail without failing the pipeline — GitLab says so; a GitHub
-- job says it by failing in a workflow run that concluded `success` (`continue-on-error`).
-- `production`: ran for production, by the job's environment, else its branch (the source's
-- settings); NULL when the record names neither.
-- Like every view, it reads the evidence in ($evidence_start, $as_of] that the lake had
-- ingested by $known_at (transaction time), which evlake binds to each question.
WITH concluded AS (
  SELECT
    provider, repo, record_kind, run_id, run_attempt, workflow, job_id, job_name, gate,
    commit_sha, environment, production, status, conclusion, allow_failure,
    COALESCE(started_at, completed_at, event_time) AS started_at,
    COALESCE(completed_at, event_time) AS finished_at,
    conclusion IN ('failure', 'failed', 'timed_out') AS failed,
    conclusion = 'success' AS succeeded,
    -- Skipped and cancelled records did not run (GitLab gives a skipped job no start or
    -- finish time at all).
    conclusion NOT IN ('skipped', 'cancelled', 'canceled', 'neutral') AS ran,
    COALESCE(repo, '') AS repo_key,
    -- A GitHub Actions job is also a check run with the same id: one gate result.
    CASE WHEN provider = 'github' AND record_kind = 'check_run' THEN 'job' ELSE record_kind END
      AS kind_key,
    COALESCE(job_id, run_id) AS record_key,
    -- A run keeps its id across attempts; a job's id is its attempt's own.
    CASE WHEN record_kind = 'run' THEN COALESCE(run_attempt, 0) ELSE 0 END AS attempt_key,
    event_time, ingested_at, source, source_name, source_id, record_sha256
  FROM ci_jobs
  WHERE gate IS NOT NULL AND event_time > $evidence_start AND event_time <= $as_of
    AND ingested_at <= $known_at
    -- Only concluded records: one read while it was still running (or, on GitLab, waiting
    -- to be played by hand: `manual`) is kept in the lake, but its finished record (a
    -- separate row) is the one that says what the gate did.
    AND conclusion IS NOT NULL
    AND conclusion NOT IN ('created', 'pending', 'running', 'preparing', 'scheduled',
      'waiting_for_resource', 'manual', 'in_progress', 'queued', 'waiting', 'requested')
),
succeeded_runs AS (
  -- GitHub workflow runs (each attempt) that concluded `success`.
  SELECT DISTINCT repo, run_id, run_attempt
  FROM ci_jobs
  WHERE provider = 'github' AND record_kind = 'run' AND conclusion = 'success'
    AND event_time > $evidence_start AND event_time <= $as_of AND ingested_at <= $known_at
),
latest AS (
  -- The newest concluded record of each, the job's where a check run stands beside it (the
  -- job names its run and attempt).
  SELECT
    provider, repo_key, kind_key, record_key, attempt_key, MAX(event_time) AS last_time,
    MAX(CASE WHEN record_kind = 'job' THEN event_time END) AS last_job_time
  FROM concluded
  GROUP BY provider, repo_key, kind_key, record_key, attempt_key
)
SELECT
  c.provider, c.repo, c.record_kind, c.run_id, c.run_attempt, c.workflow, c.job_id,
  c.job_name, c.gate, c.commit_sha, c.environment, c.production, c.status, c.conclusion,
  COALESCE(c.allow_failure, FALSE) OR (c.failed AND r.run_id IS NOT NULL) AS allow_failure,
  c.started_at, c.finished_at, c.failed, c.succeeded, c.ran,
  c.event_time, c.ingested_at, c.source, c.source_name, c.source_id, c.record_sha256
FROM concluded c
JOIN latest l
  ON l.provider = c.provider AND l.repo_key = c.repo_key AND l.kind_key = c.kind_key
 AND l.record_key = c.record_key AND l.attempt_key = c.attempt_key
 AND c.event_time = COALESCE(l.last_job_time, l.last_time)
 AND (l.last_job_time IS NULL OR c.record_kind = 'job')
LEFT JOIN succeeded_runs r
  ON c.provider = 'github' AND c.record_kind = 'job' AND r.repo = c.repo
 AND r.run_id = c.run_id AND r.run_attempt = c.run_attempt
