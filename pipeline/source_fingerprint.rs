//! A build-script helper shared by `pipeline/build.rs` and `site-gen/build.rs`: a fingerprint of
//! a crate's Rust sources and the workspace's locked dependencies, so what a build cached
//! (parsed files, rendered pages) is dropped whenever the code that made it changes, not only
//! when the version number does.

use std::path::{Path, PathBuf};

/// The workspace's lock file, from either crate's directory.
pub const LOCK_FILE: &str = "../Cargo.lock";

/// FNV-1a over each `.rs` file's path and bytes under `dir`, then `extra` (configuration the
/// code is compiled with) and `Cargo.lock` (a dependency upgrade can change what the code makes
/// too), in path order: stable across machines and without a build dependency.
pub fn source_fingerprint(dir: &Path, extra: &[&str]) -> String {
    let mut files = Vec::new();
    collect(dir, &mut files);
    files.sort();
    files.extend(extra.iter().map(PathBuf::from));
    files.push(PathBuf::from(LOCK_FILE));
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in &files {
        let bytes = std::fs::read(file).unwrap_or_default();
        for b in file.to_string_lossy().bytes().chain([0]).chain(bytes) {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}
