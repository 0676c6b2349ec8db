-- Every runtime alert in ($evidence_start, $as_of] ingested by $known_at with the incident it led to, if any, by
-- the first correlation strategy that finds one (docs/correlation.md):
--   `alert_id`       the incident carries the alert's id                        confidence `high`
--   `rule_workload`  an incident naming the alert's pod (or, when it names no pod, the
--                    alert's namespace) and its rule — the rule it names, its title containing
--                    the alert's rule name whatever prefix the router adds (`Falco: …`,
--                    `[FIRING:1] …`), or its title being the start of the alert's output line
--                    (what Falcosidekick sends) — opened within $correlation_window_minutes
--                    after the alert
--                                                         confidence `medium` (pod) / `low`
-- Several incidents found by one strategy: the first opened. $correlation_window_minutes = 0
-- turns the second strategy off.
WITH alerts AS (
  SELECT * FROM runtime_alerts
  WHERE event_time > $evidence_start AND event_time <= $as_of AND ingested_at <= $known_at
),
by_id AS (
  SELECT
    a.alert_id, i.*,
    ROW_NUMBER() OVER (PARTITION BY a.alert_id ORDER BY i.opened_at, i.system, i.incident_id) AS n
  FROM alerts a
  JOIN incident_alert_refs r ON r.alert_ref = a.alert_id
  JOIN incident_timeline i ON i.system = r.system AND i.incident_id = r.incident_id
),
by_workload AS (
  -- Two equi-joins (the pod, or for an incident naming no pod the namespace), so each is a
  -- hash join; the rule test and the window are filters on the pairs.
  SELECT
    m.*,
    ROW_NUMBER() OVER (PARTITION BY m.alert_id ORDER BY m.opened_at, m.system, m.incident_id) AS n
  FROM (
    SELECT a.alert_id, a.rule AS alert_rule, a.output AS alert_output,
      a.event_time AS alert_time, i.*
    FROM alerts a
    JOIN incident_timeline i ON i.pod = a.pod
    UNION ALL
    SELECT a.alert_id, a.rule AS alert_rule, a.output AS alert_output,
      a.event_time AS alert_time, i.*
    FROM alerts a
    JOIN incident_timeline i ON i.namespace = a.namespace
    WHERE i.pod IS NULL
  ) m
  WHERE $correlation_window_minutes > 0
    AND m.opened_at >= m.alert_time
    AND EXTRACT(EPOCH FROM m.opened_at) - EXTRACT(EPOCH FROM m.alert_time)
      <= 60 * $correlation_window_minutes
    AND (
      m.rule = m.alert_rule
      OR strpos(lower(COALESCE(m.title, '')), lower(m.alert_rule)) > 0
      -- Falcosidekick sends the alert's output line as the incident's summary (PagerDuty
      -- cuts it at 1,024 characters).
      OR (m.title IS NOT NULL AND m.alert_output IS NOT NULL
        AND starts_with(m.alert_output, m.title))
    )
)
SELECT
  a.alert_id, a.engine, a.rule, a.priority, a.workload, a.namespace, a.pod,
  a.event_time AS alert_time,
  CASE
    WHEN d.incident_id IS NOT NULL THEN 'alert_id'
    WHEN w.incident_id IS NOT NULL THEN 'rule_workload'
  END AS correlation,
  CASE
    WHEN d.incident_id IS NOT NULL THEN 'high'
    WHEN w.pod IS NOT NULL THEN 'medium'
    WHEN w.incident_id IS NOT NULL THEN 'low'
  END AS confidence,
  COALESCE(d.system, w.system) AS incident_system,
  COALESCE(d.incident_id, w.incident_id) AS incident_id,
  CASE WHEN d.incident_id IS NOT NULL THEN d.opened_at ELSE w.opened_at END
    AS incident_opened_at,
  CASE WHEN d.incident_id IS NOT NULL THEN d.acknowledged_at ELSE w.acknowledged_at END
    AS acknowledged_at,
  CASE WHEN d.incident_id IS NOT NULL THEN d.remediated_at ELSE w.remediated_at END
    AS remediated_at,
  COALESCE(d.remediation_source_id, w.remediation_source_id) AS remediation_source_id,
  COALESCE(d.remediation_sha256, w.remediation_sha256) AS remediation_sha256,
  COALESCE(d.title, w.title) AS incident_title,
  COALESCE(d.url, w.url) AS incident_url,
  a.event_time, a.ingested_at, a.source, a.source_name, a.source_id, a.record_sha256
FROM alerts a
LEFT JOIN by_id d ON d.alert_id = a.alert_id AND d.n = 1
LEFT JOIN by_workload w ON w.alert_id = a.alert_id AND w.n = 1
