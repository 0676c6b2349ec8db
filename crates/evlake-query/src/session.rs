//! The DataFusion session over the lake.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{
    CatalogProvider, CatalogProviderList, MemTable, MemoryCatalogProvider,
    MemoryCatalogProviderList, MemorySchemaProvider, SchemaProvider,
};
use datafusion::common::ParamValues;
use datafusion::error::DataFusionError;
use datafusion::execution::TaskContext;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryPool, MemoryReservation};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::physical_plan::{ExecutionPlan, SendableRecordBatchStream, execute_stream};
use datafusion::prelude::{SQLOptions, SessionConfig, SessionContext};
use evlake_core::tables;
use evlake_store::{Lake, TableVersion};
use futures::StreamExt;

use crate::answer::LakeTableVersion;
use crate::{Error, Result, check_read_only};

/// Builds a [`QuerySession`].
#[derive(Debug)]
pub struct QuerySessionBuilder {
    lake: Lake,
    memory_limit: usize,
    timeout: Duration,
    max_rows: usize,
    versions: Option<Vec<LakeTableVersion>>,
}

/// Rows a user's query may return by default.
pub const DEFAULT_MAX_ROWS: usize = 1_000_000;

impl QuerySessionBuilder {
    /// Caps the memory DataFusion may use for one session (default 1 GiB).
    pub fn with_memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = bytes;
        self
    }

    /// Caps the time one query may run, planning included (default 60 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Caps the rows a user's query may return (default [`DEFAULT_MAX_ROWS`]).
    pub fn with_max_rows(mut self, rows: usize) -> Self {
        self.max_rows = rows;
        self
    }

    /// Reads every table at the version recorded in `versions` (an answer's `lake_version`),
    /// a table recorded as absent as empty: how a saved answer is reproduced.
    pub fn with_versions(mut self, versions: Vec<LakeTableVersion>) -> Self {
        self.versions = Some(versions);
        self
    }

    /// Opens the session: registers every table of the lake (an empty one for each table
    /// not yet created, so queries see "no rows" rather than "no table"), and, for ad-hoc
    /// SQL, the shared views of `queries/views/` over the last 365 days up to now. Questions
    /// never change it: each brings its views with it ([`crate::BoundQuestion`]).
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
            .with_information_schema(true)
            // Plain strings, not string views: a view array filtered or repartitioned keeps
            // (and is charged for) every buffer of the page it came from, so a join over a
            // few hundred thousand CI records was charged over 1 GiB at 400 MB of RSS.
            .set_bool(
                "datafusion.execution.parquet.schema_force_view_types",
                false,
            );
        let ctx = SessionContext::new_with_config_rt(config, runtime);
        crate::limits::bound_allocating_functions(&ctx, self.memory_limit / 4);
        let mut versions = Vec::new();
        for spec in tables::all() {
            let pinned = self.versions.as_ref().map(|v| {
                v.iter()
                    .find(|v| v.table == spec.name)
                    .and_then(|v| v.version)
            });
            let table = match pinned {
                Some(None) => None,
                Some(Some(v)) => Some(self.lake.table(spec.name, TableVersion::Version(v)).await?),
                None => match self.lake.table(spec.name, TableVersion::Latest).await {
                    Ok(t) => Some(t),
                    Err(evlake_store::Error::NoSuchTable(_)) => None,
                    Err(e) => return Err(e.into()),
                },
            };
            match table {
                Some(table) => {
                    table.update_datafusion_session(&ctx.state())?;
                    ctx.register_table(
                        spec.name,
                        table
                            .table_provider()
                            // The scan takes its string types from the session's settings.
                            .with_session(Arc::new(ctx.state()))
                            .await?,
                    )?;
                    let version = table.version().unwrap_or_default();
                    versions.push(LakeTableVersion {
                        table: spec.name.to_string(),
                        version: Some(version),
                        chain_head: Some(self.lake.commit_sha256(spec.name, version).await?),
                    });
                }
                None => {
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
        let opened_at = self.lake.clock().now();
        for (name, text) in crate::bound::adhoc_views(crate::Rubric::builtin(), opened_at) {
            ctx.sql(&format!("CREATE VIEW \"{name}\" AS {text}"))
                .await
                .map_err(|e| Error::View {
                    name: name.to_string(),
                    reason: e.to_string(),
                })?;
        }
        Ok(QuerySession {
            ctx,
            timeout: self.timeout,
            memory_limit: self.memory_limit,
            max_rows: self.max_rows,
            versions,
            opened_at,
        })
    }
}

/// One answer's view of the session's catalogue: the shared tables and views, and in front
/// of them the rows of the views it staged.
pub(crate) struct Overlay {
    /// The context the answer's statements run in.
    pub(crate) ctx: SessionContext,
    schema: Arc<MemorySchemaProvider>,
}

impl Overlay {
    /// Makes `batches` (with `columns`) the table `name`.
    pub(crate) fn stage(
        &self,
        name: &str,
        columns: SchemaRef,
        batches: Vec<RecordBatch>,
    ) -> Result<()> {
        self.schema.register_table(
            name.to_string(),
            Arc::new(MemTable::try_new(columns, vec![batches])?),
        )?;
        Ok(())
    }
}

/// How long one statement took: planning (parsing, logical and physical planning, which
/// includes reading the Delta logs' file statistics to prune) and executing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueryTimings {
    /// Parsing and planning.
    pub planning: Duration,
    /// Running the physical plan to the last batch.
    pub execution: Duration,
}

/// A DataFusion session over the lake.
pub struct QuerySession {
    ctx: SessionContext,
    timeout: Duration,
    memory_limit: usize,
    max_rows: usize,
    versions: Vec<LakeTableVersion>,
    /// "Now" by the lake's clock when the session opened: the default as-of and known-at.
    opened_at: DateTime<Utc>,
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
            max_rows: DEFAULT_MAX_ROWS,
            versions: None,
        }
    }

    /// The version and chain head of every table this session reads.
    pub fn lake_versions(&self) -> &[LakeTableVersion] {
        &self.versions
    }

    /// "Now" by the lake's clock when the session opened: a question's default as-of and
    /// known-at instants.
    pub fn opened_at(&self) -> DateTime<Utc> {
        self.opened_at
    }

    /// Runs trusted SQL (the project's own `queries/`) with named parameters.
    pub async fn query(&self, sql: &str, params: &ParamValues) -> Result<Vec<RecordBatch>> {
        let deadline = Instant::now() + self.timeout;
        let (batches, _, _) = self
            .run(
                &self.ctx,
                sql,
                Some(params),
                SQLOptions::new(),
                deadline,
                None,
            )
            .await?;
        Ok(batches)
    }

    /// A context over this session's lake tables that one answer adds its staged views to,
    /// seen by nothing else. The ad-hoc views are left out: a question defines every view it
    /// reads, so one it failed to define is an error, never the ad-hoc view's other window.
    pub(crate) async fn overlay(&self) -> Result<Overlay> {
        let state = self.ctx.state();
        let options = state.config().options().catalog.clone();
        let shared = self
            .ctx
            .catalog(&options.default_catalog)
            .and_then(|c| c.schema(&options.default_schema))
            .expect("the session has its default schema");
        let schema = Arc::new(MemorySchemaProvider::new());
        for spec in tables::all() {
            if let Some(table) = shared.table(spec.name).await? {
                schema.register_table(spec.name.to_string(), table)?;
            }
        }
        let catalog = MemoryCatalogProvider::new();
        catalog.register_schema(&options.default_schema, schema.clone())?;
        let catalogs = MemoryCatalogProviderList::new();
        catalogs.register_catalog(options.default_catalog.clone(), Arc::new(catalog));
        let ctx = SessionContext::new_with_state(
            SessionStateBuilder::new_from_existing(state)
                .with_catalog_list(Arc::new(catalogs))
                .build(),
        );
        Ok(Overlay { ctx, schema })
    }

    /// Runs trusted SQL with named parameters on `ctx` (an [`Overlay`]'s) by `deadline`;
    /// the rows, charged batch by batch to `charge` when given, their columns, and how long
    /// planning and execution took.
    pub(crate) async fn timed_query_in(
        &self,
        ctx: &SessionContext,
        sql: &str,
        params: &ParamValues,
        deadline: Instant,
        charge: Option<&MemoryReservation>,
    ) -> Result<(Vec<RecordBatch>, SchemaRef, QueryTimings)> {
        self.run(ctx, sql, Some(params), SQLOptions::new(), deadline, charge)
            .await
    }

    /// A snapshot of the DataFusion state (configuration, runtime, catalogue), for tools that
    /// plan SQL of their own over the same tables. Registering into a context made from it
    /// changes this session's catalogue, which a shared session must not see: register into
    /// a new catalogue instead.
    pub fn state(&self) -> SessionState {
        self.ctx.state()
    }

    /// Runs a user's SQL: refused unless read-only, bounded in memory, time and rows; the
    /// rows collected are charged to the session's memory pool.
    pub async fn user_query(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        self.user_query_stream(sql).await?.collect().await
    }

    /// Plans a user's SQL (refused unless read-only) and returns its rows batch by batch, to
    /// write out as they come instead of holding them.
    pub async fn user_query_stream(&self, sql: &str) -> Result<QueryResults> {
        check_read_only(sql)?;
        let options = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        let began = Instant::now();
        let (plan, task) = self
            .plan(&self.ctx, sql, None, options, began + self.timeout)
            .await?;
        let stream = execute_stream(plan, task).map_err(|e| self.classify(e))?;
        Ok(QueryResults {
            stream,
            deadline: tokio::time::Instant::from_std(began + self.timeout),
            timeout: self.timeout,
            rows: 0,
            max_rows: self.max_rows,
            over_cap: false,
            memory_limit: self.memory_limit,
            pool: Arc::clone(&self.ctx.runtime_env().memory_pool),
        })
    }

    /// Parses and plans `sql` on a task of its own, so that the time limit covers planning
    /// too: constant folding is CPU-bound work that never yields to a timer on the same task.
    /// On timeout the task is abandoned (aborted at its next yield).
    async fn plan(
        &self,
        ctx: &SessionContext,
        sql: &str,
        params: Option<&ParamValues>,
        options: SQLOptions,
        deadline: Instant,
    ) -> Result<(Arc<dyn ExecutionPlan>, Arc<TaskContext>)> {
        let ctx = ctx.clone();
        let sql = sql.to_string();
        let params = params.cloned();
        let planning = tokio::spawn(async move {
            let mut frame = ctx.sql_with_options(&sql, options).await?;
            if let Some(params) = params {
                frame = frame.with_param_values(params)?;
            }
            let task = Arc::new(frame.task_ctx());
            let plan = frame.create_physical_plan().await?;
            Ok::<_, DataFusionError>((plan, task))
        });
        let abort = planning.abort_handle();
        match tokio::time::timeout_at(deadline.into(), planning).await {
            Err(_) => {
                abort.abort();
                Err(Error::Timeout(self.timeout))
            }
            Ok(Err(join)) => Err(Error::DataFusion(DataFusionError::External(Box::new(join)))),
            Ok(Ok(Err(e))) => Err(self.classify(e)),
            Ok(Ok(Ok(planned))) => Ok(planned),
        }
    }

    /// Plans and runs `sql` on `ctx`, to its last batch by `deadline`, charging each batch to
    /// `charge` as it comes when given.
    async fn run(
        &self,
        ctx: &SessionContext,
        sql: &str,
        params: Option<&ParamValues>,
        options: SQLOptions,
        deadline: Instant,
        charge: Option<&MemoryReservation>,
    ) -> Result<(Vec<RecordBatch>, SchemaRef, QueryTimings)> {
        let began = Instant::now();
        let (plan, task) = self.plan(ctx, sql, params, options, deadline).await?;
        let planning = began.elapsed();
        let schema = plan.schema();
        let mut stream = execute_stream(plan, task).map_err(|e| self.classify(e))?;
        let collect = async {
            let mut batches = Vec::new();
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                if let Some(reservation) = charge {
                    reservation.try_grow(batch.get_array_memory_size())?;
                }
                batches.push(batch);
            }
            Ok::<_, DataFusionError>(batches)
        };
        match tokio::time::timeout_at(deadline.into(), collect).await {
            Err(_) => Err(Error::Timeout(self.timeout)),
            Ok(Err(e)) => Err(self.classify(e)),
            Ok(Ok(batches)) => {
                let execution = began.elapsed() - planning;
                let timings = QueryTimings {
                    planning,
                    execution,
                };
                Ok((batches, schema, timings))
            }
        }
    }

    /// How long one statement (or one answer) may take.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The memory pool every query of the session is charged to.
    pub(crate) fn memory_pool(&self) -> Arc<dyn MemoryPool> {
        Arc::clone(&self.ctx.runtime_env().memory_pool)
    }

    pub(crate) fn classify(&self, e: DataFusionError) -> Error {
        classify(e, self.memory_limit)
    }
}

fn classify(e: DataFusionError, memory_limit: usize) -> Error {
    match e.find_root() {
        // One line: DataFusion lists the top consumers one per line.
        DataFusionError::ResourcesExhausted(detail) => Error::MemoryLimit {
            limit_bytes: memory_limit,
            detail: detail.split_whitespace().collect::<Vec<_>>().join(" "),
        },
        _ => Error::DataFusion(e),
    }
}

/// The rows of a user's query, batch by batch, within the session's time limit (which
/// began with planning) and its row cap.
pub struct QueryResults {
    stream: SendableRecordBatchStream,
    deadline: tokio::time::Instant,
    timeout: Duration,
    rows: usize,
    max_rows: usize,
    /// Set once a batch went past the cap: the rows up to it were returned, an error is next.
    over_cap: bool,
    memory_limit: usize,
    pool: Arc<dyn MemoryPool>,
}

impl std::fmt::Debug for QueryResults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryResults")
            .field("rows", &self.rows)
            .field("max_rows", &self.max_rows)
            .finish()
    }
}

impl QueryResults {
    /// The columns of the rows.
    pub fn schema(&self) -> SchemaRef {
        self.stream.schema()
    }

    /// The next batch of rows; `None` after the last. Past the row cap, the rows up to it
    /// and then an error; an error once the time limit is reached.
    pub async fn next_batch(&mut self) -> Option<Result<RecordBatch>> {
        if self.over_cap {
            return Some(Err(Error::RowLimit(self.max_rows)));
        }
        let next = match tokio::time::timeout_at(self.deadline, self.stream.next()).await {
            Err(_) => return Some(Err(Error::Timeout(self.timeout))),
            Ok(next) => next?,
        };
        Some(match next {
            Err(e) => Err(classify(e, self.memory_limit)),
            Ok(batch) => {
                let room = self.max_rows - self.rows;
                if batch.num_rows() > room {
                    self.over_cap = true;
                    self.rows = self.max_rows;
                    if room == 0 {
                        return Some(Err(Error::RowLimit(self.max_rows)));
                    }
                    return Some(Ok(batch.slice(0, room)));
                }
                self.rows += batch.num_rows();
                Ok(batch)
            }
        })
    }

    /// Every remaining batch, held under a reservation of the session's memory pool: rows
    /// that would not fit beside the running query fail as a memory-limit error.
    pub async fn collect(mut self) -> Result<Vec<RecordBatch>> {
        let reservation = MemoryConsumer::new("query results").register(&self.pool);
        let mut out = Vec::new();
        while let Some(batch) = self.next_batch().await {
            let batch = batch?;
            reservation
                .try_grow(batch.get_array_memory_size())
                .map_err(|e| classify(e, self.memory_limit))?;
            out.push(batch);
        }
        Ok(out)
    }
}
