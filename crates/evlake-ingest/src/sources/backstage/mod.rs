//! `backstage`: the Backstage software catalog — entities from the catalog REST API or from
//! `catalog-info.yaml` files — as snapshots of `assets` (every entity) and `people` (User
//! entities). The catalog keeps no history, so every pull is a snapshot: the entities seen at
//! that instant, and an entity missing from a later snapshot is gone from then on.

mod config;
mod parse;
mod pull;

pub use config::{BackstageApiConfig, BackstageConfig};
pub use parse::BackstageParser;
pub(crate) use parse::snapshot_instant;
pub use pull::BackstagePuller;

use crate::kind::{Kind, Source};

/// The registration of the `backstage` kind.
pub(crate) const KIND: Kind = Kind {
    name: "backstage",
    description: "Backstage catalog entities (catalog API snapshots or catalog-info.yaml files)",
    tables: &["assets", "people"],
    pulls: true,
    build: |settings| {
        let mut config: BackstageConfig = crate::kind::settings(settings)?;
        let puller = match config.api.take() {
            Some(api) => Some(Box::new(BackstagePuller::new(api)?) as _),
            None => None,
        };
        Ok(Source {
            parser: Box::new(BackstageParser::new(config)),
            puller,
        })
    },
};
