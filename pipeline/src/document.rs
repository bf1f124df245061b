//! Reads a raw file's bytes into a [`Document`] (JSON, JSON Lines or CSV) so formats can be
//! detected by content. Owns the leniency the tools need: bare `Infinity`/`NaN` tokens (Python's
//! `json.dumps` writes them) and JSON Lines files named `.json`; and a YAML document as the JSON
//! tree it maps to ([`Document::from_yaml`]), for a report a tool also writes as YAML.

use crate::error::FormatError;
use serde_json::Value;
use std::borrow::Cow;

/// A raw file's content, parsed once and shared by every format's detector.
#[derive(Debug, Clone)]
pub enum Document {
    Json(Value),
    JsonLines(Vec<Value>),
    Csv(String),
}

impl Document {
    /// The error of a reader that reads one JSON object, naming what this file is instead (a
    /// reader chosen by run.toml's `tool` sees every file of the run, CSV tables included).
    pub fn not_one_object(&self) -> FormatError {
        let found = match self {
            Document::Json(Value::Array(items)) => format!("a JSON array of {} items", items.len()),
            Document::Json(Value::Object(_)) => "a JSON object of another shape".to_string(),
            Document::Json(_) => "a lone JSON value".to_string(),
            Document::JsonLines(records) => format!("JSON Lines ({} records)", records.len()),
            Document::Csv(_) => "a CSV table".to_string(),
        };
        FormatError::new(format!("expected one JSON object, found {found}"))
    }

    /// Reads bytes as JSON, JSON Lines or CSV, or says why none fits.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FormatError> {
        let text = std::str::from_utf8(bytes)
            .map_err(|e| FormatError::new(format!("not UTF-8 text (binary file?): {e}")))?;
        let text = text.trim_start_matches('\u{feff}');
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(FormatError::new("file is empty"));
        }
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            return parse_json_or_lines(trimmed);
        }
        if looks_like_csv(trimmed) {
            return Ok(Document::Csv(text.to_string()));
        }
        Err(FormatError::new(
            "content is neither JSON, JSON Lines nor CSV with a header row",
        ))
    }
}

/// A YAML document's size limits. serde-saphyr's defaults (250,000 nodes, 64 MiB of text) suit
/// configuration files; a GuideLLM report keeps every request's prompt, output and timings, and
/// a large sweep's runs to hundreds of MB. Still bounded (under about 1 GB as a JSON tree), so
/// an endless file fails instead of exhausting memory.
const YAML_MAX_NODES: usize = 5_000_000;
const YAML_MAX_EVENTS: usize = 10_000_000;
const YAML_MAX_SCALAR_BYTES: usize = 256 * 1024 * 1024;

impl Document {
    /// Reads bytes as one YAML document into the JSON tree it maps to. YAML's `.inf`, `-.inf`
    /// and `.nan` become the strings the JSON reading makes of bare `Infinity`/`NaN`, so the
    /// formats take them the same way. Only for bytes `from_bytes` refused.
    pub fn from_yaml(bytes: &[u8]) -> Result<Self, FormatError> {
        let text = std::str::from_utf8(bytes)
            .map_err(|e| FormatError::new(format!("not UTF-8 text (binary file?): {e}")))?;
        let mut budget = serde_saphyr::Budget::default();
        budget.max_nodes = YAML_MAX_NODES;
        budget.max_events = YAML_MAX_EVENTS;
        budget.max_total_scalar_bytes = YAML_MAX_SCALAR_BYTES;
        let mut options = serde_saphyr::Options::default();
        options.budget = Some(budget);
        options.non_finite_float_policy = serde_saphyr::NonFiniteFloatPolicy::AsString;
        let mut tree = serde_saphyr::from_str_with_options::<Value>(
            text.trim_start_matches('\u{feff}'),
            options,
        )
        .map_err(|e| FormatError::new(format!("invalid YAML: {e}")))?;
        spell_non_finite_as_json(&mut tree);
        Ok(Document::Json(tree))
    }
}

fn spell_non_finite_as_json(v: &mut Value) {
    match v {
        Value::String(s) => {
            let json = match s.as_str() {
                ".inf" | "+.inf" => "Infinity",
                "-.inf" => "-Infinity",
                ".nan" => "NaN",
                _ => return,
            };
            *s = json.to_string();
        }
        Value::Array(items) => items.iter_mut().for_each(spell_non_finite_as_json),
        Value::Object(map) => map.values_mut().for_each(spell_non_finite_as_json),
        _ => {}
    }
}

fn parse_json_or_lines(text: &str) -> Result<Document, FormatError> {
    let whole_error = match parse_lenient(text) {
        Ok(v) => return Ok(Document::Json(v)),
        Err(e) => e,
    };
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let is_jsonl = lines.len() > 1 && lines.iter().all(|(_, l)| l.trim_start().starts_with('{'));
    if !is_jsonl {
        return Err(FormatError::new(format!("invalid JSON: {whole_error}")));
    }
    lines
        .into_iter()
        .map(|(i, line)| {
            parse_lenient(line)
                .map_err(|e| FormatError::new(format!("line {}: invalid JSON: {e}", i + 1)))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Document::JsonLines)
}

fn parse_lenient(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str(&quote_non_finite_tokens(text))
}

const NON_FINITE_TOKENS: [&str; 4] = ["-Infinity", "Infinity", "NaN", "+Infinity"];

/// Rewrites bare `Infinity`, `-Infinity` and `NaN` outside strings into JSON strings, so a strict
/// parser accepts what Python writes; numeric readers then decide what each means. Most files
/// have none and are returned as they are, without a copy. Scans bytes: the quote, the
/// backslash and every token are ASCII, which never occurs inside a multi-byte character.
pub fn quote_non_finite_tokens(text: &str) -> Cow<'_, str> {
    // Every token contains one of the two words: a text with neither (most files) is returned
    // after two substring searches instead of the byte-by-byte scan below.
    if !text.contains("Infinity") && !text.contains("NaN") {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut quoted: Option<String> = None;
    let mut copied = 0;
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if matches!(b, b'-' | b'+' | b'I' | b'N')
            && let Some(token) = NON_FINITE_TOKENS
                .iter()
                .find(|t| bytes[i..].starts_with(t.as_bytes()))
        {
            let out = quoted.get_or_insert_with(|| String::with_capacity(text.len() + 16));
            out.push_str(&text[copied..i]);
            out.push('"');
            out.push_str(token);
            out.push('"');
            i += token.len();
            copied = i;
            continue;
        }
        i += 1;
    }
    match quoted {
        None => Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
    }
}

fn looks_like_csv(text: &str) -> bool {
    let header = text.lines().next().unwrap_or("");
    header.contains(',')
        && header.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    ',' | '_' | ' ' | '"' | '\r' | '-' | '.' | '/' | '(' | ')' | '%' | ':'
                )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_non_finite_numbers_read_as_the_json_reading_spells_them() {
        let yaml = b"rate: .inf\nlow: -.inf\nodd: .NaN\nname: '.inf x'\nn: 3\nlist: [1.5, .inf]\n";
        let Document::Json(v) = Document::from_yaml(yaml).unwrap() else {
            panic!("expected a JSON tree")
        };
        assert_eq!(v["rate"], "Infinity");
        assert_eq!(v["low"], "-Infinity");
        assert_eq!(v["odd"], "NaN");
        assert_eq!(v["name"], ".inf x");
        assert_eq!(v["n"], 3);
        assert_eq!(v["list"][1], "Infinity");
        let bad = Document::from_yaml(b"a: [1, 2\n").unwrap_err();
        assert!(bad.reason.starts_with("invalid YAML"), "{}", bad.reason);
    }

    #[test]
    fn bare_infinity_outside_strings_is_quoted() {
        let doc =
            Document::from_bytes(br#"{"request_rate": Infinity, "name": "Infinity x", "n": NaN}"#)
                .unwrap();
        let Document::Json(v) = doc else {
            panic!("expected JSON")
        };
        assert_eq!(v["request_rate"], "Infinity");
        assert_eq!(v["name"], "Infinity x");
        assert_eq!(v["n"], "NaN");
    }

    #[test]
    fn escaped_quotes_do_not_end_strings() {
        let out = quote_non_finite_tokens(r#"{"a": "say \"Infinity\"", "b": -Infinity}"#);
        assert_eq!(out, r#"{"a": "say \"Infinity\"", "b": "-Infinity"}"#);
    }

    #[test]
    fn text_without_tokens_is_not_copied_and_other_characters_pass_through() {
        let plain = r#"{"NTPOT": -1.5, "name": "Nëuron Infinity", "Ñ": [1e-3, +2]}"#;
        assert!(matches!(quote_non_finite_tokens(plain), Cow::Borrowed(t) if t == plain));
        let out = quote_non_finite_tokens(r#"{"ß": NaN,"é":[+Infinity,-Infinity]}"#);
        assert_eq!(out, r#"{"ß": "NaN","é":["+Infinity","-Infinity"]}"#);
    }

    #[test]
    fn json_lines_are_split() {
        let doc = Document::from_bytes(b"{\"a\": 1}\n{\"a\": 2}\n\n").unwrap();
        assert!(matches!(doc, Document::JsonLines(v) if v.len() == 2));
    }

    #[test]
    fn bad_json_line_names_the_line() {
        let err = Document::from_bytes(b"{\"a\": 1}\n{\"a\": \n").unwrap_err();
        assert!(err.reason.starts_with("line 2:"), "{}", err.reason);
    }

    #[test]
    fn a_reader_of_one_object_names_what_it_found() {
        let reason = |text: &str| {
            Document::from_bytes(text.as_bytes())
                .unwrap()
                .not_one_object()
                .reason
        };
        assert!(reason("a,b\n1,2\n").ends_with("found a CSV table"));
        assert!(reason("{\"a\": 1}\n{\"a\": 2}\n").ends_with("found JSON Lines (2 records)"));
        assert!(reason("[1, 2, 3]").ends_with("found a JSON array of 3 items"));
    }

    #[test]
    fn empty_binary_and_truncated_inputs_are_errors() {
        assert_eq!(
            Document::from_bytes(b"  \n").unwrap_err().reason,
            "file is empty"
        );
        assert!(
            Document::from_bytes(&[0xff, 0xfe, 0x00, 0x01])
                .unwrap_err()
                .reason
                .contains("UTF-8")
        );
        assert!(
            Document::from_bytes(b"{\"a\": [1, 2")
                .unwrap_err()
                .reason
                .contains("invalid JSON")
        );
        assert!(Document::from_bytes(b"hello world").is_err());
    }

    #[test]
    fn csv_with_header_is_recognized() {
        assert!(matches!(
            Document::from_bytes(b"load_kind,load_value\nrate,1\n").unwrap(),
            Document::Csv(_)
        ));
    }
}
