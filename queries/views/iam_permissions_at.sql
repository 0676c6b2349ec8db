-- Every permission each principal held at $as_of, as the lake knew it at $known_at: per
-- system and place, from the newest complete IAM snapshot of that place at or before $as_of
-- (aws-iam-snapshot's `_snapshots` markers: a whole account's state) replayed forward with
-- every grant and revoke after it up to $as_of; for what no snapshot covers (Okta, GCP, IAM
-- Identity Center assignments, access keys, an account never snapshotted), from the grants
-- and revokes alone.
--   provider, scope              the system and where the permission holds (AWS account, GCP
--                                resource, Okta org)
--   principal_kind, principal    who holds it, as the system names them (lower-cased), and
--   principal_email              the person, when the name itself says
--   permission_kind, permission  what is held (iam_events)
--   privileged, escalation       by the source's names or its document; an attached managed
--                                policy by its name and its newest document at $as_of (a
--                                snapshot's default version, a CreatePolicyVersion or
--                                CreatePolicy), so a harmless new version clears it
--   held_by                      `snapshot` (held in the baseline, no change since) or `grant`
--   granted_at                   the grant's instant; for a snapshot row, the snapshot's
--   baseline                     `snapshot` when a snapshot covers it, else `unknown`: the
--                                grants before the first record the lake has are not known
--   source … record_sha256       the record that says it is held
-- An edge's newest change wins: grant -> revoke -> grant holds from the second grant, and an
-- instant between them reads what was in force then. Names compare in any case (IAM's do).
-- Two changes of one edge at the same instant (CloudTrail writes whole seconds) read as held:
-- the reading that shows the access to the auditor. A principal whose own account was
-- deactivated, suspended or deleted (its `account` permission revoked) holds nothing there.
WITH marks AS (
  SELECT DISTINCT source_name, event_time
  FROM _snapshots
  WHERE table_name = 'iam_state' AND event_time <= $as_of AND ingested_at <= $known_at
),
marked AS (
  SELECT s.*
  FROM iam_state s
  JOIN marks m ON m.source_name = s.source_name AND m.event_time = s.event_time
  WHERE s.event_time <= $as_of AND s.ingested_at <= $known_at
),
covered AS (
  -- The baseline of each place: its newest complete snapshot, whichever source took it.
  SELECT provider, scope, MAX(event_time) AS snapshot_time
  FROM marked
  WHERE record_kind = 'holds'
  GROUP BY provider, scope
),
state AS (
  SELECT m.*
  FROM marked m
  JOIN covered c
    ON c.provider = m.provider AND c.scope = m.scope AND c.snapshot_time = m.event_time
  WHERE m.record_kind = 'holds'
),
changes AS (
  SELECT
    e.provider, e.scope, e.principal_kind, e.principal, e.principal_email, e.permission_kind,
    e.permission, e.effect, e.privileged, e.privileged_by_name, e.escalation, e.event_time,
    e.ingested_at, e.source, e.source_name, e.source_id, e.record_sha256, c.snapshot_time
  FROM iam_events e
  LEFT JOIN covered c
    ON c.provider = e.provider AND c.scope = e.scope
   AND e.permission_kind IN ('policy', 'inline_policy', 'group', 'account')
  WHERE e.effect IN ('grant', 'revoke') AND e.event_time <= $as_of
    AND e.ingested_at <= $known_at
    -- A snapshot holds what happened up to its instant.
    AND (c.snapshot_time IS NULL OR e.event_time > c.snapshot_time)
),
newest AS (
  SELECT
    changes.*,
    ROW_NUMBER() OVER (
      PARTITION BY provider, scope, principal_kind, principal, permission_kind, lower(permission)
      ORDER BY event_time DESC, CASE WHEN effect = 'grant' THEN 0 ELSE 1 END, source_id DESC
    ) AS n
  FROM changes
),
latest AS (
  SELECT * FROM newest WHERE n = 1
),
edges AS (
  SELECT
    s.provider, s.scope, s.principal_kind, s.principal, s.principal_email, s.permission_kind,
    s.permission, s.privileged, s.privileged_by_name, s.escalation, 'snapshot' AS held_by,
    s.event_time AS granted_at, 'snapshot' AS baseline, s.source, s.source_name, s.source_id,
    s.event_time, s.ingested_at, s.record_sha256
  FROM state s
  LEFT JOIN latest l
    ON l.provider = s.provider AND (l.scope IS NOT DISTINCT FROM s.scope)
   AND l.principal_kind = s.principal_kind AND l.principal = s.principal
   AND l.permission_kind = s.permission_kind AND lower(l.permission) = lower(s.permission)
  WHERE l.effect IS NULL
  UNION ALL
  SELECT
    provider, scope, principal_kind, principal, principal_email, permission_kind, permission,
    privileged, privileged_by_name, escalation, 'grant' AS held_by, event_time AS granted_at,
    CASE WHEN snapshot_time IS NULL THEN 'unknown' ELSE 'snapshot' END AS baseline, source,
    source_name, source_id, event_time, ingested_at, record_sha256
  FROM latest
  WHERE effect = 'grant'
),
documents AS (
  -- Each managed policy's newest document at $as_of: a snapshot's default version, or a new
  -- default version or policy recorded since.
  SELECT policy, privileged, escalation,
    ROW_NUMBER() OVER (PARTITION BY policy ORDER BY event_time DESC, source_id DESC) AS n
  FROM (
    SELECT principal AS policy, privileged, escalation, event_time, source_id
    FROM marked
    WHERE record_kind = 'policy'
    UNION ALL
    SELECT principal AS policy, privileged, escalation, event_time, source_id
    FROM iam_events
    WHERE effect = 'define' AND event_time <= $as_of AND ingested_at <= $known_at
  ) d
)
SELECT
  e.provider, e.scope, e.principal_kind, e.principal, e.principal_email, e.permission_kind,
  e.permission,
  CASE
    WHEN d.policy IS NOT NULL THEN COALESCE(e.privileged_by_name, FALSE) OR COALESCE(d.privileged, FALSE)
    ELSE COALESCE(e.privileged, FALSE)
  END AS privileged,
  CASE WHEN d.policy IS NOT NULL THEN d.escalation ELSE e.escalation END AS escalation,
  e.held_by, e.granted_at, e.baseline, e.source, e.source_name, e.source_id, e.event_time,
  e.ingested_at, e.record_sha256
FROM edges e
LEFT JOIN documents d
  ON e.permission_kind = 'policy' AND d.n = 1 AND d.policy = lower(e.permission)
WHERE e.permission_kind <> 'account'
  AND NOT EXISTS (
    SELECT 1 FROM latest a
    WHERE a.permission_kind = 'account' AND a.effect = 'revoke' AND a.provider = e.provider
      AND (a.scope IS NOT DISTINCT FROM e.scope) AND a.principal_kind = e.principal_kind
      AND a.principal = e.principal
  )
