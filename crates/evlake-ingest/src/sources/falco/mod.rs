//! `falco`: Falco's JSON output (`json_output: true`, one alert per line, to a file or
//! through Falcosidekick), one `runtime_alerts` row per alert. Files are read as growing
//! streams: each run reads on from the byte offset where the last one stopped.

mod config;
mod parse;

pub use config::FalcoConfig;
pub use parse::FalcoParser;

use crate::kind::{Kind, Source};

/// The registration of the `falco` kind.
pub(crate) const KIND: Kind = Kind {
    name: "falco",
    description: "Falco JSON alerts (file output or Falcosidekick), read on from the last offset",
    tables: &["runtime_alerts"],
    pulls: false,
    build: |settings| {
        let config: FalcoConfig = crate::kind::settings(settings)?;
        Ok(Source {
            parser: Box::new(FalcoParser::new(config)?),
            puller: None,
        })
    },
};
