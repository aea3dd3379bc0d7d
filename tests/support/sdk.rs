//! The Volcengine Python SDK (PyPI `volcengine`) for the tests that drive it, and running
//! a command that must succeed.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Python that has the SDK: `IMGATE_SDK_PYTHON`, or a virtual environment made once
/// under the target directory from `tests/sdk/requirements.txt`.
pub fn sdk_python() -> PathBuf {
    if let Ok(python) = std::env::var("IMGATE_SDK_PYTHON") {
        return PathBuf::from(python);
    }
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sdk-venv");
    let python = venv.join("bin/python");
    let ready = |python: &Path| {
        Command::new(python)
            .args(["-c", "import volcengine"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ready(&python) {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
        let requirements = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/requirements.txt");
        run(Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "-r"])
            .arg(requirements));
    }
    python
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
