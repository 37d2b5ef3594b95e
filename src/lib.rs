//! Hephaestus: a git hook manager with scoped cleanup, guard-rails, drift
//! checks and a verified release installer.
//!
//! The binary (`src/main.rs`) is a thin shell around [`cli::main`]; every
//! concern lives in its own module.
//!
//! # Layers
//!
//! A module uses only modules listed before it here (the layers above it,
//! and within a layer the ones named earlier); nothing uses what comes
//! after, so there are no import circles. `tests/it/layering.rs` checks
//! this list against the sources.
//!
//! 1. leaves: `exit`, `color`, `printer`, `error` (user errors and their
//!    rendering; it knows no domain's errors), `versions`, `pyenv`,
//!    `process` (the one process runner: process groups, capture,
//!    timeouts), `filetypes` (identify's file type tags)
//! 2. `git`, `tools`, `hygiene` (the built-in pre-commit-hooks checks,
//!    which the configuration validates its `builtin` steps with)
//! 3. `config` (validates through leaves only)
//! 4. domains: `cleanup`, `drift`, `release`, `migrate`
//!    (`.pre-commit-config.yaml` into `hephaestus.toml`)
//! 5. `steps`: what a step is, presets, building steps from the
//!    configuration, the plan of a run
//! 6. `run`: a hook or guard-rails run end to end (settings, scope,
//!    keeper, execute, in-process steps, report)
//! 7. `hooks`: installing and removing the hook shims
//! 8. `project`: finding the repository, root and configuration
//! 9. `commands`: one module per command
//! 10. `cli`: clap, the global options, and the exit code of every
//!     outcome (errors are classified here, at the edge)

pub mod cleanup;
pub mod cli;
pub mod color;
pub(crate) mod commands;
pub mod config;
pub(crate) mod drift;
pub(crate) mod error;
pub mod exit;
pub mod filetypes;
pub mod git;
pub(crate) mod hooks;
pub(crate) mod hygiene;
pub(crate) mod migrate;
pub(crate) mod printer;
pub(crate) mod process;
pub(crate) mod project;
pub(crate) mod pyenv;
pub mod release;
pub(crate) mod run;
pub(crate) mod steps;
pub(crate) mod tools;
pub(crate) mod versions;
