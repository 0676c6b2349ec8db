-- q4 metrics: the counts behind the verdict and the level (see rubric.toml), one row.
--   people_in_scope        engineers active at $as_of (views/people_at.sql)
--   trained                of them, with a security training completion in the window
--   overdue                of them, without (views/training_overdue.sql)
--   completion_share       trained / people_in_scope
--   overdue_privileged     overdue people holding privileged access at $as_of
--   excepted               of those, under a valid exception
--   privileged_unexcepted  of those, without one: the control did not hold
--   past_deadline          of those, overdue for more than $revoke_within_days days (or never
--                          trained): the access should have been revoked by now
--   unmapped_privileged    user principals holding privileged access at $as_of that map to no
--                          person (no e-mail in their name, no alias): access nobody answers for
--   revoked_in_time, revoked_late   the enforcement loop over the lookback
--                          ($lookback_start, $as_of]: privileged permissions revoked from a
--                          person overdue at the revocation, within $revoke_within_days days of
--                          their training lapsing, or later
--   training_records, iam_records, missing_sources   the evidence q4 stands on: training
--                          completions and IAM records (events in the lookback, snapshots at or
--                          before $as_of) the lake had by $known_at; a missing one — or nobody
--                          in scope — makes the answer no_data, never a finding
WITH scope AS (
  SELECT COUNT(*) AS people_in_scope FROM people_at WHERE in_scope
),
found AS (
  SELECT
    COUNT(*) AS overdue,
    SUM(CASE WHEN privileged THEN 1 ELSE 0 END) AS overdue_privileged,
    SUM(CASE WHEN class = 'excepted' THEN 1 ELSE 0 END) AS excepted,
    SUM(CASE WHEN class = 'privileged_unexcepted' THEN 1 ELSE 0 END) AS privileged_unexcepted,
    SUM(CASE WHEN class = 'privileged_unexcepted'
      AND (overdue_days IS NULL OR overdue_days > $revoke_within_days) THEN 1 ELSE 0 END)
      AS past_deadline
  FROM training_overdue
),
unmapped AS (
  SELECT COUNT(DISTINCT provider || ' ' || COALESCE(scope, '-') || ' ' || principal)
    AS unmapped_privileged
  FROM person_permissions
  WHERE privileged AND NOT mapped
),
revocations AS (
  SELECT e.event_time, COALESCE(e.principal_email, n.person) AS person
  FROM iam_events e
  LEFT JOIN (SELECT person, unnest(aliases) AS alias FROM people_at) n
    ON e.principal_email IS NULL AND n.alias = e.principal
  WHERE e.effect = 'revoke' AND e.privileged AND e.principal_kind = 'user'
    AND e.event_time > $lookback_start AND e.event_time <= $as_of
    AND e.ingested_at <= $known_at
),
loop_cases AS (
  -- Each revocation from a person overdue then: their newest completion before it lapsed.
  SELECT
    r.person, r.event_time,
    MAX(CASE
      WHEN t.expires_at IS NOT NULL
        AND EXTRACT(EPOCH FROM t.expires_at) < EXTRACT(EPOCH FROM t.completed_at) + $window_days * 86400
        THEN EXTRACT(EPOCH FROM t.expires_at)
      ELSE EXTRACT(EPOCH FROM t.completed_at) + $window_days * 86400
    END) AS lapsed_epoch
  FROM revocations r
  LEFT JOIN training t
    ON t.person = r.person AND t.security AND t.completed_at <= r.event_time
   AND t.ingested_at <= $known_at
  WHERE r.person IS NOT NULL
  GROUP BY r.person, r.event_time
),
loop AS (
  SELECT
    SUM(CASE WHEN lapsed_epoch IS NOT NULL AND lapsed_epoch <= EXTRACT(EPOCH FROM event_time)
      AND EXTRACT(EPOCH FROM event_time) - lapsed_epoch <= $revoke_within_days * 86400
      THEN 1 ELSE 0 END) AS revoked_in_time,
    SUM(CASE WHEN lapsed_epoch IS NULL
      OR EXTRACT(EPOCH FROM event_time) - lapsed_epoch > $revoke_within_days * 86400
      THEN 1 ELSE 0 END) AS revoked_late
  FROM loop_cases
  WHERE lapsed_epoch IS NULL OR lapsed_epoch <= EXTRACT(EPOCH FROM event_time)
),
evidence AS (
  SELECT
    (SELECT COUNT(*) FROM training WHERE event_time <= $as_of AND ingested_at <= $known_at)
      AS training_records,
    (SELECT COUNT(*) FROM iam_events
      WHERE event_time > $lookback_start AND event_time <= $as_of AND ingested_at <= $known_at)
    + (SELECT COUNT(*) FROM iam_state WHERE event_time <= $as_of AND ingested_at <= $known_at)
      AS iam_records
)
SELECT
  s.people_in_scope,
  s.people_in_scope - f.overdue AS trained,
  f.overdue,
  CASE WHEN s.people_in_scope > 0
    THEN ROUND(CAST(s.people_in_scope - f.overdue AS DOUBLE) / s.people_in_scope, 4) END
    AS completion_share,
  COALESCE(f.overdue_privileged, 0) AS overdue_privileged,
  COALESCE(f.excepted, 0) AS excepted,
  COALESCE(f.privileged_unexcepted, 0) AS privileged_unexcepted,
  COALESCE(f.past_deadline, 0) AS past_deadline,
  u.unmapped_privileged,
  COALESCE(l.revoked_in_time, 0) AS revoked_in_time,
  COALESCE(l.revoked_late, 0) AS revoked_late,
  e.training_records, e.iam_records,
  CASE WHEN s.people_in_scope = 0 THEN 1 ELSE 0 END
    + CASE WHEN e.training_records = 0 THEN 1 ELSE 0 END
    + CASE WHEN e.iam_records = 0 THEN 1 ELSE 0 END AS missing_sources
FROM scope s, found f, unmapped u, loop l, evidence e
