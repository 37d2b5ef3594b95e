//! Checks that read git state: check-added-large-files, check-case-conflict,
//! destroyed-symlinks, check-executables-have-shebangs,
//! check-shebang-scripts-are-executable, no-commit-to-branch and
//! forbid-new-submodules.
//!
//! The reference asks `git diff --staged`, `git ls-files`, `git status`,
//! `git symbolic-ref` and `git check-attr`; here the same answers come from
//! gitoxide (the index, HEAD's tree, attributes, config) in process. File
//! names given to a check are turned into repository paths (relative to the
//! work tree root, `/`-separated) for these lookups.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use gix::bstr::{BStr, BString, ByteSlice};
use gix::index::entry::Mode;

use super::parallel::{FileReport, map};
use super::{Context, HygieneError, Outcome};
use crate::git::{GitError, Repo};

fn read_err(what: &str) -> impl FnOnce(String) -> GitError + '_ {
    move |message| GitError::Read {
        what: what.to_string(),
        message,
    }
}

/// The repository, its work tree root (canonical), and the given files as
/// repository paths (`None` for a file outside the work tree).
struct Located {
    repo: Repo,
    /// Each context file's repository path, in input order.
    paths: Vec<Option<BString>>,
}

fn locate(ctx: &Context) -> Result<Located, HygieneError> {
    locate_in(Repo::discover(&ctx.dir)?, ctx)
}

fn locate_in(repo: Repo, ctx: &Context) -> Result<Located, HygieneError> {
    let root = repo.work_tree()?.to_path_buf();
    let root = std::fs::canonicalize(&root).unwrap_or(root);
    let dir = std::fs::canonicalize(&ctx.dir).unwrap_or_else(|_| ctx.dir.clone());
    let paths = ctx
        .files
        .iter()
        .map(|f| repo_path(&root, &dir.join(f)))
        .collect();
    Ok(Located { repo, paths })
}

/// `abs` relative to `root`, lexically normalised, `/`-separated.
fn repo_path(root: &Path, abs: &Path) -> Option<BString> {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                parts.pop();
            }
            Component::CurDir => {}
            Component::Normal(p) => parts.push(p),
            Component::RootDir | Component::Prefix(_) => parts.clear(),
        }
    }
    let mut normal = PathBuf::from("/");
    normal.extend(parts);
    let rel = normal.strip_prefix(root).ok()?;
    Some(path_bytes(rel))
}

/// A relative path as git's `/`-separated bytes.
#[cfg(unix)]
fn path_bytes(rel: &Path) -> BString {
    use std::os::unix::ffi::OsStrExt;
    BString::from(rel.as_os_str().as_bytes())
}

/// A relative path as git's `/`-separated bytes.
#[cfg(not(unix))]
fn path_bytes(rel: &Path) -> BString {
    BString::from(rel.to_string_lossy().replace('\\', "/"))
}

/// A repository path as a relative file-system path.
fn fs_path(path: &[u8]) -> &Path {
    Path::new(crate::git::bytes_to_os(path))
}

/// Whether `path` is matched by one of `specs` as a git pathspec without
/// magic: the path itself or a directory above it. No specs match all.
fn pathspec_matches(specs: &[BString], path: &BStr) -> bool {
    specs.is_empty()
        || specs.iter().any(|s| {
            let s = s.as_bstr();
            s.is_empty() || path == s || (path.starts_with(s) && path.get(s.len()) == Some(&b'/'))
        })
}

fn index(repo: &Repo) -> Result<gix::worktree::Index, GitError> {
    repo.gix()
        .index_or_empty()
        .map_err(|e| read_err("cannot read the index")(e.to_string()))
}

/// Paths `git diff --staged --diff-filter=A` lists: in the index (stage 0,
/// not intent-to-add) and not in HEAD, and not the new name of a rename
/// (renames detected as `diff.renames` says, 50% similarity by default).
fn added_paths(repo: &Repo, index: &gix::index::State) -> Result<HashSet<BString>, GitError> {
    let gix_repo = repo.gix();
    let head = repo.head_tree_id()?;
    let renames = match gix_repo
        .config_snapshot()
        .string("diff.renames")
        .map(|v| v.to_str_lossy().to_ascii_lowercase())
        .as_deref()
    {
        Some("false" | "no" | "off" | "0") => gix::status::tree_index::TrackRenames::Disabled,
        Some("copies" | "copy") => {
            gix::status::tree_index::TrackRenames::Given(gix::diff::Rewrites {
                copies: Some(Default::default()),
                ..Default::default()
            })
        }
        _ => gix::status::tree_index::TrackRenames::Given(gix::diff::Rewrites::default()),
    };
    let mut added = HashSet::new();
    // A valid cache tree (git writes it on commit) whose root is HEAD's
    // tree: the index is HEAD's tree, nothing is added.
    if let Some(tree) = index.tree()
        && tree.num_entries.is_some()
        && tree.id == head
    {
        return Ok(added);
    }
    gix_repo
        .tree_index_status(&head, index, None, renames, |change, _, rhs| {
            if let gix::diff::index::ChangeRef::Addition {
                location,
                index: at,
                ..
            } = change
            {
                let entry = &rhs.entries()[at];
                if entry.stage_raw() == 0
                    && !entry
                        .flags
                        .contains(gix::index::entry::Flags::INTENT_TO_ADD)
                {
                    added.insert(location.into_owned());
                }
            }
            Ok(std::ops::ControlFlow::Continue(()))
        })
        .map_err(|e| read_err("cannot compare the index with HEAD")(e.to_string()))?;
    Ok(added)
}

/// Paths whose `filter` attribute is `lfs` (git-lfs keeps them out of the
/// repository, so their size does not matter).
fn lfs_paths(
    repo: &Repo,
    index: &gix::index::State,
    paths: &[BString],
) -> Result<HashSet<BString>, GitError> {
    use gix::worktree::stack::state::attributes::Source;
    let mut stack = repo
        .gix()
        .attributes_only(index, Source::WorktreeThenIdMapping)
        .map_err(|e| read_err("cannot read .gitattributes")(e.to_string()))?;
    let mut out = stack.selected_attribute_matches(["filter"]);
    let mut lfs = HashSet::new();
    for path in paths {
        let platform = stack
            .at_entry(path.as_bstr(), None)
            .map_err(|e| read_err("cannot read .gitattributes")(e.to_string()))?;
        platform.matching_attributes(&mut out);
        let is_lfs = out.iter_selected().any(|m| {
            matches!(m.assignment.state, gix::attrs::StateRef::Value(v) if v.as_bstr() == "lfs")
        });
        if is_lfs {
            lfs.insert(path.clone());
        }
    }
    Ok(lfs)
}

/// check-added-large-files: added files (all given files with
/// `--enforce-all`) over `maxkb` KiB, rounded up; git-lfs files excepted.
///
/// The reference intersects three sets (given, not lfs, added); the
/// order does not matter, so the cheap one comes first: the added files
/// (none at all when the index still holds HEAD's tree, which an
/// `--all-files` run on a clean index finds without a diff), and the
/// attributes are only read for the given files that were added.
pub(super) fn large_files(
    ctx: &Context,
    maxkb: i64,
    enforce_all: bool,
) -> Result<Outcome, HygieneError> {
    if ctx.files.is_empty() {
        return Ok(Outcome::default());
    }
    let repo = Repo::discover(&ctx.dir)?;
    let index = index(&repo)?;
    let added = if enforce_all {
        None
    } else {
        let added = added_paths(&repo, &index)?;
        if added.is_empty() {
            // Nothing was added: every given file (inside the work tree
            // or not) is left out.
            return Ok(Outcome::default());
        }
        Some(added)
    };
    let located = locate_in(repo, ctx)?;
    // The reference works on a set of names: each once.
    let mut seen = HashSet::new();
    let given: Vec<(&PathBuf, &Option<BString>)> = ctx
        .files
        .iter()
        .zip(&located.paths)
        .filter(|(f, _)| seen.insert(*f))
        .filter(|(_, p)| match p {
            Some(p) => added.as_ref().is_none_or(|a| a.contains(p)),
            // Outside the work tree: never added.
            None => added.is_none(),
        })
        .collect();
    let known: Vec<BString> = given.iter().filter_map(|(_, p)| (*p).clone()).collect();
    let lfs = lfs_paths(&located.repo, &index, &known)?;
    let candidates: Vec<&PathBuf> = given
        .into_iter()
        .filter(|(_, p)| p.as_ref().is_none_or(|p| !lfs.contains(p)))
        .map(|(f, _)| f)
        .collect();
    let reports = map(&candidates, |file| {
        let shown = file.to_string_lossy();
        match std::fs::metadata(ctx.dir.join(file)) {
            Ok(meta) => {
                let kb = meta.len().div_ceil(1024) as i128;
                if kb > maxkb as i128 {
                    FileReport::fail(format!("{shown} ({kb} KB) exceeds {maxkb} KB.\n"))
                } else {
                    FileReport::default()
                }
            }
            Err(e) => FileReport::io_error(&shown, "read its size", &e),
        }
    });
    Ok(collect(reports))
}

fn collect(reports: Vec<FileReport>) -> Outcome {
    let mut outcome = Outcome::default();
    for r in reports {
        outcome.failed |= r.failed;
        outcome.stdout.push_str(&r.stdout);
        outcome.stderr.push_str(&r.stderr);
    }
    outcome
}

/// Every parent directory of a `/`-separated path.
fn parents(path: &str) -> impl Iterator<Item = &str> {
    path.char_indices()
        .filter(|(_, c)| *c == '/')
        .map(|(i, _)| &path[..i])
}

fn with_parents(names: &HashSet<String>) -> HashSet<String> {
    let mut all = names.clone();
    for name in names {
        all.extend(parents(name).map(str::to_string));
    }
    all
}

/// check-case-conflict: names (files or directories) that differ only in
/// case, between the given and added files and everything tracked, or
/// among the given and added files themselves.
pub(super) fn case_conflict(ctx: &Context) -> Result<Outcome, HygieneError> {
    let located = locate(ctx)?;
    let index = index(&located.repo)?;
    let tracked: HashSet<String> = index
        .entries()
        .iter()
        .map(|e| e.path(&index).to_str_lossy().into_owned())
        .collect();
    let mut relevant: HashSet<String> = ctx
        .files
        .iter()
        .zip(&located.paths)
        .map(|(f, p)| match p {
            Some(p) => p.to_str_lossy().into_owned(),
            None => f.to_string_lossy().into_owned(),
        })
        .collect();
    relevant.extend(
        added_paths(&located.repo, &index)?
            .iter()
            .map(|p| p.to_str_lossy().into_owned()),
    );
    let relevant = with_parents(&relevant);
    let repo_files: HashSet<String> = with_parents(&tracked)
        .difference(&relevant)
        .cloned()
        .collect();
    let lower_repo: HashSet<String> = repo_files.iter().map(|s| s.to_lowercase()).collect();
    let mut conflicts: HashSet<String> = HashSet::new();
    let mut lower_counts: HashMap<String, usize> = HashMap::new();
    for name in &relevant {
        let lower = name.to_lowercase();
        if lower_repo.contains(&lower) {
            conflicts.insert(lower.clone());
        }
        *lower_counts.entry(lower).or_default() += 1;
    }
    conflicts.extend(
        lower_counts
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(l, _)| l),
    );
    if conflicts.is_empty() {
        return Ok(Outcome::default());
    }
    let listed: BTreeSet<&String> = repo_files
        .iter()
        .chain(&relevant)
        .filter(|x| conflicts.contains(&x.to_lowercase()))
        .collect();
    let mut stdout = String::new();
    for name in listed {
        stdout.push_str(&format!("Case-insensitivity conflict found: {name}\n"));
    }
    Ok(Outcome {
        failed: true,
        stdout,
        ..Default::default()
    })
}

/// Python's `bytes.rstrip()`.
fn py_rstrip(b: &[u8]) -> &[u8] {
    let end = b
        .iter()
        .rposition(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
        .map_or(0, |i| i + 1);
    &b[..end]
}

/// destroyed-symlinks: paths that are symbolic links in HEAD but plain
/// files in the index holding (up to trailing whitespace) the link target.
pub(super) fn destroyed_symlinks(ctx: &Context) -> Result<Outcome, HygieneError> {
    if ctx.files.is_empty() {
        return Ok(Outcome::default());
    }
    let located = locate(ctx)?;
    let specs: Vec<BString> = located.paths.iter().flatten().cloned().collect();
    if specs.is_empty() {
        return Ok(Outcome::default());
    }
    let repo = located.repo.gix();
    let index = index(&located.repo)?;
    let head = located.repo.head_tree_id()?;
    let head_tree = repo
        .find_tree(head)
        .map_err(|e| read_err("cannot read HEAD's tree")(e.to_string()))?;
    let conflicted: HashSet<&BStr> = index
        .entries()
        .iter()
        .filter(|e| e.stage_raw() != 0)
        .map(|e| e.path(&index))
        .collect();
    let blob = |id: gix::ObjectId| -> Result<Vec<u8>, GitError> {
        repo.find_object(id)
            .map(|o| o.detach().data)
            .map_err(|e| read_err("cannot read a blob")(e.to_string()))
    };
    let mut destroyed: Vec<String> = Vec::new();
    for entry in index.entries() {
        let path = entry.path(&index);
        if entry.stage_raw() != 0 || conflicted.contains(path) || !pathspec_matches(&specs, path) {
            continue;
        }
        if entry.mode == Mode::SYMLINK {
            continue;
        }
        let Some(head_entry) = head_tree
            .lookup_entry_by_path(fs_path(path))
            .map_err(|e| read_err("cannot read HEAD's tree")(e.to_string()))?
        else {
            continue;
        };
        if !head_entry.mode().is_link() {
            continue;
        }
        let head_id = head_entry.object_id();
        let is_destroyed = if head_id == entry.id {
            true
        } else {
            let new = blob(entry.id)?;
            let old = blob(head_id)?;
            new.len() <= old.len() + 2 && py_rstrip(&new) == py_rstrip(&old)
        };
        if is_destroyed {
            destroyed.push(path.to_str_lossy().into_owned());
        }
    }
    if destroyed.is_empty() {
        return Ok(Outcome::default());
    }
    let mut stdout = String::from("Destroyed symlinks:\n");
    for d in &destroyed {
        stdout.push_str(&format!("- {d}\n"));
    }
    let quoted: Vec<String> = destroyed
        .iter()
        .map(|d| shlex::try_quote(d).map_or_else(|_| d.clone(), |q| q.into_owned()))
        .collect();
    stdout.push_str("You should unstage affected files:\n");
    stdout.push_str(&format!("\tgit reset HEAD -- {}\n", quoted.join(" ")));
    stdout.push_str(
        "And retry commit. As a long term solution you may try to explicitly tell git that your environment does not support symlinks:\n",
    );
    stdout.push_str("\tgit config core.symlinks false\n");
    Ok(Outcome {
        failed: true,
        stdout,
        ..Default::default()
    })
}

/// The first two bytes are `#!`.
fn has_shebang(path: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let mut first = [0u8; 2];
    let mut file = std::fs::File::open(path)?;
    let mut got = 0;
    while got < 2 {
        let n = file.read(&mut first[got..])?;
        if n == 0 {
            break;
        }
        got += n;
    }
    Ok(got == 2 && first == *b"#!")
}

fn quote(s: &str) -> String {
    shlex::try_quote(s).map_or_else(|_| s.to_string(), |q| q.into_owned())
}

/// `git ls-files --stage` for the given files: every index entry (all
/// stages) under one of them, with whether its mode is executable.
fn staged_modes(located: &Located) -> Result<Vec<(String, bool)>, HygieneError> {
    let specs: Vec<BString> = located.paths.iter().flatten().cloned().collect();
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let index = index(&located.repo)?;
    Ok(index
        .entries()
        .iter()
        .filter(|e| pathspec_matches(&specs, e.path(&index)))
        .map(|e| {
            (
                e.path(&index).to_str_lossy().into_owned(),
                e.mode == Mode::FILE_EXECUTABLE,
            )
        })
        .collect())
}

fn not_executable_message(path: &str) -> String {
    let q = quote(path);
    format!(
        "{path}: marked executable but has no (or invalid) shebang!\n  If it isn't supposed to be executable, try: `chmod -x {q}`\n  If on Windows, you may also need to: `git add --chmod=-x {q}`\n  If it is supposed to be executable, double-check its shebang.\n"
    )
}

/// check-executables-have-shebangs: when git tracks the executable bit
/// (`core.fileMode` is not `false`) every given file is taken to be
/// executable (pre-commit only hands over executable files) and must start
/// with `#!`; otherwise the index modes decide which files are executable.
pub(super) fn executables_have_shebangs(ctx: &Context) -> Result<Outcome, HygieneError> {
    // Outside a repository `git config core.fileMode` says nothing, and the
    // reference checks every file it was given.
    let repo = Repo::discover(&ctx.dir).ok();
    let file_mode = repo
        .as_ref()
        .and_then(|r| r.gix().config_snapshot().string("core.fileMode"));
    let trusts_index = file_mode.is_some_and(|v| v.trim() == b"false");
    let checks: Vec<(String, PathBuf)> = if let (true, Some(repo)) = (trusts_index, repo) {
        let root = repo.work_tree()?.to_path_buf();
        let located = Located {
            paths: locate(ctx)?.paths,
            repo,
        };
        staged_modes(&located)?
            .into_iter()
            .filter(|(_, exec)| *exec)
            .map(|(p, _)| {
                let disk = root.join(fs_path(p.as_bytes()));
                (p, disk)
            })
            .collect()
    } else {
        ctx.files
            .iter()
            .map(|f| (f.to_string_lossy().into_owned(), ctx.dir.join(f)))
            .collect()
    };
    let reports = map(&checks, |(shown, disk)| match has_shebang(disk) {
        Ok(true) => FileReport::default(),
        Ok(false) => FileReport {
            failed: true,
            stderr: not_executable_message(shown),
            ..Default::default()
        },
        Err(e) => FileReport::io_error(shown, "read it", &e),
    });
    Ok(collect(reports))
}

/// check-shebang-scripts-are-executable: index entries for the given files
/// that start with `#!` but are not executable in the index.
pub(super) fn shebang_scripts_are_executable(ctx: &Context) -> Result<Outcome, HygieneError> {
    let located = locate(ctx)?;
    let root = located.repo.work_tree()?.to_path_buf();
    let entries: Vec<(String, PathBuf)> = staged_modes(&located)?
        .into_iter()
        .filter(|(_, exec)| !*exec)
        .map(|(p, _)| {
            let disk = root.join(fs_path(p.as_bytes()));
            (p, disk)
        })
        .collect();
    let reports = map(&entries, |(shown, disk)| match has_shebang(disk) {
        Ok(false) => FileReport::default(),
        Ok(true) => {
            let q = quote(shown);
            FileReport {
                failed: true,
                stderr: format!(
                    "{shown}: has a shebang but is not marked executable!\n  If it is supposed to be executable, try: `chmod +x {q}`\n  If on Windows, you may also need to: `git add --chmod=+x {q}`\n  If it is not supposed to be executable, double-check its shebang is wanted.\n\n"
                ),
                ..Default::default()
            }
        }
        Err(e) => FileReport::io_error(shown, "read it", &e),
    });
    Ok(collect(reports))
}

/// no-commit-to-branch: HEAD is a branch named in `--branch` (default main
/// and master) or matched from its start by a `--pattern`.
pub(super) fn no_commit_to_branch(
    ctx: &Context,
    branches: &[String],
    patterns: &[String],
) -> Result<Outcome, HygieneError> {
    let repo = Repo::discover(&ctx.dir)?;
    let head = repo
        .gix()
        .head_name()
        .map_err(|e| read_err("cannot read HEAD")(e.to_string()))?;
    let Some(head) = head else {
        return Ok(Outcome::default());
    };
    let full = head.as_bstr().to_str_lossy().into_owned();
    let branch = full.splitn(3, '/').nth(2).unwrap_or("").to_string();
    let protected = if branches.is_empty() {
        branch == "main" || branch == "master"
    } else {
        branches.contains(&branch)
    };
    let matched = patterns
        .iter()
        .any(|p| regex::Regex::new(&format!(r"\A(?:{p})")).is_ok_and(|re| re.is_match(&branch)));
    if protected || matched {
        Ok(Outcome {
            failed: true,
            stderr: format!("committing to branch {branch:?} is not allowed here\n"),
            ..Default::default()
        })
    } else {
        Ok(Outcome::default())
    }
}

/// forbid-new-submodules: submodules (gitlinks) added in the index, or in
/// `FROM...TO` when the run covers a ref range.
pub(super) fn forbid_new_submodules(ctx: &Context) -> Result<Outcome, HygieneError> {
    let located = locate(ctx)?;
    let specs: Vec<BString> = located.paths.iter().flatten().cloned().collect();
    let repo = &located.repo;
    let gix_repo = repo.gix();
    let tree_of = |id: gix::ObjectId| {
        gix_repo
            .find_tree(id)
            .map_err(|e| read_err("cannot read a tree")(e.to_string()))
    };
    let (old_tree, new_links): (gix::ObjectId, Vec<BString>) = match &ctx.ref_range {
        Some((from, to)) => {
            let from_id = repo.resolve_commit(from)?;
            let to_id = repo.resolve_commit(to)?;
            let base = match gix_repo.merge_base(from_id, to_id) {
                Ok(Some(id)) => id.detach(),
                _ => from_id,
            };
            let old = commit_tree(gix_repo, base)?;
            let new = commit_tree(gix_repo, to_id)?;
            let index: gix::index::State = gix_repo
                .index_from_tree(&new)
                .map_err(|e| read_err("cannot read a tree")(e.to_string()))?
                .into();
            (old, gitlinks(&index))
        }
        None => {
            let index = index(repo)?;
            (repo.head_tree_id()?, gitlinks(&index))
        }
    };
    let old_tree = tree_of(old_tree)?;
    let mut stdout = String::new();
    for link in new_links {
        if !pathspec_matches(&specs, link.as_bstr()) {
            continue;
        }
        let existed = old_tree
            .lookup_entry_by_path(fs_path(link.as_bytes()))
            .map_err(|e| read_err("cannot read a tree")(e.to_string()))?
            .is_some();
        if !existed {
            stdout.push_str(&format!(
                "{}: new submodule introduced\n",
                link.to_str_lossy()
            ));
        }
    }
    if stdout.is_empty() {
        return Ok(Outcome::default());
    }
    stdout.push_str(
        "\nThis commit introduces new submodules.\nDid you unintentionally `git add .`?\nTo fix: git rm {thesubmodule}  # no trailing slash\nAlso check .gitmodules\n",
    );
    Ok(Outcome {
        failed: true,
        stdout,
        ..Default::default()
    })
}

fn commit_tree(repo: &gix::Repository, id: gix::ObjectId) -> Result<gix::ObjectId, GitError> {
    repo.find_commit(id)
        .and_then(|c| c.tree_id().map(|t| t.detach()))
        .map_err(|e| read_err("cannot read a commit")(e.to_string()))
}

/// Stage-0 gitlink entries of an index.
fn gitlinks(index: &gix::index::State) -> Vec<BString> {
    index
        .entries()
        .iter()
        .filter(|e| e.stage_raw() == 0 && e.mode == Mode::COMMIT)
        .map(|e| e.path(index).to_owned())
        .collect()
}
