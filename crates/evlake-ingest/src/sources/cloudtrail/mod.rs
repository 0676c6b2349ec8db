//! `cloudtrail`: AWS CloudTrail log files as CloudTrail delivers them to S3
//! (`AWSLogs/[o-…/]<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz`, each a
//! `{"Records": [...]}` document), `LookupEvents` output, and YAML-wrapped exports (`Logs`).
//! Every record is an `iam_events` row (`eventID` de-duplicates); the permission-changing ones
//! say what they granted or revoked. Digest files (`CloudTrail-Digest/`) are integrity
//! records, not events: they are read and skipped.

mod config;
mod parse;

pub use config::CloudtrailConfig;
pub use parse::CloudtrailParser;

use crate::kind::{Kind, Source};

/// The registration of the `cloudtrail` kind.
pub(crate) const KIND: Kind = Kind {
    name: "cloudtrail",
    description: "AWS CloudTrail log files (the S3 delivery layout, .json.gz), LookupEvents output",
    tables: &["iam_events"],
    pulls: false,
    build: |settings| {
        let config: CloudtrailConfig = crate::kind::settings(settings)?;
        Ok(Source {
            parser: Box::new(CloudtrailParser::new(config)?),
            puller: None,
        })
    },
};
