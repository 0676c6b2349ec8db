-- q5: show the signed provenance of the latest production artefact deployed at or before
-- $as_of, and the deploy-time policy (and its version) that verified it, as the lake knew it
-- at $known_at.
--
-- The latest artefact: the newest admission into a production namespace in the lookback that
-- was allowed and names at least one image pinned by digest (views/production_admissions.sql).
-- Evidence rows: every image of that workload, with its provenance (builder, source
-- repository and commit, the verdict reached on its signature at ingest, the signer), the CI
-- run the provenance names and whether that commit's SAST gate passed, and the
-- image-verification policy in force at the admission with its version and mode. `finding`
-- names what is wrong with a row, the first of: unpinned (no digest: nothing ties it to a
-- build), unsigned (no attestation), verification_failed, not_enforced (no enforcing
-- verify-images policy covered it), ungated (its commit's SAST gate did not pass or is not on
-- record); null when nothing is.
WITH latest AS (
  SELECT source_id
  FROM production_admissions
  WHERE admission_allowed AND artifact_digest IS NOT NULL
  ORDER BY deployed_at DESC, source_id DESC
  LIMIT 1
)
SELECT
  a.artifact_digest, a.artifact_name, a.deployed_at, a.builder_id, a.source_repo,
  a.source_commit, a.signature_verified, a.signer_identity, a.policy, a.policy_version,
  a.policy_mode, a.admission_allowed,
  CASE
    WHEN a.artifact_digest IS NULL THEN 'unpinned'
    WHEN a.attestation_source_id IS NULL THEN 'unsigned'
    WHEN NOT a.signature_verified THEN 'verification_failed'
    WHEN a.policy_mode IS NULL OR a.policy_mode <> 'enforce' THEN 'not_enforced'
    WHEN a.sast_gate IS NULL OR a.sast_gate <> 'passed' THEN 'ungated'
  END AS finding,
  a.verification_error, a.signer_issuer, a.signed_at_logged, a.ci_run_id, a.sast_gate, a.policy_valid_from, a.image,
  a.audit_id, a.cluster_name, a.namespace, a.resource_kind, a.resource_name, a.operation,
  a.username, a.person, a.signed_at, a.attestation_source_id, a.attestation_sha256,
  a.attestation_ingested_at, a.source, a.source_name, a.source_id, a.source_ref,
  a.event_time, a.ingested_at, a.record_sha256
FROM production_admissions a
JOIN latest l ON a.source_id = l.source_id
ORDER BY CASE WHEN a.artifact_digest IS NULL THEN 1 ELSE 0 END, a.image
