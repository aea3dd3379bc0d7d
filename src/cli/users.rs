//! `imgate users create`: accounts for web sessions.

use std::io::BufRead;

use clap::Subcommand;

use crate::auth::hash_password;
use crate::config::Settings;
use crate::startup::open_catalog;

/// Shortest password accepted.
const MIN_PASSWORD_LEN: usize = 8;

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user. The password comes from IMGATE_PASSWORD, or else the first line of stdin.
    Create {
        #[arg(long)]
        email: String,
    },
}

pub async fn run(command: UsersCommand, settings: &Settings) -> Result<(), String> {
    let UsersCommand::Create { email } = command;
    let email = email.trim().to_owned();
    if !email.contains('@') || email.len() > 254 {
        return Err(format!("`{email}` is not an email address"));
    }
    let password = read_password()?;
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(format!(
            "the password must be at least {MIN_PASSWORD_LEN} characters"
        ));
    }
    let catalog = open_catalog(settings).await.map_err(|e| e.to_string())?;
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let id = catalog
        .insert_user(&email, &hash)
        .await
        .map_err(|e| e.to_string())?;
    println!("created user {id} <{email}>");
    Ok(())
}

fn read_password() -> Result<String, String> {
    if let Ok(password) = std::env::var("IMGATE_PASSWORD") {
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
