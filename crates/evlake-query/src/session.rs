//! The DataFusion session over the lake.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::MemTable;
use datafusion::common::ParamValues;
use datafusion::error::DataFusionError;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SQLOptions, SessionConfig, SessionContext};
use datafusion::scalar::ScalarValue;
use evlake_core::tables;
use evlake_store::{Lake, TableVersion};

use crate::answer::LakeTableVersion;
use crate::{Error, Result, check_read_only};

/// Named query parameters (`$as_of`, `$window_days`, …), by name without the `$`.
#[derive(Debug, Clone, Default)]
pub struct Params(HashMap<String, ScalarValue>);

impl Params {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an instant parameter, typed as a UTC microsecond timestamp like the lake's columns.
    pub fn instant(mut self, name: &str, value: DateTime<Utc>) -> Self {
        self.0.insert(
            name.to_string(),
            ScalarValue::TimestampMicrosecond(Some(value.timestamp_micros()), Some("UTC".into())),
        );
        self
    }

    /// Adds an integer parameter.
    pub fn int(mut self, name: &str, value: i64) -> Self {
        self.0
            .insert(name.to_string(), ScalarValue::Int64(Some(value)));
        self
    }

    /// Adds a text parameter.
    pub fn text(mut self, name: &str, value: &str) -> Self {
        self.0
            .insert(name.to_string(), ScalarValue::Utf8(Some(value.to_string())));
        self
    }
}

/// Builds a [`QuerySession`].
#[derive(Debug)]
pub struct QuerySessionBuilder {
    lake: Lake,
    memory_limit: usize,
    timeout: Duration,
    known_at: Option<DateTime<Utc>>,
}

impl QuerySessionBuilder {
    /// Caps the memory DataFusion may use for one session (default 1 GiB).
    pub fn with_memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = bytes;
        self
    }

    /// Caps the time one query may run (default 60 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Reads every table as it was at `known_at` (transaction time): the newest version
    /// committed at or before it, so the session answers as the lake could have then.
    pub fn with_known_at(mut self, known_at: DateTime<Utc>) -> Self {
        self.known_at = Some(known_at);
        self
    }

    /// Opens the session: registers every table of the lake (an empty one for each table
    /// not yet created, so queries see "no rows" rather than "no table") and the shared
    /// views of `queries/views/` over the last 365 days up to now (a question re-binds them
    /// to its own as-of and lookback).
    pub async fn build(self) -> Result<QuerySession> {
        // No spilling: a query over the limit fails with a clear error instead of filling
        // the disk, and memory stays bounded by the limit.
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_limit(self.memory_limit, 1.0)
            .with_disk_manager_builder(
                DiskManagerBuilder::default().with_mode(DiskManagerMode::Disabled),
            )
            .build_arc()?;
        let config = SessionConfig::new()
            .with_target_partitions(std::thread::available_parallelism().map_or(2, |n| n.get()))
            .with_information_schema(true);
        let ctx = SessionContext::new_with_config_rt(config, runtime);
        let mut versions = Vec::new();
        for spec in tables::all() {
            let version = match self.known_at {
                Some(t) => TableVersion::At(t),
                None => TableVersion::Latest,
            };
            let table = match self.lake.table(spec.name, version).await {
                Ok(t) => Some(t),
                Err(evlake_store::Error::NoSuchTable(_)) => None,
                // A table created after `known_at` did not exist then.
                Err(evlake_store::Error::Delta(_)) if self.known_at.is_some() => None,
                Err(e) => return Err(e.into()),
            };
            match table {
                Some(table) if self.known_at.is_none_or(|t| created_by(&table, t)) => {
                    table.update_datafusion_session(&ctx.state())?;
                    ctx.register_table(spec.name, table.table_provider().await?)?;
                    let version = table.version().unwrap_or_default();
                    versions.push(LakeTableVersion {
                        table: spec.name.to_string(),
                        version: Some(version),
                        chain_head: Some(self.lake.commit_sha256(spec.name, version).await?),
                    });
                }
                _ => {
                    ctx.register_table(
                        spec.name,
                        Arc::new(MemTable::try_new(spec.schema(), vec![vec![]])?),
                    )?;
                    versions.push(LakeTableVersion {
                        table: spec.name.to_string(),
                        version: None,
                        chain_head: None,
                    });
                }
            }
        }
        let session = QuerySession {
            ctx,
            timeout: self.timeout,
            memory_limit: self.memory_limit,
            versions,
            opened_at: self.lake.clock().now(),
            known_at: self.known_at,
        };
        // Ad-hoc SQL sees the views over the last year (the default retention) up to now,
        // with the rubric's parameters.
        session
            .register_views(
                session.opened_at,
                session.opened_at - chrono::Duration::days(365),
                &crate::rubric::Rubric::builtin().parameters(),
            )
            .await?;
        Ok(session)
    }
}

/// Whether `table`'s loaded version was committed at or before `t` (Delta's time travel
/// falls back to version 0 for instants before the table existed).
fn created_by(table: &deltalake::DeltaTable, t: DateTime<Utc>) -> bool {
    table
        .snapshot()
        .ok()
        .and_then(|s| s.version_timestamp(s.version()))
        .is_none_or(|ms| ms <= t.timestamp_millis())
}

/// A DataFusion session over the lake.
pub struct QuerySession {
    ctx: SessionContext,
    timeout: Duration,
    memory_limit: usize,
    versions: Vec<LakeTableVersion>,
    /// "Now" by the lake's clock when the session opened: the default as-of and known-at.
    pub(crate) opened_at: DateTime<Utc>,
    pub(crate) known_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for QuerySession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuerySession")
            .field("timeout", &self.timeout)
            .field("memory_limit", &self.memory_limit)
            .field("versions", &self.versions)
            .finish()
    }
}

impl QuerySession {
    /// Starts building a session over `lake`.
    pub fn builder(lake: Lake) -> QuerySessionBuilder {
        QuerySessionBuilder {
            lake,
            memory_limit: 1 << 30,
            timeout: Duration::from_secs(60),
            known_at: None,
        }
    }

    /// The version and chain head of every table this session reads.
    pub fn lake_versions(&self) -> &[LakeTableVersion] {
        &self.versions
    }

    /// (Re)registers the shared views over the evidence in (`evidence_start`, `as_of`]: the
    /// views' `$evidence_start` and `$as_of` become literals, so every scan under them is
    /// bounded in time and a question's cost follows its window, not the lake's history;
    /// so do the named integer `parameters` (longest name first, so no name eats another).
    pub(crate) async fn register_views(
        &self,
        as_of: DateTime<Utc>,
        evidence_start: DateTime<Utc>,
        parameters: &std::collections::BTreeMap<String, i64>,
    ) -> Result<()> {
        let mut names: Vec<(&String, &i64)> = parameters.iter().collect();
        names.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
        let literal = |t: DateTime<Utc>| {
            format!(
                "arrow_cast('{}', 'Timestamp(Microsecond, Some(\"UTC\"))')",
                t.format("%Y-%m-%dT%H:%M:%S%.6fZ")
            )
        };
        for view in crate::catalog::VIEWS {
            let mut body = view
                .text
                .trim()
                .trim_end_matches(';')
                .replace("$evidence_start", &literal(evidence_start))
                .replace("$as_of", &literal(as_of));
            for (name, value) in &names {
                body = body.replace(&format!("${name}"), &value.to_string());
            }
            self.ctx
                .sql(&format!(
                    "CREATE OR REPLACE VIEW \"{}\" AS {body}",
                    view.stem()
                ))
                .await
                .map_err(|e| Error::View {
                    name: view.stem().to_string(),
                    reason: e.to_string(),
                })?;
        }
        Ok(())
    }

    /// Runs trusted SQL (the project's own `queries/`) with named parameters.
    pub async fn query(&self, sql: &str, params: &Params) -> Result<Vec<RecordBatch>> {
        self.run(sql, params, SQLOptions::new()).await
    }

    /// Runs a user's SQL: refused unless read-only, bounded in memory and time.
    pub async fn user_query(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        check_read_only(sql)?;
        let options = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        self.run(sql, &Params::new(), options).await
    }

    async fn run(
        &self,
        sql: &str,
        params: &Params,
        options: SQLOptions,
    ) -> Result<Vec<RecordBatch>> {
        let work = async {
            let mut frame = self.ctx.sql_with_options(sql, options).await?;
            if !params.0.is_empty() {
                frame = frame.with_param_values(ParamValues::from(params.0.clone()))?;
            }
            frame.collect().await
        };
        match tokio::time::timeout(self.timeout, work).await {
            Err(_) => Err(Error::Timeout(self.timeout)),
            Ok(Err(e)) => Err(self.classify(e)),
            Ok(Ok(batches)) => Ok(batches),
        }
    }

    fn classify(&self, e: DataFusionError) -> Error {
        match e.find_root() {
            DataFusionError::ResourcesExhausted(detail) => Error::MemoryLimit {
                limit_bytes: self.memory_limit,
                detail: detail.clone(),
            },
            _ => Error::DataFusion(e),
        }
    }
}
