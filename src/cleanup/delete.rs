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
//! the device, inode, type and mount seen in the preview. Removal is then
//! `renameat` into the quarantine (a symlink moves as a link) or, with
//! `--permanent`, `unlinkat`; a directory is emptied through descriptors
//! opened the same way, never through path strings, and never past a
//! mount point: a directory on another mount (a bind mount that appeared
//! since the preview) stops the removal instead of being emptied.
//!
//! When the quarantine is on another filesystem (`EXDEV`), the entry is
//! copied by [`copy`](crate::cleanup::copy) (owner, mode, hard links and
//! times kept) and then removed.

use std::ffi::{CString, OsStr};
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;
use sha2::{Digest, Sha256};

use crate::cleanup::copy::{Copier, CopyJob};
use crate::cleanup::ident::{self, Meta, Mount};
use crate::cleanup::plan::Identity;
use crate::cleanup::rules::EntryKind;
use crate::cleanup::state::DIR_FLAGS;

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

pub(crate) fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(Errno) -> DeleteError + 'a {
    move |e| DeleteError::Io {
        op,
        path: path.display().to_string(),
        source: e.into(),
    }
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

/// Open the scan root and check it is the directory that was planned,
/// on the mount that was planned.
pub fn open_root(path: &Path, expect: &Identity) -> Result<OwnedFd, DeleteError> {
    let fd = open_dir(path)?;
    let st = ident::stat_fd(&fd).map_err(io("stat", path))?;
    if st.dev != expect.dev || st.ino != expect.ino || !st.mount().same(&expect.mount()) {
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
pub(crate) fn open_parent<'a>(
    root_fd: &impl std::os::fd::AsFd,
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
) -> Result<Meta, DeleteError> {
    let st = ident::stat_at(parent, name).map_err(|e| match e {
        Errno::NOENT => DeleteError::Changed("it no longer exists".to_string()),
        e => io("stat", rel)(e),
    })?;
    if st.dev != expect.dev || st.ino != expect.ino || !kind_matches(st.file_type, expect.kind) {
        return Err(DeleteError::Changed(
            "it was replaced by a different file".to_string(),
        ));
    }
    if !st.mount().same(&expect.mount()) {
        return Err(DeleteError::Changed("it is now a mount point".to_string()));
    }
    Ok(st)
}

/// How a path leaves the tree.
pub enum Disposal<'a, 'c> {
    /// `--permanent`.
    Permanent,
    /// Move into the quarantine directory under this name; `copier`
    /// copies when the quarantine is on another filesystem.
    Quarantine {
        dir: &'a OwnedFd,
        name: &'a str,
        copier: &'a mut Copier<'c>,
    },
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
    disposal: Disposal<'_, '_>,
) -> Result<Removed, DeleteError> {
    let (parent, name) = open_parent(root_fd, rel, false)?;
    let st = recheck(&parent, name, expect, rel)?;
    let sha256 = if expect.kind == EntryKind::File {
        Some(hash_at(&parent, name, expect, rel)?)
    } else {
        None
    };
    let mut copied = false;
    match disposal {
        Disposal::Permanent => remove_entry(&parent, name, expect, rel)?,
        Disposal::Quarantine {
            dir,
            name: qname,
            copier,
        } => match rustix::fs::renameat(&parent, name, dir, qname) {
            Ok(()) => {}
            Err(Errno::XDEV) => {
                copier.stay_on(Some(expect.mount()));
                let job = CopyJob {
                    src: &parent,
                    name,
                    dst: dir,
                    dst_rel: Path::new(qname),
                    shown: rel,
                };
                if let Err(e) = copier.copy(&job) {
                    let _ = remove_any(dir, OsStr::new(qname), rel);
                    return Err(e);
                }
                remove_entry(&parent, name, expect, rel)?;
                copied = true;
            }
            Err(e) => return Err(io("move to quarantine", rel)(e)),
        },
    }
    Ok(Removed {
        sha256,
        mode: st.mode,
        copied,
    })
}

/// SHA-256 of an open file.
fn hash_fd(fd: OwnedFd, rel: &Path) -> Result<String, DeleteError> {
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

fn open_regular(parent: &OwnedFd, name: &OsStr, rel: &Path) -> Result<OwnedFd, DeleteError> {
    rustix::fs::openat(
        parent,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(io("open", rel))
}

/// SHA-256 of a regular file opened relative to its parent (no follow,
/// non-blocking in case it was swapped for a FIFO).
fn hash_at(
    parent: &OwnedFd,
    name: &OsStr,
    expect: &Identity,
    rel: &Path,
) -> Result<String, DeleteError> {
    let fd = open_regular(parent, name, rel)?;
    let st = ident::stat_fd(&fd).map_err(io("stat", rel))?;
    if st.dev != expect.dev || st.ino != expect.ino {
        return Err(DeleteError::Changed(
            "it was replaced by a different file".to_string(),
        ));
    }
    hash_fd(fd, rel)
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
        let st = ident::stat_fd(&fd).map_err(io("stat", rel))?;
        if st.dev != expect.dev || st.ino != expect.ino || !st.mount().same(&expect.mount()) {
            return Err(DeleteError::Changed(
                "it was replaced by a different directory".to_string(),
            ));
        }
        empty_dir(&fd, rel, Some(&expect.mount()))?;
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
            let mount = ident::stat_fd(&fd).map_err(io("stat", rel))?.mount();
            empty_dir(&fd, rel, Some(&mount))?;
            rustix::fs::unlinkat(parent, name, AtFlags::REMOVEDIR).map_err(io("remove", rel))
        }
        Err(Errno::NOENT) => Ok(()),
        Err(_) => rustix::fs::unlinkat(parent, name, AtFlags::empty()).map_err(io("remove", rel)),
    }
}

/// Entries of a directory (without `.` and `..`) with their types.
pub(crate) fn list(dir: &OwnedFd, rel: &Path) -> Result<Vec<(CString, FileType)>, DeleteError> {
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
            ft = ident::stat_at(dir, OsStr::from_bytes(name.to_bytes()))
                .map_err(io("stat", rel))?
                .file_type;
        }
        out.push((name.to_owned(), ft));
    }
    Ok(out)
}

/// Remove everything inside an opened directory, depth first, each level
/// opened with `O_NOFOLLOW` relative to its parent and checked to be on
/// `mount`: a mount point inside stops the removal, it is never emptied.
fn empty_dir(dir: &OwnedFd, rel: &Path, mount: Option<&Mount>) -> Result<(), DeleteError> {
    for (name, ft) in list(dir, rel)? {
        let child_rel = rel.join(OsStr::from_bytes(name.to_bytes()));
        if ft == FileType::Directory {
            let child = rustix::fs::openat(dir, name.as_c_str(), DIR_FLAGS, Mode::empty())
                .map_err(io("open", &child_rel))?;
            if let Some(m) = mount {
                let st = ident::stat_fd(&child).map_err(io("stat", &child_rel))?;
                if !m.same(&st.mount()) {
                    return Err(DeleteError::Changed(format!(
                        "{} is a mount point; nothing on another mount is removed",
                        child_rel.display()
                    )));
                }
            }
            empty_dir(&child, &child_rel, mount)?;
            rustix::fs::unlinkat(dir, name.as_c_str(), AtFlags::REMOVEDIR)
                .map_err(io("remove", &child_rel))?;
        } else {
            rustix::fs::unlinkat(dir, name.as_c_str(), AtFlags::empty())
                .map_err(io("remove", &child_rel))?;
        }
    }
    Ok(())
}

/// Outcome of restoring one quarantined entry.
#[derive(Debug, PartialEq, Eq)]
pub enum Restored {
    Done,
    /// Restored, but a regular file's bytes are not the recorded ones.
    Mismatch(String),
    /// Something exists at the original path again; nothing was changed.
    Exists,
}

/// One quarantined entry to put back.
pub struct RestoreJob<'a> {
    pub quarantine: &'a OwnedFd,
    pub qname: &'a OsStr,
    /// The opened directory `rel` is relative to (the current root).
    pub root: &'a OwnedFd,
    pub rel: &'a Path,
    /// The SHA-256 recorded for a regular file.
    pub sha256: Option<&'a str>,
}

/// Move an entry from the quarantine back to `rel` under the root, never
/// replacing anything that exists there now, never through a symlink.
/// Across filesystems it is copied under a temporary name beside its
/// place and renamed into place once complete.
pub fn restore(job: &RestoreJob<'_>, copier: &mut Copier<'_>) -> Result<Restored, DeleteError> {
    let (parent, name) = open_parent(job.root, job.rel, true)?;
    match ident::stat_at(&parent, name) {
        Ok(_) => return Ok(Restored::Exists),
        Err(Errno::NOENT) => {}
        Err(e) => return Err(io("stat", job.rel)(e)),
    }
    match rename_noreplace(job.quarantine, job.qname, &parent, name) {
        Ok(()) => {}
        Err(Errno::EXIST) | Err(Errno::NOTEMPTY) => return Ok(Restored::Exists),
        Err(Errno::XDEV) => {
            let tmp =
                std::ffi::OsString::from(format!(".hephaestus-restore-{:08x}", fastrand::u32(..)));
            let tmp_rel = job.rel.with_file_name(&tmp);
            copier.stay_on(None);
            let copied = copier.copy(&CopyJob {
                src: job.quarantine,
                name: job.qname,
                dst: &parent,
                dst_rel: &tmp_rel,
                shown: job.rel,
            });
            if let Err(e) = copied {
                let _ = remove_any(&parent, &tmp, job.rel);
                return Err(e);
            }
            match rename_noreplace(&parent, &tmp, &parent, name) {
                Ok(()) => copier.moved(&tmp_rel, job.rel),
                Err(e) => {
                    let _ = remove_any(&parent, &tmp, job.rel);
                    return match e {
                        Errno::EXIST | Errno::NOTEMPTY => Ok(Restored::Exists),
                        e => Err(io("restore", job.rel)(e)),
                    };
                }
            }
            remove_any(job.quarantine, job.qname, job.rel)?;
        }
        Err(e) => return Err(io("restore", job.rel)(e)),
    }
    if let Some(expected) = job.sha256 {
        let actual = hash_fd(open_regular(&parent, name, job.rel)?, job.rel)?;
        if actual != expected {
            return Ok(Restored::Mismatch(format!(
                "restored, but its SHA-256 is {actual}, not {expected}"
            )));
        }
    }
    Ok(Restored::Done)
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
