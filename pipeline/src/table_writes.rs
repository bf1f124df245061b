//! Tables written on threads of their own while the next stage works on the frames: a made
//! table is a [`PendingTable`]; [`TableWrites`] starts its write and is waited on before
//! anything reads the file (the site's downloads) or the generation is published.
//!
//! Why: writing `benchmarks.parquet` and its CSV copy took ≈ 0.2 s of a 10,000-profile build on
//! fewer than both cores, and analysis (which reads the frame, not the file) waited for it.

use crate::PipelineError;
use polars::prelude::DataFrame;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread::JoinHandle;

/// A table made and not yet written (Parquet and its CSV copy, [`crate::schema::write_parquet`]).
#[must_use = "a table that is never written is lost"]
pub struct PendingTable {
    frame: DataFrame,
    path: PathBuf,
}

impl PendingTable {
    pub fn new(frame: DataFrame, path: PathBuf) -> Self {
        Self { frame, path }
    }

    /// The table's frame; a clone shares its columns.
    pub fn frame(&self) -> &DataFrame {
        &self.frame
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the table here and now.
    pub fn write(mut self) -> Result<(), PipelineError> {
        crate::schema::write_parquet(&mut self.frame, &self.path)
    }
}

/// The writes started and not yet waited for. Dropping it waits for them too, so no write
/// outlives the build that started it (an abandoned generation is not written into later).
#[derive(Default)]
pub struct TableWrites(Mutex<Vec<Write>>);

/// A started write: the table's path (to name it should its thread panic) and its thread.
type Write = (PathBuf, JoinHandle<Result<(), PipelineError>>);

impl TableWrites {
    /// Starts writing `table` on a thread of its own.
    pub fn start(&self, table: PendingTable) -> Result<(), PipelineError> {
        let path = table.path.clone();
        let handle = std::thread::Builder::new()
            .name("table-write".into())
            .spawn(move || table.write())
            .map_err(|e| PipelineError::io(&path, e))?;
        self.handles().push((path, handle));
        Ok(())
    }

    /// Waits for every write started so far; the first that failed is the error. Not from a
    /// rayon worker: the writes run rayon jobs of their own, and a worker blocked here while
    /// one of them waits behind it in the worker's stack would never wake.
    pub fn wait(&self) -> Result<(), PipelineError> {
        let started = std::mem::take(&mut *self.handles());
        debug_assert!(
            started.is_empty() || rayon::current_thread_index().is_none(),
            "TableWrites::wait called from a rayon worker"
        );
        let mut first_error = None;
        for (path, handle) in started {
            let outcome = handle.join().unwrap_or_else(|_| {
                Err(PipelineError::Table {
                    path,
                    reason: "the thread writing it panicked".into(),
                })
            });
            if let Err(e) = outcome {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn handles(&self) -> std::sync::MutexGuard<'_, Vec<Write>> {
        // A poisoned lock only means a thread panicked while pushing; the list is still whole.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for TableWrites {
    fn drop(&mut self) {
        let _ = self.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    fn table(dir: &Path, name: &str) -> PendingTable {
        let frame = df!("a" => [1i64, 2, 3]).expect("frame");
        PendingTable::new(frame, dir.join(name))
    }

    #[test]
    fn a_started_write_is_on_disk_once_waited_for() {
        let dir = tempfile::tempdir().expect("tempdir");
        let writes = TableWrites::default();
        writes.start(table(dir.path(), "t.parquet")).expect("start");
        writes.wait().expect("written");
        assert!(dir.path().join("t.parquet").is_file());
        assert!(dir.path().join("t.csv").is_file());
        // Waiting again, with nothing started, is fine.
        writes.wait().expect("nothing pending");
    }

    #[test]
    fn a_failed_write_is_the_error_of_the_wait() {
        let dir = tempfile::tempdir().expect("tempdir");
        let writes = TableWrites::default();
        writes.start(table(dir.path(), "t.parquet")).expect("start");
        writes
            .start(table(&dir.path().join("missing"), "u.parquet"))
            .expect("start");
        let err = writes
            .wait()
            .expect_err("the second write cannot create its file");
        assert!(err.to_string().contains("missing"), "{err}");
        assert!(dir.path().join("t.parquet").is_file());
    }

    #[test]
    fn dropping_waits_for_the_writes() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let writes = TableWrites::default();
            writes.start(table(dir.path(), "t.parquet")).expect("start");
        }
        assert!(dir.path().join("t.parquet").is_file());
    }
}
