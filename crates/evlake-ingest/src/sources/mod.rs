//! Source kinds, one folder each: `config.rs` (its settings) and `parse.rs` (its parser).

mod api;
pub mod exceptions;
mod gates;
pub mod github_actions;
pub mod gitlab_ci;
mod json;
pub mod sarif;
