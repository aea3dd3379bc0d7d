//! `imgate upload`: uploads files and directories, printing one line per file (for a
//! person on a terminal, JSON for programs) and a summary; exits non-zero when any file
//! failed.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use crate::biz::BizType;
use crate::client::{self, Output, UploadMethod, UploadOptions};

#[derive(Debug, Args)]
pub struct UploadArgs {
    /// Server URL. Default: IMGATE_SERVER (also from ./.env), else http://127.0.0.1:8888.
    #[arg(long)]
    server: Option<String>,
    /// API key. Default: IMGATE_API_KEY (also from ./.env).
    #[arg(long)]
    api_key: Option<String>,
    /// Biz type code the files are for (0 to 10).
    #[arg(long, default_value = "1", value_parser = super::keys::parse_biz_type)]
    biz_type: BizType,
    /// Files uploaded at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// How to send each file.
    #[arg(long, value_enum, default_value = "auto")]
    method: UploadMethod,
    /// Retries of a failed call (network errors, 429, 5xx; never other 4xx).
    #[arg(long, default_value_t = 4)]
    retries: u32,
    /// Only files whose name matches, in directories (`*` and `?`).
    #[arg(long)]
    glob: Option<String>,
    /// Upload even files the cache says were uploaded.
    #[arg(long)]
    no_cache: bool,
    /// Where uploads and interrupted chunked uploads are remembered.
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Parts of one large file uploaded at once.
    #[arg(long, default_value_t = 4)]
    part_concurrency: usize,
    /// One JSON line per file even on a terminal (the output when stdout is not one).
    #[arg(long)]
    json: bool,
    /// Files or directories (searched recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

pub async fn run(args: UploadArgs) -> Result<(), String> {
    let dotenv = read_dotenv();
    let from_env = |name: &str| {
        std::env::var(name).ok().or_else(|| {
            dotenv
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    };
    let server = args
        .server
        .clone()
        .or_else(|| from_env("IMGATE_SERVER"))
        .unwrap_or_else(|| "http://127.0.0.1:8888".to_owned());
    let api_key = args
        .api_key
        .clone()
        .or_else(|| from_env("IMGATE_API_KEY"))
        .ok_or("no API key: pass --api-key or set IMGATE_API_KEY (a .env file works too)")?;
    let files = client::collect(&args.paths, args.glob.as_deref()).map_err(|e| e.to_string())?;
    if files.is_empty() {
        return Err("no files to upload".into());
    }
    let options = options(&args, &server, &api_key);
    let run = client::upload_all(options, files)
        .await
        .map_err(|e| e.to_string())?;
    eprintln!("{}", run.summary.line());
    failures(&run)
}

fn options(args: &UploadArgs, server: &str, api_key: &str) -> UploadOptions {
    let mut options = UploadOptions::new(server, api_key);
    options.biz_type = args.biz_type;
    options.concurrency = args.concurrency;
    options.method = args.method;
    options.retries = args.retries;
    options.use_cache = !args.no_cache;
    options.part_concurrency = args.part_concurrency;
    options.progress = std::io::stderr().is_terminal();
    options.output = if args.json || !std::io::stdout().is_terminal() {
        Output::Json
    } else {
        Output::Human {
            colour: colour_wanted(),
        }
    };
    if let Some(dir) = &args.cache_dir {
        options.cache_dir.clone_from(dir);
    }
    options
}

/// The run's error when a file failed: how many, and which (the first few).
fn failures(run: &client::Run) -> Result<(), String> {
    let failed: Vec<&str> = run
        .outcomes
        .iter()
        .filter(|o| !o.ok)
        .map(|o| o.file.as_str())
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    let named = match failed.len() {
        1..=3 => failed.join(", "),
        n => format!("{} and {} more", failed[..3].join(", "), n - 3),
    };
    let total = run.outcomes.len();
    let files = if total == 1 { "file" } else { "files" };
    Err(format!(
        "{} of {total} {files} failed ({named})",
        failed.len()
    ))
}

/// Colour unless `NO_COLOR` is set or the terminal says it has none.
fn colour_wanted() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var("TERM").map_or(true, |term| term != "dumb")
}

/// `KEY=VALUE` lines of `./.env` (comments, blank lines and quotes allowed).
fn read_dotenv() -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string(".env") else {
        return Vec::new();
    };
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.strip_prefix("export ").unwrap_or(line).split_once('='))
        .map(|(k, v)| {
            (
                k.trim().to_owned(),
                v.trim().trim_matches(['"', '\'']).to_owned(),
            )
        })
        .collect()
}
