//! Exit codes: the documented, stable contract between `hephaestus` and the
//! hooks, scripts and CI jobs that call it.

use std::process::ExitCode;

/// How a command ended. The numbers are part of the public interface
/// (docs/cli.md) and never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything passed (or was skipped).
    Success,
    /// A check failed, a step failed or modified files, or an operation did
    /// not complete (for example a deletion failed).
    Failure,
    /// The command line or the configuration is wrong.
    Usage,
    /// Something went wrong inside hephaestus or the system it runs on.
    Internal,
    /// Interrupted by SIGINT or SIGTERM (after restoring any saved work).
    Interrupted,
}

impl ExitStatus {
    /// The numeric process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Internal => 3,
            ExitStatus::Interrupted => 130,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status.code())
    }
}
