//! Parsing attestations into `attestations` rows: each JSON value of an input is a Sigstore
//! bundle, a DSSE envelope, or a GitHub attestations API page (`attestations[].bundle`); each
//! is verified, its in-toto Statement read, and one row written per subject.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::statement::Provenance;
use super::verify::{self, Identity, Matcher, Signed, Verdict, Verifier};
use super::{InTotoConfig, PublicKey, TrustedRoot};
use crate::emit::{Document, Emitter, timestamp};
use crate::kind::{Framing, Parser};

/// The `in-toto` parser.
#[derive(Debug, Clone)]
pub struct InTotoParser {
    verifier: Verifier,
}

fn read(what: &str, file: &str) -> crate::Result<Vec<u8>> {
    std::fs::read(file).map_err(|e| crate::Error::setting(format!("{what}: {file}: {e}")))
}

fn matcher(
    field: &str,
    exact: &Option<String>,
    pattern: &Option<String>,
) -> crate::Result<Matcher> {
    match (exact, pattern) {
        (Some(e), None) => Ok(Matcher::Exact(e.clone())),
        (None, Some(p)) => {
            Matcher::pattern(p).map_err(|e| crate::Error::setting(format!("identities: {e}")))
        }
        _ => Err(crate::Error::setting(format!(
            "identities: give exactly one of `{field}` and `{field}_regex`"
        ))),
    }
}

impl InTotoParser {
    /// A parser with `config`: its trusted root and keys are read now, and an unreadable
    /// file, a bad key or a bad identity is an error naming it.
    pub fn new(config: &InTotoConfig) -> crate::Result<Self> {
        let root = match &config.trusted_root_file {
            Some(file) => Some(
                TrustedRoot::from_json(&read("trusted_root_file", file)?).map_err(|e| {
                    crate::Error::setting(format!("trusted_root_file: {file}: {e}"))
                })?,
            ),
            None => None,
        };
        let mut keys = Vec::new();
        for k in &config.keys {
            let pem = String::from_utf8_lossy(&read("keys", &k.file)?).into_owned();
            let key = PublicKey::from_pem(&pem)
                .map_err(|e| crate::Error::setting(format!("keys: {}: {e}", k.file)))?;
            keys.push((k.name.clone(), key));
        }
        let mut identities = Vec::new();
        for id in &config.identities {
            identities.push(Identity {
                subject: matcher("subject", &id.subject, &id.subject_regex)?,
                issuer: matcher("issuer", &id.issuer, &id.issuer_regex)?,
            });
        }
        Ok(Self {
            verifier: Verifier {
                root,
                keys,
                identities,
            },
        })
    }
}

#[derive(Deserialize)]
struct ApiPage<'a> {
    #[serde(borrow)]
    attestations: Vec<ApiAttestation<'a>>,
}

#[derive(Deserialize)]
struct ApiAttestation<'a> {
    #[serde(borrow)]
    bundle: &'a RawValue,
}

impl Parser for InTotoParser {
    fn framing(&self) -> Framing {
        Framing::JsonValues
    }

    fn parse(&self, doc: Document<'_>, out: &mut Emitter) {
        let value: Value = match serde_json::from_slice(doc.bytes) {
            Ok(v) => v,
            Err(e) => return out.reject(doc.location, format!("not JSON: {e}"), doc.bytes),
        };
        if value.get("attestations").is_some() {
            match serde_json::from_slice::<ApiPage<'_>>(doc.bytes) {
                Ok(page) => {
                    for (i, a) in page.attestations.iter().enumerate() {
                        let raw = a.bundle.get().as_bytes();
                        let location = format!("{}#attestations[{i}]", doc.location);
                        match serde_json::from_slice(raw) {
                            Ok(bundle) => self.attestation(&bundle, raw, &location, doc, out),
                            Err(e) => out.reject(&location, format!("not JSON: {e}"), raw),
                        }
                    }
                }
                Err(e) => out.reject(
                    doc.location,
                    format!("not an attestations page: {e}"),
                    doc.bytes,
                ),
            }
            return;
        }
        self.attestation(&value, doc.bytes, doc.location, doc, out);
    }
}

impl InTotoParser {
    fn attestation(
        &self,
        v: &Value,
        raw: &[u8],
        location: &str,
        doc: Document<'_>,
        out: &mut Emitter,
    ) {
        let (signed, mut verdict) = if v.get("mediaType").is_some() {
            (verify::bundle_content(v), self.verifier.bundle(v, None))
        } else if v.get("payloadType").is_some() {
            (verify::envelope(v), self.verifier.envelope(v))
        } else {
            return out.reject(
                location,
                "neither a Sigstore bundle (mediaType), a DSSE envelope (payloadType) nor an attestations page",
                raw,
            );
        };
        let (payload_type, payload) = match signed {
            Ok(Signed::Dsse {
                payload_type,
                payload,
                ..
            }) => (payload_type, payload),
            Ok(Signed::Message { .. }) => {
                return out.reject(location, "a bundle signing a file, not an attestation", raw);
            }
            Err(e) => return out.reject(location, e, raw),
        };
        if payload_type != "application/vnd.in-toto+json" {
            return out.reject(
                location,
                format!("payloadType '{payload_type}' is not application/vnd.in-toto+json"),
                raw,
            );
        }
        let statement = serde_json::from_slice(&payload)
            .map_err(|e| format!("the payload is not JSON: {e}"))
            .and_then(|s| Provenance::from_statement(&s));
        let prov = match statement {
            Ok(p) => p,
            Err(e) => return out.reject(location, e, raw),
        };
        builder_check(&prov, &mut verdict);
        let at = verdict
            .integrated_time
            .or(prov.built_at)
            .unwrap_or(doc.modified);
        let record = evlake_core::sha256_hex(raw);
        for (name, digest) in &prov.subjects {
            out.row(
                "attestations",
                at,
                format!("{record}|{digest}"),
                location.to_string(),
                raw,
                fields(&prov, name.as_deref(), digest, &verdict),
            );
        }
    }
}

/// A keyless signature by another identity than the builder the provenance claims is a
/// failure, however valid the signature.
fn builder_check(prov: &Provenance, verdict: &mut Verdict) {
    if !verdict.verified || verdict.signer_issuer.is_none() {
        return;
    }
    let Some(signer) = verdict.signer_identity.as_deref() else {
        return;
    };
    if prov.signed_by_builder(signer) == Some(false) {
        verdict.verified = false;
        verdict.error = Some(format!(
            "signed by {signer}, not by the builder the provenance claims ({})",
            prov.builder_id.as_deref().unwrap_or("-")
        ));
    }
}

fn fields(prov: &Provenance, name: Option<&str>, digest: &str, v: &Verdict) -> Map<String, Value> {
    let Value::Object(map) = json!({
        "artifact_name": name,
        "artifact_digest": digest,
        "statement_type": prov.statement_type,
        "predicate_type": prov.predicate_type,
        "builder_id": prov.builder_id,
        "build_type": prov.build_type,
        "source_repo": prov.source_repo,
        "source_commit": prov.source_commit,
        "invocation_id": prov.invocation_id,
        "run_id": prov.run_id,
        "built_at": prov.built_at.map(timestamp),
        "signature_verified": v.verified,
        "verification_error": v.error,
        "signer_identity": v.signer_identity,
        "signer_issuer": v.signer_issuer,
        "signing_key": v.signing_key,
        "log_index": v.log_index,
        "integrated_time": v.integrated_time.map(timestamp),
        "verifier": verify::VERIFIER,
        "trust_root_sha256": v.trust_root_sha256,
    }) else {
        unreachable!("an object")
    };
    map
}
