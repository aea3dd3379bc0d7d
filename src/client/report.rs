//! What a person reads: one line per file (mark, file, size, method, then the URL or why it
//! failed), a notice before each retry, and the run's summary. Programs read the JSON
//! lines instead ([`super::Outcome`]).

use std::time::Duration;

use super::Outcome;
use super::retry::Retrying;

/// Widest file column; longer names push the rest of their line right.
pub const MAX_FILE_WIDTH: usize = 48;

/// `512 B`, `4.2 KiB`, `12.0 MiB`, `1.5 GiB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `0.3 s`, `12.0 s`, `1 min`, `2 min 5 s`.
pub fn duration(time: Duration) -> String {
    let seconds = time.as_secs_f64();
    if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else {
        let whole = time.as_secs();
        match whole % 60 {
            0 => format!("{} min", whole / 60),
            rest => format!("{} min {rest} s", whole / 60),
        }
    }
}

/// One file's line: `✓ photos/a.jpg  3.1 MiB  base64  http://...`.
pub fn file_line(outcome: &Outcome, width: usize, colour: bool) -> String {
    let (mark, paint) = if outcome.ok {
        ("✓", "32")
    } else {
        ("✗", "31")
    };
    let mark = if colour {
        format!("\x1b[{paint}m{mark}\x1b[0m")
    } else {
        mark.to_owned()
    };
    let method = match (outcome.cached, outcome.method) {
        (true, _) => "cached",
        (false, Some(method)) => method,
        (false, None) => "-",
    };
    let detail = match (&outcome.url, &outcome.error) {
        (Some(url), _) if outcome.ok => url.clone(),
        (_, Some(error)) => failure(error, outcome.status),
        _ => String::new(),
    };
    let retries = match outcome.retries {
        0 => String::new(),
        1 => " (after 1 retry)".to_owned(),
        n => format!(" (after {n} retries)"),
    };
    format!(
        "{mark} {:<width$}  {:>10}  {method:<14}  {detail}{retries}",
        outcome.file,
        size(outcome.size),
    )
}

/// The error, and what to do about it where the client knows.
fn failure(error: &str, status: Option<u16>) -> String {
    let hint = match status {
        Some(401) => "; check --api-key (or IMGATE_API_KEY)",
        Some(403) => "; the key lacks the upload scope or this biz type (see `imgate keys list`)",
        _ if error.starts_with("cannot reach the server") => {
            "; is it running, and is --server (or IMGATE_SERVER) right?"
        }
        _ => "",
    };
    format!("{error}{hint}")
}

/// Said before a retry's wait.
pub fn retry_notice(file: &str, retrying: &Retrying<'_>) -> String {
    let reason = match retrying.error.retry_after {
        Some(asked) if asked == retrying.wait => ", as the server's Retry-After asks".to_owned(),
        Some(asked) if asked > retrying.wait => format!(
            ", not the {} the server's Retry-After asks (the most the client waits)",
            duration(asked)
        ),
        _ => String::new(),
    };
    format!(
        "imgate: {file}: {}; retry {} of {} in {}{reason}",
        retrying.error.message,
        retrying.retry,
        retrying.of,
        duration(retrying.wait)
    )
}

/// What a run did, in numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub uploaded: usize,
    pub cached: usize,
    pub failed: usize,
    /// Bytes of the files uploaded (not of those already uploaded).
    pub bytes: u64,
    pub elapsed: Duration,
    pub retries: u32,
}

impl Summary {
    pub fn of(outcomes: &[Outcome], elapsed: Duration) -> Self {
        let sent = outcomes.iter().filter(|o| o.ok && !o.cached);
        Self {
            uploaded: sent.clone().count(),
            cached: outcomes.iter().filter(|o| o.ok && o.cached).count(),
            failed: outcomes.iter().filter(|o| !o.ok).count(),
            bytes: sent.map(|o| o.size).sum(),
            elapsed,
            retries: outcomes.iter().map(|o| o.retries).sum(),
        }
    }

    /// `imgate: 11 uploaded, 0 already uploaded, 1 failed; 131.0 MiB in 14.2 s
    /// (9.2 MiB/s); 2 retries`.
    pub fn line(&self) -> String {
        let seconds = self.elapsed.as_secs_f64();
        let rate = if self.bytes > 0 && seconds > 0.0 {
            format!(" ({}/s)", size((self.bytes as f64 / seconds) as u64))
        } else {
            String::new()
        };
        let retries = match self.retries {
            0 => "no retries".to_owned(),
            1 => "1 retry".to_owned(),
            n => format!("{n} retries"),
        };
        format!(
            "imgate: {} uploaded, {} already uploaded, {} failed; {} in {}{rate}; {retries}",
            self.uploaded,
            self.cached,
            self.failed,
            size(self.bytes),
            duration(self.elapsed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn sizes_and_times_read_well() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(4300), "4.2 KiB");
        assert_eq!(size(12 * 1024 * 1024), "12.0 MiB");
        assert_eq!(size(3 * 1024 * 1024 * 1024 / 2), "1.5 GiB");
        assert_eq!(duration(Duration::from_millis(2345)), "2.3 s");
        assert_eq!(duration(Duration::from_secs(125)), "2 min 5 s");
        assert_eq!(duration(Duration::from_secs(60)), "1 min");
    }

    #[test]
    fn a_line_says_what_happened_to_the_file() {
        let mut done = Outcome::new(Path::new("photos/a.jpg"));
        done.ok = true;
        done.size = 3 * 1024 * 1024;
        done.method = Some("base64");
        done.url = Some("http://h/a.jpg".into());
        assert_eq!(
            file_line(&done, 14, false),
            "✓ photos/a.jpg       3.0 MiB  base64          http://h/a.jpg"
        );
        let mut refused = Outcome::new(Path::new("k.png"));
        refused.size = 10;
        refused.method = Some("base64");
        refused.error = Some("401 Unauthorized: invalid api key".into());
        refused.status = Some(401);
        refused.retries = 2;
        let line = file_line(&refused, 5, true);
        assert!(line.starts_with("\x1b[31m✗\x1b[0m k.png"), "{line}");
        assert!(
            line.ends_with(
                "invalid api key; check --api-key (or IMGATE_API_KEY) (after 2 retries)"
            ),
            "{line}"
        );
    }

    #[test]
    fn a_retry_says_how_long_it_waits_and_why() {
        let mut busy = super::super::ClientError::retryable("503 Service Unavailable: busy");
        busy.retry_after = Some(Duration::from_secs(5));
        fn retrying(error: &super::super::ClientError, wait: Duration) -> Retrying<'_> {
            Retrying {
                error,
                wait,
                retry: 1,
                of: 4,
            }
        }
        assert_eq!(
            retry_notice("a.png", &retrying(&busy, Duration::from_secs(5))),
            "imgate: a.png: 503 Service Unavailable: busy; retry 1 of 4 in 5.0 s, as the \
             server's Retry-After asks"
        );
        busy.retry_after = Some(Duration::from_secs(600));
        assert!(
            retry_notice("a.png", &retrying(&busy, Duration::from_secs(60))).ends_with(
                "in 1 min, not the 10 min the server's Retry-After asks (the most the client waits)"
            )
        );
        let down = super::super::ClientError::retryable("cannot reach the server");
        assert!(
            retry_notice("a.png", &retrying(&down, Duration::from_millis(300)))
                .ends_with("retry 1 of 4 in 0.3 s")
        );
    }

    #[test]
    fn the_summary_counts_bytes_time_and_retries() {
        let mut outcomes: Vec<Outcome> = (0..3)
            .map(|i| {
                let mut o = Outcome::new(Path::new(&format!("{i}")));
                o.ok = i < 2;
                o.cached = i == 1;
                o.size = 10 * 1024 * 1024;
                o
            })
            .collect();
        outcomes[0].retries = 1;
        let summary = Summary::of(&outcomes, Duration::from_secs(2));
        assert_eq!(
            summary.line(),
            "imgate: 1 uploaded, 1 already uploaded, 1 failed; 10.0 MiB in 2.0 s (5.0 MiB/s); 1 retry"
        );
    }
}
