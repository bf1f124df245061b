//! Progress of long stages on stderr: an indicatif bar on a terminal, plain periodic lines
//! otherwise (CI logs, cron mail).

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Seconds between plain progress lines.
const LINE_EVERY: Duration = Duration::from_secs(2);

enum Mode {
    Bar(Option<ProgressBar>),
    Lines {
        stage: String,
        total: usize,
        done: usize,
        last: Instant,
    },
}

pub struct Reporter {
    mode: Mutex<Mode>,
}

impl Reporter {
    pub fn new() -> Self {
        let mode = if std::io::stderr().is_terminal() {
            Mode::Bar(None)
        } else {
            Mode::Lines {
                stage: String::new(),
                total: 0,
                done: 0,
                last: Instant::now(),
            }
        };
        Self {
            mode: Mutex::new(mode),
        }
    }
}

impl pipeline::progress::Progress for Reporter {
    fn start(&self, stage: &str, total: usize) {
        let Ok(mut mode) = self.mode.lock() else {
            return;
        };
        match &mut *mode {
            Mode::Bar(bar) => {
                let b = ProgressBar::new(total as u64);
                if let Ok(style) =
                    ProgressStyle::with_template("{msg:>8} [{bar:40}] {pos}/{len} ({elapsed})")
                {
                    b.set_style(style.progress_chars("=> "));
                }
                b.set_message(stage.to_string());
                *bar = Some(b);
            }
            Mode::Lines {
                stage: s,
                total: t,
                done,
                last,
            } => {
                *s = stage.to_string();
                *t = total;
                *done = 0;
                *last = Instant::now();
                eprintln!("{stage}: 0/{total}");
            }
        }
    }

    fn advance(&self, n: usize) {
        let Ok(mut mode) = self.mode.lock() else {
            return;
        };
        match &mut *mode {
            Mode::Bar(Some(b)) => b.inc(n as u64),
            Mode::Bar(None) => {}
            Mode::Lines {
                stage,
                total,
                done,
                last,
            } => {
                *done += n;
                if last.elapsed() >= LINE_EVERY {
                    *last = Instant::now();
                    eprintln!("{stage}: {done}/{total}");
                }
            }
        }
    }

    fn finish(&self) {
        let Ok(mut mode) = self.mode.lock() else {
            return;
        };
        match &mut *mode {
            Mode::Bar(bar) => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
            }
            Mode::Lines { stage, total, .. } => eprintln!("{stage}: {total}/{total} done"),
        }
    }
}
