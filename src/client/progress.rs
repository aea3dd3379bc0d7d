//! Progress on a terminal: one bar for the whole run (files and bytes) and one per large
//! file. Hidden when the output is not a terminal.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Files at least this large get a bar of their own.
const OWN_BAR_BYTES: u64 = 10 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Progress {
    multi: MultiProgress,
    overall: ProgressBar,
}

impl Progress {
    pub fn new(files: usize, bytes: u64, visible: bool) -> Self {
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let multi = MultiProgress::with_draw_target(target);
        let overall = multi.add(ProgressBar::new(bytes));
        overall.set_style(style(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ));
        overall.set_message(format!("0/{files} files"));
        Self { multi, overall }
    }

    /// A bar for one file (drawn only for large ones).
    pub fn file(&self, name: &str, size: u64) -> ProgressBar {
        if size < OWN_BAR_BYTES {
            return ProgressBar::hidden();
        }
        let bar = self.multi.add(ProgressBar::new(size));
        bar.set_style(style("  {msg:30!} [{bar:30}] {bytes}/{total_bytes}"));
        bar.set_message(name.to_owned());
        bar
    }

    pub fn sent(&self, bytes: u64) {
        self.overall.inc(bytes);
    }

    pub fn file_done(&self, done: usize, files: usize) {
        self.overall.set_message(format!("{done}/{files} files"));
    }

    pub fn finish(&self) {
        self.overall.finish_and_clear();
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}
