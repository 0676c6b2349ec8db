//! `kyverno`: Kyverno's policy reports and the policies themselves, from `kubectl get -o
//! yaml|json` exports (one object, a `List`, or a YAML stream).
//!
//! - PolicyReport / ClusterPolicyReport (`wgpolicyk8s.io/v1alpha2`, `reports.x-k8s.io`,
//!   `openreports.io/v1alpha1`): one `admission_decisions` row (`record_kind = report`) per
//!   result and resource, at the result's timestamp.
//! - ClusterPolicy / Policy (`kyverno.io/v1`, `v2beta1`) and ImageValidatingPolicy
//!   (`policies.kyverno.io/v1alpha1`): `policies` rows, versioned: each distinct spec (by the
//!   SHA-256 of its canonical JSON) once, valid from when it was first seen (the instant the
//!   export's path names, else the file's time), with its mode — `enforce` only when every
//!   rule that decides enforces — and its image-verification rules and attestors.

mod config;
mod parse;
pub(crate) mod policy;

pub use config::KyvernoConfig;
pub use parse::KyvernoParser;

use crate::kind::{Kind, Source};

/// The registration of the `kyverno` kind.
pub(crate) const KIND: Kind = Kind {
    name: "kyverno",
    description: "Kyverno policy reports and policies (versioned)",
    tables: &["admission_decisions", "policies"],
    pulls: false,
    build: |settings| {
        let config: KyvernoConfig = crate::kind::settings(settings)?;
        Ok(Source {
            parser: Box::new(KyvernoParser::new(config)),
            puller: None,
        })
    },
};
