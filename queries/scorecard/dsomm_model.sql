-- The DSOMM model the self-assessment is read against as of $as_of, as the lake knew it at
-- $known_at: per source, the latest complete import at or before $as_of, else (an as-of
-- before the first import) the earliest — an import records the model as it stood then,
-- and a later one may file an activity elsewhere (join on activity_uuid, never on names).
WITH imports AS (
  SELECT source_name,
         COALESCE(MAX(event_time) FILTER (WHERE event_time <= $as_of), MIN(event_time)) AS imported_at
  FROM _snapshots
  WHERE table_name = 'dsomm_activities' AND ingested_at <= $known_at
  GROUP BY source_name
)
SELECT a.source_name, a.activity_uuid, a.dimension, a.sub_dimension, a.activity, a.level,
       a.model_version, a."references", i.imported_at
FROM dsomm_activities a
JOIN imports i ON a.source_name = i.source_name AND a.event_time = i.imported_at
WHERE a.ingested_at <= $known_at
ORDER BY a.source_name, a.dimension, a.sub_dimension, a.level, a.activity_uuid
