//! `hephaestus config show`: the effective configuration, presets expanded,
//! as TOML (default) or JSON.

use crate::commands::Context;
use crate::exit::ExitStatus;

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
        }
        Format::Json => {
            let doc = serde_json::json!({
                "source": project.config.source,
                "root": project.root,
                "config": config,
            });
            ctx.printer.outln(&serde_json::to_string_pretty(&doc)?)?;
        }
    }
    Ok(ExitStatus::Success)
}
