-- The production assets of the inventory at $snapshot_at (asset_inventory), one row per asset
-- (its newest sighting when two sources list it, production or not by that sighting), with
-- what q3 checks of each:
--   owner_resolves        the owner is a Group of the same inventory with at least one member
--                         (in its `members`, or a User of the inventory that is a member of it)
--   review_checked        a review is expected: of every catalog Component (the review is per
--                         service), of a resource whose source says where its review is kept,
--                         and of any asset a security review names
--   last_security_review  the later of the source's own review date (an annotation or tag; one
--                         dated after the state that records it is no review: nobody could
--                         have known of it then) and the newest review in `security_reviews`
--                         naming the asset (by name) completed by $snapshot_at
--   review_source         where that date came from: `annotation:KEY`, `tag:KEY`, or
--                         `<review source kind>:<review id>` (`jira:SEC-42`)
--   review_age_days       whole days from it to $snapshot_at; null when there is none
--   snapshot_age_hours    hours from the snapshot the row comes from to $snapshot_at
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
),
reviews AS (
  -- The newest completed review of each service; ties by the greater issue key.
  SELECT subject, event_time AS reviewed_at, review_id, source AS review_system,
    ROW_NUMBER() OVER (PARTITION BY subject ORDER BY event_time DESC, review_id DESC)
      AS recency
  FROM security_reviews
  WHERE event_time <= $snapshot_at AND ingested_at <= $known_at
),
dated AS (
  SELECT
    r.*,
    s.grp IS NOT NULL AS owner_resolves,
    CASE WHEN r.last_security_review <= r.observed_at THEN r.last_security_review END
      AS own_review,
    v.reviewed_at, v.review_id, v.review_system
  FROM ranked r
  LEFT JOIN staffed s ON s.grp = r.owner
  LEFT JOIN reviews v ON v.recency = 1 AND v.subject = LOWER(r.name)
  WHERE r.sighting = 1 AND r.production
),
latest AS (
  SELECT
    d.*,
    d.reviewed_at IS NOT NULL AND (d.own_review IS NULL OR d.reviewed_at > d.own_review)
      AS by_review
  FROM dated d
)
SELECT
  l.asset_id, l.record_kind, l.name, l.asset_kind, l.asset_type,
  COALESCE(l.environment, l.lifecycle) AS environment, l.owner, l.owner_resolves,
  l.asset_kind = 'component'
    OR (l.record_kind = 'configuration_item' AND l.review_source IS NOT NULL)
    OR l.reviewed_at IS NOT NULL AS review_checked,
  CASE WHEN l.by_review THEN l.reviewed_at ELSE l.own_review END AS last_security_review,
  CASE WHEN l.by_review THEN l.review_system || ':' || l.review_id ELSE l.review_source END
    AS review_source,
  CAST(FLOOR((EXTRACT(EPOCH FROM $snapshot_at) - EXTRACT(EPOCH FROM
    CASE WHEN l.by_review THEN l.reviewed_at ELSE l.own_review END)) / 86400) AS BIGINT)
    AS review_age_days,
  ROUND((EXTRACT(EPOCH FROM $snapshot_at) - EXTRACT(EPOCH FROM l.snapshot_time)) / 3600.0, 1)
    AS snapshot_age_hours,
  l.repo, l.workload, l.lifecycle, l.system, l.snapshot_time, l.observed_at, l.ingested_at,
  l.source, l.source_name, l.source_id, l.source_ref, l.record_sha256
FROM latest l
