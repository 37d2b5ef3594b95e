//! Errors as the user sees them: a classification into exit codes, an
//! optional hint, and one renderer (`error: …`, `caused by: …`, `hint: …`).
//!
//! Domain modules return their own `thiserror` types, which implement
//! [`Classify`]; the command layer adds context with `anyhow`. The CLI
//! ([`crate::cli`]) finds the first classified error in the chain, which
//! decides the exit code and the hint; anything unclassified is an
//! internal error (3). This module knows no domain's errors.

use std::fmt::Write as _;

use crate::exit::ExitStatus;
use crate::printer::Printer;

/// An error caused by what the user asked for (a bad flag, a bad config, a
/// path that must not be touched), with the exit code it maps to and a hint
/// that says what to do.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct UserError {
    pub message: String,
    pub hint: Option<String>,
    pub status: ExitStatus,
}

impl UserError {
    /// A usage or configuration error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
            status: ExitStatus::Usage,
        }
    }

    /// A check or operation that failed for a reason the user can act on
    /// (exit 1).
    pub fn failure(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
            status: ExitStatus::Failure,
        }
    }

    /// Attach the hint printed after the error.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Errors that know their exit code and hint. Implemented by the domain
/// error types so the renderer need not know every module.
pub trait Classify {
    fn status(&self) -> ExitStatus;
    fn hint(&self) -> Option<String> {
        None
    }
}

impl Classify for UserError {
    fn status(&self) -> ExitStatus {
        self.status
    }
    fn hint(&self) -> Option<String> {
        self.hint.clone()
    }
}

/// True when the error is a closed stdout pipe (`hephaestus … | head`),
/// which is not an error worth reporting.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Print the error with its causes and `hint` on stderr.
pub fn render(printer: &Printer, err: &anyhow::Error, hint: Option<&str>) {
    let mut text = String::new();
    let mut causes = err.chain();
    if let Some(top) = causes.next() {
        let _ = write!(text, "{top}");
    }
    let mut last = text.clone();
    for cause in causes {
        let line = cause.to_string();
        // thiserror `#[error(transparent)]` and `{0}` wrappers repeat their
        // source; do not print the same sentence twice.
        if line == last || last.ends_with(&line) {
            continue;
        }
        let _ = write!(text, "\n  caused by: {line}");
        last = line;
    }
    printer.error(&text);
    if let Some(hint) = hint {
        printer.hint(hint);
    }
}
