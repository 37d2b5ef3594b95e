//! Where git looks for hooks: `core.hooksPath` if set (the last value
//! wins, `~` expanded, a relative path taken against the work tree, where
//! git runs hooks), otherwise the common dir's `hooks/`, which all linked
//! worktrees share. The scope the value came from is kept so `hook install`
//! can refuse a global or system `core.hooksPath` without `--force`.

use std::fmt;
use std::path::PathBuf;

use gix::bstr::ByteSlice;

use super::{GitError, Repo};

/// The configuration file a `core.hooksPath` value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HooksPathScope {
    /// `.git/config` of this repository.
    Local,
    /// `config.worktree` of this worktree.
    Worktree,
    /// `~/.gitconfig` or `$XDG_CONFIG_HOME/git/config`.
    Global,
    /// The system or installation-wide configuration.
    System,
    /// `GIT_CONFIG_*` environment variables or `-c` on the command line.
    Environment,
}

impl HooksPathScope {
    /// Global and system values affect every repository of the user.
    pub fn is_shared(self) -> bool {
        matches!(self, HooksPathScope::Global | HooksPathScope::System)
    }
}

impl fmt::Display for HooksPathScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HooksPathScope::Local => "local",
            HooksPathScope::Worktree => "worktree",
            HooksPathScope::Global => "global",
            HooksPathScope::System => "system",
            HooksPathScope::Environment => "environment",
        })
    }
}

/// The resolved hooks directory.
#[derive(Debug, Clone)]
pub struct HooksDir {
    /// Absolute path of the directory.
    pub path: PathBuf,
    /// The `core.hooksPath` value and its scope, when one is set.
    pub configured: Option<(String, HooksPathScope)>,
}

impl HooksDir {
    /// Refuse a shared (global/system) `core.hooksPath` unless forced.
    pub fn check_not_shared(&self, force: bool) -> Result<(), GitError> {
        match &self.configured {
            Some((value, scope)) if scope.is_shared() && !force => {
                Err(GitError::ForeignHooksPath {
                    value: value.clone(),
                    scope: scope.to_string(),
                })
            }
            _ => Ok(()),
        }
    }
}

fn scope_of(source: gix::config::Source) -> HooksPathScope {
    use gix::config::Source;
    match source {
        Source::Local => HooksPathScope::Local,
        Source::Worktree => HooksPathScope::Worktree,
        Source::Git | Source::User => HooksPathScope::Global,
        Source::GitInstallation | Source::System => HooksPathScope::System,
        Source::Env | Source::Cli | Source::Api | Source::EnvOverride => {
            HooksPathScope::Environment
        }
    }
}

pub(super) fn resolve(repo: &Repo) -> Result<HooksDir, GitError> {
    let snapshot = repo.gix().config_snapshot();
    let mut configured: Option<(String, HooksPathScope)> = None;
    if let Some(sections) = snapshot.plumbing().sections_by_name("core") {
        for section in sections {
            if let Some(value) = section.value("hooksPath") {
                configured = Some((
                    value.to_str_lossy().into_owned(),
                    scope_of(section.meta().source),
                ));
            }
        }
    }
    let path = match &configured {
        // An empty value means "unset" to git.
        Some((value, _)) if !value.is_empty() => {
            let expanded = expand_home(value);
            if expanded.is_absolute() {
                expanded
            } else {
                let base = repo.gix().workdir().unwrap_or_else(|| repo.git_dir());
                base.join(expanded)
            }
        }
        _ => repo.common_dir().join("hooks"),
    };
    Ok(HooksDir {
        path: normalize(&path),
        configured: configured.filter(|(v, _)| !v.is_empty()),
    })
}

fn expand_home(value: &str) -> PathBuf {
    if let Some(rest) = value.strip_prefix("~/")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    PathBuf::from(value)
}

/// Remove `.` and `..` components lexically (a linked worktree's common dir
/// is `.git/worktrees/<name>/../..`).
fn normalize(path: &std::path::Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
