//! Where cleanup keeps its own state, and how it gets there safely.
//!
//! Audit manifests go to `<work tree>/.hephaestus/audit/`, per-run
//! quarantines to `<git dir>/hephaestus/quarantine/`; outside a git
//! repository both live under `<root>/.hephaestus/`. A cloned repository
//! can commit `.hephaestus` (or anything inside it) as a symlink, so these
//! directories are never reached through path strings: each one is opened
//! from its anchor (the work tree, the git dir or the root, all canonical)
//! one component at a time with `openat(…, O_DIRECTORY | O_NOFOLLOW)`, and
//! created the same way with `mkdirat`. A symlink or a non-directory on the
//! way is refused before anything is removed, and everything afterwards
//! (the quarantine entries, the seal, the manifest and its temporary file)
//! is created relative to the opened descriptors.

use std::ffi::OsStr;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::cleanup::CleanupError;
use crate::cleanup::ident;

pub(crate) const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// An opened state directory and the path it was reached by (for messages).
#[derive(Debug)]
pub struct StateDir {
    pub path: PathBuf,
    pub fd: OwnedFd,
}

/// Why a state directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A symlink or a non-directory where a state directory belongs.
    #[error("refusing to use {}: {reason}", path.display())]
    Unsafe { path: PathBuf, reason: String },
    #[error("cannot open {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl From<StateError> for CleanupError {
    fn from(e: StateError) -> Self {
        match e {
            StateError::Unsafe { path, reason } => CleanupError::UnsafeState { path, reason },
            StateError::Io { .. } => CleanupError::State(e.to_string()),
        }
    }
}

/// Whether missing directories are created, and with which mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    No,
    /// Create with this mode (before the umask).
    Yes(u32),
}

/// The state directories of one cleanup root.
#[derive(Debug, Clone)]
pub struct StateDirs {
    /// The work tree (in git) or the root (outside git).
    audit_anchor: PathBuf,
    /// The git dir (in git) or the root (outside git).
    quarantine_anchor: PathBuf,
    in_git: bool,
}

impl StateDirs {
    /// The state directories for `root`: under the git dir of the
    /// repository holding it, else under `root/.hephaestus`.
    pub fn for_root(root: &Path) -> StateDirs {
        if let Ok(repo) = crate::git::Repo::discover(root)
            && let Ok(work) = repo.work_tree()
            && let (Ok(work), Ok(git_dir)) = (work.canonicalize(), repo.git_dir().canonicalize())
        {
            return StateDirs {
                audit_anchor: work,
                quarantine_anchor: git_dir,
                in_git: true,
            };
        }
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        StateDirs {
            audit_anchor: root.clone(),
            quarantine_anchor: root,
            in_git: false,
        }
    }

    fn quarantine_parts(&self) -> &'static [&'static str] {
        if self.in_git {
            &["hephaestus", "quarantine"]
        } else {
            &[".hephaestus", "quarantine"]
        }
    }

    /// `<work tree>/.hephaestus/audit`.
    pub fn audit_path(&self) -> PathBuf {
        self.audit_anchor.join(".hephaestus").join("audit")
    }

    /// The parent of the per-run quarantine directories.
    pub fn quarantine_base_path(&self) -> PathBuf {
        self.quarantine_parts()
            .iter()
            .fold(self.quarantine_anchor.clone(), |p, c| p.join(c))
    }

    /// Open (or create) the audit directory; `None` when it does not exist
    /// and `create` is [`Create::No`].
    pub fn open_audit(&self, create: Create) -> Result<Option<StateDir>, StateError> {
        open_chain(&self.audit_anchor, &[".hephaestus", "audit"], create)
    }

    /// Open (or create, mode 0700) the quarantine base.
    pub fn open_quarantine_base(&self, create: bool) -> Result<Option<StateDir>, StateError> {
        let create = if create {
            Create::Yes(0o700)
        } else {
            Create::No
        };
        open_chain(&self.quarantine_anchor, self.quarantine_parts(), create)
    }
}

/// Open `anchor/parts[0]/parts[1]/…`, each component relative to the one
/// before with `O_NOFOLLOW`. A new `.hephaestus` directory gets a
/// `.gitignore` of `*` so its state never shows up in `git status`.
pub fn open_chain(
    anchor: &Path,
    parts: &[&str],
    create: Create,
) -> Result<Option<StateDir>, StateError> {
    let fd = rustix::fs::open(anchor, DIR_FLAGS, Mode::empty()).map_err(|e| match e {
        Errno::LOOP | Errno::NOTDIR => StateError::Unsafe {
            path: anchor.to_path_buf(),
            reason: "it is not a directory".to_string(),
        },
        e => io_err(anchor)(e),
    })?;
    let mut dir = StateDir {
        path: anchor.to_path_buf(),
        fd,
    };
    for part in parts {
        match dir.child(part, create)? {
            Some(next) => dir = next,
            None => return Ok(None),
        }
    }
    Ok(Some(dir))
}

impl StateDir {
    /// Open (or create) the directory `name` inside this one, without
    /// following a link; `None` when it does not exist and `create` is
    /// [`Create::No`].
    pub fn child(&self, name: &str, create: Create) -> Result<Option<StateDir>, StateError> {
        let path = self.path.join(name);
        let opened = match rustix::fs::openat(&self.fd, name, DIR_FLAGS, Mode::empty()) {
            Err(Errno::NOENT) => match create {
                Create::No => return Ok(None),
                Create::Yes(mode) => {
                    match rustix::fs::mkdirat(&self.fd, name, Mode::from_raw_mode(mode as _)) {
                        Ok(()) if name == ".hephaestus" => {
                            let dir = rustix::fs::openat(&self.fd, name, DIR_FLAGS, Mode::empty())
                                .map_err(io_err(&path))?;
                            write_new(&dir, OsStr::new(".gitignore"), b"*\n", 0o644).map_err(
                                |source| StateError::Io {
                                    path: path.join(".gitignore"),
                                    source,
                                },
                            )?;
                        }
                        Ok(()) | Err(Errno::EXIST) => {}
                        Err(e) => return Err(io_err(&path)(e)),
                    }
                    rustix::fs::openat(&self.fd, name, DIR_FLAGS, Mode::empty())
                }
            },
            other => other,
        };
        let fd = opened.map_err(|e| match e {
            Errno::LOOP | Errno::NOTDIR => StateError::Unsafe {
                reason: what_is(&self.fd, name),
                path: path.clone(),
            },
            e => io_err(&path)(e),
        })?;
        Ok(Some(StateDir { path, fd }))
    }
}

fn io_err(path: &Path) -> impl FnOnce(Errno) -> StateError + '_ {
    move |e| StateError::Io {
        path: path.to_path_buf(),
        source: e.into(),
    }
}

/// Why `name` cannot be a state directory.
fn what_is(parent: &OwnedFd, name: &str) -> String {
    match ident::stat_at(parent, OsStr::new(name)) {
        Ok(st) if st.file_type == FileType::Symlink => {
            let target = rustix::fs::readlinkat(parent, name, Vec::new())
                .map(|t| String::from_utf8_lossy(t.to_bytes()).into_owned())
                .unwrap_or_default();
            format!(
                "it is a symlink (to {target}); hephaestus keeps its state only in real directories, so a link cannot send the quarantine or the manifests elsewhere"
            )
        }
        _ => "it is not a directory".to_string(),
    }
}

/// Create a new file `name` in `dir` (never following or replacing
/// anything) with `bytes`, flushed to disk.
pub fn write_new(dir: &OwnedFd, name: &OsStr, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let fd = rustix::fs::openat(
        dir,
        name,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(mode as _),
    )?;
    let mut file = std::fs::File::from(fd);
    file.write_all(bytes)?;
    file.sync_all()
}

/// Replace `name` in `dir` atomically: write a new temporary file beside
/// it, flush it, and rename it over `name` (a symlink at `name` is
/// replaced, never followed).
pub fn replace_file(dir: &OwnedFd, name: &OsStr, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = std::ffi::OsString::from(".");
    tmp.push(name);
    tmp.push(format!(".{:08x}.tmp", fastrand::u32(..)));
    write_new(dir, &tmp, bytes, 0o600)?;
    if let Err(e) = rustix::fs::renameat(dir, &tmp, dir, name) {
        let _ = rustix::fs::unlinkat(dir, &tmp, AtFlags::empty());
        return Err(e.into());
    }
    Ok(())
}

/// Read a regular file `name` in `dir` without following a symlink.
pub fn read_file(dir: &OwnedFd, name: &OsStr) -> std::io::Result<Vec<u8>> {
    let fd = rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    if ident::stat_fd(&fd)?.file_type != FileType::RegularFile {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut std::fs::File::from(fd), &mut out)?;
    Ok(out)
}

/// Names in `dir` (without `.` and `..`).
pub fn names(dir: &OwnedFd) -> std::io::Result<Vec<std::ffi::OsString>> {
    let mut out = Vec::new();
    for ent in rustix::fs::Dir::read_from(dir)? {
        let ent = ent?;
        let name = ent.file_name().to_bytes();
        if name != b"." && name != b".." {
            out.push(crate::git::bytes_to_os(name).to_os_string());
        }
    }
    Ok(out)
}
