//! `k8s-audit`: Kubernetes API server audit events (`audit.k8s.io/v1`) from the log backend's
//! JSON Lines files (growing and rotated, read on from the byte offset) and webhook `EventList`
//! batches. Only the `ResponseComplete` and `Panic` stages are decisions; `auditID` and
//! `stage` de-duplicate.
//!
//! - Creates and updates of Pods and workload controllers: `admission_decisions` rows —
//!   allowed or denied, the policy and rule a denial names (Kyverno's webhook message, a
//!   ValidatingAdmissionPolicy, Pod Security), the annotations, the user, and every container
//!   image with its digest where the stored object pins one.
//! - RoleBinding and ClusterRoleBinding creates and deletes: `iam_events` rows (provider
//!   `kubernetes`), the roles each subject gained or lost, for q4.
//! - Kyverno policies created or updated: `policies` rows, valid from that event.

mod config;
mod parse;

pub use config::K8sAuditConfig;
pub use parse::K8sAuditParser;

use crate::kind::{Kind, Source};

/// The registration of the `k8s-audit` kind.
pub(crate) const KIND: Kind = Kind {
    name: "k8s-audit",
    description: "Kubernetes audit events: admission decisions, RBAC bindings, policy changes",
    tables: &["admission_decisions", "iam_events", "policies"],
    pulls: false,
    build: |settings| {
        let config: K8sAuditConfig = crate::kind::settings(settings)?;
        Ok(Source {
            parser: Box::new(K8sAuditParser::new(config)?),
            puller: None,
        })
    },
};
