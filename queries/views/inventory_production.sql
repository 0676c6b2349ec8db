-- The production assets of the inventory at $snapshot_at (asset_inventory), one row per asset
-- (its newest sighting when two sources list it), with what q3 checks of each:
--   owner_resolves      the owner is a Group of the same inventory with at least one member
--                       (in its `members`, or a User of the inventory that is a member of it)
--   review_checked      the source says where a review is kept (catalog entities always are:
--                       the review is per service)
--   review_age_days     whole days from the last security review to $snapshot_at; null when
--                       there is none, or when it is dated after the state that records it
--                       (a review nobody could have known of then is no review)
--   snapshot_age_hours  hours from the snapshot the row comes from to $snapshot_at
WITH members AS (
  SELECT asset_id AS grp
  FROM (
    SELECT asset_id, unnest(members) AS member
    FROM asset_inventory
    WHERE asset_kind = 'group'
  ) listed
  UNION
  SELECT grp
  FROM (
    SELECT unnest(member_of) AS grp
    FROM asset_inventory
    WHERE asset_kind = 'user'
  ) joined
),
staffed AS (
  SELECT DISTINCT g.asset_id AS grp
  FROM asset_inventory g
  JOIN members m ON m.grp = g.asset_id
  WHERE g.asset_kind = 'group'
),
ranked AS (
  SELECT
    i.*,
    ROW_NUMBER() OVER (
      PARTITION BY i.asset_id ORDER BY i.observed_at DESC, i.source_name
    ) AS sighting
  FROM asset_inventory i
  WHERE i.production
)
SELECT
  r.asset_id, r.record_kind, r.name, r.asset_kind, r.asset_type,
  COALESCE(r.environment, r.lifecycle) AS environment, r.owner,
  s.grp IS NOT NULL AS owner_resolves,
  r.record_kind = 'entity' OR r.review_source IS NOT NULL AS review_checked,
  CASE WHEN r.last_security_review <= r.observed_at THEN r.last_security_review END
    AS last_security_review,
  r.review_source,
  CASE WHEN r.last_security_review <= r.observed_at THEN CAST(FLOOR(
    (EXTRACT(EPOCH FROM $snapshot_at) - EXTRACT(EPOCH FROM r.last_security_review)) / 86400
  ) AS BIGINT) END AS review_age_days,
  ROUND((EXTRACT(EPOCH FROM $snapshot_at) - EXTRACT(EPOCH FROM r.snapshot_time)) / 3600.0, 1)
    AS snapshot_age_hours,
  r.repo, r.workload, r.lifecycle, r.system, r.snapshot_time, r.observed_at, r.ingested_at,
  r.source, r.source_name, r.source_id, r.source_ref, r.record_sha256
FROM ranked r
LEFT JOIN staffed s ON s.grp = r.owner
WHERE r.sighting = 1
