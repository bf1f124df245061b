//! Numbering items by a key, each distinct key a slot in the order it first comes. Rows arrive
//! a file at a time and mostly share their key with the row before, so a run of equal keys is
//! looked up once: one comparison with the previous item instead of a hash per item. Long
//! slices are numbered a part per core, and the parts' slots then renumbered in order. Items
//! are also put together by key here, and moved into any order, without a second buffer.

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

/// Moves `items` so that those of one slot (as [`first_seen_slots`] numbered them) lie
/// together, slots in order, keeping the order items of one slot came in (a stable grouping).
/// Nothing moves where they already lie so.
pub fn group_by_slots<T>(items: &mut [T], slots: &[usize]) {
    if slots.is_sorted() {
        return;
    }
    // A counting sort of the slots: where each slot's items start, then each item in turn.
    let mut starts = vec![0usize; slots.iter().max().map_or(0, |&m| m + 1) + 1];
    for &slot in slots {
        starts[slot + 1] += 1;
    }
    for s in 1..starts.len() {
        starts[s] += starts[s - 1];
    }
    let mut order = vec![0usize; slots.len()];
    for (i, &slot) in slots.iter().enumerate() {
        order[starts[slot]] = i;
        starts[slot] += 1;
    }
    move_into_order(items, order);
}

/// Moves each item once along the permutation's cycles, so that the item at `order[k]` ends at
/// `k`: sorting large items themselves stably would allocate a buffer of half of them.
pub fn move_into_order<T>(items: &mut [T], mut order: Vec<usize>) {
    const PLACED: usize = usize::MAX;
    for start in 0..order.len() {
        let mut k = start;
        while order[k] != PLACED {
            let from = order[k];
            order[k] = PLACED;
            if from == start {
                break;
            }
            items.swap(k, from);
            k = from;
        }
    }
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

    #[test]
    fn grouping_keeps_first_seen_key_order_and_each_keys_own_order() {
        let mut items = [("b", 0), ("a", 1), ("b", 2), ("c", 3), ("a", 4), ("b", 5)];
        let slots = first_seen_slots(&items, |(k, _)| *k).1;
        group_by_slots(&mut items, &slots);
        assert_eq!(
            items,
            [("b", 0), ("b", 2), ("b", 5), ("a", 1), ("a", 4), ("c", 3)]
        );
        let mut grouped = [1, 1, 2, 3, 3];
        let slots = first_seen_slots(&grouped, |x| *x).1;
        group_by_slots(&mut grouped, &slots);
        assert_eq!(grouped, [1, 1, 2, 3, 3]);
    }

    #[test]
    fn items_move_to_where_the_order_puts_them() {
        let mut items = ['a', 'b', 'c', 'd', 'e'];
        move_into_order(&mut items, vec![3, 0, 4, 1, 2]);
        assert_eq!(items, ['d', 'a', 'e', 'b', 'c']);
        let mut none: [char; 0] = [];
        move_into_order(&mut none, Vec::new());
    }
}
