//! Numbering items by a key, each distinct key a slot in the order it first comes. Rows arrive
//! a file at a time and mostly share their key with the row before, so a run of equal keys is
//! looked up once: one comparison with the previous item instead of a hash per item.

use foldhash::fast::FixedState;
use std::collections::HashMap;
use std::hash::Hash;

/// The distinct keys of `items` in first-seen order, and each item's slot among them.
pub fn first_seen_slots<'a, T, K: Eq + Hash + Copy>(
    items: &'a [T],
    key: impl Fn(&'a T) -> K,
) -> (Vec<K>, Vec<usize>) {
    let mut slot_of: HashMap<K, usize, FixedState> = HashMap::default();
    let mut keys: Vec<K> = Vec::new();
    let mut last: Option<(K, usize)> = None;
    let slots = items
        .iter()
        .map(|item| {
            let k = key(item);
            match last {
                Some((previous, slot)) if previous == k => slot,
                _ => {
                    let slot = *slot_of.entry(k).or_insert_with(|| {
                        keys.push(k);
                        keys.len() - 1
                    });
                    last = Some((k, slot));
                    slot
                }
            }
        })
        .collect();
    (keys, slots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_numbered_as_they_first_come_and_runs_keep_their_slot() {
        let items = ["b", "b", "a", "b", "c", "c", "a"];
        let (keys, slots) = first_seen_slots(&items, |s| *s);
        assert_eq!(keys, ["b", "a", "c"]);
        assert_eq!(slots, [0, 0, 1, 0, 2, 2, 1]);
        let none: [&str; 0] = [];
        assert_eq!(first_seen_slots(&none, |s| *s), (Vec::new(), Vec::new()));
    }
}
