//! The one integration test binary (one link step keeps the suite fast).
//! Each module drives the real `hephaestus` binary against real git
//! repositories made in temp dirs.

mod common;

mod cleanup;
mod cli;
mod config;
mod git_layer;
