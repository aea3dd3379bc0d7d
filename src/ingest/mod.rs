//! Ingest: an upload from its first byte to a stored, catalogued object. The transfer
//! encoding, type and biz-type rules, the pipeline run and the store-then-record order
//! live here, apart from HTTP; so does the ImageX upload session ([`session`]), from apply
//! to commit and expiry.

mod accept;
mod base64;
mod deferred;
mod error;
mod objects;
pub mod session;
mod staged;
mod staging;
mod store;
mod sweep;

pub use accept::{accept, accept_detected, declared_or_detected, declared_type, prepare};
pub use base64::{Base64Error, decode as decode_base64, estimate_cost};
pub use deferred::Deferred;
pub use error::{IngestError, LARGE_FILE_HINT};
pub use objects::{Declared, Ingest, MadeVariant, NewObject, Source, VariantSpec};
pub use session::{SessionError, SessionLimits, Sessions};
pub use staging::{Staged, StagedFile, Staging, StagingError};
pub use store::{Body, Placement, Prepared, PreparedFile, new_stem};
pub use sweep::{SweepTotals, Sweeper, Swept};
