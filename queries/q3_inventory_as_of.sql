-- q3: show the asset inventory as it stood at $snapshot_at (30 days before $as_of), as the lake
-- knew it at $known_at: the production services in scope, each with its owner and its last
-- security review date, and how fresh that inventory was; and beside them the services seen
-- in production then that the inventory did not list.
--
-- Evidence rows: every production asset of the inventory (views/inventory_production.sql),
-- then every service it forgot (views/inventory_shadow_services.sql), with what it was seen
-- in (`seen_in`) and the provenance of its last deployment or alert then. `finding` names what
-- is wrong with a row, the first of: shadow_service, decommissioned_deploying, without_owner,
-- owner_unresolvable, without_review, review_stale (older than $review_max_age_days days);
-- null when nothing is. Rows with a finding come first. A row ingested more than a day after
-- it was observed (a production asset's snapshot or item, a forgotten service's last record)
-- is flagged `late`: backfilled evidence, such as an import of archived catalog exports.
WITH rows_found AS (
  SELECT
    p.asset_id, p.name, p.environment, p.owner, p.last_security_review, p.observed_at,
    p.owner_resolves, p.review_age_days, p.review_source, p.snapshot_age_hours,
    CASE
      WHEN p.owner IS NULL THEN 'without_owner'
      WHEN NOT p.owner_resolves THEN 'owner_unresolvable'
      WHEN p.review_checked AND p.last_security_review IS NULL THEN 'without_review'
      WHEN p.review_age_days > $review_max_age_days THEN 'review_stale'
    END AS finding,
    p.asset_kind, p.asset_type, p.repo, p.workload, p.snapshot_time,
    CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS first_seen,
    CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS last_seen, CAST(NULL AS VARCHAR) AS seen_in,
    p.source, p.source_name, p.source_id, p.source_ref, p.ingested_at, p.record_sha256,
    p.ingested_at > p.observed_at + INTERVAL '24 hours' AS late
  FROM inventory_production p
  UNION ALL
  SELECT
    CAST(NULL AS VARCHAR) AS asset_id, s.service AS name, 'production' AS environment,
    CAST(NULL AS VARCHAR) AS owner, CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS last_security_review,
    s.last_listed AS observed_at, CAST(NULL AS BOOLEAN) AS owner_resolves,
    CAST(NULL AS BIGINT) AS review_age_days, CAST(NULL AS VARCHAR) AS review_source,
    CAST(NULL AS DOUBLE) AS snapshot_age_hours, s.finding,
    CAST(NULL AS VARCHAR) AS asset_kind, CAST(NULL AS VARCHAR) AS asset_type,
    CAST(NULL AS VARCHAR) AS repo, CAST(NULL AS VARCHAR) AS workload,
    CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS snapshot_time, s.first_seen, s.last_seen,
    CASE
      WHEN s.deployed AND s.alerted THEN 'deployments, runtime_alerts'
      WHEN s.deployed THEN 'deployments'
      ELSE 'runtime_alerts'
    END AS seen_in,
    s.source, s.source_name, s.source_id, s.source_ref, s.ingested_at, s.record_sha256,
    s.ingested_at > s.last_seen + INTERVAL '24 hours' AS late
  FROM inventory_shadow_services s
)
SELECT *
FROM rows_found
ORDER BY
  CASE finding
    WHEN 'shadow_service' THEN 0
    WHEN 'decommissioned_deploying' THEN 1
    WHEN 'without_owner' THEN 2
    WHEN 'owner_unresolvable' THEN 3
    WHEN 'without_review' THEN 4
    WHEN 'review_stale' THEN 5
    ELSE 6
  END,
  name, asset_id
