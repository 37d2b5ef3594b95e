//! Removing planned paths without ever touching anything outside their
//! scan root, even if the tree changes between the preview and the
//! deletion.
//!
//! Every operation is relative to directory file descriptors: the scan
//! root is opened with `O_NOFOLLOW` and checked against the identity
//! recorded in the plan, then each parent component is opened with
//! `openat(…, O_DIRECTORY | O_NOFOLLOW)`, so a directory swapped for a
//! symlink makes the open fail instead of redirecting the deletion. The
//! entry itself is `lstat`ed relative to its parent and must still have
//! the device, inode and type seen in the preview. Removal is then
//! `renameat` into the quarantine (a symlink moves as a link) or, with
//! `--permanent`, `unlinkat`; a directory is emptied through descriptors
//! opened the same way, never through path strings.
//!
//! When the quarantine is on another filesystem (`EXDEV`), the entry is
//! copied (contents, mode, times; links as links) and then removed.

use std::ffi::{CString, OsStr};
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat, Timestamps};
use rustix::io::Errno;
use sha2::{Digest, Sha256};

use crate::cleanup::plan::Identity;
use crate::cleanup::rules::EntryKind;

/// Why one path was not removed (or restored).
#[derive(Debug, thiserror::Error)]
pub enum DeleteError {
    /// The path changed since the preview; it was left alone.
    #[error("changed since the preview ({0}); left alone")]
    Changed(String),
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(Errno) -> DeleteError + 'a {
    move |e| DeleteError::Io {
        op,
        path: path.display().to_string(),
        source: e.into(),
    }
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

#[allow(clippy::unnecessary_cast)] // field types differ between platforms
fn ident_of(st: &Stat) -> (u64, u64, FileType) {
    (
        st.st_dev as u64,
        st.st_ino as u64,
        FileType::from_raw_mode(st.st_mode as _),
    )
}

fn kind_matches(ft: FileType, kind: EntryKind) -> bool {
    match kind {
        EntryKind::Dir => ft == FileType::Directory,
        EntryKind::File => ft == FileType::RegularFile,
        EntryKind::Symlink => ft == FileType::Symlink,
        EntryKind::Other => !matches!(
            ft,
            FileType::Directory | FileType::RegularFile | FileType::Symlink
        ),
    }
}

/// Open a directory by path, refusing a symlink as its last component.
pub fn open_dir(path: &Path) -> Result<OwnedFd, DeleteError> {
    rustix::fs::open(path, DIR_FLAGS, Mode::empty()).map_err(|e| match e {
        Errno::LOOP | Errno::NOTDIR => {
            DeleteError::Changed(format!("{} is no longer a directory", path.display()))
        }
        e => io("open", path)(e),
    })
}

/// Open the scan root and check it is the directory that was planned.
pub fn open_root(path: &Path, expect: &Identity) -> Result<OwnedFd, DeleteError> {
    let fd = open_dir(path)?;
    let st = rustix::fs::fstat(&fd).map_err(io("stat", path))?;
    let (dev, ino, _) = ident_of(&st);
    if dev != expect.dev || ino != expect.ino {
        return Err(DeleteError::Changed(format!(
            "the scan root {} was replaced",
            path.display()
        )));
    }
    Ok(fd)
}

/// Split a relative path into its parent components and its name; only
/// plain components are accepted.
fn split(rel: &Path) -> Result<(Vec<&OsStr>, &OsStr), DeleteError> {
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(s) => parts.push(s),
            _ => {
                return Err(DeleteError::Changed(format!(
                    "unexpected component in {}",
                    rel.display()
                )));
            }
        }
    }
    let name = parts
        .pop()
        .ok_or_else(|| DeleteError::Changed("empty relative path".to_string()))?;
    Ok((parts, name))
}

/// Open `rel`'s parent under `root_fd`, every component with
/// `O_NOFOLLOW`; with `create`, make missing directories (for undo).
fn open_parent<'a>(
    root_fd: &OwnedFd,
    rel: &'a Path,
    create: bool,
) -> Result<(OwnedFd, &'a OsStr), DeleteError> {
    let (parents, name) = split(rel)?;
    let mut fd =
        rustix::fs::openat(root_fd, ".", DIR_FLAGS, Mode::empty()).map_err(io("open", rel))?;
    for c in parents {
        let next = match rustix::fs::openat(&fd, c, DIR_FLAGS, Mode::empty()) {
            Err(Errno::NOENT) if create => {
                match rustix::fs::mkdirat(&fd, c, Mode::from_raw_mode(0o755)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(io("create directory", rel)(e)),
                }
                rustix::fs::openat(&fd, c, DIR_FLAGS, Mode::empty())
            }
            other => other,
        };
        fd = next.map_err(|e| match e {
            Errno::LOOP | Errno::NOTDIR => DeleteError::Changed(format!(
                "{:?} in {} is no longer a directory",
                c,
                rel.display()
            )),
            Errno::NOENT => DeleteError::Changed(format!("{} no longer exists", rel.display())),
            e => io("open", rel)(e),
        })?;
    }
    Ok((fd, name))
}

/// `lstat` relative to the parent and compare with the plan.
fn recheck(
    parent: &OwnedFd,
    name: &OsStr,
    expect: &Identity,
    rel: &Path,
) -> Result<Stat, DeleteError> {
    let st = rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW).map_err(|e| match e {
        Errno::NOENT => DeleteError::Changed("it no longer exists".to_string()),
        e => io("stat", rel)(e),
    })?;
    let (dev, ino, ft) = ident_of(&st);
    if dev != expect.dev || ino != expect.ino || !kind_matches(ft, expect.kind) {
        return Err(DeleteError::Changed(
            "it was replaced by a different file".to_string(),
        ));
    }
    Ok(st)
}

/// How a path leaves the tree.
pub enum Disposal<'a> {
    /// `--permanent`.
    Permanent,
    /// Move into the quarantine directory under this name.
    Quarantine { dir: &'a OwnedFd, name: &'a str },
}

/// What was removed.
#[derive(Debug, Clone, Default)]
pub struct Removed {
    pub sha256: Option<String>,
    pub mode: u32,
    /// Crossed filesystems: copied into the quarantine, then deleted.
    pub copied: bool,
}

/// Re-check and remove one planned path.
pub fn remove(
    root_fd: &OwnedFd,
    rel: &Path,
    expect: &Identity,
    disposal: &Disposal<'_>,
) -> Result<Removed, DeleteError> {
    let (parent, name) = open_parent(root_fd, rel, false)?;
    let st = recheck(&parent, name, expect, rel)?;
    let sha256 = if expect.kind == EntryKind::File {
        Some(hash_at(&parent, name, expect, rel)?)
    } else {
        None
    };
    #[allow(clippy::unnecessary_cast)] // u16 on some platforms
    let mode = st.st_mode as u32 & 0o7777;
    let mut copied = false;
    match disposal {
        Disposal::Permanent => remove_entry(&parent, name, expect, rel)?,
        Disposal::Quarantine { dir, name: qname } => {
            match rustix::fs::renameat(&parent, name, *dir, *qname) {
                Ok(()) => {}
                Err(Errno::XDEV) => {
                    if let Err(e) = copy_entry(&parent, name, dir, OsStr::new(qname), rel) {
                        let _ = remove_any(dir, OsStr::new(qname), rel);
                        return Err(e);
                    }
                    remove_entry(&parent, name, expect, rel)?;
                    copied = true;
                }
                Err(e) => return Err(io("move to quarantine", rel)(e)),
            }
        }
    }
    Ok(Removed {
        sha256,
        mode,
        copied,
    })
}

/// SHA-256 of a regular file opened relative to its parent (no follow,
/// non-blocking in case it was swapped for a FIFO).
fn hash_at(
    parent: &OwnedFd,
    name: &OsStr,
    expect: &Identity,
    rel: &Path,
) -> Result<String, DeleteError> {
    let fd = rustix::fs::openat(
        parent,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(io("open", rel))?;
    let st = rustix::fs::fstat(&fd).map_err(io("stat", rel))?;
    let (dev, ino, _) = ident_of(&st);
    if dev != expect.dev || ino != expect.ino {
        return Err(DeleteError::Changed(
            "it was replaced by a different file".to_string(),
        ));
    }
    let mut file = std::fs::File::from(fd);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(|source| DeleteError::Io {
            op: "read",
            path: rel.display().to_string(),
            source,
        })?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Remove the planned entry (a directory recursively) after checking the
/// opened directory is still the planned one.
fn remove_entry(
    parent: &OwnedFd,
    name: &OsStr,
    expect: &Identity,
    rel: &Path,
) -> Result<(), DeleteError> {
    if expect.kind == EntryKind::Dir {
        let fd =
            rustix::fs::openat(parent, name, DIR_FLAGS, Mode::empty()).map_err(|e| match e {
                Errno::LOOP | Errno::NOTDIR => {
                    DeleteError::Changed("it is no longer a directory".to_string())
                }
                e => io("open", rel)(e),
            })?;
        let st = rustix::fs::fstat(&fd).map_err(io("stat", rel))?;
        let (dev, ino, _) = ident_of(&st);
        if dev != expect.dev || ino != expect.ino {
            return Err(DeleteError::Changed(
                "it was replaced by a different directory".to_string(),
            ));
        }
        empty_dir(&fd, rel)?;
        rustix::fs::unlinkat(parent, name, AtFlags::REMOVEDIR).map_err(io("remove", rel))
    } else {
        rustix::fs::unlinkat(parent, name, AtFlags::empty()).map_err(io("remove", rel))
    }
}

/// Remove whatever `name` is under `parent` (used for partial copies in
/// the quarantine and by undo's copy fallback).
pub(crate) fn remove_any(parent: &OwnedFd, name: &OsStr, rel: &Path) -> Result<(), DeleteError> {
    match rustix::fs::openat(parent, name, DIR_FLAGS, Mode::empty()) {
        Ok(fd) => {
            empty_dir(&fd, rel)?;
            rustix::fs::unlinkat(parent, name, AtFlags::REMOVEDIR).map_err(io("remove", rel))
        }
        Err(Errno::NOENT) => Ok(()),
        Err(_) => rustix::fs::unlinkat(parent, name, AtFlags::empty()).map_err(io("remove", rel)),
    }
}

/// Entries of a directory (without `.` and `..`) with their types.
fn list(dir: &OwnedFd, rel: &Path) -> Result<Vec<(CString, FileType)>, DeleteError> {
    let reader = rustix::fs::Dir::read_from(dir).map_err(io("read directory", rel))?;
    let mut out = Vec::new();
    for ent in reader {
        let ent = ent.map_err(io("read directory", rel))?;
        let name = ent.file_name();
        if name.to_bytes() == b"." || name.to_bytes() == b".." {
            continue;
        }
        let mut ft = ent.file_type();
        if ft == FileType::Unknown {
            let st = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
                .map_err(io("stat", rel))?;
            ft = ident_of(&st).2;
        }
        out.push((name.to_owned(), ft));
    }
    Ok(out)
}

/// Remove everything inside an opened directory, depth first, each level
/// opened with `O_NOFOLLOW` relative to its parent.
fn empty_dir(dir: &OwnedFd, rel: &Path) -> Result<(), DeleteError> {
    for (name, ft) in list(dir, rel)? {
        let child_rel = rel.join(OsStr::from_bytes(name.to_bytes()));
        if ft == FileType::Directory {
            let child = rustix::fs::openat(dir, name.as_c_str(), DIR_FLAGS, Mode::empty())
                .map_err(io("open", &child_rel))?;
            empty_dir(&child, &child_rel)?;
            rustix::fs::unlinkat(dir, name.as_c_str(), AtFlags::REMOVEDIR)
                .map_err(io("remove", &child_rel))?;
        } else {
            rustix::fs::unlinkat(dir, name.as_c_str(), AtFlags::empty())
                .map_err(io("remove", &child_rel))?;
        }
    }
    Ok(())
}

#[allow(clippy::unnecessary_cast)]
fn times_of(st: &Stat) -> Timestamps {
    Timestamps {
        last_access: rustix::fs::Timespec {
            tv_sec: st.st_atime as _,
            tv_nsec: st.st_atime_nsec as _,
        },
        last_modification: rustix::fs::Timespec {
            tv_sec: st.st_mtime as _,
            tv_nsec: st.st_mtime_nsec as _,
        },
    }
}

/// Copy `name` from `src` to `dst_name` in `dst`: regular files with
/// their bytes, mode and times, symlinks as symlinks, directories
/// recursively. Never follows a link; never overwrites.
pub(crate) fn copy_entry(
    src: &OwnedFd,
    name: &OsStr,
    dst: &OwnedFd,
    dst_name: &OsStr,
    rel: &Path,
) -> Result<(), DeleteError> {
    let st = rustix::fs::statat(src, name, AtFlags::SYMLINK_NOFOLLOW).map_err(io("stat", rel))?;
    let mode = Mode::from_raw_mode((st.st_mode as u32 & 0o7777) as _);
    match ident_of(&st).2 {
        FileType::RegularFile => {
            let from = rustix::fs::openat(
                src,
                name,
                OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(io("open", rel))?;
            let to = rustix::fs::openat(
                dst,
                dst_name,
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o600),
            )
            .map_err(io("create", rel))?;
            let mut from = std::fs::File::from(from);
            let mut to = std::fs::File::from(to);
            std::io::copy(&mut from, &mut to).map_err(|source| DeleteError::Io {
                op: "copy",
                path: rel.display().to_string(),
                source,
            })?;
            rustix::fs::fchmod(&to, mode).map_err(io("chmod", rel))?;
            rustix::fs::futimens(&to, &times_of(&st)).map_err(io("set times", rel))?;
            to.sync_all().map_err(|source| DeleteError::Io {
                op: "sync",
                path: rel.display().to_string(),
                source,
            })?;
        }
        FileType::Symlink => {
            let target =
                rustix::fs::readlinkat(src, name, Vec::new()).map_err(io("read link", rel))?;
            rustix::fs::symlinkat(target.as_c_str(), dst, dst_name)
                .map_err(io("create link", rel))?;
        }
        FileType::Directory => {
            rustix::fs::mkdirat(dst, dst_name, Mode::from_raw_mode(0o700))
                .map_err(io("create directory", rel))?;
            let from =
                rustix::fs::openat(src, name, DIR_FLAGS, Mode::empty()).map_err(io("open", rel))?;
            let to = rustix::fs::openat(dst, dst_name, DIR_FLAGS, Mode::empty())
                .map_err(io("open", rel))?;
            for (child, _) in list(&from, rel)? {
                let child_os = OsStr::from_bytes(child.to_bytes());
                copy_entry(&from, child_os, &to, child_os, &rel.join(child_os))?;
            }
            rustix::fs::fchmod(&to, mode).map_err(io("chmod", rel))?;
            rustix::fs::futimens(&to, &times_of(&st)).map_err(io("set times", rel))?;
        }
        _ => {
            return Err(DeleteError::Io {
                op: "copy",
                path: rel.display().to_string(),
                source: std::io::Error::other("a special file cannot be copied across filesystems"),
            });
        }
    }
    Ok(())
}

/// Outcome of restoring one quarantined entry.
#[derive(Debug, PartialEq, Eq)]
pub enum Restored {
    Done,
    /// Something exists at the original path again; nothing was changed.
    Exists,
}

/// Move `qname` from the quarantine back to `rel` under `root`, never
/// replacing anything that exists there now, never through a symlink.
pub fn restore(
    quarantine: &OwnedFd,
    qname: &OsStr,
    root: &Path,
    rel: &Path,
) -> Result<Restored, DeleteError> {
    let root_fd = open_dir(root)?;
    let (parent, name) = open_parent(&root_fd, rel, true)?;
    match rustix::fs::statat(&parent, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(_) => return Ok(Restored::Exists),
        Err(Errno::NOENT) => {}
        Err(e) => return Err(io("stat", rel)(e)),
    }
    match rename_noreplace(quarantine, qname, &parent, name) {
        Ok(()) => Ok(Restored::Done),
        Err(Errno::EXIST) | Err(Errno::NOTEMPTY) => Ok(Restored::Exists),
        Err(Errno::XDEV) => {
            copy_entry(quarantine, qname, &parent, name, rel)?;
            remove_any(quarantine, qname, rel)?;
            Ok(Restored::Done)
        }
        Err(e) => Err(io("restore", rel)(e)),
    }
}

#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios"
))]
fn rename_noreplace(from: &OwnedFd, a: &OsStr, to: &OwnedFd, b: &OsStr) -> Result<(), Errno> {
    match rustix::fs::renameat_with(from, a, to, b, rustix::fs::RenameFlags::NOREPLACE) {
        // Filesystems without RENAME_NOREPLACE: the lstat above checked.
        Err(Errno::INVAL) | Err(Errno::NOSYS) => rustix::fs::renameat(from, a, to, b),
        other => other,
    }
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios"
)))]
fn rename_noreplace(from: &OwnedFd, a: &OsStr, to: &OwnedFd, b: &OsStr) -> Result<(), Errno> {
    rustix::fs::renameat(from, a, to, b)
}
