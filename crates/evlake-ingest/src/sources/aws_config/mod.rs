//! `aws-config`: AWS Config configuration items — the snapshot and history files Config
//! delivers to S3 (`AWSLogs/<account>/Config/<region>/YYYY/M/D/ConfigSnapshot|ConfigHistory/
//! *.json.gz`), `GetResourceConfigHistory` / `BatchGetResourceConfig` / `SelectResourceConfig`
//! outputs, and configuration-item change notifications (SNS, EventBridge, Config rule
//! events) — as `assets` rows. Event-sourced: an item is its resource's state from its
//! capture time until the resource's next item; `ResourceDeleted` and `ResourceNotRecorded`
//! end it.

mod config;
mod parse;

pub use config::AwsConfigConfig;
pub use parse::AwsConfigParser;

use crate::kind::{Kind, Source};

/// The registration of the `aws-config` kind.
pub(crate) const KIND: Kind = Kind {
    name: "aws-config",
    description: "AWS Config configuration items (S3 delivery files, API outputs, notifications)",
    tables: &["assets"],
    pulls: false,
    build: |settings| {
        let config: AwsConfigConfig = crate::kind::settings(settings)?;
        Ok(Source {
            parser: Box::new(AwsConfigParser::new(config)),
            puller: None,
        })
    },
};
