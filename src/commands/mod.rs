//! One module per command: each owns its clap arguments and a `run`
//! function that takes the [`Context`] and returns an exit status.

pub mod builtin;
pub mod cleanup;
pub mod completions;
pub mod config;
pub mod drift;
pub mod files;
pub mod guard_rails;
pub mod hook;
pub mod init;
pub mod pipeline_args;
pub mod release;

use std::path::PathBuf;

use crate::printer::Printer;
use crate::project::Project;
use crate::run::RunContext;
use crate::run::settings::RunEnv;

/// Everything a command needs besides its own arguments (built by
/// [`crate::cli`] from the global options and the environment).
pub struct Context {
    pub printer: Printer,
    pub cwd: PathBuf,
    pub config_path: Option<PathBuf>,
    /// The environment variables that change a hook run.
    pub run_env: RunEnv,
}

impl Context {
    /// The project around the current directory (see [`Project::discover`]).
    pub fn project(&self) -> anyhow::Result<Project> {
        Project::discover(&self.cwd, self.config_path.as_deref())
    }

    /// The project, which must be a git work tree (hooks).
    pub fn work_tree_project(&self) -> anyhow::Result<crate::project::WorkTreeProject> {
        Project::in_work_tree(&self.cwd, self.config_path.as_deref())
    }

    /// What a hook or guard-rails run needs from the command line.
    pub fn run_context(&self) -> RunContext<'_> {
        RunContext {
            printer: &self.printer,
            cwd: &self.cwd,
            config_path: self.config_path.as_deref(),
            env: &self.run_env,
        }
    }
}
