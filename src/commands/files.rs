//! `hephaestus files`: print the paths a hook would see, as the run's
//! scope ([`crate::run::scope`]) decides them: staged (default; the
//! merge's paths during a merge), all tracked, a ref range, the last
//! commit; or the conflicted paths. One path per line, or NUL-terminated
//! with `-z` (exact bytes).

use std::io::Write;

use crate::commands::Context;
use crate::commands::pipeline_args::RangeArgs;
use crate::exit::ExitStatus;
use crate::run::scope::{self, Override};

#[derive(Debug, clap::Args)]
pub struct FilesArgs {
    #[command(flatten)]
    pub range: RangeArgs,
    /// Paths with merge conflicts.
    #[arg(long, conflicts_with_all = ["all_files", "from_ref", "last_commit"])]
    pub conflicted: bool,
    /// Terminate paths with NUL instead of newline (exact bytes).
    #[arg(short = 'z')]
    pub null: bool,
}

pub fn run(ctx: &Context, args: &FilesArgs) -> anyhow::Result<ExitStatus> {
    let (repo, _) = crate::project::work_tree(&ctx.cwd)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let end: &[u8] = if args.null { b"\0" } else { b"\n" };
    let overrides = args.range.overrides();
    if matches!(overrides, Override::AllFiles) {
        // Stream straight from the index: no copy of 50,000 paths.
        repo.for_each_tracked(|path| {
            out.write_all(path)?;
            out.write_all(end)
        })??;
    } else {
        let paths = match overrides {
            Override::None if args.conflicted => repo.conflicted_paths()?,
            _ => scope::listed(&repo, &overrides)?,
        };
        for path in &paths {
            out.write_all(path)?;
            out.write_all(end)?;
        }
    }
    out.flush()?;
    Ok(ExitStatus::Success)
}
