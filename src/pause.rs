//! Named points where a debug build stops on request, so that the crash and shutdown
//! tests can act at exactly that moment: with `IMGATE_PAUSE_AT=<name>`, the first task to
//! reach `<name>` prints `imgate: paused at <name>` on stderr and waits for ever, or, with
//! `IMGATE_PAUSE_MS=<n>` as well, for `n` milliseconds and then goes on (a slow step).
//! Release builds have no such points.

use std::time::Duration;

/// Stops here when a debug build is asked to pause at `name`.
pub async fn here(name: &str) {
    if cfg!(debug_assertions) && asked(name) {
        eprintln!("imgate: paused at {name}");
        match slow_for() {
            Some(wait) => tokio::time::sleep(wait).await,
            None => std::future::pending::<()>().await,
        }
    }
}

fn asked(name: &str) -> bool {
    static AT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    AT.get_or_init(|| std::env::var("IMGATE_PAUSE_AT").ok())
        .as_deref()
        == Some(name)
}

/// `IMGATE_PAUSE_MS`: how long a pause lasts, when it is not for ever.
fn slow_for() -> Option<Duration> {
    static FOR: std::sync::OnceLock<Option<Duration>> = std::sync::OnceLock::new();
    *FOR.get_or_init(|| {
        let ms = std::env::var("IMGATE_PAUSE_MS").ok()?.parse().ok()?;
        Some(Duration::from_millis(ms))
    })
}
