//! Source kinds, one folder each: `config.rs` (its settings), `parse.rs` (its parser), and
//! for kinds that pull from an API `pull.rs`; and the one table of them, [`kinds`].

mod api;
pub mod aws_config;
pub mod aws_iam_snapshot;
pub mod backstage;
pub mod cloudtrail;
pub mod dsomm;
pub mod exceptions;
pub mod falco;
mod findings;
mod gates;
pub mod gcp_audit;
pub mod github_actions;
pub mod gitlab_ci;
mod iam;
pub mod in_toto;
mod incident;
pub mod jira;
mod json;
pub mod k8s_audit;
pub mod kyverno;
pub mod okta;
pub mod pagerduty;
pub mod people;
mod register;
pub mod review_register;
mod runtime;
pub mod sarif;
pub mod scorecard;
pub mod tetragon;
pub mod training;

use crate::kind::Kind;
use crate::{Error, Result};

static KINDS: &[Kind] = &[
    github_actions::KIND,
    gitlab_ci::KIND,
    sarif::KIND,
    exceptions::KIND,
    falco::KIND,
    tetragon::KIND,
    pagerduty::KIND,
    jira::KIND,
    backstage::KIND,
    aws_config::KIND,
    review_register::KIND,
    training::KIND,
    people::KIND,
    aws_iam_snapshot::KIND,
    cloudtrail::KIND,
    okta::KIND,
    gcp_audit::KIND,
    in_toto::KIND,
    k8s_audit::KIND,
    kyverno::KIND,
    dsomm::KIND,
    scorecard::KIND,
];

/// Every registered source kind.
pub fn kinds() -> &'static [Kind] {
    KINDS
}

/// The kind called `name`.
pub fn kind(name: &str) -> Result<&'static Kind> {
    KINDS
        .iter()
        .find(|k| k.name == name)
        .ok_or_else(|| Error::UnknownKind {
            kind: name.to_string(),
            known: KINDS.iter().map(|k| k.name).collect::<Vec<_>>().join(", "),
        })
}
