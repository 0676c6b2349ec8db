-- Every permission each principal held at $as_of, as the lake knew it at $known_at: per
-- system and place, from the newest complete IAM snapshot at or before $as_of
-- (aws-iam-snapshot's `_snapshots` markers) replayed forward with every grant and revoke after
-- it up to $as_of; for what no snapshot covers (Okta, GCP, IAM Identity Center assignments, an
-- account never snapshotted), from the grants and revokes alone.
--   provider, scope              the system and where the permission holds (AWS account, GCP
--                                resource, Okta org)
--   principal_kind, principal    who holds it, as the system names them (lower-cased), and
--   principal_email              the person, when the name itself says
--   permission_kind, permission  what is held (iam_events)
--   privileged, escalation       by the source's names or its document; an attached managed
--                                policy also by its newest document at $as_of (a snapshot's
--                                policy version, a CreatePolicyVersion or CreatePolicy)
--   held_by                      `snapshot` (held in the baseline, no change since) or `grant`
--   granted_at                   the grant's instant; for a snapshot row, the snapshot's
--   baseline                     `snapshot` when a snapshot covers it, else `unknown`: the
--                                grants before the first record the lake has are not known
--   source … record_sha256       the record that says it is held
-- An edge's newest change wins: grant -> revoke -> grant holds from the second grant, and an
-- instant between them reads what was in force then. A principal whose own account was
-- deactivated, suspended or deleted (its `account` permission revoked) holds nothing there.
WITH marks AS (
  SELECT source_name, MAX(event_time) AS snapshot_time
  FROM _snapshots
  WHERE table_name = 'iam_state' AND event_time <= $as_of AND ingested_at <= $known_at
  GROUP BY source_name
),
state AS (
  SELECT s.*
  FROM iam_state s
  JOIN marks m ON m.source_name = s.source_name AND m.snapshot_time = s.event_time
  WHERE s.event_time <= $as_of AND s.ingested_at <= $known_at
),
covered AS (
  -- What each snapshot is the baseline of: IAM's own users, groups, roles and policies in
  -- its account, as of its instant.
  SELECT provider, scope, MAX(event_time) AS snapshot_time
  FROM state
  WHERE record_kind = 'holds'
  GROUP BY provider, scope
),
changes AS (
  SELECT
    e.provider, e.scope, e.principal_kind, e.principal, e.principal_email, e.permission_kind,
    e.permission, e.effect, e.privileged, e.escalation, e.event_time, e.ingested_at, e.source,
    e.source_name, e.source_id, e.record_sha256, c.snapshot_time
  FROM iam_events e
  LEFT JOIN covered c
    ON c.provider = e.provider AND c.scope = e.scope
   AND e.permission_kind IN ('policy', 'inline_policy', 'group', 'account', 'credential')
  WHERE e.effect IN ('grant', 'revoke') AND e.event_time <= $as_of
    AND e.ingested_at <= $known_at
    -- A snapshot holds what happened up to its instant.
    AND (c.snapshot_time IS NULL OR e.event_time > c.snapshot_time)
),
newest AS (
  SELECT
    changes.*,
    ROW_NUMBER() OVER (
      PARTITION BY provider, scope, principal_kind, principal, permission_kind, permission
      ORDER BY event_time DESC, source_id DESC
    ) AS n
  FROM changes
),
latest AS (
  SELECT * FROM newest WHERE n = 1
),
edges AS (
  SELECT
    s.provider, s.scope, s.principal_kind, s.principal, s.principal_email, s.permission_kind,
    s.permission, s.privileged, s.escalation, 'snapshot' AS held_by, s.event_time AS granted_at,
    'snapshot' AS baseline, s.source, s.source_name, s.source_id, s.event_time,
    s.ingested_at, s.record_sha256
  FROM state s
  LEFT JOIN latest l
    ON l.provider = s.provider AND l.scope = s.scope AND l.principal_kind = s.principal_kind
   AND l.principal = s.principal AND l.permission_kind = s.permission_kind
   AND l.permission = s.permission
  WHERE s.record_kind = 'holds' AND l.effect IS NULL
  UNION ALL
  SELECT
    provider, scope, principal_kind, principal, principal_email, permission_kind, permission,
    privileged, escalation, 'grant' AS held_by, event_time AS granted_at,
    CASE WHEN snapshot_time IS NULL THEN 'unknown' ELSE 'snapshot' END AS baseline, source,
    source_name, source_id, event_time, ingested_at, record_sha256
  FROM latest
  WHERE effect = 'grant'
),
documents AS (
  -- Each managed policy's newest document at $as_of: a snapshot's default version, or a new
  -- default version or policy recorded since.
  SELECT principal AS policy, privileged, escalation, event_time,
    ROW_NUMBER() OVER (PARTITION BY principal ORDER BY event_time DESC, source_id DESC) AS n
  FROM (
    SELECT principal, privileged, escalation, event_time, source_id
    FROM state
    WHERE record_kind = 'policy'
    UNION ALL
    SELECT principal, privileged, escalation, event_time, source_id
    FROM iam_events
    WHERE effect = 'define' AND event_time <= $as_of AND ingested_at <= $known_at
  ) d
)
SELECT
  e.provider, e.scope, e.principal_kind, e.principal, e.principal_email, e.permission_kind,
  e.permission,
  COALESCE(e.privileged, FALSE) OR COALESCE(d.privileged, FALSE) AS privileged,
  CASE WHEN d.privileged THEN d.escalation ELSE e.escalation END AS escalation,
  e.held_by, e.granted_at, e.baseline, e.source, e.source_name, e.source_id, e.event_time,
  e.ingested_at, e.record_sha256
FROM edges e
LEFT JOIN documents d
  ON e.permission_kind = 'policy' AND d.n = 1 AND d.policy = lower(e.permission)
WHERE e.permission_kind <> 'account'
  AND NOT EXISTS (
    SELECT 1 FROM latest a
    WHERE a.permission_kind = 'account' AND a.effect = 'revoke' AND a.provider = e.provider
      AND a.scope = e.scope AND a.principal_kind = e.principal_kind
      AND a.principal = e.principal
  )
