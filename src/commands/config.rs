//! `hephaestus config show`: the effective configuration, presets expanded,
//! as TOML (default) or JSON; with `--resolved`, also the pipeline it
//! makes: every step with its stages, scope, exact command, the program
//! it resolves to, where that was found and its version.

use crate::commands::Context;
use crate::config::model::Scope;
use crate::exit::ExitStatus;
use crate::steps::build;
use crate::steps::describe::{Describer, StepCommand, VersionProbe};

#[derive(Debug, clap::Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration (presets expanded).
    Show(ShowArgs),
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Toml)]
    pub format: Format,
    /// Also show the pipeline: each step (presets included) with its
    /// command, the program it resolves to and that program's version.
    #[arg(long)]
    pub resolved: bool,
}

/// One step of the resolved pipeline.
#[derive(Debug, serde::Serialize)]
struct ResolvedStep {
    name: String,
    /// The hook types it runs in (`all` when not limited).
    stages: Vec<String>,
    scope: String,
    fix: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    command: Option<StepCommand>,
}

fn pipeline(project: &crate::project::Project) -> anyhow::Result<Vec<ResolvedStep>> {
    let python_env = crate::pyenv::find(&project.root, &crate::pyenv::EnvHints::from_process());
    let steps = build::pipeline(
        &project.config,
        build::BuildOptions {
            python_env: python_env.as_ref(),
            ..build::BuildOptions::default()
        },
    )?;
    let describer = Describer::new(&project.root, python_env.as_ref(), VersionProbe::Run);
    Ok(steps
        .iter()
        .map(|s| ResolvedStep {
            name: s.name.clone(),
            stages: match &s.stages {
                Some(list) => list.iter().map(|h| h.to_string()).collect(),
                None => vec!["all".to_string()],
            },
            scope: match s.scope {
                Scope::Files => "files".to_string(),
                Scope::Project => "project".to_string(),
            },
            fix: s.fix,
            command: describer.describe(s),
        })
        .collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Toml,
    Json,
}

pub fn run(ctx: &Context, cmd: ConfigCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        ConfigCommand::Show(args) => show(ctx, &args),
    }
}

fn show(ctx: &Context, args: &ShowArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let mut config = project.config.config.clone();
    config.guard_rails.presets = project.config.effective_presets();
    match args.format {
        Format::Toml => {
            let source = match &project.config.source {
                crate::config::Source::Defaults => "defaults (no configuration file)".to_string(),
                crate::config::Source::File { path } => path.display().to_string(),
                crate::config::Source::Pyproject { path } => {
                    format!("{} [tool.hephaestus]", path.display())
                }
            };
            let body = toml::to_string_pretty(&config)?;
            ctx.printer.out(&format!(
                "# source: {source}\n# root: {}\n{body}",
                project.root.display()
            ))?;
            if args.resolved {
                #[derive(serde::Serialize)]
                struct Doc {
                    pipeline: Vec<ResolvedStep>,
                }
                let doc = toml::to_string_pretty(&Doc {
                    pipeline: pipeline(&project)?,
                })?;
                ctx.printer.out(&format!(
                    "\n# the pipeline these settings make (presets expanded), in order\n{doc}"
                ))?;
            } else if !config.guard_rails.presets.is_empty() {
                ctx.printer.out(
                    "\n# `steps` above lists your own steps only; the presets add theirs: `hephaestus config show --resolved`\n",
                )?;
            }
        }
        Format::Json => {
            let mut doc = serde_json::json!({
                "source": project.config.source,
                "root": project.root,
                "config": config,
            });
            if args.resolved {
                doc["pipeline"] = serde_json::to_value(pipeline(&project)?)?;
            }
            ctx.printer.outln(&serde_json::to_string_pretty(&doc)?)?;
        }
    }
    Ok(ExitStatus::Success)
}
