//! Work the keeper could not, or must not, write into the work tree is
//! kept as plain files in `<git dir>/hephaestus/kept/<time>-<pid>/`:
//!
//! - `saved/<path>`: the user's version from before the run, when it could
//!   not be put back (the path changed while the hook ran and the newer
//!   content stays, or something git would not write through is in the
//!   way, or the write failed);
//! - `replaced/<path>`: what `hook recover` found in the work tree and
//!   replaced with the saved version, when that was neither the index
//!   version the run wrote nor the saved version (a step's or somebody's
//!   later edit);
//! - `changes.patch`: `saved/` as a git binary patch against the index;
//! - `README.txt`: every path, which of the two, and why.
//!
//! Nothing here is ever deleted by hephaestus; every run and `hook
//! recover` mention the directories until the user removes them.

use std::path::{Path, PathBuf};

use super::backup::BackupReader;
use super::journal::{Entry, Saved, io_at};
use super::{PATCH_LITERAL_LIMIT, SYMLINK, blob_id};
use crate::git::{BStr, BString, ByteSlice, Repo};
use crate::run::keeper::patch;
use crate::run::keeper::worktree::{Content, WorkTree};

/// Which version of a path was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsideKind {
    /// The user's version from before the run (`saved/`).
    Saved,
    /// The work-tree content that was replaced (`replaced/`).
    Replaced,
}

impl AsideKind {
    fn dir(self) -> &'static str {
        match self {
            AsideKind::Saved => "saved",
            AsideKind::Replaced => "replaced",
        }
    }
}

/// One kept path.
#[derive(Debug, Clone)]
pub struct AsidePath {
    pub path: BString,
    pub kind: AsideKind,
    pub reason: String,
}

impl AsidePath {
    /// Where its content is (nothing is there for a path that was absent).
    pub fn location(&self, dir: &Path) -> PathBuf {
        crate::git::to_path(&dir.join(self.kind.dir()), self.path.as_bstr())
    }
}

/// What was kept, and where.
#[derive(Debug, Clone)]
pub struct Aside {
    pub dir: PathBuf,
    pub paths: Vec<AsidePath>,
}

/// Writes one kept directory, created on first use.
pub(super) struct AsideWriter {
    root: PathBuf,
    dir: Option<(PathBuf, WorkTree)>,
    paths: Vec<AsidePath>,
    patch: String,
}

impl AsideWriter {
    pub fn new(root: &Path) -> AsideWriter {
        AsideWriter {
            root: root.to_path_buf(),
            dir: None,
            paths: Vec::new(),
            patch: String::new(),
        }
    }

    fn open(&mut self) -> anyhow::Result<&WorkTree> {
        if self.dir.is_none() {
            let stamp = time::OffsetDateTime::now_utc()
                .format(time::macros::format_description!(
                    "[year][month][day]T[hour][minute][second]Z"
                ))
                .unwrap_or_default();
            std::fs::create_dir_all(&self.root).map_err(io_at("create", &self.root))?;
            let mut n = 0;
            let dir = loop {
                let name = if n == 0 {
                    format!("{stamp}-{}", std::process::id())
                } else {
                    format!("{stamp}-{}-{n}", std::process::id())
                };
                let dir = self.root.join(name);
                match std::fs::create_dir(&dir) {
                    Ok(()) => break dir,
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
                    Err(e) => return Err(io_at("create", &dir)(e)),
                }
            };
            let tree = WorkTree::open(&dir)?;
            self.dir = Some((dir, tree));
        }
        match &self.dir {
            Some((_, tree)) => Ok(tree),
            None => unreachable!("opened above"),
        }
    }

    /// Keep the saved state of `e` (it is not being put back).
    pub fn keep_saved(
        &mut self,
        e: &Entry,
        backup: &BackupReader,
        reason: String,
    ) -> anyhow::Result<()> {
        let rel = e.rel();
        let kept = BString::from([b"saved/", rel.as_slice()].concat());
        let old = patch::Side {
            mode: e.index_mode,
            id: e.index_blob.clone(),
            data: Some(&[]),
        };
        let section = match &e.saved {
            Saved::File { stored, mode } => {
                let tree = self.open()?;
                let mut src = backup.reader(stored)?;
                tree.write_file(kept.as_bstr(), &mut src, *mode, &mut Vec::new())?;
                let data = if stored.len <= PATCH_LITERAL_LIMIT {
                    Some(backup.read(stored)?)
                } else {
                    None
                };
                let new = patch::Side {
                    mode: if mode & 0o111 != 0 {
                        0o100755
                    } else {
                        0o100644
                    },
                    id: data
                        .as_deref()
                        .map(blob_id)
                        .unwrap_or_else(|| "0".repeat(40)),
                    data: data.as_deref(),
                };
                patch::section(&rel, Some(&old), Some(&new))
            }
            Saved::Symlink { stored } => {
                let target = backup.read(stored)?;
                self.open()?
                    .write_symlink(kept.as_bstr(), &target, &mut Vec::new())?;
                let new = patch::Side {
                    mode: SYMLINK,
                    id: blob_id(&target),
                    data: Some(&target),
                };
                patch::section(&rel, Some(&old), Some(&new))
            }
            Saved::Missing { .. } => {
                self.open()?;
                patch::section(&rel, Some(&old), None)
            }
        };
        self.patch.push_str(&section);
        self.paths.push(AsidePath {
            path: rel,
            kind: AsideKind::Saved,
            reason,
        });
        Ok(())
    }

    /// Keep what is at `rel` in `tree` now (it is about to be replaced).
    pub fn keep_current(
        &mut self,
        tree: &WorkTree,
        rel: &BStr,
        reason: String,
    ) -> anyhow::Result<()> {
        let kept = BString::from([b"replaced/", rel.as_bytes()].concat());
        match tree.read(rel)? {
            Content::File { mut file, mode, .. } => {
                self.open()?
                    .write_file(kept.as_bstr(), &mut file, mode, &mut Vec::new())?;
            }
            Content::Symlink(target) => {
                self.open()?
                    .write_symlink(kept.as_bstr(), &target, &mut Vec::new())?;
            }
            _ => return Ok(()),
        }
        self.paths.push(AsidePath {
            path: rel.to_owned(),
            kind: AsideKind::Replaced,
            reason,
        });
        Ok(())
    }

    /// Write the README and the patch; `None` when nothing was kept.
    pub fn finish(self) -> anyhow::Result<Option<Aside>> {
        let Some((dir, _)) = self.dir else {
            return Ok(None);
        };
        let mut readme = format!(
            "Work that hephaestus (pid {}) could not put back into the work tree.\n\n\
             saved/<path>     your version from before the hook run (permission bits kept)\n\
             replaced/<path>  what was in the work tree when `hook recover` replaced it\n\
             changes.patch    saved/ as a patch against the index\n\n",
            std::process::id()
        );
        for p in &self.paths {
            readme.push_str(&format!(
                "{}/{}\n    {}\n",
                p.kind.dir(),
                p.path.to_str_lossy(),
                p.reason
            ));
        }
        readme.push_str("\nDelete this directory once you have what you need.\n");
        let readme_path = dir.join("README.txt");
        std::fs::write(&readme_path, readme).map_err(io_at("write", &readme_path))?;
        if !self.patch.is_empty() {
            let patch_path = dir.join("changes.patch");
            std::fs::write(&patch_path, &self.patch).map_err(io_at("write", &patch_path))?;
        }
        Ok(Some(Aside {
            dir,
            paths: self.paths,
        }))
    }
}

/// The kept directories of this work tree, oldest first.
pub fn kept_dirs(repo: &Repo) -> Vec<PathBuf> {
    let root = super::journal::Files::of(repo).kept;
    let Ok(read) = std::fs::read_dir(&root) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = read
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    dirs.sort();
    dirs
}
