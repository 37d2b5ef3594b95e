//! The one place that decides which files a run covers, and the variables
//! steps get: for every hook type and mode (staged, or the merge's paths
//! during a merge (pre-commit), git's pre-push stdin, the message file
//! (commit-msg, prepare-commit-msg), `--all-files`, `--files`,
//! `--from-ref/--to-ref` and `--last-commit`), for `guard-rails` (every
//! tracked file by default), outside git (every file `.gitignore` does not
//! exclude), and for `hephaestus files`, which lists what a hook would
//! check ([`listed`]).

use std::ffi::OsString;
use std::io::BufRead;
use std::path::Path;

use crate::error::UserError;
use crate::git::{BString, GitError, HookType, Repo};
use crate::steps::plan::FileSet;

/// A file set chosen on the command line instead of the hook's own.
#[derive(Debug, Clone, Default)]
pub enum Override {
    #[default]
    None,
    AllFiles,
    Files(Vec<BString>),
    Range {
        from: String,
        to: String,
    },
    LastCommit,
}

/// The files of a run and what the steps are told about it.
#[derive(Debug, Clone)]
pub struct RunScope {
    pub files: Vec<BString>,
    /// staged, all-files, files, range, last-commit, push, message, none
    pub mode: &'static str,
    pub env: Vec<(String, String)>,
    /// The hook type has no files (post-commit, post-checkout, ...).
    pub no_file_set: bool,
    /// Unstaged changes must be set aside while steps run.
    pub protect_unstaged: bool,
}

impl RunScope {
    /// The files of the run, for planning.
    pub fn file_set<'a>(&'a self, root: &'a Path) -> FileSet<'a> {
        FileSet {
            files: &self.files,
            root: Some(root),
            none: self.no_file_set,
        }
    }
}

const ZERO: &str = "0000000000000000000000000000000000000000";

fn arg(args: &[OsString], i: usize) -> Option<String> {
    args.get(i).map(|a| a.to_string_lossy().into_owned())
}

/// What decides the scope of one run.
#[derive(Debug, Clone, Copy)]
pub struct ScopeRequest<'a> {
    /// The hook being run; `None` for `guard-rails`.
    pub hook: Option<HookType>,
    pub overrides: &'a Override,
    /// Arguments git passed to the hook.
    pub git_args: &'a [OsString],
}

/// Work out the scope of a run: a hook's (given git's arguments and
/// stdin), `guard-rails`' in a repository, or the project's outside git.
pub fn resolve(
    repo: Option<&Repo>,
    root: &Path,
    request: &ScopeRequest<'_>,
    stdin: &mut dyn BufRead,
) -> anyhow::Result<RunScope> {
    match (repo, request.hook) {
        (Some(r), Some(hook)) => hook_scope(r, hook, request.overrides, request.git_args, stdin),
        (Some(r), None) => guard_rails_scope(r, request.overrides),
        (None, _) => project_files_scope(root, request.overrides),
    }
}

/// The files a commit checks: during a merge the merge's paths (see
/// [`Repo::merge_paths`]), else the staged paths.
pub fn commit_files(repo: &Repo) -> anyhow::Result<Vec<BString>> {
    Ok(match repo.merge_paths()? {
        Some(files) => files,
        None => repo.staged_paths()?,
    })
}

/// The paths `hephaestus files` lists for a file selection: exactly those
/// a pre-commit hook run with the same selection would check.
pub fn listed(repo: &Repo, overrides: &Override) -> anyhow::Result<Vec<BString>> {
    Ok(match overrides {
        Override::None => commit_files(repo)?,
        Override::AllFiles => repo.tracked_paths()?,
        Override::Files(files) => files.clone(),
        Override::Range { from, to } => repo.changed_between(from, to)?,
        Override::LastCommit => repo.changed_in_commit("HEAD")?,
    })
}

/// The scope of `hook` given git's arguments and stdin.
fn hook_scope(
    repo: &Repo,
    hook: HookType,
    overrides: &Override,
    git_args: &[OsString],
    stdin: &mut dyn BufRead,
) -> anyhow::Result<RunScope> {
    let mut env = vec![
        ("HEPHAESTUS".to_string(), "1".to_string()),
        ("HEPHAESTUS_HOOK".to_string(), hook.as_str().to_string()),
        ("PRE_COMMIT".to_string(), "1".to_string()),
        (
            "PRE_COMMIT_HOOK_STAGE".to_string(),
            hook.as_str().to_string(),
        ),
    ];
    let mut set = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            env.push((k.to_string(), v));
        }
    };
    let mode = match overrides {
        Override::AllFiles => Some("all-files"),
        Override::Files(_) => Some("files"),
        Override::Range { from, to } => {
            set("PRE_COMMIT_FROM_REF", Some(from.clone()));
            set("PRE_COMMIT_TO_REF", Some(to.clone()));
            set("PRE_COMMIT_ORIGIN", Some(to.clone()));
            set("PRE_COMMIT_SOURCE", Some(from.clone()));
            Some("range")
        }
        Override::LastCommit => Some("last-commit"),
        Override::None => None,
    };
    if let Some(mode) = mode {
        return Ok(scope(listed(repo, overrides)?, mode, env, false, false));
    }
    Ok(match hook {
        HookType::PreCommit | HookType::PreMergeCommit => {
            if !repo.conflicted_paths()?.is_empty() {
                return Err(UserError::failure("there are unmerged paths in the index")
                    .with_hint("resolve the conflicts and `git add` the files first")
                    .into());
            }
            scope(commit_files(repo)?, "staged", env, false, true)
        }
        HookType::CommitMsg | HookType::PrepareCommitMsg => {
            let Some(msg) = git_args.first() else {
                return Err(UserError::usage(format!(
                    "the {hook} hook needs the message file: hephaestus hook run {hook} -- <file>"
                ))
                .into());
            };
            if hook == HookType::PrepareCommitMsg {
                set("PRE_COMMIT_COMMIT_MSG_SOURCE", arg(git_args, 1));
                set("PRE_COMMIT_COMMIT_OBJECT_NAME", arg(git_args, 2));
            }
            let file = BString::from(msg.as_encoded_bytes());
            scope(vec![file], "message", env, false, false)
        }
        HookType::PrePush => {
            let remote = arg(git_args, 0).unwrap_or_else(|| "origin".to_string());
            set("PRE_COMMIT_REMOTE_NAME", Some(remote.clone()));
            set("PRE_COMMIT_REMOTE_URL", arg(git_args, 1));
            let (files, last) = push_files(repo, &remote, stdin)?;
            if let Some(l) = last {
                set("PRE_COMMIT_FROM_REF", Some(l.from.clone()));
                set("PRE_COMMIT_TO_REF", Some(l.to.clone()));
                set("PRE_COMMIT_SOURCE", Some(l.from));
                set("PRE_COMMIT_ORIGIN", Some(l.to));
                set("PRE_COMMIT_LOCAL_BRANCH", Some(l.local_ref));
                set("PRE_COMMIT_REMOTE_BRANCH", Some(l.remote_ref));
            }
            scope(files, "push", env, false, false)
        }
        HookType::PostCheckout => {
            set("PRE_COMMIT_FROM_REF", arg(git_args, 0));
            set("PRE_COMMIT_TO_REF", arg(git_args, 1));
            set("PRE_COMMIT_CHECKOUT_TYPE", arg(git_args, 2));
            scope(Vec::new(), "none", env, true, false)
        }
        HookType::PostMerge => {
            set("PRE_COMMIT_IS_SQUASH_MERGE", arg(git_args, 0));
            scope(Vec::new(), "none", env, true, false)
        }
        HookType::PostRewrite => {
            set("PRE_COMMIT_REWRITE_COMMAND", arg(git_args, 0));
            scope(Vec::new(), "none", env, true, false)
        }
        HookType::PreRebase => {
            set("PRE_COMMIT_PRE_REBASE_UPSTREAM", arg(git_args, 0));
            set("PRE_COMMIT_PRE_REBASE_BRANCH", arg(git_args, 1));
            scope(Vec::new(), "none", env, true, false)
        }
        HookType::PostCommit => scope(Vec::new(), "none", env, true, false),
    })
}

/// `guard-rails` in a repository: the pre-commit scope without the hook's
/// variables, every tracked file when no files are chosen, and unstaged
/// work never set aside.
fn guard_rails_scope(repo: &Repo, overrides: &Override) -> anyhow::Result<RunScope> {
    let overrides = match overrides {
        Override::None => &Override::AllFiles,
        o => o,
    };
    let mut rs = hook_scope(
        repo,
        HookType::PreCommit,
        overrides,
        &[],
        &mut std::io::empty(),
    )?;
    rs.env
        .retain(|(k, _)| k != "HEPHAESTUS_HOOK" && k != "PRE_COMMIT_HOOK_STAGE");
    rs.protect_unstaged = false;
    Ok(rs)
}

/// Outside git: every file under the root that .gitignore files do not
/// exclude.
fn project_files_scope(root: &Path, overrides: &Override) -> anyhow::Result<RunScope> {
    let files = match overrides {
        Override::Files(f) => f.clone(),
        Override::None | Override::AllFiles => {
            let mut files = Vec::new();
            for entry in ignore::WalkBuilder::new(root)
                .hidden(false)
                .build()
                .flatten()
            {
                if entry.file_type().is_some_and(|t| t.is_file())
                    && let Ok(rel) = entry.path().strip_prefix(root)
                {
                    files.push(BString::from(rel.as_os_str().as_encoded_bytes()));
                }
            }
            files.sort();
            files
        }
        _ => {
            return Err(UserError::usage(
                "--from-ref, --to-ref and --last-commit need a git repository",
            )
            .into());
        }
    };
    Ok(scope(
        files,
        "project",
        vec![
            ("HEPHAESTUS".into(), "1".into()),
            ("PRE_COMMIT".into(), "1".into()),
        ],
        false,
        false,
    ))
}

fn scope(
    files: Vec<BString>,
    mode: &'static str,
    env: Vec<(String, String)>,
    no_file_set: bool,
    protect_unstaged: bool,
) -> RunScope {
    RunScope {
        files,
        mode,
        env,
        no_file_set,
        protect_unstaged,
    }
}

/// The last ref range of a push, for the PRE_COMMIT_* variables.
struct PushLine {
    from: String,
    to: String,
    local_ref: String,
    remote_ref: String,
}

/// Parse git's pre-push stdin (`<local ref> <local sha> <remote ref>
/// <remote sha>` per line) into the union of the files each pushed range
/// changes. Deletions are skipped; a remote sha that is not present
/// locally (or all zeros for a new branch) means "the commits that no
/// branch of this remote has"; tags are peeled to the commit they name
/// (see `Repo::pushed_paths`).
fn push_files(
    repo: &Repo,
    remote: &str,
    stdin: &mut dyn BufRead,
) -> anyhow::Result<(Vec<BString>, Option<PushLine>)> {
    let mut files: Vec<BString> = Vec::new();
    let mut last = None;
    let mut line = String::new();
    loop {
        line.clear();
        if stdin.read_line(&mut line)? == 0 {
            break;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.is_empty() {
            continue;
        }
        let [local_ref, local_sha, remote_ref, remote_sha] = parts[..] else {
            return Err(UserError::usage(format!(
                "cannot read the pre-push line {:?}: expected `<local ref> <local sha> <remote ref> <remote sha>`",
                line.trim()
            ))
            .into());
        };
        if local_sha == ZERO {
            continue; // a deletion: nothing to check
        }
        let id = |sha: &str| {
            gix::ObjectId::from_hex(sha.as_bytes()).map_err(|_| GitError::BadRevision {
                spec: sha.to_string(),
            })
        };
        let changed = repo.pushed_paths(id(local_sha)?, id(remote_sha)?, remote)?;
        let from = remote_sha.to_string();
        files.extend(changed);
        last = Some(PushLine {
            from,
            to: local_sha.to_string(),
            local_ref: local_ref.to_string(),
            remote_ref: remote_ref.to_string(),
        });
    }
    files.sort();
    files.dedup();
    Ok((files, last))
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    /// A repository with `a.txt` and `b.py` committed and `b.py` changed
    /// and staged, made with the git CLI.
    fn repo() -> (tempfile::TempDir, Repo) {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let out = Command::new("git")
                .args(args)
                .current_dir(dir.path())
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@example.com")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@example.com")
                .output()
                .expect("git runs");
            assert!(out.status.success(), "git {args:?}: {out:?}");
        };
        git(&["init", "-q", "-b", "main"]);
        std::fs::write(dir.path().join("a.txt"), "a\n").unwrap();
        std::fs::write(dir.path().join("b.py"), "b\n").unwrap();
        git(&["add", "."]);
        git(&["commit", "-q", "-m", "base"]);
        std::fs::write(dir.path().join("b.py"), "b2\n").unwrap();
        git(&["add", "b.py"]);
        let repo = Repo::discover(dir.path()).unwrap();
        (dir, repo)
    }

    fn request<'a>(
        hook: Option<HookType>,
        overrides: &'a Override,
        git_args: &'a [OsString],
    ) -> ScopeRequest<'a> {
        ScopeRequest {
            hook,
            overrides,
            git_args,
        }
    }

    fn names(scope: &RunScope) -> Vec<String> {
        scope.files.iter().map(|f| f.to_string()).collect()
    }

    fn has_var(scope: &RunScope, key: &str) -> bool {
        scope.env.iter().any(|(k, _)| k == key)
    }

    #[test]
    fn pre_commit_checks_the_staged_files_and_protects_unstaged_work() {
        let (dir, repo) = repo();
        let s = resolve(
            Some(&repo),
            dir.path(),
            &request(Some(HookType::PreCommit), &Override::None, &[]),
            &mut std::io::empty(),
        )
        .unwrap();
        assert_eq!(names(&s), ["b.py"]);
        assert_eq!(s.mode, "staged");
        assert!(s.protect_unstaged);
        assert!(!s.no_file_set);
        assert!(
            s.env
                .contains(&("HEPHAESTUS_HOOK".into(), "pre-commit".into()))
        );
        assert_eq!(
            names(&s),
            listed(&repo, &Override::None)
                .unwrap()
                .iter()
                .map(|f| f.to_string())
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn guard_rails_covers_every_tracked_file_without_hook_variables() {
        let (dir, repo) = repo();
        let s = resolve(
            Some(&repo),
            dir.path(),
            &request(None, &Override::None, &[]),
            &mut std::io::empty(),
        )
        .unwrap();
        assert_eq!(names(&s), ["a.txt", "b.py"]);
        assert_eq!(s.mode, "all-files");
        assert!(!s.protect_unstaged);
        assert!(!has_var(&s, "HEPHAESTUS_HOOK"));
        assert!(!has_var(&s, "PRE_COMMIT_HOOK_STAGE"));
        assert!(has_var(&s, "HEPHAESTUS"));
        let chosen = Override::Files(vec![BString::from("a.txt")]);
        let s = resolve(
            Some(&repo),
            dir.path(),
            &request(None, &chosen, &[]),
            &mut std::io::empty(),
        )
        .unwrap();
        assert_eq!((names(&s), s.mode), (vec!["a.txt".to_string()], "files"));
    }

    #[test]
    fn message_hooks_need_the_file_and_hooks_without_files_have_none() {
        let (dir, repo) = repo();
        let err = resolve(
            Some(&repo),
            dir.path(),
            &request(Some(HookType::CommitMsg), &Override::None, &[]),
            &mut std::io::empty(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("needs the message file"), "{err}");
        let args = [OsString::from(".git/COMMIT_EDITMSG")];
        let s = resolve(
            Some(&repo),
            dir.path(),
            &request(Some(HookType::CommitMsg), &Override::None, &args),
            &mut std::io::empty(),
        )
        .unwrap();
        assert_eq!(
            (names(&s), s.mode),
            (vec![".git/COMMIT_EDITMSG".to_string()], "message")
        );
        let s = resolve(
            Some(&repo),
            dir.path(),
            &request(Some(HookType::PostCommit), &Override::None, &[]),
            &mut std::io::empty(),
        )
        .unwrap();
        assert!(s.no_file_set && s.files.is_empty() && s.mode == "none");
    }

    #[test]
    fn a_malformed_pre_push_line_is_a_usage_error() {
        let (dir, repo) = repo();
        let err = resolve(
            Some(&repo),
            dir.path(),
            &request(Some(HookType::PrePush), &Override::None, &[]),
            &mut std::io::Cursor::new("refs/heads/main abc\n"),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("cannot read the pre-push line"),
            "{err}"
        );
    }

    #[test]
    fn outside_git_the_project_is_every_file_under_the_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("pkg")).unwrap();
        std::fs::write(dir.path().join("pkg/keep.py"), "").unwrap();
        std::fs::write(dir.path().join(".hidden"), "").unwrap();
        let s = resolve(
            None,
            dir.path(),
            &request(None, &Override::None, &[]),
            &mut std::io::empty(),
        )
        .unwrap();
        assert_eq!(names(&s), [".hidden", "pkg/keep.py"]);
        assert_eq!(s.mode, "project");
        let range = Override::Range {
            from: "a".into(),
            to: "b".into(),
        };
        let err = resolve(
            None,
            dir.path(),
            &request(None, &range, &[]),
            &mut std::io::empty(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("need a git repository"), "{err}");
    }
}
