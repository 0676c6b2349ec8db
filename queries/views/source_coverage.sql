-- How well each evidence source covers the lookback: per table a question needs and per
-- configured source feeding it, its records in ($lookback_start, $as_of] that the lake had
-- ingested by $known_at, by UTC day.
--   first_event, last_event   its first and last event of the lookback
--   last_ingested             when the lake last took in one of them
--   event_days                days with at least one event
--   window_records            its records in the question's window ($window_start, $as_of]
--   longest_gap_days          the longest run of days without events between two days with
--                             events: how quiet the source's own history says it can be
--   silent_days               whole days without events since its last one (the day of
--                             $as_of, still under way, not counted)
--   stale                     silent longer than $stale_after_days, than its longest gap, and
--                             so long that, at the share of days its history has events on,
--                             chance would leave it that silent less than once in a hundred:
--                             the feed stopped (or its records were not ingested by $known_at).
--                             A sparse source (a few tickets a week) may be quiet for a week.
--   coverage                  the source and its silence in words, for the answer
-- A table with no records at all has no row: the questions count it as missing.
WITH events AS (
  SELECT 'ci_jobs' AS table_name, source_name, event_time, ingested_at
  FROM ci_jobs
  WHERE event_time > $lookback_start AND event_time <= $as_of AND ingested_at <= $known_at
  UNION ALL
  SELECT 'runtime_alerts' AS table_name, source_name, event_time, ingested_at
  FROM runtime_alerts
  WHERE event_time > $lookback_start AND event_time <= $as_of AND ingested_at <= $known_at
  UNION ALL
  SELECT 'incidents' AS table_name, source_name, event_time, ingested_at
  FROM incidents
  WHERE event_time > $lookback_start AND event_time <= $as_of AND ingested_at <= $known_at
),
days AS (
  SELECT
    table_name, source_name,
    CAST(FLOOR(EXTRACT(EPOCH FROM event_time) / 86400) AS BIGINT) AS day,
    COUNT(*) AS records,
    SUM(CASE WHEN event_time > $window_start THEN 1 ELSE 0 END) AS window_records,
    MIN(event_time) AS first_event,
    MAX(event_time) AS last_event,
    MAX(ingested_at) AS last_ingested
  FROM events
  GROUP BY table_name, source_name, CAST(FLOOR(EXTRACT(EPOCH FROM event_time) / 86400) AS BIGINT)
),
gaps AS (
  SELECT
    days.*,
    day - LAG(day) OVER (PARTITION BY table_name, source_name ORDER BY day) - 1 AS gap_before
  FROM days
),
sources AS (
  SELECT
    table_name, source_name,
    MIN(first_event) AS first_event,
    MAX(last_event) AS last_event,
    MAX(last_ingested) AS last_ingested,
    COUNT(*) AS event_days,
    SUM(records) AS records,
    SUM(window_records) AS window_records,
    COALESCE(MAX(gap_before), 0) AS longest_gap_days,
    GREATEST(CAST(FLOOR(EXTRACT(EPOCH FROM $as_of) / 86400) AS BIGINT) - MAX(day) - 1, 0)
      AS silent_days,
    -- The whole days from its first event to $as_of's day.
    CAST(FLOOR(EXTRACT(EPOCH FROM $as_of) / 86400) AS BIGINT) - MIN(day) AS span_days
  FROM gaps
  GROUP BY table_name, source_name
)
SELECT
  table_name, source_name, first_event, last_event, last_ingested, event_days, records,
  window_records, longest_gap_days, silent_days,
  silent_days > $stale_after_days AND silent_days > longest_gap_days
    AND power(1.0 - CAST(event_days AS DOUBLE) / GREATEST(span_days, 1), silent_days) < 0.01
    AS stale,
  table_name || '/' || source_name || ' silent ' || CAST(silent_days AS VARCHAR)
    || ' d (longest gap ' || CAST(longest_gap_days AS VARCHAR) || ' d)' AS coverage
FROM sources
