//! Pythons with pinned packages for the tests that drive real Python tools (the Volcengine
//! SDK, the OpenAPI validators), the SDK's upload script, and running a command that must
//! succeed.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A Python that has `requirements` (a file under `tests/`) installed: the one `env_var`
/// names, or a virtual environment made once under the target directory. `probe` is an
/// import that succeeds once the packages are there.
pub fn python_with(env_var: &str, venv: &str, requirements: &str, probe: &str) -> PathBuf {
    if let Ok(python) = std::env::var(env_var) {
        return PathBuf::from(python);
    }
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join(venv);
    let python = venv.join("bin/python");
    let ready = |python: &Path| {
        Command::new(python)
            .args(["-c", probe])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ready(&python) {
        // Tests run as separate processes, so several may get here at once: each builds
        // its own environment and renames it into place, and the first rename wins. A
        // virtual environment's Python finds its packages relative to itself, so the
        // moved one works; its scripts' shebangs would not, so pip is run as a module.
        let building = venv.with_extension(format!("building-{}", std::process::id()));
        run(Command::new("python3").args(["-m", "venv"]).arg(&building));
        let requirements = Path::new(env!("CARGO_MANIFEST_DIR")).join(requirements);
        run(Command::new(building.join("bin/python"))
            .args(["-m", "pip", "install", "--quiet", "-r"])
            .arg(&requirements));
        if std::fs::rename(&building, &venv).is_err() {
            if !ready(&python) {
                // What is there was left half-made by an interrupted run.
                let _ = std::fs::remove_dir_all(&venv);
                let _ = std::fs::rename(&building, &venv);
            }
            let _ = std::fs::remove_dir_all(&building);
        }
        assert!(
            ready(&python),
            "{} lacks what {} lists",
            venv.display(),
            requirements.display()
        );
    }
    python
}

/// The Python that has the Volcengine SDK (`IMGATE_SDK_PYTHON`, or tests/sdk/requirements.txt).
pub fn sdk_python() -> PathBuf {
    python_with(
        "IMGATE_SDK_PYTHON",
        "sdk-venv",
        "tests/sdk/requirements.txt",
        "import volcengine",
    )
}

/// Temporary credentials as the SDK script takes them.
pub struct SdkCredentials<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub session_token: &'a str,
}

/// Uploads `file` with the SDK (tests/sdk/volc_upload.py) to the https server at `host`
/// (`host:port`, trusting the certificate `ca`); answers the script's JSON line.
pub fn sdk_upload(host: &str, ca: &Path, file: &Path, creds: &SdkCredentials<'_>) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/volc_upload.py");
    let stdout = run(Command::new(sdk_python())
        .arg(script)
        .env("IMGATE_HOST", host)
        .env("IMGATE_AK", creds.access_key_id)
        .env("IMGATE_SK", creds.secret_access_key)
        .env("IMGATE_SESSION_TOKEN", creds.session_token)
        .env("IMGATE_SERVICE_ID", "imgate")
        .env("IMGATE_FILE", file)
        .env("IMGATE_CA", ca));
    stdout.lines().last().unwrap_or_default().to_owned()
}

pub fn run(command: &mut Command) -> String {
    let output = command.output().expect("command starts");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{command:?} failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}
