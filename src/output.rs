//! Printing rows as an aligned table, CSV, JSON or YAML, and the number formats the SPEC fixes
//! (costs with 3 decimals or `N/A`).

use crate::cli::Format;
use anyhow::{Context, Result};
use serde_json::Value;

/// A cost cell: 3 decimals or N/A (never 0 for unknown).
pub fn cost(v: Option<f64>) -> String {
    site_gen::format::num(v, 3)
}

/// A measured value with 2 decimals, or N/A.
pub fn num(v: Option<f64>) -> String {
    site_gen::format::num(v, 2)
}

/// A table cell on one line: control characters (line breaks in a model name) are shown
/// escaped, so a value can never break the table's rows.
fn one_line(cell: &str) -> String {
    cell.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// Left-aligned columns separated by two spaces, header first.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| one_line(c)).collect())
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain(std::iter::once(header[i].chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}

pub fn csv(header: &[&str], rows: &[Vec<String>]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for r in rows {
        w.write_record(r)?;
    }
    let bytes = w.into_inner().context("CSV writer")?;
    Ok(String::from_utf8(bytes)?)
}

pub fn json(value: &Value) -> Result<String> {
    Ok(serde_json::to_string_pretty(value)? + "\n")
}

pub fn yaml(value: &Value) -> Result<String> {
    serde_saphyr::to_string(value).context("YAML output")
}

/// Prints tabular rows (table/csv) or structured values (json/yaml).
pub fn print(
    format: Format,
    header: &[&str],
    rows: &[Vec<String>],
    structured: &Value,
) -> Result<String> {
    match format {
        Format::Table => Ok(table(header, rows)),
        Format::Csv => csv(header, rows),
        Format::Json => json(structured),
        Format::Yaml => yaml(structured),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_never_print_zero_for_unknown() {
        assert_eq!(cost(None), "N/A");
        assert_eq!(cost(Some(0.41666)), "0.417");
    }

    #[test]
    fn table_columns_align() {
        let t = table(&["A", "Long header"], &[vec!["xxxx".into(), "1".into()]]);
        assert_eq!(t, "A     Long header\nxxxx  1\n");
        let t = table(&["A"], &[vec!["x\ny".into()]]);
        assert_eq!(t, "A\nx\\ny\n");
    }
}
