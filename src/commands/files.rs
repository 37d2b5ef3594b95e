//! `hephaestus files`: print the paths a hook would see, as the run's
//! scope ([`crate::run::scope`]) decides them: staged (default; the
//! merge's paths during a merge), all tracked, a ref range, the last
//! commit; or the conflicted paths. One path per line, or NUL-terminated
//! with `-z` (exact bytes).

use std::io::Write;

use crate::commands::Context;
use crate::exit::ExitStatus;
use crate::run::scope::{self, Override};

#[derive(Debug, clap::Args)]
pub struct FilesArgs {
    /// Every tracked path (`git ls-files`).
    #[arg(long, conflicts_with_all = ["from_ref", "last_commit", "conflicted"])]
    pub all_files: bool,
    /// Paths changed between FROM and --to-ref (`FROM...TO`, or `FROM..TO`
    /// when they share no history).
    #[arg(long, value_name = "FROM", requires = "to_ref")]
    pub from_ref: Option<String>,
    /// The end of the range given with --from-ref.
    #[arg(long, value_name = "TO", requires = "from_ref")]
    pub to_ref: Option<String>,
    /// Paths changed by the last commit.
    #[arg(long, conflicts_with_all = ["from_ref", "conflicted"])]
    pub last_commit: bool,
    /// Paths with merge conflicts.
    #[arg(long)]
    pub conflicted: bool,
    /// Terminate paths with NUL instead of newline (exact bytes).
    #[arg(short = 'z')]
    pub null: bool,
}

impl FilesArgs {
    /// The hook's file selection these flags ask for (`None`: the staged
    /// files, or the merge's paths during a merge, as a pre-commit hook
    /// sees them).
    fn overrides(&self) -> Override {
        if self.all_files {
            Override::AllFiles
        } else if let (Some(from), Some(to)) = (&self.from_ref, &self.to_ref) {
            Override::Range {
                from: from.clone(),
                to: to.clone(),
            }
        } else if self.last_commit {
            Override::LastCommit
        } else {
            Override::None
        }
    }
}

pub fn run(ctx: &Context, args: &FilesArgs) -> anyhow::Result<ExitStatus> {
    let (repo, _) = crate::project::work_tree(&ctx.cwd)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let end: &[u8] = if args.null { b"\0" } else { b"\n" };
    let overrides = args.overrides();
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
