//! A Sigstore trusted root (`trusted_root.json`, `application/vnd.dev.sigstore.trustedroot+json`):
//! the transparency logs' keys and the certificate authorities' chains, each with the period
//! it is valid for. It is read from a file the deployment ships; nothing is fetched.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::keys::{Cert, PublicKey};

/// A transparency log the root trusts.
#[derive(Debug, Clone)]
pub struct LogKey {
    /// The log's id: SHA-256 of its key (what bundles name in `logId.keyId`).
    pub id: Vec<u8>,
    /// The log's key.
    pub key: PublicKey,
    /// Its `baseUrl`: the origin its checkpoints name.
    pub base_url: String,
    valid: Validity,
}

/// A certificate authority the root trusts: its chain, leaf-most first, ending at the root.
#[derive(Debug, Clone)]
pub struct Authority {
    /// The chain, issuing certificate first.
    pub chain: Vec<Cert>,
    valid: Validity,
}

#[derive(Debug, Clone, Copy)]
struct Validity {
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
}

impl Validity {
    fn covers(&self, t: DateTime<Utc>) -> bool {
        self.start.is_none_or(|s| s <= t) && self.end.is_none_or(|e| t <= e)
    }
}

/// A trusted root.
#[derive(Debug, Clone)]
pub struct TrustedRoot {
    logs: Vec<LogKey>,
    authorities: Vec<Authority>,
    /// SHA-256 of the file, hex: which root a verdict was reached with.
    pub sha256: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RootFile {
    media_type: String,
    #[serde(default)]
    tlogs: Vec<LogFile>,
    #[serde(default)]
    certificate_authorities: Vec<AuthorityFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogFile {
    base_url: String,
    public_key: KeyFile,
    log_id: LogIdFile,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyFile {
    raw_bytes: String,
    valid_for: Option<ValidityFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogIdFile {
    key_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthorityFile {
    cert_chain: ChainFile,
    valid_for: Option<ValidityFile>,
}

#[derive(Deserialize)]
struct ChainFile {
    certificates: Vec<RawFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawFile {
    raw_bytes: String,
}

#[derive(Deserialize)]
struct ValidityFile {
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
}

impl From<Option<ValidityFile>> for Validity {
    fn from(v: Option<ValidityFile>) -> Self {
        Self {
            start: v.as_ref().and_then(|v| v.start),
            end: v.and_then(|v| v.end),
        }
    }
}

fn b64(field: &str, s: &str) -> Result<Vec<u8>, String> {
    STANDARD
        .decode(s)
        .map_err(|e| format!("{field} is not base64: {e}"))
}

impl TrustedRoot {
    /// Reads a `trusted_root.json`; the error names what is wrong.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        let file: RootFile =
            serde_json::from_slice(bytes).map_err(|e| format!("not a trusted root: {e}"))?;
        if !file
            .media_type
            .starts_with("application/vnd.dev.sigstore.trustedroot")
        {
            return Err(format!(
                "mediaType '{}' is not a Sigstore trusted root",
                file.media_type
            ));
        }
        let mut logs = Vec::new();
        for (i, log) in file.tlogs.into_iter().enumerate() {
            let der = b64(
                &format!("tlogs[{i}].publicKey.rawBytes"),
                &log.public_key.raw_bytes,
            )?;
            logs.push(LogKey {
                id: b64(&format!("tlogs[{i}].logId.keyId"), &log.log_id.key_id)?,
                key: PublicKey::from_spki_der(&der)
                    .map_err(|e| format!("tlogs[{i}].publicKey: {e}"))?,
                base_url: log.base_url,
                valid: log.public_key.valid_for.into(),
            });
        }
        let mut authorities = Vec::new();
        for (i, ca) in file.certificate_authorities.into_iter().enumerate() {
            let mut chain = Vec::new();
            for (j, c) in ca.cert_chain.certificates.iter().enumerate() {
                let field = format!("certificateAuthorities[{i}].certChain.certificates[{j}]");
                let der = b64(&field, &c.raw_bytes)?;
                chain.push(Cert::from_der(&der).map_err(|e| format!("{field}: {e}"))?);
            }
            authorities.push(Authority {
                chain,
                valid: ca.valid_for.into(),
            });
        }
        Ok(Self {
            logs,
            authorities,
            sha256: hex::encode(Sha256::digest(bytes)),
        })
    }

    /// The log with id `id` whose key was valid at `t` (any period when the entry has no
    /// time, as Rekor v2 entries have not).
    pub fn log(&self, id: &[u8], t: Option<DateTime<Utc>>) -> Option<&LogKey> {
        self.logs
            .iter()
            .find(|l| l.id == id && t.is_none_or(|t| l.valid.covers(t)))
    }

    /// Whether the root knows a log with id `id`, whatever its period.
    pub fn has_log(&self, id: &[u8]) -> bool {
        self.logs.iter().any(|l| l.id == id)
    }

    /// The authority that issued `leaf`, valid at `t` with every certificate of its chain
    /// valid at `t`; `None` when no trusted authority did.
    pub fn issuer_chain(&self, leaf: &Cert, t: DateTime<Utc>) -> Option<&Authority> {
        self.authorities.iter().find(|ca| {
            ca.valid.covers(t)
                && !ca.chain.is_empty()
                && leaf.issued_by(&ca.chain[0])
                && ca.chain.iter().all(|c| c.valid_at(t))
                && ca.chain.windows(2).all(|w| w[0].issued_by(&w[1]))
        })
    }
}
