//! Signing as a release pipeline signs, with keys drawn from the seed: a release key that
//! signs DSSE envelopes (`cosign attest --key`), and a test Sigstore — a certificate
//! authority issuing short-lived code-signing certificates to a workflow identity, as Fulcio
//! does, and a transparency log that promises, includes and checkpoints every entry, as Rekor
//! does — with the `trusted_root.json` that trusts both. Every signature is ECDSA P-256 over
//! SHA-256, deterministic (RFC 6979), so a seed writes the same bytes every time.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::EncodePublicKey as _;
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SanType,
    SerialNumber,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::Rng;

/// The payload type of an in-toto Statement in a DSSE envelope.
pub const IN_TOTO: &str = "application/vnd.in-toto+json";

/// An ECDSA P-256 key drawn from the seed.
#[derive(Clone)]
pub struct Key {
    signing: SigningKey,
    /// The uncompressed public point, as a certificate's key is written.
    point: Vec<u8>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Key(sha256:{})",
            hex::encode(Sha256::digest(self.spki()))
        )
    }
}

impl Key {
    /// A key from the next random bits (a draw outside the curve's order is drawn again).
    pub fn draw(rng: &mut Rng) -> Self {
        loop {
            let mut bytes = [0u8; 32];
            for chunk in bytes.chunks_mut(8) {
                chunk.copy_from_slice(&rng.bits().to_be_bytes());
            }
            if let Ok(signing) = SigningKey::from_bytes(&bytes.into()) {
                let point = signing
                    .verifying_key()
                    .to_encoded_point(false)
                    .as_bytes()
                    .to_vec();
                return Self { signing, point };
            }
        }
    }

    /// An ASN.1 DER ECDSA signature over SHA-256 of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: DerSignature = self.signing.sign(message);
        signature.as_bytes().to_vec()
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki(&self) -> Vec<u8> {
        p256::PublicKey::from(self.signing.verifying_key())
            .to_public_key_der()
            .expect("a P-256 key encodes")
            .into_vec()
    }

    /// The public key as PEM, as `cosign generate-key-pair` writes `cosign.pub`.
    pub fn public_pem(&self) -> String {
        pem("PUBLIC KEY", &self.spki())
    }
}

impl rcgen::PublicKeyData for Key {
    fn der_bytes(&self) -> &[u8] {
        &self.point
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &PKCS_ECDSA_P256_SHA256
    }
}

impl rcgen::SigningKey for Key {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        Ok(Key::sign(self, msg))
    }
}

/// `bytes` as a PEM block of `label`, 64 columns.
fn pem(label: &str, bytes: &[u8]) -> String {
    let b64 = STANDARD.encode(bytes);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn time(t: DateTime<Utc>) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(t.timestamp()).expect("an instant in range")
}

/// A DSSE envelope of an in-toto Statement signed by `key`, as `cosign download attestation`
/// writes it (one JSON line); the signature alone, for the log entry.
pub fn envelope(key: &Key, statement: &Value) -> (Value, Vec<u8>) {
    let payload = serde_json::to_vec(statement).expect("a statement serialises");
    let sig = key.sign(&evlake_core::dsse_pae(IN_TOTO, &payload));
    let env = json!({
        "payloadType": IN_TOTO,
        "payload": STANDARD.encode(&payload),
        "signatures": [{"keyid": "", "sig": STANDARD.encode(&sig)}],
    });
    (env, sig)
}

/// A certificate authority issuing Fulcio-shaped certificates, and a transparency log.
pub struct TestSigstore {
    ca_key: Key,
    ca_params: CertificateParams,
    ca_der: Vec<u8>,
    valid_from: DateTime<Utc>,
    log_key: Key,
    log_id: [u8; 32],
    leaves: Vec<[u8; 32]>,
    /// Hashes of complete subtrees, by first leaf and size: an inclusion proof of the newest
    /// entry then costs a logarithm of the log's size.
    subtrees: HashMap<(usize, usize), [u8; 32]>,
}

/// The log's name, as its checkpoints' origin line gives it.
const ORIGIN: &str = "rekor.acme.test - 4242";

impl TestSigstore {
    /// A new authority and log, both valid from `from`.
    pub fn new(rng: &mut Rng, from: DateTime<Utc>) -> Self {
        let ca_key = Key::draw(rng);
        let log_key = Key::draw(rng);
        let mut ca_params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::OrganizationName, "acme.test");
        name.push(DnType::CommonName, "acme test fulcio");
        ca_params.distinguished_name = name;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca_params.not_before = time(from);
        ca_params.not_after = time(from + Duration::days(3650));
        ca_params.serial_number = Some(SerialNumber::from(1u64));
        let ca_der = ca_params
            .self_signed(&ca_key)
            .expect("the test root certifies itself")
            .der()
            .to_vec();
        let log_id = Sha256::digest(log_key.spki()).into();
        Self {
            ca_key,
            ca_params,
            ca_der,
            valid_from: from,
            log_key,
            log_id,
            leaves: Vec::new(),
            subtrees: HashMap::new(),
        }
    }

    /// The `trusted_root.json` that trusts this authority and log.
    pub fn trusted_root(&self) -> Value {
        let start = self.valid_from.to_rfc3339_opts(SecondsFormat::Secs, true);
        json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [{
                "baseUrl": "https://rekor.acme.test",
                "hashAlgorithm": "SHA2_256",
                "publicKey": {"rawBytes": STANDARD.encode(self.log_key.spki()),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": {"start": start}},
                "logId": {"keyId": STANDARD.encode(self.log_id)},
            }],
            "certificateAuthorities": [{
                "subject": {"organization": "acme.test", "commonName": "acme test fulcio"},
                "uri": "https://fulcio.acme.test",
                "certChain": {"certificates": [{"rawBytes": STANDARD.encode(&self.ca_der)}]},
                "validFor": {"start": start},
            }],
            "ctlogs": [],
            "timestampAuthorities": [],
        })
    }

    /// A Sigstore bundle v0.3 of `statement` signed keyless at `at` by `identity` (the
    /// certificate's URI) from OIDC `issuer`: a fresh key certified for ten minutes, the DSSE
    /// signature, and the log entry with its promise, inclusion proof and checkpoint.
    pub fn bundle(
        &mut self,
        rng: &mut Rng,
        statement: &Value,
        identity: &str,
        issuer: &str,
        at: DateTime<Utc>,
    ) -> Value {
        let key = Key::draw(rng);
        let cert = self.certify(&key, identity, issuer, at, rng.bits());
        let (env, sig) = envelope(&key, statement);
        let payload = STANDARD
            .decode(env["payload"].as_str().expect("a payload"))
            .expect("base64");
        let cert_pem = pem("CERTIFICATE", &cert);
        // Rekor's dsse entry, canonical JSON (keys sorted).
        let body = json!({
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {
                "envelopeHash": {"algorithm": "sha256",
                    "value": hex::encode(Sha256::digest(serde_json::to_vec(&env).expect("json")))},
                "payloadHash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(&payload))},
                "signatures": [{"signature": STANDARD.encode(&sig),
                    "verifier": STANDARD.encode(cert_pem.as_bytes())}],
            },
        });
        let entry = self.log(&serde_json::to_vec(&body).expect("json"), at);
        json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": {"rawBytes": STANDARD.encode(&cert)},
                "tlogEntries": [entry],
            },
            "dsseEnvelope": {
                "payload": env["payload"],
                "payloadType": IN_TOTO,
                "signatures": [{"sig": STANDARD.encode(&sig)}],
            },
        })
    }

    /// A code-signing certificate for `key`, as Fulcio issues one: no subject, the identity
    /// as a URI SAN, the OIDC issuer in Fulcio's extensions (v1 raw and v2 DER), ten minutes.
    fn certify(
        &self,
        key: &Key,
        identity: &str,
        issuer: &str,
        at: DateTime<Utc>,
        serial: u64,
    ) -> Vec<u8> {
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.subject_alt_names = vec![SanType::URI(
            identity.try_into().expect("an identity is ASCII"),
        )];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        params.not_before = time(at - Duration::seconds(30));
        params.not_after = time(at + Duration::minutes(10));
        params.serial_number = Some(SerialNumber::from(serial));
        params.custom_extensions = vec![
            CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 4, 1, 57264, 1, 1],
                issuer.as_bytes().to_vec(),
            ),
            CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 4, 1, 57264, 1, 8],
                yasna::construct_der(|w| w.write_utf8_string(issuer)),
            ),
        ];
        let ca = Issuer::from_params(&self.ca_params, &self.ca_key);
        params
            .signed_by(key, &ca)
            .expect("the test authority certifies")
            .der()
            .to_vec()
    }

    /// Appends `body` to the log at `at`: the entry a bundle carries.
    fn log(&mut self, body: &[u8], at: DateTime<Utc>) -> Value {
        let index = self.leaves.len();
        let mut leaf = Sha256::new();
        leaf.update([0u8]);
        leaf.update(body);
        self.leaves.push(leaf.finalize().into());
        let size = index + 1;
        let body_b64 = STANDARD.encode(body);
        let integrated = at.timestamp();
        let log_id = hex::encode(self.log_id);
        let promise = format!(
            "{{\"body\":\"{body_b64}\",\"integratedTime\":{integrated},\"logID\":\"{log_id}\",\"logIndex\":{index}}}"
        );
        let set = self.log_key.sign(promise.as_bytes());
        let root = self.hash(0, size);
        let path = self.path(index, 0, size);
        let note = format!("{ORIGIN}\n{size}\n{}\n", STANDARD.encode(root));
        let mut signed = self.log_id[..4].to_vec();
        signed.extend(self.log_key.sign(note.as_bytes()));
        let checkpoint = format!(
            "{note}\n\u{2014} rekor.acme.test {}\n",
            STANDARD.encode(signed)
        );
        json!({
            "logIndex": index.to_string(),
            "logId": {"keyId": STANDARD.encode(self.log_id)},
            "kindVersion": {"kind": "dsse", "version": "0.0.1"},
            "integratedTime": integrated.to_string(),
            "inclusionPromise": {"signedEntryTimestamp": STANDARD.encode(set)},
            "inclusionProof": {
                "logIndex": index.to_string(),
                "rootHash": STANDARD.encode(root),
                "treeSize": size.to_string(),
                "hashes": path.iter().map(|h| STANDARD.encode(h)).collect::<Vec<_>>(),
                "checkpoint": {"envelope": checkpoint},
            },
            "canonicalizedBody": body_b64,
        })
    }

    /// RFC 9162's MTH over leaves `[from, from + n)`.
    fn hash(&mut self, from: usize, n: usize) -> [u8; 32] {
        if n == 1 {
            return self.leaves[from];
        }
        if n.is_power_of_two()
            && let Some(h) = self.subtrees.get(&(from, n))
        {
            return *h;
        }
        let k = split(n);
        let (left, right) = (self.hash(from, k), self.hash(from + k, n - k));
        let mut h = Sha256::new();
        h.update([1u8]);
        h.update(left);
        h.update(right);
        let h: [u8; 32] = h.finalize().into();
        if n.is_power_of_two() {
            self.subtrees.insert((from, n), h);
        }
        h
    }

    /// RFC 9162's inclusion path of leaf `m` within leaves `[from, from + n)`, leaf first.
    fn path(&mut self, m: usize, from: usize, n: usize) -> Vec<[u8; 32]> {
        if n == 1 {
            return Vec::new();
        }
        let k = split(n);
        if m < k {
            let mut p = self.path(m, from, k);
            p.push(self.hash(from + k, n - k));
            p
        } else {
            let mut p = self.path(m - k, from + k, n - k);
            p.push(self.hash(from, k));
            p
        }
    }
}

/// The largest power of two below `n` (n > 1): where RFC 9162 splits a tree.
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_signatures_are_the_seeds() {
        let (a, b) = (Key::draw(&mut Rng::new(7)), Key::draw(&mut Rng::new(7)));
        assert_eq!(a.spki(), b.spki());
        assert_eq!(a.sign(b"release"), b.sign(b"release"));
        assert_ne!(Key::draw(&mut Rng::new(8)).spki(), a.spki());
        assert!(
            a.public_pem()
                .starts_with("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE")
        );
    }

    #[test]
    fn the_trees_root_is_the_hash_of_its_halves() {
        let mut s = TestSigstore::new(&mut Rng::new(1), "2026-01-01T00:00:00Z".parse().unwrap());
        for i in 0..5u8 {
            s.log(&[i], "2026-01-02T00:00:00Z".parse().unwrap());
        }
        let node = |l: [u8; 32], r: [u8; 32]| -> [u8; 32] {
            let mut h = Sha256::new();
            h.update([1u8]);
            h.update(l);
            h.update(r);
            h.finalize().into()
        };
        let l = s.leaves.clone();
        let want = node(node(node(l[0], l[1]), node(l[2], l[3])), l[4]);
        assert_eq!(s.hash(0, 5), want);
        assert_eq!(
            s.path(4, 0, 5),
            vec![node(node(l[0], l[1]), node(l[2], l[3]))]
        );
        assert_eq!(s.path(2, 0, 5), vec![l[3], node(l[0], l[1]), l[4]]);
    }
}
