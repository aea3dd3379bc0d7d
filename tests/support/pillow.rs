//! Pillow as a decoder, for the formats the image crate here does not read (AVIF).

use std::path::Path;
use std::process::Command;

use crate::python::{python_with, run};

/// An image decoded by Pillow: its format name (`AVIF`, `WEBP`, ...), size, and RGB rows.
#[derive(Debug)]
pub struct Decoded {
    pub format: String,
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

/// Decodes `bytes` with Pillow (`IMGATE_MEDIA_PYTHON`, or a virtual environment made once
/// from tests/media/requirements.txt), off the runtime's thread: the server under test may
/// share it.
pub async fn decode(bytes: &[u8]) -> Decoded {
    let bytes = bytes.to_vec();
    tokio::task::spawn_blocking(move || decode_now(&bytes))
        .await
        .expect("the decode finishes")
}

fn decode_now(bytes: &[u8]) -> Decoded {
    let python = python_with(
        "IMGATE_MEDIA_PYTHON",
        "media-venv",
        "tests/media/requirements.txt",
        "import PIL.features, sys; sys.exit(not PIL.features.check('avif'))",
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let (input, output) = (dir.path().join("in"), dir.path().join("out.rgb"));
    std::fs::write(&input, bytes).expect("write the image");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/media/decode.py");
    let line = run(Command::new(python).arg(script).arg(&input).arg(&output));
    let info: serde_json::Value = serde_json::from_str(line.trim()).expect("decode.py's JSON");
    let side = |name: &str| info[name].as_u64().and_then(|v| u32::try_from(v).ok());
    Decoded {
        format: info["format"].as_str().unwrap_or_default().to_owned(),
        width: side("width").expect("width"),
        height: side("height").expect("height"),
        rgb: std::fs::read(&output).expect("decoded pixels"),
    }
}
