//! What a run tells the operator: a progress line on stderr every few seconds (and every
//! so many objects), and a summary on stdout at the end.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::rows::RowCounts;
use crate::client::size;

/// Longest quiet time between two progress lines.
const EVERY: Duration = Duration::from_secs(3);

/// Objects between two progress lines at most.
const EVERY_OBJECTS: u64 = 1000;

/// The objects' counters, shared by the copies running at the same time.
#[derive(Debug)]
pub struct Progress {
    total: u64,
    copied: AtomicU64,
    /// Copied without sending their bytes: the destination store held them already.
    held: AtomicU64,
    skipped: AtomicU64,
    sent_bytes: AtomicU64,
    verified_bytes: AtomicU64,
    last_line: Mutex<Instant>,
}

/// The objects' counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ObjectCounts {
    pub total: u64,
    pub copied: u64,
    pub held: u64,
    pub skipped: u64,
    pub sent_bytes: u64,
    pub verified_bytes: u64,
}

impl Progress {
    /// Counters for a run over `total` objects (as the source counted them at the start).
    pub fn new(total: i64) -> Self {
        Self {
            total: u64::try_from(total).unwrap_or(0),
            copied: AtomicU64::new(0),
            held: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            sent_bytes: AtomicU64::new(0),
            verified_bytes: AtomicU64::new(0),
            last_line: Mutex::new(Instant::now()),
        }
    }

    /// An object the destination recorded already.
    pub fn skipped(&self) {
        self.skipped.fetch_add(1, Ordering::Relaxed);
        self.tick();
    }

    /// An object recorded now, with the bytes sent for it (`None`: none were needed).
    pub fn copied(&self, sent: Option<u64>) {
        self.copied.fetch_add(1, Ordering::Relaxed);
        match sent {
            Some(bytes) => self.sent_bytes.fetch_add(bytes, Ordering::Relaxed),
            None => self.held.fetch_add(1, Ordering::Relaxed),
        };
        self.tick();
    }

    /// Bytes read back from the destination store and hashed.
    pub fn verified(&self, bytes: u64) {
        self.verified_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    pub fn totals(&self) -> ObjectCounts {
        ObjectCounts {
            total: self.total,
            copied: self.copied.load(Ordering::Relaxed),
            held: self.held.load(Ordering::Relaxed),
            skipped: self.skipped.load(Ordering::Relaxed),
            sent_bytes: self.sent_bytes.load(Ordering::Relaxed),
            verified_bytes: self.verified_bytes.load(Ordering::Relaxed),
        }
    }

    /// The last progress line, whenever the run ends.
    pub fn finish(&self) {
        eprintln!("{}", self.line());
    }

    fn tick(&self) {
        let now = self.totals();
        let done = now.copied + now.skipped;
        let Ok(mut last) = self.last_line.lock() else {
            return;
        };
        if last.elapsed() >= EVERY || done.is_multiple_of(EVERY_OBJECTS) {
            *last = Instant::now();
            eprintln!("{}", self.line());
        }
    }

    /// `imgate migrate: objects 1200/5000 (1180 copied, 20 skipped), 1.2 GiB sent`.
    fn line(&self) -> String {
        let now = self.totals();
        format!(
            "imgate migrate: objects {}/{} ({} copied, {} skipped), {} sent, {} verified",
            now.copied + now.skipped,
            now.total,
            now.copied,
            now.skipped,
            size(now.sent_bytes),
            size(now.verified_bytes),
        )
    }
}

/// What a whole run did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Each table's counts, by what a row of it is called.
    pub tables: Vec<(&'static str, RowCounts)>,
    pub objects: ObjectCounts,
    /// ImageX uploads in progress in the source, which are not moved.
    pub left_behind: i64,
    /// Originals recorded in the destination only.
    pub strays: u64,
}

impl Summary {
    /// The summary, on stdout.
    pub fn print(&self, took: Duration) {
        for line in self.lines(took) {
            println!("{line}");
        }
    }

    fn lines(&self, took: Duration) -> Vec<String> {
        let mut lines = vec!["imgate migrate: done".to_owned()];
        lines.extend(
            self.tables
                .iter()
                .map(|(noun, counts)| table_line(noun, counts)),
        );
        let o = &self.objects;
        lines.push(format!(
            "{:<16} {} copied ({} of them found in the destination store already, not sent \
             again), {} skipped (recorded in the destination already)",
            "objects:", o.copied, o.held, o.skipped
        ));
        lines.push(format!(
            "{:<16} {} sent ({}), {} verified by SHA-256 read back ({})",
            "bytes:",
            o.sent_bytes,
            size(o.sent_bytes),
            o.verified_bytes,
            size(o.verified_bytes)
        ));
        lines.push(self.left_behind_line());
        if self.strays > 0 {
            lines.push(format!(
                "{:<16} {} originals (deleted from the source since an earlier run, or \
                 uploaded to the destination; the first are named on stderr)",
                "only there:", self.strays
            ));
        }
        lines.push(format!("{:<16} {:.1} s", "time:", took.as_secs_f64()));
        lines
    }

    fn left_behind_line(&self) -> String {
        let label = "left behind:";
        match self.left_behind {
            0 => format!("{label:<16} no uploads in progress"),
            n => format!(
                "{label:<16} {n} {} in progress (staged bytes are not moved): let them be \
                 committed or expire (imagex.session_ttl), then run again",
                if n == 1 { "upload" } else { "uploads" }
            ),
        }
    }
}

/// `API keys:        2 copied, 1 updated, 3 already there`.
fn table_line(noun: &str, counts: &RowCounts) -> String {
    let mut line = format!(
        "{:<16} {} copied, {} updated, {} already there",
        format!("{noun}s:"),
        counts.copied,
        counts.updated,
        counts.unchanged
    );
    if counts.waiting > 0 {
        line.push_str(&format!(
            ", {} made during the run (run again to copy them)",
            counts.waiting
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_each_table_and_says_what_was_left() {
        let summary = Summary {
            tables: vec![(
                "API key",
                RowCounts {
                    copied: 2,
                    updated: 1,
                    unchanged: 3,
                    waiting: 0,
                },
            )],
            objects: ObjectCounts {
                total: 5,
                copied: 4,
                held: 1,
                skipped: 1,
                sent_bytes: 2048,
                verified_bytes: 3072,
            },
            left_behind: 2,
            strays: 0,
        };
        let lines = summary.lines(Duration::from_millis(1500));
        assert_eq!(
            lines[1],
            "API keys:        2 copied, 1 updated, 3 already there"
        );
        assert!(
            lines[2].starts_with("objects:         4 copied (1 of them"),
            "{}",
            lines[2]
        );
        assert!(lines[3].contains("2048 sent (2.0 KiB)"), "{}", lines[3]);
        assert!(lines[4].contains("2 uploads in progress"), "{}", lines[4]);
        assert_eq!(lines[5], "time:            1.5 s");
    }
}
