//! Reuse across refreshes: what a profile's files and a model's page were made from (their
//! fingerprints and records), and which files belong to one profile alone, so unchanged files
//! are carried over byte-identical instead of rendered again.

use crate::{GENERATOR, templates};
use pipeline::analysis::ProfileSummary;
use pipeline::digest::sha256_hex;
use pipeline::profile::model_slug;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::*;

/// Files by name, hashed with foldhash: a refresh looks up each of 30,000 names.
type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

/// What a profile's files were made from, kept between builds so an unchanged profile's
/// files can be reused instead of rendered again.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProfileRecord {
    pub fingerprint: String,
    pub manifest_files: Vec<String>,
    /// Where the profile's entries lie in the aggregate JSON files the build wrote (where
    /// absent, its entries are serialized again).
    #[serde(default)]
    pub entries: Option<AggregateEntries>,
    /// The lengths of the profile's own files ([`profile_files`] order), so a build over this
    /// one's generation counts the files it keeps without asking the file system (where
    /// absent, its files are not kept in place).
    #[serde(default)]
    pub lengths: Option<Vec<u64>>,
}

/// A profile's entries in `api/v1/profiles.json` and `api/v1/index.json`, and its row of
/// `index.html`. Each is made from nothing its profile's fingerprint leaves out, so a refresh
/// copies an unchanged profile's entries from the previous build's files instead of making them
/// again: the two JSON files were a fifth of a one-run refresh's CPU at 10,000 profiles.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AggregateEntries {
    pub profiles_json: Span,
    pub index_json: Span,
    /// Its row of `index.html` (where absent, the row is rendered again).
    #[serde(default)]
    pub index_html: Option<Span>,
}

/// Where one entry of a file lies: its first byte's offset and its length.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Span(pub u64, pub u64);

/// What a site was made from, kept beside it for the next refresh: each profile's record by
/// id, each model page's fingerprint by model slug, and where each workload's section of
/// `frontier.html` lies by what it was made from.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SiteRecords {
    pub profiles: BTreeMap<String, ProfileRecord>,
    pub models: BTreeMap<String, String>,
    /// Where each workload's section lies in `frontier.html`, by its
    /// [`frontier_group_fingerprint`]: a refresh copies an unchanged one instead of drawing its
    /// thousands of series again (where empty, every section is drawn).
    #[serde(default)]
    pub frontier: BTreeMap<String, Span>,
}

/// The site a refresh replaces, and the records of what made it.
pub struct PreviousSite {
    pub dir: PathBuf,
    /// Shared with a [`StandbySite`] linked from this site: they are the same records.
    pub records: Arc<SiteRecords>,
}

/// A stale generation's site that this build writes over instead of a new, empty directory
/// (`OutputLock::recycle_stale_generation`): the files it holds, and the records of the build
/// that made it if that build finished (a killed build's partial site has none). A profile whose
/// record there matches keeps its files untouched; every file this build does not place is
/// removed at its end, so the tree is the one a build into an empty directory makes.
#[derive(Debug, Default)]
pub struct StandbySite {
    records: Arc<SiteRecords>,
    /// Regular files, relative to the site, `/`-separated.
    files: HashSet<String>,
    /// Directories, relative to the site, deepest first.
    dirs: Vec<String>,
    /// Entries whose names are not UTF-8, as paths.
    foreign: Vec<PathBuf>,
}

impl StandbySite {
    /// Lists what `dir` holds (nothing where it does not exist). `records` are only to be
    /// given if they describe `dir` as it is: those of a build that finished writing it, read
    /// back and removed from the generation before anything in it changes, so a build killed
    /// while writing over it leaves it without records. A directory that cannot be read is an
    /// error: what it holds could not be removed, and would be published.
    pub fn survey(dir: &Path, records: Option<SiteRecords>) -> Result<Self, SiteError> {
        let mut standby = Self {
            records: Arc::new(records.unwrap_or_default()),
            ..Self::default()
        };
        if dir.exists() {
            standby.list(dir, "")?;
        }
        Ok(standby.deepest_first())
    }

    /// A copy of the published site `from` in `into` (a new generation's, not yet holding a
    /// site) made of hard links, with `records`, those of the build that made `from`: they
    /// describe the copy as well. Made while the first stages run, on a core they leave idle,
    /// so the site stage finds unchanged profiles' files in place as it does in a recycled
    /// generation; it stops where it is once `stop` is set. A file or directory that cannot be
    /// linked or made is left out, and so is not listed: a profile missing one is linked or
    /// made by the site stage.
    pub fn linked_from(
        from: &Path,
        into: &Path,
        records: Arc<SiteRecords>,
        stop: &AtomicBool,
    ) -> Self {
        let mut standby = Self {
            records,
            ..Self::default()
        };
        if std::fs::create_dir_all(into).is_ok() {
            standby.link_tree(from, into, "", stop);
        }
        standby.deepest_first()
    }

    /// How many files it holds.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    fn deepest_first(mut self) -> Self {
        self.dirs
            .sort_by_key(|d| std::cmp::Reverse(d.matches('/').count()));
        self
    }

    fn link_tree(&mut self, from: &Path, into: &Path, prefix: &str, stop: &AtomicBool) {
        let (Ok(entries), Ok(linker)) = (std::fs::read_dir(from), Linker::between(from, into))
        else {
            return;
        };
        for entry in entries.flatten() {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            // No build writes a name that is not UTF-8: the published site has none to link.
            let (Ok(name), Ok(kind)) = (entry.file_name().into_string(), entry.file_type()) else {
                continue;
            };
            let rel = format!("{prefix}{name}");
            if kind.is_dir() {
                let target = into.join(&name);
                if std::fs::create_dir(&target).is_ok() {
                    self.link_tree(&entry.path(), &target, &format!("{rel}/"), stop);
                    self.dirs.push(rel);
                }
            } else if kind.is_file() && linker.link(&name) {
                self.files.insert(rel);
            }
        }
    }

    fn list(&mut self, dir: &Path, prefix: &str) -> Result<(), SiteError> {
        let io = |source| SiteError::Io {
            path: dir.to_path_buf(),
            source,
        };
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let kind = entry.file_type().map_err(io)?;
            let Ok(name) = entry.file_name().into_string() else {
                // No build writes such a name, so none places it: it goes whole.
                self.foreign.push(entry.path());
                continue;
            };
            let rel = format!("{prefix}{name}");
            if kind.is_dir() {
                self.list(&entry.path(), &format!("{rel}/"))?;
                self.dirs.push(rel);
            } else {
                self.files.insert(rel);
            }
        }
        Ok(())
    }

    /// The files of profile `id` as they lie here, if its record says they were made from
    /// `fingerprint` and each of them is here: each file's name and length.
    pub(super) fn profile_in_place(&self, id: &str, fingerprint: &str) -> Option<InPlace<'_>> {
        let record = self.records.profiles.get(id)?;
        let lengths = record.lengths.as_deref()?;
        let files = profile_files(id, &record.manifest_files);
        let all_here = record.fingerprint == fingerprint
            && lengths.len() == files.len()
            && files.iter().all(|f| self.files.contains(f));
        all_here.then(|| InPlace {
            record,
            files: files.into_iter().zip(lengths.iter().copied()).collect(),
        })
    }

    /// The files here for which `placed` is false.
    pub(super) fn leftovers<'s>(
        &'s self,
        placed: impl Fn(&str) -> bool + 's,
    ) -> impl Iterator<Item = &'s str> + 's {
        self.files
            .iter()
            .map(String::as_str)
            .filter(move |f| !placed(f))
    }

    /// Entries whose names are not UTF-8 (no build writes one), as paths.
    pub(super) fn foreign(&self) -> &[PathBuf] {
        &self.foreign
    }

    /// Directories here, deepest first.
    pub(super) fn dirs(&self) -> &[String] {
        &self.dirs
    }
}

/// A profile's files found in place: its record there, and each file's name and length.
pub(super) struct InPlace<'s> {
    pub record: &'s ProfileRecord,
    pub files: Vec<(String, u64)>,
}

/// A built site's statistics and the records to keep for the next refresh.
pub struct SiteOutcome {
    pub stats: SiteStats,
    pub records: SiteRecords,
}

/// What every file of this build depends on, hashed once: the generator, its code and
/// templates, the analysis settings, the pricing model the pages lead with and the price
/// sources.
pub(super) fn settings_fingerprint(input: &SiteInput) -> String {
    let sources: Vec<_> = input
        .prices
        .sources
        .iter()
        .map(|s| (&s.name, &s.as_of))
        .collect();
    fingerprint_of(&(
        GENERATOR,
        // Code decides what a page shows as much as data does.
        pipeline::SOURCE_FINGERPRINT,
        crate::SOURCE_FINGERPRINT,
        templates::fingerprint(),
        format!("{:?}", input.cfg),
        input.pricing_model.as_str(),
        sources,
    ))
}

/// Everything a profile's own files depend on, hashed: if it matches the previous build's,
/// the files are byte-identical and can be reused. `settings` is [`settings_fingerprint`].
pub(super) fn fingerprint(
    settings: &str,
    input: &SiteInput,
    s: &ProfileSummary,
    snapshot: &str,
) -> String {
    let costs: Vec<_> = s
        .at_knee
        .costs
        .iter()
        .map(|c| {
            (
                c.model.as_str(),
                c.usd_per_hour(),
                c.region(),
                c.source(),
                c.as_of(),
            )
        })
        .collect();
    let facts = input
        .models
        .get(&s.profile.key.model)
        .map(|f| (f.parameters_billion, f.weights_gib));
    fingerprint_of(&(
        settings,
        costs,
        facts,
        snapshot,
        model_slug(&s.profile.key.model),
    ))
}

/// A model page's fingerprint: its profiles in page order, each with what its own files were
/// made from (site-wide settings, code and templates included) and its colour on the page.
/// Everything else the page shows is computed from those profiles.
pub(super) fn model_fingerprint(mine: &[(&ProfilePage, &LazyView)]) -> String {
    fingerprint_of(
        &mine
            .iter()
            .map(|(p, _)| [p.summary.profile.id.as_str(), &p.fingerprint, p.color])
            .collect::<Vec<_>>(),
    )
}

/// Twelve bytes of the SHA-256 of `parts` ([`pipeline::digest::postcard_sha256_hex`]): every
/// refresh fingerprints every profile.
fn fingerprint_of<T: serde::Serialize + std::fmt::Debug>(parts: &T) -> String {
    pipeline::digest::postcard_sha256_hex(parts, 12)
}

/// A model's data snapshot: a hash of its profiles' own, so its page, like theirs, changes
/// exactly when its inputs do and names no other model's data.
pub(super) fn model_snapshot(mine: &[(&ProfilePage, &LazyView)]) -> String {
    let snapshots: Vec<&str> = mine.iter().map(|(p, _)| p.snapshot.as_str()).collect();
    sha256_hex(snapshots.join(" ").as_bytes(), 6)
}

/// The files that belong to one profile alone.
pub(super) fn profile_files(id: &str, manifest_files: &[String]) -> Vec<String> {
    let mut files = vec![
        format!("profiles/{id}.html"),
        format!("api/v1/benchmarks/{id}.json"),
    ];
    files.extend_from_slice(manifest_files);
    files
}

/// The previous build's copy of one aggregate file (`profiles.json` and `index.json` of the
/// API, `index.html`, `frontier.html`), from which a refresh takes the parts it reuses.
pub(super) struct PreviousEntries {
    file: std::fs::File,
    file_len: u64,
    /// Tells this file's window from others' ([`Window`]).
    id: u64,
}

/// Bytes of a previous aggregate file read at a time. A refresh copies entries in file order, a
/// few dozen per task, so one read serves the task's next entries too: reading each entry on its
/// own was 30,000 reads at 10,000 profiles.
const WINDOW: u64 = 128 * 1024;

/// The bytes a thread last read of a previous aggregate file.
struct Window {
    file: u64,
    at: u64,
    bytes: Vec<u8>,
}

thread_local! {
    static WINDOW_READ: std::cell::RefCell<Window> = const {
        std::cell::RefCell::new(Window { file: 0, at: 0, bytes: Vec::new() })
    };
}

impl PreviousEntries {
    /// The previous site's `rel`, if it has one.
    pub(super) fn open(previous: Option<&PreviousSite>, rel: &str) -> Option<Self> {
        static OPENED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let file = std::fs::File::open(previous?.dir.join(rel)).ok()?;
        Some(Self {
            file_len: file.metadata().ok()?.len(),
            file,
            id: OPENED.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        })
    }

    /// Appends the previous build's entry of page `p` to `bytes` when the page was reused with
    /// its entries' places recorded and its entry reads back whole (an object, where its record
    /// says, naming this profile and no other); else appends nothing and reports false, and the
    /// entry is serialized anew.
    pub(super) fn copy(
        &self,
        p: &ProfilePage,
        span: fn(&AggregateEntries) -> Span,
        bytes: &mut Vec<u8>,
    ) -> bool {
        self.copy_part(
            p,
            |e| Some(span(e)),
            bytes,
            |entry| is_entry_of(entry, &p.summary.profile.id),
        )
    }

    /// Appends the previous build's part of page `p` that `span` places (of the places a reused
    /// page carries from its record) to `bytes`, when it reads back and `whole` finds it the
    /// page's own; else appends nothing and reports false.
    pub(super) fn copy_part(
        &self,
        p: &ProfilePage,
        span: impl FnOnce(&AggregateEntries) -> Option<Span>,
        bytes: &mut Vec<u8>,
        whole: impl FnOnce(&[u8]) -> bool,
    ) -> bool {
        p.previous_entries
            .as_ref()
            .and_then(span)
            .is_some_and(|span| self.append(span, bytes, whole))
    }

    /// Appends the bytes at `span` of the previous build's file to `bytes` when they read back
    /// and `whole` finds them to be what the record says; else appends nothing and reports
    /// false.
    pub(super) fn append(
        &self,
        Span(at, len): Span,
        bytes: &mut Vec<u8>,
        whole: impl FnOnce(&[u8]) -> bool,
    ) -> bool {
        // A record is trusted no further than the file it names: a span past its end is read
        // as absent, never allocated.
        let Some(end) = at.checked_add(len).filter(|&end| end <= self.file_len) else {
            return false;
        };
        WINDOW_READ.with_borrow_mut(|window| {
            let held = window.file == self.id
                && window.at <= at
                && end <= window.at + window.bytes.len() as u64;
            if !held && !self.read_window(window, at, len) {
                return false;
            }
            let from = (at - window.at) as usize;
            let part = &window.bytes[from..from + (end - at) as usize];
            whole(part) && {
                bytes.extend_from_slice(part);
                true
            }
        })
    }

    /// Reads into `window` this file's bytes from `at`: [`WINDOW`] of them, or `len` where
    /// that is more, up to the file's end.
    fn read_window(&self, window: &mut Window, at: u64, len: u64) -> bool {
        let size = len.max(WINDOW.min(self.file_len - at));
        let Ok(size) = usize::try_from(size) else {
            return false;
        };
        window.bytes.clear();
        window.bytes.resize(size, 0);
        let read = read_exact_at(&self.file, &mut window.bytes, at).is_ok();
        (window.file, window.at) = if read { (self.id, at) } else { (0, 0) };
        if !read {
            window.bytes.clear();
        }
        read
    }
}

/// What a workload's section of `frontier.html` is made from: its place on the page (its
/// anchor), its name, and its profiles in order, each with its own files' fingerprint (which
/// covers the site-wide settings, code and templates, and everything of the profile a frontier
/// draws). A series' colour is its place in the group.
pub(super) fn frontier_group_fingerprint(
    anchor: &str,
    workload: &str,
    group: &[(&ProfilePage, &LazyView)],
) -> String {
    let profiles: Vec<[&str; 2]> = group
        .iter()
        .map(|(p, _)| [p.summary.profile.id.as_str(), &p.fingerprint])
        .collect();
    fingerprint_of(&(anchor, workload, profiles))
}

/// Whether `entry` is one object naming profile `id` once: a record that points at another
/// profile's entry, or across several, is not followed.
fn is_entry_of(entry: &[u8], id: &str) -> bool {
    const FIELD: &[u8] = b"\"profileId\":\"";
    // Made once: making it was an eighth of copying an entry.
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(FIELD));
    let mut named = FINDER.find_iter(entry);
    let (Some(at), None) = (named.next(), named.next()) else {
        return false;
    };
    let value = &entry[at + FIELD.len()..];
    entry.first() == Some(&b'{')
        && entry.last() == Some(&b'}')
        && value.starts_with(id.as_bytes())
        && value.get(id.len()) == Some(&b'"')
}

#[cfg(unix)]
fn read_exact_at(file: &std::fs::File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

/// Elsewhere every part is made again.
#[cfg(not(unix))]
fn read_exact_at(_: &std::fs::File, _: &mut [u8], _: u64) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// Hard links files of one directory into another by name: on Unix, relative to the two
/// directories, each open once (`hard_link` walked both whole paths for each file, a fifth of
/// the kernel's time linking a published site of 30,000 files).
#[cfg(unix)]
struct Linker(std::fs::File, std::fs::File);
#[cfg(not(unix))]
struct Linker(PathBuf, PathBuf);

impl Linker {
    #[cfg(unix)]
    fn between(from: &Path, into: &Path) -> std::io::Result<Self> {
        Ok(Self(std::fs::File::open(from)?, std::fs::File::open(into)?))
    }

    #[cfg(not(unix))]
    fn between(from: &Path, into: &Path) -> std::io::Result<Self> {
        Ok(Self(from.to_path_buf(), into.to_path_buf()))
    }

    /// Whether file `name` of the first directory is now linked into the second too.
    #[cfg(unix)]
    fn link(&self, name: &str) -> bool {
        use std::os::fd::AsRawFd;
        let Ok(name) = std::ffi::CString::new(name) else {
            return false;
        };
        let (from, into) = (self.0.as_raw_fd(), self.1.as_raw_fd());
        // SAFETY: both descriptors are directories `self` holds open for the call, `name` is
        // a NUL-terminated string that outlives it, and linkat(2) writes no memory of ours.
        unsafe { libc::linkat(from, name.as_ptr(), into, name.as_ptr(), 0) == 0 }
    }

    #[cfg(not(unix))]
    fn link(&self, name: &str) -> bool {
        std::fs::hard_link(self.0.join(name), self.1.join(name)).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linked_copy_lists_what_it_linked_and_shares_the_published_files() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let published = dir.path().join("published");
        crate::test_support::write_tree(
            &published,
            &[("index.html", "index"), ("api/v1/a.json", "{}")],
        );
        let into = dir.path().join("next/site");
        let records = Arc::new(SiteRecords {
            models: [("m".to_string(), "f".to_string())].into(),
            ..SiteRecords::default()
        });
        let standby =
            StandbySite::linked_from(&published, &into, records.clone(), &AtomicBool::new(false));
        assert_eq!(standby.records, records);
        let mut files: Vec<&String> = standby.files.iter().collect();
        files.sort();
        assert_eq!(files, ["api/v1/a.json", "index.html"]);
        assert_eq!(standby.dirs(), ["api/v1", "api"]);
        let inode = |p: &Path| std::fs::metadata(p).unwrap().ino();
        assert_eq!(
            inode(&into.join("api/v1/a.json")),
            inode(&published.join("api/v1/a.json"))
        );
        // Surveyed again, the copy lists the same.
        let surveyed = StandbySite::survey(&into, None).unwrap();
        assert_eq!(surveyed.files, standby.files);
        // A published site that is not there gives an empty copy.
        let none = StandbySite::linked_from(
            &dir.path().join("gone"),
            &into.join("x"),
            records.clone(),
            &AtomicBool::new(false),
        );
        assert!(none.files.is_empty() && none.dirs.is_empty());
        // Stopped, it links no more.
        let stopped =
            StandbySite::linked_from(&published, &into.join("y"), records, &AtomicBool::new(true));
        assert!(stopped.files.is_empty());
    }

    #[test]
    fn an_entry_is_one_object_naming_its_own_profile_once() {
        let own = br#"{"page":"profiles/a-1.html","profileId":"a-1","x":{"y":1}}"#;
        assert!(is_entry_of(own, "a-1"));
        // Another profile's entry, one whose id only starts with this one, or none.
        assert!(!is_entry_of(own, "b-2"));
        assert!(!is_entry_of(br#"{"profileId":"a-10"}"#, "a-1"));
        assert!(!is_entry_of(br#"{"page":"profiles/a-1.html"}"#, "a-1"));
        // Two entries in one span, a cut one, an empty one, or not an object.
        assert!(!is_entry_of(
            br#"{"profileId":"a-1"},{"profileId":"a-1"}"#,
            "a-1"
        ));
        assert!(!is_entry_of(br#"{"profileId":"a-1","x":"#, "a-1"));
        assert!(!is_entry_of(b"", "a-1"));
        assert!(!is_entry_of(br#"["profileId":"a-1"]"#, "a-1"));
    }

    #[test]
    fn parts_read_back_through_windows_in_any_order_and_from_two_files_at_once() {
        let dir = tempfile::tempdir().unwrap();
        // Entries of 1 KiB and more, so a window holds some of them and not all.
        let entries: Vec<String> = (0..600)
            .map(|i| format!("[{i}:{}]", "x".repeat(1000 + i % 7)))
            .collect();
        let mut spans = Vec::new();
        let mut text = String::new();
        for e in &entries {
            spans.push(Span(text.len() as u64, e.len() as u64));
            text.push_str(e);
        }
        std::fs::write(dir.path().join("a.json"), &text).unwrap();
        std::fs::write(dir.path().join("b.json"), text.to_uppercase()).unwrap();
        let site = PreviousSite {
            dir: dir.path().to_path_buf(),
            records: Arc::new(SiteRecords::default()),
        };
        let a = PreviousEntries::open(Some(&site), "a.json").unwrap();
        let b = PreviousEntries::open(Some(&site), "b.json").unwrap();
        let read = |file: &PreviousEntries, span: Span| {
            let mut bytes = b"before".to_vec();
            let whole = |part: &[u8]| part.first() == Some(&b'[') && part.last() == Some(&b']');
            assert!(file.append(span, &mut bytes, whole));
            String::from_utf8(bytes[b"before".len()..].to_vec()).unwrap()
        };
        let order = (0..600).chain((0..600).rev()).chain((0..600).step_by(97));
        for i in order {
            assert_eq!(read(&a, spans[i]), entries[i], "entry {i}");
            assert_eq!(read(&b, spans[i]), entries[i].to_uppercase(), "entry {i}");
        }
        let mut untouched = b"kept".to_vec();
        let past_end = Span(text.len() as u64 - 10, 11);
        assert!(!a.append(past_end, &mut untouched, |_| true));
        assert!(!a.append(spans[3], &mut untouched, |_| false), "not whole");
        assert_eq!(untouched, b"kept");
    }
}
