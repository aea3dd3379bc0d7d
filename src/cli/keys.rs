//! `imgate keys create | list | revoke`: API keys, managed directly in the catalog (so
//! these work beside a running server).

use clap::Subcommand;

use crate::auth::{ApiKey, Scope};
use crate::biz::BizType;
use crate::catalog::{ApiKeyRecord, NewApiKey};
use crate::clock::{format_utc, unix_now};
use crate::config::{Duration, Settings};
use crate::startup::open_catalog;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print it once, as the last line of stdout.
    Create {
        /// A name to recognise the key by.
        #[arg(long)]
        name: String,
        /// What the key may do (repeatable). Default: upload.
        #[arg(long = "scope", value_name = "upload|read|admin")]
        scopes: Vec<Scope>,
        /// Biz type codes the key may upload to (repeatable). Default: all.
        #[arg(long = "biz-type", value_name = "N", value_parser = parse_biz_type)]
        biz_types: Vec<BizType>,
        /// Lifetime such as 30d or 12h. Default: no expiry.
        #[arg(long, value_name = "DURATION")]
        expires_in: Option<Duration>,
    },
    /// List keys (never their secrets).
    List,
    /// Revoke a key by its id.
    Revoke { id: i64 },
}

pub fn parse_biz_type(text: &str) -> Result<BizType, String> {
    text.parse::<i64>()
        .ok()
        .and_then(BizType::from_code)
        .ok_or_else(|| format!("`{text}` is not a biz type code (0 to 10)"))
}

pub async fn run(command: KeysCommand, settings: &Settings) -> Result<(), String> {
    let catalog = open_catalog(settings).await.map_err(|e| e.to_string())?;
    match command {
        KeysCommand::Create {
            name,
            mut scopes,
            biz_types,
            expires_in,
        } => {
            if scopes.is_empty() {
                scopes.push(Scope::Upload);
            }
            scopes.dedup();
            let key = ApiKey::generate();
            let new = NewApiKey {
                name: name.clone(),
                prefix: key.shown_prefix(),
                key_hash: key.hash(),
                scopes: join(scopes.iter().map(|s| s.as_str())),
                biz_types: (!biz_types.is_empty())
                    .then(|| join(biz_types.iter().map(|b| b.code().to_string()))),
                expires_at: expires_in.map(|d| unix_now() + d.as_secs() as i64),
            };
            let id = catalog
                .insert_api_key(&new)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "created key {id} `{name}`: scopes {}, biz types {}, expires {}",
                new.scopes,
                new.biz_types.as_deref().unwrap_or("all"),
                new.expires_at.map_or("never".to_owned(), format_utc),
            );
            println!("this is the only time the key is shown:");
            println!("{}", key.expose());
        }
        KeysCommand::List => {
            let keys = catalog.list_api_keys().await.map_err(|e| e.to_string())?;
            println!(
                "{:<5} {:<20} {:<14} {:<20} {:<12} {:<20} status",
                "id", "name", "key", "scopes", "biz types", "expires"
            );
            for key in keys {
                print_key(&key);
            }
        }
        KeysCommand::Revoke { id } => {
            if !catalog
                .revoke_api_key(id)
                .await
                .map_err(|e| e.to_string())?
            {
                return Err(format!("no active key with id {id}"));
            }
            println!("revoked key {id}");
        }
    }
    Ok(())
}

fn print_key(key: &ApiKeyRecord) {
    let now = unix_now();
    let status = if key.revoked_at.is_some() {
        "revoked"
    } else if key.expires_at.is_some_and(|at| at <= now) {
        "expired"
    } else {
        "active"
    };
    println!(
        "{:<5} {:<20} {:<14} {:<20} {:<12} {:<20} {status}",
        key.id,
        key.name,
        format!("{}…", key.prefix),
        key.scopes,
        key.biz_types.as_deref().unwrap_or("all"),
        key.expires_at.map_or("never".to_owned(), format_utc),
    );
}

fn join<S: AsRef<str>>(items: impl Iterator<Item = S>) -> String {
    items
        .map(|s| s.as_ref().to_owned())
        .collect::<Vec<_>>()
        .join(",")
}
