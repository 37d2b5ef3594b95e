//! The project a command works on: the git repository (when there is one),
//! the root directory, and the loaded configuration.

use std::path::PathBuf;

use crate::cli::Context;
use crate::config::{self, Loaded};
use crate::git::{GitError, Repo};

/// A repository (optional), its root, and its configuration.
pub struct Project {
    pub repo: Option<Repo>,
    pub root: PathBuf,
    pub config: Loaded,
}

impl Project {
    /// The project around the current directory: the git work tree root if
    /// there is one, else the current directory.
    pub fn discover(ctx: &Context) -> anyhow::Result<Project> {
        let repo = Repo::discover(&ctx.cwd).ok();
        let root = match &repo {
            Some(r) => match r.work_tree() {
                Ok(w) => w.to_path_buf(),
                Err(_) => ctx.cwd.clone(),
            },
            None => ctx.cwd.clone(),
        };
        let config = config::load(&root, ctx.config_path.as_deref())?;
        Ok(Project { repo, root, config })
    }

    /// The project, which must be a git work tree.
    pub fn in_work_tree(ctx: &Context) -> anyhow::Result<(Repo, Loaded)> {
        let repo = Repo::discover(&ctx.cwd)?;
        let root = repo.work_tree()?.to_path_buf();
        let config = config::load(&root, ctx.config_path.as_deref())?;
        Ok((repo, config))
    }

    /// The repository, or the error that says there is none.
    pub fn repo(&self) -> Result<&Repo, GitError> {
        self.repo.as_ref().ok_or_else(|| GitError::NotARepository {
            path: self.root.clone(),
        })
    }
}
