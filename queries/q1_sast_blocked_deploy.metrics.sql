-- q1 metrics: the counts behind the verdict and the level (see rubric.toml), one row.
WITH recent AS (
  SELECT * FROM prod_deploy_attempts WHERE event_time > $lookback_start AND event_time <= $as_of
),
in_window AS (
  SELECT
    COUNT(*) AS prod_deploys,
    SUM(CASE WHEN class = 'blocked' THEN 1 ELSE 0 END) AS blocked_by_sast,
    SUM(CASE WHEN class = 'advisory_leak' THEN 1 ELSE 0 END) AS advisory_leaks,
    SUM(CASE WHEN class = 'excepted' THEN 1 ELSE 0 END) AS excepted,
    SUM(CASE WHEN outcome = 'deployed' THEN 1 ELSE 0 END) AS deployed,
    SUM(CASE WHEN outcome = 'deployed' AND sast_results > 0 THEN 1 ELSE 0 END) AS deployed_after_sast
  FROM recent
  WHERE event_time > $window_start
),
lookback AS (
  SELECT SUM(CASE WHEN class = 'blocked' THEN 1 ELSE 0 END) AS blocked_by_sast_lookback
  FROM recent
),
repos AS (
  SELECT repo, MAX(CASE WHEN class = 'blocked' THEN 1 ELSE 0 END) AS blocked
  FROM recent
  GROUP BY repo
),
repo_share AS (
  SELECT COUNT(*) AS production_repos, SUM(blocked) AS repos_blocked_by_sast FROM repos
),
gates AS (
  SELECT COUNT(*) AS sast_runs
  FROM ci_gates
  WHERE gate = 'sast' AND event_time > $window_start AND event_time <= $as_of
),
ci AS (
  SELECT COUNT(*) AS ci_records
  FROM ci_jobs
  WHERE event_time > $window_start AND event_time <= $as_of
),
open_exceptions AS (
  SELECT
    COUNT(*) AS open_exceptions,
    SUM(CASE WHEN expires_at IS NULL THEN 1 ELSE 0 END) AS exceptions_without_expiry,
    SUM(CASE WHEN owner IS NULL THEN 1 ELSE 0 END) AS exceptions_without_owner
  FROM exceptions_current
  WHERE control = 'sast' AND created_at <= $as_of
    AND (expires_at IS NULL OR expires_at > $as_of)
    AND (revoked_at IS NULL OR revoked_at > $as_of)
)
SELECT
  ci.ci_records,
  gates.sast_runs,
  w.prod_deploys,
  COALESCE(w.blocked_by_sast, 0) AS blocked_by_sast,
  COALESCE(w.advisory_leaks, 0) AS advisory_leaks,
  COALESCE(w.excepted, 0) AS excepted,
  COALESCE(l.blocked_by_sast_lookback, 0) AS blocked_by_sast_lookback,
  CAST(w.deployed_after_sast AS DOUBLE) / NULLIF(w.deployed, 0) AS sast_coverage,
  r.production_repos,
  CAST(r.repos_blocked_by_sast AS DOUBLE) / NULLIF(r.production_repos, 0) AS blocking_repo_share,
  o.open_exceptions,
  COALESCE(o.exceptions_without_expiry, 0) AS exceptions_without_expiry,
  COALESCE(o.exceptions_without_owner, 0) AS exceptions_without_owner
FROM ci
CROSS JOIN gates
CROSS JOIN in_window w
CROSS JOIN lookback l
CROSS JOIN repo_share r
CROSS JOIN open_exceptions o
