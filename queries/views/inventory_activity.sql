-- What ran in production in the $activity_days days up to $snapshot_at, as the lake knew it
-- at $known_at: the evidence q3 checks the inventory against, one row per record —
--   a production deployment that went out (deployment_outcomes; the service is its
--   repository's name), or a runtime alert (the service is its namespace; Kubernetes' own
--   `kube-*` namespaces are the platform, not a service)
--   deployed, alerted   1 for the kind of record it is, 0 for the other
--   source … record_sha256   the record's provenance
SELECT LOWER(regexp_replace(repo, '^.*/', '')) AS service, 1 AS deployed, 0 AS alerted,
  event_time, source, source_name, source_id, CAST(NULL AS VARCHAR) AS source_ref,
  ingested_at, record_sha256
FROM deployment_outcomes
WHERE production AND went_out AND event_time <= $snapshot_at
  AND EXTRACT(EPOCH FROM event_time)
    > EXTRACT(EPOCH FROM $snapshot_at) - 86400 * $activity_days
UNION ALL
SELECT LOWER(namespace) AS service, 0 AS deployed, 1 AS alerted, event_time, source,
  source_name, source_id, source_ref, ingested_at, record_sha256
FROM runtime_alerts
WHERE namespace IS NOT NULL AND LOWER(namespace) NOT LIKE 'kube-%'
  AND event_time > $evidence_start AND event_time <= $snapshot_at
  AND EXTRACT(EPOCH FROM event_time)
    > EXTRACT(EPOCH FROM $snapshot_at) - 86400 * $activity_days
  AND ingested_at <= $known_at
