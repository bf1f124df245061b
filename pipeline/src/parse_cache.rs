//! Content-hash cache of parsed raw files, so a refresh re-parses only files whose bytes (or
//! declared tool) changed. Keyed by SHA-256 of the content; invalidated wholesale when the
//! generator version changes, because a parser fix must re-read everything.

use crate::error::PipelineError;
use crate::formats::Parsed;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// What reading one file gave: the format and what it held, or why it was rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    Read { tool: String, parsed: Parsed },
    Rejected(String),
}

#[derive(Debug, Default)]
pub struct ParseCache {
    /// Shared with the ingest that reads them: a hit is not copied.
    entries: BTreeMap<String, Arc<Outcome>>,
}

const GENERATOR: &str = concat!("infercat ", env!("CARGO_PKG_VERSION"));

/// One line of the cache file after the first (which is the generator, a JSON string).
#[derive(Serialize, Deserialize)]
struct Line<'a> {
    key: std::borrow::Cow<'a, str>,
    outcome: std::borrow::Cow<'a, Outcome>,
}

impl ParseCache {
    /// Loads a cache file: JSON Lines, parsed on every core (the cache is as large as the
    /// raw files it stands for). A missing, unreadable, foreign-version or damaged file is an
    /// empty cache (the cache is an optimization, never a source of truth).
    pub fn load(path: &Path) -> Self {
        std::fs::read(path)
            .ok()
            .and_then(|bytes| Self::parse(&bytes))
            .unwrap_or_default()
    }

    fn parse(bytes: &[u8]) -> Option<Self> {
        use rayon::prelude::*;
        let mut lines = bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty());
        let generator: String = serde_json::from_slice(lines.next()?).ok()?;
        if generator != GENERATOR {
            return None;
        }
        let lines: Vec<&[u8]> = lines.collect();
        let entries = lines
            .par_iter()
            .map(|line| {
                let l: Line = serde_json::from_slice(line).ok()?;
                Some((l.key.into_owned(), Arc::new(l.outcome.into_owned())))
            })
            .collect::<Option<BTreeMap<_, _>>>()?;
        Some(Self { entries })
    }

    pub fn key(content_hash: &str, declared_tool: Option<&str>) -> String {
        format!("{content_hash}:{}", declared_tool.unwrap_or("-"))
    }

    pub fn get(&self, key: &str) -> Option<&Arc<Outcome>> {
        self.entries.get(key)
    }

    /// Keeps exactly the entries of this run (so the cache does not grow forever).
    pub fn replace(&mut self, entries: BTreeMap<String, Arc<Outcome>>) {
        self.entries = entries;
    }

    /// Writes the cache atomically (temp file + rename), its lines serialized on every core
    /// in chunks, so neither the whole text nor a value tree of it is ever in memory.
    pub fn save(&self, path: &Path) -> Result<(), PipelineError> {
        use rayon::prelude::*;
        use std::io::Write;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| PipelineError::io(dir, e))?;
        }
        let tmp = path.with_extension("tmp");
        let failed = |e: &dyn std::fmt::Display| PipelineError::Table {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let io = |e| PipelineError::io(&tmp, e);
        let mut out = std::fs::File::create(&tmp).map_err(io)?;
        let mut head = serde_json::to_vec(GENERATOR).map_err(|e| failed(&e))?;
        head.push(b'\n');
        out.write_all(&head).map_err(io)?;
        let entries: Vec<(&String, &Arc<Outcome>)> = self.entries.iter().collect();
        for block in entries.chunks(4096) {
            let parts = block
                .par_chunks(256)
                .map(|chunk| {
                    let mut bytes = Vec::new();
                    for (key, outcome) in chunk {
                        let line = Line {
                            key: std::borrow::Cow::Borrowed(key.as_str()),
                            outcome: std::borrow::Cow::Borrowed(outcome.as_ref()),
                        };
                        serde_json::to_writer(&mut bytes, &line)?;
                        bytes.push(b'\n');
                    }
                    Ok(bytes)
                })
                .collect::<Result<Vec<Vec<u8>>, serde_json::Error>>()
                .map_err(|e| failed(&e))?;
            for part in parts {
                out.write_all(&part).map_err(io)?;
            }
        }
        drop(out);
        std::fs::rename(&tmp, path).map_err(|e| PipelineError::io(path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache_of(n: usize) -> ParseCache {
        let mut cache = ParseCache::default();
        cache.replace(
            (0..n)
                .map(|i| {
                    let outcome =
                        Arc::new(Outcome::Rejected(format!("reason {i}\nwith a line break")));
                    (ParseCache::key(&format!("{i:064x}"), Some("vllm")), outcome)
                })
                .collect(),
        );
        cache
    }

    #[test]
    fn a_saved_cache_loads_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.jsonl");
        let cache = cache_of(5000);
        cache.save(&path).unwrap();
        let loaded = ParseCache::load(&path);
        assert_eq!(loaded.entries, cache.entries);
    }

    #[test]
    fn a_damaged_or_foreign_cache_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.jsonl");
        cache_of(3).save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, &text[..text.len() - 10]).unwrap();
        assert!(ParseCache::load(&path).entries.is_empty(), "a cut line");
        std::fs::write(&path, text.replace(GENERATOR, "infercat 0.0.0")).unwrap();
        assert!(
            ParseCache::load(&path).entries.is_empty(),
            "another version"
        );
        assert!(
            ParseCache::load(&dir.path().join("missing"))
                .entries
                .is_empty()
        );
    }
}
