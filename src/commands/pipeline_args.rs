//! Arguments shared by `hook run` and `guard-rails`: which files, which
//! steps, and the output format; turned into the clap-free
//! [`RunArgs`] of [`crate::run`].

use std::path::PathBuf;

use crate::git::BString;
use crate::run::scope::Override;
use crate::run::settings::RunArgs;

/// Output format of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum RunFormat {
    #[default]
    Text,
    Json,
}

/// The ways to name files by git state rather than by path, shared by
/// `hook run`, `guard-rails` and `files` (each adds its own: `--files`,
/// `--conflicted`, which declare their conflicts with these).
#[derive(Debug, Clone, clap::Args)]
pub struct RangeArgs {
    /// Every tracked file (`git ls-files`): how CI replays a hook.
    #[arg(long, conflicts_with_all = ["from_ref", "last_commit"])]
    pub all_files: bool,
    /// The files changed between FROM and --to-ref (`FROM...TO`, or
    /// `FROM..TO` when they share no history).
    #[arg(long, value_name = "FROM", requires = "to_ref")]
    pub from_ref: Option<String>,
    /// The end of the range given with --from-ref.
    #[arg(long, value_name = "TO", requires = "from_ref")]
    pub to_ref: Option<String>,
    /// The files changed by the last commit.
    #[arg(long, conflicts_with = "from_ref")]
    pub last_commit: bool,
}

impl RangeArgs {
    /// The file selection these flags ask for (`None`: what the hook
    /// itself sees).
    pub fn overrides(&self) -> Override {
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

#[derive(Debug, Clone, clap::Args)]
pub struct FileArgs {
    #[command(flatten)]
    pub range: RangeArgs,
    /// Run on these files only.
    #[arg(long, num_args = 1.., value_name = "FILE", conflicts_with_all = ["all_files", "from_ref", "last_commit"])]
    pub files: Vec<PathBuf>,
}

impl FileArgs {
    pub fn overrides(&self) -> Override {
        if self.files.is_empty() {
            return self.range.overrides();
        }
        Override::Files(
            self.files
                .iter()
                .map(|p| BString::from(p.as_os_str().as_encoded_bytes()))
                .collect(),
        )
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct StepArgs {
    /// Skip this step (repeatable; SKIP and HEPHAESTUS_SKIP add more).
    #[arg(long, value_name = "NAME")]
    pub skip: Vec<String>,
    /// Run only this step (repeatable).
    #[arg(long, value_name = "NAME")]
    pub step: Vec<String>,
    /// Stop after the first failing step.
    #[arg(long)]
    pub fail_fast: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RunFormat::Text)]
    pub format: RunFormat,
}

impl StepArgs {
    /// The run's arguments for these steps and files (the rest default).
    pub fn run_args(&self, files: &FileArgs) -> RunArgs {
        RunArgs {
            overrides: files.overrides(),
            skip: self.skip.clone(),
            only: self.step.clone(),
            fail_fast: self.fail_fast,
            json: self.format == RunFormat::Json,
            ..RunArgs::default()
        }
    }
}
