//! What is settled before anything is opened: the destination's settings file, and the
//! runs refused because they would copy a deployment onto itself or leave the copy unable
//! to verify what the source signed.

use std::path::{Path, PathBuf};

use super::MigrateError;
use crate::auth::load_or_create_secret;
use crate::catalog::Dialect;
use crate::config::{ConfigError, Settings};
use crate::storage::Backend;

/// Where a generated server secret is kept, in the data directory.
const SECRET_FILE: &str = "secret";

/// The destination's settings: FILE over the embedded defaults. The environment is not
/// read: the `IMGATE__...` variables describe the source.
pub fn destination(file: &Path) -> Result<Settings, MigrateError> {
    let shown = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|source| ConfigError::Read {
        path: shown.clone(),
        source,
    })?;
    let settings: Settings = toml::from_str(&text).map_err(|e| ConfigError::Syntax {
        path: shown,
        message: e.message().to_owned(),
    })?;
    settings.validate()?;
    Ok(settings)
}

/// Refuses a destination that is the source's catalog or store, or whose secret would not
/// verify the source's signed URLs, web sessions and upload tokens.
pub fn refusals(
    source: &Settings,
    destination: &Settings,
    file: &Path,
) -> Result<(), MigrateError> {
    let file = file.display();
    let (from, to) = (source.catalog_url(), destination.catalog_url());
    if let Some(path) = sqlite_path(&from)
        && !Path::new(path).is_file()
    {
        return Err(MigrateError::Refused(format!(
            "the source's catalog {path} does not exist: name the source with --data-dir, \
             --config or IMGATE__CATALOG__URL"
        )));
    }
    if catalog_place(&from)? == catalog_place(&to)? {
        return Err(MigrateError::Refused(format!(
            "catalog.url in {file} names the source's own catalog ({}): name a new database",
            crate::catalog::redact(&to)
        )));
    }
    let (from, to) = (store_place(source), store_place(destination));
    if from.overlaps(&to) {
        return Err(MigrateError::Refused(format!(
            "[storage] in {file} names the source's own object store ({to}): name another \
             bucket or storage.s3.prefix"
        )));
    }
    same_secret(source, destination, &file.to_string())
}

/// Where a catalog lives, spelled one way: the database file, or host, port and database.
fn catalog_place(url: &str) -> Result<String, MigrateError> {
    Ok(match Dialect::of(url)? {
        Dialect::Sqlite => {
            let path = sqlite_path(url).unwrap_or_default();
            format!("sqlite:{}", real_path(Path::new(path)).display())
        }
        Dialect::Postgres => {
            let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
            let rest = rest.split('?').next().unwrap_or_default();
            let rest = rest.rsplit_once('@').map_or(rest, |(_, rest)| rest);
            let (host, database) = rest.split_once('/').unwrap_or((rest, ""));
            let host = host.to_ascii_lowercase();
            let port = if host
                .rsplit_once(':')
                .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
            {
                ""
            } else {
                ":5432"
            };
            format!("postgres://{host}{port}/{database}")
        }
    })
}

/// The database file of a SQLite URL.
fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite:")?;
    rest.trim_start_matches("//").split('?').next()
}

fn real_path(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_owned())
}

/// Where a deployment's objects live.
#[derive(Debug, PartialEq, Eq)]
enum StorePlace {
    Local(PathBuf),
    S3 {
        endpoint: String,
        bucket: String,
        prefix: String,
    },
}

fn store_place(settings: &Settings) -> StorePlace {
    match settings.storage.backend {
        Backend::Local => StorePlace::Local(real_path(&settings.storage_root())),
        Backend::S3 => {
            let s3 = &settings.storage.s3;
            StorePlace::S3 {
                endpoint: s3
                    .endpoint
                    .as_deref()
                    .unwrap_or("aws")
                    .trim_end_matches('/')
                    .to_ascii_lowercase(),
                bucket: s3.bucket.clone(),
                prefix: s3.prefix.clone(),
            }
        }
    }
}

impl StorePlace {
    /// Whether one holds the other: the same directory or key prefix, or one inside the other.
    fn overlaps(&self, other: &StorePlace) -> bool {
        match (self, other) {
            (StorePlace::Local(a), StorePlace::Local(b)) => a.starts_with(b) || b.starts_with(a),
            (
                StorePlace::S3 {
                    endpoint,
                    bucket,
                    prefix,
                },
                StorePlace::S3 {
                    endpoint: other_endpoint,
                    bucket: other_bucket,
                    prefix: other_prefix,
                },
            ) => {
                endpoint == other_endpoint
                    && bucket == other_bucket
                    && (prefix.starts_with(other_prefix.as_str())
                        || other_prefix.starts_with(prefix.as_str()))
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for StorePlace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StorePlace::Local(root) => write!(f, "directory {}", root.display()),
            StorePlace::S3 {
                endpoint,
                bucket,
                prefix,
            } => write!(f, "bucket `{bucket}` at {endpoint}, prefix `{prefix}`"),
        }
    }
}

/// The secret a deployment signs with: its `auth.secret`, or the one generated into its
/// data directory; `None` when it has neither (it never signed anything).
fn secret_of(settings: &Settings) -> Result<Option<Vec<u8>>, MigrateError> {
    if settings.auth.secret.is_none() && !settings.data_dir.join(SECRET_FILE).is_file() {
        return Ok(None);
    }
    load_or_create_secret(settings.auth.secret.as_deref(), &settings.data_dir)
        .map(Some)
        .map_err(MigrateError::Secret)
}

fn same_secret(source: &Settings, destination: &Settings, file: &str) -> Result<(), MigrateError> {
    let Some(theirs) = secret_of(source)? else {
        return Ok(());
    };
    let ours = secret_of(destination)?;
    if ours.as_deref() == Some(theirs.as_slice()) {
        return url_signing(source, destination, &theirs, file);
    }
    let what = match ours {
        Some(_) => "differs from",
        None => "is not set, unlike",
    };
    let how = match &source.auth.secret {
        Some(_) => format!("set auth.secret in {file} to the source's auth.secret"),
        None => format!(
            "the source's was generated into {}: copy that file to <data_dir>/{SECRET_FILE} of \
             every destination node and leave auth.secret unset",
            source.data_dir.join(SECRET_FILE).display()
        ),
    };
    Err(MigrateError::Refused(format!(
        "auth.secret of the destination {what} the source's: its signed URLs, web sessions \
         and upload tokens would stop verifying; {how}"
    )))
}

/// A private deployment signs URLs with the first of `cdn.signing_secrets`, else the
/// server secret: the destination must accept every secret the source accepts.
fn url_signing(
    source: &Settings,
    destination: &Settings,
    secret: &[u8],
    file: &str,
) -> Result<(), MigrateError> {
    if !source.cdn.private {
        return Ok(());
    }
    let accepted = |settings: &Settings| -> Vec<Vec<u8>> {
        match settings.cdn.signing_secrets.as_slice() {
            [] => vec![secret.to_vec()],
            secrets => secrets.iter().map(|s| s.as_bytes().to_vec()).collect(),
        }
    };
    let ours = accepted(destination);
    if accepted(source).iter().all(|s| ours.contains(s)) {
        return Ok(());
    }
    Err(MigrateError::Refused(format!(
        "cdn.signing_secrets in {file} lacks a secret the source's URLs are signed with: the \
         URLs it handed out would stop verifying; give the destination the source's \
         cdn.signing_secrets"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogs_are_compared_by_where_they_live() {
        let place = |url| catalog_place(url).expect("url");
        assert_eq!(
            place("postgres://a:pw@DB.example:5432/imgate?sslmode=require"),
            place("postgresql://b@db.example/imgate")
        );
        assert_ne!(
            place("postgres://a@db.example/imgate"),
            place("postgres://a@db.example/imgate2")
        );
        let dir = tempfile::tempdir().expect("dir");
        std::fs::create_dir(dir.path().join("x")).expect("x");
        std::fs::write(dir.path().join("imgate.db"), b"").expect("db");
        let root = dir.path().display();
        assert_eq!(
            place(&format!("sqlite://{root}/x/../imgate.db?mode=rwc")),
            place(&format!("sqlite:{root}/imgate.db"))
        );
    }

    #[test]
    fn stores_overlap_when_one_holds_the_other() {
        let s3 = |bucket: &str, prefix: &str| StorePlace::S3 {
            endpoint: "http://127.0.0.1:9000".into(),
            bucket: bucket.into(),
            prefix: prefix.into(),
        };
        assert!(s3("b", "").overlaps(&s3("b", "imgate/")));
        assert!(!s3("b", "one/").overlaps(&s3("b", "two/")));
        assert!(!s3("a", "").overlaps(&s3("b", "")));
        let local = |p: &str| StorePlace::Local(PathBuf::from(p));
        assert!(local("/data/objects").overlaps(&local("/data/objects/new")));
        assert!(!local("/data/objects").overlaps(&local("/data/objects-new")));
        assert!(!local("/data").overlaps(&s3("b", "")));
    }
}
