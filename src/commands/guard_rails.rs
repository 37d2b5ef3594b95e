//! `hephaestus guard-rails`: the whole pipeline over the project (every
//! tracked file), or over chosen files, outside any hook.

use crate::cli::Context;
use crate::exit::ExitStatus;
use crate::runner::{self, RunRequest};

use super::run_args::{FileArgs, RunFormat, StepArgs};

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
}

pub fn run(ctx: &Context, args: &GuardRailsArgs) -> anyhow::Result<ExitStatus> {
    let req = RunRequest {
        hook: None,
        overrides: args.files.overrides(),
        git_args: Vec::new(),
        skip: args.steps.skip_set(),
        only: args.steps.step.iter().cloned().collect(),
        no_format: args.no_format,
        fail_fast: args.steps.fail_fast,
        json: args.steps.format == RunFormat::Json,
        drift: args.drift,
    };
    runner::run(ctx, &req, &mut std::io::empty())
}
