-- Every runtime alert in ($evidence_start, $as_of] with the incident it led to, if any, by
-- the first correlation strategy that finds one (docs/correlation.md):
--   `alert_id`       the incident carries the alert's id                        confidence `high`
--   `rule_workload`  an incident naming the same rule and pod (or, for alerts without a pod,
--                    namespace) opened within $correlation_window_minutes after the alert
--                                                         confidence `medium` (pod) / `low`
-- Several incidents found by one strategy: the first opened. $correlation_window_minutes = 0
-- turns the second strategy off.
WITH alerts AS (
  SELECT * FROM runtime_alerts WHERE event_time > $evidence_start AND event_time <= $as_of
),
by_id AS (
  SELECT
    a.alert_id, i.system, i.incident_id,
    ROW_NUMBER() OVER (PARTITION BY a.alert_id ORDER BY i.opened_at, i.incident_id) AS n
  FROM alerts a
  JOIN incident_alert_refs r ON r.alert_ref = a.alert_id
  JOIN incident_timeline i ON i.system = r.system AND i.incident_id = r.incident_id
),
by_workload AS (
  SELECT
    a.alert_id, i.system, i.incident_id, i.pod IS NOT NULL AS by_pod,
    ROW_NUMBER() OVER (PARTITION BY a.alert_id ORDER BY i.opened_at, i.incident_id) AS n
  FROM alerts a
  JOIN incident_timeline i
    ON i.rule = a.rule
   AND COALESCE(i.pod, '') = COALESCE(a.pod, '')
   AND COALESCE(i.namespace, a.namespace, '') = COALESCE(a.namespace, i.namespace, '')
  WHERE COALESCE(a.pod, a.namespace) IS NOT NULL
    AND $correlation_window_minutes > 0
    AND i.opened_at >= a.event_time
    AND EXTRACT(EPOCH FROM i.opened_at) - EXTRACT(EPOCH FROM a.event_time)
      <= 60 * $correlation_window_minutes
),
matched AS (
  SELECT
    a.*,
    COALESCE(d.system, w.system) AS incident_system,
    COALESCE(d.incident_id, w.incident_id) AS incident_id,
    CASE
      WHEN d.incident_id IS NOT NULL THEN 'alert_id'
      WHEN w.incident_id IS NOT NULL THEN 'rule_workload'
    END AS correlation,
    CASE
      WHEN d.incident_id IS NOT NULL THEN 'high'
      WHEN w.by_pod THEN 'medium'
      WHEN w.incident_id IS NOT NULL THEN 'low'
    END AS confidence
  FROM alerts a
  LEFT JOIN by_id d ON d.alert_id = a.alert_id AND d.n = 1
  LEFT JOIN by_workload w ON w.alert_id = a.alert_id AND w.n = 1
)
SELECT
  m.alert_id, m.engine, m.rule, m.priority, m.workload, m.namespace, m.pod,
  m.event_time AS alert_time,
  m.incident_system, m.incident_id, m.correlation, m.confidence,
  i.opened_at AS incident_opened_at, i.acknowledged_at, i.remediated_at,
  i.remediation_source_id, i.remediation_sha256, i.title AS incident_title,
  i.url AS incident_url,
  m.event_time, m.ingested_at, m.source, m.source_name, m.source_id, m.record_sha256
FROM matched m
LEFT JOIN incident_timeline i ON i.system = m.incident_system AND i.incident_id = m.incident_id
