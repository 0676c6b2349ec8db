//! Settings of an `in-toto` source.

use serde::Deserialize;

/// Settings of an `in-toto` source: what signatures are trusted. An attestation that no
/// configured key or identity verifies is still ingested, with the reason it failed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InTotoConfig {
    /// A Sigstore `trusted_root.json` (Fulcio certificate authorities, Rekor log keys) for
    /// keyless signatures and transparency-log entries; shipped as a file, never fetched.
    /// Relative to the config file.
    pub trusted_root_file: Option<String>,
    /// Public keys that may sign (keyed signing: `cosign sign --key`, DSSE with a key).
    #[serde(default)]
    pub keys: Vec<KeyConfig>,
    /// Keyless signers that may sign: a certificate identity from an OIDC issuer.
    #[serde(default)]
    pub identities: Vec<IdentityConfig>,
    /// Pull bundles from the GitHub artifact attestations API (omit to read files only).
    pub api: Option<AttestationsApiConfig>,
}

/// A public key that may sign.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    /// The name a verdict gives as the signer, e.g. `release-key-2026`.
    pub name: String,
    /// A PEM `PUBLIC KEY` file (ECDSA P-256/P-384, Ed25519, RSA), relative to the config file.
    pub file: String,
}

/// A keyless signer that may sign. Give the subject and the issuer each exactly or as a
/// regular expression over the whole text.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    /// The certificate's identity exactly, e.g.
    /// `https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main`.
    pub subject: Option<String>,
    /// The certificate's identity as a regular expression, e.g.
    /// `https://github.com/acme/.*/.github/workflows/release.yml@refs/heads/main`.
    pub subject_regex: Option<String>,
    /// The OIDC issuer exactly, e.g. `https://token.actions.githubusercontent.com`.
    pub issuer: Option<String>,
    /// The OIDC issuer as a regular expression.
    pub issuer_regex: Option<String>,
}

/// Where and what to pull from the GitHub artifact attestations API
/// (`GET /repos/{repo}/attestations/{subject_digest}`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttestationsApiConfig {
    /// The API's base URL (GitHub Enterprise: `https://HOST/api/v3`).
    #[serde(default = "default_api_url")]
    pub url: String,
    /// The environment variable that holds the token (`attestations: read`).
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// Repositories (`owner/name`) to ask.
    pub repos: Vec<String>,
    /// Subject digests to ask for (`sha256:…`): the artefacts whose provenance is evidence.
    pub subjects: Vec<String>,
    /// How long a rate limit may be waited out before the run fails, in seconds.
    #[serde(default = "default_rate_limit_wait")]
    pub max_rate_limit_wait_secs: u64,
}

fn default_api_url() -> String {
    "https://api.github.com".into()
}

fn default_token_env() -> String {
    "GITHUB_TOKEN".into()
}

fn default_rate_limit_wait() -> u64 {
    300
}
