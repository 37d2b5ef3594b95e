//! The one integration test binary (one link step keeps the suite fast).
//! Each module drives the real `hephaestus` binary against real git
//! repositories made in temp dirs.

mod common;

mod cleanup;
mod cleanup_flow;
#[cfg(target_os = "linux")]
mod cleanup_mounts;
mod cleanup_scoped;
mod cleanup_trust;
mod cli;
mod color;
mod completions;
mod config;
mod corpus;
mod docs;
mod drift;
mod drift_env;
mod filetypes_diff;
mod git_layer;
mod guard_rails;
mod hook_chain;
mod hook_manifest;
mod hooks;
mod hygiene_bench;
mod hygiene_cli;
mod hygiene_corpus;
mod hygiene_diff;
mod keeper_concurrency;
mod keeper_crash;
mod keeper_filters;
mod keeper_paths;
mod layering;
mod migrate;
mod migrate_roundtrip;
mod packaging;
mod pre_push_tags;
mod precommit;
mod project_fit;
mod release;
mod release_hostile;
mod release_server;
mod release_sigstore;
mod threat_model;
