-- The newest known state of every exception in the register (an entry extended, revoked or
-- re-owned is a new state of the same id), among entries created by $as_of and ingested by
-- $known_at. The register is
-- small and an old exception may still hold, so it is not bounded by $evidence_start.
SELECT
  exception_id, control, scope_kind, scope, owner, reason, ticket, created_at, expires_at,
  revoked_at, event_time, ingested_at, source, source_name, source_id, record_sha256
FROM (
  SELECT
    e.*,
    ROW_NUMBER() OVER (
      PARTITION BY exception_id ORDER BY ingested_at DESC, source_id DESC
    ) AS n
  FROM exceptions e
  WHERE event_time <= $as_of AND ingested_at <= $known_at
) states
WHERE n = 1
