//! What the tests share, by concern: the server under test, the S3 and PostgreSQL
//! servers, the ImageX flow and the `imgate` binary.

mod app;
mod cli;
mod cluster;
mod imagex;
mod postgres;
mod s3;

pub use app::*;
pub use cli::*;
pub use cluster::*;
pub use imagex::*;
pub use postgres::*;
pub use s3::*;
