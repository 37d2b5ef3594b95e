//! The single parallel walk that finds every match of every enabled
//! category in one pass, using the `ignore` crate's parallel walker with
//! all of its filtering off (no ignore files, hidden files included).
//!
//! It never follows symlinks, never descends into a match (the whole match
//! is removed), into `.git` (unless `--include-git`), into `site-packages`
//! (unless `--include-venv`) or into hephaestus's own `.hephaestus` state.
//! Names and kinds come from the directory listing (`d_type`), so ordinary
//! files cost no `stat`; only matches are `lstat`ed and sized.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use crate::cleanup::rules::{Ancestry, Category, Decision, Entry, EntryKind, RuleSet};

/// One match, with the identity recorded for the re-check before deletion.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    pub kind: EntryKind,
    pub category: Category,
    pub dev: u64,
    pub ino: u64,
    /// Apparent size in bytes (for a directory, of everything inside).
    pub size: u64,
    /// Number of non-directory entries (1 for a file or link).
    pub files: u64,
}

/// A problem met while walking (an unreadable directory, say); the walk
/// goes on and reports these as warnings.
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

/// Walk `root` (a directory) with `rules`, down to `max_depth` levels.
pub fn walk(root: &Path, rules: &RuleSet, max_depth: Option<usize>) -> WalkReport {
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
                    Decision::Descend => WalkState::Continue,
                    Decision::Prune(_) => WalkState::Skip,
                    Decision::Junk(category) => {
                        match measure(path, kind, category) {
                            Ok(f) => push(found, f),
                            Err(err) => push(
                                warnings,
                                WalkWarning {
                                    path: Some(path.to_path_buf()),
                                    message: format!("cannot read: {err}"),
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
        message: e.to_string(),
    }
}

/// `lstat` a match and size it (a directory by walking it, links never
/// followed).
fn measure(path: &Path, kind: EntryKind, category: Category) -> std::io::Result<Found> {
    let meta = std::fs::symlink_metadata(path)?;
    let kind = if meta.file_type().is_symlink() || meta.is_dir() || meta.is_file() {
        EntryKind::from_file_type(meta.file_type())
    } else {
        kind
    };
    let (size, files) = if kind == EntryKind::Dir {
        dir_usage(path)
    } else {
        (meta.len(), 1)
    };
    Ok(Found {
        path: path.to_path_buf(),
        kind,
        category,
        dev: meta.dev(),
        ino: meta.ino(),
        size,
        files,
    })
}

/// Bytes and non-directory entries under `dir`; unreadable parts count as
/// empty (the deletion reports them if they still fail then).
pub fn dir_usage(dir: &Path) -> (u64, u64) {
    let mut size = 0;
    let mut files = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for ent in rd.flatten() {
            let Ok(ft) = ent.file_type() else { continue };
            if ft.is_dir() {
                stack.push(ent.path());
            } else {
                files += 1;
                if let Ok(m) = ent.metadata() {
                    size += m.len();
                }
            }
        }
    }
    (size, files)
}
