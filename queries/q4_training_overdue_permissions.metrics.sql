-- q4 metrics: the counts behind the verdict and the level (see rubric.toml), one row.
--   people_in_scope        engineers active at $as_of (views/people_at.sql)
--   trained                of them, with a security training completion in the window
--   overdue                of them, without (views/training_overdue.sql)
--   completion_share       trained / people_in_scope
--   overdue_privileged     overdue people holding privileged access at $as_of
--   excepted               of those, under a valid exception; excepted_late, only under one
--                          recorded after the fact
--   privileged_unexcepted  of those, under none: the control did not hold
--   past_deadline          of those, overdue for more than $revoke_within_days days (or never
--                          trained): the access should have been revoked by now
--   unmapped_privileged    user principals holding privileged access at $as_of that map to no
--                          person (no alias, no e-mail in their name, or a name two people
--                          share): access nobody answers for
--   systems_without_baseline   systems and places (an Okta org, a GCP project, an AWS account
--                          never snapshotted) whose permissions come from grants alone: what
--                          was granted before the lake's first record there is not known
--   revoked_in_time, revoked_late   the enforcement loop over the lookback
--                          ($lookback_start, $as_of]: privileged access (a permission granted
--                          or held as privileged, a membership of a group holding one) revoked
--                          from an engineer overdue at the revocation, within
--                          $revoke_within_days days of their training lapsing (for one never
--                          trained, of their start), or later
--   training_records, iam_records   the evidence q4 stands on: training completions and IAM
--                          records (events in the lookback, snapshots at or before $as_of) the
--                          lake had by $known_at
--   iam_stale_sources      IAM sources with records in the lookback but none in the last
--                          $stale_after_days days: the feed stopped, later revocations unseen
--   people_snapshot_age_days   the age of the newest people snapshot at $as_of; older than
--                          $people_max_age_days, who is in scope is not known
--   missing_sources        nobody in scope, no training records, no IAM records, a stale IAM
--                          feed or people snapshot: the answer is no_data, never a finding
WITH scope AS (
  SELECT COUNT(*) AS people_in_scope FROM people_at WHERE in_scope
),
found AS (
  SELECT
    COUNT(*) AS overdue,
    SUM(CASE WHEN privileged THEN 1 ELSE 0 END) AS overdue_privileged,
    SUM(CASE WHEN class = 'excepted' THEN 1 ELSE 0 END) AS excepted,
    SUM(CASE WHEN class = 'excepted_late' THEN 1 ELSE 0 END) AS excepted_late,
    SUM(CASE WHEN class = 'privileged_unexcepted' THEN 1 ELSE 0 END) AS privileged_unexcepted,
    SUM(CASE WHEN class = 'privileged_unexcepted' AND (lapsed_epoch IS NULL
      OR EXTRACT(EPOCH FROM $as_of) - lapsed_epoch > $revoke_within_days * 86400)
      THEN 1 ELSE 0 END) AS past_deadline
  FROM training_overdue
),
unmapped AS (
  SELECT COUNT(DISTINCT provider || ' ' || COALESCE(scope, '-') || ' ' || principal)
    AS unmapped_privileged
  FROM person_permissions
  WHERE privileged AND NOT mapped
),
baselines AS (
  SELECT COUNT(DISTINCT provider || ' ' || COALESCE(scope, '-')) AS systems_without_baseline
  FROM iam_permissions_at
  WHERE baseline = 'unknown'
),
privileged_edges AS (
  -- Each edge ever granted as privileged, or held so in a snapshot, from when.
  SELECT provider, scope, principal_kind, principal, permission_kind,
    lower(permission) AS permission, MIN(event_time) AS since
  FROM (
    SELECT provider, scope, principal_kind, principal, permission_kind, permission, event_time
    FROM iam_events
    WHERE effect = 'grant' AND privileged AND event_time <= $as_of AND ingested_at <= $known_at
    UNION ALL
    SELECT provider, scope, principal_kind, principal, permission_kind, permission, event_time
    FROM iam_state
    WHERE record_kind = 'holds' AND privileged AND event_time <= $as_of
      AND ingested_at <= $known_at
  ) p
  GROUP BY provider, scope, principal_kind, principal, permission_kind, lower(permission)
),
revocations AS (
  SELECT e.event_time, p.person, p.started_at
  FROM iam_events e
  LEFT JOIN people_names n ON n.alias = e.principal
  JOIN people_at p ON p.person = COALESCE(n.person, e.principal_email) AND p.engineer
  -- The edge revoked, as privileged before it.
  LEFT JOIN privileged_edges g
    ON g.provider = e.provider AND (g.scope IS NOT DISTINCT FROM e.scope)
   AND g.principal_kind = e.principal_kind AND g.principal = e.principal
   AND g.permission_kind = e.permission_kind AND g.permission = lower(e.permission)
   AND g.since <= e.event_time
  -- A membership of a group that held privileged access before it.
  LEFT JOIN (
    SELECT provider, scope, principal, MIN(since) AS since
    FROM privileged_edges
    WHERE principal_kind = 'group'
    GROUP BY provider, scope, principal
  ) m
    ON e.permission_kind = 'group' AND m.provider = e.provider
   AND (m.scope IS NOT DISTINCT FROM e.scope) AND m.principal = lower(e.permission)
   AND m.since <= e.event_time
  WHERE e.effect = 'revoke' AND e.principal_kind = 'user'
    AND e.event_time > $lookback_start AND e.event_time <= $as_of
    AND e.ingested_at <= $known_at
    AND (e.privileged OR g.since IS NOT NULL OR m.since IS NOT NULL)
),
loop_cases AS (
  -- Each revocation from an engineer: when their newest completion before it lapsed (for
  -- one never trained, when they started).
  SELECT
    r.person, r.event_time,
    COALESCE(MAX(CASE
      WHEN t.expires_at IS NOT NULL
        AND EXTRACT(EPOCH FROM t.expires_at) < EXTRACT(EPOCH FROM t.completed_at) + $window_days * 86400
        THEN EXTRACT(EPOCH FROM t.expires_at)
      ELSE EXTRACT(EPOCH FROM t.completed_at) + $window_days * 86400
    END), MIN(EXTRACT(EPOCH FROM r.started_at))) AS lapsed_epoch
  FROM revocations r
  LEFT JOIN people_names n ON n.person = r.person
  LEFT JOIN training t
    ON t.person = n.alias AND t.security AND t.completed_at <= r.event_time
   AND t.ingested_at <= $known_at
  GROUP BY r.person, r.event_time
),
loop AS (
  -- Only revocations from someone overdue then.
  SELECT
    SUM(CASE WHEN EXTRACT(EPOCH FROM event_time) - lapsed_epoch <= $revoke_within_days * 86400
      THEN 1 ELSE 0 END) AS revoked_in_time,
    SUM(CASE WHEN lapsed_epoch IS NULL
      OR EXTRACT(EPOCH FROM event_time) - lapsed_epoch > $revoke_within_days * 86400
      THEN 1 ELSE 0 END) AS revoked_late
  FROM loop_cases
  WHERE lapsed_epoch IS NULL OR lapsed_epoch <= EXTRACT(EPOCH FROM event_time)
),
feeds AS (
  SELECT source_name, MAX(event_time) AS last_event
  FROM iam_events
  WHERE event_time > $lookback_start AND event_time <= $as_of AND ingested_at <= $known_at
  GROUP BY source_name
),
people_snapshot AS (
  SELECT MAX(event_time) AS snapshot_time
  FROM _snapshots
  WHERE table_name = 'people' AND event_time <= $as_of AND ingested_at <= $known_at
),
evidence AS (
  SELECT
    (SELECT COUNT(*) FROM training WHERE event_time <= $as_of AND ingested_at <= $known_at)
      AS training_records,
    (SELECT COUNT(*) FROM iam_events
      WHERE event_time > $lookback_start AND event_time <= $as_of AND ingested_at <= $known_at)
    + (SELECT COUNT(*) FROM iam_state WHERE event_time <= $as_of AND ingested_at <= $known_at)
      AS iam_records,
    (SELECT COUNT(*) FROM feeds
      WHERE EXTRACT(EPOCH FROM $as_of) - EXTRACT(EPOCH FROM last_event)
        > $stale_after_days * 86400) AS iam_stale_sources,
    (SELECT ROUND((EXTRACT(EPOCH FROM $as_of) - EXTRACT(EPOCH FROM snapshot_time)) / 86400.0, 1)
      FROM people_snapshot) AS people_snapshot_age_days
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
  COALESCE(f.excepted_late, 0) AS excepted_late,
  COALESCE(f.privileged_unexcepted, 0) AS privileged_unexcepted,
  COALESCE(f.past_deadline, 0) AS past_deadline,
  u.unmapped_privileged,
  b.systems_without_baseline,
  COALESCE(l.revoked_in_time, 0) AS revoked_in_time,
  COALESCE(l.revoked_late, 0) AS revoked_late,
  e.training_records, e.iam_records, e.iam_stale_sources, e.people_snapshot_age_days,
  CASE WHEN s.people_in_scope = 0 THEN 1 ELSE 0 END
    + CASE WHEN e.training_records = 0 THEN 1 ELSE 0 END
    + CASE WHEN e.iam_records = 0 THEN 1 ELSE 0 END
    + e.iam_stale_sources
    + CASE WHEN e.people_snapshot_age_days > $people_max_age_days THEN 1 ELSE 0 END
    AS missing_sources
FROM scope s, found f, unmapped u, baselines b, loop l, evidence e
