//! Source kinds, one folder each: `config.rs` (its settings) and `parse.rs` (its parser).

pub mod exceptions;
pub mod github_actions;
mod json;
pub mod sarif;
