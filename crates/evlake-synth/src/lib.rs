//! Synthetic evidence in the sources' real formats, for the demo, the tests of every crate
//! and the benchmarks: a whole organisation's CI, SAST, exceptions and runtime evidence
//! with `truth.json`, the answers it planted ([`generate`]) — and beside them what real CI
//! also leaves, which must change no class (pull-request runs, check runs beside jobs,
//! superseded deployments, Trivy SARIF, SARIF placed by path) and suppressed findings (which
//! count as overrides), drawn from a stream of their own so a seed's organisation is the same
//! with them — the asset inventory (Backstage catalog snapshots, AWS Config items), the people,
//! their training and their access (HR and LMS exports, IAM snapshots, CloudTrail, Okta, GCP
//! audit logs), the path from build to production cluster (Kubernetes audit events, Kyverno
//! policies and reports, provenance signed with keys and keyless through a test Sigstore) —
//! and a
//! stream of IAM events as
//! lake rows ([`IamEvents`]). Deterministic for a seed: one random number generator
//! ([`Rng`]) and one time format for each source's own precision.

mod access;
mod dsomm;
mod iam;
mod inventory;
mod organisation;
pub mod runtime;
mod sigstore;
mod supply_chain;

pub use access::{
    AccessExceptionTruth, AccessTruth, HeldTruth, PersonTruth, TrainingTruth, cloudtrail_volume,
};
pub use dsomm::{DsommTruth, EvidenceEntryTruth, SAMPLED_ACTIVITIES, TeamClaimTruth};
pub use iam::IamEvents;
pub use inventory::{AssetTruth, InventoryTruth};
pub use organisation::{
    DeployedTruth, GenerateOptions, PlantedDeploy, RegisterTruth, Truth, generate, ingest_config,
};
pub use runtime::{PlantedAlert, RuntimeTruth};
pub use supply_chain::{
    AdmissionTruth, PolicyVersionTruth, SupplyChainTruth, attestation_volume, k8s_audit_volume,
};

use chrono::{DateTime, SecondsFormat, Utc};

/// How far the generated organisation's practice has come, which decides the rung each
/// question should find.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Maturity {
    /// No SAST job in any pipeline, no runtime detection: nothing to evidence (level 0).
    None,
    /// SAST runs on about half the pushes, advisory; runtime alerts fire but none is routed
    /// to anyone (level 1).
    Scanning,
    /// The mixed organisation: SAST on every push, blocking in most repositories and
    /// advisory (or excepted) in the rest; some alert rules audit-only, some alerts dropped
    /// (level 2).
    #[default]
    Advisory,
    /// Every repository's SAST gate blocks, no exceptions; every alert is routed and
    /// remediated within hours (level 4 over three 30-day periods of history, 3 over fewer).
    Enforced,
}

impl std::str::FromStr for Maturity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(Self::None),
            "scanning" => Ok(Self::Scanning),
            "advisory" => Ok(Self::Advisory),
            "enforced" => Ok(Self::Enforced),
            other => Err(format!(
                "unknown maturity '{other}': none, scanning, advisory or enforced"
            )),
        }
    }
}

/// SplitMix64: small, fast and deterministic; its quality is ample for synthetic data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn bits(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        Self::mix(self.0)
    }

    /// SplitMix64's finaliser: `z` well spread, for draws keyed by an index instead of a
    /// sequence.
    pub fn mix(mut z: u64) -> u64 {
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform draw in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.bits() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A draw in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        self.bits() % n.max(1)
    }
}

/// An instant in RFC 3339 UTC (`Z`) at the precision a source writes.
fn ts(t: DateTime<Utc>, precision: SecondsFormat) -> String {
    t.to_rfc3339_opts(precision, true)
}
