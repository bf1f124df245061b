//! Content-hash cache of parsed raw files, so a refresh re-parses only files whose bytes (or
//! declared tool) changed. Keyed by SHA-256 of the content; invalidated wholesale when the
//! generator version or the pipeline's source (fingerprinted by `build.rs`) changes, because a
//! parser fix must re-read everything.

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

const GENERATOR: &str = concat!(
    "infercat ",
    env!("CARGO_PKG_VERSION"),
    " source ",
    env!("INFERCAT_PIPELINE_SOURCE")
);

/// One record of the cache file after the header (the generator).
#[derive(Serialize, Deserialize)]
struct Line<'a> {
    key: std::borrow::Cow<'a, str>,
    outcome: std::borrow::Cow<'a, Outcome>,
}

/// The file is a sequence of frames: a little-endian `u32` length, then that many bytes of
/// postcard (a compact binary serde format). The first frame is the generator; every other
/// frame is one [`Line`]. Binary, because the cache is as large as the raw files it stands
/// for and a refresh reads and writes all of it: as JSON Lines that was 0.3–0.9 s to load and
/// 0.2 s to save at 10,000 runs.
fn frame(out: &mut Vec<u8>, body: &[u8]) -> Option<()> {
    out.extend_from_slice(&u32::try_from(body.len()).ok()?.to_le_bytes());
    out.extend_from_slice(body);
    Some(())
}

fn encode_frame<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), String> {
    let body = postcard::to_allocvec(value).map_err(|e| e.to_string())?;
    frame(out, &body).ok_or_else(|| "a cache record over 4 GiB".to_string())
}

/// The frames of `bytes` in order; `None` if the last one is cut short.
fn frames(mut bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (len, rest) = bytes.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
        if rest.len() < len {
            return None;
        }
        let (body, rest) = rest.split_at(len);
        out.push(body);
        bytes = rest;
    }
    Some(out)
}

impl ParseCache {
    /// Loads a cache file, its records decoded on every core. A missing, unreadable,
    /// foreign-version or damaged file is an empty cache (the cache is an optimization, never
    /// a source of truth).
    pub fn load(path: &Path) -> Self {
        std::fs::read(path)
            .ok()
            .and_then(|bytes| Self::parse(&bytes))
            .unwrap_or_default()
    }

    fn parse(bytes: &[u8]) -> Option<Self> {
        use rayon::prelude::*;
        let frames = frames(bytes)?;
        let (generator, records) = frames.split_first()?;
        if postcard::from_bytes::<&str>(generator).ok()? != GENERATOR {
            return None;
        }
        let entries = records
            .par_iter()
            .map(|record| {
                let l: Line = postcard::from_bytes(record).ok()?;
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

    /// Writes the cache atomically (temp file + rename), its records encoded on every core in
    /// blocks, so the whole file is never in memory.
    pub fn save(&self, path: &Path) -> Result<(), PipelineError> {
        use rayon::prelude::*;
        use std::io::Write;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| PipelineError::io(dir, e))?;
        }
        let tmp = path.with_extension("tmp");
        let failed = |reason: String| PipelineError::Table {
            path: path.to_path_buf(),
            reason,
        };
        let io = |e| PipelineError::io(&tmp, e);
        let mut out = std::fs::File::create(&tmp).map_err(io)?;
        let mut head = Vec::new();
        encode_frame(&mut head, GENERATOR).map_err(failed)?;
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
                        encode_frame(&mut bytes, &line)?;
                    }
                    Ok(bytes)
                })
                .collect::<Result<Vec<Vec<u8>>, String>>()
                .map_err(failed)?;
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
        let path = dir.path().join("cache.bin");
        let cache = cache_of(5000);
        cache.save(&path).unwrap();
        let loaded = ParseCache::load(&path);
        assert_eq!(loaded.entries, cache.entries);
    }

    #[test]
    fn a_damaged_or_foreign_cache_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.bin");
        cache_of(3).save(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 10]).unwrap();
        assert!(ParseCache::load(&path).entries.is_empty(), "a cut record");
        // The last byte ends an ASCII reason: flipped, it is no longer UTF-8.
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0xff;
        std::fs::write(&path, &flipped).unwrap();
        assert!(
            ParseCache::load(&path).entries.is_empty(),
            "a record that no longer decodes"
        );
        let foreign = bytes
            .windows(GENERATOR.len())
            .position(|w| w == GENERATOR.as_bytes())
            .unwrap();
        let mut other = bytes.clone();
        other[foreign] = b'I';
        std::fs::write(&path, &other).unwrap();
        assert!(
            ParseCache::load(&path).entries.is_empty(),
            "another version"
        );
        std::fs::write(&path, b"{\"not\": \"a cache\"}\n").unwrap();
        assert!(ParseCache::load(&path).entries.is_empty(), "another format");
        assert!(
            ParseCache::load(&dir.path().join("missing"))
                .entries
                .is_empty()
        );
    }
}
