//! The single parallel walk that finds every match of every enabled
//! category in one pass, using the `ignore` crate's parallel walker with
//! all of its filtering off (no ignore files, hidden files included).
//!
//! It never follows symlinks, never descends into a match (the whole match
//! is removed), into `.git` (unless `--include-git`), into `site-packages`
//! (unless `--include-venv`) or into hephaestus's own `.hephaestus` state.
//! Names and kinds come from the directory listing (`d_type`), so ordinary
//! files cost no `stat`; only matches are `lstat`ed and sized.
//!
//! It stays on the mount of its scan root: every directory it would enter
//! is `statx`ed once for its mount id (a bind mount shares the device
//! number of its source, so the device alone is not enough), and a mount
//! point is reported and not entered. A match that is a mount point, or
//! holds one anywhere inside, is reported and left out of the plan, so a
//! bind-mounted `node_modules` is never emptied.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use crate::cleanup::ident::{self, Mount};
use crate::cleanup::rules::{Ancestry, Category, Decision, Entry, EntryKind, RuleSet};

/// One match, with the identity recorded for the re-check before deletion.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    pub kind: EntryKind,
    pub category: Category,
    pub dev: u64,
    pub ino: u64,
    pub mnt_id: Option<u64>,
    /// Apparent size in bytes (for a directory, of everything inside).
    pub size: u64,
    /// Number of non-directory entries (1 for a file or link).
    pub files: u64,
}

/// A problem met while walking (an unreadable directory, a mount point
/// left alone); the walk goes on and reports these as warnings. The
/// message reads after the path ("cannot read: …").
#[derive(Debug, Clone)]
pub struct WalkWarning {
    pub path: Option<PathBuf>,
    pub message: String,
}

/// What one walk found.
#[derive(Debug, Default)]
pub struct WalkReport {
    pub found: Vec<Found>,
    pub warnings: Vec<WalkWarning>,
}

/// What to walk.
pub struct WalkSettings<'a> {
    /// The scan root (a directory, canonical).
    pub root: &'a Path,
    /// The scan root's mount; the walk does not leave it.
    pub mount: Mount,
    pub rules: &'a RuleSet,
    /// Descend at most this many levels.
    pub max_depth: Option<usize>,
}

/// Walk the scan root with the rules.
pub fn walk(settings: &WalkSettings<'_>) -> WalkReport {
    let WalkSettings {
        root,
        mount,
        rules,
        max_depth,
    } = *settings;
    let found = Mutex::new(Vec::new());
    let warnings = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism()
        .map(|n| n.get().min(8))
        .unwrap_or(2);
    WalkBuilder::new(root)
        .standard_filters(false)
        .hidden(false)
        .parents(false)
        .ignore(false)
        .git_ignore(false)
        .git_global(false)
        .git_exclude(false)
        .require_git(false)
        .follow_links(false)
        .max_depth(max_depth)
        .threads(threads)
        .build_parallel()
        .run(|| {
            let found = &found;
            let warnings = &warnings;
            Box::new(move |res| {
                let entry = match res {
                    Ok(e) => e,
                    Err(err) => {
                        push(warnings, warning_of(&err));
                        return WalkState::Continue;
                    }
                };
                if entry.depth() == 0 {
                    return WalkState::Continue;
                }
                let Some(ft) = entry.file_type() else {
                    return WalkState::Continue;
                };
                let kind = EntryKind::from_file_type(ft);
                let path = entry.path();
                let rel = path.strip_prefix(root).unwrap_or(path);
                let rel_bytes = rel.as_os_str().as_bytes();
                let parent_dir = path.parent().unwrap_or(root);
                let e = Entry {
                    name: entry.file_name().as_bytes(),
                    kind,
                    rel: rel_bytes,
                    parent_dir,
                };
                let ancestry = || {
                    Ancestry::of(
                        rel.parent()
                            .into_iter()
                            .flat_map(|p| p.iter())
                            .map(|c| c.as_bytes()),
                    )
                };
                match rules.decide(&e, ancestry) {
                    Decision::Descend if kind == EntryKind::Dir => match ident::stat_path(path) {
                        Ok(m) if !mount.same(&m.mount()) => {
                            push(
                                warnings,
                                WalkWarning {
                                    path: Some(path.to_path_buf()),
                                    message: "a mount point; not entered".to_string(),
                                },
                            );
                            WalkState::Skip
                        }
                        _ => WalkState::Continue,
                    },
                    Decision::Descend => WalkState::Continue,
                    Decision::Prune(_) => WalkState::Skip,
                    Decision::Junk(category) => {
                        match measure(path, category, &mount) {
                            Ok(f) => push(found, f),
                            Err(message) => push(
                                warnings,
                                WalkWarning {
                                    path: Some(path.to_path_buf()),
                                    message,
                                },
                            ),
                        }
                        WalkState::Skip
                    }
                }
            })
        });
    WalkReport {
        found: found.into_inner().unwrap_or_else(|p| p.into_inner()),
        warnings: warnings.into_inner().unwrap_or_else(|p| p.into_inner()),
    }
}

fn push<T>(m: &Mutex<Vec<T>>, v: T) {
    m.lock().unwrap_or_else(|p| p.into_inner()).push(v);
}

fn warning_of(err: &ignore::Error) -> WalkWarning {
    let mut path = None;
    let mut e = err;
    loop {
        match e {
            ignore::Error::WithPath { path: p, err } => {
                path = Some(p.clone());
                e = err;
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                e = err;
            }
            _ => break,
        }
    }
    WalkWarning {
        path,
        message: format!("cannot read: {e}"),
    }
}

/// `lstat` a match and size it (a directory by walking it, links never
/// followed); a match on another mount, or holding a mount point, is
/// refused with the reason.
fn measure(path: &Path, category: Category, mount: &Mount) -> Result<Found, String> {
    let meta =
        ident::stat_path(path).map_err(|e| format!("cannot read: {}", std::io::Error::from(e)))?;
    if !mount.same(&meta.mount()) {
        return Err("a mount point; left alone".to_string());
    }
    let kind = EntryKind::from_raw(meta.file_type);
    let (size, files) = if kind == EntryKind::Dir {
        dir_usage(path, mount)
            .map_err(|inner| format!("holds the mount point {}; left alone", inner.display()))?
    } else {
        (meta.size, 1)
    };
    Ok(Found {
        path: path.to_path_buf(),
        kind,
        category,
        dev: meta.dev,
        ino: meta.ino,
        mnt_id: meta.mnt_id,
        size,
        files,
    })
}

/// Bytes and non-directory entries under `dir`; unreadable parts count as
/// empty (the deletion reports them if they still fail then). Anything on
/// another mount than `mount` is an error naming it.
pub fn dir_usage(dir: &Path, mount: &Mount) -> Result<(u64, u64), PathBuf> {
    let mut size = 0;
    let mut files = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for ent in rd.flatten() {
            let path = ent.path();
            let Ok(meta) = ident::stat_path(&path) else {
                continue;
            };
            if !mount.same(&meta.mount()) {
                return Err(path);
            }
            if meta.file_type == rustix::fs::FileType::Directory {
                stack.push(path);
            } else {
                files += 1;
                size += meta.size;
            }
        }
    }
    Ok((size, files))
}
