//! Each raw file's metadata as it was when its content hash was last taken, so a refresh reads
//! and hashes again only the files whose metadata changed, as git's index does. A file written
//! in place gets a new change time (ctime), which no call can set back on the local file systems
//! [`StampRule`] trusts, so a file whose size, times, inode and device all match its stamp holds
//! the bytes it held. A run.toml's text is kept with its stamp (it is parsed on every build; a
//! few hundred bytes each): with the raw tree out of the page cache, reading 10,000 of them cost
//! a refresh half a second.

use crate::digest::hex;
use crate::error::PipelineError;
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

/// The stamps file's version; a file of another version is read as empty.
const FORMAT: &str = "infercat file stamps v1";

/// What is known of one file: its content hash under a stamp, and its text where kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Known {
    stamp: Stamp,
    hash: String,
    text: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct StampsFile {
    format: String,
    entries: Vec<(String, Known)>,
}

/// Content hashes by file (relative to the raw root), each with the stamp it was taken under.
#[derive(Debug)]
pub struct FileStamps {
    known: HashMap<String, Known>,
    /// When the build that takes these stamps began to look at files: only stamps settled
    /// before it are saved.
    started: SystemTime,
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
        }
    }

    /// Loads a stamps file. A missing, unreadable, foreign or damaged file is no stamps: they
    /// only spare reads, never decide what a file holds.
    pub fn load(path: &Path) -> Self {
        let Some(file) = std::fs::read(path)
            .ok()
            .and_then(|bytes| postcard::from_bytes::<StampsFile>(&bytes).ok())
            .filter(|f| f.format == FORMAT)
        else {
            return Self::default();
        };
        Self {
            known: file.entries.into_iter().collect(),
            ..Self::default()
        }
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
    /// their file is read again next time) atomically, sorted by file so equal input gives
    /// equal bytes.
    pub fn save(&self, path: &Path) -> Result<(), PipelineError> {
        let mut entries: Vec<(&String, &Known)> = self
            .known
            .iter()
            .filter(|(_, known)| known.stamp.settled_before(self.started))
            .collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        // Written as the tuple a `StampsFile` reads back (postcard encodes a struct as its
        // fields in order), without copying the entries.
        let bytes =
            postcard::to_allocvec(&(FORMAT, entries)).map_err(|e| PipelineError::Table {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        crate::output_dir::replace_file(path, &bytes)
    }
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

    #[test]
    fn a_damaged_or_foreign_file_is_no_stamps() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("stamps.bin");
        std::fs::write(&path, b"\x05garbage").expect("write");
        assert!(FileStamps::load(&path).known.is_empty());
        let foreign = postcard::to_allocvec(&StampsFile {
            format: "something else".into(),
            entries: vec![],
        })
        .expect("encode");
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
