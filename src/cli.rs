//! The command line: argument parsing, dispatch, output and exit codes.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::{Duration as Days, Utc};
use clap::{Parser, Subcommand, ValueEnum};
use evlake_ingest::{IngestConfig, IngestRun, IngestSummary, SourceConfig};
use evlake_query::{OutputFormat, QuerySession, render_batches};
use evlake_store::{FindingKind, Lake, TableSummary, VerifyReport};

use crate::synthetic::IamEvents;

const EXIT_CODES: &str = "Exit codes:
  0  success
  1  verify found a changed, missing or inserted file, or a broken hash-chain link
  2  the command line is invalid
  3  the SQL was refused: it is not a read-only query over the lake
  4  the lake could not be opened or read, or a query failed (time or memory limit, bad SQL)
  5  ingest quarantined more than the allowed share of records (the good ones were kept)";

/// evlake — an evidence lake for DevSecOps audits.
#[derive(Debug, Parser)]
#[command(name = "evlake", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// Where the lake lives: a directory, file://, memory://, s3://bucket/prefix, gs://…, az://…
    /// (cloud credentials come from each cloud's standard environment variables).
    #[arg(
        long,
        global = true,
        env = "EVLAKE_LAKE",
        default_value = "./evlake-data"
    )]
    lake: String,

    /// Memory DataFusion may use for one query session, in MiB.
    #[arg(long, global = true, default_value_t = 1024)]
    memory_limit_mib: usize,

    /// Longest a query may run, in seconds.
    #[arg(long, global = true, default_value_t = 60)]
    query_timeout: u64,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the lake's tables: version, rows, files, bytes, first and last event, chain head.
    #[command(after_help = EXIT_CODES)]
    Tables {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Re-hash every commit and data file of every table and check each table's hash chain.
    /// Reports every file changed, removed or added outside a commit; exits 1 if any.
    #[command(after_help = EXIT_CODES)]
    Verify {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Run one read-only SQL query over the lake's tables (SELECT, WITH, EXPLAIN).
    /// Writes, DDL, COPY and reading files outside the lake are refused (exit 3).
    #[command(after_help = EXIT_CODES)]
    Sql {
        /// The query.
        query: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Ingest evidence: every source of a config file (`--config FILE`, or one of them with
    /// `--source NAME`), or files of one source kind (`--source KIND [--set key=value] PATH…`).
    /// Records that cannot be read go to the `_quarantine` table with the reason; the others are
    /// kept. Exits 5 when a source quarantined more than its allowed share of records.
    #[command(after_help = EXIT_CODES)]
    Ingest {
        /// An ingest config file (see ingest-configs/).
        #[arg(long)]
        config: Option<std::path::PathBuf>,
        /// With --config: the one source to run. Without: the source kind of the PATHs (e.g. sarif).
        #[arg(long)]
        source: Option<String>,
        /// Without --config: the source's name in the lake (`source_name`); defaults to the kind.
        #[arg(long, conflicts_with = "config")]
        name: Option<String>,
        /// Without --config: a setting of the source kind, as key=value (repeatable).
        #[arg(long = "set", value_parser = parse_setting, conflicts_with = "config")]
        settings: Vec<(String, String)>,
        /// Without --config: the largest share of quarantined records that still counts as success.
        #[arg(long, default_value_t = 0.01, conflicts_with = "config")]
        max_quarantine_share: f64,
        /// Without --config: files or directories (read recursively) to ingest.
        #[arg(required_unless_present = "config", conflicts_with = "config")]
        paths: Vec<std::path::PathBuf>,
        /// Output format of the summary.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Write a synthetic month of IAM evidence into a fresh lake through the real commit
    /// path, verify its hash chains and query it: the quickest look at what evlake keeps.
    #[command(after_help = EXIT_CODES)]
    Demo {
        /// Directory for the demo lake (emptied first).
        #[arg(long, default_value = "./evlake-demo")]
        dir: std::path::PathBuf,
        /// How many events to write.
        #[arg(long, default_value_t = 200_000)]
        events: u64,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
    Md,
}

impl From<Format> for OutputFormat {
    fn from(f: Format) -> Self {
        match f {
            Format::Table => OutputFormat::Table,
            Format::Json => OutputFormat::Json,
            Format::Csv => OutputFormat::Csv,
            Format::Md => OutputFormat::Markdown,
        }
    }
}

/// A failure with the exit code it maps to.
struct Failure {
    code: u8,
    message: String,
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure {
            code: 4,
            message: e.to_string(),
        }
    }
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("evlake: cannot start the async runtime: {e}");
            return ExitCode::from(4);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("evlake: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// On a terminal: warnings as text (progress bars show the rest). Otherwise (cron, CI,
/// Kubernetes): JSON lines with evlake's own progress events. `RUST_LOG` overrides either.
fn init_logging() {
    use std::io::IsTerminal;
    let terminal = std::io::stderr().is_terminal();
    let default = if terminal {
        "warn"
    } else {
        "warn,evlake_ingest=info"
    };
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if terminal {
        logs.init();
    } else {
        logs.json().init();
    }
}

async fn run(cli: Cli) -> Result<u8, Failure> {
    let session = |lake: Lake| {
        QuerySession::builder(lake)
            .with_memory_limit(cli.memory_limit_mib << 20)
            .with_timeout(Duration::from_secs(cli.query_timeout))
    };
    match &cli.command {
        Command::Tables { format } => {
            let lake = Lake::open(&cli.lake)?;
            print!("{}", render_summaries(&lake.summaries().await?, *format)?);
            Ok(0)
        }
        Command::Verify { format } => {
            let report = Lake::open(&cli.lake)?.verify().await?;
            print!("{}", render_verify(&report, *format)?);
            Ok(if report.is_clean() { 0 } else { 1 })
        }
        Command::Sql { query, format } => {
            let lake = Lake::open(&cli.lake)?;
            let session = session(lake).build().await?;
            let batches = session.user_query(query).await.map_err(|e| Failure {
                code: if matches!(e, evlake_query::Error::ReadOnly { .. }) {
                    3
                } else {
                    4
                },
                message: e.to_string(),
            })?;
            println!("{}", render_batches(&batches, (*format).into())?);
            Ok(0)
        }
        Command::Ingest {
            config,
            source,
            name,
            settings,
            max_quarantine_share,
            paths,
            format,
        } => {
            let lake = Lake::open(&cli.lake)?;
            let runs: Vec<(String, SourceConfig)> = match config {
                Some(file) => {
                    let config = IngestConfig::load(file)?;
                    let chosen: Vec<_> = config
                        .sources
                        .into_iter()
                        .filter(|(n, _)| source.as_ref().is_none_or(|s| s == n))
                        .collect();
                    if chosen.is_empty() {
                        return Err(format!(
                            "{}: no source named '{}'",
                            file.display(),
                            source.as_deref().unwrap_or("")
                        )
                        .into());
                    }
                    chosen
                }
                None => {
                    let kind = source.clone().ok_or("--source KIND is needed with PATHs")?;
                    let settings = settings
                        .iter()
                        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                        .collect();
                    let source = SourceConfig {
                        kind: kind.clone(),
                        paths: paths.clone(),
                        max_quarantine_share: *max_quarantine_share,
                        settings,
                    };
                    vec![(name.clone().unwrap_or(kind), source)]
                }
            };
            let mut over = false;
            for (name, source) in runs {
                let summary = IngestRun::new(lake.clone(), &source.kind, &name, &source.settings)?
                    .with_max_quarantine_share(source.max_quarantine_share)
                    .ingest_paths(&source.paths)
                    .await?;
                print!("{}", render_ingest(&summary, *format)?);
                over |= summary.over_quarantine_limit();
            }
            Ok(if over { 5 } else { 0 })
        }
        Command::Demo { dir, events } => demo(dir, *events, session).await,
    }
}

async fn demo(
    dir: &std::path::Path,
    events: u64,
    session: impl Fn(Lake) -> evlake_query::QuerySessionBuilder,
) -> Result<u8, Failure> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    let lake = Lake::open(&dir.display().to_string())?;
    let now = Utc::now();
    let start = now - Days::days(30);
    println!(
        "Writing {events} synthetic IAM events (30 days) into {} …",
        lake.url()
    );
    let began = Instant::now();
    let mut rows = 0;
    for batch in IamEvents::new(start, 30, events, 50_000, 42) {
        rows += lake
            .append("iam_events", vec![batch])?
            .execute()
            .await?
            .rows_added;
    }
    // The same events again: the lake de-duplicates on (source, source_id).
    let again: Vec<_> = IamEvents::new(start, 30, events.min(50_000), 50_000, 42).collect();
    let repeat = lake.append("iam_events", again)?.execute().await?;
    println!(
        "  {rows} rows committed in {:.1}s; re-sending {} of them added {} rows\n",
        began.elapsed().as_secs_f64(),
        repeat.duplicates,
        repeat.rows_added
    );
    print!(
        "{}",
        render_summaries(&lake.summaries().await?, Format::Table)?
    );
    let report = lake.verify().await?;
    println!(
        "\nverify: {} commits and {} data files re-hashed, {} findings\n",
        report.tables.iter().map(|t| t.commits).sum::<u64>(),
        report.tables.iter().map(|t| t.data_files).sum::<u64>(),
        report.findings.len()
    );
    let sql = "SELECT provider, effect, count(*) AS events, count(DISTINCT actor_email) AS people \
               FROM iam_events WHERE event_date >= current_date - INTERVAL '7' DAY \
               GROUP BY provider, effect ORDER BY provider, effect";
    println!("Last 7 days of IAM activity:\n{sql}");
    let batches = session(lake).build().await?.user_query(sql).await?;
    println!("{}", render_batches(&batches, OutputFormat::Table)?);
    println!(
        "\nTry: cargo run --release -- --lake {} sql \"SELECT count(*) FROM iam_events\"",
        dir.display()
    );
    Ok(if report.is_clean() { 0 } else { 1 })
}

fn parse_setting(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .ok_or_else(|| format!("'{text}' is not key=value"))
}

fn render_ingest(summary: &IngestSummary, format: Format) -> Result<String, Failure> {
    if let Format::Json = format {
        return Ok(serde_json::to_string_pretty(summary)? + "\n");
    }
    let mut out = format!(
        "{} ({}): {} files read ({} unchanged since the last run), {} bytes, {} records, {} quarantined ({:.2} %) in {:.1}s\n",
        summary.source_name,
        summary.kind,
        summary.files,
        summary.unchanged_files,
        summary.bytes,
        summary.records,
        summary.quarantined,
        summary.quarantine_share() * 100.0,
        summary.seconds
    );
    for (table, counts) in &summary.tables {
        out += &format!(
            "  {table:<20} {:>8} added {:>8} duplicates\n",
            counts.added, counts.duplicates
        );
    }
    if summary.over_quarantine_limit() {
        out += &format!(
            "FAILED: more than {:.2} % of the records were quarantined; see the _quarantine table\n",
            summary.max_quarantine_share * 100.0
        );
    }
    Ok(out)
}

fn render_summaries(tables: &[TableSummary], format: Format) -> Result<String, Failure> {
    if let Format::Json = format {
        return Ok(serde_json::to_string_pretty(tables)? + "\n");
    }
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::ASCII_MARKDOWN);
    table.set_header([
        "table",
        "version",
        "rows",
        "files",
        "bytes",
        "first event",
        "last event",
        "chain head",
    ]);
    for t in tables {
        let time = |x: Option<chrono::DateTime<Utc>>| x.map_or(String::new(), |t| t.to_rfc3339());
        table.add_row([
            t.name.clone(),
            t.version.to_string(),
            t.rows.to_string(),
            t.files.to_string(),
            t.bytes.to_string(),
            time(t.first_event),
            time(t.last_event),
            t.chain_head[..16.min(t.chain_head.len())].to_string(),
        ]);
    }
    if tables.is_empty() {
        return Ok("the lake has no tables yet\n".into());
    }
    Ok(format!("{table}\n"))
}

fn render_verify(report: &VerifyReport, format: Format) -> Result<String, Failure> {
    if let Format::Json = format {
        return Ok(serde_json::to_string_pretty(report)? + "\n");
    }
    let mut out = String::new();
    for t in &report.tables {
        out += &format!(
            "{:<20} {:>5} commits {:>6} data files {:>12} bytes  chain head {}\n",
            t.table, t.commits, t.data_files, t.bytes, t.chain_head
        );
    }
    let (notes, problems): (Vec<_>, Vec<_>) = report
        .findings
        .iter()
        .partition(|f| f.kind == FindingKind::UncommittedWrite);
    for f in &notes {
        out += &format!("note: {}: {} ({})\n", f.table, f.path, f.detail);
    }
    if problems.is_empty() {
        out += &format!("OK: {} tables verified, no findings\n", report.tables.len());
    } else {
        out += &format!("FAILED: {} findings\n", problems.len());
        for f in problems {
            out += &format!("  {:<20} {}  {}  {}\n", f.table, f.kind, f.path, f.detail);
        }
    }
    Ok(out)
}
