//! The read-only guard for user SQL (`evlake sql`, the HTTP SQL endpoint).
//!
//! Allowed: one `SELECT` / `WITH` / `VALUES` query, or `EXPLAIN` of one, over the lake's
//! tables and views. Refused: DDL, DML, `COPY`, `SET` and every other statement; table
//! functions other than the pure generators; and table names that are paths or URLs,
//! which some engines read as files.

use std::ops::ControlFlow;

use datafusion::sql::parser::{DFParser, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::{
    ObjectName, Query, SetExpr, Statement, TableFactor, Visit, Visitor,
};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};

use crate::{Error, Result};

/// Table functions that only generate values and read nothing.
const PURE_TABLE_FUNCTIONS: &[&str] = &["generate_series", "range", "unnest"];

/// Checks that `sql` is a single read-only query over the lake.
pub fn check_read_only(sql: &str) -> Result<()> {
    let refuse = |what: String| Err(Error::ReadOnly { what });
    check_size(sql)?;
    let statements = DFParser::parse_sql(sql).map_err(|e| Error::ReadOnly {
        what: format!("the SQL does not parse ({e})"),
    })?;
    if statements.len() != 1 {
        return refuse(format!(
            "{} statements given, one query expected",
            statements.len()
        ));
    }
    let statement = match &statements[0] {
        DfStatement::Statement(s) => s.as_ref(),
        DfStatement::CreateExternalTable(_) => return refuse("CREATE EXTERNAL TABLE".into()),
        DfStatement::CopyTo(_) => return refuse("COPY".into()),
        DfStatement::Explain(e) => match e.statement.as_ref() {
            DfStatement::Statement(s) => s.as_ref(),
            _ => return refuse("EXPLAIN of a statement that is not a query".into()),
        },
        DfStatement::Reset(_) => return refuse("RESET".into()),
    };
    let query = match statement {
        Statement::Query(_) => statement,
        Statement::Explain { statement, .. }
            if matches!(statement.as_ref(), Statement::Query(_)) =>
        {
            statement.as_ref()
        }
        other => return refuse(statement_kind(other)),
    };
    let mut visitor = RelationGuard;
    if let ControlFlow::Break(what) = query.visit(&mut visitor) {
        return refuse(what);
    }
    Ok(())
}

/// The most operators, set operations and opening parentheses one query may have. Parsing,
/// planning and optimising recurse once per level of an expression or set operation, so a
/// chain of them (`1+1+…`, `… UNION ALL …` thousands of times) is bounded before it is parsed;
/// evlake's own questions use a few hundred.
pub const MAX_QUERY_OPERATORS: usize = 2_000;

/// Refuses a query with more than [`MAX_QUERY_OPERATORS`], counted on its tokens (the
/// tokenizer does not recurse).
fn check_size(sql: &str) -> Result<()> {
    let tokens = Tokenizer::new(&GenericDialect {}, sql)
        .tokenize()
        .map_err(|e| Error::ReadOnly {
            what: format!("the SQL does not parse ({e})"),
        })?;
    let operators = tokens
        .iter()
        .filter(|t| match t {
            Token::Plus
            | Token::Minus
            | Token::Mul
            | Token::Div
            | Token::Mod
            | Token::StringConcat
            | Token::Eq
            | Token::Neq
            | Token::Lt
            | Token::Gt
            | Token::LtEq
            | Token::GtEq
            | Token::LParen => true,
            Token::Word(w) => matches!(
                w.keyword,
                Keyword::AND | Keyword::OR | Keyword::UNION | Keyword::INTERSECT | Keyword::EXCEPT
            ),
            _ => false,
        })
        .count();
    if operators > MAX_QUERY_OPERATORS {
        return Err(Error::ReadOnly {
            what: format!(
                "a query of {operators} operators, set operations and parentheses (at most {MAX_QUERY_OPERATORS})"
            ),
        });
    }
    Ok(())
}

fn statement_kind(statement: &Statement) -> String {
    let text = statement.to_string();
    let words: Vec<&str> = text.split_whitespace().take(2).collect();
    match words.as_slice() {
        [first, second]
            if matches!(
                first.to_ascii_uppercase().as_str(),
                "CREATE" | "DROP" | "ALTER" | "INSERT" | "TRUNCATE"
            ) =>
        {
            format!(
                "{} {}",
                first.to_ascii_uppercase(),
                second.to_ascii_uppercase()
            )
        }
        [first, ..] => first.to_ascii_uppercase(),
        [] => "an empty statement".into(),
    }
}

struct RelationGuard;

impl Visitor for RelationGuard {
    type Break = String;

    /// A query (the statement, a CTE, a subquery) may only read: no `DELETE`, `UPDATE`,
    /// `INSERT` or `MERGE` inside a `WITH`, no `SELECT … INTO`.
    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<String> {
        check_body(&query.body)
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<String> {
        match factor {
            TableFactor::Table {
                name,
                args: Some(_),
                ..
            } => check_function(name),
            TableFactor::Table { name, .. } => check_table_name(name),
            TableFactor::Function { name, .. } => check_function(name),
            TableFactor::TableFunction { .. } => ControlFlow::Break("a table function".into()),
            _ => ControlFlow::Continue(()),
        }
    }
}

fn check_body(body: &SetExpr) -> ControlFlow<String> {
    match body {
        SetExpr::Select(select) if select.into.is_some() => {
            ControlFlow::Break("SELECT … INTO".into())
        }
        SetExpr::SetOperation { left, right, .. } => {
            check_body(left)?;
            check_body(right)
        }
        SetExpr::Insert(s) | SetExpr::Update(s) | SetExpr::Delete(s) | SetExpr::Merge(s) => {
            ControlFlow::Break(format!("{} inside a query", statement_kind(s)))
        }
        _ => ControlFlow::Continue(()),
    }
}

fn check_function(name: &ObjectName) -> ControlFlow<String> {
    let text = name.to_string().to_ascii_lowercase();
    if PURE_TABLE_FUNCTIONS.contains(&text.as_str()) {
        ControlFlow::Continue(())
    } else {
        ControlFlow::Break(format!("the table function {text}(), which may read files"))
    }
}

fn check_table_name(name: &ObjectName) -> ControlFlow<String> {
    let text = name.to_string();
    let looks_like_file = text.contains('/')
        || text.contains('\\')
        || text.contains("://")
        || [".parquet", ".csv", ".json", ".avro", ".arrow"]
            .iter()
            .any(|ext| {
                text.to_ascii_lowercase()
                    .trim_matches(['\'', '"', '`'])
                    .ends_with(ext)
            });
    if looks_like_file {
        ControlFlow::Break(format!("reading the file or URL {text}"))
    } else {
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(sql: &str) -> String {
        match check_read_only(sql) {
            Err(Error::ReadOnly { what }) => what,
            other => panic!("{sql} was not refused: {other:?}"),
        }
    }

    #[test]
    fn allows_queries_over_tables() {
        for sql in [
            "SELECT count(*) FROM iam_events WHERE event_date >= DATE '2026-11-01'",
            "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
            "EXPLAIN SELECT * FROM ci_jobs",
            "SELECT * FROM generate_series(1, 3)",
            "SELECT a.source FROM iam_events a JOIN people p ON a.actor_email = p.person",
        ] {
            check_read_only(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }

    #[test]
    fn refuses_writes_and_file_reads_naming_what() {
        assert_eq!(refused("INSERT INTO iam_events VALUES (1)"), "INSERT INTO");
        assert_eq!(refused("CREATE TABLE t AS SELECT 1"), "CREATE TABLE");
        assert_eq!(
            refused("CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION '/etc'"),
            "CREATE EXTERNAL TABLE"
        );
        assert_eq!(refused("COPY iam_events TO '/tmp/x.parquet'"), "COPY");
        assert_eq!(refused("DROP TABLE iam_events"), "DROP TABLE");
        assert_eq!(refused("SET datafusion.execution.batch_size = 1"), "SET");
        assert!(refused("SELECT * FROM read_parquet('/etc/passwd')").contains("read_parquet"));
        assert!(refused("SELECT * FROM '/etc/passwd'").contains("/etc/passwd"));
        assert!(refused("SELECT 1; DROP TABLE x").contains("2 statements"));
        assert!(refused("SELEC 1").contains("does not parse"));
        assert_eq!(
            refused("WITH x AS (DELETE FROM iam_events) SELECT * FROM x"),
            "DELETE inside a query"
        );
        assert_eq!(
            refused("SELECT 1 UNION SELECT * INTO copied FROM iam_events"),
            "SELECT … INTO"
        );
        assert_eq!(
            refused("SELECT * INTO copied FROM iam_events"),
            "SELECT … INTO"
        );
        let chain = format!("SELECT {}", vec!["1"; 8_500].join("+"));
        assert!(refused(&chain).contains("8499 operators"));
    }
}
