-- Every recorded state of every exception in the register, among entries created by $as_of
-- and ingested by $known_at:
--   recorded_at        when the lake recorded it (its ingested_at)
--   superseded_at      when it stopped being the register's word: the next state of the same
--                      id, or the next reading of the same register file (an entry deleted
--                      from the file ends there); NULL for a current state
--   first_recorded_at  when the lake first recorded any state of the id
-- Each reading of a changed register records every entry again (its source_id names the
-- reading), so an entry that goes A -> B -> A has A as its current state. Two states of one
-- id in one reading (a duplicated id) are ordered by where they stand in the file.
-- The register is small and an old exception may still hold, so it is not bounded by
-- $evidence_start.
WITH states AS (
  SELECT
    e.*,
    regexp_replace(source_ref, '(#/[0-9]+|:[0-9]+)$', '') AS register_file,
    -- Where the entry stands in its file: `FILE#/N` (YAML) or `FILE:LINE` (CSV).
    TRY_CAST(regexp_replace(source_ref, '^.*(#/|:)', '') AS BIGINT) AS entry_position
  FROM exceptions e
  WHERE event_time <= $as_of AND ingested_at <= $known_at
),
readings AS (
  SELECT DISTINCT source_name, register_file, ingested_at FROM states
),
chained AS (
  SELECT
    s.*,
    LEAD(s.ingested_at) OVER (
      PARTITION BY s.exception_id
      ORDER BY s.ingested_at, s.register_file, s.entry_position, s.source_id
    ) AS next_state_at,
    MIN(s.ingested_at) OVER (PARTITION BY s.exception_id) AS first_recorded_at
  FROM states s
),
next_reading AS (
  SELECT c.source_id, c.ingested_at, MIN(r.ingested_at) AS next_reading_at
  FROM chained c
  JOIN readings r
    ON r.source_name = c.source_name AND r.register_file = c.register_file
   AND r.ingested_at > c.ingested_at
  GROUP BY c.source_id, c.ingested_at
)
SELECT
  c.exception_id, c.control, c.scope_kind, c.scope, c.owner, c.reason, c.ticket,
  c.created_at, c.expires_at, c.revoked_at, c.event_time, c.ingested_at,
  c.ingested_at AS recorded_at,
  CASE
    WHEN c.next_state_at IS NULL THEN n.next_reading_at
    WHEN n.next_reading_at IS NULL OR c.next_state_at < n.next_reading_at THEN c.next_state_at
    ELSE n.next_reading_at
  END AS superseded_at,
  c.first_recorded_at,
  c.source, c.source_name, c.source_id, c.source_ref, c.record_sha256
FROM chained c
LEFT JOIN next_reading n ON n.source_id = c.source_id AND n.ingested_at = c.ingested_at
