//! The project a command works on, found one way for every command: the
//! git repository around the start directory (when there is one), the root
//! directory (the work tree's root, or the start directory outside a
//! repository), and the loaded configuration.

use std::path::{Path, PathBuf};

use crate::config::{self, Loaded};
use crate::git::Repo;

/// A repository (optional), its root, and its configuration.
pub struct Project {
    pub repo: Option<Repo>,
    pub root: PathBuf,
    pub config: Loaded,
}

/// A project that must be a git work tree (hooks, `files`).
pub struct WorkTreeProject {
    pub repo: Repo,
    pub root: PathBuf,
    pub config: Loaded,
}

/// The repository around `cwd`, if any, and the root: its work tree's
/// root, or `cwd` outside a repository (and in a bare one).
pub fn locate(cwd: &Path) -> (Option<Repo>, PathBuf) {
    let repo = Repo::discover(cwd).ok();
    let root = repo
        .as_ref()
        .and_then(|r| r.work_tree().ok().map(Path::to_path_buf))
        .unwrap_or_else(|| cwd.to_path_buf());
    (repo, root)
}

/// Like [`locate`], but a repository without a work tree (bare) is an
/// error: there is nothing to configure there (`init`).
pub fn locate_strict(cwd: &Path) -> anyhow::Result<(Option<Repo>, PathBuf)> {
    match Repo::discover(cwd) {
        Ok(repo) => {
            let root = repo.work_tree()?.to_path_buf();
            Ok((Some(repo), root))
        }
        Err(_) => Ok((None, cwd.to_path_buf())),
    }
}

/// The repository around `cwd` and its work tree's root; an error outside
/// a repository or in a bare one.
pub fn work_tree(cwd: &Path) -> anyhow::Result<(Repo, PathBuf)> {
    let repo = Repo::discover(cwd)?;
    let root = repo.work_tree()?.to_path_buf();
    Ok((repo, root))
}

impl Project {
    /// The project around `cwd`; its configuration from `config_path`
    /// (`--config`) or found from the root.
    pub fn discover(cwd: &Path, config_path: Option<&Path>) -> anyhow::Result<Project> {
        let (repo, root) = locate(cwd);
        let config = config::load(&root, config_path)?;
        Ok(Project { repo, root, config })
    }

    /// The project around `cwd`, which must be a git work tree.
    pub fn in_work_tree(cwd: &Path, config_path: Option<&Path>) -> anyhow::Result<WorkTreeProject> {
        let (repo, root) = work_tree(cwd)?;
        let config = config::load(&root, config_path)?;
        Ok(WorkTreeProject { repo, root, config })
    }
}
