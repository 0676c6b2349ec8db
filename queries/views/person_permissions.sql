-- Every permission each user principal held at $as_of (views/iam_permissions_at.sql), with the
-- person it is: the person one of whose names the principal's is (views/people_names.sql),
-- else the e-mail the name itself carries. A user holds what is granted to it directly, its
-- group memberships themselves (an Okta group can be what grants access), and what each of
-- those groups holds in the same system and place.
--   person       the person's e-mail; NULL when no name maps
--   mapped       the person is in the people sources at $as_of
--   via          `direct`, or `group <name>`
--   granted_at   when it became held: the later of the membership and the group's grant
--   source … record_sha256   the record of the permission (for one held through a group, the
--                group's), and membership_source_id the membership's
WITH users AS (
  SELECT g.*, COALESCE(n.person, g.principal_email) AS person
  FROM iam_permissions_at g
  LEFT JOIN people_names n ON n.alias = g.principal
  WHERE g.principal_kind = 'user'
),
held AS (
  SELECT
    person, principal, provider, scope, permission_kind, permission, privileged, escalation,
    'direct' AS via, held_by, granted_at, baseline, source, source_name, source_id, event_time,
    ingested_at, record_sha256, CAST(NULL AS VARCHAR) AS membership_source_id
  FROM users
  UNION ALL
  SELECT
    u.person, u.principal, g.provider, g.scope, g.permission_kind, g.permission, g.privileged,
    g.escalation, 'group ' || g.principal AS via, g.held_by,
    CASE WHEN g.granted_at > u.granted_at THEN g.granted_at ELSE u.granted_at END AS granted_at,
    CASE WHEN g.baseline = 'unknown' OR u.baseline = 'unknown' THEN 'unknown' ELSE 'snapshot' END
      AS baseline,
    g.source, g.source_name, g.source_id, g.event_time, g.ingested_at, g.record_sha256,
    u.source_id AS membership_source_id
  FROM users u
  JOIN iam_permissions_at g
    ON u.permission_kind = 'group' AND g.principal_kind = 'group' AND g.provider = u.provider
   AND (g.scope IS NOT DISTINCT FROM u.scope) AND g.principal = lower(u.permission)
)
SELECT h.*, p.person IS NOT NULL AS mapped, COALESCE(p.in_scope, FALSE) AS in_scope
FROM held h
LEFT JOIN people_at p ON p.person = h.person
