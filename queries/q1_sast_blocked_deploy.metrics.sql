-- q1 metrics: the counts behind the verdict and the level (see rubric.toml), one row.
WITH per_repo AS (
  -- One pass over the attempts of the lookback, per repository.
  SELECT
    repo,
    SUM(CASE WHEN event_time > $window_start THEN 1 ELSE 0 END) AS prod_deploys,
    SUM(CASE WHEN event_time > $window_start AND class = 'blocked' THEN 1 ELSE 0 END)
      AS blocked_by_sast,
    SUM(CASE WHEN event_time > $window_start AND class = 'advisory_leak' THEN 1 ELSE 0 END)
      AS advisory_leaks,
    SUM(CASE WHEN event_time > $window_start AND class = 'excepted' THEN 1 ELSE 0 END)
      AS excepted,
    SUM(CASE WHEN event_time > $window_start AND class = 'excepted_late' THEN 1 ELSE 0 END)
      AS excepted_late,
    SUM(CASE WHEN event_time > $window_start AND class = 'failed' THEN 1 ELSE 0 END)
      AS failed_deploys,

    SUM(CASE WHEN event_time > $window_start AND outcome = 'deployed' THEN 1 ELSE 0 END)
      AS deployed,
    SUM(CASE WHEN event_time > $window_start AND outcome = 'deployed' AND sast_results > 0
      THEN 1 ELSE 0 END) AS deployed_after_sast,
    SUM(CASE WHEN class = 'blocked' THEN 1 ELSE 0 END) AS blocked_by_sast_lookback
  FROM prod_deploy_attempts
  WHERE event_time > $lookback_start AND event_time <= $as_of
  GROUP BY repo
),
deploys AS (
  SELECT
    COUNT(*) AS production_repos,
    SUM(CASE WHEN blocked_by_sast_lookback > 0 THEN 1 ELSE 0 END) AS repos_blocked_by_sast,
    SUM(prod_deploys) AS prod_deploys,
    SUM(blocked_by_sast) AS blocked_by_sast,
    SUM(advisory_leaks) AS advisory_leaks,
    SUM(excepted) AS excepted,
    SUM(excepted_late) AS excepted_late,
    SUM(failed_deploys) AS failed_deploys,
    SUM(deployed) AS deployed,
    SUM(deployed_after_sast) AS deployed_after_sast,
    SUM(blocked_by_sast_lookback) AS blocked_by_sast_lookback
  FROM per_repo
),
gates AS (
  SELECT COUNT(*) AS sast_runs
  FROM ci_gates
  WHERE gate = 'sast' AND event_time > $window_start AND event_time <= $as_of
),
ci AS (
  SELECT COUNT(*) AS ci_records
  FROM ci_jobs
  WHERE event_time > $window_start AND event_time <= $as_of AND ingested_at <= $known_at
),
suppressed AS (
  -- Blocking SAST findings hidden by an accepted suppression on the commits of production
  -- deploys that went out in the window: each finding once, however often its commit went out.
  SELECT COUNT(DISTINCT f.source_id) AS suppressed_blocking_findings
  FROM scan_findings f
  JOIN prod_deploy_attempts a
    ON a.repo = f.repo AND a.commit_sha = f.commit_sha
   AND COALESCE(f.scan_time, f.event_time) <= a.started_at
  WHERE a.event_time > $window_start AND a.event_time <= $as_of AND a.outcome = 'deployed'
    AND a.suppressed_blocking_findings > 0
    AND f.sast AND f.blocking AND f.suppressed
    AND f.event_time > $evidence_start AND f.event_time <= $as_of AND f.ingested_at <= $known_at
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
)
SELECT
  ci.ci_records,
  gates.sast_runs,
  COALESCE(d.prod_deploys, 0) AS prod_deploys,
  COALESCE(d.blocked_by_sast, 0) AS blocked_by_sast,
  COALESCE(d.advisory_leaks, 0) AS advisory_leaks,
  COALESCE(d.excepted, 0) AS excepted,
  COALESCE(d.excepted_late, 0) AS excepted_late,
  COALESCE(d.failed_deploys, 0) AS failed_deploys,
  sup.suppressed_blocking_findings,
  w.scans_without_commit,
  w.scans_without_commit_files,
  COALESCE(d.blocked_by_sast_lookback, 0) AS blocked_by_sast_lookback,
  CAST(d.deployed_after_sast AS DOUBLE) / NULLIF(d.deployed, 0) AS sast_coverage,
  d.production_repos,
  CAST(d.repos_blocked_by_sast AS DOUBLE) / NULLIF(d.production_repos, 0) AS blocking_repo_share,
  o.open_exceptions,
  COALESCE(o.exceptions_without_expiry, 0) AS exceptions_without_expiry,
  COALESCE(o.exceptions_without_owner, 0) AS exceptions_without_owner,
  u.exceptions_matching_nothing,
  u.exceptions_matching_nothing_ids
FROM ci
CROSS JOIN gates
CROSS JOIN deploys d
CROSS JOIN open_exceptions o
CROSS JOIN unmatched u
CROSS JOIN unplaced w
CROSS JOIN suppressed sup
