-- q2 metrics: the counts and times behind the verdict and the level (see rubric.toml), one row,
-- from one pass over the alerts of the lookback ($lookback_start, $as_of]; those in
-- ($window_start, $as_of] are the window's. Percentiles are nearest-rank: the smallest time
-- with at least that share of the timed alerts at or below it. Timed are the remediated
-- alerts and, censored at their age, those whose incident is still open past
-- $remediation_target_minutes: an incident left open counts against the percentiles instead
-- of vanishing from them (one open for less is not timed yet).
WITH lookback AS (
  SELECT
    c.rule, c.incident_id, c.alert_time,
    CASE WHEN c.remediated_at >= c.alert_time
      THEN (EXTRACT(EPOCH FROM c.remediated_at) - EXTRACT(EPOCH FROM c.alert_time)) / 60.0
    END AS minutes_to_remediate,
    CASE
      WHEN c.remediated_at >= c.alert_time
        THEN (EXTRACT(EPOCH FROM c.remediated_at) - EXTRACT(EPOCH FROM c.alert_time)) / 60.0
      WHEN c.incident_id IS NOT NULL AND c.remediated_at IS NULL
        AND (EXTRACT(EPOCH FROM $as_of) - EXTRACT(EPOCH FROM c.alert_time)) / 60.0
          > $remediation_target_minutes
        THEN (EXTRACT(EPOCH FROM $as_of) - EXTRACT(EPOCH FROM c.alert_time)) / 60.0
    END AS minutes_timed,
    c.alert_time > $window_start AS in_window,
    -- The $period_days-day period of the lookback, counted back from $as_of.
    CAST(FLOOR((EXTRACT(EPOCH FROM $as_of) - EXTRACT(EPOCH FROM c.alert_time))
      / ($period_days * 86400)) AS BIGINT) AS period,
    EXTRACT(EPOCH FROM $as_of) - EXTRACT(EPOCH FROM c.alert_time)
      >= 60 * $incident_sla_minutes AS past_sla
  FROM runtime_alert_incidents c
  WHERE c.alert_time > $lookback_start AND c.alert_time <= $as_of
),
ranked AS (
  SELECT
    lookback.*,
    minutes_to_remediate IS NOT NULL AS remediated,
    minutes_timed IS NOT NULL AS timed,
    ROW_NUMBER() OVER (
      PARTITION BY in_window, minutes_timed IS NULL ORDER BY minutes_timed
    ) AS window_rank,
    COUNT(*) OVER (PARTITION BY in_window, minutes_timed IS NULL) AS window_count,
    ROW_NUMBER() OVER (
      PARTITION BY period, minutes_timed IS NULL ORDER BY minutes_timed
    ) AS period_rank,
    COUNT(*) OVER (PARTITION BY period, minutes_timed IS NULL) AS period_count,
    MAX(CASE WHEN incident_id IS NOT NULL THEN 1 ELSE 0 END)
      OVER (PARTITION BY in_window, rule) AS rule_pages
  FROM lookback
),
totals AS (
  SELECT
    SUM(CASE WHEN in_window THEN 1 ELSE 0 END) AS alerts,
    SUM(CASE WHEN in_window AND incident_id IS NOT NULL THEN 1 ELSE 0 END)
      AS alerts_with_incident,
    SUM(CASE WHEN in_window AND remediated THEN 1 ELSE 0 END) AS remediated,
    SUM(CASE WHEN in_window AND timed AND NOT remediated THEN 1 ELSE 0 END)
      AS open_past_target,
    MIN(CASE WHEN in_window AND timed AND window_rank >= CEIL(0.5 * window_count)
      THEN minutes_timed END) AS median_minutes_to_remediate,
    MIN(CASE WHEN in_window AND timed AND window_rank >= CEIL(0.9 * window_count)
      THEN minutes_timed END) AS p90_minutes_to_remediate,
    -- The p90 of each period: the periods where it was tracked (a remediated alert), and
    -- the worst of their p90s.
    COUNT(DISTINCT CASE WHEN remediated THEN period END) AS periods_tracked,
    MAX(CASE WHEN timed AND period_rank = CEIL(0.9 * period_count)
      THEN minutes_timed END) AS max_period_p90_minutes_to_remediate,
    SUM(CASE WHEN in_window AND past_sla THEN 1 ELSE 0 END) AS alerts_past_sla,
    SUM(CASE WHEN in_window AND past_sla AND incident_id IS NULL THEN 1 ELSE 0 END)
      AS alerts_past_sla_without_incident,
    COUNT(DISTINCT CASE WHEN in_window THEN rule END) AS rules,
    COUNT(DISTINCT CASE WHEN in_window AND rule_pages = 0 THEN rule END) AS audit_only_rules,
    array_to_string(
      array_sort(array_agg(DISTINCT rule) FILTER (WHERE in_window AND rule_pages = 0)), ', '
    ) AS audit_only_rule_names
  FROM ranked
),
incident_source AS (
  -- Incident records of the lookback: a feed that stopped before it is missing.
  SELECT COUNT(*) AS incident_records
  FROM incidents
  WHERE event_time > $lookback_start AND event_time <= $as_of AND ingested_at <= $known_at
),
coverage AS (
  -- Alert and incident sources gone stale over the lookback (source_coverage).
  SELECT
    SUM(CASE WHEN stale THEN 1 ELSE 0 END) AS sources_stale,
    array_to_string(array_sort(array_agg(coverage) FILTER (WHERE stale)), ', ')
      AS sources_stale_names,
    MAX(CASE WHEN table_name = 'runtime_alerts' THEN last_event END) AS alerts_last_event,
    MAX(CASE WHEN table_name = 'incidents' THEN last_event END) AS incidents_last_event,
    MAX(CASE WHEN table_name = 'incidents' THEN last_ingested END) AS incidents_last_ingested,
    MIN(CASE WHEN table_name = 'incidents' THEN silent_days END) AS incidents_silent_days,
    MAX(CASE WHEN table_name = 'incidents' THEN longest_gap_days END)
      AS incidents_longest_gap_days
  FROM source_coverage
  WHERE table_name IN ('runtime_alerts', 'incidents')
)
SELECT
  COALESCE(t.alerts, 0) AS alerts,
  COALESCE(t.alerts_with_incident, 0) AS alerts_with_incident,
  COALESCE(t.remediated, 0) AS remediated,
  COALESCE(t.open_past_target, 0) AS incidents_open_past_target,
  ROUND(t.median_minutes_to_remediate, 1) AS median_minutes_to_remediate,
  ROUND(t.p90_minutes_to_remediate, 1) AS p90_minutes_to_remediate,
  COALESCE(t.periods_tracked, 0) AS periods_tracked,
  ROUND(t.max_period_p90_minutes_to_remediate, 1) AS max_period_p90_minutes_to_remediate,
  COALESCE(t.alerts_past_sla_without_incident, 0) AS alerts_past_sla_without_incident,
  CAST(t.alerts_past_sla - t.alerts_past_sla_without_incident AS DOUBLE)
    / NULLIF(t.alerts_past_sla, 0) AS routed_share,
  t.rules,
  t.audit_only_rules,
  t.audit_only_rule_names,
  i.incident_records,
  CASE WHEN COALESCE(t.alerts, 0) = 0 THEN 1 ELSE 0 END
    + CASE WHEN i.incident_records = 0 THEN 1 ELSE 0 END AS sources_missing,
  CASE
    WHEN COALESCE(t.alerts, 0) > 0 AND i.incident_records > 0 THEN ''
    WHEN i.incident_records > 0 THEN 'runtime_alerts'
    WHEN COALESCE(t.alerts, 0) > 0 THEN 'incidents'
    ELSE 'runtime_alerts, incidents'
  END AS sources_missing_names,
  COALESCE(c.sources_stale, 0) AS sources_stale,
  COALESCE(c.sources_stale_names, '') AS sources_stale_names,
  CASE WHEN COALESCE(t.alerts, 0) = 0 THEN 1 ELSE 0 END
    + CASE WHEN i.incident_records = 0 THEN 1 ELSE 0 END + COALESCE(c.sources_stale, 0)
    AS sources_unusable,
  c.alerts_last_event,
  c.incidents_last_event,
  c.incidents_last_ingested,
  c.incidents_silent_days,
  c.incidents_longest_gap_days
FROM totals t
CROSS JOIN incident_source i
CROSS JOIN coverage c
