//! Bounds on the functions that allocate from the sizes their arguments give.
//!
//! `repeat('a', 1000000000)` or `array_repeat(1, 300000000)` allocate gigabytes from a few bytes
//! of SQL, and DataFusion evaluates them while it folds constants at planning time, outside the
//! memory pool. Each such function is replaced in the session by a wrapper that estimates the
//! bytes one call would produce from its arguments and refuses the call above a bound (a share
//! of the session's memory limit) before the inner function allocates anything.

use std::sync::Arc;

use arrow::array::{Array, Int64Array};
use arrow::compute::kernels::length::length;
use arrow::datatypes::{DataType, FieldRef, TimeUnit};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::execution::context::SessionContext;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature,
};

/// How a function's output size follows from its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum SizeRule {
    /// `repeat(text, n)`: the text's length times n.
    Repeat,
    /// `lpad`/`rpad(text, n, …)`: n characters of up to 4 bytes.
    Pad,
    /// `replace(text, from, to)`: at most one `to` per byte of the text.
    Replace,
    /// `regexp_replace(text, pattern, to, …)`: as replace, plus back-references, each
    /// expanding to at most the text.
    RegexpReplace,
    /// `array_repeat(value, n)`: n copies of the value.
    ArrayRepeat,
    /// `array_resize(array, n, value)`: n elements.
    ArrayResize,
    /// `range`/`generate_series(start, stop, step)`: one element per step.
    Range,
}

const RULES: &[(&str, SizeRule)] = &[
    ("repeat", SizeRule::Repeat),
    ("lpad", SizeRule::Pad),
    ("rpad", SizeRule::Pad),
    ("replace", SizeRule::Replace),
    ("regexp_replace", SizeRule::RegexpReplace),
    ("array_repeat", SizeRule::ArrayRepeat),
    ("array_resize", SizeRule::ArrayResize),
    ("range", SizeRule::Range),
    ("generate_series", SizeRule::Range),
];

/// Replaces every size-allocating function of `ctx` with one refusing calls that would
/// produce more than `max_bytes`.
pub(crate) fn bound_allocating_functions(ctx: &SessionContext, max_bytes: usize) {
    let state = ctx.state();
    let functions = state.scalar_functions();
    for (name, rule) in RULES {
        if let Some(inner) = functions.get(*name) {
            ctx.register_udf(ScalarUDF::new_from_impl(Bounded {
                inner: inner.as_ref().clone(),
                rule: *rule,
                max_bytes,
            }));
        }
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Bounded {
    inner: ScalarUDF,
    rule: SizeRule,
    max_bytes: usize,
}

impl Bounded {
    /// The bytes a call would produce at most, over all its rows.
    fn estimate(&self, args: &ScalarFunctionArgs) -> Result<u128> {
        let rows = if args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)))
        {
            1
        } else {
            args.number_rows
        };
        let arg = |i: usize| args.args.get(i);
        let lens = |i: usize| arg(i).map(text_lengths).transpose();
        let ints = |i: usize| arg(i).map(integers).transpose();
        let mut total: u128 = 0;
        match self.rule {
            SizeRule::Repeat => {
                let (text, n) = (lens(0)?, ints(1)?);
                for r in 0..rows {
                    total += at(&text, r) * at(&n, r);
                }
            }
            SizeRule::Pad => {
                let n = ints(1)?;
                for r in 0..rows {
                    total += 4 * at(&n, r);
                }
            }
            SizeRule::Replace | SizeRule::RegexpReplace => {
                let (text, to) = (lens(0)?, lens(2)?);
                let back_references = u128::from(self.rule == SizeRule::RegexpReplace);
                for r in 0..rows {
                    let (t, n) = (at(&text, r), at(&to, r).max(1));
                    total += t + (t + 1) * n + back_references * t * n;
                }
            }
            SizeRule::ArrayRepeat | SizeRule::ArrayResize => {
                let n = ints(1)?;
                let element = match self.rule {
                    SizeRule::ArrayRepeat => arg(0),
                    _ => arg(2),
                }
                .map_or(8, |v| value_bytes(v, rows));
                for r in 0..rows {
                    total += at(&n, r) * element;
                }
            }
            SizeRule::Range => {
                for r in 0..rows {
                    total += 8 * range_len(&args.args, r)?;
                }
            }
        }
        Ok(total)
    }
}

/// Per-row values of one argument: a scalar stands for every row.
enum PerRow {
    Scalar(Option<i64>),
    Rows(Int64Array),
}

fn at(values: &Option<PerRow>, row: usize) -> u128 {
    let v = match values {
        None => None,
        Some(PerRow::Scalar(v)) => *v,
        Some(PerRow::Rows(a)) => (!a.is_null(row)).then(|| a.value(row)),
    };
    v.map_or(0, |v| v.max(0) as u128)
}

fn text_lengths(value: &ColumnarValue) -> Result<PerRow> {
    Ok(match value {
        ColumnarValue::Scalar(s) => PerRow::Scalar(match s {
            ScalarValue::Utf8(v) | ScalarValue::LargeUtf8(v) | ScalarValue::Utf8View(v) => {
                v.as_ref().map(|t| t.len() as i64)
            }
            other => Some(other.size() as i64),
        }),
        ColumnarValue::Array(a) => match length(a.as_ref()) {
            Ok(lengths) => PerRow::Rows(as_int64(&lengths)?),
            Err(_) => PerRow::Scalar(Some((a.get_array_memory_size() / a.len().max(1)) as i64)),
        },
    })
}

fn integers(value: &ColumnarValue) -> Result<PerRow> {
    Ok(match value {
        ColumnarValue::Scalar(s) => PerRow::Scalar(match s.cast_to(&DataType::Int64)? {
            ScalarValue::Int64(v) => v,
            _ => None,
        }),
        ColumnarValue::Array(a) => PerRow::Rows(as_int64(a)?),
    })
}

fn as_int64(array: &Arc<dyn Array>) -> Result<Int64Array> {
    let cast = arrow::compute::cast(array, &DataType::Int64)?;
    Ok(cast
        .as_any()
        .downcast_ref::<Int64Array>()
        .cloned()
        .unwrap_or_else(|| Int64Array::from(vec![None; array.len()])))
}

/// The bytes of one value of an argument (its average over the rows of an array).
fn value_bytes(value: &ColumnarValue, rows: usize) -> u128 {
    match value {
        ColumnarValue::Scalar(s) => s.size() as u128,
        ColumnarValue::Array(a) => (a.get_array_memory_size() / rows.max(1)).max(8) as u128,
    }
}

/// The elements `range`/`generate_series` would produce for row `row`: integers, dates and
/// timestamps, with the step in the same unit (intervals as nanoseconds, a month as 28 days so
/// the estimate is never low).
fn range_len(args: &[ColumnarValue], row: usize) -> Result<u128> {
    let nanos = |v: &ColumnarValue| -> Result<Option<i128>> {
        let scalar = match v {
            ColumnarValue::Scalar(s) => s.clone(),
            ColumnarValue::Array(a) => ScalarValue::try_from_array(a, row)?,
        };
        Ok(match &scalar {
            ScalarValue::IntervalMonthDayNano(Some(i)) => Some(
                i128::from(i.months) * 28 * 86_400_000_000_000
                    + i128::from(i.days) * 86_400_000_000_000
                    + i128::from(i.nanoseconds),
            ),
            ScalarValue::IntervalDayTime(Some(i)) => Some(
                i128::from(i.days) * 86_400_000_000_000 + i128::from(i.milliseconds) * 1_000_000,
            ),
            ScalarValue::IntervalYearMonth(Some(m)) => {
                Some(i128::from(*m) * 28 * 86_400_000_000_000)
            }
            s if s.data_type().is_temporal() => {
                let ns = s.cast_to(&DataType::Timestamp(TimeUnit::Nanosecond, None))?;
                match ns {
                    ScalarValue::TimestampNanosecond(v, _) => v.map(i128::from),
                    _ => None,
                }
            }
            s if s.is_null() => None,
            s => match s.cast_to(&DataType::Int64)? {
                ScalarValue::Int64(v) => v.map(i128::from),
                _ => None,
            },
        })
    };
    let values = args.iter().map(nanos).collect::<Result<Vec<_>>>()?;
    let (start, stop, step) = match values[..] {
        [Some(stop)] => (0, stop, 1),
        [Some(start), Some(stop)] => (start, stop, 1),
        [Some(start), Some(stop), Some(step)] => (start, stop, step),
        _ => return Ok(0),
    };
    if step == 0 {
        return Ok(0);
    }
    Ok(((stop - start) / step).max(0) as u128 + 1)
}

impl ScalarUDFImpl for Bounded {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn is_strict(&self) -> bool {
        self.inner.inner().is_strict()
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }

    // `simplify` is left out on purpose: a rewrite by the inner function would call it
    // directly, past the bound.
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let estimate = self.estimate(&args)?;
        if estimate > self.max_bytes as u128 {
            return exec_err!(
                "{}() would allocate about {} MiB, more than the {} MiB one call may use (a quarter of --memory-limit-mib)",
                self.name(),
                estimate >> 20,
                self.max_bytes >> 20
            );
        }
        self.inner.invoke_with_args(args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn run(ctx: &SessionContext, sql: &str) -> Result<usize> {
        let batches = ctx.sql(sql).await?.collect().await?;
        Ok(batches.iter().map(|b| b.num_rows()).sum())
    }

    #[tokio::test]
    async fn calls_that_would_allocate_past_the_bound_are_refused_before_they_do() {
        let ctx = SessionContext::new();
        bound_allocating_functions(&ctx, 16 << 20);
        for sql in [
            "SELECT repeat('a', 1000000000)",
            "SELECT cardinality(array_repeat(1, 300000000))",
            "SELECT lpad('x', 100000000)",
            "SELECT replace(repeat('a', 100000), 'a', repeat('b', 1000))",
            "SELECT regexp_replace(repeat('a', 100000), 'a', repeat('b', 1000), 'g')",
            "SELECT cardinality(range(1, 1000000000))",
            "SELECT cardinality(generate_series(DATE '2000-01-01', DATE '2100-01-01', INTERVAL '1 second'))",
            "SELECT cardinality(array_resize([1], 100000000, 0))",
            "SELECT repeat(s, 1000) FROM (VALUES (repeat('a', 100000))) AS t(s)",
        ] {
            let err = run(&ctx, sql).await.expect_err(sql).to_string();
            assert!(
                err.contains("more than the 16 MiB one call may use"),
                "{sql}: {err}"
            );
        }
        for sql in [
            "SELECT repeat('ab', 1000)",
            "SELECT cardinality(range(1, 1000))",
            "SELECT lpad('x', 10, '-')",
            "SELECT replace('aaa', 'a', 'bb')",
            "SELECT cardinality(generate_series(DATE '2026-01-01', DATE '2026-12-31', INTERVAL '1 day'))",
        ] {
            assert_eq!(run(&ctx, sql).await.expect(sql), 1, "{sql}");
        }
    }
}
