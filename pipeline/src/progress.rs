//! Progress bars for long work: shown on a terminal, silent under `--quiet` or when output
//! goes to a file or another program.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

#[derive(Debug, Clone, Copy)]
pub struct Progress {
    visible: bool,
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
        Progress {
            visible: !quiet && std::io::stderr().is_terminal(),
        }
    }

    pub fn hidden() -> Self {
        Progress { visible: false }
    }

    pub fn bar(&self, len: u64, what: &str) -> ProgressBar {
        if !self.visible {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len);
        let style = ProgressStyle::with_template(
            "{prefix:>12} [{bar:30}] {pos}/{len} {per_sec} eta {eta} {wide_msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(what.to_string());
        bar
    }

    /// For work whose length is not known in advance (a stage over tables, the audit): a
    /// spinner with the elapsed time, so a long run visibly is not stuck.
    pub fn spinner(&self, what: &str) -> ProgressBar {
        if !self.visible {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new_spinner();
        let style = ProgressStyle::with_template("{prefix:>12} {spinner} {elapsed} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.set_prefix(what.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    }

    /// Runs `f` under a spinner that disappears when it ends.
    pub fn while_running<T>(&self, what: &str, f: impl FnOnce() -> T) -> T {
        let s = self.spinner(what);
        let out = f();
        s.finish_and_clear();
        out
    }
}
