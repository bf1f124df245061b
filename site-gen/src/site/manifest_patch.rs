//! A profile's manifest variants as line patches against its one manifest file: the site
//! writes the base manifest once, and the page rebuilds the HPA and bucket variants from it
//! byte for byte (`assets/app.js` applies the same hunks), so three near-identical files per
//! profile become one file and a few hundred bytes of patch.

use serde::{Deserialize, Serialize};

/// Replace `remove` lines of the base, starting at line `at`, with `insert` (each line keeps
/// its own `\n`). Hunks are in ascending order of `at` and never overlap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hunk(pub usize, pub usize, pub Vec<String>);

/// The lines of a text, each with its `\n`: the one line rule of `patch`, `apply` and the page
/// script (a lone `\r` does not end a line).
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// The hunks that turn `base` into `variant`.
pub fn patch(base: &str, variant: &str) -> Vec<Hunk> {
    use similar::{Algorithm, DiffOp, capture_diff_slices};
    let old_lines = lines(base);
    let new_lines = lines(variant);
    let ops = capture_diff_slices(Algorithm::Myers, &old_lines, &new_lines);
    let inserted = |from: usize, len: usize| -> Vec<String> {
        new_lines[from..from + len]
            .iter()
            .map(|l| l.to_string())
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

/// `base` with `hunks` applied: the rule `applyPatch` in `assets/app.js` and the manifest
/// tests follow.
#[cfg(test)]
pub fn apply(base: &str, hunks: &[Hunk]) -> String {
    let mut out = lines(base);
    for Hunk(at, remove, insert) in hunks.iter().rev() {
        let end = (*at + *remove).min(out.len());
        let at = (*at).min(end);
        out.splice(at..end, insert.iter().map(String::as_str));
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
}
