//! The drift report: one row per tool, the remediation plan, and the two
//! renderings: the seeds' table (Tool / Expected / Actual / Status, heavy
//! header, UTF-8 borders) followed by the remediation commands, and the
//! JSON document of `--format json` (schema in docs/drift.md).

use std::path::PathBuf;

use comfy_table::{ContentArrangement, ContentLineStyle, LineStyle, Table, TableStyle};
use serde::Serialize;

use super::declared::Skipped;
use super::remediate::{Ran, Remedy};
use super::status::Status;
use crate::color::{Tone, paint};
use crate::exit::ExitStatus;
use crate::pyenv::{EnvKind, PythonEnv};

/// The JSON schema version; bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// One tool's line in the report.
#[derive(Debug, Clone, Serialize)]
pub struct ToolRow {
    pub name: String,
    /// The Expected column (`0.14.0`, `>=1.18,<2`, `stable`, `any`).
    pub expected: String,
    /// `pin`, `range`, `channel` or `any`.
    pub expected_kind: &'static str,
    /// Where the expectation was declared.
    pub declared_in: String,
    /// The installed version as printed, `null` when missing or unknown.
    pub actual: Option<String>,
    pub status: Status,
    /// Why a tool is Missing or Error, or a note (non-zero exit).
    pub detail: Option<String>,
    /// The probe command that ran.
    pub probe: Vec<String>,
    /// The probe's exit code (`null` when it did not run to the end).
    pub exit_code: Option<i32>,
    /// `command` or `metadata` (where the version was read); `null` when
    /// no version was found.
    pub source: Option<&'static str>,
    /// The Actual column for rows without a version.
    #[serde(skip)]
    pub actual_label: String,
}

/// The Python environment versions were read from.
#[derive(Debug, Clone, Serialize)]
pub struct EnvReport {
    /// Its directory (relative to the root when inside it).
    pub path: String,
    /// `uv-project`, `venv`, `active` or `interpreter`.
    pub kind: EnvKind,
    /// Its Python version, when known.
    pub python: Option<String>,
    /// For messages: `.venv (venv, CPython 3.12.1)`.
    #[serde(skip)]
    pub description: String,
}

impl EnvReport {
    pub fn new(env: &PythonEnv, root: &std::path::Path) -> Self {
        EnvReport {
            path: crate::pyenv::shown_path(&env.prefix, root),
            kind: env.kind,
            python: env.python.as_ref().map(|p| p.version.to_string()),
            description: env.describe(root),
        }
    }
}

/// The result of one drift check.
#[derive(Debug, Clone, Serialize)]
pub struct DriftReport {
    pub root: PathBuf,
    /// The Python environment read, if one was needed and found.
    pub environment: Option<EnvReport>,
    pub tools: Vec<ToolRow>,
    /// Commands that would fix the Drift and Missing rows.
    pub remediation: Vec<Remedy>,
    /// Declared packages that are not rows (markers, libraries).
    pub skipped: Vec<Skipped>,
    /// Hints for when nothing is checked.
    pub hints: Vec<String>,
}

/// Rows per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub ok: usize,
    pub drift: usize,
    pub missing: usize,
    pub error: usize,
}

impl DriftReport {
    /// Every tool is OK (an empty report is OK).
    pub fn ok(&self) -> bool {
        self.tools.iter().all(|t| t.status == Status::Ok)
    }

    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for t in &self.tools {
            match t.status {
                Status::Ok => c.ok += 1,
                Status::Drift => c.drift += 1,
                Status::Missing => c.missing += 1,
                Status::Error => c.error += 1,
            }
        }
        c
    }

    /// 0 when every tool is OK, 1 otherwise.
    pub fn exit_status(&self) -> ExitStatus {
        if self.ok() {
            ExitStatus::Success
        } else {
            ExitStatus::Failure
        }
    }

    /// A one-line summary for stderr, naming the environment read.
    pub fn summary(&self) -> String {
        let env = self
            .environment
            .as_ref()
            .map(|e| format!(" in {}", e.description))
            .unwrap_or_default();
        let c = self.counts();
        let total = self.tools.len();
        if total == 0 {
            return "no tools declared ([drift.tools], pyproject.toml dev groups and extras, rust-toolchain.toml)".to_string();
        }
        if self.ok() {
            return format!("all {total} tools match{env}");
        }
        let mut parts = Vec::new();
        for (n, what) in [
            (c.drift, "drift"),
            (c.missing, "missing"),
            (c.error, "error"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        format!(
            "{} of {total} tools need attention ({}){env}",
            total - c.ok,
            parts.join(", ")
        )
    }
}

/// The seeds' box: heavy top and header, light body, no row separators.
const SEED_STYLE: TableStyle = TableStyle::new()
    .top_border(LineStyle::new('┏', '━', '┳', '┓'))
    .header_lines(ContentLineStyle::new('┃', '┃', '┃'))
    .header_separator(LineStyle::new('┡', '━', '╇', '┩'))
    .content_lines(ContentLineStyle::new('│', '│', '│'))
    .bottom_border(LineStyle::new('└', '─', '┴', '┘'));

/// The table exactly in the seeds' shape:
///
/// ```text
/// ┏━━━━━━┳━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━┓
/// ┃ Tool ┃ Expected ┃ Actual ┃ Status ┃
/// ┡━━━━━━╇━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━┩
/// │ ruff │ 0.14.0   │ 0.14.5 │ OK     │
/// └──────┴──────────┴────────┴────────┘
/// ```
///
/// `color` paints the Status column (green OK, yellow Drift, red Missing
/// and Error); the caller decides ([`crate::color`]). The table is laid
/// out plain and the status word painted afterwards, so escape codes never
/// count towards a column's width.
pub fn render_table(report: &DriftReport, color: bool) -> String {
    let mut table = Table::new();
    table
        .load_style(SEED_STYLE)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(["Tool", "Expected", "Actual", "Status"]);
    for row in &report.tools {
        let actual = row
            .actual
            .clone()
            .unwrap_or_else(|| row.actual_label.clone());
        table.add_row(vec![
            row.name.clone(),
            row.expected.clone(),
            actual,
            row.status.label().to_string(),
        ]);
    }
    let mut out = String::new();
    let mut statuses = report.tools.iter().map(|t| t.status);
    for line in table.lines() {
        // Body rows are the lines that start with the light vertical, in
        // the order the rows were added.
        match (color, line.starts_with('│')) {
            (true, true) => match statuses.next() {
                Some(status) => out.push_str(&paint_status(&line, status)),
                None => out.push_str(&line),
            },
            _ => out.push_str(&line),
        }
        out.push('\n');
    }
    out
}

/// Paint the status word in the last cell of a rendered body row.
fn paint_status(line: &str, status: Status) -> String {
    let tone = match status {
        Status::Ok => Tone::Ok,
        Status::Drift => Tone::Warn,
        Status::Missing | Status::Error => Tone::Bad,
    };
    let label = status.label();
    let last_cell = line
        .trim_end_matches('│')
        .rfind('│')
        .map(|i| i + '│'.len_utf8());
    match last_cell {
        Some(start) if line[start..].trim_start().starts_with(label) => {
            let at = start + (line[start..].len() - line[start..].trim_start().len());
            format!(
                "{}{}{}",
                &line[..at],
                paint(label, tone, true),
                &line[at + label.len()..]
            )
        }
        _ => line.to_string(),
    }
}

/// The remediation block printed under the table (empty when nothing can
/// be fixed by a command).
pub fn render_remediation(report: &DriftReport) -> String {
    if report.remediation.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nRemediation commands:\n");
    for r in &report.remediation {
        out.push_str("  ");
        out.push_str(&r.display());
        out.push('\n');
    }
    out
}

/// The table and the remediation block.
pub fn render_text(report: &DriftReport, color: bool) -> String {
    let mut out = render_table(report, color);
    out.push_str(&render_remediation(report));
    out
}

/// What `--fix` did: the commands run and the report before them.
#[derive(Debug, Clone, Serialize)]
pub struct FixRun {
    pub commands: Vec<Ran>,
    pub before: Vec<ToolRow>,
}

/// The `--format json` document (see docs/drift.md).
pub fn to_json(report: &DriftReport, fix: Option<&FixRun>) -> serde_json::Value {
    serde_json::json!({
        "schema_version": SCHEMA_VERSION,
        "ok": report.ok(),
        "root": report.root,
        "environment": report.environment,
        "counts": report.counts(),
        "tools": report.tools,
        "remediation": report.remediation.iter().map(|r| serde_json::json!({
            "argv": r.argv,
            "display": r.display(),
            "tools": r.tools,
        })).collect::<Vec<_>>(),
        "skipped": report.skipped,
        "hints": report.hints,
        "fix": fix,
    })
}
