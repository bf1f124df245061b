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

fn main() -> ExitCode {
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
