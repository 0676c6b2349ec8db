//! `aws-iam-snapshot`: the output of `aws iam get-account-authorization-details` (every user,
//! group and role with its attached and inline policies and group memberships, and the
//! managed policies' versions) as `iam_state` rows — who held what in the account at the
//! instant the output was captured, which its path must name (`iam/2026-11-01T06:00:00Z.json`;
//! the output itself carries none). The pages of one capture (`IsTruncated`/`Marker`) share
//! the instant and are one snapshot.

mod config;
mod parse;

pub use config::AwsIamSnapshotConfig;
pub use parse::AwsIamSnapshotParser;

use crate::kind::{Kind, Source};

/// The registration of the `aws-iam-snapshot` kind.
pub(crate) const KIND: Kind = Kind {
    name: "aws-iam-snapshot",
    description: "AWS IAM authorization details (get-account-authorization-details output)",
    tables: &["iam_state"],
    pulls: false,
    build: |settings| {
        let config: AwsIamSnapshotConfig = crate::kind::settings(settings)?;
        Ok(Source {
            parser: Box::new(AwsIamSnapshotParser::new(config)?),
            puller: None,
        })
    },
};
