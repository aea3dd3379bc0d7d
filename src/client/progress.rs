//! Progress on a terminal (stderr): one bar for the whole run on the bottom line and, above
//! it, one per large file while it is sent. Bars are drawn in place; lines printed while
//! they show go above them and are written once. Hidden when stderr is not a terminal.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Files at least this large get a bar of their own.
const OWN_BAR_BYTES: u64 = 10 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Progress {
    multi: MultiProgress,
    overall: ProgressBar,
    files: usize,
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
            "{msg:>13} [{bar:30}] {binary_bytes}/{binary_total_bytes} \
             {binary_bytes_per_sec} eta {eta}",
        ));
        overall.set_message(format!("0/{files} files"));
        Self {
            multi,
            overall,
            files,
        }
    }

    /// Whether bars are drawn.
    pub fn visible(&self) -> bool {
        !self.multi.is_hidden()
    }

    /// A bar for one file, above the run's (drawn only for large files).
    pub fn file(&self, name: &str, size: u64) -> ProgressBar {
        if size < OWN_BAR_BYTES {
            return ProgressBar::hidden();
        }
        let bar = self
            .multi
            .insert_before(&self.overall, ProgressBar::new(size));
        bar.set_style(style(
            "{msg:>13!} [{bar:30}] {binary_bytes}/{binary_total_bytes}",
        ));
        bar.set_message(name.to_owned());
        bar
    }

    /// Takes a file's bar off the screen.
    pub fn file_finished(&self, bar: &ProgressBar) {
        bar.finish_and_clear();
        self.multi.remove(bar);
    }

    pub fn sent(&self, bytes: u64) {
        self.overall.inc(bytes);
    }

    pub fn file_done(&self, done: usize) {
        self.overall
            .set_message(format!("{done}/{} files", self.files));
    }

    /// A line for a person: above the bars while they show (where they are, on stderr),
    /// else on stdout.
    pub fn line(&self, text: &str) {
        if self.visible() {
            let _ = self.multi.println(text);
        } else {
            println!("{text}");
        }
    }

    /// A line for a program, on stdout; the bars are lifted off while it is written.
    pub fn stdout(&self, text: &str) {
        self.multi.suspend(|| println!("{text}"));
    }

    /// A notice: above the bars while they show, else on stderr.
    pub fn notice(&self, text: &str) {
        if self.visible() {
            let _ = self.multi.println(text);
        } else {
            eprintln!("{text}");
        }
    }

    pub fn finish(&self) {
        self.overall.finish_and_clear();
        let _ = self.multi.clear();
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}
