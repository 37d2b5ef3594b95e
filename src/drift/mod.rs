//! Drift: installed tool versions against the declared ones.
//!
//! [`check`] reads what the project declares ([`declared`]), asks every
//! tool its version in parallel with a timeout ([`probe`]), judges each
//! ([`status`]), and plans the commands that would fix what is off
//! ([`remediate`]); [`report`] renders the result. The command
//! (`hephaestus drift`) and `guard-rails --drift` share this entry point,
//! so both report the same thing.

pub mod declared;
pub mod probe;
pub mod remediate;
pub mod report;
pub mod status;

use std::path::PathBuf;
use std::time::Duration;

pub use declared::{DeclaredTool, Expectation};
pub use remediate::{Ran, Remedy};
pub use report::{DriftReport, FixRun, ToolRow, render_remediation, render_table, render_text};
pub use status::Status;

use crate::config::{Loaded, Source};
use crate::error::Classify;
use crate::exit::ExitStatus;
use probe::Outcome;

/// How long one probe may run unless configured.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Everything a drift check needs, resolved once (CLI > config > default).
#[derive(Debug, Clone)]
pub struct DriftSettings {
    /// The project root: probes and remediation run here.
    pub root: PathBuf,
    /// `[drift.tools]`, parsed; empty means "the pyproject dev tools".
    pub configured: Vec<DeclaredTool>,
    /// The timeout of one version probe.
    pub timeout: Duration,
}

impl DriftSettings {
    /// Settings from the loaded configuration; `timeout` (from the command
    /// line) wins over `[drift] timeout`.
    pub fn new(loaded: &Loaded, timeout: Option<Duration>) -> Result<Self, DriftError> {
        let file = match &loaded.source {
            Source::File { path } | Source::Pyproject { path } => path.clone(),
            Source::Defaults => loaded.root.join(crate::config::CONFIG_FILE),
        };
        let drift = &loaded.config.drift;
        Ok(DriftSettings {
            root: loaded.root.clone(),
            configured: declared::from_config(&drift.tools, &file)?,
            timeout: timeout
                .or(drift.timeout.map(|s| s.0))
                .unwrap_or(DEFAULT_TIMEOUT),
        })
    }
}

/// A problem with what the project declares (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum DriftError {
    #[error("{}{}: {message}", file.display(), if key.is_empty() { String::new() } else { format!(": key `{key}`") })]
    Config {
        file: PathBuf,
        key: String,
        message: String,
    },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Classify for DriftError {
    fn status(&self) -> ExitStatus {
        ExitStatus::Usage
    }
    fn hint(&self) -> Option<String> {
        match self {
            DriftError::Config { message, .. } if message.contains("version") => Some(
                "versions are PEP 440: a pin like \"0.14.0\" or a specifier like \">=1.18,<2\""
                    .to_string(),
            ),
            _ => None,
        }
    }
}

/// Check every declared tool: the library entry point behind
/// `hephaestus drift` and `guard-rails --drift`.
pub fn check(settings: &DriftSettings) -> Result<DriftReport, DriftError> {
    let declared = declared::collect(&settings.root, &settings.configured)?;
    let probes = probe::probe_all(&settings.root, &declared.tools, settings.timeout);
    let mut rows = Vec::new();
    let mut needs_fix = Vec::new();
    for (tool, probe) in declared.tools.iter().zip(probes) {
        let row = judge(tool, probe);
        if matches!(row.status, Status::Drift | Status::Missing) {
            needs_fix.push(tool);
        }
        rows.push(row);
    }
    Ok(DriftReport {
        root: settings.root.clone(),
        tools: rows,
        remediation: remediate::plan(&settings.root, &needs_fix),
    })
}

/// Run the remediation of `report` (as argv, never a shell), then check
/// again. `on_command` is called before each command (for progress
/// output).
pub fn fix(
    settings: &DriftSettings,
    report: &DriftReport,
    mut on_command: impl FnMut(&Remedy),
) -> Result<(DriftReport, FixRun), DriftError> {
    let mut commands = Vec::new();
    for remedy in &report.remediation {
        on_command(remedy);
        commands.push(remediate::run(&settings.root, remedy));
    }
    let after = check(settings)?;
    Ok((
        after,
        FixRun {
            commands,
            before: report.tools.clone(),
        },
    ))
}

fn judge(tool: &DeclaredTool, probe: probe::Probe) -> ToolRow {
    let mut row = ToolRow {
        name: tool.name.clone(),
        expected: tool.expectation.display(),
        expected_kind: tool.expectation.kind(),
        declared_in: tool.origin.describe(),
        actual: None,
        status: Status::Error,
        detail: None,
        probe: probe.command,
        exit_code: None,
        source: None,
        actual_label: String::new(),
    };
    match probe.outcome {
        Outcome::Found {
            found,
            exit_code,
            source,
        } => {
            row.status = if status::satisfies(&tool.expectation, &found) {
                Status::Ok
            } else {
                Status::Drift
            };
            if let Some(code) = exit_code.filter(|c| *c != 0) {
                row.detail = Some(format!(
                    "the probe exited with {code} but printed a version"
                ));
            }
            row.actual = Some(found.text);
            row.exit_code = exit_code;
            row.source = Some(source);
        }
        Outcome::NotFound { detail } => {
            row.status = Status::Missing;
            row.actual_label = "Not installed".to_string();
            row.detail = Some(detail);
        }
        Outcome::Failed {
            short,
            detail,
            exit_code,
        } => {
            row.status = Status::Error;
            row.actual_label = short;
            row.detail = Some(detail);
            row.exit_code = exit_code;
        }
    }
    row
}
