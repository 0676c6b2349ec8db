-- Every recorded state of every exception in the register, with when the lake recorded it
-- (`recorded_at`, its ingested_at) and when a later state replaced it (`superseded_at`, NULL
-- for the current state), among entries created by $as_of and ingested by $known_at.
-- Each reading of a changed register records each entry again (its source_id names the
-- reading), so an entry that goes A -> B -> A has A as its current state.
-- The register is small and an old exception may still hold, so it is not bounded by
-- $evidence_start.
SELECT
  exception_id, control, scope_kind, scope, owner, reason, ticket, created_at, expires_at,
  revoked_at, event_time, ingested_at, ingested_at AS recorded_at,
  LEAD(ingested_at) OVER (
    PARTITION BY exception_id ORDER BY ingested_at, source_id
  ) AS superseded_at,
  source, source_name, source_id, record_sha256
FROM exceptions
WHERE event_time <= $as_of AND ingested_at <= $known_at
