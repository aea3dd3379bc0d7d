//! `imgate upload` as a person sees it: the real binary under a pseudo-terminal (util-linux
//! `script`, 120 columns), its output drawn by [`Screen`] and read off as a person would;
//! and the JSON lines a program gets when stdout is a pipe.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::client_screen::Screen;
use crate::helpers::{fixture, spawn_app, text_of};

const WIDTH: usize = 120;
const HEIGHT: usize = 40;

/// Small files (one line each, no bar), two large ones (a bar each, in parts) and one the
/// client refuses.
const SMALL: [(&str, &str); 5] = [
    ("icon.png", "images/rgba.png"),
    ("photo.jpg", "images/photo-progressive.jpg"),
    ("gray.jpg", "images/gray.jpg"),
    ("still.webp", "images/still.webp"),
    ("sample.pdf", "files/sample.pdf"),
];
const LARGE: [(&str, usize); 2] = [("big-a.txt", 12 << 20), ("big-b.txt", 11 << 20)];
const REFUSED: &str = "fake.jpg";

/// `<root>/upload/...`: the files of a run, named relative to `root`.
fn files(root: &Path) -> Vec<String> {
    let dir = root.join("upload");
    std::fs::create_dir(&dir).expect("mkdir");
    for (name, source) in SMALL {
        std::fs::write(dir.join(name), fixture(source)).expect("write");
    }
    for (name, size) in LARGE {
        std::fs::write(dir.join(name), text_of(size)).expect("write");
    }
    std::fs::write(dir.join(REFUSED), fixture("bad/html.jpg")).expect("write");
    let mut names: Vec<String> = SMALL.iter().map(|(n, _)| n.to_string()).collect();
    names.extend(LARGE.iter().map(|(n, _)| n.to_string()));
    names.push(REFUSED.into());
    names.iter().map(|n| format!("upload/{n}")).collect()
}

fn upload_args(server: &str, key: &str, cache: &Path) -> Vec<String> {
    let mut args: Vec<String> = ["upload", "--server", server, "--api-key", key]
        .map(String::from)
        .into();
    args.extend(["--cache-dir".into(), cache.display().to_string()]);
    args.extend(["--biz-type", "2", "--concurrency", "2", "upload"].map(String::from));
    args
}

/// Runs `imgate args` in `cwd` on a pseudo-terminal of WIDTH x HEIGHT; answers its exit
/// status and everything it wrote to the terminal.
async fn in_terminal(cwd: &Path, args: &[String]) -> (bool, String) {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut command = format!(
        "stty cols {WIDTH} rows {HEIGHT} && exec {}",
        quote(env!("CARGO_BIN_EXE_imgate"))
    );
    for arg in args {
        command.push(' ');
        command.push_str(&quote(arg));
    }
    let output = tokio::process::Command::new("script")
        .args(["--quiet", "--return", "--command", &command, "/dev/null"])
        .current_dir(cwd)
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR")
        .env_remove("IMGATE_API_KEY")
        .env_remove("IMGATE_SERVER")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("script (util-linux) runs");
    let Output { status, stdout, .. } = output;
    (
        status.success(),
        String::from_utf8_lossy(&stdout).into_owned(),
    )
}

/// Where a file's result line was written: the name, then spaces and its size. (In a bar
/// the name is followed by ` [`.)
fn result_writes(raw: &str, file: &str) -> usize {
    raw.match_indices(file)
        .filter(|(at, _)| {
            let rest = raw[at + file.len()..].trim_start_matches(' ');
            rest.starts_with(|c: char| c.is_ascii_digit())
        })
        .count()
}

fn is_bar(row: &str) -> bool {
    row.contains(" [") && (row.contains("==") || row.contains("] "))
}

#[tokio::test]
async fn on_a_terminal_each_file_is_one_line_above_bars_drawn_in_place() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let root = tempfile::tempdir().expect("dir");
    let names = files(root.path());
    let cache = tempfile::tempdir().expect("cache");
    let (ok, raw) = in_terminal(root.path(), &upload_args(&app.address, &key, cache.path())).await;
    assert!(!ok, "a refused file makes the exit status non-zero:\n{raw}");
    let lines = drawn_without_a_bar_twice(&raw);
    let shown = lines.join("\n");
    for file in &names {
        assert_eq!(result_writes(&raw, file), 1, "{file} written once:\n{raw}");
        check_result_line(&lines, file, &app.public_base);
    }
    // Nothing is left of the bars: the results, the summary and the failure, in that order.
    let summary = lines
        .iter()
        .position(|l| l.starts_with("imgate: 7 uploaded, 0 already uploaded, 1 failed; "))
        .unwrap_or_else(|| panic!("a summary:\n{shown}"));
    assert_eq!(summary, names.len(), "only result lines above it:\n{shown}");
    assert!(lines[summary].ends_with("no retries"), "{}", lines[summary]);
    assert!(
        lines[summary].contains("MiB in ") && lines[summary].contains("MiB/s)"),
        "bytes, time and throughput: {}",
        lines[summary]
    );
    assert_eq!(
        lines[summary + 1..],
        ["imgate: 1 of 8 files failed (upload/fake.jpg)"],
        "{shown}"
    );
    assert!(!lines.iter().any(|l| is_bar(l)), "a bar was left:\n{shown}");
}

/// Draws `raw`, checking that bars were drawn (or the test would prove nothing) and that at
/// no moment is one on the screen twice; answers the lines left on the screen.
fn drawn_without_a_bar_twice(raw: &str) -> Vec<String> {
    assert!(raw.contains("files ["), "no bar for the run:\n{raw}");
    assert!(
        LARGE
            .iter()
            .any(|(name, _)| raw.contains(&format!("{name} ["))),
        "no bar for a large file:\n{raw}"
    );
    let labels: Vec<String> = LARGE
        .iter()
        .map(|(n, _)| format!("{n} ["))
        .chain(["files [".to_owned()])
        .collect();
    let mut screen = Screen::new(WIDTH, HEIGHT);
    let mut worst = (0, String::new());
    screen.feed(raw, |screen| {
        let rows = screen.rows();
        let most = labels
            .iter()
            .map(|label| rows.iter().filter(|r| r.contains(label)).count())
            .max()
            .unwrap_or(0);
        if most > worst.0 {
            worst = (most, rows.join("\n"));
        }
    });
    assert!(worst.0 <= 1, "a bar drawn twice:\n{}", worst.1);
    screen.lines()
}

/// One line for `file`: its mark, then its URL and method, or why it failed.
fn check_result_line(lines: &[String], file: &str, public_base: &str) {
    let mark = if file.ends_with(REFUSED) {
        "✗"
    } else {
        "✓"
    };
    let own: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with(&format!("{mark} {file} ")))
        .collect();
    assert_eq!(own.len(), 1, "one line for {file}:\n{}", lines.join("\n"));
    let line = own[0];
    if file.ends_with(REFUSED) {
        assert!(line.contains("HTML"), "says why: {line}");
        return;
    }
    assert!(line.contains(public_base), "has its URL: {line}");
    let method = if file.contains("big-") {
        "imagex-chunked"
    } else {
        "base64"
    };
    assert!(line.contains(&format!("  {method}  ")), "{line}");
}

/// What `imgate upload` printed before this change, per file, when stdout is a pipe.
const JSON_FIELDS: [&str; 7] = ["cached", "error", "file", "method", "ok", "uri", "url"];

#[tokio::test]
async fn piped_output_is_the_json_lines_it_always_was() {
    let app = spawn_app().await;
    let key = app.upload_key().await;
    let root = tempfile::tempdir().expect("dir");
    let names = files(root.path());
    let cache = tempfile::tempdir().expect("cache");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_imgate"))
        .args(upload_args(&app.address, &key, cache.path()))
        .current_dir(root.path())
        .env_remove("IMGATE_API_KEY")
        .env_remove("IMGATE_SERVER")
        .output()
        .await
        .expect("imgate upload runs");
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !stdout.contains('\x1b'),
        "no terminal codes in a pipe: {stdout:?}"
    );
    let results: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    assert_eq!(results.len(), names.len(), "{stdout}");
    for result in &results {
        let mut fields: Vec<&str> = result
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        fields.sort_unstable();
        let file = result["file"].as_str().expect("file");
        let expected: Vec<&str> = if file.contains("big-") {
            let mut with_parts = JSON_FIELDS.to_vec();
            with_parts.insert(5, "resumed_parts");
            with_parts
        } else if file.ends_with(REFUSED) {
            JSON_FIELDS
                .iter()
                .copied()
                .filter(|f| *f != "method")
                .collect()
        } else {
            JSON_FIELDS.to_vec()
        };
        assert_eq!(fields, expected, "{result}");
        assert!(names.iter().any(|n| n == file), "{file}");
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.lines().collect::<Vec<_>>().len(),
        2,
        "the summary and the failure, no bars: {stderr}"
    );
}
