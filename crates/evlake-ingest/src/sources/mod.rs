//! Source kinds, one folder each: `config.rs` (its settings) and `parse.rs` (its parser).

mod api;
pub mod exceptions;
pub mod falco;
mod gates;
pub mod github_actions;
pub mod gitlab_ci;
mod incident;
pub mod jira;
mod json;
pub mod pagerduty;
mod runtime;
pub mod sarif;
pub mod tetragon;
