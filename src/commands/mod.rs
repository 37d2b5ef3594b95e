//! One module per command: each owns its clap arguments and a `run`
//! function that takes the [`Context`](crate::cli::Context) and returns an
//! exit status.

pub mod cleanup;
pub mod config;
pub mod files;
pub mod init;
