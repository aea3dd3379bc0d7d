//! The console in a real browser: `tests/console/console.mjs` drives Debian's Chromium
//! (headless, through `playwright-core`) against a server this test starts, and this test
//! checks afterwards what the server recorded. What the script needs is provisioned as
//! the S3 tests provision s3s-fs: `npm ci` into `target/test-tools/console` (once, under a
//! file lock), and Chromium by `apt-get install -y chromium` when it is missing and the
//! test runs as root; otherwise the test fails saying what to install.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use imgate::auth::hash_password;
use serde_json::Value;

use crate::helpers::{fixture, spawn_app_with};

const XSS_NAME: &str = "<img src=x onerror=alert(1)>.png";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `command`, failing with `what to do` when it cannot start or fails.
fn run(command: &mut Command, remedy: &str) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?} cannot start ({e}); {remedy}"));
    assert!(
        output.status.success(),
        "{command:?} failed; {remedy}\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A directory whose `node_modules` has the pinned `playwright-core`.
fn playwright() -> PathBuf {
    let tools = root().join("target/test-tools/console");
    std::fs::create_dir_all(&tools).expect("tools dir");
    let lock = std::fs::File::create(tools.join(".lock")).expect("lock file");
    lock.lock().expect("lock");
    let wanted = std::fs::read(root().join("tests/console/package-lock.json")).expect("lock");
    let installed = std::fs::read(tools.join("package-lock.json")).ok();
    let ready = tools
        .join("node_modules/playwright-core/package.json")
        .is_file();
    if !ready || installed.as_deref() != Some(&wanted[..]) {
        for name in ["package.json", "package-lock.json"] {
            std::fs::copy(root().join("tests/console").join(name), tools.join(name))
                .expect("copy the package files");
        }
        run(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&tools),
            "the console tests need Node.js 20 or later with npm (apt-get install nodejs npm)",
        );
    }
    tools
}

/// Debian's Chromium: `IMGATE_CHROMIUM`, else `/usr/bin/chromium`, installed when missing
/// and the test runs as root.
fn chromium() -> PathBuf {
    if let Ok(path) = std::env::var("IMGATE_CHROMIUM") {
        return PathBuf::from(path);
    }
    let path = PathBuf::from("/usr/bin/chromium");
    if path.is_file() {
        return path;
    }
    let root_user = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    assert!(
        root_user,
        "the console tests need Chromium: apt-get install chromium (or set IMGATE_CHROMIUM)"
    );
    let lock_dir = root().join("target/test-tools");
    std::fs::create_dir_all(&lock_dir).expect("tools dir");
    let lock = std::fs::File::create(lock_dir.join(".chromium-lock")).expect("lock file");
    lock.lock().expect("lock");
    if !path.is_file() {
        let remedy = "install it by hand: apt-get install chromium";
        run(Command::new("apt-get").args(["update", "-qq"]), remedy);
        run(
            Command::new("apt-get")
                .args(["install", "-y", "-qq", "chromium"])
                .env("DEBIAN_FRONTEND", "noninteractive"),
            remedy,
        );
    }
    path
}

/// A PNG of `width` x `height` whose pixels barely compress, so its size is about
/// 3 bytes a pixel: a colour gradient under noise.
fn noisy_png(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let mut state = seed;
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        let mut channel = |base: u32| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (base + (state >> 25)) as u8
        };
        image::Rgb([
            channel(x * 128 / width),
            channel(y * 128 / height),
            channel(96),
        ])
    });
    let mut bytes = Cursor::new(Vec::new());
    image
        .write_to(&mut bytes, image::ImageFormat::Png)
        .expect("encode PNG");
    bytes.into_inner()
}

/// An icon-sized picture: a disc on a gradient.
fn icon_png() -> Vec<u8> {
    let image = image::RgbaImage::from_fn(600, 600, |x, y| {
        let (dx, dy) = (x as i32 - 300, y as i32 - 300);
        if dx * dx + dy * dy < 200 * 200 {
            image::Rgba([255, 196, 60, 255])
        } else {
            image::Rgba([36, (x / 4) as u8, 160 + (y / 8) as u8, 255])
        }
    });
    let mut bytes = Cursor::new(Vec::new());
    image
        .write_to(&mut bytes, image::ImageFormat::Png)
        .expect("encode PNG");
    bytes.into_inner()
}

fn write_files(dir: &Path) {
    let large = noisy_png(2100, 2100, 7);
    assert!(
        large.len() > 12 * 1024 * 1024,
        "large.png is {} bytes",
        large.len()
    );
    std::fs::write(dir.join("large.png"), large).expect("large");
    std::fs::write(dir.join("resume.png"), noisy_png(2100, 2000, 11)).expect("resume");
    std::fs::write(dir.join("photo.jpg"), fixture("images/photo-12mp.jpg")).expect("photo");
    std::fs::write(dir.join("small.png"), fixture("files/sample.png")).expect("small");
    std::fs::write(dir.join(XSS_NAME), icon_png()).expect("icon");
}

#[tokio::test]
async fn the_console_works_in_a_real_browser() {
    let (playwright, chromium) = (playwright(), chromium());
    let app = spawn_app_with(|s| s.pipeline.image.max_bytes = 64 * 1024 * 1024).await;
    let mut users = Vec::new();
    for (email, password) in [
        ("ops@example.com", "first-password"),
        ("dev@example.com", "second-password"),
    ] {
        let hash = hash_password(password).expect("hash");
        let id = app.catalog.insert_user(email, &hash).await.expect("user");
        users.push((id, email, password));
    }
    let files = tempfile::tempdir().expect("files");
    write_files(files.path());
    let shots = root().join("target/console-screenshots");
    let output = tokio::process::Command::new("node")
        .arg(root().join("tests/console/console.mjs"))
        .env("IMGATE_URL", &app.address)
        .env("IMGATE_FILES", files.path())
        .env("IMGATE_SCREENSHOTS", &shots)
        .env("IMGATE_PLAYWRIGHT_DIR", &playwright)
        .env("IMGATE_CHROMIUM", &chromium)
        .env("IMGATE_USER1", users[0].1)
        .env("IMGATE_PASSWORD1", users[0].2)
        .env("IMGATE_USER2", users[1].1)
        .env("IMGATE_PASSWORD2", users[1].2)
        .output()
        .await
        .expect("node starts (the console tests need Node.js 20 or later)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the browser script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let found: Value = serde_json::from_str(stdout.lines().last().expect("a last line"))
        .expect("the script's findings are JSON");
    let deleted = found["deleted"].as_str().expect("deleted uri");
    assert!(
        app.catalog
            .find_object(deleted)
            .await
            .expect("find")
            .is_none()
    );
    let by_key = app
        .catalog
        .find_object(found["keyUpload"].as_str().expect("key upload"))
        .await
        .expect("find")
        .expect("the key's upload is recorded");
    let key_user = app
        .catalog
        .user_of_owner(&by_key.owner)
        .await
        .expect("owner");
    assert_eq!(key_user, Some(users[0].0), "uploaded by {}", by_key.owner);
    let keys = app
        .catalog
        .list_user_api_keys(users[0].0)
        .await
        .expect("keys");
    assert!(keys.len() == 1 && keys[0].revoked_at.is_some(), "{keys:?}");
    for page in ["sign-in", "upload", "library", "object", "keys", "status"] {
        for width in ["laptop", "phone"] {
            let shot = shots.join(format!("{page}-{width}.png"));
            assert!(shot.is_file(), "no screenshot {}", shot.display());
        }
    }
}
