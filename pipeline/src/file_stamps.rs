//! Each raw file's metadata as it was when its content hash was last taken, so a refresh reads
//! and hashes again only the files whose metadata changed, as git's index does. A file written
//! in place gets a new change time (ctime), which no call can set back on the local file systems
//! [`StampRule`] trusts, so a file whose size, times, inode and device all match its stamp holds
//! the bytes it held. A run.toml's text is kept with its stamp (it is parsed on every build; a
//! few hundred bytes each): with the raw tree out of the page cache, reading 10,000 of them cost
//! a refresh half a second. The file is a [`framed_file`] of one record per file, a later
//! record standing for an earlier one of the same file: a build whose stamps keep every one the
//! file holds appends only its new ones (rewriting 6.4 MB for a one-run refresh at 10,000 runs
//! took 2–100 ms of one core, most of it the kernel's copying into new page-cache pages).

use crate::digest::hex;
use crate::error::PipelineError;
use crate::framed_file::{self, FileIdentity, body, whole_value};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What `stat` says of a file, as far as it tells a rewrite apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    len: u64,
    modified_ns: i128,
    changed_ns: i128,
    inode: u64,
    device: u64,
}

impl Stamp {
    /// The stamp of a file's metadata; `None` where the platform gives no change time or inode
    /// (the file is then always read).
    #[cfg(unix)]
    pub fn of(meta: &std::fs::Metadata) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        let ns = |secs: i64, nanos: i64| i128::from(secs) * 1_000_000_000 + i128::from(nanos);
        Some(Self {
            len: meta.len(),
            modified_ns: ns(meta.mtime(), meta.mtime_nsec()),
            changed_ns: ns(meta.ctime(), meta.ctime_nsec()),
            inode: meta.ino(),
            device: meta.dev(),
        })
    }

    #[cfg(not(unix))]
    pub fn of(_: &std::fs::Metadata) -> Option<Self> {
        None
    }

    /// Whether the file was last written long enough before `started` (when the build began to
    /// look at files) that a later write cannot leave the same stamp. Timestamps come from a
    /// clock that moves in ticks, so a file written again within the tick of the write the
    /// stamp saw would keep its times: only stamps older than a tick are kept. Whole seconds
    /// (nanoseconds 0: FAT, some network file systems) are taken as a 2 s tick.
    fn settled_before(&self, started: SystemTime) -> bool {
        let coarse = self.changed_ns % 1_000_000_000 == 0 && self.modified_ns % 1_000_000_000 == 0;
        let tick = if coarse {
            Duration::from_secs(2)
        } else {
            Duration::from_millis(100)
        };
        let Some(limit) = started
            .checked_sub(tick)
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        else {
            return false;
        };
        self.changed_ns.max(self.modified_ns) < i128::try_from(limit.as_nanos()).unwrap_or(0)
    }
}

/// Which files may be known by their stamps: those on the raw root's device, when its file
/// system is a local one that keeps a real change time. FAT and exFAT derive ctime from mtime
/// (which `touch -r` and `cp -p` set back), and FUSE and network file systems report what their
/// driver or server says, by its clock: files there are always read, as are files on another
/// device mounted inside the tree, and every file off Linux.
#[derive(Debug, Clone, Copy, Default)]
pub struct StampRule {
    device: Option<u64>,
}

impl StampRule {
    /// The rule for a raw tree rooted at `root`.
    pub fn for_root(root: &Path) -> Self {
        let root_stamp = || Stamp::of(&std::fs::metadata(root).ok()?);
        let device = if keeps_change_times(root) {
            root_stamp().map(|s| s.device)
        } else {
            None
        };
        Self { device }
    }

    /// Whether any stamp is taken under this rule: false off Linux and where the raw root's file
    /// system is not one that keeps real change times.
    pub fn applies(&self) -> bool {
        self.device.is_some()
    }

    /// The stamp of the file at `path`, to be taken before its bytes are read (a write between
    /// the two then leaves a stamp the next build rejects); `None` where stamps are not
    /// trusted.
    pub fn take(&self, path: &Path) -> Option<Stamp> {
        let device = self.device?;
        let stamp = Stamp::of(&std::fs::symlink_metadata(path).ok()?)?;
        (stamp.device == device).then_some(stamp)
    }
}

/// Whether the file system holding `path` is one whose change times move on every write and
/// cannot be set: ext2/3/4, XFS, Btrfs, tmpfs, F2FS, ZFS, bcachefs and overlayfs (which shows
/// its layers' own).
#[cfg(target_os = "linux")]
fn keeps_change_times(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    const LOCAL: [u32; 8] = [
        0xEF53,      // ext2, ext3, ext4
        0x5846_5342, // XFS
        0x9123_683E, // Btrfs
        0x0102_1994, // tmpfs
        0xF2F5_2010, // F2FS
        0x2FC1_2FC1, // ZFS
        0xCA45_1A4E, // bcachefs
        0x794C_7630, // overlayfs
    ];
    let Ok(c_path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c_path` is a NUL-terminated string that outlives the call, and `fs` is a
    // zeroed `statfs` (plain integers) that the call only writes into.
    let (status, fs) = unsafe {
        let mut fs: libc::statfs = std::mem::zeroed();
        (libc::statfs(c_path.as_ptr(), &mut fs), fs)
    };
    // The magic number is a 32-bit value in a field whose width varies by architecture.
    status == 0 && LOCAL.contains(&(fs.f_type as u32))
}

#[cfg(not(target_os = "linux"))]
fn keeps_change_times(_: &Path) -> bool {
    false
}

/// The stamps file's first record, its version; a file of another version is read as empty.
const FORMAT: &str = "infercat file stamps v2";

/// What is known of one file: its content hash under a stamp, and its text where kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Known {
    stamp: Stamp,
    hash: String,
    text: Option<String>,
}

/// Content hashes by file (relative to the raw root), each with the stamp it was taken under.
#[derive(Debug)]
pub struct FileStamps {
    known: HashMap<String, Known>,
    /// When the build that takes these stamps began to look at files: only stamps settled
    /// before it are saved.
    started: SystemTime,
    /// The file these stamps were loaded from.
    loaded: Option<LoadedFile>,
    /// The stamps these follow ([`FileStamps::follow`]), whose file they are appended to
    /// where they keep every one of them.
    before: Option<Box<FileStamps>>,
}

/// A stamps file as it was loaded: what it was, how long its whole records were, and how many
/// stamps they held (each file's latest counts; the others are stale).
#[derive(Debug, Clone, Copy)]
struct LoadedFile {
    identity: FileIdentity,
    len: u64,
    records: usize,
}

/// No stamps, and none would be saved.
impl Default for FileStamps {
    fn default() -> Self {
        Self::taken_from(UNIX_EPOCH)
    }
}

impl FileStamps {
    /// Stamps to be taken by a build that began to look at files at `started`.
    pub fn taken_from(started: SystemTime) -> Self {
        Self {
            known: HashMap::new(),
            started,
            loaded: None,
            before: None,
        }
    }

    /// Loads a stamps file. A missing, unreadable, foreign or damaged file is no stamps: they
    /// only spare reads, never decide what a file holds.
    pub fn load(path: &Path) -> Self {
        let Some((bytes, identity)) = framed_file::read(path) else {
            return Self::default();
        };
        let Some((known, records, len)) = Self::parse(&bytes) else {
            return Self::default();
        };
        Self {
            known,
            loaded: identity.map(|identity| LoadedFile {
                identity,
                len,
                records,
            }),
            ..Self::default()
        }
    }

    /// The stamps `bytes` hold (each file's latest), how many records held them, and the
    /// length of those whole records; None where any whole record is not one of a stamp.
    fn parse(bytes: &[u8]) -> Option<(HashMap<String, Known>, usize, u64)> {
        let records = framed_file::records(bytes);
        let (format, stamps) = records.split_first()?;
        if whole_value::<&str>(body(bytes, format))? != FORMAT {
            return None;
        }
        let mut known = HashMap::with_capacity(stamps.len());
        for record in stamps {
            let (file, stamp): (String, Known) = whole_value(body(bytes, record))?;
            known.insert(file, stamp);
        }
        let len = records.last().map_or(0, |r| r.end) as u64;
        Some((known, stamps.len(), len))
    }

    /// Makes these stamps follow `before` (loaded from the file they are to be saved to), so
    /// that saving them appends to it where it can.
    pub fn follow(&mut self, before: FileStamps) {
        self.before = Some(Box::new(before));
    }

    /// The content hash `file` had when it last had exactly `stamp`.
    pub fn hash_of(&self, file: &str, stamp: &Stamp) -> Option<&str> {
        self.known_under(file, stamp).map(|k| k.hash.as_str())
    }

    /// The content hash and text `file` had when it last had exactly `stamp`, if its text was
    /// kept and still hashes to its hash: a damaged stamps file that still decodes must not say
    /// what a run.toml holds.
    pub fn text_of(&self, file: &str, stamp: &Stamp) -> Option<(&str, &str)> {
        let known = self.known_under(file, stamp)?;
        let text = known.text.as_deref()?;
        (hex(&Sha256::digest(text.as_bytes())) == known.hash).then_some((&known.hash, text))
    }

    fn known_under(&self, file: &str, stamp: &Stamp) -> Option<&Known> {
        self.known.get(file).filter(|k| k.stamp == *stamp)
    }

    /// Records the hash taken of `file` under `stamp`.
    pub fn insert(&mut self, file: String, stamp: Stamp, hash: String) {
        let text = None;
        self.known.insert(file, Known { stamp, hash, text });
    }

    /// Records the hash and the text read of `file` under `stamp`.
    pub fn insert_with_text(&mut self, file: String, stamp: Stamp, hash: String, text: String) {
        let text = Some(text);
        self.known.insert(file, Known { stamp, hash, text });
    }

    /// Writes the stamps that are settled before the build began (the others are left out:
    /// their file is read again next time): appended to the file the stamps followed where it
    /// holds none they do not keep and appending leaves no more than a quarter of its records
    /// stale, else written whole atomically. Either way in file order, so a file written whole
    /// from equal stamps has equal bytes.
    pub fn save(&self, path: &Path) -> Result<(), PipelineError> {
        let mut entries: Vec<(&String, &Known)> = self
            .known
            .iter()
            .filter(|(_, known)| known.stamp.settled_before(self.started))
            .collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let encoding_failed = |reason: String| PipelineError::Table {
            path: path.to_path_buf(),
            reason,
        };
        if let Some((loaded, new)) = self.appendable(&entries) {
            let tail = records_of(&new).map_err(encoding_failed)?;
            return framed_file::append_after(path, loaded.identity, loaded.len, &tail);
        }
        let mut bytes = Vec::new();
        let format = postcard::to_allocvec(FORMAT).map_err(|e| encoding_failed(e.to_string()))?;
        framed_file::push(&mut bytes, &format).map_err(encoding_failed)?;
        bytes.extend(records_of(&entries).map_err(encoding_failed)?);
        crate::output_dir::replace_file(path, &bytes)
    }

    /// The file the stamps followed and the entries to append to it, where appending keeps
    /// it true: it holds no stamp `entries` leave out, and no more than a quarter of its
    /// records would be stale.
    fn appendable<'e>(
        &self,
        entries: &[(&'e String, &'e Known)],
    ) -> Option<(LoadedFile, Vec<(&'e String, &'e Known)>)> {
        let before = self.before.as_deref()?;
        let loaded = before.loaded?;
        let new: Vec<(&String, &Known)> = entries
            .iter()
            .filter(|(file, known)| before.known.get(*file) != Some(known))
            .copied()
            .collect();
        let kept = entries.len() - new.len();
        let replaced = new
            .iter()
            .filter(|(file, _)| before.known.contains_key(*file))
            .count();
        if kept + replaced != before.known.len() {
            return None;
        }
        let records = loaded.records + new.len();
        let stale = records - entries.len();
        (stale * 4 <= records).then_some((loaded, new))
    }
}

/// One record per entry.
fn records_of(entries: &[(&String, &Known)]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for entry in entries {
        let body = postcard::to_allocvec(entry).map_err(|e| e.to_string())?;
        framed_file::push(&mut out, &body)?;
    }
    Ok(out)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn stamp_of(path: &Path) -> Stamp {
        Stamp::of(&std::fs::symlink_metadata(path).expect("stat")).expect("a unix stamp")
    }

    /// A file `name` holding `contents` in `dir`, and its stamp.
    fn written(dir: &tempfile::TempDir, name: &str, contents: &str) -> (std::path::PathBuf, Stamp) {
        let file = dir.path().join(name);
        std::fs::write(&file, contents).expect("write");
        let stamp = stamp_of(&file);
        (file, stamp)
    }

    #[test]
    fn a_file_written_again_no_longer_matches_its_stamp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (file, before) = written(&dir, "result.json", "one");
        assert_eq!(before, stamp_of(&file), "an untouched file keeps its stamp");
        // Same length, same content even: the write alone changes the change time.
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(&file, "one").expect("write");
        assert_ne!(before, stamp_of(&file));
    }

    #[test]
    fn only_settled_stamps_are_saved_and_they_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (_, stamp) = written(&dir, "result.json", "data");
        let path = dir.path().join("stamps.bin");
        let save_from = |started: SystemTime| {
            let mut stamps = FileStamps::taken_from(started);
            stamps.insert("run/result.json".into(), stamp, "abc".into());
            stamps.save(&path).expect("save");
        };
        let written =
            UNIX_EPOCH + Duration::from_nanos(u64::try_from(stamp.changed_ns).expect("after 1970"));

        // Within a tick of a build that started just after the write: not kept.
        save_from(written + Duration::from_millis(50));
        assert!(FileStamps::load(&path).known.is_empty());

        // A build starting a minute later keeps it.
        save_from(written + Duration::from_secs(60));
        let loaded = FileStamps::load(&path);
        assert_eq!(loaded.hash_of("run/result.json", &stamp), Some("abc"));
        assert_eq!(
            loaded.text_of("run/result.json", &stamp),
            None,
            "no text kept"
        );
        assert_eq!(loaded.hash_of("run/other.json", &stamp), None);
        let other = Stamp { len: 5, ..stamp };
        assert_eq!(loaded.hash_of("run/result.json", &other), None);
    }

    #[test]
    fn a_kept_text_reads_back_under_its_stamp_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (_, stamp) = written(&dir, "run.toml", "[profile]");
        let path = dir.path().join("stamps.bin");
        let hash = hex(&Sha256::digest(b"[profile]"));
        let mut stamps = FileStamps::taken_from(SystemTime::now() + Duration::from_secs(60));
        stamps.insert_with_text("a/run.toml".into(), stamp, hash.clone(), "[profile]".into());
        stamps.insert_with_text("b/run.toml".into(), stamp, hash.clone(), "[damaged]".into());
        stamps.save(&path).expect("save");
        let loaded = FileStamps::load(&path);
        assert_eq!(
            loaded.text_of("a/run.toml", &stamp),
            Some((hash.as_str(), "[profile]"))
        );
        assert_eq!(
            loaded.text_of("b/run.toml", &stamp),
            None,
            "text not matching its hash"
        );
        let other = Stamp {
            inode: stamp.inode + 1,
            ..stamp
        };
        assert_eq!(loaded.text_of("a/run.toml", &other), None);
    }

    /// Stamps of `files` (each `(name, hash)`) under one settled stamp, following `before`.
    fn stamps_of(files: &[(&str, &str)], stamp: Stamp, before: Option<FileStamps>) -> FileStamps {
        let mut stamps = FileStamps::taken_from(SystemTime::now() + Duration::from_secs(60));
        for (file, hash) in files {
            stamps.insert((*file).into(), stamp, (*hash).into());
        }
        if let Some(before) = before {
            stamps.follow(before);
        }
        stamps
    }

    /// The bytes a save writes where it follows no stamps.
    fn whole_bytes(stamps: &FileStamps, dir: &tempfile::TempDir) -> Vec<u8> {
        let path = dir.path().join("whole.bin");
        stamps.save(&path).expect("save");
        std::fs::read(path).expect("read")
    }

    #[test]
    fn stamps_that_keep_every_saved_one_are_appended_and_others_written_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (_, stamp) = written(&dir, "result.json", "data");
        let path = dir.path().join("stamps.bin");
        let names: Vec<String> = (0..8).map(|i| format!("run-{i}/result.json")).collect();
        let files: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "h0")).collect();
        stamps_of(&files, stamp, None).save(&path).expect("save");
        let first = std::fs::read(&path).expect("read");

        // One more file: appended, the saved records left as they were.
        let mut more = files.clone();
        more.push(("run-9/result.json", "h9"));
        let next = stamps_of(&more, stamp, Some(FileStamps::load(&path)));
        next.save(&path).expect("save");
        let appended = std::fs::read(&path).expect("read");
        assert!(appended.starts_with(&first) && appended.len() > first.len());
        assert_eq!(FileStamps::load(&path).known, next.known);

        // One file read again under a new hash: its record appended, the latest one read.
        let mut changed = more.clone();
        changed[0].1 = "h1";
        let next = stamps_of(&changed, stamp, Some(FileStamps::load(&path)));
        next.save(&path).expect("save");
        let with_stale = std::fs::read(&path).expect("read");
        assert!(with_stale.starts_with(&appended));
        let loaded = FileStamps::load(&path);
        assert_eq!(loaded.known, next.known);
        assert_eq!(loaded.hash_of(&names[0], &stamp), Some("h1"));

        // Three more changed: over a quarter of the records would be stale, written whole.
        let mut churned = changed.clone();
        for entry in &mut churned[1..4] {
            entry.1 = "h2";
        }
        let next = stamps_of(&churned, stamp, Some(loaded));
        next.save(&path).expect("save");
        assert_eq!(
            std::fs::read(&path).expect("read"),
            whole_bytes(&stamps_of(&churned, stamp, None), &dir)
        );

        // A file gone: written whole, as stamps following none write it.
        let fewer = &churned[1..];
        let next = stamps_of(fewer, stamp, Some(FileStamps::load(&path)));
        next.save(&path).expect("save");
        assert_eq!(
            std::fs::read(&path).expect("read"),
            whole_bytes(&stamps_of(fewer, stamp, None), &dir)
        );

        // The file replaced since it was loaded: not appended to, and not changed.
        let stale = FileStamps::load(&path);
        let other = [
            whole_bytes(&stamps_of(&files, stamp, None), &dir),
            vec![0; 4],
        ]
        .concat();
        std::fs::write(&path, &other).expect("write");
        assert!(stamps_of(&churned, stamp, Some(stale)).save(&path).is_err());
        assert_eq!(std::fs::read(&path).expect("read"), other);
    }

    #[test]
    fn a_damaged_or_foreign_file_is_no_stamps() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("stamps.bin");
        std::fs::write(&path, b"\x05garbage").expect("write");
        assert!(FileStamps::load(&path).known.is_empty());
        let mut foreign = Vec::new();
        let format = postcard::to_allocvec("something else").expect("encode");
        framed_file::push(&mut foreign, &format).expect("a record");
        std::fs::write(&path, foreign).expect("write");
        assert!(FileStamps::load(&path).known.is_empty());
        assert!(
            FileStamps::load(&dir.path().join("missing"))
                .known
                .is_empty()
        );
    }

    #[test]
    fn whole_second_times_wait_two_seconds() {
        let base = Stamp {
            len: 1,
            modified_ns: 1_000_000_000_000_000_000,
            changed_ns: 1_000_000_000_000_000_000,
            inode: 1,
            device: 1,
        };
        let at = |secs_after: f64| {
            UNIX_EPOCH
                + Duration::from_nanos(1_000_000_000_000_000_000)
                + Duration::from_secs_f64(secs_after)
        };
        assert!(!base.settled_before(at(1.5)));
        assert!(base.settled_before(at(2.5)));
        let fine = Stamp {
            changed_ns: base.changed_ns + 1,
            ..base
        };
        assert!(!fine.settled_before(at(0.05)));
        assert!(fine.settled_before(at(0.2)));
        // The later of the two times counts: a file's times set back (`touch -d`) leave its
        // change time at the write.
        let set_back = Stamp {
            modified_ns: fine.changed_ns - 86_400_000_000_000,
            ..fine
        };
        assert!(!set_back.settled_before(at(0.05)));
    }

    #[test]
    fn stamps_are_taken_on_local_file_systems_only_on_the_roots_device() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (file, _) = written(&dir, "result.json", "x");
        let rule = StampRule::for_root(dir.path());
        // Whatever file system the test runs on, the rule follows `keeps_change_times`.
        assert_eq!(rule.take(&file).is_some(), keeps_change_times(dir.path()));
        let elsewhere = StampRule {
            device: rule.device.map(|d| d.wrapping_add(1)),
        };
        assert_eq!(elsewhere.take(&file), None, "a file on another device");
        assert_eq!(StampRule::default().take(&file), None);
    }
}
