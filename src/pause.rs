//! Named points where a debug build stops on request, so that the crash tests can
//! `kill -9` the server at exactly that moment: with `IMGATE_PAUSE_AT=<name>`, the first
//! task to reach `<name>` prints `imgate: paused at <name>` on stderr and waits for ever.
//! Release builds have no such points.

/// Stops here for good when a debug build is asked to pause at `name`.
pub async fn here(name: &str) {
    if cfg!(debug_assertions) && asked(name) {
        eprintln!("imgate: paused at {name}");
        std::future::pending::<()>().await;
    }
}

fn asked(name: &str) -> bool {
    static AT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    AT.get_or_init(|| std::env::var("IMGATE_PAUSE_AT").ok())
        .as_deref()
        == Some(name)
}
