//! Numbering items by a key, each distinct key a slot in the order it first comes. Rows arrive
//! a file at a time and mostly share their key with the row before, so a run of equal keys is
//! looked up once: one comparison with the previous item instead of a hash per item. Long
//! slices are numbered a part per core, and the parts' slots then renumbered in order.

use foldhash::fast::FixedState;
use rayon::prelude::*;
use std::collections::HashMap;
use std::hash::Hash;

/// Fewer items than this are numbered on one core: the renumbering would cost more.
const PART_MIN: usize = 4096;

/// The distinct keys of `items` in first-seen order, and each item's slot among them.
pub fn first_seen_slots<'a, T: Sync, K: Eq + Hash + Copy + Send>(
    items: &'a [T],
    key: impl Fn(&'a T) -> K + Sync,
) -> (Vec<K>, Vec<usize>) {
    let part = items
        .len()
        .div_ceil(rayon::current_num_threads().max(1))
        .max(PART_MIN);
    if items.len() <= part {
        return numbered(items, &key);
    }
    let parts: Vec<(Vec<K>, Vec<usize>)> = items
        .par_chunks(part)
        .map(|chunk| numbered(chunk, &key))
        .collect();
    // A key's slot is where it first comes in the first part that has it: parts in order,
    // each part's keys in its own first-seen order.
    let mut slot_of: HashMap<K, usize, FixedState> = HashMap::default();
    let mut keys: Vec<K> = Vec::new();
    let mut slots = Vec::with_capacity(items.len());
    for (part_keys, part_slots) in parts {
        let global: Vec<usize> = part_keys
            .into_iter()
            .map(|k| {
                *slot_of.entry(k).or_insert_with(|| {
                    keys.push(k);
                    keys.len() - 1
                })
            })
            .collect();
        slots.extend(part_slots.into_iter().map(|s| global[s]));
    }
    (keys, slots)
}

/// [`first_seen_slots`] on one core.
fn numbered<'a, T, K: Eq + Hash + Copy>(
    items: &'a [T],
    key: &impl Fn(&'a T) -> K,
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

    #[test]
    fn long_slices_numbered_in_parts_get_the_slots_one_pass_gives() {
        // Runs of equal keys, keys coming back across part boundaries, and keys first seen
        // in a later part.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let items: Vec<u32> = (0..5 * PART_MIN + 17)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if i % 5 == 0 {
                    (state % 3000) as u32
                } else {
                    (i / 7) as u32 % 2500
                }
            })
            .collect();
        for threads in [1, 2, 3, 8] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let parted = pool.install(|| first_seen_slots(&items, |x| *x));
            assert_eq!(parted, numbered(&items, &|x: &u32| *x), "{threads} threads");
        }
    }
}
