-- The asset inventory as it stood at $snapshot_at, as the lake knew it at $known_at:
--   * from each snapshot source (Backstage), every entity of its latest complete snapshot
--     taken at or before $snapshot_at (and after $evidence_start: an older one is no
--     inventory of then); an entity missing from that snapshot is not in the inventory,
--     whatever came before. Complete means its `_snapshots` marker, which ingest commits
--     after the snapshot's last row, was in by $known_at: a pull still being committed, or
--     one that died half-way, is not read as the whole catalog;
--   * from event-sourced sources (AWS Config), each resource's latest configuration item at
--     or before $snapshot_at, unless that item ends it (deleted, or no longer recorded). Items
--     are read from all their history: a resource unchanged for a year is still there.
--   snapshot_time   the instant of the snapshot an entity comes from (null for items)
--   observed_at     when the row's state was observed (the snapshot, or the item's capture)
WITH snapshots AS (
  SELECT source_name, MAX(event_time) AS snapshot_time
  FROM _snapshots
  WHERE table_name = 'assets' AND event_time > $evidence_start AND event_time <= $snapshot_at
    AND ingested_at <= $known_at
  GROUP BY source_name
),
items AS (
  SELECT
    a.*,
    ROW_NUMBER() OVER (
      PARTITION BY a.asset_id ORDER BY a.event_time DESC, a.source_id DESC
    ) AS recency
  FROM assets a
  WHERE a.record_kind = 'configuration_item' AND a.event_time <= $snapshot_at
    AND a.ingested_at <= $known_at
)
SELECT
  e.asset_id, e.record_kind, e.name, e.asset_kind, e.asset_type, e.environment, e.production,
  e.owner, e.lifecycle, e.system, e.repo, e.workload, e.members, e.member_of, e.status,
  e.last_security_review, e.review_source, s.snapshot_time, e.event_time AS observed_at,
  e.ingested_at, e.source, e.source_name, e.source_id, e.source_ref, e.record_sha256
FROM assets e
JOIN snapshots s ON e.source_name = s.source_name AND e.event_time = s.snapshot_time
WHERE e.record_kind = 'entity' AND e.event_time > $evidence_start AND e.event_time <= $snapshot_at
  AND e.ingested_at <= $known_at
UNION ALL
SELECT
  asset_id, record_kind, name, asset_kind, asset_type, environment, production, owner,
  lifecycle, system, repo, workload, members, member_of, status, last_security_review,
  review_source, CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS snapshot_time,
  event_time AS observed_at, ingested_at, source, source_name, source_id, source_ref,
  record_sha256
FROM items
WHERE recency = 1
  AND COALESCE(status, 'OK') NOT IN (
    'ResourceDeleted', 'ResourceDeletedNotRecorded', 'ResourceNotRecorded'
  )
