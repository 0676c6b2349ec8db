//! The command line: argument parsing, dispatch, output and exit codes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Parser, Subcommand, ValueEnum};
use evlake_ingest::{IngestConfig, IngestJob, IngestSummary, Progress, ProgressSink, SourceConfig};
use evlake_query::{Answer, OutputFormat, QuerySession, write_results};
use evlake_store::{
    FindingKind, Lake, LakeHeads, ManifestHead, TableHead, TableSummary, VerifyReport,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use evlake_synth::{GenerateOptions, Maturity, generate, ingest_config};

const EXIT_CODES: &str = "Exit codes:
  0  success
  1  verify found a changed, missing or inserted file, or a broken hash-chain link
  2  the command line is invalid
  3  the SQL was refused: it is not a read-only query over the lake
  4  the lake could not be opened or read, or a query failed (time or memory limit, bad SQL)
  5  ingest quarantined more than the allowed share of records (the good ones were kept)
  6  reproduce: the re-run answer differs from the saved one";

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

    /// Memory DataFusion may use for one query session, in MiB (16 to 1,048,576).
    #[arg(long, global = true, default_value_t = 1024,
        value_parser = clap::value_parser!(u64).range(16..=1 << 20))]
    memory_limit_mib: u64,

    /// Longest a query may run, in seconds (1 to 86,400).
    #[arg(long, global = true, default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..=86_400))]
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
        /// Print every chain head (the lake manifest's and each table's) as JSON, to keep
        /// outside the bucket for `verify --expect-heads`.
        #[arg(long, conflicts_with = "format")]
        heads: bool,
    },
    /// Re-hash every commit and data file of every table and check each table's hash chain.
    /// Reports every file changed, removed or added outside a commit; exits 1 if any.
    #[command(after_help = EXIT_CODES)]
    Verify {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Heads kept outside the bucket (the output of `tables --heads`, or a saved answer's
        /// JSON, whose `lake_version` records the heads it read): any table whose anchored
        /// commit is gone or hashes differently is a finding.
        #[arg(long, value_name = "FILE")]
        expect_heads: Option<PathBuf>,
    },
    /// Run one read-only SQL query over the lake's tables (SELECT, WITH, EXPLAIN).
    /// Writes, DDL, COPY and reading files outside the lake are refused (exit 3).
    #[command(after_help = EXIT_CODES)]
    Sql {
        /// The query.
        query: String,
        /// Output format. CSV and JSON are written as the rows come; a table needs them all.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Most rows the query may return; more is an error (exit 4) after the rows up to it.
        #[arg(long, default_value_t = evlake_query::DEFAULT_MAX_ROWS,
              value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000_000))]
        max_rows: usize,
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
        /// Inputs (or chunks of a growing file) parsed at once, one thread each; commits stay
        /// in input order. Default: the cores available.
        #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=256))]
        workers: Option<usize>,
        /// Output format of the summary.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Answer an audit question as of a date: the verdict, the audit-real level (0–4), the
    /// metrics behind them and the evidence rows, each traceable to its original record.
    #[command(after_help = EXIT_CODES)]
    Ask {
        /// The question: q1 (production deploys blocked by SAST, and advisory leaks), q2
        /// (runtime alerts that produced a timestamped remediation, time to remediate), q3 (the
        /// asset inventory as it stood 30 days ago), q4 (engineers overdue on security training
        /// and their permissions), q5 (the latest production artefact's signed provenance and
        /// the admission policy that verified it); or `all`: the five answers and the
        /// scorecard made from them as one report.
        question: String,
        /// The instant the answer is about (RFC 3339, or a date meaning the end of that day);
        /// default now.
        #[arg(long, value_parser = parse_instant)]
        as_of: Option<DateTime<Utc>>,
        /// Read only what the lake had ingested by then (transaction time, by each row's
        /// `ingested_at`): what could have been answered on that day. Default now.
        #[arg(long, value_parser = parse_instant)]
        known_at: Option<DateTime<Utc>>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = AnswerFormat::Table)]
        format: AnswerFormat,
    },
    /// The DSOMM scorecard: each team's self-assessment (the DSOMM app's files, ingested by a
    /// `dsomm` source) beside the audit-real score the answers give, per dimension,
    /// sub-dimension and sampled activity, with the activities the evidence refutes and why.
    #[command(after_help = EXIT_CODES)]
    Score {
        /// The instant the scorecard is about (RFC 3339, or a date meaning the end of that
        /// day); default now.
        #[arg(long, value_parser = parse_instant, conflicts_with = "from")]
        as_of: Option<DateTime<Utc>>,
        /// Read only what the lake had ingested by then; default now. A series reads every
        /// date at this one instant.
        #[arg(long, value_parser = parse_instant)]
        known_at: Option<DateTime<Utc>>,
        /// Only this team (as the assessment names it).
        #[arg(long)]
        team: Option<String>,
        /// A series: the first date (with --to and --every): claimed and evidenced per team
        /// and sub-dimension at each date, with sparklines.
        #[arg(long, value_parser = parse_instant, requires = "to")]
        from: Option<DateTime<Utc>>,
        /// The series' last date.
        #[arg(long, value_parser = parse_instant, requires = "from")]
        to: Option<DateTime<Utc>>,
        /// The series' step, in days (`30d` or `30`).
        #[arg(long, value_parser = parse_days, default_value = "30d", requires = "from")]
        every: chrono::Duration,
        /// Also write the audit-real state as the DSOMM app's `team-progress.yaml` and
        /// `team-evidence.yaml` into this directory (created if missing), for the app to load.
        #[arg(long, conflicts_with = "from")]
        export_dsomm: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ScoreFormat::Table)]
        format: ScoreFormat,
    },
    /// Re-run a saved answer (the JSON of `ask --format json`) at the table versions,
    /// instants and rubric it recorded, and say `identical` or which rows, metrics, verdict
    /// or level differ; tables that have moved on since (later ingests) are listed. Exits 6
    /// when the answer differs.
    #[command(after_help = EXIT_CODES)]
    Reproduce {
        /// The saved answer.
        answer: std::path::PathBuf,
        /// Output format (table: a summary in words; json: every difference).
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
    },
    /// Write a synthetic organisation's evidence in the sources' real formats (GitHub Actions
    /// API bodies, SARIF, an exceptions register, Falco alerts, PagerDuty webhook events,
    /// Jira issues), an ingest.toml that reads it, and truth.json: what was planted, for
    /// checking answers against.
    #[command(after_help = EXIT_CODES)]
    Generate {
        /// Directory to write into.
        #[arg(long)]
        out: std::path::PathBuf,
        /// Services (one repository each).
        #[arg(long, default_value_t = 50)]
        services: u32,
        /// Days of history.
        #[arg(long, default_value_t = 90)]
        days: u32,
        /// The seed: the same seed writes the same evidence.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// The last day of history (YYYY-MM-DD); default yesterday, the last complete day.
        #[arg(long)]
        end: Option<NaiveDate>,
        /// How mature the organisation's practice is: none, scanning, advisory or enforced
        /// (each question's rung follows; see `truth.json`).
        #[arg(long, default_value = "advisory")]
        maturity: Maturity,
    },
    /// Generate a small organisation's evidence, ingest it into a fresh lake with progress
    /// shown, verify the lake and answer q1: the quickest look at what evlake does.
    #[command(after_help = EXIT_CODES)]
    Demo {
        /// Directory for the demo (emptied first): evidence/ and lake/ under it.
        #[arg(long, default_value = "./evlake-demo")]
        dir: std::path::PathBuf,
        /// Services in the organisation.
        #[arg(long, default_value_t = 40)]
        services: u32,
        /// Days of history.
        #[arg(long, default_value_t = 60)]
        days: u32,
    },
}

/// How an answer is printed.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum AnswerFormat {
    Table,
    Json,
    Md,
}

/// How a scorecard is printed.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ScoreFormat {
    Table,
    Json,
    Md,
    Csv,
}

/// How a report in words is printed.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportFormat {
    Table,
    Json,
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
    // Parsing and planning recurse once per level of an expression: the command and every
    // worker run on stacks sized for the deepest query the guard lets through.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(evlake_query::QUERY_STACK_BYTES)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("evlake: cannot start the async runtime: {e}");
            return ExitCode::from(4);
        }
    };
    let done = std::thread::Builder::new()
        .name("evlake".into())
        .stack_size(evlake_query::QUERY_STACK_BYTES)
        .spawn(move || {
            let done = runtime.block_on(run(cli));
            // A query abandoned at its time limit may still be computing on a worker: do not
            // wait for it.
            runtime.shutdown_background();
            done
        })
        .map_err(|e| Failure::from(format!("cannot start the command's thread: {e}")))
        .and_then(|thread| {
            thread
                .join()
                .unwrap_or_else(|_| Err(Failure::from("the command panicked")))
        });
    match done {
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
            .with_memory_limit(usize::try_from(cli.memory_limit_mib << 20).unwrap_or(usize::MAX))
            .with_timeout(Duration::from_secs(cli.query_timeout))
    };
    match &cli.command {
        Command::Tables { format, heads } => {
            let lake = Lake::open(&cli.lake)?;
            if *heads {
                println!("{}", serde_json::to_string_pretty(&lake.heads().await?)?);
            } else {
                print!("{}", render_summaries(&lake.summaries().await?, *format)?);
            }
            Ok(0)
        }
        Command::Verify {
            format,
            expect_heads,
        } => {
            let lake = Lake::open(&cli.lake)?;
            let anchor = expect_heads.as_deref().map(read_heads).transpose()?;
            let mut report = lake.verify().await?;
            if let Some((tables, manifest)) = &anchor {
                let found = lake.check_heads(tables, manifest.as_ref()).await?;
                report.findings.extend(found);
            }
            print!("{}", render_verify(&report, *format)?);
            Ok(if report.is_clean() { 0 } else { 1 })
        }
        Command::Sql {
            query,
            format,
            max_rows,
        } => {
            let lake = Lake::open(&cli.lake)?;
            let session = session(lake).with_max_rows(*max_rows).build().await?;
            let failed = |e: evlake_query::Error| Failure {
                code: if matches!(e, evlake_query::Error::ReadOnly { .. }) {
                    3
                } else {
                    4
                },
                message: e.to_string(),
            };
            let results = session.user_query_stream(query).await.map_err(failed)?;
            write_results(results, (*format).into(), std::io::stdout())
                .await
                .map_err(failed)?;
            Ok(0)
        }
        Command::Ingest {
            config,
            source,
            name,
            settings,
            max_quarantine_share,
            paths,
            workers,
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
                        limits: evlake_ingest::InputLimits::default(),
                        settings,
                    };
                    vec![(name.clone().unwrap_or(kind), source)]
                }
            };
            let over = ingest_sources(&lake, runs, *workers, *format).await?;
            Ok(if over { 5 } else { 0 })
        }
        Command::Ask {
            question,
            as_of,
            known_at,
            format,
        } => {
            let session = session(Lake::open(&cli.lake)?).build().await?;
            if question == "all" {
                let report = session.ask_all(*as_of, *known_at).await?;
                print!(
                    "{}",
                    match format {
                        AnswerFormat::Table => report.to_text(),
                        AnswerFormat::Json => report.to_json() + "\n",
                        AnswerFormat::Md => report.to_markdown(),
                    }
                );
                return Ok(0);
            }
            let answer = session.ask(question, *as_of, *known_at).await?;
            print!("{}", render_answer(&answer, *format));
            Ok(0)
        }
        Command::Score {
            as_of,
            known_at,
            team,
            from,
            to,
            every,
            export_dsomm,
            format,
        } => {
            let session = session(Lake::open(&cli.lake)?).build().await?;
            if let (Some(from), Some(to)) = (from, to) {
                let dates = evlake_query::scorecard::series::series_dates(*from, *to, *every)
                    .map_err(|e| Failure {
                        code: 2,
                        message: e.to_string(),
                    })?;
                let series = session
                    .scorecard_series(&dates, *known_at, team.as_deref())
                    .await?;
                print!(
                    "{}",
                    match format {
                        ScoreFormat::Table => series.to_text(),
                        ScoreFormat::Md => series.to_markdown(),
                        ScoreFormat::Json => series.to_json() + "\n",
                        ScoreFormat::Csv => series.to_csv(),
                    }
                );
                return Ok(0);
            }
            let card = session
                .scorecard(*as_of, *known_at, team.as_deref())
                .await?;
            if let Some(team) = team.as_deref().filter(|_| card.teams.is_empty()) {
                return Err(Failure {
                    code: 2,
                    message: format!(
                        "no team '{team}' in the self-assessment as of {}",
                        card.as_of.format("%Y-%m-%dT%H:%M:%SZ")
                    ),
                });
            }
            if let Some(dir) = export_dsomm {
                let files = card.to_dsomm();
                std::fs::create_dir_all(dir).map_err(|e| Failure {
                    code: 4,
                    message: format!("creating {}: {e}", dir.display()),
                })?;
                for (name, text) in [
                    ("team-progress.yaml", &files.team_progress),
                    ("team-evidence.yaml", &files.team_evidence),
                ] {
                    let path = dir.join(name);
                    std::fs::write(&path, text).map_err(|e| Failure {
                        code: 4,
                        message: format!("writing {}: {e}", path.display()),
                    })?;
                    eprintln!("wrote {}", path.display());
                }
            }
            print!(
                "{}",
                match format {
                    ScoreFormat::Table => card.to_text(),
                    ScoreFormat::Json => card.to_json() + "\n",
                    ScoreFormat::Md => card.to_markdown(),
                    ScoreFormat::Csv => card.to_csv(),
                }
            );
            Ok(0)
        }
        Command::Reproduce { answer, format } => {
            let text = std::fs::read_to_string(answer)
                .map_err(|e| format!("{}: {e}", answer.display()))?;
            let saved: Answer = serde_json::from_str(&text).map_err(|e| Failure {
                code: 2,
                message: format!("{}: not an evlake answer: {e}", answer.display()),
            })?;
            let lake = Lake::open(&cli.lake)?;
            let current = session(lake.clone()).build().await?;
            let pinned = session(lake)
                .with_versions(saved.lake_version.clone())
                .build()
                .await?;
            let result = pinned.reproduce(&saved, current.lake_versions()).await?;
            match format {
                ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&result)?),
                ReportFormat::Table => print!("{}", result.to_text(&saved)),
            }
            Ok(if result.identical { 0 } else { 6 })
        }
        Command::Generate {
            out,
            services,
            days,
            seed,
            end,
            maturity,
        } => {
            let options = GenerateOptions {
                out: out.clone(),
                services: *services,
                days: *days,
                end: end.unwrap_or_else(last_complete_day),
                seed: *seed,
                maturity: *maturity,
            };
            let began = Instant::now();
            let truth = generate(&options)?;
            println!(
                "{} services, {} days ({} – {}) written to {} in {:.1}s",
                services,
                days,
                truth.start,
                truth.end,
                out.display(),
                began.elapsed().as_secs_f64()
            );
            for (family, n) in truth.files.iter().chain(&truth.runtime.files) {
                println!("  {family:<20} {n:>12}");
            }
            println!("deploy attempts by class: {:?}", truth.attempts_by_class);
            let alerts = &truth.runtime.alerts;
            println!(
                "runtime alerts: {} ({} opened an incident, {} remediated by the end)",
                alerts.len(),
                alerts.iter().filter(|a| a.incident_id.is_some()).count(),
                alerts.iter().filter(|a| a.remediated_at.is_some()).count()
            );
            println!(
                "ingest with: evlake ingest --config {}",
                ingest_config(out).display()
            );
            Ok(0)
        }
        Command::Demo {
            dir,
            services,
            days,
        } => demo(dir, *services, *days, session).await,
    }
}

/// Runs each configured source in turn through the ingest library, printing each summary as
/// its run ends; true when one quarantined over its allowed share.
async fn ingest_sources(
    lake: &Lake,
    runs: Vec<(String, SourceConfig)>,
    workers: Option<usize>,
    format: Format,
) -> Result<bool, Failure> {
    let mut rendered = Ok(());
    let mut job = IngestJob::new(lake.clone(), runs);
    if let Some(workers) = workers {
        job = job.with_workers(workers);
    }
    let report = job
        .with_progress(progress_bars())
        .run(|summary| {
            if rendered.is_ok() {
                rendered = render_ingest(summary, format).map(|text| print!("{text}"));
            }
        })
        .await?;
    rendered?;
    Ok(report.over_quarantine_limit())
}

/// Draws the library's progress events as one bar per source on a terminal's stderr (nothing
/// elsewhere: logs carry the same counts).
fn progress_bars() -> ProgressSink {
    let bar: std::sync::Mutex<Option<ProgressBar>> = std::sync::Mutex::new(None);
    std::sync::Arc::new(move |event: &Progress| {
        let mut bar = bar.lock().expect("progress lock poisoned");
        match event {
            Progress::Started {
                source_name,
                total_bytes,
            } => {
                let template = match total_bytes {
                    Some(_) => {
                        "{prefix} {bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}"
                    }
                    None => "{prefix} {spinner} {pos} pages {msg}",
                };
                let new = ProgressBar::with_draw_target(*total_bytes, ProgressDrawTarget::stderr())
                    .with_style(
                        ProgressStyle::with_template(template).expect("a valid progress template"),
                    );
                new.set_prefix(source_name.clone());
                *bar = Some(new);
            }
            Progress::Advanced { done, records, .. } => {
                if let Some(bar) = bar.as_ref() {
                    bar.set_position(*done);
                    bar.set_message(format!("{records} records"));
                }
            }
            Progress::Finished { .. } => {
                if let Some(bar) = bar.take() {
                    bar.finish_and_clear();
                }
            }
        }
    })
}

async fn demo(
    dir: &std::path::Path,
    services: u32,
    days: u32,
    session: impl Fn(Lake) -> evlake_query::QuerySessionBuilder,
) -> Result<u8, Failure> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    let evidence = dir.join("evidence");
    let options = GenerateOptions {
        out: evidence.clone(),
        services,
        days,
        end: last_complete_day(),
        seed: 42,
        maturity: Maturity::default(),
    };
    println!(
        "1. Generating {services} services' evidence over {days} days (GitHub Actions API bodies, SARIF, an exceptions register, Falco alerts, PagerDuty webhook events, Jira issues, Backstage catalog snapshots, AWS Config history, HR and LMS exports, IAM snapshots, CloudTrail, Okta and GCP audit logs, Kubernetes audit events, Kyverno policies and reports, signed SLSA provenance with its trusted root) into {} …",
        evidence.display()
    );
    let truth = generate(&options)?;
    println!(
        "   {} workflow runs, {} jobs, {} deployments, {} SARIF files, {} exceptions, {} Falco alerts, {} PagerDuty events, {} Jira issues, {} catalog snapshots, {} AWS Config items, {} training completions, {} CloudTrail records, {} Okta events, {} GCP audit entries, {} Kubernetes audit events, {} Kyverno records, {} signed attestations\n",
        truth.files["workflow_runs"],
        truth.files["jobs"],
        truth.files["deployments"],
        truth.files["sarif_files"],
        truth.files["exceptions"],
        truth.runtime.files["falco_alerts"],
        truth.runtime.files["pagerduty_events"],
        truth.runtime.files["jira_issues"],
        truth.inventory.snapshots.len(),
        truth.inventory.files["aws_config_items"],
        truth.access.files["training_completions"],
        truth.access.files["cloudtrail_records"],
        truth.access.files["okta_events"],
        truth.access.files["gcp_entries"],
        truth.supply_chain.files["audit_events"],
        truth.supply_chain.files["kyverno_records"],
        truth.supply_chain.files["attestations"]
    );
    let lake_dir = dir.join("lake");
    let lake = Lake::open(&lake_dir.display().to_string())?;
    println!("2. Ingesting it into the lake at {} …", lake.url());
    let config = IngestConfig::load(&ingest_config(&evidence))?;
    let over = ingest_sources(
        &lake,
        config.sources.into_iter().collect(),
        None,
        Format::Table,
    )
    .await?;
    let report = lake.verify().await?;
    println!(
        "\n3. verify: {} commits and {} data files re-hashed, {} findings\n",
        report.tables.iter().map(|t| t.commits).sum::<u64>(),
        report.tables.iter().map(|t| t.data_files).sum::<u64>(),
        report
            .findings
            .iter()
            .filter(|f| f.kind != FindingKind::UncommittedWrite)
            .count()
    );
    let session = session(lake).build().await?;
    let mut answers = Vec::new();
    for (step, question, what) in [
        (4, "q1", "The auditor's first question"),
        (5, "q2", "The second"),
        (6, "q3", "The third"),
        (7, "q4", "The fourth"),
        (8, "q5", "The fifth"),
    ] {
        println!("{step}. {what}, as of now:\n");
        let answer = session.ask(question, None, None).await?;
        println!("{}", render_answer(&answer, AnswerFormat::Table));
        answers.push(answer);
    }
    println!("9. The teams' DSOMM self-assessment beside what the evidence shows:\n");
    println!("{}", session.scorecard_of(answers, None).await?.to_text());
    println!(
        "Try: cargo run --release -- --lake {} ask q2 --as-of {} --format md",
        lake_dir.display(),
        truth.end - chrono::Duration::days(14)
    );
    Ok(if !report.is_clean() {
        1
    } else if over {
        5
    } else {
        0
    })
}

/// Yesterday (UTC): generated history ends there, so none of it lies in the future.
fn last_complete_day() -> NaiveDate {
    Utc::now().date_naive() - chrono::Duration::days(1)
}

/// A whole number of days, as `30d` or `30`.
fn parse_days(text: &str) -> Result<chrono::Duration, String> {
    let days: i64 = text
        .strip_suffix('d')
        .unwrap_or(text)
        .parse()
        .map_err(|_| format!("'{text}' is not a number of days such as 30d"))?;
    if !(1..=3650).contains(&days) {
        return Err(format!("'{text}': the step is 1 to 3,650 days"));
    }
    Ok(chrono::Duration::days(days))
}

fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    evlake_core::time::parse_instant(text).map_err(|e| e.to_string())
}

fn render_answer(answer: &Answer, format: AnswerFormat) -> String {
    match format {
        AnswerFormat::Table => answer.to_text(),
        AnswerFormat::Json => answer.to_json() + "\n",
        AnswerFormat::Md => answer.to_markdown(),
    }
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
        "{} ({}): {} files read ({} unchanged since the last run), {} API pages, {} bytes, {} records, {} skipped by the settings, {} quarantined ({:.2} %) in {:.1}s\n",
        summary.source_name,
        summary.kind,
        summary.files,
        summary.unchanged_files,
        summary.pages,
        summary.bytes,
        summary.records,
        summary.skipped,
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
    if summary.incomplete_snapshots > 0 {
        out += &format!(
            "  {} snapshots not marked complete: a page or file of each was quarantined, so questions keep using the last complete one\n",
            summary.incomplete_snapshots
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

/// The heads in `path`: the output of `tables --heads`, or a saved answer's `lake_version`.
fn read_heads(path: &Path) -> Result<(Vec<TableHead>, Option<ManifestHead>), Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the heads file {}: {e}", path.display()))?;
    let bad = |e: String| {
        Failure::from(format!(
            "{} holds neither the output of `evlake tables --heads` nor a saved answer: {e}",
            path.display()
        ))
    };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if value.get("lake_version").is_some() {
        let answer: evlake_query::Answer =
            serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
        return Ok((answer.lake_version, None));
    }
    let heads: LakeHeads = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
    Ok((heads.tables, heads.manifest))
}

fn render_verify(report: &VerifyReport, format: Format) -> Result<String, Failure> {
    if let Format::Json = format {
        return Ok(serde_json::to_string_pretty(report)? + "\n");
    }
    let mut out = format!(
        "{:<20} {:>5} entries (tables created)  chain head {}\n",
        "lake manifest", report.manifest_entries, report.manifest_head
    );
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
