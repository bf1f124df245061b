//! A profile's manifest variants as line patches against its one manifest file: the site
//! writes the base manifest once, and the page rebuilds the HPA and bucket variants from it
//! byte for byte (`assets/app.js` applies the same hunks), so three near-identical files per
//! profile become one file and a few hundred bytes of patch.

use foldhash::fast::FixedState;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Replace `remove` lines of the base, starting at line `at`, with `insert` (each line keeps
/// its own `\n`). Hunks are in ascending order of `at` and never overlap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hunk(pub usize, pub usize, pub Vec<Line>);

/// An inserted line: its text, or the number of a base line with the same text where that
/// is shorter to write (a variant repeats the base's names and annotations in the resources
/// it adds: the HPA's metadata is the Deployment's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Line {
    Base(usize),
    Text(String),
}

/// Lines shorter than this are written out: a number and its comma save too little.
const SHORTEST_REFERENCED: usize = 12;

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
    /// Where each distinct line first appears: its number in an inserted copy, and its id.
    first: HashMap<&'a str, usize, FixedState>,
    /// Each line as the position its text first appears at: the diff compares these numbers
    /// instead of the lines' text (diffing the text was most of a profile's patch time).
    ids: Vec<usize>,
}

impl<'a> Base<'a> {
    pub fn new(text: &'a str) -> Self {
        let lines = lines(text);
        let mut first = HashMap::with_capacity_and_hasher(lines.len(), FixedState::default());
        let ids = lines
            .iter()
            .enumerate()
            .map(|(i, line)| *first.entry(*line).or_insert(i))
            .collect();
        Base { first, ids }
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
        // An inserted line the base has is written as the number of its first copy there.
        let inserted = |from: usize, len: usize| -> Vec<Line> {
            (from..from + len)
                .map(|j| match new_ids[j] {
                    id if id < self.ids.len() && new_lines[j].len() >= SHORTEST_REFERENCED => {
                        Line::Base(id)
                    }
                    _ => Line::Text(new_lines[j].to_string()),
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

/// The hunks that turn `base` into `variant`.
#[cfg(test)]
pub fn patch(base: &str, variant: &str) -> Vec<Hunk> {
    Base::new(base).patch_to(variant)
}

#[cfg(test)]
pub fn apply(base: &str, hunks: &[Hunk]) -> String {
    let original = lines(base);
    let mut out = original.clone();
    for Hunk(at, remove, insert) in hunks.iter().rev() {
        let end = (*at + *remove).min(out.len());
        let at = (*at).min(end);
        let text = insert.iter().map(|l| match l {
            Line::Base(i) => original.get(*i).copied().unwrap_or(""),
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
        let base = "a\nb\nc\nd\n# note\n";
        for variant in [
            "a\nb\nc\nd\n# note\n",
            "a\nX\nc\nd\n---\nhpa\n# other note\n",
            "start\na\nc\nd\n# note",
            "a\rb\nc\r\nd\n# note\n",
            "",
        ] {
            let hunks = patch(base, variant);
            assert_eq!(apply(base, &hunks), variant, "{hunks:?}");
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
        assert_eq!(apply(base, &hunks), variant);
    }
}
