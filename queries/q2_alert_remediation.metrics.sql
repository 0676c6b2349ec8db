-- q2 metrics: the counts and times behind the verdict and the level (see rubric.toml), one row.
-- Percentiles are nearest-rank: the smallest time with at least that share of the remediated
-- alerts at or below it.
WITH lookback AS (
  SELECT
    c.*,
    CASE WHEN c.remediated_at >= c.alert_time
      THEN (EXTRACT(EPOCH FROM c.remediated_at) - EXTRACT(EPOCH FROM c.alert_time)) / 60.0
    END AS minutes_to_remediate,
    c.alert_time > $window_start AS in_window
  FROM runtime_alert_incidents c
  WHERE c.alert_time > $lookback_start AND c.alert_time <= $as_of
),
window_alerts AS (
  SELECT * FROM lookback WHERE in_window
),
counts AS (
  SELECT
    COUNT(*) AS alerts,
    SUM(CASE WHEN incident_id IS NOT NULL THEN 1 ELSE 0 END) AS alerts_with_incident,
    SUM(CASE WHEN minutes_to_remediate IS NOT NULL THEN 1 ELSE 0 END) AS remediated,
    SUM(CASE
      WHEN EXTRACT(EPOCH FROM $as_of) - EXTRACT(EPOCH FROM alert_time)
        >= 60 * $incident_sla_minutes
      THEN 1 ELSE 0 END) AS alerts_past_sla,
    SUM(CASE
      WHEN incident_id IS NULL
        AND EXTRACT(EPOCH FROM $as_of) - EXTRACT(EPOCH FROM alert_time)
          >= 60 * $incident_sla_minutes
      THEN 1 ELSE 0 END) AS alerts_past_sla_without_incident
  FROM window_alerts
),
per_rule AS (
  SELECT rule, MAX(CASE WHEN incident_id IS NOT NULL THEN 1 ELSE 0 END) AS pages
  FROM window_alerts
  GROUP BY rule
),
silent AS (
  SELECT
    COUNT(*) AS rules,
    SUM(CASE WHEN pages = 0 THEN 1 ELSE 0 END) AS audit_only_rules,
    STRING_AGG(CASE WHEN pages = 0 THEN rule END, ', ' ORDER BY rule) AS audit_only_rule_names
  FROM per_rule
),
ranked_window AS (
  SELECT
    minutes_to_remediate,
    ROW_NUMBER() OVER (ORDER BY minutes_to_remediate) AS r,
    COUNT(*) OVER () AS n
  FROM window_alerts
  WHERE minutes_to_remediate IS NOT NULL
),
window_times AS (
  SELECT
    MIN(CASE WHEN r >= CEIL(0.5 * n) THEN minutes_to_remediate END) AS median_minutes_to_remediate,
    MIN(CASE WHEN r >= CEIL(0.9 * n) THEN minutes_to_remediate END) AS p90_minutes_to_remediate
  FROM ranked_window
),
ranked_lookback AS (
  SELECT
    minutes_to_remediate,
    ROW_NUMBER() OVER (ORDER BY minutes_to_remediate) AS r,
    COUNT(*) OVER () AS n
  FROM lookback
  WHERE minutes_to_remediate IS NOT NULL
),
lookback_times AS (
  SELECT
    MIN(CASE WHEN r >= CEIL(0.9 * n) THEN minutes_to_remediate END)
      AS p90_minutes_to_remediate_lookback
  FROM ranked_lookback
),
periods AS (
  -- The 30-day periods of the lookback, counted back from $as_of, with a remediated alert.
  SELECT COUNT(DISTINCT CAST(FLOOR(
    (EXTRACT(EPOCH FROM $as_of) - EXTRACT(EPOCH FROM alert_time)) / (30 * 86400)
  ) AS BIGINT)) AS remediated_periods
  FROM lookback
  WHERE minutes_to_remediate IS NOT NULL
),
incident_source AS (
  SELECT COUNT(*) AS incident_records FROM incidents WHERE event_time <= $as_of
)
SELECT
  c.alerts,
  COALESCE(c.alerts_with_incident, 0) AS alerts_with_incident,
  COALESCE(c.remediated, 0) AS remediated,
  ROUND(w.median_minutes_to_remediate, 1) AS median_minutes_to_remediate,
  ROUND(w.p90_minutes_to_remediate, 1) AS p90_minutes_to_remediate,
  ROUND(l.p90_minutes_to_remediate_lookback, 1) AS p90_minutes_to_remediate_lookback,
  p.remediated_periods,
  COALESCE(c.alerts_past_sla_without_incident, 0) AS alerts_past_sla_without_incident,
  CAST(c.alerts_past_sla - c.alerts_past_sla_without_incident AS DOUBLE)
    / NULLIF(c.alerts_past_sla, 0) AS routed_share,
  s.rules,
  COALESCE(s.audit_only_rules, 0) AS audit_only_rules,
  s.audit_only_rule_names,
  i.incident_records,
  CASE WHEN c.alerts = 0 THEN 1 ELSE 0 END + CASE WHEN i.incident_records = 0 THEN 1 ELSE 0 END
    AS sources_missing
FROM counts c
CROSS JOIN silent s
CROSS JOIN window_times w
CROSS JOIN lookback_times l
CROSS JOIN periods p
CROSS JOIN incident_source i
