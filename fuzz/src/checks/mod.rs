//! What each fuzz target checks, as a plain function of one input. The `cargo fuzz`
//! targets call these; the service's `fuzz` test binary (tests/fuzz/) includes this
//! module as it is and replays seeds, saved findings and random inputs through it, so CI
//! runs the same checks without the fuzzing toolchain.
//!
//! A check panics when a parser breaks a promise it makes (a type it resolved to, a size it
//! checked, metadata it stripped, a signature it made); a parser that panics, loops or
//! allocates without bound fails it on its own.

mod images;
mod strip;
mod text;
mod upload;

pub use images::{exif, probe, process, sniff};
pub use strip::strip;
pub use text::{part_list, template, v4};
pub use upload::{base64, upload_json};

/// A check of one input: it returns when the parsers kept their promises.
pub type Check = fn(&[u8]);

/// Every target by name, as `fuzz/Cargo.toml` and `fuzz/targets.txt` name them.
pub const TARGETS: [(&str, Check); 10] = [
    ("sniff", sniff),
    ("probe", probe),
    ("exif", exif),
    ("strip", strip),
    ("process", process),
    ("v4", v4),
    ("part_list", part_list),
    ("template", template),
    ("base64", base64),
    ("upload_json", upload_json),
];
