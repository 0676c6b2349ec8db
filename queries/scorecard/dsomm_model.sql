-- The DSOMM model the self-assessment is read against as of $as_of, as the lake knew it at
-- $known_at: one import, whichever source made it — the latest complete import at or before
-- $as_of, else (an as-of before the first import) the earliest; at one instant, the source
-- named first. An import records the model as it stood then, and a later one may file an
-- activity elsewhere (join on activity_uuid, never on names); two sources importing a model
-- never count an activity twice.
WITH imports AS (
  SELECT source_name, event_time AS imported_at
  FROM _snapshots
  WHERE table_name = 'dsomm_activities' AND ingested_at <= $known_at
),
chosen AS (
  SELECT source_name, imported_at
  FROM imports
  ORDER BY CASE WHEN imported_at <= $as_of THEN 0 ELSE 1 END,
           CASE WHEN imported_at <= $as_of THEN imported_at END DESC,
           imported_at, source_name
  LIMIT 1
)
SELECT a.source_name, a.activity_uuid, a.dimension, a.sub_dimension, a.activity, a.level,
       a.model_version, a."references", c.imported_at
FROM dsomm_activities a
JOIN chosen c ON a.source_name = c.source_name AND a.event_time = c.imported_at
WHERE a.ingested_at <= $known_at
ORDER BY a.dimension, a.sub_dimension, a.level, a.activity_uuid
