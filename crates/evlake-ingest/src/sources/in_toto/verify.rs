//! Verifying a signed attestation as Sigstore clients do, with nothing fetched: a bundle
//! (v0.1–v0.3) or a bare DSSE envelope, signed by a configured key or keyless by a Fulcio
//! certificate that chains to the trusted root, valid at the time the transparency log
//! signed, and naming an expected identity from an expected OIDC issuer; the log entry must
//! prove inclusion and record this very signature. The verdict says what failed.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use regex::Regex;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::keys::{Cert, PublicKey};
use super::rekor;
use super::trust::TrustedRoot;
use evlake_core::dsse_pae as pae;

/// What evlake records as the verifier of each verdict.
pub const VERIFIER: &str = concat!("evlake ", env!("CARGO_PKG_VERSION"));

/// A text expected exactly, or matched by a regular expression over the whole text.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// The text itself.
    Exact(String),
    /// A regular expression anchored at both ends.
    Pattern(Regex),
}

impl Matcher {
    /// A matcher for a regular expression over the whole text; the error names it.
    pub fn pattern(re: &str) -> Result<Self, String> {
        Regex::new(&format!("^(?:{re})$"))
            .map(Self::Pattern)
            .map_err(|e| format!("'{re}' is not a regular expression: {e}"))
    }

    fn matches(&self, s: &str) -> bool {
        match self {
            Self::Exact(e) => e == s,
            Self::Pattern(p) => p.is_match(s),
        }
    }
}

/// A keyless signer evlake trusts: the certificate's identity and its OIDC issuer.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The certificate's subject alternative name (a workflow URI, an e-mail).
    pub subject: Matcher,
    /// The OIDC issuer Fulcio recorded.
    pub issuer: Matcher,
}

/// What signatures are checked against.
#[derive(Debug, Clone, Default)]
pub struct Verifier {
    /// The trusted root for keyless signatures and transparency-log entries.
    pub root: Option<TrustedRoot>,
    /// Keys that may sign, by name.
    pub keys: Vec<(String, PublicKey)>,
    /// Keyless signers that may sign.
    pub identities: Vec<Identity>,
}

/// The verdict on one attestation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    /// Whether every check held.
    pub verified: bool,
    /// The first check that failed.
    pub error: Option<String>,
    /// Who signed: the certificate's identity, or the configured key's name.
    pub signer_identity: Option<String>,
    /// The OIDC issuer of a keyless signer.
    pub signer_issuer: Option<String>,
    /// `sha256:` of the signing key (SubjectPublicKeyInfo) or certificate (DER).
    pub signing_key: Option<String>,
    /// The transparency-log index of the entry.
    pub log_index: Option<i64>,
    /// When the log integrated the entry, as the log signed it.
    pub integrated_time: Option<DateTime<Utc>>,
    /// SHA-256 of the trusted root checked against.
    pub trust_root_sha256: Option<String>,
}

/// What was signed.
#[derive(Debug, Clone)]
pub enum Signed {
    /// A DSSE envelope: its payload type and payload, and its signatures.
    Dsse {
        /// `payloadType`.
        payload_type: String,
        /// The decoded payload.
        payload: Vec<u8>,
        /// The decoded signatures, each with the PEM certificate it carries, if any.
        signatures: Vec<(Vec<u8>, Option<String>)>,
    },
    /// A signature over an artifact's SHA-256 digest.
    Message {
        /// The digest.
        digest: Vec<u8>,
        /// The signature.
        signature: Vec<u8>,
    },
}

enum Signer {
    Cert(Box<Cert>),
    Key(PublicKey),
}

impl Signer {
    fn key(&self) -> &PublicKey {
        match self {
            Self::Cert(c) => &c.key,
            Self::Key(k) => k,
        }
    }

    /// Whether a PEM certificate or key (as the log records it) is this signer's.
    fn is(&self, pem: &str) -> bool {
        match self {
            Self::Cert(c) => Cert::from_pem(pem).is_ok_and(|p| p.der() == c.der()),
            Self::Key(k) => PublicKey::from_pem(pem).is_ok_and(|p| p.id() == k.id()),
        }
    }
}

fn b64(field: &str, v: &Value) -> Result<Vec<u8>, String> {
    let s = v.as_str().ok_or_else(|| format!("{field} is missing"))?;
    STANDARD
        .decode(s.trim())
        .map_err(|e| format!("{field} is not base64: {e}"))
}

/// Reads a DSSE envelope.
pub fn envelope(env: &Value) -> Result<Signed, String> {
    let payload_type = env["payloadType"]
        .as_str()
        .ok_or("the envelope has no payloadType")?
        .to_string();
    let payload = b64("the envelope's payload", &env["payload"])?;
    let mut signatures = Vec::new();
    for s in env["signatures"].as_array().into_iter().flatten() {
        signatures.push((
            b64("a signature's sig", &s["sig"])?,
            s["cert"]
                .as_str()
                .filter(|c| !c.is_empty())
                .map(str::to_string),
        ));
    }
    if signatures.is_empty() {
        return Err("the envelope has no signatures".into());
    }
    Ok(Signed::Dsse {
        payload_type,
        payload,
        signatures,
    })
}

/// The version of a bundle's `mediaType`, or why it is not one evlake reads.
fn bundle_version(media: &str) -> Result<u8, String> {
    match media {
        "application/vnd.dev.sigstore.bundle+json;version=0.1" => Ok(1),
        "application/vnd.dev.sigstore.bundle+json;version=0.2" => Ok(2),
        "application/vnd.dev.sigstore.bundle+json;version=0.3"
        | "application/vnd.dev.sigstore.bundle.v0.3+json" => Ok(3),
        other => Err(format!(
            "unsupported Sigstore bundle version: mediaType '{other}'"
        )),
    }
}

/// Reads what a bundle signed.
pub fn bundle_content(bundle: &Value) -> Result<Signed, String> {
    if !bundle["dsseEnvelope"].is_null() {
        return envelope(&bundle["dsseEnvelope"]);
    }
    let m = &bundle["messageSignature"];
    if m.is_null() {
        return Err("the bundle has neither a dsseEnvelope nor a messageSignature".into());
    }
    Ok(Signed::Message {
        digest: b64(
            "messageSignature.messageDigest.digest",
            &m["messageDigest"]["digest"],
        )?,
        signature: b64("messageSignature.signature", &m["signature"])?,
    })
}

impl Verifier {
    /// Verifies a Sigstore bundle; `artifact` is the signed file for a message signature
    /// (a DSSE envelope carries what it signs).
    pub fn bundle(&self, bundle: &Value, artifact: Option<&[u8]>) -> Verdict {
        let mut v = Verdict::default();
        let outcome = self.check_bundle(bundle, artifact, &mut v);
        v.finish(outcome)
    }

    /// Verifies a bare DSSE envelope (as `cosign download attestation` writes them): by a
    /// configured key, or — when a signature carries its Fulcio certificate — refused for
    /// want of a log entry that proves when it was made.
    pub fn envelope(&self, env: &Value) -> Verdict {
        let mut v = Verdict::default();
        let outcome = self.check_envelope(env, &mut v);
        v.finish(outcome)
    }

    fn check_envelope(&self, env: &Value, v: &mut Verdict) -> Result<(), String> {
        let signed = envelope(env)?;
        let Signed::Dsse {
            payload_type,
            payload,
            signatures,
        } = &signed
        else {
            unreachable!("an envelope is DSSE")
        };
        let message = pae(payload_type, payload);
        for (sig, cert) in signatures {
            if let Some(pem) = cert {
                let cert = Cert::from_pem(pem).map_err(|e| format!("the signature's cert: {e}"))?;
                self.describe_cert(&cert, v);
                if !cert.key.verifies(&message, sig) {
                    return Err(
                        "the envelope's signature does not verify with its certificate".into(),
                    );
                }
                let root = self.root_for(v)?;
                if root.issuer_chain(&cert, cert.not_before).is_none() {
                    return Err(
                        "the signature's certificate was not issued by a certificate authority of the trusted root"
                            .into(),
                    );
                }
                return Err(
                    "the signature and its Fulcio certificate check out, but no \
                    transparency-log entry proves it was made while the short-lived certificate \
                    was valid: ingest the Sigstore bundle instead"
                        .into(),
                );
            }
            if let Some((name, key)) = self.keys.iter().find(|(_, k)| k.verifies(&message, sig)) {
                v.signer_identity = Some(name.clone());
                v.signing_key = Some(format!("sha256:{}", hex::encode(key.id())));
                return Ok(());
            }
        }
        if self.keys.is_empty() {
            Err("the envelope is signed by a key, and no key is configured".into())
        } else {
            Err("no configured key verifies the envelope's signature".into())
        }
    }

    fn root_for(&self, v: &mut Verdict) -> Result<&TrustedRoot, String> {
        let root = self
            .root
            .as_ref()
            .ok_or("a keyless signature needs a trusted root, and none is configured")?;
        v.trust_root_sha256 = Some(root.sha256.clone());
        Ok(root)
    }

    fn describe_cert(&self, cert: &Cert, v: &mut Verdict) {
        v.signer_identity = cert.identities.first().cloned();
        v.signer_issuer = cert.oidc_issuer.clone();
        v.signing_key = Some(format!("sha256:{}", cert.fingerprint()));
    }

    fn signer(&self, material: &Value, v: &mut Verdict) -> Result<Signer, String> {
        let raw = if !material["certificate"].is_null() {
            Some(&material["certificate"]["rawBytes"])
        } else if !material["x509CertificateChain"].is_null() {
            Some(&material["x509CertificateChain"]["certificates"][0]["rawBytes"])
        } else {
            None
        };
        if let Some(raw) = raw {
            let cert = Cert::from_der(&b64("the bundle's certificate", raw)?)?;
            self.describe_cert(&cert, v);
            return Ok(Signer::Cert(Box::new(cert)));
        }
        if material["publicKey"].is_null() {
            return Err("the bundle has no certificate and no public key".into());
        }
        // The hint is the key's id; an absent or unknown one leaves every key to try.
        let hint = b64("publicKey.hint", &material["publicKey"]["hint"]).ok();
        let chosen = self
            .keys
            .iter()
            .find(|(_, k)| hint.as_deref() == Some(k.id().as_slice()))
            .or_else(|| self.keys.first().filter(|_| self.keys.len() == 1));
        let (name, key) = chosen.ok_or("the bundle is signed by a key that is not configured")?;
        v.signer_identity = Some(name.clone());
        v.signing_key = Some(format!("sha256:{}", hex::encode(key.id())));
        Ok(Signer::Key(key.clone()))
    }

    fn check_bundle(
        &self,
        bundle: &Value,
        artifact: Option<&[u8]>,
        v: &mut Verdict,
    ) -> Result<(), String> {
        let version = bundle_version(bundle["mediaType"].as_str().unwrap_or("(none)"))?;
        let material = &bundle["verificationMaterial"];
        let signed = bundle_content(bundle)?;
        let signer = self.signer(material, v)?;
        let signature = check_signature(&signed, signer.key(), artifact)?;

        let entries = material["tlogEntries"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        let keyless = matches!(signer, Signer::Cert(_));
        if keyless && entries.is_empty() {
            return Err("a keyless signature without a transparency-log entry".into());
        }
        let mut signed_time = None;
        if !entries.is_empty() {
            let root = self.root_for(v)?;
            for entry in entries {
                let logged = rekor::verify_entry(root, entry, version >= 2)?;
                body_records(&logged.body, &signed, &signature, &signer)?;
                v.log_index = Some(logged.log_index);
                signed_time = signed_time.or(logged.integrated_time);
            }
        }
        v.integrated_time = signed_time;
        if let Signer::Cert(cert) = &signer {
            let t = signed_time.ok_or(
                "no signed time: the log entry has no inclusion promise (RFC 3161 timestamps are not yet checked)",
            )?;
            if !cert.valid_at(t) {
                return Err(format!(
                    "the certificate was not valid at the log's integrated time {t} (valid {} to {})",
                    cert.not_before, cert.not_after
                ));
            }
            let root = self.root_for(v)?;
            if root.issuer_chain(cert, t).is_none() {
                return Err(
                    "the certificate was not issued by a certificate authority of the trusted root"
                        .into(),
                );
            }
            if !cert.code_signing {
                return Err("the certificate is not for code signing".into());
            }
            self.check_identity(cert)?;
        }
        Ok(())
    }

    fn check_identity(&self, cert: &Cert) -> Result<(), String> {
        if self.identities.is_empty() {
            return Err("no keyless identity is configured to trust".into());
        }
        let issuer = cert.oidc_issuer.as_deref().unwrap_or("");
        let trusted = cert.identities.iter().any(|id| {
            self.identities
                .iter()
                .any(|want| want.subject.matches(id) && want.issuer.matches(issuer))
        });
        if trusted {
            Ok(())
        } else {
            Err(format!(
                "signed by {} from issuer {}, which is not a configured identity",
                cert.identities.join(", "),
                if issuer.is_empty() { "(none)" } else { issuer }
            ))
        }
    }
}

impl Verdict {
    fn finish(mut self, outcome: Result<(), String>) -> Self {
        self.verified = outcome.is_ok();
        self.error = outcome.err();
        self
    }
}

/// Checks the signature and returns the one that verified.
fn check_signature(
    signed: &Signed,
    key: &PublicKey,
    artifact: Option<&[u8]>,
) -> Result<Vec<u8>, String> {
    match signed {
        Signed::Dsse {
            payload_type,
            payload,
            signatures,
        } => {
            let message = pae(payload_type, payload);
            signatures
                .iter()
                .find(|(sig, _)| key.verifies(&message, sig))
                .map(|(sig, _)| sig.clone())
                .ok_or_else(|| "the envelope's signature does not verify".to_string())
        }
        Signed::Message { digest, signature } => {
            let artifact = artifact.ok_or("a message signature needs the signed artifact")?;
            if Sha256::digest(artifact).as_slice() != digest.as_slice() {
                return Err("the artifact is not the one the bundle's digest names".into());
            }
            if key.verifies(artifact, signature) {
                Ok(signature.clone())
            } else {
                Err("the message signature does not verify".into())
            }
        }
    }
}

/// Checks that the log's entry records this signature by this signer over this content.
fn body_records(
    body: &Value,
    signed: &Signed,
    signature: &[u8],
    signer: &Signer,
) -> Result<(), String> {
    let mismatch = |what: &str| Err(format!("the log entry does not match the bundle: {what}"));
    let spec = &body["spec"];
    let pem = |v: &Value| {
        b64("the log entry's key", v)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
    };
    let sig_is = |v: &Value| b64("the log entry's signature", v).is_ok_and(|s| s == signature);
    let payload_hash = match signed {
        Signed::Dsse { payload, .. } => Some(hex::encode(Sha256::digest(payload))),
        Signed::Message { .. } => None,
    };
    match (body["kind"].as_str(), signed) {
        (Some("hashedrekord"), Signed::Message { digest, .. }) => {
            if spec["data"]["hash"]["value"].as_str() != Some(&hex::encode(digest)) {
                return mismatch("another artifact digest");
            }
            if !sig_is(&spec["signature"]["content"]) {
                return mismatch("another signature");
            }
            if !pem(&spec["signature"]["publicKey"]["content"]).is_some_and(|p| signer.is(&p)) {
                return mismatch("another signer");
            }
        }
        (Some("dsse"), Signed::Dsse { .. }) => {
            if spec["payloadHash"]["value"].as_str() != payload_hash.as_deref() {
                return mismatch("another payload");
            }
            let recorded = spec["signatures"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|s| {
                    sig_is(&s["signature"]) && pem(&s["verifier"]).is_some_and(|p| signer.is(&p))
                });
            if !recorded {
                return mismatch("another signature or signer");
            }
        }
        (Some("intoto"), Signed::Dsse { .. }) => {
            let content = &spec["content"];
            if content["payloadHash"]["value"].as_str() != payload_hash.as_deref() {
                return mismatch("another payload");
            }
            // intoto v0.0.2 records each signature base64-encoded once more.
            let recorded = content["envelope"]["signatures"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|s| {
                    b64("the log entry's sig", &s["sig"])
                        .is_ok_and(|inner| STANDARD.decode(inner).is_ok_and(|s| s == signature))
                        && pem(&s["publicKey"]).is_some_and(|p| signer.is(&p))
                });
            if !recorded {
                return mismatch("another signature or signer");
            }
        }
        (kind, _) => {
            return mismatch(&format!(
                "a log entry of kind {} for this content",
                kind.unwrap_or("(none)")
            ));
        }
    }
    Ok(())
}
