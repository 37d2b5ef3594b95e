//! Reporting a run: one pre-commit style line per step
//! (`name.....Passed 0.12s`), a failed step's output indented below it,
//! the `--format json` document (schema in docs/json.md), what putting
//! unstaged work back found, the one-line summary of a failure, and the
//! exit status.

use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use crate::exit::ExitStatus;
use crate::git::{BString, ByteSlice};
use crate::printer::{Printer, Tone};

use super::keeper::Restored;
use super::scope::RunScope;
use super::settings::RunSettings;

use super::execute::{Status, StepResult};
use crate::process::Exit;
use crate::steps::describe::StepCommand;
use std::collections::BTreeMap;

const WIDTH: usize = 79;

/// Print a step's line, and the details below it when it failed.
pub fn step(printer: &Printer, r: &StepResult) {
    let _ = printer.outln(&line(printer, r));
    let cap = match printer.verbosity() {
        crate::printer::Verbosity::Verbose => None,
        _ => Some(OUTPUT_LINES),
    };
    let details = details(r, cap);
    if !details.is_empty() {
        let _ = printer.out(&details);
    }
}

/// What the end of a run reports on.
pub struct Finish<'a> {
    pub printer: &'a Printer,
    pub settings: &'a RunSettings,
    pub scope: &'a RunScope,
    pub results: &'a [StepResult],
    /// How many steps the plan had.
    pub planned: usize,
    /// What the keeper found when it put the work back.
    pub restored: Option<&'a Restored>,
    pub interrupted: &'a AtomicBool,
    /// Each command step's command, by step name (JSON and `-v` only).
    pub commands: &'a BTreeMap<String, StepCommand>,
}

/// The exit status of a run: interrupted (130), failed (a step failed, a
/// fixer's edit conflicted, or work was kept aside), or success.
pub fn status(
    results: &[StepResult],
    restored: Option<&Restored>,
    interrupted: bool,
) -> ExitStatus {
    let failed = results.iter().any(|r| r.status == Status::Failed);
    let unrestored = restored.is_some_and(|r| !r.conflicts.is_empty() || r.aside.is_some());
    if interrupted {
        ExitStatus::Interrupted
    } else if failed || unrestored {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    }
}

/// Report the end of a run (JSON document, restore notes, interruption or
/// failure summary) and return its exit status.
pub fn finish(f: &Finish<'_>) -> anyhow::Result<ExitStatus> {
    let printer = f.printer;
    let was_interrupted = f.interrupted.load(Ordering::SeqCst);
    let status = status(f.results, f.restored, was_interrupted);
    let what = f.settings.what();
    if f.settings.json {
        let doc = JsonReport {
            version: 1,
            command: match f.settings.hook {
                Some(h) => format!("hook run {h}"),
                None => "guard-rails".to_string(),
            },
            hook: f.settings.hook.map(|h| h.to_string()),
            mode: f.scope.mode.to_string(),
            files: f.scope.files.len(),
            passed: status == ExitStatus::Success,
            exit_code: status.code(),
            steps: f
                .results
                .iter()
                .map(|r| {
                    let mut step = JsonStep::from(r);
                    step.command = f.commands.get(&r.name).cloned();
                    step
                })
                .collect(),
        };
        printer.outln(&serde_json::to_string_pretty(&doc)?)?;
    }
    if let Some(r) = f.restored {
        restore_notes(printer, r);
    }
    if was_interrupted {
        printer.error(&format!(
            "{what} interrupted; your unstaged changes are restored"
        ));
    } else if let Some(summary) = failure_summary(&what, f.results, f.planned) {
        printer.status(&summary);
    }
    Ok(status)
}

/// Tell what putting the work back found: conflicts, index entries put
/// back, and anything kept aside.
fn restore_notes(printer: &Printer, r: &Restored) {
    let list = |paths: &[BString]| {
        paths
            .iter()
            .map(|p| p.to_str_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !r.conflicts.is_empty() {
        let index = if r.index_reset.is_empty() || r.index_reset_failed.is_some() {
            String::new()
        } else {
            format!(
                "; the index entries of {} are back as you staged them",
                list(&r.index_reset)
            )
        };
        printer.error(&format!(
            "a step's edits to {} conflicted with your unstaged changes; the step's edits were rolled back and your changes are restored{index}",
            list(&r.conflicts)
        ));
        printer.hint(
            "stage or stash your changes to those files and commit again, or run the fixer by hand",
        );
    }
    if let Some(message) = &r.index_reset_failed {
        printer.error(&format!(
            "could not put the index entries of {} back as you staged them: {message}",
            list(&r.index_reset)
        ));
        printer.hint("the step's fix is still staged for them: `git restore --staged <file>` and `git add -p` to stage what you meant");
    }
    if let Some(aside) = &r.aside {
        for p in &aside.paths {
            printer.error(&format!(
                "{}; your version from before the hook run is in {}",
                p.reason,
                p.location(&aside.dir).display()
            ));
        }
        printer.hint(&format!(
            "compare and copy back what you need from {} (README.txt and changes.patch are there), then delete it",
            aside.dir.display()
        ));
    }
}

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
/// `  ran: ruff check --no-fix <files>  [.venv/bin/ruff from .venv/bin, ruff 0.6.9]`
pub fn command_line(c: &StepCommand) -> String {
    format!("  ran: {}", c.display())
}

/// How many lines of a failed step's output the report shows (the rest:
/// `-v`, or the JSON report, which always has all of it).
pub const OUTPUT_LINES: usize = 60;

pub fn details(r: &StepResult, cap: Option<usize>) -> String {
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
                let total = text.lines().count();
                let shown = cap.unwrap_or(total).min(total);
                for l in text.lines().take(shown) {
                    out.push_str("    ");
                    out.push_str(l);
                    out.push('\n');
                }
                if shown < total {
                    out.push_str(&format!(
                        "    … {} more line(s) not shown (all of them: -v, or --format json)\n",
                        total - shown
                    ));
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

/// "guard-rails failed at step 3/6: mypy (exit 1)", naming every failed
/// step when there are several ("… and 2 more: ruff format (modified
/// files), pytest (exit 1)").
pub fn failure_summary(what: &str, results: &[StepResult], total: usize) -> Option<String> {
    let failed: Vec<&StepResult> = results
        .iter()
        .filter(|r| r.status == Status::Failed)
        .collect();
    let first = failed.first()?;
    let mut text = format!(
        "{what} failed at step {}/{total}: {} ({})",
        first.position,
        first.name,
        why(first)
    );
    if failed.len() > 1 {
        let rest: Vec<String> = failed[1..]
            .iter()
            .map(|r| format!("{} ({})", r.name, why(r)))
            .collect();
        text.push_str(&format!(
            "; {} of {total} steps failed, also: {}",
            failed.len(),
            rest.join(", ")
        ));
    }
    Some(text)
}

fn why(r: &StepResult) -> String {
    match &r.exit {
        Some(_) if !r.modified.is_empty() => "modified files".to_string(),
        Some(Exit::Code(c)) => format!("exit {c}"),
        Some(Exit::Signal(s)) => format!("signal {s}"),
        Some(Exit::TimedOut) => "timed out".to_string(),
        Some(Exit::NotFound(_)) => "tool not installed".to_string(),
        Some(Exit::SpawnFailed(_)) => "could not start".to_string(),
        None => "not run".to_string(),
    }
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
    /// What the step runs: command line, program, where it was found and
    /// its version (`null` for in-process steps).
    pub command: Option<StepCommand>,
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
            command: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::steps::plan::SkipReason;

    fn result(name: &str, position: usize, status: Status, exit: Option<Exit>) -> StepResult {
        StepResult {
            name: name.to_string(),
            position,
            status,
            exit,
            duration: Duration::from_millis(1234),
            files: vec![BString::from("a.py")],
            modified: Vec::new(),
            restaged: Vec::new(),
            edited: Vec::new(),
            output: b"line one\nline two\n".to_vec(),
            message: None,
        }
    }

    #[test]
    fn lines_are_79_columns_with_the_label_and_time() {
        let p = Printer::plain();
        let passed = line(
            &p,
            &result("ruff check", 1, Status::Passed, Some(Exit::Code(0))),
        );
        assert_eq!(passed.chars().count(), 79, "{passed}");
        assert!(passed.starts_with("ruff check...."), "{passed}");
        assert!(passed.ends_with("Passed 1.23s"), "{passed}");
        let skipped = line(
            &p,
            &result("mypy", 2, Status::Skipped(SkipReason::NoFiles), None),
        );
        assert!(skipped.ends_with(".Skipped (no files)"), "{skipped}");
        let long = line(&p, &result(&"x".repeat(100), 3, Status::Passed, None));
        assert!(long.contains("x...Passed"), "at least three dots: {long}");
    }

    #[test]
    fn details_of_a_failure_show_code_message_files_and_indented_output() {
        let mut r = result("fix", 1, Status::Failed, Some(Exit::Code(1)));
        r.message = Some("files were modified by this step".to_string());
        r.modified = vec![BString::from("a.py")];
        assert_eq!(
            details(&r, None),
            "  - exit code: 1\n  - files were modified by this step\n    a.py\n\n    line one\n    line two\n\n"
        );
        let passed = result("ok", 1, Status::Passed, Some(Exit::Code(0)));
        assert_eq!(details(&passed, None), "", "a passed step shows no output");
    }

    #[test]
    fn the_summary_names_the_first_failure_and_why_then_every_other() {
        let results = [
            result("a", 1, Status::Passed, Some(Exit::Code(0))),
            result("b", 2, Status::Failed, Some(Exit::TimedOut)),
            result("c", 3, Status::Failed, Some(Exit::Code(4))),
        ];
        assert_eq!(
            failure_summary("guard-rails", &results, 5).as_deref(),
            Some(
                "guard-rails failed at step 2/5: b (timed out); 2 of 5 steps failed, also: c (exit 4)"
            )
        );
        assert_eq!(
            failure_summary("guard-rails", &results[..2], 5).as_deref(),
            Some("guard-rails failed at step 2/5: b (timed out)")
        );
        assert_eq!(failure_summary("guard-rails", &results[..1], 1), None);
        let missing = [result(
            "m",
            1,
            Status::Failed,
            Some(Exit::NotFound("m: not found".into())),
        )];
        assert_eq!(
            failure_summary("pre-commit hook", &missing, 1).as_deref(),
            Some("pre-commit hook failed at step 1/1: m (tool not installed)")
        );
    }

    #[test]
    fn the_status_is_interrupted_then_failure_then_success() {
        let passed = [result("a", 1, Status::Passed, Some(Exit::Code(0)))];
        let failed = [result("a", 1, Status::Failed, Some(Exit::Code(1)))];
        assert_eq!(status(&passed, None, false), ExitStatus::Success);
        assert_eq!(status(&failed, None, false), ExitStatus::Failure);
        assert_eq!(status(&failed, None, true), ExitStatus::Interrupted);
        let conflicted = Restored {
            conflicts: vec![BString::from("a.py")],
            ..Restored::default()
        };
        assert_eq!(
            status(&passed, Some(&conflicted), false),
            ExitStatus::Failure
        );
    }

    #[test]
    fn json_steps_carry_status_reason_and_output() {
        let skipped = JsonStep::from(&result("s", 1, Status::Skipped(SkipReason::NoFormat), None));
        assert_eq!(skipped.status, "skipped");
        assert_eq!(skipped.skip_reason.as_deref(), Some("--no-format"));
        assert_eq!(skipped.message, None);
        let failed = JsonStep::from(&result("f", 2, Status::Failed, Some(Exit::Signal(9))));
        assert_eq!(failed.status, "failed");
        assert_eq!(failed.exit_code, Some(137));
        assert_eq!(failed.duration_ms, 1234);
        assert_eq!(failed.files, ["a.py"]);
        assert_eq!(failed.output, "line one\nline two\n");
    }
}
