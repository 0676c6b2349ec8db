-- Every CI record that implements a gate (`sast`, `sca`, `iac`, `container`, `deploy`, as the
-- source's `gates` setting maps job and check names), with whether it failed or succeeded.
-- GitHub reports `conclusion`; GitLab only `status` (copied into `conclusion` at ingest).
-- Like every view, it reads the evidence in ($evidence_start, $as_of] that the lake had
-- ingested by $known_at (transaction time), which evlake binds to each question.
SELECT
  provider, repo, record_kind, run_id, run_attempt, workflow, job_id, job_name, gate,
  commit_sha, environment, status, conclusion,
  COALESCE(allow_failure, FALSE) AS allow_failure,
  COALESCE(started_at, completed_at, event_time) AS started_at,
  COALESCE(completed_at, event_time) AS finished_at,
  conclusion IN ('failure', 'failed', 'timed_out') AS failed,
  conclusion = 'success' AS succeeded,
  event_time, ingested_at, source, source_name, source_id, record_sha256
FROM ci_jobs
WHERE gate IS NOT NULL AND event_time > $evidence_start AND event_time <= $as_of
  AND ingested_at <= $known_at
  -- Only concluded records: one read while it was still running is kept in the lake, but
  -- its finished record (a separate row) is the one that says what the gate did.
  AND conclusion IS NOT NULL
  -- A GitLab job waiting for someone to play it (`manual`) has not run yet: when it is played,
  -- its finished record says what happened.
  AND conclusion NOT IN ('created', 'pending', 'running', 'preparing', 'scheduled',
    'waiting_for_resource', 'manual')
