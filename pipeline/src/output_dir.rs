//! The output directory of refresh jobs: one build at a time (an OS file lock, released by the
//! kernel even when the holder dies), and atomic publication. Each build writes a new
//! generation under `.generations/`; `data` and `site` are symlinks that are switched to it by
//! `rename`, which replaces a symlink atomically, so a reader (or a killed build) only ever
//! sees a complete previous or a complete new tree. A site build may instead take over the
//! newest generation nothing points into (`recycle_stale_generation`) and rewrite only what
//! changed in it: unpublished, it can be changed in place without any reader seeing it.

use crate::error::PipelineError;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const LOCK_FILE: &str = ".lock";
pub const GENERATIONS_DIR: &str = ".generations";
pub const CACHE_DIR: &str = ".cache";

/// Writes `bytes` as the file at `path` atomically (a temporary file beside it, then renamed
/// over it), making its directory first: a build killed mid-write leaves the previous file.
pub(crate) fn replace_file(path: &Path, bytes: &[u8]) -> Result<(), PipelineError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| PipelineError::io(dir, e))?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| PipelineError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| PipelineError::io(path, e))
}

/// Why a build could not take the output directory.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another infercat build ({holder}) is writing {dir}; refusing to run two builds on one output at once"
    )]
    Busy { dir: PathBuf, holder: String },
    #[error(transparent)]
    Io(#[from] PipelineError),
}

/// Exclusive use of an output directory for the lifetime of this value.
pub struct OutputLock {
    _file: File,
    pub dir: PathBuf,
}

impl OutputLock {
    /// Takes the lock or says who holds it. A lock file left by a dead process is not held
    /// (the kernel dropped the lock with the process), so it is simply taken over.
    pub fn acquire(dir: &Path) -> Result<Self, LockError> {
        std::fs::create_dir_all(dir).map_err(|e| PipelineError::io(dir, e))?;
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| PipelineError::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(&path).unwrap_or_default();
                let holder = holder.trim();
                return Err(LockError::Busy {
                    dir: dir.to_path_buf(),
                    holder: if holder.is_empty() {
                        "unknown process".into()
                    } else {
                        holder.to_string()
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(PipelineError::io(&path, e).into()),
        }
        file.set_len(0).map_err(|e| PipelineError::io(&path, e))?;
        write!(file, "pid {}", std::process::id()).map_err(|e| PipelineError::io(&path, e))?;
        file.flush().map_err(|e| PipelineError::io(&path, e))?;
        Ok(Self {
            _file: file,
            dir: dir.to_path_buf(),
        })
    }

    /// Creates the next generation directory (`.generations/gN`).
    pub fn new_generation(&self) -> Result<PathBuf, PipelineError> {
        let root = self.dir.join(GENERATIONS_DIR);
        std::fs::create_dir_all(&root).map_err(|e| PipelineError::io(&root, e))?;
        let next = generation_numbers(&root)
            .into_iter()
            .max()
            .map_or(1, |n| n + 1);
        let dir = root.join(format!("g{next}"));
        std::fs::create_dir(&dir).map_err(|e| PipelineError::io(&dir, e))?;
        Ok(dir)
    }

    /// The newest generation neither `data` nor `site` points into that holds `marker` (the
    /// caller's proof that a build finished writing it), renamed to the number the next new
    /// generation would have (so numbers still rise build by build), to be built over instead
    /// of a new, empty one: a refresh then rewrites only the files that differ, where linking
    /// every unchanged file into a new tree and unlinking the superseded one cost a refresh at
    /// 10,000 profiles 30,000 links and 30,000 unlinks. None where there is no such
    /// generation. The caller removes `marker` before changing anything in it, so a build that
    /// dies or fails while writing over it leaves one that is not taken again, only pruned.
    pub fn recycle_stale_generation(&self, marker: &str) -> Result<Option<PathBuf>, PipelineError> {
        let Some(newest) = self
            .stale_generations()
            .into_iter()
            .filter(|g| g.join(marker).is_file())
            .filter_map(|g| Some((generation_number(&g)?, g)))
            .max()
        else {
            return Ok(None);
        };
        let root = self.dir.join(GENERATIONS_DIR);
        let next = generation_numbers(&root).into_iter().max().unwrap_or(0) + 1;
        let dir = root.join(format!("g{next}"));
        std::fs::rename(&newest.1, &dir).map_err(|e| PipelineError::io(&newest.1, e))?;
        Ok(Some(dir))
    }

    /// Points `<dir>/<name>` at `<generation>/<name>` atomically.
    pub fn publish(&self, generation: &Path, name: &str) -> Result<(), PipelineError> {
        let link = self.dir.join(name);
        let gen_name = generation
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let target = Path::new(GENERATIONS_DIR).join(gen_name).join(name);
        let tmp = self.dir.join(format!(".{name}.next"));
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&target, &tmp).map_err(|e| PipelineError::io(&tmp, e))?;
        if link.is_dir() && !link.is_symlink() {
            // A tree from before generations existed: move it aside once; the rename below
            // then installs the symlink.
            let aside = self
                .dir
                .join(GENERATIONS_DIR)
                .join(format!("legacy-{name}"));
            let _ = std::fs::remove_dir_all(&aside);
            std::fs::rename(&link, &aside).map_err(|e| PipelineError::io(&link, e))?;
        }
        std::fs::rename(&tmp, &link).map_err(|e| PipelineError::io(&link, e))
    }

    /// The generation directory `<dir>/<name>` currently points into, if any.
    pub fn current(&self, name: &str) -> Option<PathBuf> {
        let target = std::fs::read_link(self.dir.join(name)).ok()?;
        Some(self.dir.join(target.parent()?))
    }

    /// Starts removing the generations no link points into (the partial one of a killed build
    /// among them) but `building`, on a thread of its own, so a build does not wait while the
    /// kernel unlinks a superseded site's tens of thousands of files. Call it after making the
    /// build's generation: its number then stays above every one being removed. A build does
    /// not prune after publishing, so the generation it superseded stays until the next build:
    /// `serve` requests that began on it finish on it.
    pub fn prune_in_background(&self, building: &Path) -> Pruning {
        let mut stale = self.stale_generations();
        stale.retain(|g| g != building);
        let for_thread = stale.clone();
        let removal = match std::thread::Builder::new()
            .name("prune".into())
            .spawn(move || {
                crate::background::lowest_priority();
                remove_generations(&for_thread)
            }) {
            Ok(handle) => Removal::Running(handle),
            // No thread to be had: remove them now instead.
            Err(_) => Removal::Done(remove_generations(&stale)),
        };
        Pruning {
            root: self.dir.join(GENERATIONS_DIR),
            removal,
        }
    }

    /// Generations neither `data` nor `site` points into.
    fn stale_generations(&self) -> Vec<PathBuf> {
        let root = self.dir.join(GENERATIONS_DIR);
        let keep: Vec<PathBuf> = ["data", "site"]
            .iter()
            .filter_map(|n| self.current(n))
            .collect();
        let Ok(entries) = std::fs::read_dir(&root) else {
            return Vec::new();
        };
        entries
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| !keep.contains(path))
            .collect()
    }
}

/// Stale generations being removed ([`OutputLock::prune_in_background`]). Dropped without
/// [`Pruning::wait`] (a build that failed), it still waits, so no removal is cut short by the
/// process ending.
pub struct Pruning {
    root: PathBuf,
    removal: Removal,
}

enum Removal {
    Running(std::thread::JoinHandle<Result<(), PipelineError>>),
    Done(Result<(), PipelineError>),
    Waited,
}

impl Pruning {
    /// Waits for the removal to end and says whether it failed.
    pub fn wait(mut self) -> Result<(), PipelineError> {
        match std::mem::replace(&mut self.removal, Removal::Waited) {
            Removal::Running(handle) => handle.join().unwrap_or_else(|_| {
                Err(PipelineError::io(
                    &self.root,
                    std::io::Error::other("the thread removing old generations panicked"),
                ))
            }),
            Removal::Done(outcome) => outcome,
            Removal::Waited => Ok(()),
        }
    }
}

impl Drop for Pruning {
    fn drop(&mut self) {
        if let Removal::Running(handle) = std::mem::replace(&mut self.removal, Removal::Waited) {
            let _ = handle.join();
        }
    }
}

/// Removes every one of `dirs` it can, and reports the first it could not: one that resists
/// (its permissions changed by hand) must not keep the rest from going.
fn remove_generations(dirs: &[PathBuf]) -> Result<(), PipelineError> {
    let mut first_error = None;
    for dir in dirs {
        if let Err(e) = std::fs::remove_dir_all(dir) {
            first_error.get_or_insert(PipelineError::io(dir, e));
        }
    }
    first_error.map_or(Ok(()), Err)
}

fn generation_numbers(root: &Path) -> Vec<u64> {
    std::fs::read_dir(root)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| generation_number(&e.path()))
                .collect()
        })
        .unwrap_or_default()
}

/// N of a generation directory `gN`.
fn generation_number(dir: &Path) -> Option<u64> {
    dir.file_name()?.to_str()?.strip_prefix('g')?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = OutputLock::acquire(dir.path()).unwrap();
        let err = OutputLock::acquire(dir.path()).err().unwrap().to_string();
        assert!(err.contains("another infercat build (pid"), "{err}");
        drop(first);
        OutputLock::acquire(dir.path()).unwrap();
    }

    #[test]
    fn publish_switches_links_and_pruning_keeps_the_live_generation() {
        let dir = tempfile::tempdir().unwrap();
        let lock = OutputLock::acquire(dir.path()).unwrap();
        for n in 0..2 {
            let g = lock.new_generation().unwrap();
            std::fs::create_dir_all(g.join("site")).unwrap();
            std::fs::write(g.join("site/index.html"), format!("v{n}")).unwrap();
            lock.publish(&g, "site").unwrap();
            lock.prune_in_background(&g).wait().unwrap();
            assert_eq!(
                std::fs::read_to_string(dir.path().join("site/index.html")).unwrap(),
                format!("v{n}")
            );
        }
        assert_eq!(
            std::fs::read_dir(dir.path().join(GENERATIONS_DIR))
                .unwrap()
                .count(),
            1
        );
    }

    #[test]
    fn pruning_removes_what_was_stale_when_it_started_but_the_building_generation() {
        let dir = tempfile::tempdir().unwrap();
        let lock = OutputLock::acquire(dir.path()).unwrap();
        let live = lock.new_generation().unwrap();
        std::fs::create_dir_all(live.join("site")).unwrap();
        lock.publish(&live, "site").unwrap();
        let killed = lock.new_generation().unwrap();
        std::fs::write(killed.join("partial"), "x").unwrap();
        let building = lock.new_generation().unwrap();
        let pruning = lock.prune_in_background(&building);
        let after = lock.new_generation().unwrap();
        pruning.wait().unwrap();
        assert!(live.is_dir() && building.is_dir() && after.is_dir());
        assert!(!killed.exists());
        let number = |g: &Path| -> u64 {
            g.file_name().unwrap().to_str().unwrap()[1..]
                .parse()
                .unwrap()
        };
        assert!(number(&building) > number(&killed) && number(&after) > number(&building));
    }

    #[test]
    fn the_newest_stale_generation_is_recycled_under_the_next_number() {
        let dir = tempfile::tempdir().unwrap();
        let lock = OutputLock::acquire(dir.path()).unwrap();
        assert_eq!(lock.recycle_stale_generation("done").unwrap(), None);
        let older = lock.new_generation().unwrap();
        let newer = lock.new_generation().unwrap();
        std::fs::write(older.join("done"), "").unwrap();
        std::fs::write(newer.join("done"), "x").unwrap();
        let unfinished = lock.new_generation().unwrap();
        let live = lock.new_generation().unwrap();
        lock.publish(&live, "site").unwrap();
        let recycled = lock.recycle_stale_generation("done").unwrap().unwrap();
        assert_eq!(recycled.file_name().unwrap(), "g5");
        assert_eq!(std::fs::read_to_string(recycled.join("done")).unwrap(), "x");
        assert!(older.is_dir() && !newer.exists() && unfinished.is_dir() && live.is_dir());
        // Those left stale go with the pruning; the recycled one is the build's own.
        lock.prune_in_background(&recycled).wait().unwrap();
        assert!(!older.exists() && !unfinished.exists() && recycled.is_dir() && live.is_dir());
    }

    #[test]
    fn a_plain_directory_from_an_older_layout_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("site")).unwrap();
        std::fs::write(dir.path().join("site/old.html"), "old").unwrap();
        let lock = OutputLock::acquire(dir.path()).unwrap();
        let g = lock.new_generation().unwrap();
        std::fs::create_dir_all(g.join("site")).unwrap();
        lock.publish(&g, "site").unwrap();
        assert!(dir.path().join("site").is_symlink());
    }
}
