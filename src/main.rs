//! The `imgate` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let filter = EnvFilter::try_from_env("IMGATE_LOG")
        .unwrap_or_else(|_| EnvFilter::new("imgate=info,actix_web=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    imgate::cli::run(imgate::cli::Cli::parse())
}
