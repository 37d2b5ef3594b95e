//! The project a command works on: the git repository (when there is one),
//! the root directory, and the loaded configuration.

use std::path::{Path, PathBuf};

use crate::config::{self, Loaded};
use crate::git::Repo;

/// A repository (optional), its root, and its configuration.
pub struct Project {
    pub repo: Option<Repo>,
    pub root: PathBuf,
    pub config: Loaded,
}

impl Project {
    /// The project around `cwd`: the git work tree root if there is one,
    /// else `cwd`; its configuration from `config_path` (`--config`) or
    /// found from the root.
    pub fn discover(cwd: &Path, config_path: Option<&Path>) -> anyhow::Result<Project> {
        let repo = Repo::discover(cwd).ok();
        let root = match &repo {
            Some(r) => match r.work_tree() {
                Ok(w) => w.to_path_buf(),
                Err(_) => cwd.to_path_buf(),
            },
            None => cwd.to_path_buf(),
        };
        let config = config::load(&root, config_path)?;
        Ok(Project { repo, root, config })
    }
}
