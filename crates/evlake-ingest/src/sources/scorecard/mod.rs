//! `scorecard`: DSOMM scorecards as evlake writes them (`evlake score --format json`, or the
//! `scorecard` of `evlake ask all --format json`), one `scorecards` row per team and
//! sub-dimension — de-duplicated by as-of, known-at, team, dimension and sub-dimension — so
//! that the history of scores is evidence in the lake too (`evlake score --record`).

mod parse;

pub use parse::{ScorecardConfig, ScorecardParser};

use crate::kind::{Kind, Source};

/// The registration of the `scorecard` kind.
pub(crate) const KIND: Kind = Kind {
    name: "scorecard",
    description: "DSOMM scorecards as evlake writes them (evlake score --format json)",
    tables: &["scorecards"],
    pulls: false,
    build: |settings| {
        let _: ScorecardConfig = crate::kind::settings(settings)?;
        Ok(Source {
            parser: Box::new(ScorecardParser),
            puller: None,
        })
    },
};
