//! Public keys and certificates as Sigstore uses them: SubjectPublicKeyInfo (PEM or DER) of
//! ECDSA P-256/P-384, Ed25519 and RSA keys, checked with `ring`; X.509 certificates read with
//! `x509-cert`, for their key, validity, identity and the signature their issuer made.

use chrono::{DateTime, TimeZone, Utc};
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, Document, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{ExtendedKeyUsage, SubjectAltName};
use x509_cert::spki::SubjectPublicKeyInfoOwned;

const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";
const ED25519: &str = "1.3.101.112";
const RSA: &str = "1.2.840.113549.1.1.1";
const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
const CODE_SIGNING: &str = "1.3.6.1.5.5.7.3.3";
const SUBJECT_ALT_NAME: &str = "2.5.29.17";
const EXT_KEY_USAGE: &str = "2.5.29.37";
/// Fulcio's OIDC issuer extensions: v2 (a DER UTF8String) and the deprecated v1 (raw text).
const FULCIO_ISSUER_V2: &str = "1.3.6.1.4.1.57264.1.8";
const FULCIO_ISSUER_V1: &str = "1.3.6.1.4.1.57264.1.1";

fn oid(s: &str) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(s)
}

/// The algorithm family of a public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    P256,
    P384,
    Ed25519,
    Rsa,
}

/// A public key that signatures are checked against.
#[derive(Debug, Clone)]
pub struct PublicKey {
    family: Family,
    /// The key as `ring` takes it: the SubjectPublicKeyInfo's key bits.
    bits: Vec<u8>,
    /// SHA-256 of the DER SubjectPublicKeyInfo: the key's id (what Sigstore's `hint` and log
    /// ids are).
    id: [u8; 32],
}

impl PublicKey {
    /// Reads a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, String> {
        let spki = SubjectPublicKeyInfoOwned::from_der(der)
            .map_err(|e| format!("not a SubjectPublicKeyInfo: {e}"))?;
        Self::from_spki(&spki, der)
    }

    /// Reads a PEM `PUBLIC KEY`.
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        let (label, doc) =
            Document::from_pem(pem.trim()).map_err(|e| format!("not a PEM document: {e}"))?;
        if label != "PUBLIC KEY" {
            return Err(format!("a PEM {label}, not a PUBLIC KEY"));
        }
        Self::from_spki_der(doc.as_bytes())
    }

    fn from_spki(spki: &SubjectPublicKeyInfoOwned, der: &[u8]) -> Result<Self, String> {
        let alg = spki.algorithm.oid;
        let family = if alg == oid(EC_PUBLIC_KEY) {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
            match curve {
                Some(c) if c == oid(P256) => Family::P256,
                Some(c) if c == oid(P384) => Family::P384,
                other => return Err(format!("an EC key on an unsupported curve {other:?}")),
            }
        } else if alg == oid(ED25519) {
            Family::Ed25519
        } else if alg == oid(RSA) {
            Family::Rsa
        } else {
            return Err(format!("an unsupported key algorithm {alg}"));
        };
        Ok(Self {
            family,
            bits: spki.subject_public_key.raw_bytes().to_vec(),
            id: Sha256::digest(der).into(),
        })
    }

    /// SHA-256 of the key's DER SubjectPublicKeyInfo.
    pub fn id(&self) -> [u8; 32] {
        self.id
    }

    /// Whether `sig` is this key's signature over `message` (ECDSA with the curve's hash,
    /// DER-encoded; Ed25519; RSA PKCS#1 v1.5 or PSS with SHA-256).
    pub fn verifies(&self, message: &[u8], sig: &[u8]) -> bool {
        let algorithms: &[&'static dyn VerificationAlgorithm] = match self.family {
            Family::P256 => &[&signature::ECDSA_P256_SHA256_ASN1],
            Family::P384 => &[&signature::ECDSA_P384_SHA384_ASN1],
            Family::Ed25519 => &[&signature::ED25519],
            Family::Rsa => &[
                &signature::RSA_PKCS1_2048_8192_SHA256,
                &signature::RSA_PSS_2048_8192_SHA256,
            ],
        };
        algorithms.iter().any(|alg| {
            UnparsedPublicKey::new(*alg, &self.bits)
                .verify(message, sig)
                .is_ok()
        })
    }

    /// Whether `sig`, made with signature algorithm `alg` (an X.509 AlgorithmIdentifier OID),
    /// is this key's signature over `message`.
    fn verifies_with(&self, alg: ObjectIdentifier, message: &[u8], sig: &[u8]) -> bool {
        let algorithm: &'static dyn VerificationAlgorithm = match self.family {
            Family::P256 if alg == oid(ECDSA_SHA256) => &signature::ECDSA_P256_SHA256_ASN1,
            Family::P256 if alg == oid(ECDSA_SHA384) => &signature::ECDSA_P256_SHA384_ASN1,
            Family::P384 if alg == oid(ECDSA_SHA384) => &signature::ECDSA_P384_SHA384_ASN1,
            Family::P384 if alg == oid(ECDSA_SHA256) => &signature::ECDSA_P384_SHA256_ASN1,
            Family::Ed25519 if alg == oid(ED25519) => &signature::ED25519,
            _ => return false,
        };
        UnparsedPublicKey::new(algorithm, &self.bits)
            .verify(message, sig)
            .is_ok()
    }
}

/// An X.509 certificate, as far as signature checks need it.
#[derive(Debug, Clone)]
pub struct Cert {
    der: Vec<u8>,
    tbs: Vec<u8>,
    signature_algorithm: ObjectIdentifier,
    signature: Vec<u8>,
    subject: Vec<u8>,
    issuer: Vec<u8>,
    /// The certificate's public key.
    pub key: PublicKey,
    /// Valid from.
    pub not_before: DateTime<Utc>,
    /// Valid until.
    pub not_after: DateTime<Utc>,
    /// Its subject alternative names that are URIs or e-mail addresses.
    pub identities: Vec<String>,
    /// The OIDC issuer Fulcio recorded.
    pub oidc_issuer: Option<String>,
    /// Whether its extended key usage allows code signing.
    pub code_signing: bool,
}

fn instant(t: x509_cert::time::Time) -> DateTime<Utc> {
    let secs = t.to_unix_duration().as_secs();
    Utc.timestamp_opt(i64::try_from(secs).unwrap_or(i64::MAX), 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl Cert {
    /// Reads a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, String> {
        let cert =
            Certificate::from_der(der).map_err(|e| format!("not an X.509 certificate: {e}"))?;
        let tbs = cert.tbs_certificate();
        let spki_der = tbs
            .subject_public_key_info()
            .to_der()
            .map_err(|e| e.to_string())?;
        let mut identities = Vec::new();
        let mut oidc_issuer = None;
        let mut code_signing = false;
        for ext in tbs.extensions().into_iter().flatten() {
            let value = ext.extn_value.as_bytes();
            if ext.extn_id == oid(SUBJECT_ALT_NAME) {
                let names = SubjectAltName::from_der(value)
                    .map_err(|e| format!("a bad subjectAltName: {e}"))?;
                for name in names.0 {
                    match name {
                        GeneralName::UniformResourceIdentifier(s) | GeneralName::Rfc822Name(s) => {
                            identities.push(s.to_string())
                        }
                        _ => {}
                    }
                }
            } else if ext.extn_id == oid(EXT_KEY_USAGE) {
                let usage = ExtendedKeyUsage::from_der(value)
                    .map_err(|e| format!("a bad extendedKeyUsage: {e}"))?;
                code_signing = usage.0.contains(&oid(CODE_SIGNING));
            } else if ext.extn_id == oid(FULCIO_ISSUER_V2) {
                oidc_issuer = x509_cert::der::asn1::Utf8StringRef::from_der(value)
                    .ok()
                    .map(|s| s.as_str().to_string());
            } else if ext.extn_id == oid(FULCIO_ISSUER_V1) && oidc_issuer.is_none() {
                oidc_issuer = std::str::from_utf8(value).ok().map(str::to_string);
            }
        }
        Ok(Self {
            der: der.to_vec(),
            tbs: tbs.to_der().map_err(|e| e.to_string())?,
            signature_algorithm: cert.signature_algorithm().oid,
            signature: cert.signature().raw_bytes().to_vec(),
            subject: tbs.subject().to_der().map_err(|e| e.to_string())?,
            issuer: tbs.issuer().to_der().map_err(|e| e.to_string())?,
            key: PublicKey::from_spki_der(&spki_der)?,
            not_before: instant(tbs.validity().not_before),
            not_after: instant(tbs.validity().not_after),
            identities,
            oidc_issuer,
            code_signing,
        })
    }

    /// Reads a PEM `CERTIFICATE`.
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        let (label, doc) =
            Document::from_pem(pem.trim()).map_err(|e| format!("not a PEM document: {e}"))?;
        if label != "CERTIFICATE" {
            return Err(format!("a PEM {label}, not a CERTIFICATE"));
        }
        Self::from_der(doc.as_bytes())
    }

    /// The certificate's DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// SHA-256 of the DER certificate, hex: its fingerprint.
    pub fn fingerprint(&self) -> String {
        hex::encode(Sha256::digest(&self.der))
    }

    /// Whether it is valid at `t`.
    pub fn valid_at(&self, t: DateTime<Utc>) -> bool {
        self.not_before <= t && t <= self.not_after
    }

    /// Whether `issuer` issued it: names match and `issuer`'s key made its signature.
    pub fn issued_by(&self, issuer: &Cert) -> bool {
        self.issuer == issuer.subject
            && issuer
                .key
                .verifies_with(self.signature_algorithm, &self.tbs, &self.signature)
    }
}
