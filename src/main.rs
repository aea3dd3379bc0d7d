//! The `imgate` binary: sets up logging (human text, or JSON lines with
//! `IMGATE_LOG_FORMAT=json`), parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let filter = EnvFilter::try_from_env("IMGATE_LOG")
        .unwrap_or_else(|_| EnvFilter::new("imgate=info,actix_web=warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match std::env::var("IMGATE_LOG_FORMAT").as_deref() {
        Ok("json") => logs
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .init(),
        Ok("text") | Err(_) => logs.init(),
        Ok(other) => {
            logs.init();
            tracing::warn!(
                format = other,
                "IMGATE_LOG_FORMAT is `text` or `json`; using text"
            );
        }
    }
    imgate::cli::run(imgate::cli::Cli::parse())
}
