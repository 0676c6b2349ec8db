//! Settings of a `training` source.

use serde::Deserialize;

/// Settings of a `training` source: how an LMS or HR export names its columns, which courses
/// are security training, and how it writes dates.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingConfig {
    /// Which column holds each field (header names, any case).
    #[serde(default)]
    pub columns: TrainingColumns,
    /// Globs over a course's id or title (any case) that make it security training; a
    /// completion of any other course is kept with `security = false`.
    #[serde(default = "default_security_courses")]
    pub security_courses: Vec<String>,
    /// Statuses (any case) that mean the course was completed; rows with another status (an
    /// enrolment, a course in progress) are not completions and are skipped. A row with no
    /// status column counts when it has a completion date.
    #[serde(default = "default_completed")]
    pub completed_statuses: Vec<String>,
    /// Extra `strftime` formats the export writes dates in (e.g. `%d/%m/%Y`), tried after RFC
    /// 3339 and ISO dates.
    #[serde(default)]
    pub date_formats: Vec<String>,
}

/// The export's column for each field of a completion.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingColumns {
    /// The person's e-mail (required).
    #[serde(default = "email")]
    pub person: String,
    /// The course's id.
    #[serde(default = "course_id")]
    pub course_id: String,
    /// The course's title.
    #[serde(default = "course")]
    pub course: String,
    /// When it was completed (required for a completion).
    #[serde(default = "completed_at")]
    pub completed_at: String,
    /// When the completion expires, if the LMS says.
    #[serde(default = "expires_at")]
    pub expires_at: String,
    /// The completion's status.
    #[serde(default = "status")]
    pub status: String,
}

impl Default for TrainingColumns {
    fn default() -> Self {
        Self {
            person: email(),
            course_id: course_id(),
            course: course(),
            completed_at: completed_at(),
            expires_at: expires_at(),
            status: status(),
        }
    }
}

impl Default for TrainingConfig {
    fn default() -> Self {
        Self {
            columns: TrainingColumns::default(),
            security_courses: default_security_courses(),
            completed_statuses: default_completed(),
            date_formats: Vec::new(),
        }
    }
}

fn email() -> String {
    "email".into()
}
fn course_id() -> String {
    "course_id".into()
}
fn course() -> String {
    "course".into()
}
fn completed_at() -> String {
    "completed_at".into()
}
fn expires_at() -> String {
    "expires_at".into()
}
fn status() -> String {
    "status".into()
}

fn default_security_courses() -> Vec<String> {
    ["*security*", "*secure coding*", "*owasp*", "*phishing*"]
        .map(String::from)
        .to_vec()
}

fn default_completed() -> Vec<String> {
    ["completed", "complete", "passed", "pass", "certified"]
        .map(String::from)
        .to_vec()
}
