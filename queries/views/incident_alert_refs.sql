-- Every alert id an incident carries (Falcosidekick's uuid in PagerDuty's custom details or
-- title, a Jira label or alert-id field), one row per (incident, alert id), from the incident
-- events in ($evidence_start, $as_of] ingested by $known_at.
SELECT DISTINCT system, incident_id, alert_ref
FROM (
  SELECT system, incident_id, unnest(alert_refs) AS alert_ref
  FROM incidents
  WHERE event_time > $evidence_start AND event_time <= $as_of AND ingested_at <= $known_at
) refs
