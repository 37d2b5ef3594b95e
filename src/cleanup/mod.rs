//! Cleanup: full (`hephaestus cleanup`) and scoped (in hooks).
//!
//! The full cleanup is a pipeline of small, separately testable steps:
//! [`plan`] resolves and checks the roots ([`safety`]) and runs one
//! parallel [`walk`] that applies the [`rules`] and stays on each root's
//! mount ([`ident`]); the command shows the [`preview`] and asks for
//! [`confirm`]ation; [`quarantine::execute`] removes each path through
//! [`delete`], which re-checks it relative to opened directory
//! descriptors (and [`copy`]s it when the quarantine is on another
//! filesystem); the quarantine and the manifests live in [`state`]
//! directories opened without following links; and the [`manifest`]
//! records the run, sealed in the quarantine, so `cleanup undo` can put
//! everything back once [`trust`] has checked that this hephaestus wrote
//! it for this work tree. [`scoped`] is the hook side: it classifies
//! paths with the same rules and never deletes.

pub mod confirm;
pub mod copy;
pub mod delete;
pub mod ident;
pub mod manifest;
pub mod plan;
pub mod preview;
pub mod quarantine;
pub mod rules;
pub mod safety;
pub mod scoped;
pub mod state;
pub mod trust;
pub mod walk;

use std::path::PathBuf;

pub use rules::{Categories, Category, EntryKind, RuleSet};
pub use scoped::{
    JunkGroup, JunkHit, JunkReason, ScopedOutcome, ScopedSettings, fix_command, group_hits,
    render_failure, render_unstaged, run_scoped, scoped_check, unstage,
};

use crate::error::Classify;
use crate::exit::ExitStatus;

/// A cleanup problem the user can act on.
#[derive(Debug, thiserror::Error)]
pub enum CleanupError {
    #[error("refusing to clean {}: {reason}", path.display())]
    Dangerous { path: PathBuf, reason: String },
    #[error("cannot clean {}: {message}", path.display())]
    BadRoot { path: PathBuf, message: String },
    #[error("invalid cleanup pattern: {0}")]
    Pattern(String),
    #[error("nothing to undo: {0}")]
    NothingToUndo(String),
    #[error("{0}")]
    Manifest(String),
    #[error("cannot unstage junk paths: {0}")]
    Unstage(String),
    #[error("{0}")]
    State(String),
    /// A state directory that is a symlink or not a directory.
    #[error("refusing to use {}: {reason}", path.display())]
    UnsafeState { path: PathBuf, reason: String },
    /// A manifest `cleanup undo` must not obey.
    #[error("refusing to undo with {}: {reason}", manifest.display())]
    Untrusted { manifest: PathBuf, reason: String },
}

impl Classify for CleanupError {
    fn status(&self) -> ExitStatus {
        match self {
            CleanupError::Dangerous { .. }
            | CleanupError::BadRoot { .. }
            | CleanupError::Pattern(_)
            | CleanupError::Manifest(_)
            | CleanupError::UnsafeState { .. }
            | CleanupError::Untrusted { .. } => ExitStatus::Usage,
            CleanupError::NothingToUndo(_) | CleanupError::Unstage(_) | CleanupError::State(_) => {
                ExitStatus::Failure
            }
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            CleanupError::Dangerous { .. } => Some(
                "cleanup never touches /, your home directory or system directories; point it at a project directory"
                    .to_string(),
            ),
            CleanupError::UnsafeState { path, .. } => Some(format!(
                "remove or rename {}; hephaestus creates its state directories itself (nothing was removed)",
                path.display()
            )),
            CleanupError::Untrusted { .. } => Some(
                "cleanup undo only obeys manifests hephaestus wrote for this work tree (untracked, sealed in this repository's quarantine, every path inside the root); delete that file if you did not write it"
                    .to_string(),
            ),
            CleanupError::NothingToUndo(_) => Some(
                "pass a manifest path (`hephaestus cleanup undo .hephaestus/audit/cleanup-….json`) to undo another run"
                    .to_string(),
            ),
            _ => None,
        }
    }
}
