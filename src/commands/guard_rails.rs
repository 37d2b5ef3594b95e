//! `hephaestus guard-rails`: the whole pipeline over the project (every
//! tracked file), or over chosen files, outside any hook.

use std::path::PathBuf;

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
    /// Run on these files only, as with --files (the pre-commit framework
    /// appends the files last, after any `args:`).
    #[arg(value_name = "FILE", conflicts_with_all = ["all_files", "from_ref", "last_commit"])]
    pub paths: Vec<PathBuf>,
}

pub fn run(ctx: &Context, args: &GuardRailsArgs) -> anyhow::Result<ExitStatus> {
    let mut files = args.files.clone();
    files.files.extend(args.paths.iter().cloned());
    let req = RunRequest {
        hook: None,
        overrides: files.overrides(),
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
