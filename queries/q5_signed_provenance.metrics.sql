-- q5 metrics: the counts behind the verdict and the level (see rubric.toml), one row. An
-- admitted image is one image of one allowed production admission
-- (views/production_admissions.sql).
--   admission_records       production admissions of the lookback (any decision): none means
--                           no admission evidence (no_data)
--   attestation_records     attestations the lake held by $known_at, signed at or before
--                           $as_of: none means provenance was never ingested (no_data), not
--                           that nothing was signed
--   missing_sources         how many of the two are missing
--   latest_images … latest_verified   the images of the latest production artefact (the
--                           evidence): pinned by digest, with an attestation, verified, and
--                           not pinned (latest_unpinned); 1 in latest_signed / latest_verified
--                           when every pinned image is
--   production_admissions   allowed production admissions in the window ($window_start, $as_of]
--   admitted_images         their images; admitted_unpinned those without a digest
--   admitted_verified       images with provenance whose signature verified at ingest, signed
--                           at or before the admission
--   admitted_unverified     images admitted without it (unpinned included)
--   admitted_enforced       images an enforcing image-verification policy covered then
--   admitted_unenforced     images no enforcing one covered
--   admitted_unverified_unenforced   admitted without verified provenance and without an
--                           enforcing policy: signature checks in audit mode in practice
--   signature_denials       production admissions in the window denied by an
--                           image-verification policy of their cluster
--   policy_mode_changes     sightings of image-verification policies in the window whose mode
--                           differs from the one seen before it (per cluster and policy; a
--                           deletion, seen in the audit log, is mode `deleted`)
--   ungated_verified        verified images whose commit's SAST gate did not pass or is not
--                           on record (views/ci_gates.sql)
WITH admissions AS (
  SELECT COUNT(DISTINCT source_id) AS admission_records FROM production_admissions
),
attested AS (
  SELECT COUNT(*) AS attestation_records
  FROM attestations
  WHERE event_time <= $as_of AND ingested_at <= $known_at
),
latest AS (
  SELECT source_id
  FROM production_admissions
  WHERE admission_allowed AND artifact_digest IS NOT NULL
  ORDER BY deployed_at DESC, source_id DESC
  LIMIT 1
),
latest_rows AS (
  SELECT
    COUNT(*) AS latest_images,
    -- No latest artefact: zeros, not NULLs.
    COALESCE(SUM(CASE WHEN a.artifact_digest IS NOT NULL THEN 1 ELSE 0 END), 0) AS latest_pinned,
    COALESCE(SUM(CASE WHEN a.artifact_digest IS NOT NULL AND a.attestation_source_id IS NOT NULL
      THEN 1 ELSE 0 END), 0) AS latest_attested,
    COALESCE(SUM(CASE WHEN a.artifact_digest IS NOT NULL AND a.signature_verified THEN 1 ELSE 0
      END), 0) AS latest_pinned_verified
  FROM production_admissions a
  JOIN latest l ON a.source_id = l.source_id
),
window_rows AS (
  SELECT
    COUNT(DISTINCT CASE WHEN admission_allowed THEN source_id END) AS production_admissions,
    SUM(CASE WHEN admission_allowed THEN 1 ELSE 0 END) AS admitted_images,
    SUM(CASE WHEN admission_allowed AND artifact_digest IS NULL THEN 1 ELSE 0 END)
      AS admitted_unpinned,
    SUM(CASE WHEN admission_allowed AND signature_verified THEN 1 ELSE 0 END)
      AS admitted_verified,
    SUM(CASE WHEN admission_allowed AND NOT signature_verified THEN 1 ELSE 0 END)
      AS admitted_unverified,
    SUM(CASE WHEN admission_allowed AND policy_mode = 'enforce' THEN 1 ELSE 0 END)
      AS admitted_enforced,
    SUM(CASE WHEN admission_allowed AND (policy_mode IS NULL OR policy_mode <> 'enforce')
      THEN 1 ELSE 0 END) AS admitted_unenforced,
    SUM(CASE WHEN admission_allowed AND NOT signature_verified
      AND (policy_mode IS NULL OR policy_mode <> 'enforce') THEN 1 ELSE 0 END)
      AS admitted_unverified_unenforced,
    SUM(CASE WHEN admission_allowed AND signature_verified
      AND (sast_gate IS NULL OR sast_gate <> 'passed') THEN 1 ELSE 0 END) AS ungated_verified
  FROM production_admissions
  WHERE deployed_at > $window_start
),
denials AS (
  SELECT COUNT(DISTINCT a.source_id) AS signature_denials
  FROM production_admissions a
  JOIN (
    SELECT DISTINCT cluster_name, policy
    FROM policies
    WHERE verifies_images AND event_time <= $as_of AND ingested_at <= $known_at
  ) v ON a.decided_by = v.policy AND (v.cluster_name IS NOT DISTINCT FROM a.cluster_name)
  WHERE NOT a.admission_allowed AND a.deployed_at > $window_start
),
versions AS (
  -- Every sighting of a policy in order: a revert to an earlier version is a change too.
  SELECT
    mode, event_time,
    LAG(mode) OVER (
      PARTITION BY cluster_name, policy ORDER BY event_time, generation, spec_sha256
    ) AS previous_mode
  FROM policies
  -- A deletion is a change of mode too (enforce → deleted).
  WHERE (verifies_images OR mode = 'deleted') AND event_time <= $as_of
    AND ingested_at <= $known_at
),
changes AS (
  SELECT COUNT(*) AS policy_mode_changes
  FROM versions
  WHERE event_time > $window_start AND previous_mode IS NOT NULL AND previous_mode <> mode
)
SELECT
  admissions.admission_records, attested.attestation_records,
  CASE WHEN admissions.admission_records = 0 THEN 1 ELSE 0 END
    + CASE WHEN attested.attestation_records = 0 THEN 1 ELSE 0 END AS missing_sources,
  latest_rows.latest_images, latest_rows.latest_pinned, latest_rows.latest_attested,
  latest_rows.latest_pinned_verified,
  latest_rows.latest_images - latest_rows.latest_pinned AS latest_unpinned,
  CASE WHEN latest_rows.latest_pinned > 0
    AND latest_rows.latest_attested = latest_rows.latest_pinned THEN 1 ELSE 0 END AS latest_signed,
  CASE WHEN latest_rows.latest_pinned > 0
    AND latest_rows.latest_pinned_verified = latest_rows.latest_pinned THEN 1 ELSE 0 END
    AS latest_verified,
  window_rows.production_admissions, COALESCE(window_rows.admitted_images, 0) AS admitted_images,
  COALESCE(window_rows.admitted_unpinned, 0) AS admitted_unpinned,
  COALESCE(window_rows.admitted_verified, 0) AS admitted_verified,
  COALESCE(window_rows.admitted_unverified, 0) AS admitted_unverified,
  COALESCE(window_rows.admitted_enforced, 0) AS admitted_enforced,
  COALESCE(window_rows.admitted_unenforced, 0) AS admitted_unenforced,
  COALESCE(window_rows.admitted_unverified_unenforced, 0) AS admitted_unverified_unenforced,
  denials.signature_denials, changes.policy_mode_changes,
  COALESCE(window_rows.ungated_verified, 0) AS ungated_verified
FROM admissions, attested, latest_rows, window_rows, denials, changes
