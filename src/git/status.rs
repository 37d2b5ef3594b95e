//! Unstaged changes: tracked paths whose work-tree state differs from the
//! index (content, executable bit, type, or deletion). Submodules,
//! intent-to-add entries and conflicts are left out: nothing in
//! hephaestus touches them.
//!
//! Built the way git's `preload-index` is: a first pass `lstat`s every
//! index entry in up to 16 threads, each over one contiguous slice of the
//! index (one thread start and one join each, whatever the size), through
//! a descriptor of each directory opened once with `O_NOFOLLOW` (so a
//! directory replaced by a symlink is noticed, as git's "beyond a symbolic
//! link" check does). Every entry whose stat data does not match the index
//! exactly, or is racily clean, or looks odd in any way, is a candidate;
//! gix's status then decides about the candidates alone — content
//! comparison with git's filters, racy-git, type and mode changes — on a
//! small index made of them. An entry whose stat data matches and is not
//! racy is unchanged for git too, so the answer is git's, at the cost of
//! one `fstatat` per entry.

use std::ffi::OsStr;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use gix::bstr::{BStr, BString};
use gix::index::entry::{Flags, Mode, Stat};
use gix::status::plumbing::index_as_worktree::{Change, EntryStatus};
use gix::status::plumbing::index_as_worktree_with_renames::{Entry as StatusEntry, VisitEntry};
use rustix::fs::{AtFlags, FileType, OFlags};

use super::{GitError, Repo};

/// How a tracked path differs from its index entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unstaged {
    /// Content and/or executable bit changed.
    Modified,
    /// The file is gone from the work tree.
    Deleted,
    /// File became symlink or the other way round.
    TypeChanged,
}

/// One more thread per this many entries, up to [`MAX_THREADS`]. As git's
/// `preload-index`, the count does not depend on the number of cores:
/// `lstat` waits for the file system as much as it computes, and threads
/// keep a share of a busy machine.
const ENTRIES_PER_THREAD: usize = 2000;
const MAX_THREADS: usize = 16;

/// The index entries whose flags make gix skip them.
const SKIPPED: Flags = Flags::SKIP_WORKTREE
    .union(Flags::ASSUME_VALID)
    .union(Flags::FSMONITOR_VALID);

/// What the first pass needs to know about the repository.
#[derive(Clone, Copy)]
struct Scan<'a> {
    index: &'a gix::index::State,
    root: &'a Path,
    stat: gix::index::entry::stat::Options,
    symlinks: bool,
    executable_bit: bool,
}

impl Repo {
    /// Tracked paths with unstaged changes, sorted.
    pub fn unstaged_changes(&self) -> Result<Vec<(BString, Unstaged)>, GitError> {
        let err = |e: gix::Error| GitError::Read {
            what: "cannot compare the work tree with the index".into(),
            message: e.to_string(),
        };
        let repo = self.gix();
        let index = self.index()?;
        let fs = repo.filesystem_options().map_err(err)?;
        let scan = Scan {
            index: &index,
            root: self.work_tree()?,
            stat: repo.stat_options().map_err(err)?,
            symlinks: fs.symlink,
            executable_bit: fs.executable_bit,
        };
        let candidates = candidates(scan);
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let small = small_index(&index, &candidates, repo.object_hash());
        let mut collect = Collect::default();
        repo.index_worktree_status(
            &small,
            Vec::<BString>::new(),
            &mut collect,
            gix::status::plumbing::index_as_worktree::traits::FastEq,
            NoSubmodules,
            &mut gix::progress::Discard,
            &AtomicBool::new(false),
            gix::status::index_worktree::Options {
                thread_limit: Some(1),
                ..Default::default()
            },
        )
        .map_err(err)?;
        let mut out = collect.changes;
        out.sort();
        Ok(out)
    }

    /// Just the paths of [`Repo::unstaged_changes`].
    pub fn unstaged_paths(&self) -> Result<Vec<BString>, GitError> {
        Ok(self
            .unstaged_changes()?
            .into_iter()
            .map(|(p, _)| p)
            .collect())
    }
}

/// Gitlinks are never candidates, so gix never asks about a submodule;
/// gix's own [`BuiltinSubmoduleStatus`] would read `.gitmodules` (from
/// the work tree, the index or `HEAD`'s tree) before every status just to
/// be ready.
///
/// [`BuiltinSubmoduleStatus`]: gix::status::index_worktree::BuiltinSubmoduleStatus
#[derive(Clone, Copy)]
struct NoSubmodules;

impl gix::status::plumbing::index_as_worktree::traits::SubmoduleStatus for NoSubmodules {
    type Output = ();

    fn status(&mut self, _: &gix::index::Entry, _: &BStr) -> gix::Result<Option<()>> {
        Ok(None)
    }
}

/// The changes gix reports, in our terms.
#[derive(Default)]
struct Collect {
    changes: Vec<(BString, Unstaged)>,
}

impl<'index> VisitEntry<'index> for Collect {
    type ContentChange = ();
    type SubmoduleStatus = ();

    fn visit_entry(
        &mut self,
        entry: StatusEntry<'index, Self::ContentChange, Self::SubmoduleStatus>,
    ) {
        let StatusEntry::Modification {
            entry,
            rela_path,
            status,
            ..
        } = entry
        else {
            return;
        };
        if entry.mode == Mode::COMMIT {
            return;
        }
        let kind = match status {
            EntryStatus::Change(Change::Removed) => Unstaged::Deleted,
            EntryStatus::Change(Change::Type { .. }) => Unstaged::TypeChanged,
            EntryStatus::Change(Change::Modification {
                executable_bit_changed,
                content_change,
                ..
            }) if executable_bit_changed || content_change.is_some() => Unstaged::Modified,
            _ => return,
        };
        self.changes.push((rela_path.to_owned(), kind));
    }
}

/// An index of the candidates (and every `.gitattributes`, which gix may
/// read from the index), with the original's timestamp for racy-git.
fn small_index(
    index: &gix::index::State,
    candidates: &[usize],
    hash: gix::hash::Kind,
) -> gix::index::State {
    let mut small = gix::index::State::new(hash);
    let entries = index.entries();
    let mut take = |e: &gix::index::Entry| {
        small.dangerously_push_entry(e.stat, e.id, e.flags, e.mode, e.path(index));
    };
    let mut next = candidates.iter().peekable();
    for (i, e) in entries.iter().enumerate() {
        if next.peek() == Some(&&i) {
            next.next();
            take(e);
        } else if e.stage_raw() == 0 && is_attributes(e.path(index)) {
            take(e);
        }
    }
    small.sort_entries();
    small.set_timestamp(index.timestamp());
    small
}

fn is_attributes(path: &BStr) -> bool {
    path == ".gitattributes" || path.ends_with(b"/.gitattributes")
}

/// Indices of the entries gix must look at, in index order.
fn candidates(scan: Scan<'_>) -> Vec<usize> {
    let n = scan.index.entries().len();
    let threads = (n / ENTRIES_PER_THREAD).clamp(1, MAX_THREADS);
    let chunk = n.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let others: Vec<_> = (1..threads)
            .map(|t| {
                let range = (t * chunk).min(n)..((t + 1) * chunk).min(n);
                (range.clone(), s.spawn(move || scan_range(scan, range)))
            })
            .collect();
        let mut out = scan_range(scan, 0..chunk.min(n));
        for (range, handle) in others {
            // A thread that failed leaves its whole slice to gix.
            out.extend(handle.join().unwrap_or_else(|_| range.collect()));
        }
        out
    })
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// The directories open on the way to the entry being looked at: one
/// descriptor per component (`None` once a component is not a real
/// directory).
struct DirStack {
    root: Option<OwnedFd>,
    /// The directory the stack is open at (its components joined by `/`).
    current: Vec<u8>,
    names: Vec<Vec<u8>>,
    fds: Vec<Option<OwnedFd>>,
}

impl DirStack {
    /// The descriptor of `dir` ("" is the root); `None` when it is not a
    /// directory git would look into.
    fn open(&mut self, dir: &[u8]) -> Option<&OwnedFd> {
        if dir != self.current.as_slice() {
            self.descend(dir);
        }
        match self.fds.last() {
            Some(fd) => fd.as_ref(),
            None => self.root.as_ref(),
        }
    }

    /// Move the stack to `dir`, keeping the components it shares.
    fn descend(&mut self, dir: &[u8]) {
        self.current.clear();
        self.current.extend_from_slice(dir);
        let parts: Vec<&[u8]> = if dir.is_empty() {
            Vec::new()
        } else {
            dir.split(|b| *b == b'/').collect()
        };
        let keep = self
            .names
            .iter()
            .zip(&parts)
            .take_while(|(a, b)| a.as_slice() == **b)
            .count();
        self.names.truncate(keep);
        self.fds.truncate(keep);
        for part in &parts[keep..] {
            let next = match self.fds.last() {
                Some(None) => None,
                Some(Some(fd)) => {
                    rustix::fs::openat(fd, OsStr::from_bytes(part), DIR_FLAGS, 0.into()).ok()
                }
                None => self.root.as_ref().and_then(|fd| {
                    rustix::fs::openat(fd, OsStr::from_bytes(part), DIR_FLAGS, 0.into()).ok()
                }),
            };
            self.names.push(part.to_vec());
            self.fds.push(next);
        }
    }
}

/// The candidates among the entries in `range`.
fn scan_range(scan: Scan<'_>, range: std::ops::Range<usize>) -> Vec<usize> {
    let mut dirs = DirStack {
        current: Vec::new(),
        root: rustix::fs::open(
            scan.root,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            0.into(),
        )
        .ok(),
        names: Vec::new(),
        fds: Vec::new(),
    };
    let entries = scan.index.entries();
    let mut out = Vec::new();
    for i in range {
        let e = &entries[i];
        if e.stage_raw() != 0 || e.flags.intersects(SKIPPED) || e.mode == Mode::COMMIT {
            continue; // gix skips these, or we ignore what it says
        }
        if e.flags.contains(Flags::INTENT_TO_ADD) {
            out.push(i);
            continue;
        }
        let path: &[u8] = e.path(scan.index);
        let (dir, name) = match path.iter().rposition(|b| *b == b'/') {
            Some(p) => (&path[..p], &path[p + 1..]),
            None => (&path[..0], path),
        };
        let Some(fd) = dirs.open(dir) else {
            out.push(i);
            continue;
        };
        let Ok(st) = rustix::fs::statat(fd, OsStr::from_bytes(name), AtFlags::SYMLINK_NOFOLLOW)
        else {
            out.push(i);
            continue;
        };
        if !clean_by_stat(scan, e, &st) {
            out.push(i);
        }
    }
    out
}

/// What gix would conclude without reading the file: the type and mode
/// match, the stat data match, and the entry is not racily clean.
#[allow(clippy::unnecessary_cast)] // field types differ between platforms
fn clean_by_stat(scan: Scan<'_>, e: &gix::index::Entry, st: &rustix::fs::Stat) -> bool {
    let ft = FileType::from_raw_mode(st.st_mode as _);
    let is_file = ft == FileType::RegularFile;
    let executable = is_file && st.st_mode as u32 & 0o100 != 0;
    if ft == FileType::Directory
        || e.mode
            .change_to_match_fs_with_values(
                is_file,
                false,
                ft == FileType::Symlink,
                executable,
                scan.symlinks,
                scan.executable_bit,
            )
            .is_some()
    {
        return false;
    }
    let time = |secs: i64, nsecs: i64| gix::index::entry::stat::Time {
        // Truncated to 32 bits as git (and gix) do.
        secs: secs as u32,
        nsecs: nsecs as u32,
    };
    let now = Stat {
        mtime: time(st.st_mtime as i64, st.st_mtime_nsec as i64),
        ctime: time(st.st_ctime as i64, st.st_ctime_nsec as i64),
        dev: st.st_dev as u32,
        ino: st.st_ino as u32,
        uid: st.st_uid as u32,
        gid: st.st_gid as u32,
        size: st.st_size as u32,
    };
    now.matches(&e.stat, scan.stat)
        && (!e.id.is_empty_blob() || e.stat.size == 0)
        && !now.is_racy(scan.index.timestamp(), scan.stat)
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use super::*;

    fn git(dir: &Path, args: &[&str]) -> Vec<u8> {
        let out = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@e",
                "-c",
                "core.autocrlf=false",
            ])
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_WORK_TREE")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// `git diff --name-only -z`, the oracle.
    fn git_says(dir: &Path) -> Vec<BString> {
        let mut v: Vec<BString> = git(
            dir,
            &["diff", "--name-only", "-z", "--ignore-submodules=all"],
        )
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(BString::from)
        .collect();
        v.sort();
        v
    }

    #[test]
    fn unstaged_changes_are_what_git_diff_lists() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        git(dir, &["init", "-q"]);
        let write = |p: &str, s: &str| {
            let path = dir.join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, s).unwrap();
        };
        for i in 0..5000 {
            write(&format!("many/d{}/f{i}.txt", i % 50), &format!("{i}\n"));
        }
        for p in [
            "same.txt",
            "racy.txt",
            "gone.txt",
            "exec.sh",
            "to-link.txt",
            "dir/a.txt",
            "dir/b.txt",
            "swapped/x.txt",
            "skip.txt",
            "assume.txt",
            "ita-gone.txt",
        ] {
            write(p, "content\n");
        }
        std::os::unix::fs::symlink("same.txt", dir.join("link")).unwrap();
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-q", "-m", "base"]);
        git(dir, &["update-index", "--skip-worktree", "skip.txt"]);
        git(dir, &["update-index", "--assume-unchanged", "assume.txt"]);
        write("ita-gone.txt.new", "x\n");
        // Modified right after the index was written, same size: racily
        // clean by stat, found by content.
        git(dir, &["add", "racy.txt"]);
        write("racy.txt", "CONTENT\n");
        write("many/d7/f7.txt", "changed\n");
        std::fs::remove_file(dir.join("gone.txt")).unwrap();
        std::fs::set_permissions(dir.join("exec.sh"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        std::fs::remove_file(dir.join("to-link.txt")).unwrap();
        std::os::unix::fs::symlink("same.txt", dir.join("to-link.txt")).unwrap();
        std::fs::remove_file(dir.join("link")).unwrap();
        write("link", "now a file\n");
        std::fs::rename(dir.join("swapped"), dir.join("swapped-real")).unwrap();
        std::os::unix::fs::symlink("swapped-real", dir.join("swapped")).unwrap();
        std::fs::remove_file(dir.join("dir/a.txt")).unwrap();
        std::fs::remove_file(dir.join("dir/b.txt")).unwrap();
        std::fs::remove_dir(dir.join("dir")).unwrap();
        write("dir", "a file where a directory was\n");
        write("skip.txt", "ignored by git\n");
        write("assume.txt", "ignored by git too\n");
        write("new-ita.txt", "x\n");
        git(dir, &["add", "-N", "new-ita.txt"]);
        std::fs::remove_file(dir.join("new-ita.txt")).unwrap();
        let repo = Repo::discover(dir).unwrap();
        let ours: Vec<BString> = repo.unstaged_paths().unwrap();
        assert_eq!(ours, git_says(dir));
        assert!(ours.contains(&BString::from("swapped/x.txt")), "{ours:?}");
        assert!(ours.contains(&BString::from("racy.txt")), "{ours:?}");
    }
}
