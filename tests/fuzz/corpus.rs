//! A target's corpus as the fuzz tests replay it: its seed directories from
//! fuzz/targets.txt and its saved findings from fuzz/regressions/TARGET/, and the check
//! each input goes through, which saves an input that fails it.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::{Path, PathBuf};

use crate::checks::{Check, TARGETS};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Each target of fuzz/targets.txt with its seed directories.
fn seed_table() -> Vec<(String, Vec<String>)> {
    let table = std::fs::read_to_string(root().join("fuzz/targets.txt")).expect("fuzz/targets.txt");
    table
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let mut words = line.split_whitespace().map(str::to_owned);
            Some((words.next()?, words.collect()))
        })
        .collect()
}

#[derive(Debug)]
pub struct Corpus {
    target: String,
    check: Check,
    names: Vec<String>,
    inputs: Vec<Vec<u8>>,
}

impl Corpus {
    pub fn load(target: &str) -> Self {
        let (_, check) = *TARGETS
            .iter()
            .find(|(name, _)| *name == target)
            .expect("a target");
        let (_, seeds) = seed_table()
            .into_iter()
            .find(|(name, _)| name == target)
            .expect("the target is in fuzz/targets.txt");
        let regressions = format!("fuzz/regressions/{target}");
        let mut files: Vec<PathBuf> = seeds
            .iter()
            .chain([&regressions])
            .flat_map(|dir| files_in(dir))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{target} has no seeds");
        let names = files
            .iter()
            .map(|f| f.strip_prefix(root()).unwrap_or(f).display().to_string())
            .collect();
        let inputs = files
            .iter()
            .map(|f| std::fs::read(f).expect("a corpus file"))
            .collect();
        Self {
            target: target.to_owned(),
            check,
            names,
            inputs,
        }
    }

    pub fn files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.names
            .iter()
            .map(String::as_str)
            .zip(self.inputs.iter().map(Vec::as_slice))
    }

    pub fn inputs(&self) -> &[Vec<u8>] {
        &self.inputs
    }

    /// Runs the target's check on `input`; when it fails, saves the input where the
    /// message says and fails with the check's own panic.
    pub fn check(&self, label: &str, input: &[u8]) {
        let Err(panic) = catch_unwind(AssertUnwindSafe(|| (self.check)(input))) else {
            return;
        };
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz");
        std::fs::create_dir_all(&dir).expect("a directory for failed inputs");
        let path = dir.join(format!("{}-{:016x}", self.target, fnv(input)));
        std::fs::write(&path, input).expect("the failed input saved");
        eprintln!(
            "fuzz target `{}` failed on {label} ({} bytes), saved as {}\n\
             replay it: cargo fuzz run --sanitizer none {} {}",
            self.target,
            input.len(),
            path.display(),
            self.target,
            path.display()
        );
        resume_unwind(panic);
    }
}

/// The files directly in `dir` (relative to the repository root); none if it is absent.
fn files_in(dir: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
        return Vec::new();
    };
    entries
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect()
}

/// FNV-1a, to name a saved input by its bytes.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The targets agree everywhere they are named: the checks, fuzz/targets.txt, the
/// `[[bin]]`s of fuzz/Cargo.toml and these tests.
pub fn assert_targets_match(tests: &[&str]) {
    let mut checks: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
    checks.sort_unstable();
    let mut tests = tests.to_vec();
    tests.sort_unstable();
    let mut seeded: Vec<String> = seed_table().into_iter().map(|(name, _)| name).collect();
    seeded.sort_unstable();
    let manifest =
        std::fs::read_to_string(root().join("fuzz/Cargo.toml")).expect("fuzz/Cargo.toml");
    let mut bins: Vec<&str> = manifest
        .split("[[bin]]")
        .skip(1)
        .filter_map(|bin| bin.lines().find_map(|l| l.strip_prefix("name = ")))
        .map(|name| name.trim_matches('"'))
        .collect();
    bins.sort_unstable();
    assert_eq!(tests, checks, "tests and checks");
    assert_eq!(seeded, checks, "fuzz/targets.txt and checks");
    assert_eq!(bins, checks, "fuzz/Cargo.toml and checks");
}
