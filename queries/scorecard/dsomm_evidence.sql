-- The evidence entries the teams recorded in the DSOMM app (`team-evidence.yaml`, legacy
-- `teamsEvidence`) by $as_of, as the lake knew it at $known_at: per source, the entries of
-- its latest complete import at or before $as_of, else (an as-of before the first import)
-- of the earliest, each recorded on or before $as_of (an entry with no date counts from its
-- import). Shown beside the activity; evidence never sets progress.
WITH imports AS (
  SELECT source_name,
         COALESCE(MAX(event_time) FILTER (WHERE event_time <= $as_of), MIN(event_time)) AS imported_at
  FROM _snapshots
  WHERE table_name = 'dsomm_evidence' AND ingested_at <= $known_at
  GROUP BY source_name
)
SELECT e.source_name, e.activity_uuid, e.evidence_id, e.teams, e.title, e.recorded_at,
       e.reviewer, e.source_id, e.record_sha256
FROM dsomm_evidence e
JOIN imports i ON e.source_name = i.source_name AND e.event_time = i.imported_at
WHERE e.ingested_at <= $known_at AND COALESCE(e.recorded_at, e.event_time) <= $as_of
ORDER BY e.activity_uuid, e.recorded_at, e.evidence_id
