-- q1 metrics: the counts behind the verdict and the level (see rubric.toml), one row.
WITH attempts AS (
  -- The attempts of the lookback, read once. A commit that went out more than once in the
  -- window has its suppressed blocking findings counted at its last deploy (findings only
  -- accumulate, so the last holds every earlier one): each finding once.
  SELECT
    event_time, class, outcome, sast_results,
    CASE
      WHEN event_time > $window_start AND outcome = 'deployed' AND ROW_NUMBER() OVER (
        PARTITION BY repo, commit_sha, event_time > $window_start AND outcome = 'deployed'
        ORDER BY event_time DESC, source_id DESC
      ) = 1
      THEN suppressed_blocking_findings ELSE 0
    END AS window_suppressed
  FROM prod_deploy_attempts
  WHERE event_time > $lookback_start AND event_time <= $as_of
),
per_period AS (
  -- One pass over the attempts, per $period_days-day period counted back from $as_of
  -- (period 0 holds the window): the window's counts, and each period's own.
  SELECT
    CAST(FLOOR((EXTRACT(EPOCH FROM $as_of) - EXTRACT(EPOCH FROM event_time))
      / ($period_days * 86400)) AS BIGINT) AS period,
    SUM(CASE WHEN event_time > $window_start THEN 1 ELSE 0 END) AS window_deploys,
    SUM(CASE WHEN event_time > $window_start AND class = 'blocked' THEN 1 ELSE 0 END)
      AS window_blocked,
    SUM(CASE WHEN event_time > $window_start AND class = 'advisory_leak' THEN 1 ELSE 0 END)
      AS window_leaks,
    SUM(CASE WHEN event_time > $window_start AND class = 'excepted' THEN 1 ELSE 0 END)
      AS window_excepted,
    SUM(CASE WHEN event_time > $window_start AND class = 'excepted_late' THEN 1 ELSE 0 END)
      AS window_excepted_late,
    SUM(CASE WHEN event_time > $window_start AND class = 'failed' THEN 1 ELSE 0 END)
      AS window_failed,
    SUM(CASE WHEN event_time > $window_start AND outcome = 'deployed' THEN 1 ELSE 0 END)
      AS window_deployed,
    SUM(CASE WHEN event_time > $window_start AND outcome = 'deployed' AND sast_results > 0
      THEN 1 ELSE 0 END) AS window_deployed_after_sast,
    SUM(CASE WHEN class = 'blocked' THEN 1 ELSE 0 END) AS blocked,
    SUM(CASE WHEN class = 'advisory_leak' THEN 1 ELSE 0 END) AS leaks,
    SUM(CASE WHEN class IN ('excepted', 'excepted_late') THEN 1 ELSE 0 END) AS excepted,
    SUM(CASE WHEN outcome = 'deployed' THEN 1 ELSE 0 END) AS deployed,
    SUM(CASE WHEN outcome = 'deployed' AND sast_results > 0 THEN 1 ELSE 0 END)
      AS deployed_after_sast,
    SUM(window_suppressed) AS window_suppressed
  FROM attempts
  GROUP BY CAST(FLOOR((EXTRACT(EPOCH FROM $as_of) - EXTRACT(EPOCH FROM event_time))
    / ($period_days * 86400)) AS BIGINT)
),
deploys AS (
  SELECT
    SUM(window_deploys) AS prod_deploys,
    SUM(window_blocked) AS blocked_by_sast,
    SUM(window_leaks) AS advisory_leaks,
    SUM(window_excepted) AS excepted,
    SUM(window_excepted_late) AS excepted_late,
    SUM(window_failed) AS failed_deploys,
    SUM(window_deployed) AS deployed,
    SUM(window_deployed_after_sast) AS deployed_after_sast,
    SUM(blocked) AS blocked_by_sast_lookback,
    SUM(window_suppressed) AS suppressed_blocking_findings,
    -- The periods with deploys that went out, and the worst of them against the targets.
    SUM(CASE WHEN deployed > 0 THEN 1 ELSE 0 END) AS periods_tracked,
    MIN(CAST(deployed_after_sast AS DOUBLE) / NULLIF(deployed, 0)) AS min_period_sast_coverage,
    MAX(CASE WHEN deployed > 0 THEN leaks END) AS max_period_advisory_leaks,
    MAX(CAST(excepted AS DOUBLE) / NULLIF(deployed, 0)) AS max_period_excepted_share
  FROM per_period
),
gates AS (
  SELECT COUNT(*) AS sast_runs
  FROM ci_gates
  WHERE gate = 'sast' AND event_time > $window_start AND event_time <= $as_of
),
unplaced AS (
  -- SARIF files of the window whose scanned commit could not be resolved (no provenance, no
  -- path template match, no setting): their findings cannot join a deploy, so they are named.
  SELECT
    COUNT(DISTINCT regexp_replace(source_ref, '#/runs/.*$', '')) AS scans_without_commit,
    array_to_string(
      array_sort(array_agg(DISTINCT regexp_replace(source_ref, '#/runs/.*$', ''))), ', '
    ) AS scans_without_commit_files
  FROM scan_findings
  WHERE event_time > $window_start AND event_time <= $as_of AND ingested_at <= $known_at
    AND sast AND (commit_sha IS NULL OR repo IS NULL)
),
known_repos AS (
  -- The repositories the CI and deployment evidence names: what an exception's scope can
  -- match.
  SELECT repo
  FROM ci_jobs
  WHERE event_time > $evidence_start AND event_time <= $as_of AND ingested_at <= $known_at
    AND repo IS NOT NULL
  UNION
  SELECT repo
  FROM deployments
  WHERE event_time > $evidence_start AND event_time <= $as_of AND ingested_at <= $known_at
    AND repo IS NOT NULL
),
open_sast AS (
  SELECT *
  FROM exceptions_current
  WHERE control = 'sast' AND created_at <= $as_of
    AND (expires_at IS NULL OR expires_at > $as_of)
    AND (revoked_at IS NULL OR revoked_at > $as_of)
),
open_exceptions AS (
  SELECT
    COUNT(*) AS open_exceptions,
    SUM(CASE WHEN expires_at IS NULL THEN 1 ELSE 0 END) AS exceptions_without_expiry,
    SUM(CASE WHEN owner IS NULL THEN 1 ELSE 0 END) AS exceptions_without_owner
  FROM open_sast
),
unmatched AS (
  -- Open exceptions whose scope names no repository or service the evidence knows.
  SELECT
    COUNT(*) AS exceptions_matching_nothing,
    array_to_string(array_sort(array_agg(e.exception_id)), ', ')
      AS exceptions_matching_nothing_ids
  FROM open_sast e
  WHERE NOT EXISTS (
    SELECT 1 FROM known_repos r
    WHERE (COALESCE(e.scope_kind, 'repo') = 'repo' AND e.scope = r.repo)
       OR (COALESCE(e.scope_kind, 'service') = 'service'
         AND (e.scope = r.repo OR ends_with(r.repo, '/' || e.scope)))
  )
),
coverage AS (
  -- The evidence q1 cannot answer without: CI records in the window from every CI source
  -- that is not stale (source_coverage), and, once a deploy went out past blocking findings
  -- with no exception covering it, an exceptions register the lake has recorded.
  SELECT
    COALESCE(SUM(window_records), 0) AS ci_records,
    CASE WHEN COALESCE(SUM(window_records), 0) = 0 THEN 1 ELSE 0 END AS ci_missing,
    SUM(CASE WHEN stale THEN 1 ELSE 0 END) AS sources_stale,
    array_to_string(array_sort(array_agg(coverage) FILTER (WHERE stale)), ', ')
      AS sources_stale_names,
    MAX(last_event) AS ci_last_event,
    MAX(last_ingested) AS ci_last_ingested,
    MIN(silent_days) AS ci_silent_days,
    MAX(longest_gap_days) AS ci_longest_gap_days
  FROM source_coverage
  WHERE table_name = 'ci_jobs'
),
register AS (
  -- Readings of an exceptions register (a register listing none still leaves its cursor).
  SELECT COUNT(*) AS register_reads
  FROM _cursors
  WHERE source = 'exceptions' AND ingested_at <= $known_at
),
counts AS (
  SELECT
    c.ci_missing,
    CASE WHEN r.register_reads = 0 AND COALESCE(d.advisory_leaks, 0) > 0 THEN 1 ELSE 0 END
      AS register_missing,
    COALESCE(c.sources_stale, 0) AS sources_stale,
    COALESCE(c.sources_stale_names, '') AS sources_stale_names,
    c.ci_last_event,
    c.ci_last_ingested,
    c.ci_silent_days,
    c.ci_longest_gap_days,
    r.register_reads,
    c.ci_records,
    gates.sast_runs,
    COALESCE(d.prod_deploys, 0) AS prod_deploys,
    COALESCE(d.blocked_by_sast, 0) AS blocked_by_sast,
    COALESCE(d.advisory_leaks, 0) AS advisory_leaks,
    COALESCE(d.excepted, 0) AS excepted,
    COALESCE(d.excepted_late, 0) AS excepted_late,
    COALESCE(d.failed_deploys, 0) AS failed_deploys,
    COALESCE(d.suppressed_blocking_findings, 0) AS suppressed_blocking_findings,
    w.scans_without_commit,
    w.scans_without_commit_files,
    COALESCE(d.blocked_by_sast_lookback, 0) AS blocked_by_sast_lookback,
    CAST(d.deployed_after_sast AS DOUBLE) / NULLIF(d.deployed, 0) AS sast_coverage,
    CAST(COALESCE(d.excepted, 0) + COALESCE(d.excepted_late, 0) AS DOUBLE)
      / NULLIF(d.deployed, 0) AS excepted_share,
    COALESCE(d.periods_tracked, 0) AS periods_tracked,
    d.min_period_sast_coverage,
    d.max_period_advisory_leaks,
    d.max_period_excepted_share,
    o.open_exceptions,
    COALESCE(o.exceptions_without_expiry, 0) AS exceptions_without_expiry,
    COALESCE(o.exceptions_without_owner, 0) AS exceptions_without_owner,
    u.exceptions_matching_nothing,
    u.exceptions_matching_nothing_ids
  FROM gates
  CROSS JOIN deploys d
  CROSS JOIN open_exceptions o
  CROSS JOIN unmatched u
  CROSS JOIN unplaced w
  CROSS JOIN coverage c
  CROSS JOIN register r
)
SELECT
  ci_missing + register_missing AS sources_missing,
  CASE
    WHEN ci_missing + register_missing = 0 THEN ''
    WHEN register_missing = 0 THEN 'ci_jobs'
    WHEN ci_missing = 0 THEN 'exceptions'
    ELSE 'ci_jobs, exceptions'
  END AS sources_missing_names,
  ci_missing + register_missing + sources_stale AS sources_unusable,
  counts.*
FROM counts
