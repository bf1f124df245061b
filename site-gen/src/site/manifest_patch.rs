//! A profile's manifest variants as line patches against its one manifest file: the site
//! writes the base manifest once, and the page rebuilds the HPA and bucket variants from it
//! byte for byte (`assets/app.js` applies the same hunks), so three near-identical files per
//! profile become one file and a few hundred bytes of patch. Lines the manifest templates
//! spell literally, and those the site's fixed bucket and namespace make the same on every
//! page, are listed once for the whole site (`assets/manifest-lines.js`), and a patch names
//! them by number.

use foldhash::fast::FixedState;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashMap;
use std::sync::LazyLock;

/// Replace `remove` lines of the base, starting at line `at`, with `insert` (each line keeps
/// its own `\n`). Hunks are in ascending order of `at` and never overlap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hunk(pub usize, pub usize, pub Vec<Line>);

/// An inserted line: its text, the number of a base line with the same text where that is
/// shorter to write (a variant repeats the base's names and annotations in the resources it
/// adds: the HPA's metadata is the Deployment's), or the number of a [`SharedLines`] line.
/// In JSON a base line is its number `n`, a shared line `-1 - n`, and text a string.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Base(usize),
    Shared(usize),
    Text(String),
}

impl Serialize for Line {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Line::Base(i) => s.serialize_u64(*i as u64),
            Line::Shared(i) => s.serialize_i64(-1 - *i as i64),
            Line::Text(t) => s.serialize_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for Line {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(i64),
            Text(String),
        }
        Ok(match Raw::deserialize(d)? {
            Raw::Number(n) if n >= 0 => Line::Base(n as usize),
            Raw::Number(n) => Line::Shared((-1 - n) as usize),
            Raw::Text(t) => Line::Text(t),
        })
    }
}

/// Lines every page may name by number, in the order they are listed: the manifest templates'
/// literal lines (no value in them), then the site's setting lines. They depend on the
/// compiled templates and the site's fixed settings only, never on the data, so a refresh
/// leaves every page that names them as it was.
pub struct SharedLines {
    lines: Vec<String>,
    numbers: HashMap<String, usize, FixedState>,
}

impl SharedLines {
    /// Numbers `lines` in order, a repeated line keeping its first number.
    fn of(lines: &[String]) -> Self {
        let mut shared = SharedLines {
            lines: Vec::with_capacity(lines.len()),
            numbers: HashMap::default(),
        };
        for line in lines {
            if !shared.numbers.contains_key(line) {
                shared.numbers.insert(line.clone(), shared.lines.len());
                shared.lines.push(line.clone());
            }
        }
        shared
    }

    /// The site's list: the literal lines of the manifest templates compiled into this binary
    /// (`templates::manifest_literal_lines`), then the lines the site's fixed bucket and
    /// namespace make the same on every page (`manifests::bucket_setting_lines`). The assets'
    /// version hashes the list, so a page never reads a cached list other than the one its
    /// patches were made against.
    pub fn site() -> &'static SharedLines {
        static SHARED: LazyLock<SharedLines> = LazyLock::new(|| {
            let mut lines = crate::templates::manifest_literal_lines().to_vec();
            lines.extend(super::pages::site_setting_lines());
            SharedLines::of(&lines)
        });
        &SHARED
    }

    /// The lines, in number order.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    fn number(&self, line: &str) -> Option<usize> {
        self.numbers.get(line).copied()
    }

    /// The lines as the page script reads them (`assets/manifest-lines.js`).
    pub fn script(&self) -> String {
        // A list of strings always serializes.
        let json = serde_json::to_string(&self.lines).unwrap_or_default();
        format!(
            "// Lines the manifest templates spell literally, and those the site's fixed bucket and namespace make; a profile page's manifest patches name line n as -1 - n.\nIC.manifestLines = {json};\n"
        )
    }
}

/// Base lines shorter than this are written out: a number and its comma save too little.
const SHORTEST_REFERENCED: usize = 12;

/// Shared lines shorter than this are written out: `"---\n"` (7 characters in JSON) is
/// longer than any number up to -999, but `"a:\n"` is not much shorter than `-123`.
const SHORTEST_SHARED: usize = 4;

/// The lines of a text, each with its `\n`: the one line rule of `patch`, `apply` and the page
/// script (a lone `\r` does not end a line). Found with `memchr`: `split_inclusive('\n')`
/// compared each match as a string, a tenth of the time a profile's patches took.
fn lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::with_capacity(text.len() / 32 + 1);
    let mut start = 0;
    for newline in memchr::memchr_iter(b'\n', text.as_bytes()) {
        // A `\n` is one byte and never inside a character: every cut is on a boundary.
        lines.push(&text[start..=newline]);
        start = newline + 1;
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// A manifest split into lines once, for the patches of all its variants.
pub struct Base<'a> {
    shared: &'a SharedLines,
    /// Where each distinct line first appears: its number in an inserted copy, and its id.
    first: HashMap<&'a str, usize, FixedState>,
    /// Each line as the position its text first appears at: the diff compares these numbers
    /// instead of the lines' text (diffing the text was most of a profile's patch time).
    ids: Vec<usize>,
}

impl<'a> Base<'a> {
    pub fn new(text: &'a str, shared: &'a SharedLines) -> Self {
        let lines = lines(text);
        let mut first = HashMap::with_capacity_and_hasher(lines.len(), FixedState::default());
        let ids = lines
            .iter()
            .enumerate()
            .map(|(i, line)| *first.entry(*line).or_insert(i))
            .collect();
        Base { shared, first, ids }
    }

    /// The hunks that turn this base into `variant`.
    pub fn patch_to(&self, variant: &str) -> Vec<Hunk> {
        use similar::{Algorithm, DiffOp, capture_diff_slices};
        let new_lines = lines(variant);
        // A line the base lacks gets a number no base line has, so it equals none of them.
        let new_ids: Vec<usize> = new_lines
            .iter()
            .enumerate()
            .map(|(j, line)| self.first.get(line).copied().unwrap_or(self.ids.len() + j))
            .collect();
        let ops = capture_diff_slices(Algorithm::Myers, &self.ids, &new_ids);
        // An inserted line the base has is written as the number of its first copy there,
        // else one the templates spell as its number in the shared list.
        let inserted = |from: usize, len: usize| -> Vec<Line> {
            (from..from + len)
                .map(|j| {
                    let line = new_lines[j];
                    match new_ids[j] {
                        id if id < self.ids.len() && line.len() >= SHORTEST_REFERENCED => {
                            Line::Base(id)
                        }
                        _ => match self.shared.number(line) {
                            Some(n) if line.len() >= SHORTEST_SHARED => Line::Shared(n),
                            _ => Line::Text(line.to_string()),
                        },
                    }
                })
                .collect()
        };
        ops.iter()
            .filter_map(|op| match *op {
                DiffOp::Equal { .. } => None,
                DiffOp::Delete {
                    old_index, old_len, ..
                } => Some(Hunk(old_index, old_len, Vec::new())),
                DiffOp::Insert {
                    old_index,
                    new_index,
                    new_len,
                } => Some(Hunk(old_index, 0, inserted(new_index, new_len))),
                DiffOp::Replace {
                    old_index,
                    old_len,
                    new_index,
                    new_len,
                } => Some(Hunk(old_index, old_len, inserted(new_index, new_len))),
            })
            .collect()
    }
}

/// The hunks that turn `base` into `variant`, with no shared lines.
#[cfg(test)]
pub fn patch(base: &str, variant: &str) -> Vec<Hunk> {
    Base::new(base, &SharedLines::of(&[])).patch_to(variant)
}

#[cfg(test)]
pub fn apply(base: &str, hunks: &[Hunk], shared: &SharedLines) -> String {
    let original = lines(base);
    let mut out = original.clone();
    for Hunk(at, remove, insert) in hunks.iter().rev() {
        let end = (*at + *remove).min(out.len());
        let at = (*at).min(end);
        let text = insert.iter().map(|l| match l {
            Line::Base(i) => original.get(*i).copied().unwrap_or(""),
            Line::Shared(i) => shared.lines.get(*i).map_or("", String::as_str),
            Line::Text(t) => t.as_str(),
        });
        out.splice(at..end, text);
    }
    out.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applying_the_patch_gives_the_variant_back_byte_for_byte() {
        let none = SharedLines::of(&[]);
        let base = "a\nb\nc\nd\n# note\n";
        for variant in [
            "a\nb\nc\nd\n# note\n",
            "a\nX\nc\nd\n---\nhpa\n# other note\n",
            "start\na\nc\nd\n# note",
            "a\rb\nc\r\nd\n# note\n",
            "",
        ] {
            let hunks = patch(base, variant);
            assert_eq!(apply(base, &hunks, &none), variant, "{hunks:?}");
        }
        assert!(patch(base, base).is_empty());
    }

    #[test]
    fn a_long_line_the_base_has_is_written_as_its_number() {
        let base = "kind: Deployment\n  name: \"vllm-llama\"\nspec:\n";
        let variant =
            "kind: Deployment\n  name: \"vllm-llama\"\nspec:\n---\n  name: \"vllm-llama\"\nspec:\n";
        let hunks = patch(base, variant);
        assert_eq!(
            hunks,
            vec![Hunk(
                3,
                0,
                vec![
                    Line::Text("---\n".into()),
                    Line::Base(1),
                    Line::Text("spec:\n".into())
                ]
            )]
        );
        assert_eq!(
            serde_json::to_string(&hunks).unwrap(),
            r#"[[3,0,["---\n",1,"spec:\n"]]]"#
        );
        assert_eq!(apply(base, &hunks, &SharedLines::of(&[])), variant);
    }

    #[test]
    fn a_line_the_templates_spell_is_named_by_its_shared_number() {
        let template = "{# a comment\n   over lines #}\n---\nkind: Thing\nname: {{ name }}\n  x: \"y\"{% endif %}\n{%- if a %}\n";
        let shared = SharedLines::of(&crate::templates::literal_lines(template));
        assert_eq!(shared.lines, ["---\n", "kind: Thing\n", "  x: \"y\"\n"]);
        let base = "kind: Base\n";
        let variant = "kind: Base\n---\nkind: Thing\nname: n\n  x: \"y\"\n";
        let hunks = Base::new(base, &shared).patch_to(variant);
        assert_eq!(
            serde_json::to_string(&hunks).unwrap(),
            r#"[[1,0,[-1,-2,"name: n\n",-3]]]"#
        );
        let read: Vec<Hunk> =
            serde_json::from_str(&serde_json::to_string(&hunks).unwrap()).unwrap();
        assert_eq!(read, hunks);
        assert_eq!(apply(base, &hunks, &shared), variant);
    }

    #[test]
    fn the_site_list_holds_the_templates_plain_lines_and_no_tag() {
        let shared = SharedLines::site();
        let hpa = include_str!("../../../templates/manifests/hpa.yaml.j2");
        // The template's lines after its opening comment that hold no tag or value.
        let after_comment = &hpa[hpa.find("#}").unwrap() + 2..];
        let plain: Vec<&str> = after_comment
            .lines()
            .filter(|l| !l.contains('{') && !l.trim().is_empty())
            .collect();
        assert!(plain.len() > 10, "{plain:?}");
        for line in plain {
            assert!(shared.number(&format!("{line}\n")).is_some(), "{line:?}");
        }
        assert!(
            shared
                .lines
                .iter()
                .all(|l| !l.contains("{%") && !l.contains("#}"))
        );
        assert!(shared.script().contains("\nIC.manifestLines = [\""));
        let settings = super::super::pages::site_setting_lines();
        assert_eq!(settings.len(), 2, "the bucket's name and reader command");
        for line in &settings {
            assert!(shared.number(line).is_some(), "{line:?}");
        }
    }
}
