//! The `imgate` command line: what each command means, and the code that carries it out.

mod keys;
mod migrate;
mod upload;
mod users;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::startup::Application;

#[derive(Debug, Parser)]
#[command(
    name = "imgate",
    version,
    about = "Image upload and processing service"
)]
pub struct Cli {
    /// TOML configuration file (every key is optional).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory, overriding `data_dir` from the file and environment.
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP service.
    Serve,
    /// Manage API keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Manage users who log in on the web.
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// Upload files to a server.
    Upload(upload::UploadArgs),
    /// Copy this deployment to another catalog and object store (e.g. PostgreSQL and S3).
    Migrate(migrate::MigrateArgs),
}

impl Cli {
    fn settings(&self) -> Result<Settings, String> {
        let mut settings = Settings::load(self.config.as_deref()).map_err(|e| e.to_string())?;
        if let Some(dir) = &self.data_dir {
            settings.data_dir = dir.clone();
        }
        Ok(settings)
    }
}

/// Runs the command; errors are printed as one line on stderr.
pub fn run(cli: Cli) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    let outcome = runtime.block_on(async {
        let settings = cli.settings()?;
        match cli.command {
            Command::Serve => serve(settings).await,
            Command::Keys(command) => keys::run(command, &settings).await,
            Command::Users(command) => users::run(command, &settings).await,
            Command::Upload(args) => upload::run(args).await,
            Command::Migrate(args) => migrate::run(args, &settings).await,
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("imgate: {message}");
    ExitCode::FAILURE
}

async fn serve(settings: Settings) -> Result<(), String> {
    let app = Application::build(settings)
        .await
        .map_err(|e| e.to_string())?;
    println!("imgate listening; objects served at {}", app.public_base());
    app.run_until(crate::startup::termination())
        .await
        .map_err(|e| e.to_string())
}
