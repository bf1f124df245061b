//! The templates under `templates/`: the minijinja environment of the pages it interprets
//! (embedded in the binary, HTML escaping by extension, the filters they use), and the escapers
//! of the templates askama compiles (the profile page: `LeanHtml`; the manifests: `YamlScalar`
//! and `CommentLine`, named in `site-gen/askama.toml`).

use minijinja::{Environment, Value};

/// (name, source) of every embedded template.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "site/base.html.j2",
        include_str!("../../templates/site/base.html.j2"),
    ),
    (
        "site/index.html.j2",
        include_str!("../../templates/site/index.html.j2"),
    ),
    (
        "site/models.html.j2",
        include_str!("../../templates/site/models.html.j2"),
    ),
    (
        "site/model.html.j2",
        include_str!("../../templates/site/model.html.j2"),
    ),
    (
        "site/methodology.html.j2",
        include_str!("../../templates/site/methodology.html.j2"),
    ),
    (
        "site/ingest-report.html.j2",
        include_str!("../../templates/site/ingest-report.html.j2"),
    ),
    (
        "site/frontier-section.html.j2",
        include_str!("../../templates/site/frontier-section.html.j2"),
    ),
    (
        "site/index-rows.html.j2",
        include_str!("../../templates/site/index-rows.html.j2"),
    ),
    (
        "site/frontier-group.html.j2",
        include_str!("../../templates/site/frontier-group.html.j2"),
    ),
    (
        "site/frontier.html.j2",
        include_str!("../../templates/site/frontier.html.j2"),
    ),
    (
        "site/compare.html.j2",
        include_str!("../../templates/site/compare.html.j2"),
    ),
    (
        "site/planner.html.j2",
        include_str!("../../templates/site/planner.html.j2"),
    ),
    (
        "site/downloads.html.j2",
        include_str!("../../templates/site/downloads.html.j2"),
    ),
];

/// (name, source) of the templates askama compiles into the binary (`#[derive(Template)]`);
/// listed for [`fingerprint`] only, as minijinja does not read them.
const COMPILED_TEMPLATES: &[(&str, &str)] = &[
    (
        "site/profile.html.j2",
        include_str!("../../templates/site/profile.html.j2"),
    ),
    (
        "manifests/manifest.yaml.j2",
        include_str!("../../templates/manifests/manifest.yaml.j2"),
    ),
    (
        "manifests/provenance.yaml.j2",
        include_str!("../../templates/manifests/provenance.yaml.j2"),
    ),
    (
        "manifests/hpa.yaml.j2",
        include_str!("../../templates/manifests/hpa.yaml.j2"),
    ),
    (
        "manifests/comments.yaml.j2",
        include_str!("../../templates/manifests/comments.yaml.j2"),
    ),
    (
        "manifests/servers/vllm.yaml.j2",
        include_str!("../../templates/manifests/servers/vllm.yaml.j2"),
    ),
    (
        "manifests/servers/sglang.yaml.j2",
        include_str!("../../templates/manifests/servers/sglang.yaml.j2"),
    ),
    (
        "manifests/servers/tgi.yaml.j2",
        include_str!("../../templates/manifests/servers/tgi.yaml.j2"),
    ),
    (
        "manifests/servers/tensorrt-llm.yaml.j2",
        include_str!("../../templates/manifests/servers/tensorrt-llm.yaml.j2"),
    ),
    (
        "manifests/bucket-name.yaml.j2",
        include_str!("../../templates/manifests/bucket-name.yaml.j2"),
    ),
    (
        "manifests/bucket-reader.yaml.j2",
        include_str!("../../templates/manifests/bucket-reader.yaml.j2"),
    ),
];

/// The lines the compiled manifest templates spell literally, in the order the templates are
/// listed (a line in several once per template; `SharedLines` numbers each once): what a
/// profile page's manifest patches may name by number (`site/manifest_patch.rs`). Made from
/// the templates alone, never from data.
pub fn manifest_literal_lines() -> &'static [String] {
    static LINES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        COMPILED_TEMPLATES
            .iter()
            .filter(|(name, _)| name.starts_with("manifests/"))
            .flat_map(|(_, source)| literal_lines(source))
            .collect()
    });
    &LINES
}

/// The lines of a template that hold no value, each with its `\n`: its text with comments
/// and tags taken out, less the lines that print a value. A line an `if` writes in two forms
/// comes out as both forms run together, which no manifest line equals: a listed line is
/// named only where a variant's line equals it, so a stray one costs bytes, never a wrong line.
pub fn literal_lines(source: &str) -> Vec<String> {
    let mut text = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(start) = rest.find('{') {
        let (before, from) = rest.split_at(start);
        text.push_str(before);
        let close = match from.get(..2) {
            Some("{#") => "#}",
            Some("{%") => "%}",
            _ => {
                text.push('{');
                rest = &from[1..];
                continue;
            }
        };
        rest = from.find(close).map_or("", |end| &from[end + 2..]);
    }
    text.push_str(rest);
    text.split_inclusive('\n')
        .filter(|line| line.ends_with('\n') && !line.contains("{{") && !line.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// Static assets copied into the site as they are.
pub const STYLE_CSS: &str = include_str!("../../templates/site/assets/style.css");
pub const APP_JS: &str = include_str!("../../templates/site/assets/app.js");
pub const CORE_JS: &str = include_str!("../../templates/site/assets/core.js");
pub const COMPARE_JS: &str = include_str!("../../templates/site/assets/compare.js");

/// HTML escaping for `.html` and `.svg` templates; JSON for `.yaml` and `.json` ones, of which
/// none is interpreted now (the manifests are compiled), so one added later is escaped.
fn auto_escape(name: &str) -> minijinja::AutoEscape {
    let name = name.strip_suffix(".j2").unwrap_or(name);
    match name.rsplit('.').next() {
        Some("html" | "svg" | "xml") => minijinja::AutoEscape::Html,
        Some("yaml" | "yml" | "json") => minijinja::AutoEscape::Json,
        _ => minijinja::AutoEscape::None,
    }
}

/// HTML-escapes strings the way the markup needs (`& < > " '`) and leaves `/` alone: the
/// library also escapes `/`, which turns every path on a page into `&#x2f;`. Everything else
/// (JSON, safe strings, numbers) goes through the library's own formatter.
fn html_lean_formatter(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    let plain_string = matches!(state.auto_escape(), minijinja::AutoEscape::Html)
        && !value.is_safe()
        && value.as_str().is_some();
    let Some(text) = value.as_str().filter(|_| plain_string) else {
        return minijinja::escape_formatter(out, state, value);
    };
    write_html_escaped(out, text).map_err(minijinja::Error::from)
}

/// The escaping of askama's `.html` templates (`askama.toml`): the same as minijinja's
/// [`html_lean_formatter`], so a page reads the same whichever engine made it.
#[derive(Debug, Clone, Copy, Default)]
pub struct LeanHtml;

impl askama::filters::Escaper for LeanHtml {
    fn write_escaped_str<W: std::fmt::Write>(&self, mut dest: W, text: &str) -> std::fmt::Result {
        write_html_escaped(&mut dest, text)
    }
}

/// `text` with `& < > " '` escaped, as the templates escape every string (see
/// [`html_lean_formatter`]); for markup written outside a template (the charts).
pub fn push_html_escaped(out: &mut String, text: &str) {
    // Writing to a String cannot fail.
    let _ = write_html_escaped(out, text);
}

/// What [`write_html_escaped`] writes for each byte it replaces: one lookup a byte instead of
/// five comparisons (every string on every page goes through it).
const HTML_ENTITY: [Option<&str>; 256] = {
    let mut entity = [None; 256];
    entity[b'&' as usize] = Some("&amp;");
    entity[b'<' as usize] = Some("&lt;");
    entity[b'>' as usize] = Some("&gt;");
    entity[b'"' as usize] = Some("&quot;");
    entity[b'\'' as usize] = Some("&#x27;");
    entity
};

fn write_html_escaped(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    // Bytes, not chars: the five are ASCII, which never occurs inside a multi-byte character.
    let mut start = 0;
    for (i, byte) in text.bytes().enumerate() {
        let Some(entity) = HTML_ENTITY[usize::from(byte)] else {
            continue;
        };
        out.write_str(&text[start..i])?;
        out.write_str(entity)?;
        start = i + 1;
    }
    out.write_str(&text[start..])
}

/// The escaping of the manifests' YAML templates (`yaml-scalar` in `askama.toml`): every value
/// is a double-quoted YAML scalar, escaped as a JSON string (a JSON string is a YAML
/// double-quoted scalar), so no value can end its scalar, start a key or a document, or be
/// read as another type. Numbers are written bare by marking them `|safe`.
#[derive(Debug, Clone, Copy, Default)]
pub struct YamlScalar;

impl askama::filters::Escaper for YamlScalar {
    fn write_escaped_str<W: std::fmt::Write>(&self, mut dest: W, text: &str) -> std::fmt::Result {
        write_json_string(&mut dest, text)
    }
}

/// `text` as a JSON string literal that YAML reads back as the same text: `"` and `\` escaped,
/// control characters as `\n`-style or `\u00XX` escapes, and as `\uXXXX` also what YAML does
/// not allow raw or folds into a space (DEL and the C1 controls, U+2028, U+2029, U+FEFF,
/// U+FFFE, U+FFFF); everything else as it is.
fn write_json_string(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    out.write_char('"')?;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{8}' => "\\b",
            '\u{c}' => "\\f",
            c if c.is_control() || is_yaml_break_or_unprintable(c) => "",
            _ => continue,
        };
        out.write_str(&text[start..i])?;
        if escape.is_empty() {
            write!(out, "\\u{:04x}", u32::from(c))?;
        } else {
            out.write_str(escape)?;
        }
        start = i + c.len_utf8();
    }
    out.write_str(&text[start..])?;
    out.write_char('"')
}

/// Characters beyond the control characters that YAML reads as a line break (U+2028, U+2029)
/// or does not allow in a document (U+FEFF inside one, U+FFFE, U+FFFF).
fn is_yaml_break_or_unprintable(c: char) -> bool {
    matches!(
        c,
        '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
    )
}

/// The escaping of the manifests' comment lines (`yaml-comment` in `askama.toml`, for
/// `comments.yaml.j2`): every value is written on one line, so none can end its comment, and
/// none has to remember a filter.
#[derive(Debug, Clone, Copy, Default)]
pub struct CommentLine;

impl askama::filters::Escaper for CommentLine {
    fn write_escaped_str<W: std::fmt::Write>(&self, mut dest: W, text: &str) -> std::fmt::Result {
        write_oneline(&mut dest, text)
    }
}

/// `text` as comment text: control characters (line breaks included) and what YAML also reads
/// as a line break or refuses (U+2028, U+2029, U+FEFF, U+FFFE, U+FFFF) become spaces.
pub fn write_oneline(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    let breaks = |c: char| c.is_control() || is_yaml_break_or_unprintable(c);
    for (i, part) in text.split(breaks).enumerate() {
        if i > 0 {
            out.write_char(' ')?;
        }
        out.write_str(part)?;
    }
    Ok(())
}

/// A hash of every embedded template and asset: pages made by other templates are never
/// mistaken for current ones by an incremental refresh.
pub fn fingerprint() -> &'static str {
    static FP: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    FP.get_or_init(|| {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for (name, source) in TEMPLATES.iter().chain(COMPILED_TEMPLATES) {
            h.update(name.as_bytes());
            h.update(source.as_bytes());
        }
        h.update(STYLE_CSS.as_bytes());
        h.update(APP_JS.as_bytes());
        h.update(CORE_JS.as_bytes());
        h.update(COMPARE_JS.as_bytes());
        // `assets/manifest-lines.js` is made from the templates and the site's settings by
        // code: hashing its lines too changes the version when that code does, so no cached
        // list outlives it.
        for line in crate::site::manifest_patch::SharedLines::site().lines() {
            h.update(line.as_bytes());
        }
        pipeline::digest::hex(&h.finalize()[..8])
    })
}

/// Any serializable value as a template value.
pub fn val<T: serde::Serialize>(value: T) -> Value {
    Value::from(minijinja::value::Serde(value))
}

/// Builds the environment; fails only if a bundled template does not parse (a build bug that
/// the tests catch).
pub fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()?,
    );
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_auto_escape_callback(auto_escape);
    env.set_formatter(html_lean_formatter);
    env.add_filter("json_data", json_data);
    env.add_filter("num", |v: Option<f64>, digits: usize| {
        crate::format::num(v, digits)
    });
    env.add_filter("trimmed", |v: Option<f64>, digits: usize| {
        v.filter(|x| x.is_finite())
            .map_or_else(|| "N/A".to_string(), |x| crate::format::trimmed(x, digits))
    });
    for (name, source) in TEMPLATES {
        env.add_template(name, source)?;
    }
    Ok(env)
}

/// Compact JSON for a `<script type="application/json">` data block: minijinja's `tojson`
/// spaces its separators (a tenth of a manifest patch's bytes). `<`, `>`, `&` and `'` are
/// written as `\u` escapes, which only occur inside JSON strings, so no `</script>` or comment
/// opener can end the block early.
fn json_data(value: Value) -> Result<Value, minijinja::Error> {
    json_data_text(&value)
        .map(Value::from_safe_string)
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::BadSerialization, e.to_string()))
}

/// [`json_data`]'s text, for a data block written by a compiled template.
pub fn json_data_text<T: serde::Serialize + ?Sized>(
    value: &T,
) -> Result<String, serde_json::Error> {
    let json = serde_json::to_string(value)?;
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\'' => out.push_str("\\u0027"),
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_data_block_is_compact_and_cannot_close_its_script() {
        let env = environment().unwrap();
        let text = env
            .render_str(
                "{{ v|json_data }}",
                minijinja::context! { v => vec![minijinja::Value::from(3), minijinja::Value::from("</script><!-- a&'b")] },
            )
            .unwrap();
        assert_eq!(text, r#"[3,"\u003c/script\u003e\u003c!-- a\u0026\u0027b"]"#);
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back[1], "</script><!-- a&'b");
    }

    #[test]
    fn every_template_parses() {
        environment().unwrap();
    }

    #[test]
    fn svg_and_html_are_escaped() {
        let mut env = environment().unwrap();
        env.add_template("t.svg.j2", "<text>{{ x }}</text>")
            .unwrap();
        let out = env
            .get_template("t.svg.j2")
            .unwrap()
            .render(minijinja::context! { x => "<script>" })
            .unwrap();
        assert_eq!(out, "<text>&lt;script&gt;</text>");
    }

    #[test]
    fn number_filters_use_the_shared_formats() {
        let mut env = environment().unwrap();
        env.add_template(
            "n.txt",
            "{{ a|num(2) }} {{ b|num(3) }} {{ c|trimmed(1) }} {{ b|trimmed(1) }}",
        )
        .unwrap();
        let out = env
            .get_template("n.txt")
            .unwrap()
            .render(minijinja::context! { a => 1.23456, b => (), c => 16.0 })
            .unwrap();
        assert_eq!(out, "1.23 N/A 16 N/A");
    }

    fn escaped<E: askama::filters::Escaper>(escaper: E, text: &str) -> String {
        let mut out = String::new();
        escaper.write_escaped_str(&mut out, text).unwrap();
        out
    }

    #[test]
    fn a_comment_value_stays_on_its_line() {
        assert_eq!(
            escaped(CommentLine, "a\nkind: Secret\r\u{85}b\u{2028}c\u{2029}d"),
            "a kind: Secret  b c d"
        );
    }

    #[test]
    fn a_yaml_scalar_is_a_json_string() {
        let hostile = "a\"b\\c\n\t\u{1}\u{7f}\u{85}\u{fc}/<>&' #x: y\r\u{8}\u{c}\u{2028}\u{feff}€";
        let out = escaped(YamlScalar, hostile);
        assert_eq!(
            out,
            "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f\\u0085\u{fc}/<>&' #x: y\\r\\b\\f\\u2028\\ufeff€\""
        );
        // A JSON string, which reads back as the same text.
        assert_eq!(serde_json::from_str::<String>(&out).unwrap(), hostile);
    }
}
