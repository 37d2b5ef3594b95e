//! `hephaestus guard-rails`: the whole pipeline over the project (every
//! tracked file), or over chosen files, outside any hook.

use std::path::PathBuf;

use crate::commands::Context;
use crate::exit::ExitStatus;
use crate::run::{self, RunArgs};

use super::pipeline_args::{FileArgs, StepArgs};

#[derive(Debug, clap::Args)]
pub struct GuardRailsArgs {
    /// Skip formatter steps (ruff format, cargo fmt).
    #[arg(long)]
    pub no_format: bool,
    /// Also check installed tool versions against the declared ones.
    #[arg(long)]
    pub drift: bool,
    #[command(flatten)]
    pub files: FileArgs,
    #[command(flatten)]
    pub steps: StepArgs,
    /// Run on these files only, as with --files (the pre-commit framework
    /// appends the files last, after any `args:`).
    #[arg(value_name = "FILE", conflicts_with_all = ["all_files", "from_ref", "last_commit"])]
    pub paths: Vec<PathBuf>,
}

pub fn run(ctx: &Context, args: &GuardRailsArgs) -> anyhow::Result<ExitStatus> {
    let mut files = args.files.clone();
    files.files.extend(args.paths.iter().cloned());
    let run_args = RunArgs {
        no_format: args.no_format,
        drift: args.drift,
        ..args.steps.run_args(&files)
    };
    run::run(&ctx.run_context(), &run_args, &mut std::io::empty())
}
