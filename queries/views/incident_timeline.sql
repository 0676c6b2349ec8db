-- One row per incident (a PagerDuty incident, a Jira issue) from its events in
-- ($evidence_start, $as_of] ingested by $known_at: when it opened, was first acknowledged (PagerDuty's
-- acknowledgement, or a Jira issue's first status change) and first remediated (PagerDuty's
-- resolution, or a Jira issue entering a remediated status), with the event that proves each;
-- and the rule and workload it names, for correlating alerts to it.
WITH events AS (
  SELECT
    system, incident_id, event_time, source_id, record_sha256, title, service, url, rule,
    namespace, pod,
    CASE
      WHEN event_type IN ('acknowledged', 'status_changed') THEN 'acknowledged'
      ELSE event_type
    END AS step
  FROM incidents
  WHERE event_time > $evidence_start AND event_time <= $as_of AND ingested_at <= $known_at
),
firsts AS (
  SELECT
    events.*,
    ROW_NUMBER() OVER (
      PARTITION BY system, incident_id, step ORDER BY event_time, source_id
    ) AS n
  FROM events
)
SELECT
  system,
  incident_id,
  COALESCE(
    MIN(CASE WHEN step = 'triggered' THEN event_time END), MIN(event_time)
  ) AS opened_at,
  MIN(CASE WHEN step = 'acknowledged' THEN event_time END) AS acknowledged_at,
  MIN(CASE WHEN step = 'resolved' THEN event_time END) AS remediated_at,
  MIN(CASE WHEN step = 'resolved' AND n = 1 THEN source_id END) AS remediation_source_id,
  MIN(CASE WHEN step = 'resolved' AND n = 1 THEN record_sha256 END) AS remediation_sha256,
  MAX(title) AS title,
  MAX(service) AS service,
  MAX(url) AS url,
  MAX(rule) AS rule,
  MAX(namespace) AS namespace,
  MAX(pod) AS pod
FROM firsts
GROUP BY system, incident_id
