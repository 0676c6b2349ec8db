-- q2: show one runtime alert in the window that produced a timestamped remediation, and the
-- time to acknowledge and to remediate for every alert in the window ($window_start, $as_of].
--
-- Evidence rows: every alert in the window with its incident (if any), when the incident was
-- acknowledged and remediated, and the minutes from the alert to each. `sample` marks the
-- auditor's sample: the most recent alert with a remediation; it comes first, the rest follow
-- newest first. Times to remediate before the alert (an incident already remediated when the
-- alert fired again) are not a remediation of it.
WITH alerts AS (
  SELECT
    c.*,
    CASE WHEN c.remediated_at >= c.alert_time THEN c.remediated_at END AS remediated_after
  FROM runtime_alert_incidents c
  WHERE c.alert_time > $window_start AND c.alert_time <= $as_of
),
ranked AS (
  SELECT
    alerts.*,
    ROW_NUMBER() OVER (
      ORDER BY CASE WHEN remediated_after IS NULL THEN 1 ELSE 0 END, alert_time DESC,
        source_id DESC
    ) AS recency
  FROM alerts
)
SELECT
  alert_id, rule, priority, workload, alert_time, incident_id, acknowledged_at,
  remediated_after AS remediated_at,
  ROUND((EXTRACT(EPOCH FROM remediated_after) - EXTRACT(EPOCH FROM alert_time)) / 60.0, 1)
    AS minutes_to_remediate,
  correlation,
  recency = 1 AND remediated_after IS NOT NULL AS sample,
  confidence,
  ROUND((EXTRACT(EPOCH FROM acknowledged_at) - EXTRACT(EPOCH FROM alert_time)) / 60.0, 1)
    AS minutes_to_acknowledge,
  engine, incident_system, incident_title, incident_url, remediation_source_id,
  remediation_sha256, event_time, ingested_at > event_time + INTERVAL '24 hours' AS late,
  source, source_id, ingested_at, record_sha256
FROM ranked
ORDER BY recency
