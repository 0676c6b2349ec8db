//! The project's SQL (`queries/`), compiled into the binary so that an installed `evlake`
//! answers exactly what the repository's files say, and each answer can quote them.

/// One SQL file of `queries/`.
#[derive(Debug, Clone, Copy)]
pub struct SqlFile {
    /// Its path under `queries/`.
    pub path: &'static str,
    /// Its text.
    pub text: &'static str,
}

impl SqlFile {
    /// The file's name without directory and `.sql`: a view's name.
    pub fn stem(&self) -> &'static str {
        let name = self.path.rsplit('/').next().unwrap_or(self.path);
        name.strip_suffix(".sql").unwrap_or(name)
    }
}

macro_rules! sql_file {
    ($path:literal) => {
        SqlFile {
            path: $path,
            text: include_str!(concat!("../../../queries/", $path)),
        }
    };
}

/// The shared views (`queries/views/`), in the order they are registered: a view may use
/// those before it.
pub const VIEWS: &[SqlFile] = &[
    sql_file!("views/asset_inventory.sql"),
    sql_file!("views/ci_gates.sql"),
    sql_file!("views/deployment_outcomes.sql"),
    sql_file!("views/deployments_in_production.sql"),
    sql_file!("views/exception_states.sql"),
    sql_file!("views/exceptions_current.sql"),
    sql_file!("views/iam_permissions_at.sql"),
    sql_file!("views/incident_alert_refs.sql"),
    sql_file!("views/incident_timeline.sql"),
    sql_file!("views/inventory_activity.sql"),
    sql_file!("views/inventory_production.sql"),
    sql_file!("views/inventory_shadow_services.sql"),
    sql_file!("views/people_at.sql"),
    sql_file!("views/people_names.sql"),
    sql_file!("views/person_permissions.sql"),
    sql_file!("views/prod_deploy_attempts.sql"),
    sql_file!("views/production_admissions.sql"),
    sql_file!("views/runtime_alert_incidents.sql"),
    sql_file!("views/source_coverage.sql"),
    sql_file!("views/training_overdue.sql"),
];

/// The questions' evidence and metrics queries, looked up by the names `rubric.toml` gives.
pub(crate) const QUESTIONS: &[SqlFile] = &[
    sql_file!("q1_sast_blocked_deploy.sql"),
    sql_file!("q1_sast_blocked_deploy.metrics.sql"),
    sql_file!("q2_alert_remediation.sql"),
    sql_file!("q2_alert_remediation.metrics.sql"),
    sql_file!("q3_inventory_as_of.sql"),
    sql_file!("q3_inventory_as_of.metrics.sql"),
    sql_file!("q4_training_overdue_permissions.sql"),
    sql_file!("q4_training_overdue_permissions.metrics.sql"),
    sql_file!("q5_signed_provenance.sql"),
    sql_file!("q5_signed_provenance.metrics.sql"),
];

/// The scorecard's statements (`queries/scorecard/`, by name): the evidence entries the
/// teams recorded, the DSOMM model the self-assessment is read against, and every progress
/// state the teams had entered, as of an instant.
pub const SCORECARD: &[SqlFile] = &[
    sql_file!("scorecard/dsomm_evidence.sql"),
    sql_file!("scorecard/dsomm_model.sql"),
    sql_file!("scorecard/dsomm_states.sql"),
];

/// `queries/rubric.toml`: the questions, their ladders and the DSOMM activities they sample.
pub const RUBRIC: &str = include_str!("../../../queries/rubric.toml");

/// The question file at `path` under `queries/`.
pub fn question_file(path: &str) -> Option<&'static SqlFile> {
    QUESTIONS.iter().find(|f| f.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sql_file_of_the_directory_is_compiled_in() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../queries");
        let on_disk = |dir: &str| {
            let mut names: Vec<String> = std::fs::read_dir(format!("{root}/{dir}"))
                .unwrap()
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.ends_with(".sql"))
                .collect();
            names.sort();
            names
        };
        let views: Vec<String> = VIEWS.iter().map(|v| format!("{}.sql", v.stem())).collect();
        assert_eq!(on_disk("views"), views);
        let mut questions: Vec<String> = QUESTIONS.iter().map(|q| q.path.to_string()).collect();
        questions.sort();
        assert_eq!(on_disk("."), questions);
        let scorecard: Vec<String> = SCORECARD
            .iter()
            .map(|f| format!("{}.sql", f.stem()))
            .collect();
        assert_eq!(on_disk("scorecard"), scorecard);
    }

    /// A question carries the views it reads, found by looking back through the catalogue: a
    /// view that read a later one would be missed (and silently resolved to the session's
    /// ad-hoc view instead), so the order is checked.
    #[test]
    fn a_view_reads_only_views_before_it() {
        for (i, view) in VIEWS.iter().enumerate() {
            for later in &VIEWS[i + 1..] {
                let reads = view
                    .text
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .any(|w| w == later.stem());
                assert!(
                    !reads,
                    "{} reads {}, which comes after it",
                    view.path, later.path
                );
            }
        }
    }

    /// Known-at is transaction time as a column filter, so that every engine running the
    /// same SQL over a copied lake gives the same answer: each read of a lake table needs
    /// its own `ingested_at <= $known_at`.
    #[test]
    fn every_read_of_a_lake_table_is_filtered_by_known_at() {
        for file in VIEWS.iter().chain(QUESTIONS).chain(SCORECARD) {
            let words: Vec<&str> = file
                .text
                .lines()
                .map(|l| l.split("--").next().unwrap_or(""))
                .flat_map(str::split_whitespace)
                .collect();
            let reads = words
                .windows(2)
                .filter(|w| {
                    matches!(w[0].to_ascii_uppercase().as_str(), "FROM" | "JOIN")
                        && evlake_core::tables::all().iter().any(|t| t.name == w[1])
                })
                .count();
            let filters = file.text.matches("ingested_at <= $known_at").count();
            assert!(
                filters >= reads,
                "{}: {reads} reads of lake tables, {filters} known-at filters",
                file.path
            );
        }
    }
}
