//! Content-hash cache of parsed raw files, so a refresh re-parses only files whose bytes (or
//! declared tool) changed. Keyed by SHA-256 of the content; invalidated wholesale when the
//! generator version or the pipeline's source (fingerprinted by `build.rs`) changes, because a
//! parser fix must re-read everything. A build that only adds entries appends them to the
//! file; one that drops any writes the file anew. A loaded entry's points or server metrics
//! are decoded only when they are taken ([`Parse`]): a refresh takes only those of the runs it
//! makes again.

use crate::error::PipelineError;
use crate::formats::Parsed;
use crate::framed_file::{self, body, whole_value};
use crate::point::{MeasuredPoint, ServerMetrics};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// What reading one file gave: the format and what it held, or why it was rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    Read { tool: String, parsed: Parsed },
    Rejected(String),
}

/// A file's outcome as the cache hands it out: made by this build, or loaded from the cache
/// file, where what it is (its [`Kind`]) is known and its points or metrics are still bytes.
#[derive(Debug, Clone)]
pub enum Parse {
    Made(Arc<Outcome>),
    Loaded(Arc<LoadedParse>),
}

/// An entry of the loaded cache file.
pub struct LoadedParse {
    head: Head,
    /// The loaded file's whole frames, shared by every entry loaded from it.
    file: Arc<Vec<u8>>,
    /// Its points or server metrics in `file`, as postcard; empty for the other kinds.
    payload: Range<usize>,
}

/// The head and place, not the file's bytes.
impl std::fmt::Debug for LoadedParse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedParse")
            .field("head", &self.head)
            .field("payload", &self.payload)
            .finish()
    }
}

/// What an outcome is, without its points or metrics: all the ingest asks of a file before
/// it knows whether the file's run is made again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind<'a> {
    Rejected(&'a str),
    NoPoints { tool: &'a str, reason: &'a str },
    ServerMetrics { tool: &'a str },
    Points { tool: &'a str, count: usize },
}

/// A cache record's head: an outcome without its payload (the points or server metrics that
/// follow it in the frame).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Head {
    Rejected(String),
    NoPoints { tool: String, reason: String },
    ServerMetrics { tool: String },
    Points { tool: String, count: usize },
}

impl Head {
    fn kind(&self) -> Kind<'_> {
        match self {
            Head::Rejected(reason) => Kind::Rejected(reason),
            Head::NoPoints { tool, reason } => Kind::NoPoints { tool, reason },
            Head::ServerMetrics { tool } => Kind::ServerMetrics { tool },
            Head::Points { tool, count } => Kind::Points {
                tool,
                count: *count,
            },
        }
    }

    /// Whether a payload follows the head in its frame.
    fn has_payload(&self) -> bool {
        matches!(self, Head::ServerMetrics { .. } | Head::Points { .. })
    }
}

impl Outcome {
    fn kind(&self) -> Kind<'_> {
        match self {
            Outcome::Rejected(reason) => Kind::Rejected(reason),
            Outcome::Read { tool, parsed } => match parsed {
                Parsed::NoPoints(reason) => Kind::NoPoints { tool, reason },
                Parsed::ServerMetrics(_) => Kind::ServerMetrics { tool },
                Parsed::Points(points) => Kind::Points {
                    tool,
                    count: points.len(),
                },
            },
        }
    }

    /// The outcome's frame body: the key, head and payload's CRC-32, then the payload.
    fn encode(&self, key: &str, out: &mut Vec<u8>) -> Result<(), postcard::Error> {
        let head = match self.kind() {
            Kind::Rejected(reason) => Head::Rejected(reason.to_string()),
            Kind::NoPoints { tool, reason } => Head::NoPoints {
                tool: tool.to_string(),
                reason: reason.to_string(),
            },
            Kind::ServerMetrics { tool } => Head::ServerMetrics {
                tool: tool.to_string(),
            },
            Kind::Points { tool, count } => Head::Points {
                tool: tool.to_string(),
                count,
            },
        };
        let payload = match self {
            Outcome::Read {
                parsed: Parsed::Points(points),
                ..
            } => postcard::to_allocvec(points)?,
            Outcome::Read {
                parsed: Parsed::ServerMetrics(metrics),
                ..
            } => postcard::to_allocvec(metrics)?,
            _ => Vec::new(),
        };
        out.extend(postcard::to_allocvec(&(
            key,
            &head,
            crc32fast::hash(&payload),
        ))?);
        out.extend_from_slice(&payload);
        Ok(())
    }
}

impl Parse {
    pub fn made(outcome: Outcome) -> Self {
        Parse::Made(Arc::new(outcome))
    }

    pub fn kind(&self) -> Kind<'_> {
        match self {
            Parse::Made(outcome) => outcome.kind(),
            Parse::Loaded(loaded) => loaded.head.kind(),
        }
    }

    /// The tool the file was read as; None where it was rejected.
    pub fn tool(&self) -> Option<&str> {
        match self.kind() {
            Kind::Rejected(_) => None,
            Kind::NoPoints { tool, .. }
            | Kind::ServerMetrics { tool }
            | Kind::Points { tool, .. } => Some(tool),
        }
    }

    /// The whole outcome: moved out where no one else holds it, else copied; a loaded one
    /// decoded from its bytes. None where those bytes do not decode (the file is then to be
    /// read again: the cache is never a source of truth).
    pub fn into_outcome(self) -> Option<Outcome> {
        match self {
            Parse::Made(outcome) => {
                Some(Arc::try_unwrap(outcome).unwrap_or_else(|shared| (*shared).clone()))
            }
            Parse::Loaded(loaded) => loaded.outcome(),
        }
    }

    /// Whether the cache holds it: loaded from the cache file (what this build makes is only
    /// added when the cache is saved).
    pub fn is_cached(&self) -> bool {
        matches!(self, Parse::Loaded(_))
    }

    /// Whether this is the entry `cached` loaded (so its frame can be kept as it is).
    fn is(&self, cached: &Parse) -> bool {
        match (self, cached) {
            (Parse::Made(a), Parse::Made(b)) => Arc::ptr_eq(a, b),
            (Parse::Loaded(a), Parse::Loaded(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl LoadedParse {
    fn outcome(&self) -> Option<Outcome> {
        let payload = &self.file[self.payload.clone()];
        let read = |tool: &String, parsed| {
            Some(Outcome::Read {
                tool: tool.clone(),
                parsed,
            })
        };
        match &self.head {
            Head::Rejected(reason) => Some(Outcome::Rejected(reason.clone())),
            Head::NoPoints { tool, reason } => read(tool, Parsed::NoPoints(reason.clone())),
            Head::ServerMetrics { tool } => read(
                tool,
                Parsed::ServerMetrics(whole_value::<ServerMetrics>(payload)?),
            ),
            Head::Points { tool, count } => {
                let points: Vec<MeasuredPoint> = whole_value(payload)?;
                (points.len() == *count).then_some(())?;
                read(tool, Parsed::Points(points))
            }
        }
    }
}

#[derive(Default)]
pub struct ParseCache {
    entries: BTreeMap<String, Cached>,
    /// The file the cache was loaded from (its whole frames): an entry it held is saved as its
    /// bytes there, not encoded again (a one-run refresh at 10,000 runs re-encoded 16 MB for
    /// one new entry).
    loaded: Arc<Vec<u8>>,
    /// How many entries the loaded file held.
    loaded_entries: usize,
    /// What the loaded file was when it was read: it is appended to only while it still is.
    loaded_as: Option<framed_file::FileIdentity>,
}

/// The entries and the loaded file's size, not its bytes.
impl std::fmt::Debug for ParseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParseCache")
            .field("entries", &self.entries.len())
            .field("loaded_bytes", &self.loaded.len())
            .finish()
    }
}

struct Cached {
    /// Shared with the ingest that reads it: a hit is not copied.
    parse: Parse,
    /// Where its frame lies in [`ParseCache::loaded`], if it was loaded.
    frame: Option<Range<usize>>,
}

const GENERATOR: &str = concat!(
    "infercat ",
    env!("CARGO_PKG_VERSION"),
    " source ",
    env!("INFERCAT_PIPELINE_SOURCE")
);

impl ParseCache {
    /// Loads a cache file, its entries' heads decoded on every core. A missing, unreadable,
    /// foreign-version or damaged file is an empty cache (the cache is an optimization, never
    /// a source of truth).
    pub fn load(path: &Path) -> Self {
        let Some((bytes, loaded_as)) = framed_file::read(path) else {
            return Self::default();
        };
        Self::parse(bytes).map_or_else(Self::default, |cache| Self { loaded_as, ..cache })
    }

    /// The file is a sequence of frames ([`framed_file`] records) of postcard (a compact binary
    /// serde format). The first frame is the generator; every other frame is one entry: its
    /// key, [`Head`] and its payload's CRC-32, then its payload (the points or server
    /// metrics). Binary, because the cache is as large as the raw files it stands for and a refresh reads
    /// all of it: as JSON Lines that was 0.3–0.9 s to load and 0.2 s to save at 10,000 runs.
    /// Heads apart from payloads, because decoding every point of 10,000 runs took 50 ms of CPU
    /// and 40 MB of memory in a one-run refresh, which takes only one run's. Each payload's
    /// CRC-32 is checked as the file loads, so a damaged one is never decoded: its entry is
    /// left out, its file parsed again and the file written whole.
    fn parse(mut bytes: Vec<u8>) -> Option<Self> {
        use rayon::prelude::*;
        let frames = framed_file::records(&bytes);
        bytes.truncate(frames.last().map_or(0, |f| f.end));
        let (generator, records) = frames.split_first()?;
        if whole_value::<&str>(body(&bytes, generator))? != GENERATOR {
            return None;
        }
        let heads = records
            .par_iter()
            .map(|record| {
                let (key, head, payload) = entry_head(&bytes, record)?;
                Some(payload.map(|payload| (key.to_string(), head, payload)))
            })
            .collect::<Option<Vec<_>>>()?;
        let file = Arc::new(bytes);
        // An entry whose payload is damaged is left out: its file is parsed again, and the
        // file written whole without it.
        let entries = heads
            .into_iter()
            .zip(records)
            .filter_map(|(entry, frame)| Some((entry?, frame)))
            .map(|((key, head, payload), frame)| {
                let loaded = LoadedParse {
                    head,
                    file: Arc::clone(&file),
                    payload,
                };
                let cached = Cached {
                    parse: Parse::Loaded(Arc::new(loaded)),
                    frame: Some(frame.clone()),
                };
                (key, cached)
            })
            .collect();
        Some(Self {
            entries,
            loaded: file,
            loaded_entries: records.len(),
            loaded_as: None,
        })
    }

    pub fn key(content_hash: &str, declared_tool: Option<&str>) -> String {
        format!("{content_hash}:{}", declared_tool.unwrap_or("-"))
    }

    pub fn get(&self, key: &str) -> Option<&Parse> {
        self.entries.get(key).map(|c| &c.parse)
    }

    /// Keeps exactly the entries of this run (so the cache does not grow forever). An entry
    /// that is the very outcome loaded under its key keeps its frame in the loaded file; any
    /// other outcome is encoded when saved.
    pub fn replace(&mut self, entries: BTreeMap<String, Parse>) {
        let mut before = std::mem::take(&mut self.entries);
        self.entries = entries
            .into_iter()
            .map(|(key, parse)| {
                let frame = before
                    .remove(&key)
                    .filter(|loaded| parse.is(&loaded.parse))
                    .and_then(|loaded| loaded.frame);
                (key, Cached { parse, frame })
            })
            .collect();
    }

    /// The cache file's bytes. Where every entry the loaded file held is kept, only the new
    /// entries, to be appended to it: a one-run refresh at 10,000 runs wrote 16 MB again for
    /// one entry, and on a busy machine that write alone took 150 ms. Else the whole file:
    /// each entry the loaded file held copied from it, the others encoded (on every core, in
    /// blocks).
    pub fn encoded(&self) -> Result<EncodedCache, String> {
        let kept = self.entries.values().filter(|c| c.frame.is_some()).count();
        if let Some(loaded_as) = self.loaded_as
            && !self.loaded.is_empty()
            && kept == self.loaded_entries
        {
            let mut tail = Vec::new();
            self.encode_entries(&mut tail, |c| c.frame.is_none())?;
            return Ok(EncodedCache(Encoded::Appended {
                loaded_as,
                after: self.loaded.len(),
                tail,
            }));
        }
        let mut bytes = Vec::with_capacity(self.loaded.len());
        let generator = postcard::to_allocvec(GENERATOR).map_err(|e| e.to_string())?;
        framed_file::push(&mut bytes, &generator)?;
        self.encode_entries(&mut bytes, |_| true)?;
        Ok(EncodedCache(Encoded::Whole(bytes)))
    }

    /// Appends the frames of the entries `wanted` to `bytes`, in key order.
    fn encode_entries(
        &self,
        bytes: &mut Vec<u8>,
        wanted: impl Fn(&Cached) -> bool + Sync,
    ) -> Result<(), String> {
        use rayon::prelude::*;
        let entries: Vec<(&String, &Cached)> =
            self.entries.iter().filter(|(_, c)| wanted(c)).collect();
        for block in entries.chunks(4096) {
            let parts = block
                .par_chunks(256)
                .map(|chunk| {
                    let mut part = Vec::new();
                    let mut body = Vec::new();
                    for (key, cached) in chunk {
                        if let Some(frame) = &cached.frame {
                            part.extend_from_slice(&self.loaded[frame.clone()]);
                            continue;
                        }
                        // A loaded entry kept under another key is decoded to be encoded.
                        let outcome = match &cached.parse {
                            Parse::Made(outcome) => std::borrow::Cow::Borrowed(outcome.as_ref()),
                            Parse::Loaded(loaded) => std::borrow::Cow::Owned(
                                loaded
                                    .outcome()
                                    .ok_or("a cache entry that does not decode")?,
                            ),
                        };
                        body.clear();
                        outcome.encode(key, &mut body).map_err(|e| e.to_string())?;
                        framed_file::push(&mut part, &body)?;
                    }
                    Ok(part)
                })
                .collect::<Result<Vec<Vec<u8>>, String>>()?;
            for part in parts {
                bytes.extend_from_slice(&part);
            }
        }
        Ok(())
    }

    /// Writes the cache (see [`EncodedCache::save`]).
    pub fn save(&self, path: &Path) -> Result<(), PipelineError> {
        self.encoded()
            .map_err(|reason| PipelineError::Table {
                path: path.to_path_buf(),
                reason,
            })?
            .save(path)
    }
}

/// A cache as its file is to hold it, made while the cache's outcomes are at hand and written
/// later, on a thread of its own, while ingest goes on without them.
#[derive(Debug)]
pub struct EncodedCache(Encoded);

#[derive(Debug)]
enum Encoded {
    /// The whole file.
    Whole(Vec<u8>),
    /// Frames to write after the first `after` bytes of the file the cache was loaded from,
    /// which was `loaded_as` then.
    Appended {
        loaded_as: framed_file::FileIdentity,
        after: usize,
        tail: Vec<u8>,
    },
}

impl EncodedCache {
    /// Writes the file: a whole one atomically (temp file + rename); new frames after the
    /// loaded file's whole frames, cutting off whatever followed them (a killed build's
    /// partial append, which the next load leaves out anyway). Killed while appending, the
    /// file loads as before with some of the new frames. A file that is no longer the one
    /// loaded is left alone (its entries are not this build's to extend), and one with other
    /// names (a hard-linked copy of the output) is replaced whole, not written through.
    pub fn save(self, path: &Path) -> Result<(), PipelineError> {
        match self.0 {
            Encoded::Whole(bytes) => crate::output_dir::replace_file(path, &bytes),
            Encoded::Appended {
                loaded_as,
                after,
                tail,
            } => framed_file::append_after(path, loaded_as, after as u64, &tail),
        }
    }
}

/// A frame's key and head, and where its payload lies in the file (None where the payload is
/// damaged: its CRC-32 is not the one saved, or it is too short for the points the head
/// counts).
type EntryHead<'b> = (&'b str, Head, Option<Range<usize>>);

/// The entry in `frame` of `bytes`; None where the frame is not one this cache wrote.
fn entry_head<'b>(bytes: &'b [u8], frame: &Range<usize>) -> Option<EntryHead<'b>> {
    let body = body(bytes, frame);
    let ((key, head, check), payload) =
        postcard::take_from_bytes::<(&str, Head, u32)>(body).ok()?;
    if head.has_payload() == payload.is_empty() {
        return None;
    }
    // Every point takes at least one byte: a count past that is no count this cache saved.
    let plausible = match head {
        Head::Points { count, .. } => count <= payload.len(),
        _ => true,
    };
    let whole = plausible && crc32fast::hash(payload) == check;
    let payload_start = frame.end - payload.len();
    Some((key, head, whole.then_some(payload_start..frame.end)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::point::{Load, MeasuredPoint};

    impl EncodedCache {
        /// The whole file's bytes (a cache that appends has none).
        fn whole(self) -> Vec<u8> {
            match self.0 {
                Encoded::Whole(bytes) => bytes,
                Encoded::Appended { .. } => panic!("an append, not a whole file"),
            }
        }
    }

    /// The outcome cached under entry `i`: every third a file's points (figures missing,
    /// latencies in part, record fields out of order), the others a rejection.
    fn outcome_of(i: usize) -> Outcome {
        if !i.is_multiple_of(3) {
            return Outcome::Rejected(format!("reason {i}\nwith a line break"));
        }
        let mut point = MeasuredPoint::new(Load::Rate(i as f64 / 8.0), 100.0 + i as f64);
        point.set_requests_per_s(Some(i as f64 / 9.0));
        point.ttft.set_p50(Some(12.5));
        point.label = i.is_multiple_of(2).then(|| format!("label {i}"));
        point.fields.insert("zeta".into(), i.to_string());
        point.fields.insert("alpha".into(), "a".into());
        Outcome::Read {
            tool: "vllm".into(),
            parsed: Parsed::Points(vec![point.clone(), point]),
        }
    }

    /// Entry `i`'s key: hashes spread over the key space, so entries loaded and new ones
    /// interleave in key order.
    fn key_of(i: usize) -> String {
        let spread = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        ParseCache::key(&format!("{spread:064x}"), Some("vllm"))
    }

    fn cache_of(n: usize) -> ParseCache {
        let mut cache = ParseCache::default();
        cache.replace(
            (0..n)
                .map(|i| (key_of(i), Parse::made(outcome_of(i))))
                .collect(),
        );
        cache
    }

    fn outcomes(cache: &ParseCache) -> Vec<(&String, Outcome)> {
        cache
            .entries
            .iter()
            .map(|(k, c)| (k, c.parse.clone().into_outcome().expect("decodes")))
            .collect()
    }

    #[test]
    fn a_saved_cache_loads_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.bin");
        let cache = cache_of(5000);
        cache.save(&path).unwrap();
        let loaded = ParseCache::load(&path);
        assert_eq!(outcomes(&loaded), outcomes(&cache));
    }

    #[test]
    fn a_loaded_cache_saves_the_bytes_a_new_one_would() {
        let mut loaded = reloaded(&cache_of(600));
        // Some entries kept, some gone, some new (their keys among the kept ones').
        let wanted = cache_of(900);
        let kept: BTreeMap<String, Parse> = wanted
            .entries
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 3 != 0)
            .map(|(_, (k, c))| {
                let outcome = loaded.get(k).cloned().unwrap_or_else(|| c.parse.clone());
                (k.clone(), outcome)
            })
            .collect();
        assert!(kept.keys().any(|k| loaded.get(k).is_some()));
        assert!(kept.keys().any(|k| loaded.get(k).is_none()));
        replace_as_a_new_cache_would(&mut loaded, kept);
        assert!(loaded.entries.values().any(|c| c.frame.is_some()));
    }

    /// `cache` as the next build loads it from its file.
    fn reloaded(cache: &ParseCache) -> ParseCache {
        ParseCache::parse(cache.encoded().unwrap().whole()).expect("a cache file")
    }

    /// Replaces `loaded`'s entries, and checks it encodes them as a cache never loaded would.
    fn replace_as_a_new_cache_would(loaded: &mut ParseCache, entries: BTreeMap<String, Parse>) {
        let mut fresh = ParseCache::default();
        fresh.replace(entries.clone());
        loaded.replace(entries);
        assert_eq!(
            loaded.encoded().unwrap().whole(),
            fresh.encoded().unwrap().whole()
        );
    }

    #[test]
    fn an_outcome_other_than_the_loaded_one_is_encoded_again() {
        let mut loaded = reloaded(&cache_of(4));
        let other = Parse::made(Outcome::Rejected("parsed again".into()));
        replace_as_a_new_cache_would(&mut loaded, [(key_of(1), other)].into_iter().collect());
    }

    #[test]
    fn a_cache_file_cut_anywhere_loads_the_whole_frames_before_the_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.bin");
        cache_of(3).save(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        for end in 0..bytes.len() {
            assert!(ParseCache::parse(bytes[..end].to_vec()).is_none_or(|c| c.entries.len() < 3));
        }
        assert_eq!(
            ParseCache::parse(bytes.clone()).map(|c| c.entries.len()),
            Some(3)
        );
        let mut huge = bytes;
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        huge.extend_from_slice(b"short");
        let cut = ParseCache::parse(huge).expect("the whole frames");
        assert_eq!(
            cut.entries.len(),
            3,
            "a frame longer than the file is left out"
        );
    }

    #[test]
    fn new_entries_are_appended_and_a_cut_append_is_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.bin");
        cache_of(300).save(&path).unwrap();
        let wanted = cache_of(400);
        // What a build keeps: the loaded outcomes under their keys, the rest new.
        let next = |loaded: &ParseCache| -> BTreeMap<String, Parse> {
            wanted
                .entries
                .iter()
                .map(|(k, c)| (k.clone(), loaded.get(k).unwrap_or(&c.parse).clone()))
                .collect()
        };
        let mut loaded = ParseCache::load(&path);
        loaded.replace(next(&loaded));
        let encoded = loaded.encoded().unwrap();
        let Encoded::Appended { after, tail, .. } = &encoded.0 else {
            panic!("appended");
        };
        assert_eq!(*after as u64, std::fs::metadata(&path).unwrap().len());
        assert!(!tail.is_empty());
        encoded.save(&path).unwrap();
        assert_eq!(outcomes(&ParseCache::load(&path)), outcomes(&wanted));
        // Killed while appending: the whole frames load, the next append cuts the rest off.
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 7]).unwrap();
        let mut cut = ParseCache::load(&path);
        assert_eq!(cut.entries.len(), 399);
        cut.replace(next(&cut));
        cut.save(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        // Nothing new, nothing written.
        let mut same = ParseCache::load(&path);
        same.replace(next(&same));
        let encoded = same.encoded().unwrap();
        assert!(matches!(&encoded.0, Encoded::Appended { tail, .. } if tail.is_empty()));
        encoded.save(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        // A hard-linked copy keeps its bytes: the file is replaced, not written through.
        let copy = dir.path().join("copy.bin");
        std::fs::hard_link(&path, &copy).unwrap();
        let mut linked = ParseCache::load(&path);
        let mut entries = next(&linked);
        entries.insert(key_of(1000), Parse::made(outcome_of(1000)));
        linked.replace(entries);
        linked.save(&path).unwrap();
        assert_eq!(std::fs::read(&copy).unwrap(), bytes);
        assert_eq!(ParseCache::load(&path).entries.len(), 401);
        // Replaced while the build ran (another cache as long or longer): left alone.
        let mut stale = ParseCache::load(&copy);
        stale.replace(next(&stale));
        let encoded = stale.encoded().unwrap();
        let other = [bytes.as_slice(), b"\0\0\0\0"].concat();
        std::fs::write(dir.path().join("other.bin"), &other).unwrap();
        std::fs::rename(dir.path().join("other.bin"), &copy).unwrap();
        assert!(encoded.save(&copy).is_err());
        assert_eq!(std::fs::read(&copy).unwrap(), other);
        // One gone: the whole file again, as a new cache writes it.
        let mut fewer = ParseCache::load(&path);
        let mut entries = next(&fewer);
        entries.pop_first();
        replace_as_a_new_cache_would(&mut fewer, entries);
    }

    /// The cache file of `n` entries with `damage` done to the body of entry `at`'s frame
    /// (counted after the generator).
    fn damaged(n: usize, at: usize, damage: impl Fn(&mut [u8])) -> Vec<u8> {
        let mut bytes = cache_of(n).encoded().unwrap().whole();
        let frame = framed_file::records(&bytes)[at + 1].clone();
        damage(&mut bytes[frame.start + 4..frame.end]);
        bytes
    }

    #[test]
    fn an_entry_whose_points_are_damaged_is_left_out_and_the_others_load() {
        // Entry 0 holds points (every third does): the last byte of its points flipped.
        let flipped = damaged(6, 0, |body| {
            let last = body.len() - 1;
            body[last] ^= 0x01;
        });
        let loaded = ParseCache::parse(flipped).expect("a cache");
        assert_eq!(loaded.entries.len(), 5);
        assert!(loaded.get(&key_of(0)).is_none());
        let mut wanted = cache_of(6);
        wanted.entries.remove(&key_of(0));
        assert_eq!(outcomes(&loaded), outcomes(&wanted));
        // A loaded file missing an entry it held is written whole, as a new cache writes it.
        let mut entries: BTreeMap<String, Parse> = loaded
            .entries
            .iter()
            .map(|(k, c)| (k.clone(), c.parse.clone()))
            .collect();
        entries.insert(key_of(0), Parse::made(outcome_of(0)));
        let mut mended = loaded;
        replace_as_a_new_cache_would(&mut mended, entries);
        // A head counting more points than its payload has bytes: left out too, though its
        // checksum holds (a count past any payload's must not size what the rows are made in).
        let one_point = |count: usize| {
            let payload =
                postcard::to_allocvec(&[MeasuredPoint::new(Load::Rate(1.0), 2.0)]).unwrap();
            let head = Head::Points {
                tool: "vllm".into(),
                count,
            };
            let check = crc32fast::hash(&payload);
            let mut body = postcard::to_allocvec(&(key_of(0).as_str(), &head, check)).unwrap();
            body.extend_from_slice(&payload);
            let mut file = Vec::new();
            framed_file::push(&mut file, &postcard::to_allocvec(GENERATOR).unwrap()).unwrap();
            framed_file::push(&mut file, &body).unwrap();
            ParseCache::parse(file).expect("a cache").entries.len()
        };
        assert_eq!(one_point(usize::MAX), 0);
        assert_eq!(one_point(1), 1, "the same frame counting its one point");
    }

    #[test]
    fn a_damaged_or_foreign_cache_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.bin");
        let mut rejections = ParseCache::default();
        rejections.replace(
            [1, 2, 4]
                .into_iter()
                .map(|i| (key_of(i), Parse::made(outcome_of(i))))
                .collect(),
        );
        rejections.save(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 10]).unwrap();
        assert_eq!(
            ParseCache::load(&path).entries.len(),
            2,
            "a cut record is left out"
        );
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
