-- Every container image admitted into (or denied from) a production namespace in
-- ($lookback_start, $as_of] that the lake had ingested by $known_at (k8s-audit's
-- `admission_decisions`, `production` by the source's `production_namespaces`), one row per
-- image of the workload, with:
--   artifact_digest   the `sha256:` the image reference pins (NULL: not pinned by digest, so
--                     no provenance can be tied to what ran)
--   policy, policy_version, policy_mode, policy_valid_from
--                     the image-verification policy whose image references match the image,
--                     in the version in force at the admission: the newest version seen at or
--                     before it (`policies`, any age, a deletion included), of the admission's
--                     cluster and, for a namespaced policy, its namespace; an enforcing one
--                     before an auditing one, then by name. NULL: no such policy covered the
--                     image
--   attestation_*, builder_id … signature_verified, signer_identity
--                     the image's SLSA provenance (`attestations` by subject digest) signed at
--                     or before the admission (`signed_at`: the transparency log's integrated
--                     time, else the signed predicate's own; `signed_at_logged` says which): a
--                     verified one before an unverified one, then the newest
--   ci_run_id, sast_gate the CI run the provenance names, and whether the SAST gate of its
--                     commit had passed (`passed`), failed (`failed`: any failed run, allowed to
--                     fail or not) or is not on record (NULL) by the admission
--                     (views/ci_gates.sql)
WITH admitted AS (
  SELECT
    a.event_time AS deployed_at, a.cluster_name, a.namespace, a.resource_kind,
    a.resource_name, a.operation, a.username, a.person, a.allowed, a.status_code,
    a.policy AS decided_by, a.rule, a.message, a.audit_id, a.image,
    CASE WHEN length(split_part(a.image, '@sha256:', 2)) = 64
      THEN 'sha256:' || lower(split_part(a.image, '@sha256:', 2)) END AS artifact_digest,
    split_part(a.image, '@', 1) AS artifact_name,
    a.source, a.source_name, a.source_id, a.source_ref, a.event_time, a.ingested_at,
    a.record_sha256
  FROM (
    SELECT
      event_time, cluster_name, namespace, resource_kind, resource_name, operation, username,
      person, allowed, status_code, policy, rule, message, audit_id, unnest(images) AS image,
      source, source_name, source_id, source_ref, ingested_at, record_sha256
    FROM admission_decisions
    WHERE record_kind = 'admission' AND production
      AND event_time > $lookback_start AND event_time <= $as_of AND ingested_at <= $known_at
      -- The control plane's own updates (a rollout scaling the old ReplicaSet down, status)
      -- deploy nothing new, and would name the old image the latest; its creates (a new
      -- ReplicaSet, its Pods) are admissions like any other.
      AND NOT (operation IN ('update', 'patch') AND (username = 'system:kube-controller-manager'
        OR username LIKE 'system:serviceaccount:kube-system:%'))
  ) a
),
versions AS (
  -- Per admitted image, each policy of the admission's cluster (a namespaced one only in its
  -- namespace) in the version in force then: the newest seen at or before it, whatever it
  -- verifies — a later version that stops covering the image, or the policy's deletion,
  -- ends the earlier one's cover.
  SELECT source_id, image, policy, policy_version, mode, valid_from, image_references
  FROM (
    SELECT
      d.source_id, d.image, p.policy, p.policy_version, p.mode, p.event_time AS valid_from,
      p.verifies_images, p.image_references,
      ROW_NUMBER() OVER (
        PARTITION BY d.source_id, d.image, p.cluster_name, p.namespace, p.policy
        ORDER BY p.event_time DESC, p.generation DESC NULLS LAST, p.spec_sha256
      ) AS newest
    FROM admitted d
    JOIN policies p
      ON p.event_time <= d.deployed_at AND p.ingested_at <= $known_at
     AND (p.cluster_name IS NOT DISTINCT FROM d.cluster_name)
     AND (p.namespace IS NULL OR p.namespace = d.namespace)
  ) p
  WHERE newest = 1 AND verifies_images
),
covering AS (
  -- The versions in force whose image references match the image. A glob as a LIKE
  -- pattern: LIKE's own wildcards escaped (a backslash: the one escape DataFusion takes),
  -- then `*` any run, `?` one character.
  SELECT DISTINCT source_id, image, policy, policy_version, mode, valid_from
  FROM (
    SELECT source_id, image, policy, policy_version, mode, valid_from,
      unnest(image_references) AS ref
    FROM versions
  ) v
  WHERE (image LIKE replace(replace(replace(replace(replace(ref, '\', '\\'), '%', '\%'), '_',
    '\_'), '*', '%'), '?', '_') ESCAPE '\')
),
chosen_policy AS (
  -- An enforcing one before an auditing one, then by name.
  SELECT source_id, image, policy, policy_version, mode, valid_from
  FROM (
    SELECT
      source_id, image, policy, policy_version, mode, valid_from,
      ROW_NUMBER() OVER (
        PARTITION BY source_id, image
        ORDER BY CASE WHEN mode = 'enforce' THEN 0 ELSE 1 END, policy
      ) AS pick
    FROM covering
  ) c
  WHERE pick = 1
),
provenance AS (
  SELECT
    d.source_id, d.image, d.deployed_at, t.builder_id, t.source_repo, t.source_commit, t.run_id,
    t.signature_verified, t.signer_identity, t.signer_issuer, t.verification_error,
    COALESCE(t.integrated_time, t.event_time) AS signed_at,
    t.integrated_time IS NOT NULL AS signed_at_logged,
    t.source_id AS attestation_source_id, t.record_sha256 AS attestation_sha256,
    t.ingested_at AS attestation_ingested_at,
    ROW_NUMBER() OVER (
      PARTITION BY d.source_id, d.image
      ORDER BY CASE WHEN t.signature_verified THEN 0 ELSE 1 END, t.event_time DESC, t.source_id
    ) AS pick
  FROM admitted d
  -- SLSA provenance only (not an SBOM or a scan), signed by the admission: at the time the
  -- transparency log vouches for, else the time its signed predicate gives.
  JOIN attestations t
    ON t.artifact_digest = d.artifact_digest
   AND COALESCE(t.integrated_time, t.event_time) <= d.deployed_at
   AND t.predicate_type LIKE 'https://slsa.dev/provenance/%'
   AND t.ingested_at <= $known_at
),
sast AS (
  -- The SAST gate of the provenance's commit, as it had concluded by the admission.
  SELECT
    p.source_id, p.image,
    -- A failure the pipeline was allowed to survive (continue-on-error, GitLab's
    -- allow_failure) is a failed gate all the same: the code went on past it.
    MAX(CASE WHEN g.failed THEN 1 ELSE 0 END) AS any_failed,
    MAX(CASE WHEN g.succeeded THEN 1 ELSE 0 END) AS any_passed
  FROM provenance p
  -- The same commit of the same repository (`owner/name` ends the provenance's URL), so a
  -- fork's run on that commit does not stand in for it.
  JOIN ci_gates g
    ON lower(g.commit_sha) = lower(p.source_commit) AND g.gate = 'sast' AND g.ran
   AND g.finished_at <= p.deployed_at
   AND (g.repo IS NULL OR p.source_repo IS NULL
     OR right(lower(p.source_repo), length(g.repo) + 1) = '/' || lower(g.repo))
  WHERE p.pick = 1
  GROUP BY p.source_id, p.image
)
SELECT
  d.artifact_digest, d.artifact_name, d.image, d.deployed_at, d.cluster_name, d.namespace,
  d.resource_kind, d.resource_name, d.operation, d.username, d.person,
  d.allowed AS admission_allowed, d.status_code, d.decided_by, d.rule, d.message, d.audit_id,
  p.builder_id, p.source_repo, p.source_commit, p.run_id AS ci_run_id,
  COALESCE(p.signature_verified, FALSE) AS signature_verified, p.signer_identity,
  p.signer_issuer, p.verification_error, p.signed_at, p.signed_at_logged, p.attestation_source_id, p.attestation_sha256,
  p.attestation_ingested_at,
  c.policy, c.policy_version, c.mode AS policy_mode, c.valid_from AS policy_valid_from,
  CASE WHEN s.any_failed = 1 THEN 'failed' WHEN s.any_passed = 1 THEN 'passed' END AS sast_gate,
  d.source, d.source_name, d.source_id, d.source_ref, d.event_time, d.ingested_at,
  d.record_sha256
FROM admitted d
LEFT JOIN provenance p ON p.source_id = d.source_id AND p.image = d.image AND p.pick = 1
LEFT JOIN chosen_policy c ON c.source_id = d.source_id AND c.image = d.image
LEFT JOIN sast s ON s.source_id = d.source_id AND s.image = d.image
