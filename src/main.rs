//! The `infercat` binary: parses the command line and wires the pipeline and site-gen crates.
//! Exit codes: 0 ok, 1 runtime failure, 2 usage error (clap's own code for bad arguments).

mod catalog;
mod cli;
mod cmd;
mod output;
mod progress;
mod refresh;
mod serve;
mod settings;

use clap::Parser;
use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: the site stage allocates many small strings on two
/// threads, where glibc's per-thread arenas kept freed memory resident and cost time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Where the kernel backs anonymous memory with 2 MiB pages, every page mimalloc touches again
/// after returning it was zeroed whole: `perf` put 28 % of an ingest of 10,000 runs in the
/// kernel's page clearing. Small pages: ingest 3.8 → 3.1 s, 30–40 MiB less at peak. Only a
/// hint; where the call is unknown nothing changes. mimalloc itself is built not to ask for
/// them (`no_thp` in Cargo.toml), since its first arena is reserved before `main` runs.
fn without_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE reads its four arguments as `unsigned long` (so they are
    // passed as such through the variadic call; the kernel refuses non-zero unused ones) and
    // touches no memory of ours.
    unsafe {
        let (on, unused): (libc::c_ulong, libc::c_ulong) = (1, 0);
        libc::prctl(libc::PR_SET_THP_DISABLE, on, unused, unused, unused);
    }
}

/// mimalloc's `mi_option_purge_delay`: its position in `mi_option_e`, the same in mimalloc 2
/// and 3 (libmimalloc-sys names no constant for it). Its default is 1000 ms in mimalloc 3, the
/// version the crate builds; mimalloc 2's is 10 ms, which the check below leaves alone.
const PURGE_DELAY_OPTION: libmimalloc_sys::mi_option_t = 15;
const DEFAULT_PURGE_DELAY_MS: std::ffi::c_long = 1000;

/// Memory the build frees returns to the system after 25 ms instead of a second. Ingest frees
/// its parsed files and rows while the table is made and written, and the site stage's pages
/// and aggregate files churn through transient buffers on two threads: freed memory waiting
/// for its purge was most of a build's peak above the heap, and a peak under 250 MiB is a
/// target of its own (the README's benchmark section has the measurements: 25 ms cost little
/// time, 0 ms up to a second). Changed only where the option holds mimalloc 3's default: not if
/// the position means something else in another mimalloc, nor where `MIMALLOC_PURGE_DELAY` set
/// another value.
const PURGE_DELAY_MS: std::ffi::c_long = 25;

/// Sets mimalloc's purge delay to [`PURGE_DELAY_MS`] where it holds the default.
fn return_freed_memory_sooner() {
    // SAFETY: plain option accessors of the linked mimalloc, which take and return integers
    // and check the index; they are not thread-safe, and this runs first in `main`, before
    // any other thread exists.
    unsafe {
        if libmimalloc_sys::mi_option_get(PURGE_DELAY_OPTION) == DEFAULT_PURGE_DELAY_MS {
            libmimalloc_sys::mi_option_set(PURGE_DELAY_OPTION, PURGE_DELAY_MS);
        }
    }
}

fn main() -> ExitCode {
    without_transparent_huge_pages();
    return_freed_memory_sooner();
    let cli = cli::Cli::parse();
    match cmd::run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.downcast_ref::<settings::UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
