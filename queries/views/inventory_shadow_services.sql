-- Services seen in production in the $activity_days days up to $snapshot_at
-- (inventory_activity: a production deployment that went out, or a runtime alert) that the
-- inventory at $snapshot_at (asset_inventory) lists under none of its names (an asset's name,
-- its repository's name, its workload), and so no inventory tool would report:
--   finding       `shadow_service`: no inventory since $evidence_start ever listed it;
--                 `decommissioned_deploying`: listed once, gone by $snapshot_at, and seen in
--                 production after it was last listed (activity only before that is the
--                 service's last days, not a finding, and has no row)
--   first_seen, last_seen, deployed, alerted   its activity in the period
--   source … record_sha256   the provenance of its last activity record in the period (the
--                 deployment, or the alert), which an auditor opens to see it ran
--   last_listed   when an inventory last listed it: a complete catalog snapshot that had it, or the
--                 configuration item that ended its resource (named as the resource's items
--                 named it: a deletion item carries no tags)
WITH seen AS (
  SELECT service, MIN(event_time) AS first_seen, MAX(event_time) AS last_seen,
    MAX(deployed) = 1 AS deployed, MAX(alerted) = 1 AS alerted
  FROM inventory_activity
  GROUP BY service
),
last_activity AS (
  SELECT
    a.*,
    ROW_NUMBER() OVER (
      PARTITION BY a.service
      ORDER BY a.event_time DESC, a.source DESC, a.source_name DESC, a.source_id DESC
    ) AS recency
  FROM inventory_activity a
),
names AS (
  SELECT LOWER(name) AS service FROM asset_inventory
  WHERE name IS NOT NULL AND asset_kind IN ('component', 'resource', 'api', 'aws_resource')
  UNION
  SELECT LOWER(regexp_replace(repo, '^.*/', '')) AS service FROM asset_inventory
  WHERE repo IS NOT NULL
  UNION
  SELECT LOWER(workload) AS service FROM asset_inventory WHERE workload IS NOT NULL
),
ended AS (
  SELECT asset_id, MAX(event_time) AS event_time
  FROM assets
  WHERE record_kind = 'configuration_item'
    AND status IN ('ResourceDeleted', 'ResourceDeletedNotRecorded', 'ResourceNotRecorded')
    AND event_time > $evidence_start AND event_time <= $snapshot_at
    AND ingested_at <= $known_at
  GROUP BY asset_id
),
complete AS (
  -- The catalog snapshots marked complete by $known_at: a pull that died half-way, or lost a
  -- page, lists nothing (as in asset_inventory).
  SELECT DISTINCT source_name, event_time
  FROM _snapshots
  WHERE table_name = 'assets' AND event_time > $evidence_start AND event_time <= $snapshot_at
    AND ingested_at <= $known_at
),
sightings AS (
  SELECT e.name, e.repo, e.workload, e.event_time
  FROM assets e
  JOIN complete c ON c.source_name = e.source_name AND c.event_time = e.event_time
  WHERE e.record_kind = 'entity' AND e.asset_kind IN ('component', 'resource', 'api')
    AND e.event_time > $evidence_start AND e.event_time <= $snapshot_at
    AND e.ingested_at <= $known_at
  UNION ALL
  SELECT i.name, i.repo, i.workload, e.event_time
  FROM ended e
  JOIN assets i ON i.asset_id = e.asset_id
  WHERE i.record_kind = 'configuration_item' AND i.event_time <= e.event_time
    AND i.ingested_at <= $known_at
),
listed AS (
  SELECT service, MAX(event_time) AS last_listed
  FROM (
    SELECT LOWER(name) AS service, event_time FROM sightings WHERE name IS NOT NULL
    UNION ALL
    SELECT LOWER(regexp_replace(repo, '^.*/', '')) AS service, event_time FROM sightings
    WHERE repo IS NOT NULL
    UNION ALL
    SELECT LOWER(workload) AS service, event_time FROM sightings WHERE workload IS NOT NULL
  ) by_name
  GROUP BY service
)
SELECT
  s.service,
  CASE WHEN l.last_listed IS NULL THEN 'shadow_service' ELSE 'decommissioned_deploying' END
    AS finding,
  s.first_seen, s.last_seen, s.deployed, s.alerted, l.last_listed,
  a.source, a.source_name, a.source_id, a.source_ref, a.ingested_at, a.record_sha256
FROM seen s
JOIN last_activity a ON a.service = s.service AND a.recency = 1
LEFT JOIN names n ON n.service = s.service
LEFT JOIN listed l ON l.service = s.service
WHERE n.service IS NULL AND (l.last_listed IS NULL OR s.last_seen > l.last_listed)
