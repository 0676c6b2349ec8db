//! Running the configured sources: each from its paths, then from its API when one is
//! configured, in turn; the summaries say what each did and whether one quarantined more
//! than it allows. What the command line and the server both run.

use evlake_store::Lake;

use crate::progress::ProgressSink;
use crate::{IngestRun, IngestSummary, Result, SourceConfig};

/// The sources of one ingest, by name, in the order they run.
pub struct IngestJob {
    lake: Lake,
    sources: Vec<(String, SourceConfig)>,
    workers: Option<usize>,
    progress: Option<ProgressSink>,
}

impl std::fmt::Debug for IngestJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestJob")
            .field(
                "sources",
                &self.sources.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// What an ingest did: one summary per input set read or API pulled, in run order.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(transparent)]
pub struct IngestReport {
    /// The summaries.
    pub summaries: Vec<IngestSummary>,
}

impl IngestReport {
    /// Whether a source quarantined more than its allowed share of records.
    pub fn over_quarantine_limit(&self) -> bool {
        self.summaries
            .iter()
            .any(IngestSummary::over_quarantine_limit)
    }
}

impl IngestJob {
    /// An ingest of `sources` into `lake`.
    pub fn new(lake: Lake, sources: Vec<(String, SourceConfig)>) -> Self {
        Self {
            lake,
            sources,
            workers: None,
            progress: None,
        }
    }

    /// Parses with `workers` threads per source (default: the cores available).
    pub fn with_workers(mut self, workers: usize) -> Self {
        self.workers = Some(workers);
        self
    }

    /// Sends every source's progress to `sink`.
    pub fn with_progress(mut self, sink: ProgressSink) -> Self {
        self.progress = Some(sink);
        self
    }

    /// Runs every source; `done` sees each summary as soon as its run ends. Stops at the
    /// first source that fails (its error names it); what earlier sources committed stays.
    pub async fn run(&self, mut done: impl FnMut(&IngestSummary)) -> Result<IngestReport> {
        let mut report = IngestReport::default();
        for (name, source) in &self.sources {
            let mut run = IngestRun::new(self.lake.clone(), &source.kind, name, &source.settings)?
                .with_max_quarantine_share(source.max_quarantine_share)
                .with_limits(source.limits);
            if let Some(workers) = self.workers {
                run = run.with_workers(workers);
            }
            if let Some(sink) = &self.progress {
                run = run.with_progress(sink.clone());
            }
            if !source.paths.is_empty() {
                let summary = run.ingest_paths(&source.paths).await?;
                done(&summary);
                report.summaries.push(summary);
            }
            if run.pulls() {
                let summary = run.pull().await?;
                done(&summary);
                report.summaries.push(summary);
            }
        }
        Ok(report)
    }
}
