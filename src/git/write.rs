//! Writing git state through the git CLI, where gitoxide has no safe
//! equivalent yet: staging and unstaging paths, setting index entries,
//! the work-tree form of index content (with git's own filters), and
//! three-way file merges. Paths always travel NUL-separated on stdin with
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
    cmd.args(args).current_dir(root);
    run(cmd, args.first().copied().unwrap_or(""), stdin)
}

/// Spawn `cmd` (with literal pathspecs), feed it `stdin` from a second
/// thread (so neither side can block on a full pipe), and return its
/// stdout. When git fails, its own message is the error, even if it
/// exited before reading all of stdin (a broken pipe on our side is
/// expected then, not the reason).
fn run(mut cmd: Command, what: &str, stdin: Option<&[u8]>) -> Result<Vec<u8>, GitError> {
    cmd.env("GIT_LITERAL_PATHSPECS", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| failed(what, format!("cannot run git: {e}")))?;
    let pipe = child.stdin.take();
    let (fed, out) = std::thread::scope(|scope| {
        let feeder = scope.spawn(move || match (stdin, pipe) {
            (Some(data), Some(mut pipe)) => pipe.write_all(data),
            _ => Ok(()),
        });
        let out = child.wait_with_output();
        let fed = feeder
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the stdin writer panicked")));
        (fed, out)
    });
    let out = out.map_err(|e| failed(what, e))?;
    if !out.status.success() {
        let message = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(failed(
            what,
            if message.is_empty() {
                format!("git exited with {}", out.status)
            } else {
                message
            },
        ));
    }
    fed.map_err(|e| failed(what, format!("cannot write to git: {e}")))?;
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

/// Remove exactly these paths from the index of the work tree at `root`
/// (the files stay on disk): `git update-index --force-remove -z --stdin`,
/// the paths NUL-separated on stdin and taken literally (no pathspecs), a
/// path not in the index ignored. One index lookup per path: 5,000 paths
/// take milliseconds, where `git rm --cached --pathspec-from-file` matched
/// every index entry against every pathspec (1.3 s for 5,000).
pub fn unstage_paths(root: &std::path::Path, paths: &[BString]) -> Result<(), GitError> {
    if paths.is_empty() {
        return Ok(());
    }
    git_in(
        root,
        &["update-index", "--force-remove", "-z", "--stdin"],
        Some(&nul_joined(paths)),
    )?;
    Ok(())
}

/// Write the work-tree form of these index entries (git's filters, eol
/// conversion and modes applied, as `git checkout-index -f` does) under
/// `dir` instead of the work tree; the index and the work tree are not
/// touched. Attributes come from the index and the configuration.
pub fn checkout_index_into(
    repo: &Repo,
    dir: &std::path::Path,
    paths: &[BString],
) -> Result<(), GitError> {
    if paths.is_empty() {
        return Ok(());
    }
    // git changes into the work tree it is given, so every location it
    // would otherwise take from the environment relative to ours is made
    // absolute (inside a hook git sets `GIT_DIR` and `GIT_INDEX_FILE`,
    // possibly relative).
    let absolute = |p: std::path::PathBuf| std::path::absolute(&p).unwrap_or(p);
    let mut work_tree = std::ffi::OsString::from("--work-tree=");
    work_tree.push(dir);
    let mut cmd = Command::new("git");
    cmd.arg(work_tree)
        .args(["checkout-index", "-f", "-z", "--stdin"])
        .env("GIT_DIR", absolute(repo.git_dir().to_path_buf()))
        .env("GIT_INDEX_FILE", absolute(repo.index_path()))
        .current_dir(dir);
    run(cmd, "checkout-index", Some(&nul_joined(paths)))?;
    Ok(())
}

/// Set these index entries (mode, blob id, path) exactly, as
/// `git update-index --index-info` does (git's index lock applies).
pub fn set_index_entries(repo: &Repo, entries: &[(u32, String, BString)]) -> Result<(), GitError> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut buf = Vec::new();
    for (mode, id, path) in entries {
        buf.extend_from_slice(format!("{mode:o} {id}\t").as_bytes());
        buf.extend_from_slice(path);
        buf.push(0);
    }
    git(repo, &["update-index", "-z", "--index-info"], Some(&buf))?;
    Ok(())
}

/// A three-way merge of files (`git merge-file -p`): the merged bytes, or
/// `None` when the two sides conflict.
pub fn merge_file(
    ours: &std::path::Path,
    base: &std::path::Path,
    theirs: &std::path::Path,
) -> Result<Option<Vec<u8>>, GitError> {
    let mut cmd = Command::new("git");
    cmd.args(["merge-file", "-p", "--quiet"])
        .arg(ours)
        .arg(base)
        .arg(theirs)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = cmd
        .output()
        .map_err(|e| failed("merge-file", format!("cannot run git: {e}")))?;
    match out.status.code() {
        Some(0) => Ok(Some(out.stdout)),
        // 1..=127: the number of conflicts.
        Some(1..=127) => Ok(None),
        _ => Err(failed(
            "merge-file",
            String::from_utf8_lossy(&out.stderr).trim(),
        )),
    }
}

/// Read a blob from the object database.
pub fn read_blob(repo: &Repo, id: gix::ObjectId) -> Result<Vec<u8>, GitError> {
    repo.gix()
        .find_blob(id)
        .map(|mut b| b.take_data())
        .map_err(|e| GitError::Read {
            what: format!("cannot read object {id}"),
            message: e.to_string(),
        })
}
