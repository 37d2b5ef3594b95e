//! `hephaestus files`: print the paths a hook would see: staged (default),
//! all tracked, a ref range, the last commit, or the conflicted paths.
//! One path per line, or NUL-terminated with `-z` (exact bytes).

use std::io::Write;

use crate::cli::Context;
use crate::exit::ExitStatus;
use crate::git::{BString, Repo};

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

/// Which set of paths to list.
pub enum Selection<'a> {
    Staged,
    All,
    Range { from: &'a str, to: &'a str },
    LastCommit,
    Conflicted,
}

impl FilesArgs {
    fn selection(&self) -> Selection<'_> {
        if self.all_files {
            Selection::All
        } else if let (Some(from), Some(to)) = (&self.from_ref, &self.to_ref) {
            Selection::Range { from, to }
        } else if self.last_commit {
            Selection::LastCommit
        } else if self.conflicted {
            Selection::Conflicted
        } else {
            Selection::Staged
        }
    }
}

/// The paths of a selection.
pub fn select(repo: &Repo, selection: &Selection<'_>) -> anyhow::Result<Vec<BString>> {
    Ok(match selection {
        Selection::Staged => repo.staged_paths()?,
        Selection::All => repo.tracked_paths()?,
        Selection::Range { from, to } => repo.changed_between(from, to)?,
        Selection::LastCommit => repo.changed_in_commit("HEAD")?,
        Selection::Conflicted => repo.conflicted_paths()?,
    })
}

pub fn run(ctx: &Context, args: &FilesArgs) -> anyhow::Result<ExitStatus> {
    let repo = Repo::discover(&ctx.cwd)?;
    repo.work_tree()?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let end: &[u8] = if args.null { b"\0" } else { b"\n" };
    let selection = args.selection();
    if let Selection::All = selection {
        // Stream straight from the index: no copy of 50,000 paths.
        repo.for_each_tracked(|path| {
            out.write_all(path)?;
            out.write_all(end)
        })??;
    } else {
        for path in &select(&repo, &selection)? {
            out.write_all(path)?;
            out.write_all(end)?;
        }
    }
    out.flush()?;
    Ok(ExitStatus::Success)
}
