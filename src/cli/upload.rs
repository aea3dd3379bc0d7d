//! `imgate upload`: uploads files and directories, printing one JSON line per file and a
//! summary; exits non-zero when any file failed.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use crate::biz::BizType;
use crate::client::{self, UploadMethod, UploadOptions};

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
        .or_else(|| from_env("IMGATE_SERVER"))
        .unwrap_or_else(|| "http://127.0.0.1:8888".to_owned());
    let api_key = args
        .api_key
        .or_else(|| from_env("IMGATE_API_KEY"))
        .ok_or("no API key: pass --api-key or set IMGATE_API_KEY (a .env file works too)")?;
    let files = client::collect(&args.paths, args.glob.as_deref()).map_err(|e| e.to_string())?;
    if files.is_empty() {
        return Err("no files to upload".into());
    }
    let mut options = UploadOptions::new(&server, &api_key);
    options.biz_type = args.biz_type;
    options.concurrency = args.concurrency;
    options.method = args.method;
    options.retries = args.retries;
    options.use_cache = !args.no_cache;
    options.part_concurrency = args.part_concurrency;
    options.progress = std::io::stdout().is_terminal();
    if let Some(dir) = args.cache_dir {
        options.cache_dir = dir;
    }
    let outcomes = client::upload_all(options, files, |outcome| {
        println!("{}", serde_json::to_string(outcome).unwrap_or_default());
    })
    .await
    .map_err(|e| e.to_string())?;
    let failed = outcomes.iter().filter(|o| !o.ok).count();
    let cached = outcomes.iter().filter(|o| o.ok && o.cached).count();
    let uploaded = outcomes.len() - failed - cached;
    eprintln!("imgate: {uploaded} uploaded, {cached} already uploaded, {failed} failed");
    if failed > 0 {
        return Err(format!("{failed} of {} files failed", outcomes.len()));
    }
    Ok(())
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
