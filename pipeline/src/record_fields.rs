//! A record's own settings as text, by name (`backend`, `max_concurrency`, vLLM's
//! `--metadata` tags): what `[[series]] match` selects on and what tells colliding points of one
//! file apart. A sorted vector rather than a `BTreeMap`: a record states a handful, and ingest
//! holds every point's at once (100,000 points' maps were 46 MB, mostly B-tree nodes with room
//! for eleven entries). It reads, collects and serializes as that map did.

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Unique names in name order, each with its value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFields(Vec<(String, String)>);

impl RecordFields {
    fn position(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(name))
    }

    pub fn get(&self, name: &str) -> Option<&String> {
        self.position(name).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.position(name).is_ok()
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sets `name`, replacing the value it had.
    pub fn insert(&mut self, name: String, value: String) {
        match self.position(&name) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (name, value)),
        }
    }

    /// Sets `name` unless it already has a value.
    pub fn insert_if_absent(&mut self, name: String, value: String) {
        if let Err(i) = self.position(&name) {
            self.0.insert(i, (name, value));
        }
    }
}

/// Like a map's: a name given twice keeps its last value. Sorted once (stably, so the entries
/// of one name stay in the order given), not inserted one by one into place.
impl FromIterator<(String, String)> for RecordFields {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let mut entries: Vec<(String, String)> = iter.into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        // `dedup_by` keeps the first of a run and passes (later, kept); move the later value
        // onto the kept entry so the last one given wins.
        entries.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                std::mem::swap(&mut later.1, &mut kept.1);
            }
            same
        });
        entries.shrink_to_fit();
        RecordFields(entries)
    }
}

impl Serialize for RecordFields {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // A slice's iterator states its length, so the map is written with it.
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for RecordFields {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;
        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = RecordFields;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of text fields")
            }
            // Not sized from the map's stated length: a damaged cache file may state any, and
            // a damaged cache must read as an empty one, not abort an allocation.
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RecordFields, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, String>()? {
                    entries.push(entry);
                }
                Ok(entries.into_iter().collect())
            }
        }
        deserializer.deserialize_map(FieldsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn text_pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn record_fields_read_and_serialize_as_the_map_they_replace() {
        let pairs = text_pairs(&[
            ("tp", "8"),
            ("backend", "vllm"),
            ("tp", "4"),
            ("a", ""),
            ("tp", "2"),
        ]);
        let fields: RecordFields = pairs.iter().cloned().collect();
        let map: BTreeMap<String, String> = pairs.into_iter().collect();
        assert_eq!(fields.get("tp").map(String::as_str), Some("2"), "last wins");
        assert!(fields.contains_key("a") && !fields.contains_key("b"));
        assert_eq!(
            fields.keys().collect::<Vec<_>>(),
            map.keys().collect::<Vec<_>>()
        );
        let json = serde_json::to_string(&fields).unwrap();
        assert_eq!(json, serde_json::to_string(&map).unwrap());
        let back: RecordFields = serde_json::from_str(&json).unwrap();
        assert_eq!(back, fields);
        let bytes = postcard::to_allocvec(&fields).unwrap();
        assert_eq!(bytes, postcard::to_allocvec(&map).unwrap());
        assert_eq!(
            postcard::from_bytes::<RecordFields>(&bytes).unwrap(),
            fields
        );
    }

    #[test]
    fn a_name_given_twice_in_a_document_keeps_its_last_value() {
        let fields: RecordFields = serde_json::from_str(r#"{"tp":"8","ep":"1","tp":"4"}"#).unwrap();
        assert_eq!(fields.get("tp").map(String::as_str), Some("4"));
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["ep", "tp"]);
    }

    #[test]
    fn a_damaged_length_is_an_error_not_an_allocation() {
        // A map stating 2^63 − 1 entries (a postcard varint) and holding none.
        let bytes = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
        assert!(postcard::from_bytes::<RecordFields>(&bytes).is_err());
    }

    #[test]
    fn record_fields_insert_keeps_name_order_and_if_absent_keeps_the_first() {
        let mut fields = RecordFields::default();
        fields.insert("streaming".into(), "true".into());
        fields.insert_if_absent("backend".into(), "openai".into());
        fields.insert_if_absent("backend".into(), "vllm".into());
        fields.insert("streaming".into(), "false".into());
        let listed: Vec<_> = fields.iter().collect();
        assert_eq!(
            listed,
            [
                (&"backend".to_string(), &"openai".to_string()),
                (&"streaming".to_string(), &"false".to_string())
            ]
        );
    }
}
