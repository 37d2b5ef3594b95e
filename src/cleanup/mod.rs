//! Cleanup: full (`hephaestus cleanup`) and scoped (in hooks).
//!
//! The full cleanup is a pipeline of small, separately testable steps:
//! [`plan`] resolves and checks the roots ([`safety`]) and runs one
//! parallel [`walk`] that applies the [`rules`]; the command shows the
//! [`preview`] and asks for [`confirm`]ation; [`quarantine::execute`]
//! removes each path through [`delete`], which re-checks it relative to
//! opened directory descriptors; and the [`manifest`] records the run so
//! `cleanup undo` can put everything back. [`scoped`] is the hook side:
//! it classifies paths with the same rules and never deletes.

pub mod confirm;
pub mod delete;
pub mod manifest;
pub mod plan;
pub mod preview;
pub mod quarantine;
pub mod rules;
pub mod safety;
pub mod scoped;
pub mod walk;

use std::path::PathBuf;

pub use rules::{Categories, Category, EntryKind, RuleSet};
pub use scoped::{
    JunkHit, ScopedOutcome, ScopedSettings, fix_command, render_failure, run_scoped, scoped_check,
    unstage,
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
}

impl Classify for CleanupError {
    fn status(&self) -> ExitStatus {
        match self {
            CleanupError::Dangerous { .. }
            | CleanupError::BadRoot { .. }
            | CleanupError::Pattern(_)
            | CleanupError::Manifest(_) => ExitStatus::Usage,
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
            CleanupError::NothingToUndo(_) => Some(
                "pass a manifest path (`hephaestus cleanup undo .hephaestus/audit/cleanup-….json`) to undo another run"
                    .to_string(),
            ),
            _ => None,
        }
    }
}
