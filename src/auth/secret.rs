//! The server secret: from configuration, or generated once into the data directory and
//! kept there (mode 0600) so that sessions and signed URLs survive a restart.

use std::io::{self, Write};
use std::path::Path;

const FILE_NAME: &str = "secret";
const GENERATED_BYTES: usize = 32;

pub fn load_or_create_secret(configured: Option<&str>, data_dir: &Path) -> io::Result<Vec<u8>> {
    if let Some(secret) = configured {
        return Ok(secret.as_bytes().to_vec());
    }
    let path = data_dir.join(FILE_NAME);
    match std::fs::read_to_string(&path) {
        Ok(text) => return decode(&text, &path),
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        Err(_) => {}
    }
    std::fs::create_dir_all(data_dir)?;
    let text = crate::random::random_hex(GENERATED_BYTES);
    match create_private(&path) {
        Ok(mut file) => {
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            decode(&text, &path)
        }
        // Another process (a CLI command next to the server) made it first.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            decode(&std::fs::read_to_string(&path)?, &path)
        }
        Err(e) => Err(e),
    }
}

/// A name for `secret` that tells whether two nodes share it without telling the secret:
/// an HMAC of a fixed text, keyed with the secret.
pub fn secret_fingerprint(secret: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(b"imgate: the fingerprint of the server secret");
    hex::encode(&mac.finalize().into_bytes()[..16])
}

fn decode(text: &str, path: &Path) -> io::Result<Vec<u8>> {
    hex::decode(text.trim()).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is not a hex secret: {e}", path.display()),
        )
    })
}

fn create_private(path: &Path) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_then_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = load_or_create_secret(None, dir.path()).expect("create");
        let second = load_or_create_secret(None, dir.path()).expect("reuse");
        assert_eq!(first.len(), GENERATED_BYTES);
        assert_eq!(first, second);
        let configured = load_or_create_secret(Some("x".repeat(32).as_str()), dir.path());
        assert_eq!(configured.expect("configured"), vec![b'x'; 32]);
    }
}
