//! Writing git state through the git CLI, where gitoxide has no safe
//! equivalent yet: staging and unstaging paths, materialising index
//! content in the work tree (with git's own filters), and making and
//! applying binary patches. Paths always travel NUL-separated on stdin with
//! literal pathspecs, so no name is ever interpreted as a glob or option.

use std::io::Write;
use std::process::{Command, Stdio};

use gix::bstr::BString;

use super::{GitError, Repo};

fn failed(what: &str, detail: impl std::fmt::Display) -> GitError {
    GitError::Read {
        what: format!("git {what} failed"),
        message: detail.to_string(),
    }
}

/// Run `git <args>` in the work tree with `stdin`, returning stdout.
/// The environment (including a hook's `GIT_INDEX_FILE`) is inherited.
pub fn git(repo: &Repo, args: &[&str], stdin: Option<&[u8]>) -> Result<Vec<u8>, GitError> {
    git_in(repo.work_tree()?, args, stdin)
}

/// Run `git <args>` in `root` (see [`git`]).
pub fn git_in(
    root: &std::path::Path,
    args: &[&str],
    stdin: Option<&[u8]>,
) -> Result<Vec<u8>, GitError> {
    let mut cmd = Command::new("git");
    cmd.args(args)
        .current_dir(root)
        .env("GIT_LITERAL_PATHSPECS", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let what = args.first().copied().unwrap_or("");
    let mut child = cmd
        .spawn()
        .map_err(|e| failed(what, format!("cannot run git: {e}")))?;
    if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(data).map_err(|e| failed(what, e))?;
    }
    let out = child.wait_with_output().map_err(|e| failed(what, e))?;
    if !out.status.success() {
        return Err(failed(what, String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(out.stdout)
}

fn nul_joined(paths: &[BString]) -> Vec<u8> {
    let mut buf = Vec::new();
    for p in paths {
        buf.extend_from_slice(p);
        buf.push(0);
    }
    buf
}

/// `git add` exactly these paths.
pub fn add_paths(repo: &Repo, paths: &[BString]) -> Result<(), GitError> {
    if paths.is_empty() {
        return Ok(());
    }
    git(
        repo,
        &["add", "--pathspec-from-file=-", "--pathspec-file-nul"],
        Some(&nul_joined(paths)),
    )?;
    Ok(())
}

/// `git rm --cached` exactly these paths in the work tree at `root` (the
/// files stay on disk).
pub fn unstage_paths(root: &std::path::Path, paths: &[BString]) -> Result<(), GitError> {
    if paths.is_empty() {
        return Ok(());
    }
    git_in(
        root,
        &[
            "rm",
            "--cached",
            "--quiet",
            "--ignore-unmatch",
            "--pathspec-from-file=-",
            "--pathspec-file-nul",
        ],
        Some(&nul_joined(paths)),
    )?;
    Ok(())
}

/// Write the index version of these paths into the work tree (as
/// `git checkout-index -f`: git's filters and modes apply).
pub fn checkout_index(repo: &Repo, paths: &[BString]) -> Result<(), GitError> {
    if paths.is_empty() {
        return Ok(());
    }
    git(
        repo,
        &["checkout-index", "-f", "-z", "--stdin"],
        Some(&nul_joined(paths)),
    )?;
    Ok(())
}

/// A binary patch of the unstaged changes (index → work tree) of `paths`
/// (of every tracked path when the list would not fit a command line).
pub fn unstaged_patch(repo: &Repo, paths: &[BString]) -> Result<Vec<u8>, GitError> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let mut args: Vec<&str> = vec![
        "diff",
        "--binary",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--ignore-submodules",
        "--src-prefix=a/",
        "--dst-prefix=b/",
    ];
    let total: usize = paths.iter().map(|p| p.len() + 1).sum();
    let owned: Vec<String>;
    if total < 64 * 1024 && paths.iter().all(|p| std::str::from_utf8(p).is_ok()) {
        owned = paths
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect();
        args.push("--");
        args.extend(owned.iter().map(|s| s.as_str()));
    }
    git(repo, &args, None)
}

/// Apply a patch file to the work tree only.
pub fn apply_patch(repo: &Repo, patch: &std::path::Path) -> Result<(), GitError> {
    let path = patch.to_string_lossy();
    git(repo, &["apply", "--whitespace=nowarn", path.as_ref()], None)?;
    Ok(())
}

/// Write a blob into the object database (the backup of a file's content).
pub fn write_blob(repo: &Repo, data: &[u8]) -> Result<gix::ObjectId, GitError> {
    repo.gix()
        .write_blob(data)
        .map(|id| id.detach())
        .map_err(|e| GitError::Read {
            what: "cannot write a backup object".into(),
            message: e.to_string(),
        })
}

/// Read a blob from the object database.
pub fn read_blob(repo: &Repo, id: gix::ObjectId) -> Result<Vec<u8>, GitError> {
    repo.gix()
        .find_blob(id)
        .map(|b| b.data.clone())
        .map_err(|e| GitError::Read {
            what: format!("cannot read backup object {id}"),
            message: e.to_string(),
        })
}
