//! Merges the configuration layers into one TOML table before it is typed, so that every
//! layer is checked by the same `Deserialize` implementation.

use std::path::Path;

use toml::{Table, Value};

use super::Settings;

const ENV_PREFIX: &str = "IMGATE__";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax { path: String, message: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

pub(super) fn load(
    file: Option<&Path>,
    env: impl Iterator<Item = (String, String)>,
) -> Result<Settings, ConfigError> {
    let mut table = Table::try_from(Settings::default())
        .map_err(|e| ConfigError::Invalid(format!("defaults do not serialise: {e}")))?;
    if let Some(path) = file {
        merge(&mut table, read_file(path)?);
    }
    for (name, value) in env {
        if let Some(rest) = name.strip_prefix(ENV_PREFIX) {
            set_path(&mut table, rest, parse_env_value(&value))
                .map_err(|why| ConfigError::Invalid(format!("{name}: {why}")))?;
        }
    }
    let settings: Settings = Value::Table(table)
        .try_into()
        .map_err(|e: toml::de::Error| ConfigError::Invalid(e.message().to_owned()))?;
    settings.validate()?;
    Ok(settings)
}

fn read_file(path: &Path) -> Result<Table, ConfigError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: shown.clone(),
        source,
    })?;
    text.parse::<Table>().map_err(|e| ConfigError::Syntax {
        path: shown,
        message: e.to_string(),
    })
}

/// Lays `overlay` over `base`, key by key, descending into tables present in both.
fn merge(base: &mut Table, overlay: Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(below)), Value::Table(above)) => merge(below, above),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// `8080`, `true` and `["a", "b"]` keep their TOML types; anything else is a string.
fn parse_env_value(raw: &str) -> Value {
    format!("v = {raw}")
        .parse::<Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::String(raw.to_owned()))
}

/// Sets `SECTION__KEY` (case-insensitive) inside `table`, creating sections on the way.
fn set_path(table: &mut Table, path: &str, value: Value) -> Result<(), String> {
    let keys: Vec<String> = path.split("__").map(str::to_ascii_lowercase).collect();
    let Some((last, sections)) = keys.split_last() else {
        return Err("empty key".into());
    };
    let mut cursor = table;
    for section in sections {
        let entry = cursor
            .entry(section.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        cursor = entry
            .as_table_mut()
            .ok_or_else(|| format!("`{section}` is a value, not a section"))?;
    }
    cursor.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn defaults_need_no_input() {
        let settings = load(None, env(&[])).expect("defaults load");
        assert_eq!(settings.server.listen.to_string(), "127.0.0.1:8888");
        assert_eq!(settings.uploads.base64_max_bytes, 5 * 1024 * 1024);
    }

    #[test]
    fn env_overrides_file_and_keeps_types() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("imgate.toml");
        std::fs::write(&file, "[server]\nlisten = \"0.0.0.0:1\"\nworkers = 3\n").expect("write");
        let settings = load(
            Some(&file),
            env(&[
                ("IMGATE__SERVER__LISTEN", "127.0.0.1:9000"),
                ("IMGATE__UPLOADS__BASE64_MAX_BYTES", "1024"),
                ("IMGATE__CDN__PRIVATE", "true"),
                ("IMGATE_API_KEY", "not config"),
            ]),
        )
        .expect("loads");
        assert_eq!(settings.server.listen.to_string(), "127.0.0.1:9000");
        assert_eq!(settings.server.workers, 3);
        assert_eq!(settings.uploads.base64_max_bytes, 1024);
        assert!(settings.cdn.private);
    }

    #[test]
    fn nested_overrides_keep_the_other_defaults() {
        let settings =
            load(None, env(&[("IMGATE__PIPELINE__ICON__MAX_EDGE", "512")])).expect("loads");
        assert_eq!(settings.pipeline.icon.max_edge, 512);
        assert_eq!(settings.pipeline.icon.variants, vec![512, 256, 128, 64]);
        assert_eq!(settings.pipeline.image.max_edge, 4096);
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let err = load(None, env(&[("IMGATE__SERVER__LISTN", "x")])).expect_err("typo");
        assert!(err.to_string().contains("listn"), "{err}");
    }

    #[test]
    fn bad_values_say_what_is_wrong() {
        let err = load(None, env(&[("IMGATE__CDN__PATH_PREFIX", "nope")])).expect_err("bad");
        assert!(err.to_string().contains("cdn.path_prefix"), "{err}");
        let err = load(None, env(&[("IMGATE__CDN__PATH_PREFIX", "/api/img")])).expect_err("bad");
        assert!(err.to_string().contains("overlaps `/api`"), "{err}");
        let err = load(None, env(&[("IMGATE__AUTH__SESSION_TTL", "3y")])).expect_err("bad");
        assert!(err.to_string().contains("unit"), "{err}");
    }

    #[test]
    fn s3_settings_come_from_env_and_are_checked() {
        let s3 = |extra: &[(&str, &str)]| {
            let mut pairs = vec![
                ("IMGATE__STORAGE__BACKEND", "s3"),
                ("IMGATE__STORAGE__S3__BUCKET", "images"),
            ];
            pairs.extend_from_slice(extra);
            load(None, env(&pairs))
        };
        let settings = s3(&[
            ("IMGATE__STORAGE__S3__ENDPOINT", "http://127.0.0.1:9000"),
            ("IMGATE__STORAGE__S3__PATH_STYLE", "true"),
            ("IMGATE__STORAGE__S3__SERVE", "redirect"),
        ])
        .expect("loads");
        let loaded = &settings.storage.s3;
        assert_eq!(settings.storage.backend, crate::config::Backend::S3);
        assert_eq!(loaded.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert!(loaded.path_style);
        assert_eq!(loaded.serve, crate::storage::ServeMode::Redirect);
        assert_eq!(loaded.part_bytes, 8 * 1024 * 1024);

        let cases: [(&[(&str, &str)], &str); 6] = [
            (
                &[("IMGATE__STORAGE__S3__BUCKET", "")],
                "storage.s3.bucket is required",
            ),
            (
                &[("IMGATE__STORAGE__S3__PART_BYTES", "1048576")],
                "storage.s3.part_bytes must be at least 5242880",
            ),
            (
                &[("IMGATE__STORAGE__S3__ACCESS_KEY_ID", "AKIAEXAMPLE")],
                "go together",
            ),
            (
                &[("IMGATE__STORAGE__S3__PREFIX", "imgate")],
                "storage.s3.prefix must be key segments ending with `/`",
            ),
            (
                &[("IMGATE__STORAGE__S3__PREFIX", "../")],
                "storage.s3.prefix must be key segments ending with `/`",
            ),
            (
                &[("IMGATE__STORAGE__S3__PRESIGN_TTL", "8d")],
                "storage.s3.presign_ttl must be 1s to 7d",
            ),
        ];
        for (extra, fragment) in cases {
            let err = s3(extra).expect_err(fragment).to_string();
            assert!(err.contains(fragment), "{err}");
        }
        assert!(
            load(None, env(&[("IMGATE__STORAGE__BACKEND", "s4")])).is_err(),
            "unknown backends are refused"
        );
    }
}
