//! The work tree as git writes it. Every keeper read and write of a
//! tracked path goes through a descriptor of its parent directory, opened
//! one component at a time from the work-tree root with
//! `O_DIRECTORY | O_NOFOLLOW`. A symlink, a file or anything else where a
//! directory is expected is [`TreeError::InTheWay`]: never followed (git
//! refuses to write "beyond a symbolic link") and never replaced (it is
//! the user's untracked entry), so nothing outside the work tree can be
//! reached through a path, and a directory swapped for a symlink between
//! two calls makes the open fail instead of redirecting the write.
//!
//! Files and symlinks are replaced the way git's checkout replaces them: a
//! temporary entry is created next to the path and renamed over it, so a
//! symlink at the path itself is replaced rather than followed, a reader
//! never sees half a file, and a read-only file is replaced as long as its
//! directory is writable.

use std::ffi::OsStr;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rustix::fs::{Access, AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::git::{BStr, BString, ByteSlice};

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// Why a work-tree operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// Something that is not a directory sits where git needs one (or a
    /// directory where git needs a file): left alone.
    #[error("{blocker} is {what}; git does not write beyond it, so {path} was left alone")]
    InTheWay {
        path: String,
        blocker: String,
        what: &'static str,
    },
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What is at a path (not following a symlink at the path itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    Missing,
    File { mode: u32, size: u64 },
    Symlink,
    Dir,
    Other,
}

/// A path's content, opened without following symlinks.
pub enum Content {
    Missing,
    /// A regular file, open for reading, with its permission bits.
    File {
        file: File,
        mode: u32,
        size: u64,
    },
    /// A symlink's target.
    Symlink(Vec<u8>),
    Dir,
    Other,
}

/// The work-tree root, held open.
pub struct WorkTree {
    root: PathBuf,
    fd: OwnedFd,
}

/// A parent directory: the root itself or a descriptor opened below it.
enum Dir<'a> {
    Root(BorrowedFd<'a>),
    Below(OwnedFd),
}

impl AsFd for Dir<'_> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Dir::Root(fd) => *fd,
            Dir::Below(fd) => fd.as_fd(),
        }
    }
}

/// How far a walk to a parent directory got.
enum Walk<'a> {
    /// The parent directory, open.
    Found(Dir<'a>),
    /// A component is missing; the deepest directory that exists.
    Missing(Dir<'a>),
}

fn kind_of(ft: FileType) -> &'static str {
    match ft {
        FileType::Symlink => "a symbolic link",
        FileType::RegularFile => "a file",
        FileType::Directory => "a directory",
        _ => "not a directory",
    }
}

fn split(rel: &BStr) -> Option<(Vec<&[u8]>, &[u8])> {
    let parts: Vec<&[u8]> = rel.split(|b| *b == b'/').collect();
    let (name, parents) = parts.split_last()?;
    let bad = |c: &[u8]| c.is_empty() || c == b"." || c == b"..";
    if bad(name) || parents.iter().any(|c| bad(c)) {
        return None;
    }
    Some((parents.to_vec(), name))
}

static TEMP_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Can entries be created, removed and renamed in `dir`?
fn can_write(dir: &Dir<'_>) -> bool {
    rustix::fs::accessat(
        dir,
        ".",
        Access::WRITE_OK | Access::EXEC_OK,
        AtFlags::empty(),
    )
    .is_ok()
}

impl WorkTree {
    /// Open the work tree at `root`.
    pub fn open(root: &Path) -> Result<WorkTree, TreeError> {
        let fd = rustix::fs::open(root, DIR_FLAGS.difference(OFlags::NOFOLLOW), Mode::empty())
            .map_err(|e| TreeError::Io {
                op: "open the work tree",
                path: root.to_path_buf(),
                source: e.into(),
            })?;
        Ok(WorkTree {
            root: root.to_path_buf(),
            fd,
        })
    }

    /// The absolute path of `rel`, for messages.
    pub fn abs(&self, rel: &BStr) -> PathBuf {
        crate::git::to_path(&self.root, rel)
    }

    fn io(&self, op: &'static str, rel: &BStr) -> impl FnOnce(Errno) -> TreeError + '_ {
        let path = self.abs(rel);
        move |e| TreeError::Io {
            op,
            path,
            source: e.into(),
        }
    }

    fn bad_path(&self, rel: &BStr) -> TreeError {
        TreeError::Io {
            op: "use the path",
            path: self.abs(rel),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a path git would write",
            ),
        }
    }

    /// Walk to the parent directory of `rel`. With `created`, missing
    /// directories are made (and their paths pushed, outermost first).
    fn walk(
        &self,
        rel: &BStr,
        mut created: Option<&mut Vec<BString>>,
    ) -> Result<(Walk<'_>, Vec<u8>), TreeError> {
        let (parents, name) = split(rel).ok_or_else(|| self.bad_path(rel))?;
        let mut dir = Dir::Root(self.fd.as_fd());
        let mut prefix: Vec<u8> = Vec::new();
        for c in parents {
            if !prefix.is_empty() {
                prefix.push(b'/');
            }
            prefix.extend_from_slice(c);
            let c = OsStr::from_bytes(c);
            let next = match rustix::fs::openat(&dir, c, DIR_FLAGS, Mode::empty()) {
                Err(Errno::NOENT) => match created.as_deref_mut() {
                    None => return Ok((Walk::Missing(dir), name.to_vec())),
                    Some(list) => {
                        match rustix::fs::mkdirat(&dir, c, Mode::from_raw_mode(0o777)) {
                            Ok(()) => list.push(BString::from(prefix.clone())),
                            Err(Errno::EXIST) => {}
                            Err(e) => {
                                return Err(self.io("create a directory for", rel)(e));
                            }
                        }
                        rustix::fs::openat(&dir, c, DIR_FLAGS, Mode::empty())
                    }
                },
                other => other,
            };
            match next {
                Ok(fd) => dir = Dir::Below(fd),
                Err(Errno::LOOP) | Err(Errno::NOTDIR) => {
                    let what = rustix::fs::statat(&dir, c, AtFlags::SYMLINK_NOFOLLOW)
                        .map(|st| kind_of(FileType::from_raw_mode(st.st_mode as _)))
                        .unwrap_or("not a directory");
                    return Err(TreeError::InTheWay {
                        path: rel.to_str_lossy().into_owned(),
                        blocker: prefix.to_str_lossy().into_owned(),
                        what,
                    });
                }
                Err(e) => return Err(self.io("open the directory of", rel)(e)),
            }
        }
        Ok((Walk::Found(dir), name.to_vec()))
    }

    /// What is at `rel`. A parent that is not a directory is
    /// [`TreeError::InTheWay`]; a missing parent means [`Node::Missing`].
    #[allow(clippy::unnecessary_cast)] // field types differ between platforms
    pub fn lstat(&self, rel: &BStr) -> Result<Node, TreeError> {
        let (walk, name) = self.walk(rel, None)?;
        let Walk::Found(dir) = walk else {
            return Ok(Node::Missing);
        };
        match rustix::fs::statat(&dir, OsStr::from_bytes(&name), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(match FileType::from_raw_mode(st.st_mode as _) {
                FileType::RegularFile => Node::File {
                    mode: st.st_mode as u32 & 0o7777,
                    size: st.st_size as u64,
                },
                FileType::Symlink => Node::Symlink,
                FileType::Directory => Node::Dir,
                _ => Node::Other,
            }),
            Err(Errno::NOENT) | Err(Errno::NOTDIR) => Ok(Node::Missing),
            Err(e) => Err(self.io("inspect", rel)(e)),
        }
    }

    /// Open `rel` for reading without following a symlink anywhere.
    pub fn read(&self, rel: &BStr) -> Result<Content, TreeError> {
        match self.walk(rel, None)? {
            (Walk::Found(dir), name) => self.read_in(&dir, &name, rel),
            (Walk::Missing(_), _) => Ok(Content::Missing),
        }
    }

    /// [`WorkTree::read`], and whether the directory holding `rel` (or the
    /// deepest one that exists) lets entries be created and renamed.
    pub fn inspect(&self, rel: &BStr) -> Result<(Content, bool), TreeError> {
        let (content, dir) = match self.walk(rel, None)? {
            (Walk::Found(dir), name) => (self.read_in(&dir, &name, rel)?, dir),
            (Walk::Missing(dir), _) => (Content::Missing, dir),
        };
        Ok((content, can_write(&dir)))
    }

    #[allow(clippy::unnecessary_cast)] // field types differ between platforms
    fn read_in(&self, dir: &Dir<'_>, name: &[u8], rel: &BStr) -> Result<Content, TreeError> {
        let name = OsStr::from_bytes(name);
        let st = match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(Errno::NOENT) | Err(Errno::NOTDIR) => return Ok(Content::Missing),
            Err(e) => return Err(self.io("inspect", rel)(e)),
        };
        match FileType::from_raw_mode(st.st_mode as _) {
            FileType::Symlink => {
                let target = rustix::fs::readlinkat(dir, name, Vec::new())
                    .map_err(self.io("read the symlink", rel))?;
                Ok(Content::Symlink(target.into_bytes()))
            }
            FileType::RegularFile => {
                let fd = rustix::fs::openat(
                    dir,
                    name,
                    OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
                    Mode::empty(),
                )
                .map_err(self.io("read", rel))?;
                let st = rustix::fs::fstat(&fd).map_err(self.io("inspect", rel))?;
                if FileType::from_raw_mode(st.st_mode as _) != FileType::RegularFile {
                    return Ok(Content::Other);
                }
                Ok(Content::File {
                    file: File::from(fd),
                    mode: st.st_mode as u32 & 0o7777,
                    size: st.st_size as u64,
                })
            }
            FileType::Directory => Ok(Content::Dir),
            _ => Ok(Content::Other),
        }
    }

    /// The directories on the way to `rel` that do not exist (outermost
    /// first): what writing `rel` would create.
    pub fn missing_dirs(&self, rel: &BStr) -> Result<Vec<BString>, TreeError> {
        let (parents, _) = split(rel).ok_or_else(|| self.bad_path(rel))?;
        let mut out = Vec::new();
        let mut prefix: Vec<u8> = Vec::new();
        let mut missing = false;
        for c in parents {
            if !prefix.is_empty() {
                prefix.push(b'/');
            }
            prefix.extend_from_slice(c);
            if !missing {
                missing = self.lstat(BStr::new(&prefix))? == Node::Missing;
            }
            if missing {
                out.push(BString::from(prefix.clone()));
            }
        }
        Ok(out)
    }

    /// The whole content of a regular file (`None` for anything else).
    pub fn read_file(&self, rel: &BStr) -> Result<Option<Vec<u8>>, TreeError> {
        let Content::File { mut file, size, .. } = self.read(rel)? else {
            return Ok(None);
        };
        let mut data = Vec::with_capacity(size as usize);
        file.read_to_end(&mut data).map_err(|e| TreeError::Io {
            op: "read",
            path: self.abs(rel),
            source: e,
        })?;
        Ok(Some(data))
    }

    /// Create a temporary entry next to `name` in `dir` with `make`, then
    /// rename it over `name`.
    fn replace(
        &self,
        rel: &BStr,
        dir: &Dir<'_>,
        name: &[u8],
        make: &mut dyn FnMut(&Dir<'_>, &OsStr) -> Result<(), TreeError>,
    ) -> Result<(), TreeError> {
        let tmp = loop {
            let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
            let tmp = format!(".hephaestus-{}-{n}.tmp", std::process::id());
            match make(dir, OsStr::new(&tmp)) {
                Err(TreeError::Io { ref source, .. })
                    if source.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
                Ok(()) => break tmp,
            }
        };
        let name = OsStr::from_bytes(name);
        match rustix::fs::renameat(dir, OsStr::new(&tmp), dir, name) {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = rustix::fs::unlinkat(dir, OsStr::new(&tmp), AtFlags::empty());
                match e {
                    Errno::ISDIR | Errno::NOTEMPTY | Errno::EXIST => Err(TreeError::InTheWay {
                        path: rel.to_str_lossy().into_owned(),
                        blocker: rel.to_str_lossy().into_owned(),
                        what: "a directory",
                    }),
                    e => Err(self.io("replace", rel)(e)),
                }
            }
        }
    }

    /// Write a regular file at `rel` from `data` with exactly the
    /// permission bits `mode`, creating missing parent directories (pushed
    /// onto `created`).
    ///
    /// An existing regular file with a single link that we may write is
    /// overwritten in place (its inode, owner and extended attributes
    /// stay), then cut to length; a missing one is created exclusively;
    /// anything else (a symlink, a read-only file, a file with other hard
    /// links, which may live outside the work tree) is replaced by a new
    /// file renamed over it.
    ///
    /// In place is also what keeps this cheap: replacing a file by rename,
    /// or truncating it to zero first, makes ext4 start writing its data
    /// out at once (`auto_da_alloc`), some milliseconds per file on a busy
    /// disk, where an overwrite stays in the page cache. Like git's
    /// checkout, nothing here is fsynced: while a run is on, the fsynced
    /// journal and backup are what a crash is recovered from.
    pub fn write_file(
        &self,
        rel: &BStr,
        data: &mut dyn Read,
        mode: u32,
        created: &mut Vec<BString>,
    ) -> Result<(), TreeError> {
        let (walk, name) = self.walk(rel, Some(created))?;
        let (Walk::Found(dir) | Walk::Missing(dir)) = walk;
        let os_name = OsStr::from_bytes(&name);
        let mut fill = |file: &mut File, current: Option<(u32, u64)>| -> Result<(), TreeError> {
            std::io::copy(data, file)
                .and_then(|written| match current {
                    // Overwritten in place: cut off what is left of the old
                    // content. (Truncating to zero first would make ext4
                    // start writing the file out at once, see above.)
                    Some((_, old_len)) if old_len > written => file.set_len(written),
                    _ => Ok(()),
                })
                .and_then(|()| match current {
                    Some((m, _)) if m == mode => Ok(()),
                    _ => rustix::fs::fchmod(&*file, Mode::from_raw_mode(mode)).map_err(Into::into),
                })
                .map_err(|source| TreeError::Io {
                    op: "write",
                    path: self.abs(rel),
                    source,
                })
        };
        let open = |flags: OFlags, create_mode: u32| {
            rustix::fs::openat(
                &dir,
                os_name,
                flags | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
                Mode::from_raw_mode(create_mode),
            )
        };
        match open(OFlags::empty(), 0) {
            Ok(fd) => {
                let st = rustix::fs::fstat(&fd).map_err(self.io("inspect", rel))?;
                if FileType::from_raw_mode(st.st_mode as _) == FileType::RegularFile
                    && st.st_nlink == 1
                {
                    #[allow(clippy::unnecessary_cast)] // differs between platforms
                    let current = (st.st_mode as u32 & 0o7777, st.st_size as u64);
                    return fill(&mut File::from(fd), Some(current));
                }
            }
            Err(Errno::NOENT) => match open(OFlags::CREATE | OFlags::EXCL, 0o600) {
                Ok(fd) => return fill(&mut File::from(fd), None),
                Err(Errno::EXIST) => {}
                Err(e) => return Err(self.io("create", rel)(e)),
            },
            // A symlink (ELOOP), a read-only file, a directory, a FIFO…:
            // replaced below (or found to be in the way).
            Err(_) => {}
        }
        self.replace(rel, &dir, &name, &mut |dir, tmp| {
            let fd = rustix::fs::openat(
                dir,
                tmp,
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o600),
            )
            .map_err(self.io("create a file for", rel))?;
            let written = fill(&mut File::from(fd), None);
            if written.is_err() {
                let _ = rustix::fs::unlinkat(dir, tmp, AtFlags::empty());
            }
            written
        })
    }

    /// Make `rel` a symlink to `target`.
    pub fn write_symlink(
        &self,
        rel: &BStr,
        target: &[u8],
        created: &mut Vec<BString>,
    ) -> Result<(), TreeError> {
        let (walk, name) = self.walk(rel, Some(created))?;
        let (Walk::Found(dir) | Walk::Missing(dir)) = walk;
        self.replace(rel, &dir, &name, &mut |dir, tmp| {
            rustix::fs::symlinkat(OsStr::from_bytes(target), dir, tmp)
                .map_err(self.io("create a symlink for", rel))
        })
    }

    /// Remove the file or symlink at `rel` (nothing there is fine; a
    /// directory is in the way).
    pub fn remove(&self, rel: &BStr) -> Result<(), TreeError> {
        let (walk, name) = self.walk(rel, None)?;
        let Walk::Found(dir) = walk else {
            return Ok(());
        };
        match rustix::fs::unlinkat(&dir, OsStr::from_bytes(&name), AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(Errno::ISDIR) | Err(Errno::PERM) if matches!(self.lstat(rel), Ok(Node::Dir)) => {
                Err(TreeError::InTheWay {
                    path: rel.to_str_lossy().into_owned(),
                    blocker: rel.to_str_lossy().into_owned(),
                    what: "a directory",
                })
            }
            Err(e) => Err(self.io("remove", rel)(e)),
        }
    }

    /// Remove the directory `rel` if it is empty (anything else is left).
    pub fn remove_empty_dir(&self, rel: &BStr) {
        if let Ok((Walk::Found(dir), name)) = self.walk(rel, None) {
            let _ = rustix::fs::unlinkat(&dir, OsStr::from_bytes(&name), AtFlags::REMOVEDIR);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> (tempfile::TempDir, WorkTree) {
        let dir = tempfile::tempdir().unwrap();
        let wt = WorkTree::open(dir.path()).unwrap();
        (dir, wt)
    }

    #[test]
    fn a_symlinked_directory_is_in_the_way_for_reads_and_writes() {
        let (dir, wt) = tree();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("f"), "outside").unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("d")).unwrap();
        let rel = BStr::new("d/f");
        assert!(matches!(wt.lstat(rel), Err(TreeError::InTheWay { .. })));
        let err = wt
            .write_file(rel, &mut &b"new"[..], 0o644, &mut Vec::new())
            .unwrap_err();
        assert!(err.to_string().contains("d is a symbolic link"), "{err}");
        assert!(matches!(wt.remove(rel), Err(TreeError::InTheWay { .. })));
        assert_eq!(std::fs::read(outside.path().join("f")).unwrap(), b"outside");
    }

    #[test]
    fn files_are_rewritten_in_place_unless_hard_linked() {
        use std::os::unix::fs::MetadataExt;
        let (dir, wt) = tree();
        std::fs::write(dir.path().join("plain"), "old").unwrap();
        let ino = std::fs::metadata(dir.path().join("plain")).unwrap().ino();
        wt.write_file(BStr::new("plain"), &mut &b"new"[..], 0o600, &mut Vec::new())
            .unwrap();
        let meta = std::fs::metadata(dir.path().join("plain")).unwrap();
        assert_eq!((meta.ino(), meta.mode() & 0o777), (ino, 0o600));
        assert_eq!(std::fs::read(dir.path().join("plain")).unwrap(), b"new");
        // A hard link may lead out of the work tree: never written through.
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("shared"), "outside").unwrap();
        std::fs::hard_link(outside.path().join("shared"), dir.path().join("linked")).unwrap();
        wt.write_file(
            BStr::new("linked"),
            &mut &b"inside"[..],
            0o644,
            &mut Vec::new(),
        )
        .unwrap();
        assert_eq!(
            std::fs::read(outside.path().join("shared")).unwrap(),
            b"outside"
        );
        assert_eq!(std::fs::read(dir.path().join("linked")).unwrap(), b"inside");
    }

    #[test]
    fn files_replace_symlinks_and_read_only_files_and_create_parents() {
        let (dir, wt) = tree();
        std::os::unix::fs::symlink("/etc/hostname", dir.path().join("link")).unwrap();
        let mut created = Vec::new();
        wt.write_file(BStr::new("link"), &mut &b"plain"[..], 0o444, &mut created)
            .unwrap();
        assert_eq!(std::fs::read(dir.path().join("link")).unwrap(), b"plain");
        assert_eq!(
            wt.lstat(BStr::new("link")).unwrap(),
            Node::File {
                mode: 0o444,
                size: 5
            }
        );
        wt.write_file(BStr::new("link"), &mut &b"again"[..], 0o444, &mut created)
            .unwrap();
        assert_eq!(std::fs::read(dir.path().join("link")).unwrap(), b"again");
        wt.write_file(BStr::new("a/b/c"), &mut &b"deep"[..], 0o644, &mut created)
            .unwrap();
        assert_eq!(created, vec![BString::from("a"), BString::from("a/b")]);
        wt.write_symlink(BStr::new("a/b/c"), b"../x", &mut created)
            .unwrap();
        assert_eq!(
            std::fs::read_link(dir.path().join("a/b/c")).unwrap(),
            Path::new("../x")
        );
        assert!(
            wt.write_file(BStr::new("../x"), &mut &b""[..], 0o644, &mut created)
                .is_err()
        );
        assert_eq!(
            wt.missing_dirs(BStr::new("a/new/deeper/f")).unwrap(),
            vec![BString::from("a/new"), BString::from("a/new/deeper")]
        );
        let names: Vec<_> = std::fs::read_dir(dir.path().join("a/b"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            names,
            vec![std::ffi::OsString::from("c")],
            "no temp files left"
        );
    }
}
