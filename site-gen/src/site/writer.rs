//! Writes the site's files under one root, refusing any path that could leave it, counting
//! pages, files and bytes; shared by the threads that render profiles.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use super::*;

/// Files by name, hashed with foldhash: a refresh looks up each of 30,000 names several times.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Writes files under one root, refusing any path that could leave it. Shared by the
/// threads that render profiles.
pub(super) struct SiteWriter {
    root: PathBuf,
    /// Directories made so far: 30,000 files share a handful, and asking the file system for
    /// each file's was 3 % of a refresh.
    made_dirs: Mutex<BTreeSet<PathBuf>>,
    /// Every file placed so far (written, linked or kept in place) and its length: the
    /// statistics are counted from it, the records keep a profile's, and a build over a stale
    /// generation removes what is not among them.
    placed: Mutex<HashMap<String, u64>>,
}

pub(super) fn checked(rel: &str) -> Result<&Path, SiteError> {
    let rel_path = Path::new(rel);
    let safe = rel_path.components().all(|c| {
        matches!(c, Component::Normal(s) if s.to_str().is_some_and(|s| {
            !s.is_empty() && s.chars().all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.')) && !s.starts_with('.')
        }))
    });
    if safe {
        Ok(rel_path)
    } else {
        Err(SiteError::UnsafePath(rel.to_string()))
    }
}

impl SiteWriter {
    pub(super) fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            made_dirs: Mutex::new(BTreeSet::new()),
            placed: Mutex::new(HashMap::default()),
        }
    }

    pub(super) fn count(&self, rel: &str, len: u64) {
        self.placed_files().insert(rel.to_string(), len);
    }

    /// A poisoned map only means another thread panicked; what it holds was placed.
    fn placed_files(&self) -> std::sync::MutexGuard<'_, HashMap<String, u64>> {
        self.placed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The length of `rel` if this build placed it.
    pub(super) fn placed_len(&self, rel: &str) -> Option<u64> {
        self.placed_files().get(rel).copied()
    }

    /// Counts `files` (names and lengths) as placed where they already lie: files of the
    /// generation this build writes over, made from the same inputs.
    pub(super) fn keep_in_place(&self, files: &[(String, u64)]) {
        let mut placed = self.placed_files();
        placed.extend(files.iter().map(|(rel, len)| (rel.clone(), *len)));
    }

    /// Removes the files of `standby` this build did not place (and any entry no build
    /// names), then its directories left empty, so the tree is the one a build into an empty
    /// directory makes; the number of entries removed.
    pub(super) fn remove_leftovers(&self, standby: &StandbySite) -> Result<usize, SiteError> {
        let placed = self.placed_files();
        let mut removed = 0;
        // A listed file's name may now be a directory this build made: only a file goes.
        for rel in standby.leftovers(|rel| placed.contains_key(rel)) {
            removed += remove_counted(self.root.join(rel), |p| std::fs::remove_file(p))?;
        }
        for path in standby.foreign() {
            removed += remove_counted(path.clone(), remove_entry)?;
        }
        for dir in standby.dirs() {
            let path = self.root.join(dir);
            match std::fs::remove_dir(&path) {
                // One still holding a file stays, which is what is wanted.
                Err(e)
                    if e.kind() != std::io::ErrorKind::DirectoryNotEmpty && !gone_already(&e) =>
                {
                    return Err(SiteError::Io { path, source: e });
                }
                _ => {}
            }
        }
        Ok(removed)
    }

    pub(super) fn target(&self, rel: &str) -> Result<PathBuf, SiteError> {
        let path = self.root.join(checked(rel)?);
        if let Some(parent) = path.parent() {
            self.make_dir(parent)?;
        }
        Ok(path)
    }

    fn make_dir(&self, dir: &Path) -> Result<(), SiteError> {
        // A poisoned set only means another thread panicked; the directories it lists exist.
        let mut made = self.made_dirs.lock().unwrap_or_else(|e| e.into_inner());
        if made.contains(dir) {
            return Ok(());
        }
        std::fs::create_dir_all(dir)
            .or_else(|_| {
                // Writing over a stale generation (never the published one) a file may stand
                // where this build wants a directory; it goes.
                self.clear_files_on_the_way(dir);
                std::fs::create_dir_all(dir)
            })
            .map_err(|source| SiteError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        made.insert(dir.to_path_buf());
        Ok(())
    }

    /// Removes anything but a directory at `dir` or above it, up to the root.
    fn clear_files_on_the_way(&self, dir: &Path) {
        let Ok(rel) = dir.strip_prefix(&self.root) else {
            return;
        };
        let mut at = self.root.clone();
        for part in rel.components() {
            at.push(part);
            if std::fs::symlink_metadata(&at).is_ok_and(|m| !m.is_dir()) {
                let _ = std::fs::remove_file(&at);
            }
        }
    }

    pub(super) fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), SiteError> {
        use std::io::Write;
        let path = self.target(rel)?;
        let io = |source| SiteError::Io {
            path: path.clone(),
            source,
        };
        new_file(&path).map_err(io)?.write_all(bytes).map_err(io)?;
        self.count(rel, bytes.len() as u64);
        Ok(())
    }

    /// Writes `<rel>` through `fill` as it goes (buffered): a large file is never held whole.
    pub(super) fn stream(
        &self,
        rel: &str,
        fill: impl FnOnce(&mut Counted<std::io::BufWriter<std::fs::File>>) -> Result<(), SiteError>,
    ) -> Result<(), SiteError> {
        use std::io::Write;
        let path = self.target(rel)?;
        let named = |source| SiteError::Io {
            path: path.clone(),
            source,
        };
        let file = new_file(&path).map_err(named)?;
        let mut out = Counted {
            inner: std::io::BufWriter::with_capacity(1 << 16, file),
            bytes: 0,
        };
        let filled = fill(&mut out).and_then(|()| out.flush().map_err(SiteError::Write));
        match filled {
            Err(SiteError::Write(source)) => Err(named(source)),
            Err(other) => Err(other),
            Ok(()) => {
                self.count(rel, out.bytes);
                Ok(())
            }
        }
    }

    pub(super) fn copy(&self, from: &Path, rel: &str) -> Result<(), SiteError> {
        let bytes = std::fs::read(from).map_err(|source| SiteError::Io {
            path: from.to_path_buf(),
            source,
        })?;
        self.write(rel, &bytes)
    }

    /// `from` as `<rel>` by a hard link when it is on the same file system (the tables of this
    /// same generation: never written again), else a copy.
    pub(super) fn link_or_copy(&self, from: &Path, rel: &str) -> Result<(), SiteError> {
        let to = self.target(rel)?;
        let len = link_or_copy_file(from, &to, None).map_err(|source| SiteError::Io {
            path: to.clone(),
            source,
        })?;
        self.count(rel, len);
        Ok(())
    }

    /// Reuses `<previous>/<rel>` by a hard link (same bytes, no copy); false if it cannot.
    pub(super) fn reuse(&self, previous: &Path, rel: &str) -> bool {
        self.reuse_all(previous, &[rel], None)
    }

    /// Reuses every one of `rels` from `previous`, or reports false: then one was not a regular
    /// file there, or one could not be linked (one linked already is replaced, never written
    /// through, when its owner renders it again: see [`new_file`]). Where the previous build
    /// recorded the files' `lengths`, no file is asked for its own: a missing one fails its
    /// link instead (30,000 stats were a tenth of a refresh's reuse).
    pub(super) fn reuse_all(
        &self,
        previous: &Path,
        rels: &[impl AsRef<str>],
        lengths: Option<&[u64]>,
    ) -> bool {
        let lengths = lengths.filter(|l| l.len() == rels.len());
        let mut sources = Vec::with_capacity(rels.len());
        for (i, rel) in rels.iter().enumerate() {
            let rel = rel.as_ref();
            let (Ok(from), Ok(to)) = (checked(rel).map(|r| previous.join(r)), self.target(rel))
            else {
                return false;
            };
            if let Some(&len) = lengths.and_then(|l| l.get(i)) {
                sources.push((rel, from, to, len));
                continue;
            }
            // One stat a file: whether it is there and, linked, its length.
            match std::fs::symlink_metadata(&from) {
                Ok(m) if m.is_file() => sources.push((rel, from, to, m.len())),
                _ => return false,
            }
        }
        let mut linked = Vec::with_capacity(sources.len());
        for (rel, from, to, len) in sources {
            match link_or_copy_file(&from, &to, Some(len)) {
                Ok(len) => linked.push((rel, len)),
                Err(_) => return false,
            }
        }
        // Counted once all are in place: a profile whose reuse failed is rendered, and counted,
        // again.
        for (rel, len) in linked {
            self.count(rel, len);
        }
        true
    }

    pub(super) fn stats(&self, reused_profiles: usize, reused_models: usize) -> SiteStats {
        let placed = self.placed_files();
        SiteStats {
            pages: placed.keys().filter(|rel| rel.ends_with(".html")).count(),
            files: placed.len(),
            bytes: placed.values().sum(),
            reused_profiles,
            reused_models,
        }
    }
}

/// A new, empty file at `path`. A file already there is unlinked first, never truncated: it
/// may be a hard link to the published site's file (a profile whose reuse failed half-way).
fn new_file(path: &Path) -> std::io::Result<std::fs::File> {
    let create = || {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
    };
    match create() {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            remove_entry(path)?;
            create()
        }
        other => other,
    }
}

/// 1 where `remove` took `path`, 0 where it was not there (or is now a directory this build
/// made, which a file's removal leaves).
fn remove_counted(
    path: PathBuf,
    remove: fn(&Path) -> std::io::Result<()>,
) -> Result<usize, SiteError> {
    match remove(&path) {
        Ok(()) => Ok(1),
        Err(e) if gone_already(&e) || e.kind() == std::io::ErrorKind::IsADirectory => Ok(0),
        Err(source) => Err(SiteError::Io { path, source }),
    }
}

/// Whether removing an entry failed because it is not there: gone, or a file of this build
/// now stands where a directory on its path was.
fn gone_already(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    )
}

/// Unlinks what is at `path`; a directory (a stale generation's, where this build writes a
/// file) goes whole.
fn remove_entry(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        _ => std::fs::remove_file(path),
    }
}

/// A hard link from `to` to `from` (same bytes, no copy), else a copy; the file's length
/// (`len`, when the caller has it from a stat of `from`). A file already at `to` is unlinked
/// before the copy, never written through: it may be a link to the published file.
fn link_or_copy_file(from: &Path, to: &Path, len: Option<u64>) -> std::io::Result<u64> {
    let linked = std::fs::hard_link(from, to).or_else(|_| {
        let _ = remove_entry(to);
        std::fs::hard_link(from, to)
    });
    match linked {
        Ok(()) => len.map_or_else(|| Ok(std::fs::metadata(to)?.len()), Ok),
        // Into a new file, never through one still there.
        Err(_) => std::io::copy(&mut std::fs::File::open(from)?, &mut new_file(to)?),
    }
}

/// A writer that counts the bytes written through it.
pub(super) struct Counted<W> {
    inner: W,
    bytes: u64,
}

impl<W: std::io::Write> std::io::Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{files_under, write_tree};
    use std::io::Write;

    #[test]
    fn a_streamed_file_is_written_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let w = SiteWriter::new(dir.path());
        w.stream("api/v1/a.json", |out| {
            out.write_all(b"[1,").map_err(SiteError::Write)?;
            out.write_all(b"2]\n").map_err(SiteError::Write)
        })
        .unwrap();
        let written = std::fs::read(dir.path().join("api/v1/a.json")).unwrap();
        assert_eq!(written, b"[1,2]\n");
        assert_eq!(w.stats(0, 0).bytes, 6);
        assert_eq!(w.stats(0, 0).files, 1);
    }

    #[test]
    fn writing_over_a_hard_link_leaves_the_linked_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let published = dir.path().join("published.html");
        std::fs::write(&published, b"published").unwrap();
        let w = SiteWriter::new(&dir.path().join("next"));
        assert!(w.reuse(dir.path(), "published.html"), "linked");
        w.write("published.html", b"new").unwrap();
        w.stream("published.html", |out| {
            out.write_all(b"newer").map_err(SiteError::Write)
        })
        .unwrap();
        assert_eq!(std::fs::read(&published).unwrap(), b"published");
        let written = std::fs::read(dir.path().join("next/published.html")).unwrap();
        assert_eq!(written, b"newer");
    }

    #[test]
    fn reuse_links_all_of_a_profiles_files_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let previous = dir.path().join("previous");
        std::fs::create_dir_all(previous.join("api")).unwrap();
        std::fs::write(previous.join("page.html"), b"page").unwrap();
        std::fs::write(previous.join("api/doc.json"), b"{}").unwrap();
        let w = SiteWriter::new(&dir.path().join("next"));
        assert!(!w.reuse_all(&previous, &["page.html", "gone.yaml"], None));
        assert!(!dir.path().join("next/page.html").exists(), "none linked");
        assert_eq!(w.stats(0, 0).files, 0);
        assert!(
            !w.reuse_all(&previous, &["api"], None),
            "a directory is not a file"
        );
        // With the lengths recorded no file is asked for its own: a missing one fails its link.
        assert!(!w.reuse_all(&previous, &["gone.yaml"], Some(&[4])));
        assert_eq!(w.stats(0, 0).files, 0);
        assert!(w.reuse_all(&previous, &["page.html", "api/doc.json"], None));
        assert_eq!(
            std::fs::read(dir.path().join("next/api/doc.json")).unwrap(),
            b"{}"
        );
        let stats = w.stats(0, 0);
        assert_eq!((stats.files, stats.pages, stats.bytes), (2, 1, 6));
    }

    #[test]
    fn writing_over_a_standby_site_leaves_only_what_this_build_placed() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        write_tree(
            &site,
            &[
                ("kept.html", "kept"),
                ("api/v1/replaced.json", "old"),
                ("old/deep/gone.yaml", "gone"),
            ],
        );
        let standby = StandbySite::survey(&site, None).unwrap();
        let depths: Vec<usize> = standby
            .dirs()
            .iter()
            .map(|d| d.matches('/').count())
            .collect();
        assert_eq!(depths, [1, 1, 0, 0], "deepest first: {:?}", standby.dirs());
        let mut dirs = standby.dirs().to_vec();
        dirs.sort();
        assert_eq!(dirs, ["api", "api/v1", "old", "old/deep"]);
        let w = SiteWriter::new(&site);
        w.keep_in_place(&[("kept.html".to_string(), 4)]);
        w.write("api/v1/replaced.json", b"new").unwrap();
        w.write("fresh.html", b"fresh").unwrap();
        assert_eq!(w.remove_leftovers(&standby).unwrap(), 1);
        assert_eq!(
            files_under(&site),
            ["api/v1/replaced.json", "fresh.html", "kept.html"]
        );
        assert_eq!(
            std::fs::read(site.join("api/v1/replaced.json")).unwrap(),
            b"new"
        );
        assert!(!site.join("old").exists(), "emptied directories go too");
        let stats = w.stats(0, 0);
        assert_eq!((stats.files, stats.pages, stats.bytes), (3, 2, 12));
        assert_eq!(w.placed_len("kept.html"), Some(4));
    }

    #[test]
    fn over_a_standby_site_a_file_or_directory_in_the_way_goes() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        // A file where this build wants a directory, a directory where it wants a file, and
        // a name no build writes.
        write_tree(&site, &[("page.html/old/x", "x"), ("api", "a file")]);
        let odd = site.join(std::ffi::OsStr::from_bytes(b"odd-\xff"));
        std::fs::create_dir_all(&odd).unwrap();
        let standby = StandbySite::survey(&site, None).unwrap();
        assert_eq!(standby.foreign(), std::slice::from_ref(&odd));
        let w = SiteWriter::new(&site);
        w.write("page.html", b"page").unwrap();
        w.write("api/v1/a.json", b"{}").unwrap();
        w.remove_leftovers(&standby).unwrap();
        assert_eq!(files_under(&site), ["api/v1/a.json", "page.html"]);
        assert!(!odd.exists());
    }

    #[test]
    fn reusing_a_file_twice_never_empties_the_published_one() {
        let dir = tempfile::tempdir().unwrap();
        let published = dir.path().join("page.html");
        std::fs::write(&published, b"published").unwrap();
        let w = SiteWriter::new(&dir.path().join("next"));
        assert!(w.reuse_all(dir.path(), &["page.html", "page.html"], None));
        assert_eq!(std::fs::read(&published).unwrap(), b"published");
        assert_eq!(
            std::fs::read(dir.path().join("next/page.html")).unwrap(),
            b"published"
        );
    }

    #[test]
    fn a_failed_write_names_the_file_and_other_errors_pass_through() {
        let dir = tempfile::tempdir().unwrap();
        let w = SiteWriter::new(dir.path());
        let err = w
            .stream("index.html", |_| {
                Err(SiteError::Write(std::io::Error::other("disk full")))
            })
            .unwrap_err();
        assert!(
            matches!(&err, SiteError::Io { path, .. } if path.ends_with("index.html")),
            "{err:?}"
        );
        assert!(err.to_string().contains("index.html"), "{err}");
        let err = w
            .stream("b.html", |_| Err(SiteError::Data("bad".into())))
            .unwrap_err();
        assert!(matches!(err, SiteError::Data(_)), "{err:?}");
        assert_eq!(w.stats(0, 0).files, 0, "a failed file is not counted");
        assert!(w.stream("../x", |_| Ok(())).is_err(), "confined");
    }
}
