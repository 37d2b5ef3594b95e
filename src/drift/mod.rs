//! Drift: installed tool versions against the declared ones.
//!
//! [`check`] reads what the project declares ([`declared`], with
//! [`pyproject`] and [`requirements`]), finds the project's Python
//! environment once and reads installed versions from its metadata
//! ([`installed`]), asks the remaining tools their version in parallel
//! with a timeout ([`probe`]), judges each ([`status`]), and plans the
//! commands that would fix what is off ([`remediate`]); [`report`] renders
//! the result. The command (`hephaestus drift`) and `guard-rails --drift`
//! share this entry point, so both report the same thing.

pub mod declared;
pub mod installed;
pub mod probe;
pub mod pyproject;
pub mod remediate;
pub mod report;
pub mod requirements;
pub mod status;

use std::path::PathBuf;
use std::time::Duration;

pub use declared::DeclaredTool;
pub use remediate::Remedy;
pub use report::{DriftReport, EnvReport, FixRun, ToolRow, render_text};
pub use status::Status;

use crate::config::{Loaded, Source};
use crate::error::Classify;
use crate::exit::ExitStatus;
use crate::pyenv::EnvHints;
use installed::Lookup;
use probe::Outcome;
use pyproject::{Choice, Selection};

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
    /// Which groups and extras of `pyproject.toml` count.
    pub selection: Selection,
    /// `[drift] requirements`: requirements files whose packages count.
    pub requirements: Vec<String>,
    /// `VIRTUAL_ENV` and `UV_PROJECT_ENVIRONMENT`, read once.
    pub env_hints: EnvHints,
    /// Where `[drift]` keys go, for hints: `[drift] in hephaestus.toml`.
    pub config_table: String,
}

impl DriftSettings {
    /// Settings from the loaded configuration and the process
    /// environment; `timeout` (from the command line) wins over `[drift]
    /// timeout`.
    pub fn new(loaded: &Loaded, timeout: Option<Duration>) -> Result<Self, DriftError> {
        let (file, config_table) = match &loaded.source {
            Source::Pyproject { path } => (
                path.clone(),
                "[tool.hephaestus.drift] in pyproject.toml".to_string(),
            ),
            Source::File { path } => (
                path.clone(),
                format!(
                    "[drift] in {}",
                    path.file_name()
                        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
                ),
            ),
            Source::Defaults => (
                loaded.root.join(crate::config::CONFIG_FILE),
                format!("[drift] in {}", crate::config::CONFIG_FILE),
            ),
        };
        let drift = &loaded.config.drift;
        let names = |list: &Option<Vec<crate::config::model::PackageListName>>| {
            list.as_ref()
                .map(|l| l.iter().map(|n| n.0.clone()).collect::<Vec<_>>())
        };
        Ok(DriftSettings {
            root: loaded.root.clone(),
            configured: declared::from_config(&drift.tools, &file)?,
            timeout: timeout
                .or(drift.timeout.map(|s| s.0))
                .unwrap_or(DEFAULT_TIMEOUT),
            selection: Selection {
                groups: Choice::from_config(names(&drift.groups).as_deref()),
                extras: Choice::from_config(names(&drift.extras).as_deref()),
                config_file: file,
            },
            requirements: drift.requirements.clone(),
            env_hints: EnvHints::from_process(),
            config_table,
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
    let root = &settings.root;
    let declared = declared::collect(
        root,
        declared::Sources {
            configured: &settings.configured,
            selection: &settings.selection,
            requirements: &settings.requirements,
        },
    )?;
    let not_counted = declared.not_counted.clone();
    let environment = if declared.needs_python_env() {
        installed::locate(root, &settings.env_hints, settings.timeout)
    } else {
        None
    };
    let markers = environment.as_ref().and_then(|e| e.env.markers());
    let resolved = declared.resolve(markers.as_ref());
    let mut skipped = resolved.skipped;

    // Metadata first (no process); what it cannot answer is probed.
    let mut answers: Vec<(&DeclaredTool, Option<probe::Probe>)> = Vec::new();
    for tool in &resolved.tools {
        match installed::lookup(tool, environment.as_ref(), root) {
            Lookup::Read(p) => answers.push((tool, Some(p))),
            Lookup::Library(s) => skipped.push(s),
            Lookup::Probe => answers.push((tool, None)),
        }
    }
    let to_probe: Vec<&DeclaredTool> = answers
        .iter()
        .filter(|(_, a)| a.is_none())
        .map(|(t, _)| *t)
        .collect();
    let probe_settings = probe::ProbeSettings {
        root,
        timeout: settings.timeout,
        env: environment.as_ref().map(|e| &e.env),
    };
    let mut probes = probe::probe_all(&probe_settings, &to_probe).into_iter();

    let mut rows = Vec::new();
    let mut needs_fix = Vec::new();
    for (tool, answer) in answers {
        let Some(probe) = answer.or_else(|| probes.next()) else {
            continue;
        };
        let row = judge(tool, probe);
        if matches!(row.status, Status::Drift | Status::Missing) {
            needs_fix.push(tool);
        }
        rows.push(row);
    }
    let python = environment.as_ref().and_then(|e| e.env.interpreter.clone());
    let mut report = DriftReport {
        root: root.clone(),
        environment: environment.as_ref().map(|e| EnvReport::new(&e.env, root)),
        tools: rows,
        remediation: remediate::plan(root, &needs_fix, python.as_deref()),
        skipped,
        hints: Vec::new(),
    };
    report.hints = hints(settings, &report, &not_counted);
    Ok(report)
}

/// When nothing is checked, say why and where versions seem to be.
fn hints(settings: &DriftSettings, report: &DriftReport, not_counted: &[String]) -> Vec<String> {
    if !report.tools.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let libraries: Vec<&str> = report
        .skipped
        .iter()
        .filter(|s| s.reason == "library")
        .map(|s| s.name.as_str())
        .collect();
    if !libraries.is_empty() {
        out.push(format!(
            "{} installed but install{} no command, so {} not counted as {}; name a package in [drift.tools] to check it anyway",
            libraries.join(", "),
            if libraries.len() == 1 { "s" } else { "" },
            if libraries.len() == 1 { "it is" } else { "they are" },
            if libraries.len() == 1 { "a tool" } else { "tools" },
        ));
    }
    if !not_counted.is_empty() {
        out.push(format!(
            "pyproject.toml has {} that do not count by default (only groups and extras named like dev, lint, test, typing do): choose them with `groups = [...]` / `extras = [...]` in {}",
            not_counted.join(", "),
            settings.config_table
        ));
    }
    if settings.requirements.is_empty() {
        let files = requirements::detect(&settings.root);
        // Suggest the file that looks most like the tools' (dev, lint,
        // test, typing), else the first.
        let suggested = files
            .iter()
            .find(|f| {
                let f = f.to_ascii_lowercase();
                ["dev", "lint", "test", "typ"].iter().any(|w| f.contains(w))
            })
            .or(files.first());
        if let Some(first) = suggested {
            out.push(format!(
                "tool versions seem to live in {}, which drift reads only when listed: add `requirements = [\"{first}\"]` to {}, or declare the tools in [drift.tools]",
                files.join(", "),
                settings.config_table
            ));
        }
    }
    out
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
