-- Every CI record that implements a gate (`sast`, `sca`, `iac`, `container`, `deploy`, as the
-- source's `gates` setting maps job and check names), with whether it failed or succeeded:
-- the latest concluded record of each job (or run attempt) by event time, so a GitLab job
-- skipped and then retried under the same id says what it did last, however the records were
-- backfilled. (Found by a narrow aggregate and a hash join rather than a window over every
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
    COALESCE(job_id, run_id) AS record_key,
    COALESCE(run_attempt, 0) AS attempt_key,
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
github_jobs AS (
  -- A GitHub Actions job is also a check run with the same id: one gate result, kept as the
  -- job (which names its run and attempt).
  -- (Concluded job records only: a job last read while running says nothing yet.)
  SELECT DISTINCT repo, job_id
  FROM concluded
  WHERE provider = 'github' AND record_kind = 'job'
),
latest AS (
  SELECT provider, repo_key, record_kind, record_key, attempt_key, MAX(event_time) AS last_time
  FROM concluded
  GROUP BY provider, repo_key, record_kind, record_key, attempt_key
)
SELECT
  c.provider, c.repo, c.record_kind, c.run_id, c.run_attempt, c.workflow, c.job_id,
  c.job_name, c.gate, c.commit_sha, c.environment, c.production, c.status, c.conclusion,
  COALESCE(c.allow_failure, FALSE) OR (c.failed AND r.run_id IS NOT NULL) AS allow_failure,
  c.started_at, c.finished_at, c.failed, c.succeeded, c.ran,
  c.event_time, c.ingested_at, c.source, c.source_name, c.source_id, c.record_sha256
FROM concluded c
JOIN latest l
  ON l.provider = c.provider AND l.repo_key = c.repo_key AND l.record_kind = c.record_kind
 AND l.record_key = c.record_key AND l.attempt_key = c.attempt_key
 AND l.last_time = c.event_time
LEFT JOIN succeeded_runs r
  ON c.provider = 'github' AND c.record_kind = 'job' AND r.repo = c.repo
 AND r.run_id = c.run_id AND r.run_attempt = c.run_attempt
LEFT JOIN github_jobs twin
  ON c.provider = 'github' AND c.record_kind = 'check_run' AND twin.repo = c.repo
 AND twin.job_id = c.job_id
WHERE twin.job_id IS NULL
