-- Every engineer in scope at $as_of (views/people_at.sql) who has not completed security
-- training in the $window_days days before it (or whose only completions have expired; the
-- LMS's name for a person maps through views/people_names.sql), as
-- the lake knew it at $known_at, with the permissions they held then
-- (views/person_permissions.sql) and the exception that covers them.
--   last_training    their newest security training completion at or before $as_of
--   lapsed_epoch     when it stopped counting (a window after it, or its expiry), in epoch
--                    seconds; overdue_days the days since. Null for someone never trained
--   permissions      each held `provider scope kind name [(via group …)]`, with granted_at and
--                    the record that grants it (permission_sources, permission_records: its
--                    source_id and record_sha256) in the same order,
--                    and the privileged ones; null for someone who held none
--   baseline_unknown some permission comes from grants alone, with no snapshot before them
--   exception_…      the exception covering $as_of: a state of the register for control
--                    `training` or `access`, scoped to the person (or one of their names),
--                    owned, expiring after $as_of, not revoked; in force then (or first
--                    recorded within $exception_grace_hours), else the current state recorded
--                    after the fact; the one expiring last
--   class            privileged_unexcepted (privileged access, no valid exception), excepted
--                    (privileged access under one), excepted_late (only under one recorded
--                    after the fact: backdated), overdue (no privileged access)
--   source … record_sha256   the people record that lists them
WITH security_training AS (
  -- Completions by whoever the LMS's name for the person is.
  SELECT COALESCE(n.person, t.person) AS person, t.completed_at, t.expires_at
  FROM training t
  LEFT JOIN people_names n ON n.alias = t.person
  WHERE t.security AND t.event_time <= $as_of AND t.ingested_at <= $known_at
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
      ORDER BY provider, scope, permission_kind, permission, via, source_name, source_id
    ) AS permissions,
    array_agg(granted_at
      ORDER BY provider, scope, permission_kind, permission, via, source_name, source_id)
      AS granted_at,
    array_agg(source_id
      ORDER BY provider, scope, permission_kind, permission, via, source_name, source_id)
      AS permission_sources,
    array_agg(record_sha256
      ORDER BY provider, scope, permission_kind, permission, via, source_name, source_id)
      AS permission_records,
    array_agg(
      provider || ' ' || COALESCE(scope, '-') || ' ' || permission_kind || ' ' || permission
        || CASE WHEN via = 'direct' THEN '' ELSE ' (via ' || via || ')' END
      ORDER BY provider, scope, permission_kind, permission, via, source_name, source_id
    ) FILTER (WHERE privileged) AS privileged_permissions,
    BOOL_OR(privileged) AS privileged,
    BOOL_OR(baseline = 'unknown') AS baseline_unknown
  FROM person_permissions
  WHERE person IS NOT NULL
  GROUP BY person
),
covers AS (
  -- The states of the register's exceptions for the person that cover $as_of: owned,
  -- expiring, created by then, not revoked. `timely`, by q1's rule: the state in force at
  -- $as_of, or, for an exception the lake had no state of yet, its first state recorded
  -- within $exception_grace_hours (the register's ingest cadence); any other covering state
  -- was recorded after the fact (`excepted_late`).
  SELECT
    COALESCE(n.person, lower(e.scope)) AS person, e.exception_id, e.owner, e.expires_at,
    (e.recorded_at <= $as_of AND (e.superseded_at IS NULL OR e.superseded_at > $as_of))
    OR (e.first_recorded_at > $as_of AND e.recorded_at = e.first_recorded_at
      AND EXTRACT(EPOCH FROM e.recorded_at)
        <= EXTRACT(EPOCH FROM $as_of) + $exception_grace_hours * 3600) AS timely,
    e.superseded_at IS NULL AS current_state
  FROM exception_states e
  LEFT JOIN people_names n ON n.alias = lower(e.scope)
  WHERE e.control IN ('training', 'access') AND e.scope_kind = 'person' AND e.owner IS NOT NULL
    AND e.expires_at IS NOT NULL AND e.created_at <= $as_of AND e.expires_at > $as_of
    AND (e.revoked_at IS NULL OR e.revoked_at > $as_of)
),
cover AS (
  SELECT
    person, exception_id, owner, expires_at, timely,
    ROW_NUMBER() OVER (
      PARTITION BY person
      ORDER BY CASE WHEN timely THEN 0 ELSE 1 END, expires_at DESC, exception_id
    ) AS n
  FROM covers
  WHERE timely OR current_state
)
SELECT
  o.person, o.team, o.started_at, o.last_training, o.lapsed_epoch,
  ROUND((EXTRACT(EPOCH FROM $as_of) - o.lapsed_epoch) / 86400.0, 1) AS overdue_days,
  h.permissions, h.granted_at, h.permission_sources, h.permission_records,
  h.privileged_permissions,
  COALESCE(h.privileged, FALSE) AS privileged,
  COALESCE(h.baseline_unknown, FALSE) AS baseline_unknown,
  c.exception_id, c.owner AS exception_owner, c.expires_at AS exception_expires,
  CASE
    WHEN NOT COALESCE(h.privileged, FALSE) THEN 'overdue'
    WHEN c.exception_id IS NULL THEN 'privileged_unexcepted'
    WHEN c.timely THEN 'excepted'
    ELSE 'excepted_late'
  END AS class,
  o.source, o.source_name, o.source_id, o.event_time, o.ingested_at, o.record_sha256
FROM overdue o
LEFT JOIN held h ON h.person = o.person
LEFT JOIN cover c ON c.person = o.person AND c.n = 1
