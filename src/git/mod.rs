//! Reading git state through gitoxide: discovery (with the `GIT_DIR`,
//! `GIT_WORK_TREE` and `GIT_INDEX_FILE` overrides git sets inside hooks),
//! staged, tracked, conflicted and changed paths, and the hooks directory.
//!
//! Nothing here spawns `git`. Writing git state (stash, restore, `git add`)
//! lives with the code that needs it and uses the git CLI there.
//! Paths are bytes (`BString`) at this boundary: git does not promise UTF-8.

mod diff;
mod hook_type;
mod hooks_dir;
mod push;
mod status;
pub mod write;

use std::path::{Path, PathBuf};

pub use gix::bstr::{BStr, BString, ByteSlice};
pub use hook_type::HookType;
pub use hooks_dir::{HooksDir, HooksPathScope};
pub use status::Unstaged;

use crate::error::Classify;
use crate::exit::ExitStatus;

/// A git problem, with the exit code and hint it maps to.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("not inside a git repository: {}", path.display())]
    NotARepository { path: PathBuf },
    #[error("{} is a bare repository; this command needs a work tree", git_dir.display())]
    Bare { git_dir: PathBuf },
    #[error("cannot resolve {spec:?} to a commit")]
    BadRevision { spec: String },
    #[error("{what}: {message}")]
    Read { what: String, message: String },
    #[error(
        "core.hooksPath is set to {value:?} in your {scope} git configuration; installing there would affect every repository that uses it"
    )]
    ForeignHooksPath { value: String, scope: String },
}

impl Classify for GitError {
    fn status(&self) -> ExitStatus {
        match self {
            GitError::Read { .. } => ExitStatus::Internal,
            _ => ExitStatus::Usage,
        }
    }
    fn hint(&self) -> Option<String> {
        match self {
            GitError::NotARepository { .. } => {
                Some("run this inside a git work tree, or `git init` one first".to_string())
            }
            GitError::Bare { .. } => Some("run it from a linked or main work tree of the repository".to_string()),
            GitError::BadRevision { .. } => Some("check the ref with `git rev-parse --verify <ref>`".to_string()),
            GitError::ForeignHooksPath { .. } => Some(
                "pass --force to install there anyway, or unset it with `git config --global --unset core.hooksPath`"
                    .to_string(),
            ),
            GitError::Read { .. } => None,
        }
    }
}

fn read_err(what: impl Into<String>) -> impl FnOnce(gix::Error) -> GitError {
    let what = what.into();
    move |e| GitError::Read {
        what,
        message: e.to_string(),
    }
}

/// An open repository and the paths git would use for it.
pub struct Repo {
    inner: gix::Repository,
}

impl Repo {
    /// Find the repository for `dir` as git would: `GIT_DIR` (with
    /// `GIT_WORK_TREE` and `GIT_INDEX_FILE`) if set, else search upwards.
    pub fn discover(dir: &Path) -> Result<Repo, GitError> {
        let opts = gix::discover::upwards::Options {
            match_ceiling_dir_or_error: false,
            ..Default::default()
        };
        let repo = gix::ThreadSafeRepository::discover_with_environment_overrides_opts(
            dir,
            opts,
            Default::default(),
        )
        .map_err(|_| GitError::NotARepository {
            path: dir.to_path_buf(),
        })?;
        Ok(Repo {
            inner: repo.to_thread_local(),
        })
    }

    /// The underlying gitoxide repository.
    pub fn gix(&self) -> &gix::Repository {
        &self.inner
    }

    /// The same repository (with the same environment overrides), to be
    /// opened in another thread with [`Repo::from_sync`].
    pub fn to_sync(&self) -> gix::ThreadSafeRepository {
        self.inner.clone().into_sync()
    }

    /// Open a repository handed over by [`Repo::to_sync`].
    pub fn from_sync(repo: gix::ThreadSafeRepository) -> Repo {
        Repo {
            inner: repo.to_thread_local(),
        }
    }

    /// The work tree root; an error for a bare repository.
    pub fn work_tree(&self) -> Result<&Path, GitError> {
        self.inner.workdir().ok_or_else(|| GitError::Bare {
            git_dir: self.git_dir().to_path_buf(),
        })
    }

    /// This work tree's private git directory (`.git`, or
    /// `.git/worktrees/<name>` for a linked worktree).
    pub fn git_dir(&self) -> &Path {
        self.inner.git_dir()
    }

    /// The directory shared by all worktrees (objects, refs, hooks).
    pub fn common_dir(&self) -> &Path {
        self.inner.common_dir()
    }

    /// The index file in use (honours `GIT_INDEX_FILE`).
    pub fn index_path(&self) -> PathBuf {
        self.inner.index_path()
    }

    pub(super) fn index(&self) -> Result<gix::worktree::Index, GitError> {
        self.inner
            .index_or_empty()
            .map_err(read_err("cannot read the index"))
    }

    /// Paths staged for commit: exactly
    /// `git diff --cached --name-only --diff-filter=ACMR` (renames give the
    /// new path, intent-to-add entries are not staged, an unborn HEAD
    /// compares against the empty tree, unmerged paths are left out).
    pub fn staged_paths(&self) -> Result<Vec<BString>, GitError> {
        let index = self.index()?;
        let head = self.head_tree_id()?;
        diff::index_against_tree(&self.inner, &index, head)
    }

    /// Paths with unmerged (conflict) entries in the index.
    pub fn conflicted_paths(&self) -> Result<Vec<BString>, GitError> {
        let index = self.index()?;
        let mut out: Vec<BString> = Vec::new();
        for entry in index.entries() {
            if entry.stage_raw() != 0 {
                let path = entry.path(&index);
                if out.last().is_none_or(|last| last.as_bstr() != path) {
                    out.push(path.to_owned());
                }
            }
        }
        Ok(out)
    }

    /// Call `f` with every tracked path (`git ls-files` order), each once,
    /// without collecting them.
    pub fn for_each_tracked(
        &self,
        mut f: impl FnMut(&BStr) -> std::io::Result<()>,
    ) -> Result<std::io::Result<()>, GitError> {
        let index = self.index()?;
        let mut last: Option<&BStr> = None;
        for entry in index.entries() {
            let path = entry.path(&index);
            if last != Some(path) {
                if let Err(e) = f(path) {
                    return Ok(Err(e));
                }
                last = Some(path);
            }
        }
        Ok(Ok(()))
    }

    /// Every tracked path (`git ls-files`), each once.
    pub fn tracked_paths(&self) -> Result<Vec<BString>, GitError> {
        let mut out: Vec<BString> = Vec::new();
        // Collecting into memory cannot fail.
        let _ = self.for_each_tracked(|path| {
            out.push(path.to_owned());
            Ok(())
        })?;
        Ok(out)
    }

    /// Paths changed between two revisions as `git diff --name-only
    /// --diff-filter=d A...B` lists them: against the merge base, or
    /// directly (`A..B`) when the two share no history. Deleted paths are
    /// left out; there is nothing left to check in them.
    pub fn changed_between(&self, from: &str, to: &str) -> Result<Vec<BString>, GitError> {
        let from_id = self.resolve_commit(from)?;
        let to_id = self.resolve_commit(to)?;
        let base = match self.inner.merge_base(from_id, to_id) {
            Ok(Some(id)) => id.detach(),
            _ => from_id,
        };
        let old = self.commit_tree(base)?;
        let new = self.commit_tree(to_id)?;
        diff::tree_against_tree(&self.inner, old, new)
    }

    /// Paths changed by one commit against its first parent (all paths of
    /// a root commit).
    pub fn changed_in_commit(&self, rev: &str) -> Result<Vec<BString>, GitError> {
        let id = self.resolve_commit(rev)?;
        let commit = self
            .inner
            .find_commit(id)
            .map_err(read_err(format!("cannot read commit {id}")))?;
        let old = match commit.parent_ids().next() {
            Some(parent) => Some(self.commit_tree(parent.detach())?),
            None => None,
        };
        let new = self.commit_tree(id)?;
        match old {
            Some(old) => diff::tree_against_tree(&self.inner, old, new),
            None => diff::tree_against_tree(
                &self.inner,
                gix::ObjectId::empty_tree(gix::hash::Kind::Sha1),
                new,
            ),
        }
    }

    /// Resolve a revision to a commit id.
    pub fn resolve_commit(&self, spec: &str) -> Result<gix::ObjectId, GitError> {
        let bad = || GitError::BadRevision {
            spec: spec.to_string(),
        };
        let id = self.inner.rev_parse_single(spec).map_err(|_| bad())?;
        let object = id.object().map_err(|_| bad())?;
        let commit = object.peel_to_commit().map_err(|_| bad())?;
        Ok(commit.id)
    }

    /// Whether `spec` names an object present in this repository.
    pub fn rev_exists(&self, spec: &str) -> bool {
        self.resolve_commit(spec).is_ok()
    }

    pub(super) fn commit_tree(&self, commit: gix::ObjectId) -> Result<gix::ObjectId, GitError> {
        let commit = self
            .inner
            .find_commit(commit)
            .map_err(read_err(format!("cannot read commit {commit}")))?;
        commit
            .tree_id()
            .map(|id| id.detach())
            .map_err(read_err("cannot read the commit's tree"))
    }

    /// The tree of HEAD, or the empty tree when HEAD is unborn.
    pub fn head_tree_id(&self) -> Result<gix::ObjectId, GitError> {
        let id = self
            .inner
            .head_tree_id_or_empty()
            .map_err(read_err("cannot read HEAD"))?;
        Ok(id.detach())
    }

    /// The hooks directory exactly as git resolves it.
    pub fn hooks_dir(&self) -> Result<HooksDir, GitError> {
        hooks_dir::resolve(self)
    }
}

/// Convert a repository-relative path to a filesystem path under `root`.
pub fn to_path(root: &Path, rel: &BStr) -> PathBuf {
    root.join(bytes_to_os(rel))
}

/// A path made from git's bytes.
#[cfg(unix)]
pub fn bytes_to_os(bytes: &[u8]) -> &std::ffi::OsStr {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(bytes)
}

/// A path made from git's bytes.
#[cfg(not(unix))]
pub fn bytes_to_os(bytes: &[u8]) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(std::str::from_utf8(bytes).unwrap_or_default())
}
