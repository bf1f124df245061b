//! Wall-clock marks of a build's steps, printed on stderr only when `INFERCAT_TIMINGS` is set:
//! how a refresh's time splits between steps, without a profiler (the README's benchmark
//! section quotes them). Marks never change what a build writes.

use std::sync::OnceLock;
use std::time::Instant;

struct Clock {
    enabled: bool,
    started: Instant,
}

fn clock() -> &'static Clock {
    static CLOCK: OnceLock<Clock> = OnceLock::new();
    CLOCK.get_or_init(|| Clock {
        enabled: std::env::var_os("INFERCAT_TIMINGS").is_some(),
        started: Instant::now(),
    })
}

/// Starts the clock (the first mark of a process is its zero).
pub fn start() {
    clock();
}

/// Prints `step` and the milliseconds since [`start`], when timings are on.
pub fn mark(step: impl std::fmt::Display) {
    let c = clock();
    if c.enabled {
        eprintln!(
            "timing: {:8.1} ms  {step}",
            c.started.elapsed().as_secs_f64() * 1e3
        );
    }
}
