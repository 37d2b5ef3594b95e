//! Hephaestus: a git hook manager with scoped cleanup, guard-rails, drift
//! checks and a verified release installer.
//!
//! The binary (`src/main.rs`) is a thin shell around [`cli::main`]; every
//! concern lives in its own module so tests can drive the library API too.

pub mod cleanup;
pub mod cli;
pub mod color;
pub mod commands;
pub mod config;
pub mod drift;
pub mod error;
pub mod exit;
pub mod filetypes;
pub mod git;
pub mod guardrails;
pub mod hooks;
pub mod hygiene;
pub mod migrate;
pub mod printer;
pub mod project;
pub mod pyenv;
pub mod release;
pub mod runner;
pub mod runner_builtins;
pub mod steps;
pub mod tools;
pub mod versions;
