-- q3 metrics: the counts behind the verdict and the level (see rubric.toml), one row.
--   inventory_assets        every asset of the inventory at $snapshot_at (any kind, any scope):
--                           none means no inventory existed then (no_data)
--   snapshot_sources        catalog sources with a snapshot at or before $snapshot_at
--   snapshot_time           the oldest of the snapshots used; snapshot_age_hours its age at
--                           $snapshot_at
--   max_snapshot_gap_hours  the longest the catalog went without a snapshot over the audit
--                           period ($lookback_start, $as_of], its ends included: queryable for
--                           the whole period means never long without one
--   production_assets … review_stale   the production assets (views/inventory_production.sql)
--                           and what is wrong with them; review_stale counts reviews older
--                           than $review_max_age_days days
--   activity_records, deployments_seen, alerts_seen   the production deployments and runtime
--                           alerts of the $activity_days days up to $snapshot_at
--                           (views/inventory_activity.sql): what the inventory is checked
--                           against. None means no service could be found missing from it —
--                           a feed that stopped proves nothing listed
--   shadow_services, decommissioned_deploying   services seen in production then that the
--                           inventory did not list (views/inventory_shadow_services.sql)
WITH inventory AS (
  SELECT
    COUNT(*) AS inventory_assets,
    COUNT(DISTINCT CASE WHEN snapshot_time IS NOT NULL THEN source_name END) AS snapshot_sources,
    MIN(snapshot_time) AS snapshot_time
  FROM asset_inventory
),
instants AS (
  -- The complete catalog snapshots (their `_snapshots` markers) the lake held by $known_at.
  SELECT DISTINCT source_name, event_time
  FROM _snapshots
  WHERE table_name = 'assets' AND event_time > $lookback_start AND event_time <= $as_of
    AND ingested_at <= $known_at
),
gaps AS (
  SELECT
    EXTRACT(EPOCH FROM event_time) - COALESCE(
      EXTRACT(EPOCH FROM LAG(event_time) OVER (PARTITION BY source_name ORDER BY event_time)),
      EXTRACT(EPOCH FROM $lookback_start)
    ) AS gap_seconds
  FROM instants
  UNION ALL
  SELECT EXTRACT(EPOCH FROM $as_of) - EXTRACT(EPOCH FROM MAX(event_time)) AS gap_seconds
  FROM instants
  GROUP BY source_name
),
cadence AS (
  SELECT ROUND(MAX(gap_seconds) / 3600.0, 1) AS max_snapshot_gap_hours FROM gaps
),
production AS (
  SELECT
    COUNT(*) AS production_assets,
    SUM(CASE WHEN owner IS NULL THEN 1 ELSE 0 END) AS without_owner,
    SUM(CASE WHEN owner IS NOT NULL AND NOT owner_resolves THEN 1 ELSE 0 END)
      AS owner_unresolvable,
    SUM(CASE WHEN review_checked AND last_security_review IS NULL THEN 1 ELSE 0 END)
      AS without_review,
    SUM(CASE WHEN review_age_days > $review_max_age_days THEN 1 ELSE 0 END) AS review_stale
  FROM inventory_production
),
activity AS (
  SELECT COUNT(*) AS activity_records, SUM(deployed) AS deployments_seen,
    SUM(alerted) AS alerts_seen
  FROM inventory_activity
),
forgotten AS (
  SELECT
    SUM(CASE WHEN finding = 'shadow_service' THEN 1 ELSE 0 END) AS shadow_services,
    SUM(CASE WHEN finding = 'decommissioned_deploying' THEN 1 ELSE 0 END)
      AS decommissioned_deploying
  FROM inventory_shadow_services
)
SELECT
  i.inventory_assets, i.snapshot_sources, i.snapshot_time,
  ROUND((EXTRACT(EPOCH FROM $snapshot_at) - EXTRACT(EPOCH FROM i.snapshot_time)) / 3600.0, 1)
    AS snapshot_age_hours,
  c.max_snapshot_gap_hours,
  p.production_assets,
  COALESCE(p.without_owner, 0) AS without_owner,
  COALESCE(p.owner_unresolvable, 0) AS owner_unresolvable,
  COALESCE(p.without_review, 0) AS without_review,
  COALESCE(p.review_stale, 0) AS review_stale,
  a.activity_records, COALESCE(a.deployments_seen, 0) AS deployments_seen,
  COALESCE(a.alerts_seen, 0) AS alerts_seen,
  COALESCE(f.shadow_services, 0) AS shadow_services,
  COALESCE(f.decommissioned_deploying, 0) AS decommissioned_deploying
FROM inventory i
CROSS JOIN cadence c
CROSS JOIN production p
CROSS JOIN activity a
CROSS JOIN forgotten f
