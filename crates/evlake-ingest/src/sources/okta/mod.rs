//! `okta`: the Okta System Log — pulled from `GET /api/v1/logs` (`since`, ascending, `Link:
//! rel="next"` paging), or exported events (a JSON array or JSON Lines of LogEvents, or a
//! YAML wrapper with the events under `Logs`) — as `iam_events` rows, `uuid` de-duplicating.
//! Group and app memberships, administrator roles granted and revoked, and accounts
//! deactivated, suspended or reactivated say what they changed.

mod config;
mod parse;
mod pull;

pub use config::{OktaApiConfig, OktaConfig};
pub use parse::OktaParser;
pub use pull::OktaPuller;

use crate::kind::{Kind, Source};

/// The registration of the `okta` kind.
pub(crate) const KIND: Kind = Kind {
    name: "okta",
    description: "the Okta System Log: API pulls and exported events",
    tables: &["iam_events"],
    pulls: true,
    build: |settings| {
        let config: OktaConfig = crate::kind::settings(settings)?;
        let puller = match &config.api {
            Some(api) => {
                Some(Box::new(OktaPuller::new(api.clone())?) as Box<dyn crate::kind::Puller>)
            }
            None => None,
        };
        Ok(Source {
            parser: Box::new(OktaParser::new(config)?),
            puller,
        })
    },
};
