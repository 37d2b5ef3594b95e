//! Reporting a run: one pre-commit style line per step
//! (`name.....Passed 0.12s`), a failed step's output indented below it,
//! and the `--format json` document (schema in docs/json.md).

use serde::Serialize;

use crate::git::ByteSlice;
use crate::printer::{Printer, Tone};

use super::exec::Exit;
use super::run::{Status, StepResult};

const WIDTH: usize = 79;

/// The result line, e.g. `ruff check.......................Passed 0.12s`.
pub fn line(printer: &Printer, r: &StepResult) -> String {
    let (label, tone) = match &r.status {
        Status::Passed => ("Passed".to_string(), Tone::Ok),
        Status::Failed => ("Failed".to_string(), Tone::Bad),
        Status::Skipped(reason) => (format!("Skipped ({})", reason.label()), Tone::Warn),
        Status::Notice(_) => ("Skipped (not installed)".to_string(), Tone::Warn),
    };
    let time = match r.status {
        Status::Passed | Status::Failed => format!(" {:.2}s", r.duration.as_secs_f64()),
        _ => String::new(),
    };
    let used = r.name.chars().count() + label.len() + time.len();
    let dots = ".".repeat(WIDTH.saturating_sub(used).max(3));
    format!(
        "{}{}{}{}",
        r.name,
        printer.paint(&dots, Tone::Dim),
        printer.paint(&label, tone),
        time
    )
}

/// The details shown under a failed step (or a notice): exit code,
/// message, modified files, and the tool's output, indented.
pub fn details(r: &StepResult) -> String {
    let mut out = String::new();
    match &r.status {
        Status::Failed => {
            if let Some(code) = r.exit.as_ref().and_then(|e| e.code()) {
                out.push_str(&format!("  - exit code: {code}\n"));
            }
            if let Some(msg) = &r.message {
                out.push_str(&format!("  - {msg}\n"));
            }
            for f in &r.modified {
                out.push_str(&format!("    {}\n", f.to_str_lossy()));
            }
            let text = String::from_utf8_lossy(&r.output);
            let text = text.trim_end();
            if !text.is_empty() {
                out.push('\n');
                for l in text.lines() {
                    out.push_str("    ");
                    out.push_str(l);
                    out.push('\n');
                }
                out.push('\n');
            }
        }
        Status::Notice(msg) => out.push_str(&format!("  - {msg}\n")),
        _ => {}
    }
    if !r.restaged.is_empty() {
        out.push_str(&format!(
            "  - re-staged {} file(s) fixed by this step\n",
            r.restaged.len()
        ));
    }
    out
}

/// "guard-rails failed at step 3/6: mypy (exit 1)" for the first failure.
pub fn failure_summary(what: &str, results: &[StepResult], total: usize) -> Option<String> {
    let r = results.iter().find(|r| r.status == Status::Failed)?;
    let why = match &r.exit {
        Some(Exit::Code(c)) if r.modified.is_empty() => format!("exit {c}"),
        Some(Exit::Code(_)) => "modified files".to_string(),
        Some(Exit::Signal(s)) => format!("signal {s}"),
        Some(Exit::TimedOut) => "timed out".to_string(),
        Some(Exit::NotFound) => "tool not installed".to_string(),
        Some(Exit::SpawnFailed(_)) => "could not start".to_string(),
        None => "not run".to_string(),
    };
    Some(format!(
        "{what} failed at step {}/{total}: {} ({why})",
        r.position, r.name
    ))
}

/// The JSON report of a run.
#[derive(Debug, Serialize)]
pub struct JsonReport {
    pub version: u32,
    /// `hook run <type>` or `guard-rails`.
    pub command: String,
    pub hook: Option<String>,
    /// staged, all-files, files, range, last-commit, message, none, project
    pub mode: String,
    pub files: usize,
    pub passed: bool,
    pub exit_code: u8,
    pub steps: Vec<JsonStep>,
}

#[derive(Debug, Serialize)]
pub struct JsonStep {
    pub name: String,
    pub position: usize,
    /// passed, failed, skipped, notice
    pub status: String,
    pub skip_reason: Option<String>,
    pub exit_code: Option<i32>,
    pub duration_ms: u128,
    pub files: Vec<String>,
    pub modified_files: Vec<String>,
    pub restaged_files: Vec<String>,
    pub message: Option<String>,
    pub output: String,
}

impl From<&StepResult> for JsonStep {
    fn from(r: &StepResult) -> Self {
        let (status, skip_reason, message) = match &r.status {
            Status::Passed => ("passed", None, r.message.clone()),
            Status::Failed => ("failed", None, r.message.clone()),
            Status::Skipped(reason) => ("skipped", Some(reason.label().to_string()), None),
            Status::Notice(msg) => ("notice", None, Some(msg.clone())),
        };
        let lossy =
            |v: &[crate::git::BString]| v.iter().map(|p| p.to_str_lossy().into_owned()).collect();
        JsonStep {
            name: r.name.clone(),
            position: r.position,
            status: status.to_string(),
            skip_reason,
            exit_code: r.exit.as_ref().and_then(|e| e.code()),
            duration_ms: r.duration.as_millis(),
            files: lossy(&r.files),
            modified_files: lossy(&r.modified),
            restaged_files: lossy(&r.restaged),
            message,
            output: String::from_utf8_lossy(&r.output).into_owned(),
        }
    }
}
