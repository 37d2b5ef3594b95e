//! The last step of an install, all or nothing: staged binaries and a
//! staged tree replace their targets together, or not at all.
//!
//! Everything is staged first (binaries as locked scratch files in the bin
//! directory, the tree as a scratch directory beside the destination, so
//! every move is a same-file-system rename). Then [`Swap::commit`] makes the
//! changes one by one, recording how to undo each:
//!
//! - a binary: the current target (if any) gets a second name, a backup
//!   (a hard link, or a copy of a symlink), then the staged file is renamed
//!   over the target. The target name always exists: a shell sees the old
//!   binary or the new one, never none. Undo renames the backup back (or
//!   removes the new file when there was no target).
//! - the tree: exchanged with the old destination in one atomic
//!   `renameat2(RENAME_EXCHANGE)` (`renamex_np(RENAME_SWAP)` on macOS);
//!   where the file system cannot exchange, the old tree is renamed to a
//!   backup and the new one into place. Undo exchanges (or renames) back.
//!
//! A target that is a directory where a binary goes (or a file where the
//! tree goes) fails that step. On any failure every step already made is
//! undone in reverse order, and the error says so; if an undo itself fails,
//! the error names what was left where instead of claiming nothing changed.
//! Backups are removed only after every step succeeded.

use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::scratch::{self, BACKUP_PREFIX};
use super::{ReleaseError, Result};

/// A binary ready to be renamed over its target.
pub struct StagedBinary {
    pub file: tempfile::NamedTempFile,
    pub target: PathBuf,
}

/// A tree ready to replace a destination directory.
pub struct StagedTree {
    pub dir: scratch::ScratchDir,
    pub target: PathBuf,
}

/// Everything one install will change.
#[derive(Default)]
pub struct Swap {
    pub tree: Option<StagedTree>,
    pub binaries: Vec<StagedBinary>,
}

/// A change made, and how to take it back.
enum Done {
    Binary {
        target: PathBuf,
        backup: Option<(PathBuf, Option<File>)>,
    },
    TreeExchanged {
        target: PathBuf,
        old_at: PathBuf,
        _locks: Vec<File>,
    },
    TreeRenamed {
        target: PathBuf,
        backup: Option<(PathBuf, File)>,
    },
}

impl Swap {
    /// Make every change, or none. On success the backups are removed
    /// (a failure there is returned as a warning, not an error).
    pub fn commit(mut self) -> Result<Vec<String>> {
        let mut done: Vec<Done> = Vec::new();
        let mut result = Ok(());
        if let Some(tree) = self.tree.take() {
            match swap_tree(tree) {
                Ok(step) => done.push(step),
                Err(e) => result = Err(e),
            }
        }
        if result.is_ok() {
            for binary in std::mem::take(&mut self.binaries) {
                match swap_binary(binary) {
                    Ok(step) => done.push(step),
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
        }
        match result {
            Ok(()) => Ok(done.into_iter().filter_map(finish).collect()),
            Err(cause) => Err(roll_back(cause, done)),
        }
    }
}

fn backup_name(target: &Path) -> Result<PathBuf> {
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| ReleaseError::Install(format!("{}: no file name", target.display())))?;
    Ok(target.with_file_name(format!("{BACKUP_PREFIX}{name}.{:08x}", fastrand::u32(..))))
}

fn swap_binary(staged: StagedBinary) -> Result<Done> {
    let target = staged.target.clone();
    let backup = match std::fs::symlink_metadata(&target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(ReleaseError::io(&target, e)),
        Ok(meta) if meta.is_dir() => {
            return Err(ReleaseError::Install(format!(
                "cannot install {}: a directory is in the way",
                target.display()
            )));
        }
        Ok(meta) if meta.is_file() || meta.file_type().is_symlink() => {
            Some(make_backup(&target, &meta)?)
        }
        Ok(_) => {
            return Err(ReleaseError::Install(format!(
                "cannot install {}: something other than a file is in the way",
                target.display()
            )));
        }
    };
    if let Err(e) = staged.file.persist(&target) {
        let _ = backup.map(|(path, _)| std::fs::remove_file(path));
        return Err(ReleaseError::io(&target, e.error));
    }
    Ok(Done::Binary { target, backup })
}

/// A second name for the current target: a hard link to a file (a copy
/// where the file system has no hard links), a new symlink with the same
/// text for a symlink. Locked, so a concurrent sweep leaves it alone.
fn make_backup(target: &Path, meta: &std::fs::Metadata) -> Result<(PathBuf, Option<File>)> {
    let backup = backup_name(target)?;
    if meta.file_type().is_symlink() {
        let text = std::fs::read_link(target).map_err(|e| ReleaseError::io(target, e))?;
        std::os::unix::fs::symlink(&text, &backup).map_err(|e| ReleaseError::io(&backup, e))?;
        return Ok((backup, None));
    }
    if std::fs::hard_link(target, &backup).is_err() {
        std::fs::copy(target, &backup).map_err(|e| ReleaseError::io(&backup, e))?;
        std::fs::set_permissions(&backup, std::fs::Permissions::from_mode(meta.mode_bits()))
            .map_err(|e| ReleaseError::io(&backup, e))?;
    }
    let lock = File::open(&backup).map_err(|e| ReleaseError::io(&backup, e))?;
    // Best effort: a failure only means a sweep could race us.
    let _ = scratch::lock(&lock, &backup);
    Ok((backup, Some(lock)))
}

trait ModeBits {
    fn mode_bits(&self) -> u32;
}

impl ModeBits for std::fs::Metadata {
    fn mode_bits(&self) -> u32 {
        self.permissions().mode() & 0o7777
    }
}

fn swap_tree(staged: StagedTree) -> Result<Done> {
    let StagedTree { mut dir, target } = staged;
    let new = dir.path().to_path_buf();
    match std::fs::symlink_metadata(&target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::rename(&new, &target).map_err(|e| ReleaseError::io(&target, e))?;
            dir.disarm();
            Ok(Done::TreeRenamed {
                target,
                backup: None,
            })
        }
        Err(e) => Err(ReleaseError::io(&target, e)),
        Ok(meta) if meta.is_dir() => {
            let old_lock = scratch::open_dir(&target).map_err(|e| ReleaseError::io(&target, e))?;
            scratch::lock(&old_lock, &target)?;
            if exchange(&new, &target).is_ok() {
                // `new` now holds the old tree, still locked by `old_lock`.
                dir.disarm();
                return Ok(Done::TreeExchanged {
                    target,
                    old_at: new,
                    _locks: vec![old_lock],
                });
            }
            let backup = backup_name(&target)?;
            std::fs::rename(&target, &backup).map_err(|e| ReleaseError::io(&target, e))?;
            if let Err(e) = std::fs::rename(&new, &target) {
                let _ = std::fs::rename(&backup, &target);
                return Err(ReleaseError::io(&target, e));
            }
            dir.disarm();
            Ok(Done::TreeRenamed {
                target,
                backup: Some((backup, old_lock)),
            })
        }
        Ok(_) => Err(ReleaseError::Install(format!(
            "--destination {} exists and is not a directory",
            target.display()
        ))),
    }
}

/// Atomically exchange two paths on the same file system.
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    rustix::fs::renameat_with(
        rustix::fs::CWD,
        a,
        rustix::fs::CWD,
        b,
        rustix::fs::RenameFlags::EXCHANGE,
    )
    .map_err(std::io::Error::from)
}

/// After success: drop the backups. Returns a warning if one stays.
fn finish(step: Done) -> Option<String> {
    let leftover = match step {
        Done::Binary {
            backup: Some((path, _lock)),
            ..
        } => std::fs::remove_file(&path).err().map(|e| (path, e)),
        Done::TreeExchanged { old_at, .. } => {
            std::fs::remove_dir_all(&old_at).err().map(|e| (old_at, e))
        }
        Done::TreeRenamed {
            backup: Some((path, _lock)),
            ..
        } => std::fs::remove_dir_all(&path).err().map(|e| (path, e)),
        _ => None,
    };
    leftover.map(|(path, e)| {
        format!(
            "could not remove the old copy {}: {e} (the next install removes it)",
            path.display()
        )
    })
}

/// Undo `done` in reverse order; the error says whether that worked.
fn roll_back(cause: ReleaseError, done: Vec<Done>) -> ReleaseError {
    let mut failures = Vec::new();
    for step in done.into_iter().rev() {
        if let Err(message) = undo(step) {
            failures.push(message);
        }
    }
    if failures.is_empty() {
        ReleaseError::Install(format!(
            "{cause}; every change was rolled back, nothing was installed"
        ))
    } else {
        ReleaseError::Install(format!(
            "{cause}; rolling back failed too, so the install is incomplete: {}",
            failures.join("; ")
        ))
    }
}

fn undo(step: Done) -> std::result::Result<(), String> {
    match step {
        Done::Binary {
            target,
            backup: Some((backup, _lock)),
        } => std::fs::rename(&backup, &target).map_err(|e| {
            format!(
                "{} is the new version; the old one is at {} ({e})",
                target.display(),
                backup.display()
            )
        }),
        Done::Binary {
            target,
            backup: None,
        } => std::fs::remove_file(&target)
            .map_err(|e| format!("{} was installed and stays ({e})", target.display())),
        Done::TreeExchanged { target, old_at, .. } => exchange(&old_at, &target)
            .map_err(|e| {
                format!(
                    "{} holds the new tree; the old one is at {} ({e})",
                    target.display(),
                    old_at.display()
                )
            })
            .map(|()| {
                let _ = std::fs::remove_dir_all(&old_at);
            }),
        Done::TreeRenamed {
            target,
            backup: None,
        } => std::fs::remove_dir_all(&target)
            .map_err(|e| format!("{} was unpacked and stays ({e})", target.display())),
        Done::TreeRenamed {
            target,
            backup: Some((backup, _lock)),
        } => {
            let aside = backup_name(&target).map_err(|e| e.to_string())?;
            std::fs::rename(&target, &aside)
                .and_then(|()| std::fs::rename(&backup, &target))
                .map_err(|e| {
                    format!(
                        "{} could not be restored from {} ({e})",
                        target.display(),
                        backup.display()
                    )
                })
                .map(|()| {
                    let _ = std::fs::remove_dir_all(&aside);
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staged(bin: &Path, name: &str, content: &[u8]) -> StagedBinary {
        let file = scratch::file_in(bin).unwrap();
        std::fs::write(file.path(), content).unwrap();
        StagedBinary {
            file,
            target: bin.join(name),
        }
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn commit_replaces_everything_and_leaves_no_backups() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        std::fs::write(bin.join("a"), b"old a").unwrap();
        std::os::unix::fs::symlink("a", bin.join("b")).unwrap();
        let dest = dir.path().join("share");
        std::fs::create_dir(&dest).unwrap();
        std::fs::write(dest.join("old"), b"old tree").unwrap();
        let tree = scratch::ScratchDir::new_in(dir.path()).unwrap();
        std::fs::write(tree.path().join("new"), b"new tree").unwrap();
        let warnings = Swap {
            tree: Some(StagedTree {
                dir: tree,
                target: dest.clone(),
            }),
            binaries: vec![staged(&bin, "a", b"new a"), staged(&bin, "b", b"new b")],
        }
        .commit()
        .unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(std::fs::read(bin.join("a")).unwrap(), b"new a");
        assert!(!bin.join("b").is_symlink());
        assert_eq!(std::fs::read(bin.join("b")).unwrap(), b"new b");
        assert_eq!(listing(&bin), ["a", "b"]);
        assert_eq!(listing(&dest), ["new"]);
        assert_eq!(listing(dir.path()), ["bin", "share"]);
    }

    /// A failure at the last step undoes the earlier ones: the old
    /// binaries (a file and a symlink), the old tree, nothing new left.
    #[test]
    fn a_failing_step_rolls_back_every_earlier_one() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        std::fs::write(bin.join("a"), b"old a").unwrap();
        std::os::unix::fs::symlink("a", bin.join("b")).unwrap();
        std::fs::create_dir(bin.join("d")).unwrap();
        let dest = dir.path().join("share");
        std::fs::create_dir(&dest).unwrap();
        std::fs::write(dest.join("old"), b"old tree").unwrap();
        let tree = scratch::ScratchDir::new_in(dir.path()).unwrap();
        std::fs::write(tree.path().join("new"), b"new tree").unwrap();
        let err = Swap {
            tree: Some(StagedTree {
                dir: tree,
                target: dest.clone(),
            }),
            binaries: vec![
                staged(&bin, "a", b"new a"),
                staged(&bin, "b", b"new b"),
                staged(&bin, "c", b"new c"),
                staged(&bin, "d", b"new d"),
            ],
        }
        .commit()
        .unwrap_err()
        .to_string();
        assert!(err.contains("a directory is in the way"), "{err}");
        assert!(err.contains("nothing was installed"), "{err}");
        assert_eq!(std::fs::read(bin.join("a")).unwrap(), b"old a");
        assert_eq!(std::fs::read_link(bin.join("b")).unwrap(), Path::new("a"));
        assert_eq!(listing(&bin), ["a", "b", "d"], "no new c, no backups");
        assert_eq!(listing(&dest), ["old"]);
        assert_eq!(listing(dir.path()), ["bin", "share"]);
    }

    #[test]
    fn a_new_destination_is_removed_on_roll_back() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(bin.join("tool")).unwrap();
        let dest = dir.path().join("share");
        let tree = scratch::ScratchDir::new_in(dir.path()).unwrap();
        std::fs::write(tree.path().join("new"), b"new tree").unwrap();
        let err = Swap {
            tree: Some(StagedTree {
                dir: tree,
                target: dest.clone(),
            }),
            binaries: vec![staged(&bin, "tool", b"x")],
        }
        .commit();
        assert!(err.is_err());
        assert!(!dest.exists());
        assert_eq!(listing(dir.path()), ["bin"]);
    }
}
