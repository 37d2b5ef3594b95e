//! Copying an entry to another filesystem, for a quarantine (or an undo)
//! that a `rename` cannot reach (`EXDEV`): the git dir on its own
//! filesystem, say, while root cleans a user's tree.
//!
//! A copy must come back as the same thing, or as something with fewer
//! rights, never more. So it keeps the owner and group (`fchown`, as root
//! can), then the permission bits, then the access and modification
//! times (symlinks included, through `AT_SYMLINK_NOFOLLOW`); where the
//! owner or the group cannot be kept (an ordinary user copying another
//! user's file), the setuid or setgid bit is dropped rather than handed
//! to the copier. Files linked more than once are linked again at the
//! destination (`linkat`) instead of being split into separate copies.
//! Extended attributes (ACLs, file capabilities) are not copied, which
//! can only take rights away.
//!
//! Everything is relative to opened directories, never followed: the
//! source is opened with `O_NOFOLLOW` and must stay on its mount (a mount
//! point met inside an entry stops the copy), the destination is created
//! with `O_EXCL`, and a hard link's first copy is found again by opening
//! its parents one `O_NOFOLLOW` component at a time from the destination
//! base.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Gid, Mode, OFlags, Uid};
use rustix::io::Errno;

use crate::cleanup::delete::{self, DeleteError, io};
use crate::cleanup::ident::{self, Meta, Mount};
use crate::cleanup::state::DIR_FLAGS;

/// Copies into one destination tree, remembering multiply-linked files.
pub struct Copier<'a> {
    /// The directory every destination path is relative to.
    base: BorrowedFd<'a>,
    /// The mount the source must stay on (`None`: not checked).
    src_mount: Option<Mount>,
    /// The first copy of each multiply-linked source (device, inode),
    /// relative to `base`.
    links: HashMap<(u64, u64), FirstCopy>,
}

/// Where a multiply-linked file was first copied, and what it looked
/// like (a later source with the same inode number but another size or
/// time is a new file that reused the number, not another link).
struct FirstCopy {
    path: PathBuf,
    size: u64,
    mtime: rustix::fs::Timespec,
}

/// One entry to copy.
pub struct CopyJob<'j> {
    /// The directory holding the source and its name there.
    pub src: &'j OwnedFd,
    pub name: &'j OsStr,
    /// The directory the copy goes into, and the copy's path relative to
    /// the copier's base (its last component is the new name).
    pub dst: &'j OwnedFd,
    pub dst_rel: &'j Path,
    /// The path shown in messages.
    pub shown: &'j Path,
}

impl<'a> Copier<'a> {
    pub fn new(base: BorrowedFd<'a>) -> Self {
        Copier {
            base,
            src_mount: None,
            links: HashMap::new(),
        }
    }

    /// Refuse to copy anything that is not on `mount`.
    pub fn stay_on(&mut self, mount: Option<Mount>) {
        self.src_mount = mount;
    }

    /// A copy was renamed from `from` to `to` (both relative to the base):
    /// later hard links to what it holds are made at the new place.
    pub fn moved(&mut self, from: &Path, to: &Path) {
        for first in self.links.values_mut() {
            if let Ok(rest) = first.path.strip_prefix(from) {
                first.path = if rest.as_os_str().is_empty() {
                    to.to_path_buf()
                } else {
                    to.join(rest)
                };
            }
        }
    }

    /// Copy one entry (a directory with everything in it). Never follows
    /// a link; never overwrites.
    pub fn copy(&mut self, job: &CopyJob<'_>) -> Result<(), DeleteError> {
        let st = ident::stat_at(job.src, job.name).map_err(io("stat", job.shown))?;
        if let Some(m) = &self.src_mount
            && !m.same(&st.mount())
        {
            return Err(DeleteError::Changed(format!(
                "{} is a mount point; nothing on another mount is copied",
                job.shown.display()
            )));
        }
        let dst_name = job
            .dst_rel
            .file_name()
            .ok_or_else(|| DeleteError::Changed("empty destination".to_string()))?;
        // A source whose other links were copied (and removed) before may
        // have a link count of 1 by now: look it up whatever its count.
        let mtime = st.mtime;
        if st.file_type != FileType::Directory
            && let Some(first) = self.links.get(&(st.dev, st.ino))
            && first.size == st.size
            && first.mtime == mtime
        {
            let (parent, first_name) = delete::open_parent(&self.base, &first.path, false)?;
            return rustix::fs::linkat(&parent, first_name, job.dst, dst_name, AtFlags::empty())
                .map_err(io("link", job.shown));
        }
        match st.file_type {
            FileType::RegularFile => copy_file(job, dst_name, &st)?,
            FileType::Symlink => {
                let target = rustix::fs::readlinkat(job.src, job.name, Vec::new())
                    .map_err(io("read link", job.shown))?;
                rustix::fs::symlinkat(target.as_c_str(), job.dst, dst_name)
                    .map_err(io("create link", job.shown))?;
                // A symlink has no mode of its own; owner and times it has.
                let _ = rustix::fs::chownat(
                    job.dst,
                    dst_name,
                    Some(Uid::from_raw(st.uid)),
                    Some(Gid::from_raw(st.gid)),
                    AtFlags::SYMLINK_NOFOLLOW,
                );
                rustix::fs::utimensat(job.dst, dst_name, &st.times(), AtFlags::SYMLINK_NOFOLLOW)
                    .map_err(io("set times", job.shown))?;
            }
            FileType::Directory => self.copy_dir(job, dst_name, &st)?,
            _ => {
                return Err(DeleteError::Io {
                    op: "copy",
                    path: job.shown.display().to_string(),
                    source: std::io::Error::other(
                        "a special file cannot be copied across filesystems",
                    ),
                });
            }
        }
        if st.file_type != FileType::Directory && st.nlink > 1 {
            self.links.insert(
                (st.dev, st.ino),
                FirstCopy {
                    path: job.dst_rel.to_path_buf(),
                    size: st.size,
                    mtime,
                },
            );
        }
        Ok(())
    }

    fn copy_dir(
        &mut self,
        job: &CopyJob<'_>,
        dst_name: &OsStr,
        st: &Meta,
    ) -> Result<(), DeleteError> {
        let from = rustix::fs::openat(job.src, job.name, DIR_FLAGS, Mode::empty())
            .map_err(io("open", job.shown))?;
        same_object(&from, st, job.shown)?;
        rustix::fs::mkdirat(job.dst, dst_name, Mode::from_raw_mode(0o700))
            .map_err(io("create directory", job.shown))?;
        let to = rustix::fs::openat(job.dst, dst_name, DIR_FLAGS, Mode::empty())
            .map_err(io("open", job.shown))?;
        for (child, _) in delete::list(&from, job.shown)? {
            let child = OsStr::from_bytes(child.to_bytes());
            self.copy(&CopyJob {
                src: &from,
                name: child,
                dst: &to,
                dst_rel: &job.dst_rel.join(child),
                shown: &job.shown.join(child),
            })?;
        }
        finish(to.as_fd(), st, job.shown)
    }
}

/// The bytes of a regular file, then owner, mode and times.
fn copy_file(job: &CopyJob<'_>, dst_name: &OsStr, st: &Meta) -> Result<(), DeleteError> {
    let from = rustix::fs::openat(
        job.src,
        job.name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(io("open", job.shown))?;
    same_object(&from, st, job.shown)?;
    let to = rustix::fs::openat(
        job.dst,
        dst_name,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )
    .map_err(io("create", job.shown))?;
    let mut from = std::fs::File::from(from);
    let mut to = std::fs::File::from(to);
    let fs_err = |op: &'static str| {
        move |source| DeleteError::Io {
            op,
            path: job.shown.display().to_string(),
            source,
        }
    };
    std::io::copy(&mut from, &mut to).map_err(fs_err("copy"))?;
    finish(to.as_fd(), st, job.shown)?;
    to.sync_all().map_err(fs_err("sync"))
}

/// The object opened is the one that was `lstat`ed (not swapped since).
fn same_object(fd: &OwnedFd, st: &Meta, shown: &Path) -> Result<(), DeleteError> {
    let now = ident::stat_fd(fd).map_err(io("stat", shown))?;
    if now.dev != st.dev || now.ino != st.ino {
        return Err(DeleteError::Changed(format!(
            "{} was replaced while it was copied",
            shown.display()
        )));
    }
    Ok(())
}

/// Owner and group where allowed, then the mode (without setuid/setgid
/// when the owner/group could not be kept), then the times, which must
/// come last because the others change them.
fn finish(fd: BorrowedFd<'_>, st: &Meta, shown: &Path) -> Result<(), DeleteError> {
    keep_owner(fd, st);
    let now = ident::stat_fd(fd).map_err(io("stat", shown))?;
    let mut mode = st.mode;
    if now.uid != st.uid {
        mode &= !0o4000;
    }
    if now.gid != st.gid {
        mode &= !0o2000;
    }
    rustix::fs::fchmod(fd, Mode::from_raw_mode(mode as _)).map_err(io("chmod", shown))?;
    rustix::fs::futimens(fd, &st.times()).map_err(io("set times", shown))
}

/// `fchown` to the source's owner and group; failing that (not root), to
/// its group alone; failing that, the copy stays the copier's.
fn keep_owner(fd: BorrowedFd<'_>, st: &Meta) {
    let (uid, gid) = (Uid::from_raw(st.uid), Gid::from_raw(st.gid));
    match rustix::fs::fchown(fd, Some(uid), Some(gid)) {
        Ok(()) => {}
        Err(Errno::PERM) | Err(Errno::INVAL) => {
            let _ = rustix::fs::fchown(fd, None, Some(gid));
        }
        Err(_) => {}
    }
}
