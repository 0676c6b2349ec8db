-- Every CI record that implements a gate (`sast`, `sca`, `iac`, `container`, `deploy`, as the
-- source's `gates` setting maps job and check names), with whether it failed or succeeded:
-- the latest concluded record of each job (or run attempt) by event time, so a GitLab job
-- skipped and then retried under the same id says what it did last, however the records were
-- backfilled.
-- GitHub reports `conclusion`; GitLab only `status` (copied into `conclusion` at ingest).
-- Like every view, it reads the evidence in ($evidence_start, $as_of] that the lake had
-- ingested by $known_at (transaction time), which evlake binds to each question.
SELECT
  provider, repo, record_kind, run_id, run_attempt, workflow, job_id, job_name, gate,
  commit_sha, environment, status, conclusion, allow_failure, started_at, finished_at,
  failed, succeeded, ran,
  event_time, ingested_at, source, source_name, source_id, record_sha256
FROM (
  SELECT
    provider, repo, record_kind, run_id, run_attempt, workflow, job_id, job_name, gate,
    commit_sha, environment, status, conclusion,
    COALESCE(allow_failure, FALSE) AS allow_failure,
    COALESCE(started_at, completed_at, event_time) AS started_at,
    COALESCE(completed_at, event_time) AS finished_at,
    conclusion IN ('failure', 'failed', 'timed_out') AS failed,
    conclusion = 'success' AS succeeded,
    -- Skipped and cancelled records did not run (GitLab gives a skipped job no start or
    -- finish time at all).
    conclusion NOT IN ('skipped', 'cancelled', 'canceled', 'neutral') AS ran,
    event_time, ingested_at, source, source_name, source_id, record_sha256,
    ROW_NUMBER() OVER (
      PARTITION BY provider, repo, record_kind, COALESCE(job_id, run_id), run_attempt
      ORDER BY event_time DESC, ingested_at DESC, source_id DESC
    ) AS newest
  FROM ci_jobs
  WHERE gate IS NOT NULL AND event_time > $evidence_start AND event_time <= $as_of
    AND ingested_at <= $known_at
    -- Only concluded records: one read while it was still running (or, on GitLab, waiting
    -- to be played by hand: `manual`) is kept in the lake, but its finished record (a
    -- separate row) is the one that says what the gate did.
    AND conclusion IS NOT NULL
    AND conclusion NOT IN ('created', 'pending', 'running', 'preparing', 'scheduled',
      'waiting_for_resource', 'manual', 'in_progress', 'queued', 'waiting', 'requested')
) records
WHERE newest = 1
