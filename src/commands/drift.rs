//! `hephaestus drift [--fix] [--format json]`: the table of declared
//! against installed tool versions, the commands that would fix the
//! differences, and with `--fix` those commands run (as argv, never a
//! shell) followed by a second check. Exit 0 when every tool is OK, 1 on
//! any Drift, Missing or Error row, 2 for a bad declaration.

use std::time::Duration;

use crate::commands::Context;
use crate::drift::{self, DriftReport, DriftSettings, Status};
use crate::exit::ExitStatus;
use crate::printer::Tone;

#[derive(Debug, clap::Args)]
pub struct DriftArgs {
    /// Run the remediation commands, then check again.
    #[arg(long)]
    pub fix: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// How long one version probe may run, in seconds (default: `[drift]
    /// timeout`, else 10).
    #[arg(long, value_name = "SECONDS", value_parser = parse_timeout)]
    pub timeout: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    match crate::config::model::parse_duration(text) {
        Some(s) if s.is_finite() && s > 0.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err("expected a positive number of seconds (\"10\", \"2.5\", \"500ms\")".to_string()),
    }
}

pub fn run(ctx: &Context, args: &DriftArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let settings = DriftSettings::new(&project.config, args.timeout)?;
    let report = drift::check(&settings)?;
    if args.format == Format::Table {
        print_text(ctx, &report)?;
    }
    if !args.fix || report.remediation.is_empty() {
        if args.fix && !report.ok() {
            ctx.printer
                .warn("--fix: no command can fix the remaining rows (see the details above)");
        }
        if args.format == Format::Json {
            print_json(ctx, &report, None)?;
        }
        summary(ctx, &report);
        return Ok(report.exit_status());
    }

    let (after, fix_run) = drift::fix(&settings, &report, |remedy| {
        ctx.printer.status(&format!(
            "{} {}",
            ctx.printer.paint("running:", Tone::Info),
            remedy.display()
        ));
    })?;
    for ran in &fix_run.commands {
        if let Some(error) = &ran.error {
            ctx.printer.warn(error);
        } else if !ran.succeeded() {
            ctx.printer.warn(&format!(
                "{} exited with {}",
                shlex::try_join(ran.argv.iter().map(String::as_str))
                    .unwrap_or_else(|_| ran.argv.join(" ")),
                ran.exit_code
                    .map_or_else(|| "a signal".to_string(), |c| c.to_string())
            ));
        }
    }
    match args.format {
        Format::Table => {
            ctx.printer.outln("\nAfter remediation:")?;
            print_text(ctx, &after)?;
        }
        Format::Json => print_json(ctx, &after, Some(&fix_run))?,
    }
    summary(ctx, &after);
    Ok(after.exit_status())
}

fn print_text(ctx: &Context, report: &DriftReport) -> anyhow::Result<()> {
    if let Some(env) = &report.environment {
        ctx.printer
            .verbose(&format!("drift: environment: {}", env.description));
    }
    if !report.tools.is_empty() {
        ctx.printer
            .out(&drift::render_text(report, ctx.printer.stdout_color()))?;
    }
    for row in &report.tools {
        let how = if row.source == Some("metadata") {
            "read"
        } else {
            "probe"
        };
        ctx.printer
            .verbose(&format!("{}: {how}: {}", row.name, row.probe.join(" ")));
        match (row.status, &row.detail) {
            (Status::Error, Some(detail)) => ctx.printer.warn(detail),
            (_, Some(detail)) => ctx.printer.verbose(&format!("{}: {detail}", row.name)),
            _ => {}
        }
    }
    for skipped in &report.skipped {
        let why = match skipped.reason {
            "library" => format!(
                "{} installed, but it installs no command: a library, not checked",
                skipped.detail
            ),
            _ => format!("its marker `{}` is false here", skipped.detail),
        };
        ctx.printer.verbose(&format!(
            "{} ({}): {why}",
            skipped.name, skipped.declared_in
        ));
    }
    Ok(())
}

fn print_json(
    ctx: &Context,
    report: &DriftReport,
    fix: Option<&drift::FixRun>,
) -> anyhow::Result<()> {
    let doc = drift::report::to_json(report, fix);
    ctx.printer.outln(&serde_json::to_string_pretty(&doc)?)?;
    Ok(())
}

fn summary(ctx: &Context, report: &DriftReport) {
    let text = report.summary();
    let tone = if report.ok() { Tone::Ok } else { Tone::Bad };
    ctx.printer
        .status(&format!("{} {text}", ctx.printer.paint("drift:", tone)));
    if ctx.printer.verbosity() >= crate::printer::Verbosity::Normal {
        for hint in &report.hints {
            ctx.printer.hint(hint);
        }
    }
}
