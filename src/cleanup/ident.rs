//! Who a filesystem object is: device, inode, type, owner, times, and the
//! mount it sits on.
//!
//! Cleanup decides by identity, never by path strings: a re-check before
//! a removal compares device and inode, the walk and every removal stay
//! on the mount of their scan root, and the refusals of `$HOME` and the
//! system directories compare identities too. Two bind mounts of the same
//! directory share a device number, so "same filesystem" needs the mount
//! id as well; on Linux it comes from `statx(STATX_MNT_ID)` (Linux 5.8).
//! Where the kernel has no mount ids (older Linux, other systems) the
//! device number alone decides, which still catches every mount of
//! another filesystem.
//!
//! Every lookup here is `lstat`-like (a symlink is reported as itself)
//! and does not trigger automounts.

use std::os::fd::AsFd;
use std::path::Path;

use rustix::fs::{AtFlags, FileType, Timespec};
use rustix::io::Errno;

/// The mount an object is on: its device, and its mount id when the
/// kernel reports one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mount {
    pub dev: u64,
    pub mnt_id: Option<u64>,
}

impl Mount {
    /// On the same mount: the same device and, where both are known, the
    /// same mount id (a bind mount has the device of its source).
    pub fn same(&self, other: &Mount) -> bool {
        self.dev == other.dev
            && match (self.mnt_id, other.mnt_id) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

/// What `lstat` says about an object, plus its mount id.
#[derive(Debug, Clone, Copy)]
pub struct Meta {
    pub dev: u64,
    pub ino: u64,
    pub file_type: FileType,
    /// Permission bits including setuid, setgid and sticky (`0o7777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u64,
    pub size: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub mnt_id: Option<u64>,
}

impl Meta {
    pub fn mount(&self) -> Mount {
        Mount {
            dev: self.dev,
            mnt_id: self.mnt_id,
        }
    }

    /// The access and modification times, to copy onto another object.
    pub fn times(&self) -> rustix::fs::Timestamps {
        rustix::fs::Timestamps {
            last_access: self.atime,
            last_modification: self.mtime,
        }
    }
}

/// `lstat` of `name` relative to the directory `dir`.
pub fn stat_at<Fd: AsFd>(dir: Fd, name: &std::ffi::OsStr) -> Result<Meta, Errno> {
    imp::stat(dir.as_fd(), name, AtFlags::SYMLINK_NOFOLLOW)
}

/// `fstat` of an open file or directory.
pub fn stat_fd<Fd: AsFd>(fd: Fd) -> Result<Meta, Errno> {
    imp::stat_fd(fd.as_fd())
}

/// `lstat` of a path (relative paths from the current directory).
pub fn stat_path(path: &Path) -> Result<Meta, Errno> {
    imp::stat(rustix::fs::CWD, path.as_os_str(), AtFlags::SYMLINK_NOFOLLOW)
}

/// `stat` of a path, following symlinks (for the refusal of places such
/// as `$HOME`, which may be reached through a link).
pub fn stat_path_follow(path: &Path) -> Result<Meta, Errno> {
    imp::stat(rustix::fs::CWD, path.as_os_str(), AtFlags::empty())
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod imp {
    use std::ffi::OsStr;
    use std::os::fd::BorrowedFd;

    use rustix::fs::{AtFlags, FileType, StatxFlags, Timespec};
    use rustix::io::Errno;

    use super::Meta;

    pub fn stat(dir: BorrowedFd<'_>, name: &OsStr, flags: AtFlags) -> Result<Meta, Errno> {
        let mask = StatxFlags::BASIC_STATS | StatxFlags::MNT_ID;
        match rustix::fs::statx(dir, name, flags | AtFlags::NO_AUTOMOUNT, mask) {
            Ok(st) => {
                let ts = |t: rustix::fs::StatxTimestamp| Timespec {
                    tv_sec: t.tv_sec,
                    tv_nsec: t.tv_nsec as _,
                };
                Ok(Meta {
                    dev: rustix::fs::makedev(st.stx_dev_major, st.stx_dev_minor),
                    ino: st.stx_ino,
                    file_type: FileType::from_raw_mode(st.stx_mode.into()),
                    mode: u32::from(st.stx_mode) & 0o7777,
                    uid: st.stx_uid,
                    gid: st.stx_gid,
                    nlink: st.stx_nlink.into(),
                    size: st.stx_size,
                    atime: ts(st.stx_atime),
                    mtime: ts(st.stx_mtime),
                    mnt_id: (st.stx_mask & StatxFlags::MNT_ID.bits() != 0).then_some(st.stx_mnt_id),
                })
            }
            // No statx (Linux before 4.11, some seccomp filters): plain
            // fstatat, without mount ids.
            Err(Errno::NOSYS) => super::fallback::stat(dir, name, flags),
            Err(e) => Err(e),
        }
    }

    pub fn stat_fd(fd: BorrowedFd<'_>) -> Result<Meta, Errno> {
        match stat(fd, OsStr::new(""), AtFlags::EMPTY_PATH) {
            Err(Errno::NOSYS) => super::fallback::stat_fd(fd),
            other => other,
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod imp {
    pub use super::fallback::{stat, stat_fd};
}

mod fallback {
    use std::ffi::OsStr;
    use std::os::fd::BorrowedFd;

    use rustix::fs::{AtFlags, FileType, Stat, Timespec};
    use rustix::io::Errno;

    use super::Meta;

    pub fn stat(dir: BorrowedFd<'_>, name: &OsStr, flags: AtFlags) -> Result<Meta, Errno> {
        rustix::fs::statat(dir, name, flags & AtFlags::SYMLINK_NOFOLLOW).map(|st| meta_of(&st))
    }

    pub fn stat_fd(fd: BorrowedFd<'_>) -> Result<Meta, Errno> {
        rustix::fs::fstat(fd).map(|st| meta_of(&st))
    }

    #[allow(clippy::unnecessary_cast)] // field types differ between platforms
    fn meta_of(st: &Stat) -> Meta {
        Meta {
            dev: st.st_dev as u64,
            ino: st.st_ino as u64,
            file_type: FileType::from_raw_mode(st.st_mode as _),
            mode: st.st_mode as u32 & 0o7777,
            uid: st.st_uid as u32,
            gid: st.st_gid as u32,
            nlink: st.st_nlink as u64,
            size: st.st_size as u64,
            atime: Timespec {
                tv_sec: st.st_atime as _,
                tv_nsec: st.st_atime_nsec as _,
            },
            mtime: Timespec {
                tv_sec: st.st_mtime as _,
                tv_nsec: st.st_mtime_nsec as _,
            },
            mnt_id: None,
        }
    }
}

/// Where a directory really is: its device and its path inside that
/// filesystem, read from `/proc/self/mountinfo` (the mount's root within
/// its filesystem, plus the rest of the path). A bind mount of
/// `/usr/share` at `/tmp/x` makes `/tmp/x/doc` report `/usr/share/doc` on
/// the device of `/usr`. `None` where there are no mount ids or no
/// mountinfo (then only identities and strings are compared).
pub fn location(path: &Path) -> Option<(u64, std::path::PathBuf)> {
    let canonical = path.canonicalize().ok()?;
    let meta = stat_path_follow(&canonical).ok()?;
    let id = meta.mnt_id?;
    let table = std::fs::read("/proc/self/mountinfo").ok()?;
    for line in table.split(|b| *b == b'\n') {
        let mut fields = line.split(|b| *b == b' ');
        let (Some(mnt), Some(_parent), Some(_devno), Some(root), Some(point)) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            continue;
        };
        if std::str::from_utf8(mnt).ok()?.parse::<u64>().ok() != Some(id) {
            continue;
        }
        let root = unescape(root);
        let point = unescape(point);
        let rest = canonical.strip_prefix(&point).ok()?;
        return Some((
            meta.dev,
            if rest.as_os_str().is_empty() {
                root
            } else {
                root.join(rest)
            },
        ));
    }
    None
}

/// Undo mountinfo's octal escapes (`\040` for a space, `\134` for `\`).
fn unescape(field: &[u8]) -> std::path::PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        if field[i] == b'\\'
            && field.len() >= i + 4
            && field[i + 1..i + 4]
                .iter()
                .all(|c| (b'0'..=b'7').contains(c))
        {
            let v = field[i + 1..i + 4]
                .iter()
                .fold(0u32, |acc, c| acc * 8 + u32::from(c - b'0'));
            out.push(v as u8);
            i += 4;
        } else {
            out.push(field[i]);
            i += 1;
        }
    }
    std::path::PathBuf::from(std::ffi::OsStr::from_bytes(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_escapes() {
        assert_eq!(unescape(b"/a\\040b"), Path::new("/a b"));
        assert_eq!(unescape(b"/a\\134b\\011"), Path::new("/a\\b\t"));
        assert_eq!(unescape(b"/plain\\9"), Path::new("/plain\\9"));
    }

    #[test]
    fn bind_mounts_share_a_device_but_not_a_mount() {
        let a = Mount {
            dev: 1,
            mnt_id: Some(10),
        };
        let b = Mount {
            dev: 1,
            mnt_id: Some(11),
        };
        let unknown = Mount {
            dev: 1,
            mnt_id: None,
        };
        assert!(a.same(&a));
        assert!(!a.same(&b));
        assert!(a.same(&unknown));
        assert!(!a.same(&Mount {
            dev: 2,
            mnt_id: Some(10)
        }));
    }
}
