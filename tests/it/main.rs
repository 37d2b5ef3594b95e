//! The one integration test binary (one link step keeps the suite fast).
//! Each module drives the real `hephaestus` binary against real git
//! repositories made in temp dirs.

mod common;

mod cleanup;
mod cli;
mod completions;
mod config;
mod docs;
mod drift;
mod git_layer;
mod guard_rails;
mod hooks;
mod keeper_concurrency;
mod keeper_crash;
mod keeper_filters;
mod keeper_paths;
mod pre_push_tags;
mod precommit;
mod release;
mod release_server;
mod release_sigstore;
mod threat_model;
