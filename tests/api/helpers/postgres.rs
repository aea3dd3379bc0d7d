//! A real PostgreSQL server for the tests, and a database of its own for each server under
//! test. `.ci/run` starts one and names it in `IMGATE_TEST_POSTGRES`
//! (`postgres://user@host:port/db`); without it, the first test that needs one starts a
//! server for the whole test process with `scripts/postgres.sh` (which installs Debian's
//! PostgreSQL when it is missing and it can).

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use imgate::random::random_hex;
use tempfile::TempDir;

/// The server the tests share: its URL, and our own server's directory when we started it.
struct Shared {
    url: String,
    _own: Option<TempDir>,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| match std::env::var("IMGATE_TEST_POSTGRES") {
        Ok(url) => Shared { url, _own: None },
        Err(_) => {
            let dir = tempfile::tempdir().expect("postgres dir");
            let url = script(&["start"], &dir.path().join("server"));
            // Our server lives as long as this test process: scripts/postgres.sh stops it
            // when the process exits (a static is never dropped).
            Shared {
                url,
                _own: Some(dir),
            }
        }
    })
}

/// A new, empty database on the shared server; answers its URL.
pub async fn new_database() -> String {
    let server = &shared().url;
    let name = format!("imgate_{}", random_hex(8));
    let admin = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(server)
        .await
        .expect("connect to the test PostgreSQL");
    // The name is ours: `imgate_` and hex digits.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .expect("create database");
    admin.close().await;
    let (base, _) = server.rsplit_once('/').expect("a database in the URL");
    format!("{base}/{name}")
}

/// `IMGATE_TEST_CATALOG=postgres` runs every server of the suite on PostgreSQL.
pub fn suite_on_postgres() -> bool {
    match std::env::var("IMGATE_TEST_CATALOG").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Err(_) => false,
        Ok(other) => panic!("IMGATE_TEST_CATALOG is `sqlite` or `postgres`, not `{other}`"),
    }
}

/// A PostgreSQL server of a test's own, to stop and start again.
pub struct OwnPostgres {
    pub url: String,
    dir: TempDir,
}

impl OwnPostgres {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("postgres dir");
        let url = script(&["start"], &dir.path().join("server"));
        Self { url, dir }
    }

    /// Stops the server at once, as a crash would.
    pub fn stop(&self) {
        script(&["stop"], &self.dir.path().join("server"));
    }

    pub fn resume(&self) {
        script(&["resume"], &self.dir.path().join("server"));
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs `scripts/postgres.sh ARGS DIR`; answers what it printed.
fn script(args: &[&str], dir: &Path) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/postgres.sh");
    // The server stops when this test process exits, whatever becomes of it.
    let output = Command::new("bash")
        .arg(&script)
        .args(args)
        .arg(dir)
        .env("IMGATE_PG_OWNER", std::process::id().to_string())
        .output()
        .expect("scripts/postgres.sh runs");
    assert!(
        output.status.success(),
        "scripts/postgres.sh {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}
