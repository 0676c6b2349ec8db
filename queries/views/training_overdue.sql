-- Every engineer in scope at $as_of (views/people_at.sql) who has not completed security
-- training in the $window_days days before it (or whose only completions have expired), as
-- the lake knew it at $known_at, with the permissions they held then
-- (views/person_permissions.sql) and the exception that covers them.
--   last_training    their newest security training completion at or before $as_of
--   lapsed_epoch     when it stopped counting (a window after it, or its expiry), in epoch
--                    seconds; overdue_days the days since. Null for someone never trained
--   permissions      each held `provider scope kind name [(via group …)]`, with granted_at and
--                    the source record that grants it (permission_sources) in the same order,
--                    and the privileged ones; null for someone who held none
--   baseline_unknown some permission comes from grants alone, with no snapshot before them
--   exception_…      the exception in force at $as_of: a state of the register for control
--                    `training` or `access`, scoped to the person, owned, expiring after
--                    $as_of, not revoked, recorded by then and not yet superseded (the one
--                    expiring last)
--   class            privileged_unexcepted (privileged access, no valid exception), excepted
--                    (privileged access under one), overdue (no privileged access)
--   source … record_sha256   the people record that lists them
WITH security_training AS (
  SELECT person, completed_at, expires_at
  FROM training
  WHERE security AND event_time <= $as_of AND ingested_at <= $known_at
),
trained AS (
  SELECT
    person, MAX(completed_at) AS last_training,
    MAX(CASE WHEN completed_at > $window_start AND (expires_at IS NULL OR expires_at > $as_of)
      THEN completed_at END) AS current_training,
    -- When the newest completion stopped counting: a window after it, or its expiry.
    MAX(CASE
      WHEN expires_at IS NOT NULL
        AND EXTRACT(EPOCH FROM expires_at) < EXTRACT(EPOCH FROM completed_at) + $window_days * 86400
        THEN EXTRACT(EPOCH FROM expires_at)
      ELSE EXTRACT(EPOCH FROM completed_at) + $window_days * 86400
    END) AS lapsed_epoch
  FROM security_training
  GROUP BY person
),
overdue AS (
  SELECT p.*, t.last_training, t.lapsed_epoch
  FROM people_at p
  LEFT JOIN trained t ON t.person = p.person
  WHERE p.in_scope AND t.current_training IS NULL
),
held AS (
  SELECT
    person,
    array_agg(
      provider || ' ' || COALESCE(scope, '-') || ' ' || permission_kind || ' ' || permission
        || CASE WHEN via = 'direct' THEN '' ELSE ' (via ' || via || ')' END
      ORDER BY provider, scope, permission_kind, permission, via
    ) AS permissions,
    array_agg(granted_at ORDER BY provider, scope, permission_kind, permission, via) AS granted_at,
    array_agg(source_id ORDER BY provider, scope, permission_kind, permission, via)
      AS permission_sources,
    array_agg(
      provider || ' ' || COALESCE(scope, '-') || ' ' || permission_kind || ' ' || permission
        || CASE WHEN via = 'direct' THEN '' ELSE ' (via ' || via || ')' END
      ORDER BY provider, scope, permission_kind, permission, via
    ) FILTER (WHERE privileged) AS privileged_permissions,
    BOOL_OR(privileged) AS privileged,
    BOOL_OR(baseline = 'unknown') AS baseline_unknown
  FROM person_permissions
  WHERE person IS NOT NULL
  GROUP BY person
),
covers AS (
  SELECT
    lower(scope) AS person, exception_id, owner, expires_at,
    ROW_NUMBER() OVER (PARTITION BY lower(scope) ORDER BY expires_at DESC, exception_id) AS n
  FROM exception_states
  WHERE control IN ('training', 'access') AND scope_kind = 'person' AND owner IS NOT NULL
    AND expires_at IS NOT NULL AND created_at <= $as_of AND expires_at > $as_of
    AND (revoked_at IS NULL OR revoked_at > $as_of)
    AND recorded_at <= $as_of AND (superseded_at IS NULL OR superseded_at > $as_of)
)
SELECT
  o.person, o.team, o.started_at, o.last_training, o.lapsed_epoch,
  ROUND((EXTRACT(EPOCH FROM $as_of) - o.lapsed_epoch) / 86400.0, 1) AS overdue_days,
  h.permissions, h.granted_at, h.permission_sources, h.privileged_permissions,
  COALESCE(h.privileged, FALSE) AS privileged,
  COALESCE(h.baseline_unknown, FALSE) AS baseline_unknown,
  c.exception_id, c.owner AS exception_owner, c.expires_at AS exception_expires,
  CASE
    WHEN COALESCE(h.privileged, FALSE) AND c.exception_id IS NULL THEN 'privileged_unexcepted'
    WHEN COALESCE(h.privileged, FALSE) THEN 'excepted'
    ELSE 'overdue'
  END AS class,
  o.source, o.source_name, o.source_id, o.event_time, o.ingested_at, o.record_sha256
FROM overdue o
LEFT JOIN held h ON h.person = o.person
LEFT JOIN covers c ON c.person = o.person AND c.n = 1
