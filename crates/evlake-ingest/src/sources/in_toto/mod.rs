//! `in-toto`: signed build provenance — DSSE envelopes (JSON Lines, as `cosign download
//! attestation` writes them), Sigstore bundles v0.1–v0.3, and the GitHub artifact attestations
//! API — as `attestations` rows, one per subject, each verified at ingest (keys, or keyless
//! against a shipped Sigstore trusted root) with the verdict and what it rests on stored beside
//! the provenance the in-toto Statement's SLSA predicate gives.

mod config;
mod keys;
mod parse;
mod pull;
mod rekor;
mod statement;
mod trust;
mod verify;

pub use config::{AttestationsApiConfig, IdentityConfig, InTotoConfig, KeyConfig};
pub use keys::{Cert, PublicKey};
pub use parse::InTotoParser;
pub use pull::AttestationsPuller;
pub use statement::Provenance;
pub use trust::TrustedRoot;
pub use verify::{Identity, Matcher, Verdict, Verifier};

use crate::kind::{Kind, Source};

/// The registration of the `in-toto` kind.
pub(crate) const KIND: Kind = Kind {
    name: "in-toto",
    description: "signed build provenance: DSSE envelopes, Sigstore bundles, GitHub artifact \
                  attestations, verified at ingest",
    tables: &["attestations"],
    pulls: true,
    build: |settings| {
        let config: InTotoConfig = crate::kind::settings(settings)?;
        let puller = match &config.api {
            Some(api) => {
                Some(Box::new(AttestationsPuller::new(api.clone())?) as Box<dyn crate::kind::Puller>)
            }
            None => None,
        };
        Ok(Source {
            parser: Box::new(InTotoParser::new(&config)?),
            puller,
        })
    },
};
