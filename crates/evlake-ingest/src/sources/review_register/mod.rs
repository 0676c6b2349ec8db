//! `review-register`: a register of security reviews kept by hand (YAML or CSV), for
//! organisations that keep their reviews neither as a catalog annotation nor as Jira issues.
//! Each completed review is a `security_reviews` row per service it names, at its completion.

mod config;
mod parse;

pub use config::ReviewRegisterConfig;
pub use parse::ReviewRegisterParser;

use crate::kind::{Kind, Source};

/// The registration of the `review-register` kind.
pub(crate) const KIND: Kind = Kind {
    name: "review-register",
    description: "a register of security reviews, YAML or CSV",
    tables: &["security_reviews"],
    pulls: false,
    build: |settings| {
        let config: ReviewRegisterConfig = crate::kind::settings(settings)?;
        Ok(Source {
            parser: Box::new(ReviewRegisterParser::new(config)),
            puller: None,
        })
    },
};
