-- Who the people were at $as_of, as the lake knew it at $known_at: from each people source's
-- newest complete snapshot at or before $as_of (an HR export, the catalog's User entities, the
-- configured aliases), one row per person (their e-mail), with every name they go by.
--   in_scope    an engineer (some source says so) who was active then: no source says they had
--               left (an inactive status, a leave date at or before $as_of) and none that they
--               had not yet started
--   aliases     their other names, lower-cased, and their e-mail itself
--   source … record_sha256   the HR record (else any record) that lists them
WITH marks AS (
  SELECT source_name, MAX(event_time) AS snapshot_time
  FROM _snapshots
  WHERE table_name = 'people' AND event_time <= $as_of AND ingested_at <= $known_at
  GROUP BY source_name
),
rows_at AS (
  SELECT p.*,
    ROW_NUMBER() OVER (
      PARTITION BY p.person
      ORDER BY CASE WHEN p.status IS NULL THEN 1 ELSE 0 END, p.source_name, p.source_id
    ) AS n
  FROM people p
  JOIN marks m ON m.source_name = p.source_name AND m.snapshot_time = p.event_time
  WHERE p.event_time <= $as_of AND p.ingested_at <= $known_at
),
names AS (
  SELECT person, alias FROM (SELECT person, unnest(aliases) AS alias FROM rows_at) a
  WHERE alias IS NOT NULL
  UNION
  SELECT person, person AS alias FROM rows_at
),
people_now AS (
  SELECT
    person,
    MAX(display_name) AS display_name,
    MAX(team) AS team,
    COALESCE(BOOL_OR(engineer), FALSE) AS engineer,
    COALESCE(BOOL_OR(status = 'inactive'), FALSE) AS inactive,
    MIN(started_at) AS started_at,
    MAX(left_at) AS left_at
  FROM rows_at
  GROUP BY person
),
known_names AS (
  SELECT person, array_agg(DISTINCT alias) AS aliases FROM names GROUP BY person
)
SELECT
  p.person, p.display_name, p.team, p.engineer, p.started_at, p.left_at,
  p.engineer AND NOT p.inactive
    AND (p.left_at IS NULL OR p.left_at > $as_of)
    AND (p.started_at IS NULL OR p.started_at <= $as_of) AS in_scope,
  k.aliases, r.source, r.source_name, r.source_id, r.event_time, r.ingested_at, r.record_sha256
FROM people_now p
JOIN rows_at r ON r.person = p.person AND r.n = 1
JOIN known_names k ON k.person = p.person
