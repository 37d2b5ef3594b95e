//! Built-in hygiene checks: the `pre-commit-hooks` package's checks
//! (trailing-whitespace, end-of-file-fixer, check-yaml, …) run in process.
//!
//! Each check reproduces the reference console script: the same options
//! (parsed argparse-style by [`args`]), the same exit status, the same
//! bytes left in every file, and messages as close as the parsers allow.
//! The reference is the oracle: `tests/it/hygiene_*.rs` runs both on the
//! same corpus and compares them file by file; `docs/builtins.md` lists the
//! few documented differences.
//!
//! A check runs over its files in parallel (scoped threads, bounded by the
//! cores), reads each file once, and reports per file; the reports are put
//! back in the order the files were given, so the output is stable. In a
//! hook run, consecutive content checks share one read of each file
//! ([`Pass`]). Checks
//! that need git state read it through [`crate::git`] (gitoxide), never by
//! spawning `git`.
//!
//! The entry point for callers (the `hephaestus builtin` command today, the
//! step engine later) is [`run`] with a [`CheckSpec`] and a [`Context`].

pub mod args;
mod content;
mod fixers;
mod gitstate;
mod parallel;
mod pass;
mod pygrep;
mod registry;
mod syntax;

use std::path::PathBuf;

pub use args::ArgsError;
pub use pass::{MAX_STEPS as MAX_PASS_STEPS, Pass, shares_a_pass};
pub use registry::{CheckId, FileFilter};

/// Which check to run and its pre-commit-hooks style arguments (options
/// only; the files come with the [`Context`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckSpec {
    pub id: CheckId,
    pub args: Vec<String>,
}

/// Where a check runs and on what.
#[derive(Debug, Clone)]
pub struct Context {
    /// The directory relative file names resolve against (the work tree
    /// root inside a hook) and from which the repository is discovered.
    pub dir: PathBuf,
    /// The files to check, as given (relative to `dir` or absolute).
    pub files: Vec<PathBuf>,
    /// `PRE_COMMIT_FROM_REF` / `PRE_COMMIT_TO_REF`, when the run covers a
    /// ref range (forbid-new-submodules compares that range instead of the
    /// index).
    pub ref_range: Option<(String, String)>,
}

/// What a check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The check failed (exit status 1 of the reference); a fixer that
    /// modified a file fails too.
    pub failed: bool,
    /// Files the check rewrote, as given in the context, in input order.
    pub modified: Vec<PathBuf>,
    /// What the reference prints on stdout.
    pub stdout: String,
    /// What the reference prints on stderr, and errors reading a file.
    pub stderr: String,
}

impl Outcome {
    /// Both streams, stdout first: the step report shows them together.
    #[expect(
        dead_code,
        reason = "for the built-in hygiene steps' report, which the built-ins work adds"
    )]
    pub fn output(&self) -> String {
        let mut text = self.stdout.clone();
        text.push_str(&self.stderr);
        text
    }
}

/// A problem that stops a check before it looks at any file.
#[derive(Debug, thiserror::Error)]
pub enum HygieneError {
    #[error(transparent)]
    Args(#[from] ArgsError),
    #[error(transparent)]
    Git(#[from] crate::git::GitError),
}

impl crate::error::Classify for HygieneError {
    fn status(&self) -> crate::exit::ExitStatus {
        match self {
            HygieneError::Args(_) => crate::exit::ExitStatus::Usage,
            HygieneError::Git(e) => e.status(),
        }
    }
    fn hint(&self) -> Option<String> {
        match self {
            HygieneError::Args(e) => Some(e.hint()),
            HygieneError::Git(e) => e.hint(),
        }
    }
}

/// Run one check. Arguments are validated first (a bad flag is an error
/// naming it); problems with single files (unreadable, vanished) are
/// reported in the outcome and fail the check without stopping it.
pub fn run(spec: &CheckSpec, ctx: &Context) -> Result<Outcome, HygieneError> {
    let parsed = args::parse(spec.id, &spec.args)?;
    registry::dispatch(&parsed, ctx)
}
