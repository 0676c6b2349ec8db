-- The current state of every exception in the register: its last recorded state, if the last
-- reading of its register still holds it (an entry extended, revoked or re-owned is a new
-- state of the same id; one deleted from the register has none), as the lake knew it at
-- $known_at.
SELECT
  exception_id, control, scope_kind, scope, owner, reason, ticket, created_at, expires_at,
  revoked_at, event_time, ingested_at, source, source_name, source_id, record_sha256
FROM exception_states
WHERE superseded_at IS NULL
