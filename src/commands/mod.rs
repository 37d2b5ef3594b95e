//! One module per command: each owns its clap arguments and a `run`
//! function that takes the [`Context`](crate::cli::Context) and returns an
//! exit status.

pub mod builtin;
pub mod cleanup;
pub mod completions;
pub mod config;
pub mod drift;
pub mod files;
pub mod guard_rails;
pub mod hook;
pub mod init;
pub mod release;
pub mod run_args;
