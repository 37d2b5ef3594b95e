//! Temp files and directories of an install, and the sweep that removes
//! the ones a killed run left behind.
//!
//! Everything the installer writes before it is verified and committed is
//! a *scratch* entry whose name starts with [`TEMP_PREFIX`]: downloads in
//! the cache's `tmp/`, the unpacked archive (in the cache, or beside
//! `--destination`), staged binaries in `--bin-dir`. Backups made during
//! the final swap start with [`BACKUP_PREFIX`]. A run holds an exclusive
//! `flock` on each entry it owns for as long as the entry exists, so the
//! kernel releases the lock the moment the run dies, however it dies.
//!
//! [`sweep`] (run at the start of every install on each of those
//! directories) removes an entry only when all of these hold: its name has
//! one of our prefixes, it is a regular file or directory (never a
//! symlink) owned by this user, it has not changed for [`STALE_AFTER`] (a
//! brand-new entry may not be locked yet), and its lock can be taken (its
//! owner is gone). A stale backup whose original is missing (a run killed
//! halfway through a directory swap) is put back instead of removed. The
//! names earlier versions used ([`LEGACY_PREFIXES`]), which were never
//! cleaned, are swept the same way.

use std::fs::File;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rustix::fs::{FlockOperation, flock};

use super::{ReleaseError, Result};

/// Names of scratch entries start with this.
pub const TEMP_PREFIX: &str = ".hephaestus-tmp-";
/// Names of backups made during a swap start with this, then the original
/// name, a `.` and a random suffix.
pub const BACKUP_PREFIX: &str = ".hephaestus-old-";
/// Temp names of hephaestus 0.1 (before scratch entries): downloads in
/// the cache's `tmp/`, unpacked archives beside `--destination` or in the
/// system temp dir, Sigstore bundles in the system temp dir.
pub const LEGACY_PREFIXES: [&str; 3] = ["download-", ".hephaestus-extract-", "hephaestus-release-"];
/// An entry younger than this is never swept.
pub const STALE_AFTER: Duration = Duration::from_secs(60);

/// Take the exclusive lock on an open file or directory without waiting.
/// `Ok(false)` when somebody else holds it.
fn try_lock(file: &File) -> std::io::Result<bool> {
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Open a directory (not through a symlink) for locking.
pub fn open_dir(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW)
        .open(path)
}

/// Open a regular file (not through a symlink) for locking.
fn open_file(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

/// Lock `file` for this run; an error if another run holds it.
pub fn lock(file: &File, path: &Path) -> Result<()> {
    match try_lock(file) {
        Ok(true) => Ok(()),
        Ok(false) => Err(ReleaseError::Install(format!(
            "{} is in use by another hephaestus run",
            path.display()
        ))),
        Err(e) => Err(ReleaseError::io(path, e)),
    }
}

/// A scratch file in `dir`, locked; removed when dropped.
pub fn file_in(dir: &Path) -> Result<tempfile::NamedTempFile> {
    std::fs::create_dir_all(dir).map_err(|e| ReleaseError::io(dir, e))?;
    let file = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
        .map_err(|e| ReleaseError::io(dir, e))?;
    lock(file.as_file(), file.path())?;
    Ok(file)
}

/// A scratch directory, locked; removed (with its content) when dropped.
pub struct ScratchDir {
    dir: Option<tempfile::TempDir>,
    _lock: File,
}

impl ScratchDir {
    /// A new, empty scratch directory in `parent` (mode 0700).
    pub fn new_in(parent: &Path) -> Result<Self> {
        std::fs::create_dir_all(parent).map_err(|e| ReleaseError::io(parent, e))?;
        let dir = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempdir_in(parent)
            .map_err(|e| ReleaseError::io(parent, e))?;
        let handle = open_dir(dir.path()).map_err(|e| ReleaseError::io(dir.path(), e))?;
        lock(&handle, dir.path())?;
        Ok(Self {
            dir: Some(dir),
            _lock: handle,
        })
    }

    pub fn path(&self) -> &Path {
        self.dir.as_ref().map_or(Path::new(""), |d| d.path())
    }

    /// Stop removing the directory on drop (it was moved into place); the
    /// lock is held until `self` is dropped.
    pub fn disarm(&mut self) {
        if let Some(dir) = self.dir.take() {
            let _ = dir.keep();
        }
    }
}

/// What [`sweep`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    /// Entries removed.
    pub removed: usize,
    /// Bytes they held (files, and files inside removed directories).
    pub bytes: u64,
    /// Backups put back where their original was missing.
    pub restored: Vec<PathBuf>,
}

impl Swept {
    pub fn is_empty(&self) -> bool {
        self.removed == 0 && self.restored.is_empty()
    }

    fn add(&mut self, other: Swept) {
        self.removed += other.removed;
        self.bytes += other.bytes;
        self.restored.extend(other.restored);
    }
}

/// Remove the stale entries of ours in each directory: scratch entries,
/// backups (put back instead when their original is gone), and names
/// starting with one of that directory's extra prefixes. Missing
/// directories are skipped; an entry that cannot be removed is left for
/// the next run.
pub fn sweep(dirs: &[(&Path, &[&str])]) -> Swept {
    let mut total = Swept::default();
    let now = SystemTime::now();
    for (dir, extra) in dirs {
        total.add(sweep_one(dir, extra, now));
    }
    total
}

fn sweep_one(dir: &Path, extra: &[&str], now: SystemTime) -> Swept {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid takes no arguments, cannot fail and touches no memory.
    let me = unsafe { libc::geteuid() };
    let mut swept = Swept::default();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return swept;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let backup_of = name
            .strip_prefix(BACKUP_PREFIX)
            .and_then(|rest| rest.rsplit_once('.'))
            .map(|(original, _)| original.to_string());
        let ours = name.starts_with(TEMP_PREFIX) || extra.iter().any(|p| name.starts_with(p));
        if !ours && backup_of.is_none() {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let fresh = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_none_or(|age| age < STALE_AFTER);
        // A symlink is only ever a backup of a symlinked binary; it cannot
        // be locked, but the swap that made it lasts far less than
        // STALE_AFTER.
        let link_backup = meta.file_type().is_symlink() && backup_of.is_some();
        if fresh || !(meta.is_file() || meta.is_dir() || link_backup) || meta.uid() != me {
            continue;
        }
        let _lock = if link_backup {
            None
        } else {
            let handle = if meta.is_dir() {
                open_dir(&path)
            } else {
                open_file(&path)
            };
            let Ok(handle) = handle else { continue };
            if !matches!(try_lock(&handle), Ok(true)) {
                continue;
            }
            Some(handle)
        };
        if let Some(original) = backup_of.filter(|o| !o.is_empty() && !o.contains('/')) {
            let original = dir.join(original);
            if std::fs::symlink_metadata(&original).is_err() {
                if std::fs::rename(&path, &original).is_ok() {
                    swept.restored.push(original);
                }
                continue;
            }
        }
        let bytes = if meta.is_dir() {
            tree_bytes(&path)
        } else if meta.is_file() {
            meta.len()
        } else {
            0
        };
        let removed = if meta.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        if removed.is_ok() {
            swept.removed += 1;
            swept.bytes += bytes;
        }
    }
    swept
}

/// Bytes of the regular files under `dir` (symlinks are not followed).
fn tree_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(entry.path()),
                Ok(t) if t.is_file() => {
                    total += entry.metadata().map(|m| m.len()).unwrap_or(0);
                }
                _ => {}
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn age(path: &Path) {
        let old = SystemTime::now() - Duration::from_secs(3600);
        let file = if path.is_dir() {
            open_dir(path).unwrap()
        } else {
            File::options().write(true).open(path).unwrap()
        };
        file.set_modified(old).unwrap();
    }

    #[test]
    fn only_stale_unlocked_entries_of_ours_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let live = file_in(dir.path()).unwrap();
        let live_dir = ScratchDir::new_in(dir.path()).unwrap();
        // A killed run's leftovers: not locked by anyone.
        let dead = dir.path().join(format!("{TEMP_PREFIX}dead"));
        std::fs::write(&dead, vec![0u8; 1000]).unwrap();
        let dead_dir = dir.path().join(format!("{TEMP_PREFIX}deaddir"));
        std::fs::create_dir_all(dead_dir.join("a/b")).unwrap();
        std::fs::write(dead_dir.join("a/b/big"), vec![0u8; 500]).unwrap();
        let young = dir.path().join(format!("{TEMP_PREFIX}young"));
        std::fs::write(&young, b"x").unwrap();
        let theirs = dir.path().join("tool");
        std::fs::write(&theirs, b"user file").unwrap();
        for p in [live.path(), live_dir.path(), &dead, &dead_dir, &theirs] {
            age(p);
        }
        let legacy = dir.path().join(".hephaestus-extract-abc123");
        std::fs::create_dir(&legacy).unwrap();
        age(&legacy);
        let swept = sweep(&[
            (dir.path(), &LEGACY_PREFIXES),
            (&dir.path().join("missing"), &[]),
        ]);
        assert_eq!(swept.removed, 3, "{swept:?}");
        assert_eq!(swept.bytes, 1500);
        assert!(!dead.exists() && !dead_dir.exists() && !legacy.exists());
        assert!(live.path().exists(), "a locked file belongs to a live run");
        assert!(
            live_dir.path().exists(),
            "a locked dir belongs to a live run"
        );
        assert!(young.exists(), "a fresh entry may not be locked yet");
        assert!(theirs.exists());
    }

    #[test]
    fn a_stale_backup_is_restored_when_its_original_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let backup = dir.path().join(format!("{BACKUP_PREFIX}share.x1y2"));
        std::fs::create_dir(&backup).unwrap();
        std::fs::write(backup.join("keep"), b"old tree").unwrap();
        age(&backup);
        let other = dir.path().join(format!("{BACKUP_PREFIX}tool.z9"));
        std::fs::write(&other, b"old tool").unwrap();
        std::fs::write(dir.path().join("tool"), b"new tool").unwrap();
        age(&other);
        // A symlink backup whose original is gone (its age is its
        // creation time, so it is not aged here: it is left alone).
        let link = dir.path().join(format!("{BACKUP_PREFIX}alias.a1"));
        std::os::unix::fs::symlink("tool", &link).unwrap();
        let swept = sweep(&[(dir.path(), &[])]);
        assert!(
            link.is_symlink(),
            "a fresh symlink backup may be a live one"
        );
        assert_eq!(swept.restored, vec![dir.path().join("share")]);
        assert_eq!(
            std::fs::read(dir.path().join("share/keep")).unwrap(),
            b"old tree"
        );
        assert_eq!(swept.removed, 1, "the tool's original exists");
        assert!(!other.exists());
        assert_eq!(std::fs::read(dir.path().join("tool")).unwrap(), b"new tool");
    }
}
