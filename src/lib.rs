//! imgate: a self-hosted image upload and processing service that speaks the veImageX /
//! Coze Studio upload API.
//!
//! A request enters through [`http`], is authenticated by [`auth`], its bytes checked and
//! stored by [`ingest`] into [`storage`] and recorded in the [`catalog`], and is served back
//! by the CDN routes ([`cdn`]). [`startup`] wires these together from [`config`].

pub mod auth;
pub mod biz;
pub mod catalog;
pub mod cdn;
pub mod cli;
pub mod client;
pub mod clock;
pub mod config;
pub mod error;
pub mod http;
pub mod ingest;
pub mod media;
pub mod metrics;
pub mod pause;
pub mod pipeline;
pub mod random;
pub mod request_id;
pub mod startup;
pub mod state;
pub mod storage;
