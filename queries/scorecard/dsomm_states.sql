-- Every progress state the teams had entered by $as_of, as the lake knew it at $known_at:
-- per source, the states of its latest complete import at or before $as_of, else (an as-of
-- before the first import) of the earliest, each dated on or before $as_of. The DSOMM app
-- deletes the higher states when a team moves back and writes no date for that, so a
-- re-export that drops a state is in force from its import; a state a file keeps no date
-- for (the legacy `teamsImplemented` flags) counts from the import that first shows it.
-- The claimed state of a (team, activity) is its highest-scored state here; an unscored
-- title (`progress_pct` null) is one the progress definition lacks, which the app ignores.
WITH imports AS (
  SELECT source_name,
         COALESCE(MAX(event_time) FILTER (WHERE event_time <= $as_of), MIN(event_time)) AS imported_at
  FROM _snapshots
  WHERE table_name = 'dsomm_progress' AND ingested_at <= $known_at
  GROUP BY source_name
),
undated_since AS (
  SELECT source_name, team, activity_uuid, progress_state, MIN(event_time) AS first_seen
  FROM dsomm_progress
  WHERE entered_at IS NULL AND ingested_at <= $known_at
  GROUP BY source_name, team, activity_uuid, progress_state
)
SELECT p.source_name, p.team, p.activity_uuid, p.progress_state, p.progress_pct,
       COALESCE(p.entered_at, u.first_seen) AS entered_at, p.entered_at IS NOT NULL AS dated,
       p.known_team, i.imported_at, p.source_id, p.record_sha256
FROM dsomm_progress p
JOIN imports i ON p.source_name = i.source_name AND p.event_time = i.imported_at
LEFT JOIN undated_since u
  ON p.entered_at IS NULL AND u.source_name = p.source_name AND u.team = p.team
 AND u.activity_uuid = p.activity_uuid AND u.progress_state = p.progress_state
WHERE p.ingested_at <= $known_at AND COALESCE(p.entered_at, u.first_seen) <= $as_of
ORDER BY p.source_name, p.team, p.activity_uuid, p.progress_pct, p.progress_state
