//! What a file is: the types imgate accepts and how the bytes prove one. Ingest, the
//! pipeline, the CDN and the upload client all ask here.

mod file_type;
mod sniff;

pub use file_type::{Category, FileType};
pub use sniff::{Detected, Sniffer, TypeMismatch, resolve, resolve_detected, sniff};
