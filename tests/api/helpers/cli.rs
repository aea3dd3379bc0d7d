//! Running the `imgate` binary: commands in a directory of their own, and `serve` as a
//! child process.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{fixture, upload_body};

pub fn imgate(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_imgate"));
    command
        .current_dir(dir)
        .args(args)
        .env_remove("IMGATE_PASSWORD");
    command
}

pub fn run_ok(mut command: impl std::borrow::BorrowMut<Command>) -> String {
    let Output {
        status,
        stdout,
        stderr,
    } = command.borrow_mut().output().expect("imgate runs");
    let stdout = String::from_utf8_lossy(&stdout).into_owned();
    assert!(
        status.success(),
        "failed: {stdout}\n{}",
        String::from_utf8_lossy(&stderr)
    );
    stdout
}

pub fn last_line(text: &str) -> String {
    text.lines().last().expect("a line").trim().to_owned()
}

/// An `imgate serve` process and what it wrote on stderr; killed when dropped.
pub struct Server {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// `kill -9`: the process gets no chance to finish anything.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// `kill -TERM`: the process is asked to stop, as an orchestrator does.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits for the process to exit, for `within` at most; answers its status.
    pub async fn exit_status(&mut self, within: Duration) -> std::process::ExitStatus {
        let steps = within.as_millis() / 50;
        for _ in 0..=steps {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "imgate serve did not exit within {within:?}; it wrote:\n{}",
            self.log()
        );
    }

    /// Waits until the process has written `text` on stderr.
    pub async fn wait_for_log(&self, text: &str) {
        for _ in 0..300 {
            if self.log().contains(text) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "imgate serve never wrote `{text}`; it wrote:\n{}",
            self.log()
        );
    }

    pub fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Keeps what `child` writes on stderr in `log`, from a thread of its own.
fn capture_stderr(child: &mut Child) -> Arc<Mutex<String>> {
    let log = Arc::new(Mutex::new(String::new()));
    if let Some(stderr) = child.stderr.take() {
        let log = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(mut log) = log.lock() {
                    log.push_str(&line);
                    log.push('\n');
                }
            }
        });
    }
    log
}

/// Runs `imgate serve` in `cwd` on a free port with `env` added, and waits until it answers
/// `/healthz`; answers the process and its base URL.
pub async fn serve_in(cwd: &Path, env: &[(&str, &str)]) -> (Server, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let mut child = imgate(cwd, &["serve"])
        .env("IMGATE__SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let log = capture_stderr(&mut child);
    let server = Server { child, log };
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return (server, base);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("imgate serve did not come up:\n{}", server.log());
}

/// Creates a key with `imgate keys create` in `cwd` and uploads the sample PNG with it to
/// the server at `base`; answers the PNG and the reply.
pub async fn upload_with_new_key(cwd: &Path, base: &str) -> (Vec<u8>, serde_json::Value) {
    let key = last_line(&run_ok(imgate(cwd, &["keys", "create", "--name", "test"])));
    let png = fixture("files/sample.png");
    let reply: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/bot/upload_file"))
        .bearer_auth(&key)
        .json(&upload_body("png", 1, &png))
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    assert_eq!(reply["code"], 0, "{reply}");
    (png, reply)
}
