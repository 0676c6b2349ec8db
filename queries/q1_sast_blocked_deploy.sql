-- q1: show one production deploy in the window that the SAST policy blocked, and every
-- production deploy that went out although SAST reported blocking-severity findings.
--
-- Evidence rows: the most recent deploy blocked by SAST at or before $as_of (searched back to
-- $lookback_start; it may lie before the window, its age tells), then every advisory leak,
-- every excepted deploy (in time, or only by an exception recorded after it: `excepted_late`,
-- with when that exception was recorded) and every deploy that failed on its own, in the
-- window ($window_start, $as_of].
-- Rows ingested more than a day after they happened are flagged `late` (backfilled evidence).
-- Each row carries the provenance of the deploy (source, source_id, ingested_at,
-- record_sha256) and of what decided its class: the failed SAST result (gate_source_id,
-- gate_record_sha256), the blocking findings (finding_source_ids) and the covering
-- exception's state (exception_source_id, exception_record_sha256).
WITH ranked AS (
  SELECT
    p.*,
    ROW_NUMBER() OVER (PARTITION BY class ORDER BY event_time DESC, source_id DESC) AS recency
  FROM prod_deploy_attempts p
  WHERE event_time > $lookback_start AND event_time <= $as_of
)
SELECT
  deploy_id, repo, class, outcome, blocked_by, exception_id, exception_recorded_at,
  critical_findings, high_findings,
  event_time,
  CAST(FLOOR((EXTRACT(EPOCH FROM $as_of) - EXTRACT(EPOCH FROM event_time)) / 86400) AS BIGINT)
    AS age_days,
  ingested_at > event_time + INTERVAL '24 hours' AS late,
  environment, commit_sha, run_id, deploy_job, source, source_id, ingested_at, record_sha256,
  -- What decided the class, each traceable to its record: the failed SAST result, the
  -- blocking findings and the exception's state.
  gate_source_id, gate_record_sha256, finding_source_ids, exception_source_id,
  exception_record_sha256
FROM ranked
WHERE (class = 'blocked' AND recency = 1)
   OR (class IN ('advisory_leak', 'excepted', 'excepted_late', 'failed')
     AND event_time > $window_start)
ORDER BY event_time, source_id
