//! What git can see of a path, hashed: how the executor tells whether a
//! fixer changed a file, and how the keeper tells a step's edit from
//! anybody else's; and [`FileWatch`], how it tells cheaply whether a
//! read-only step wrote one of the files it was given.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::git::{BString, bytes_to_os};

use sha2::{Digest, Sha256};

/// A path's content as git sees it, hashed: see [`fingerprint`].
pub type Fingerprint = [u8; 32];

/// The hasher a regular file's fingerprint starts from; feed it the
/// file's bytes and finalize.
pub fn file_fingerprinter(executable: bool) -> Sha256 {
    let mut hasher = Sha256::new();
    #[cfg(unix)]
    hasher.update(executable.to_string().as_bytes());
    #[cfg(not(unix))]
    let _ = executable;
    hasher
}

/// The fingerprint of a symlink to `target`.
pub fn link_fingerprint(target: &[u8]) -> Fingerprint {
    let mut hasher = Sha256::new();
    hasher.update(b"link\0");
    hasher.update(target);
    hasher.finalize().into()
}

/// What git can see of a path: a file's bytes and executable bit, or a
/// symlink's target; `None` for anything else or a missing path. Used to
/// tell whether a step changed a file (here and in the keeper).
pub fn fingerprint(path: &Path) -> Option<Fingerprint> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if meta.file_type().is_symlink() {
        return Some(link_fingerprint(
            std::fs::read_link(path)
                .ok()?
                .as_os_str()
                .as_encoded_bytes(),
        ));
    }
    if !meta.is_file() {
        return None;
    }
    #[cfg(unix)]
    let executable = {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o111 != 0
    };
    #[cfg(not(unix))]
    let executable = false;
    let mut hasher = file_fingerprinter(executable);
    std::io::copy(&mut std::fs::File::open(path).ok()?, &mut hasher).ok()?;
    Some(hasher.finalize().into())
}

/// What `lstat` says of a path, in the fields a write changes: any write,
/// rename over, `chmod` or `touch` moves the change time, which no
/// program can set back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StatKey {
    dev: u64,
    ino: u64,
    mode: u32,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl StatKey {
    #[cfg(unix)]
    fn of(path: &Path) -> Option<StatKey> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::symlink_metadata(path).ok()?;
        Some(StatKey {
            dev: m.dev(),
            ino: m.ino(),
            mode: m.mode(),
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        })
    }

    #[cfg(not(unix))]
    fn of(path: &Path) -> Option<StatKey> {
        let m = std::fs::symlink_metadata(path).ok()?;
        let time = |t: std::io::Result<SystemTime>| {
            t.ok()
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map(|d| (d.as_secs() as i64, i64::from(d.subsec_nanos())))
                .unwrap_or_default()
        };
        Some(StatKey {
            dev: 0,
            ino: 0,
            mode: u32::from(m.permissions().readonly()),
            size: m.len(),
            mtime: time(m.modified()),
            ctime: time(m.created()),
        })
    }

    /// Changed so recently that a write in the same tick of the file
    /// system's clock could leave the stat data as they are (git's "racily
    /// clean"): such a path is compared by content too.
    fn racy(&self, since: (i64, i64)) -> bool {
        self.mtime >= since || self.ctime >= since
    }
}

/// How far back a change counts as racy: more than the coarsest clock of
/// a file system in use (FAT keeps two-second times; the kernel's coarse
/// clock ticks in milliseconds).
const RACY_WINDOW: Duration = Duration::from_secs(3);

/// Watch a set of paths while a read-only step group runs, to tell
/// afterwards which of them it wrote. Up to [`STAT_LIMIT`] paths (a
/// commit's worth) are looked at by `lstat` before and after, and hashed
/// (with [`fingerprint`]) only when changed too recently for their stat
/// data to tell; more (`--all-files`) are watched on Linux through inotify
/// on their directories, which costs one call per directory instead of
/// two per file. A path written in any way counts, even if the bytes
/// came out the same: a step that is not a fixer has no business
/// rewriting a file.
pub struct FileWatch {
    root: PathBuf,
    how: How,
}

enum How {
    Stat(Vec<Watched>),
    #[cfg(target_os = "linux")]
    Notify(notify::Notify),
}

/// Up to this many paths are watched by `lstat`.
pub const STAT_LIMIT: usize = 2000;

struct Watched {
    path: BString,
    stat: Option<StatKey>,
    /// The content of a racy path (see [`StatKey::racy`]).
    content: Option<Option<Fingerprint>>,
}

/// How to watch (tests pick; [`FileWatch::start`] decides by size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Stat,
    Notify,
}

impl FileWatch {
    /// Watch `paths` (relative to `root`) from now on.
    pub fn start(root: &Path, paths: Vec<BString>) -> FileWatch {
        let method = match paths.len() > STAT_LIMIT {
            true => Method::Notify,
            false => Method::Stat,
        };
        FileWatch::start_with(root, paths, method)
    }

    /// Watch `paths` by `method` (by stat where inotify is not to be had).
    pub fn start_with(root: &Path, paths: Vec<BString>, method: Method) -> FileWatch {
        #[cfg(target_os = "linux")]
        let paths = match method {
            Method::Notify => match notify::Notify::start(root, paths) {
                Ok(n) => {
                    return FileWatch {
                        root: root.to_path_buf(),
                        how: How::Notify(n),
                    };
                }
                Err(paths) => paths,
            },
            Method::Stat => paths,
        };
        #[cfg(not(target_os = "linux"))]
        let _ = method;
        FileWatch {
            root: root.to_path_buf(),
            how: How::Stat(stat_before(root, paths)),
        }
    }

    /// The watched paths written, created or removed since the start.
    pub fn changed(self) -> BTreeSet<BString> {
        match self.how {
            How::Stat(entries) => stat_after(&self.root, entries),
            #[cfg(target_os = "linux")]
            How::Notify(n) => n.changed(&self.root),
        }
    }
}

/// The start of the racy window: [`RACY_WINDOW`] before now.
fn racy_since() -> (i64, i64) {
    SystemTime::now()
        .checked_sub(RACY_WINDOW)
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map(|d| (d.as_secs() as i64, i64::from(d.subsec_nanos())))
        .unwrap_or_default()
}

fn stat_before(root: &Path, paths: Vec<BString>) -> Vec<Watched> {
    let since = racy_since();
    paths
        .into_iter()
        .map(|path| {
            let abs = root.join(bytes_to_os(&path));
            let stat = StatKey::of(&abs);
            let content = match stat {
                Some(k) if k.racy(since) => Some(fingerprint(&abs)),
                _ => None,
            };
            Watched {
                path,
                stat,
                content,
            }
        })
        .collect()
}

fn stat_after(root: &Path, entries: Vec<Watched>) -> BTreeSet<BString> {
    entries
        .into_iter()
        .filter(|w| {
            let abs = root.join(bytes_to_os(&w.path));
            match &w.content {
                // Racy before: the bytes decide (a same-tick rewrite of
                // the same size leaves the stat data alone).
                Some(before) => fingerprint(&abs) != *before,
                None => StatKey::of(&abs) != w.stat,
            }
        })
        .map(|w| w.path)
        .collect()
}

#[cfg(target_os = "linux")]
mod notify {
    //! inotify on the directories of the watched paths.

    use std::collections::{BTreeSet, HashMap};
    use std::mem::MaybeUninit;
    use std::os::fd::OwnedFd;
    use std::path::Path;
    use std::time::{Duration, SystemTime};

    use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};

    use crate::git::{BString, bytes_to_os};

    /// A write, truncation, `chmod`/`touch`, creation, removal or rename
    /// onto a name, in the directory.
    const EVENTS: WatchFlags = WatchFlags::MODIFY
        .union(WatchFlags::ATTRIB)
        .union(WatchFlags::CREATE)
        .union(WatchFlags::DELETE)
        .union(WatchFlags::MOVED_FROM)
        .union(WatchFlags::MOVED_TO)
        .union(WatchFlags::DELETE_SELF)
        .union(WatchFlags::MOVE_SELF)
        .union(WatchFlags::ONLYDIR)
        .union(WatchFlags::DONT_FOLLOW);

    pub(super) struct Notify {
        fd: OwnedFd,
        /// Watch descriptor → directory (relative, "" for the root).
        dirs: HashMap<i32, Vec<u8>>,
        /// Directory → the watched names in it.
        names: HashMap<Vec<u8>, BTreeSet<Vec<u8>>>,
        started: SystemTime,
    }

    impl Notify {
        /// Watch the directories of `paths`; the paths back when inotify
        /// cannot be had (no instance, no watch left).
        pub(super) fn start(root: &Path, paths: Vec<BString>) -> Result<Notify, Vec<BString>> {
            let Ok(fd) = inotify::init(CreateFlags::CLOEXEC | CreateFlags::NONBLOCK) else {
                return Err(paths);
            };
            let mut names: HashMap<Vec<u8>, BTreeSet<Vec<u8>>> = HashMap::new();
            for p in &paths {
                let (dir, name) = match p.iter().rposition(|b| *b == b'/') {
                    Some(i) => (&p[..i], &p[i + 1..]),
                    None => (&p[..0], &p[..]),
                };
                names.entry(dir.to_vec()).or_default().insert(name.to_vec());
            }
            let started = SystemTime::now();
            let mut dirs = HashMap::with_capacity(names.len());
            for dir in names.keys() {
                let abs = root.join(bytes_to_os(dir));
                match inotify::add_watch(&fd, &abs, EVENTS) {
                    Ok(wd) => {
                        dirs.insert(wd, dir.clone());
                    }
                    // A directory that is gone has nothing to write in;
                    // its paths are looked at by stat afterwards.
                    Err(rustix::io::Errno::NOENT | rustix::io::Errno::NOTDIR) => {}
                    Err(_) => return Err(paths),
                }
            }
            Ok(Notify {
                fd,
                dirs,
                names,
                started,
            })
        }

        pub(super) fn changed(self, root: &Path) -> BTreeSet<BString> {
            let mut changed: BTreeSet<BString> = BTreeSet::new();
            let mut whole_dirs: BTreeSet<Vec<u8>> = BTreeSet::new();
            let mut overflow = false;
            let mut buf = vec![MaybeUninit::<u8>::uninit(); 64 * 1024];
            let mut reader = inotify::Reader::new(&self.fd, &mut buf);
            loop {
                let event = match reader.next() {
                    Ok(e) => e,
                    Err(rustix::io::Errno::AGAIN) => break, // drained
                    Err(_) => {
                        // Unreadable: events may be lost, so judge every
                        // path by its change time, as after an overflow.
                        overflow = true;
                        break;
                    }
                };
                let flags = event.events();
                if flags.contains(ReadFlags::QUEUE_OVERFLOW) {
                    overflow = true;
                    continue;
                }
                let Some(dir) = self.dirs.get(&event.wd()) else {
                    continue;
                };
                if flags.intersects(ReadFlags::DELETE_SELF | ReadFlags::MOVE_SELF) {
                    whole_dirs.insert(dir.clone());
                    continue;
                }
                let Some(name) = event.file_name() else {
                    continue;
                };
                let name = name.to_bytes();
                if self.names.get(dir).is_some_and(|n| n.contains(name)) {
                    changed.insert(join(dir, name));
                }
            }
            for (dir, names) in &self.names {
                let unwatched = !self.dirs.values().any(|d| d == dir);
                if overflow || unwatched || whole_dirs.contains(dir) {
                    // Events were lost (or never could come): what changed
                    // since the start, by its change time.
                    let since = self
                        .started
                        .checked_sub(COARSE_CLOCK)
                        .unwrap_or(self.started);
                    for name in names {
                        let path = join(dir, name);
                        if changed_since(&root.join(bytes_to_os(&path)), since) {
                            changed.insert(path);
                        }
                    }
                }
            }
            changed
        }
    }

    /// How far a file system's change time may lag the clock (the
    /// kernel's coarse clock ticks every few milliseconds).
    const COARSE_CLOCK: Duration = Duration::from_millis(20);

    fn join(dir: &[u8], name: &[u8]) -> BString {
        if dir.is_empty() {
            return BString::from(name);
        }
        let mut p = dir.to_vec();
        p.push(b'/');
        p.extend_from_slice(name);
        BString::from(p)
    }

    /// Changed (or gone) since `since`, by its change time.
    fn changed_since(path: &Path, since: SystemTime) -> bool {
        use std::os::unix::fs::MetadataExt;
        let Ok(m) = std::fs::symlink_metadata(path) else {
            return true;
        };
        let ctime = SystemTime::UNIX_EPOCH
            + Duration::new(
                m.ctime().max(0) as u64,
                m.ctime_nsec().clamp(0, 999_999_999) as u32,
            );
        ctime >= since
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree with `a.txt`, `d/b.txt`, `d/e/c.txt` and `untouched.txt`,
    /// their change times pushed out of the racy window when `settled`.
    fn tree(settled: bool) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for p in ["a.txt", "d/b.txt", "d/e/c.txt", "untouched.txt"] {
            let path = dir.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, p).unwrap();
        }
        if settled {
            // ctime cannot be set back: wait the window out instead.
            std::thread::sleep(RACY_WINDOW + Duration::from_millis(50));
        }
        dir
    }

    fn paths() -> Vec<BString> {
        [
            "a.txt",
            "d/b.txt",
            "d/e/c.txt",
            "untouched.txt",
            "d/new.txt",
        ]
        .into_iter()
        .map(BString::from)
        .collect()
    }

    fn names(set: BTreeSet<BString>) -> Vec<String> {
        set.into_iter().map(|p| p.to_string()).collect()
    }

    /// Writes, a same-bytes rewrite, a removal and a creation, and reads
    /// and an unwatched file that must not count.
    fn edits(root: &Path) {
        std::fs::write(root.join("a.txt"), "changed").unwrap();
        std::fs::write(root.join("d/b.txt"), "d/b.txt").unwrap();
        std::fs::remove_file(root.join("d/e/c.txt")).unwrap();
        std::fs::write(root.join("d/new.txt"), "new").unwrap();
        std::fs::write(root.join("d/unwatched.txt"), "x").unwrap();
        let _ = std::fs::read(root.join("untouched.txt")).unwrap();
    }

    #[test]
    fn stat_watch_finds_writes_removals_and_creations_of_watched_paths() {
        let dir = tree(true);
        let watch = FileWatch::start_with(dir.path(), paths(), Method::Stat);
        edits(dir.path());
        assert_eq!(
            names(watch.changed()),
            ["a.txt", "d/b.txt", "d/e/c.txt", "d/new.txt"]
        );
    }

    #[test]
    fn stat_watch_compares_racy_paths_by_content() {
        // Just written: racy, so hashed; a rewrite of the same bytes is
        // no change, a same-size edit in the same clock tick is one.
        let dir = tree(false);
        let watch = FileWatch::start_with(dir.path(), paths(), Method::Stat);
        std::fs::write(dir.path().join("a.txt"), "a.txt").unwrap();
        std::fs::write(dir.path().join("d/b.txt"), "D/B.TXT").unwrap();
        assert_eq!(names(watch.changed()), ["d/b.txt"]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn inotify_watch_finds_writes_removals_and_creations_of_watched_paths() {
        let dir = tree(false);
        let watch = FileWatch::start_with(dir.path(), paths(), Method::Notify);
        assert!(matches!(watch.how, How::Notify(_)), "inotify is in use");
        edits(dir.path());
        assert_eq!(
            names(watch.changed()),
            ["a.txt", "d/b.txt", "d/e/c.txt", "d/new.txt"]
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn inotify_watch_sees_a_rename_over_a_watched_file_and_a_chmod() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tree(false);
        let watch = FileWatch::start_with(dir.path(), paths(), Method::Notify);
        std::fs::write(dir.path().join("d/tmp"), "replaced").unwrap();
        std::fs::rename(dir.path().join("d/tmp"), dir.path().join("d/b.txt")).unwrap();
        std::fs::set_permissions(
            dir.path().join("a.txt"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        assert_eq!(names(watch.changed()), ["a.txt", "d/b.txt"]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn inotify_watch_of_a_directory_replaced_meanwhile_falls_back_to_change_times() {
        let dir = tree(false);
        let watch = FileWatch::start_with(dir.path(), paths(), Method::Notify);
        std::fs::rename(dir.path().join("d/e"), dir.path().join("old-e")).unwrap();
        std::fs::create_dir(dir.path().join("d/e")).unwrap();
        std::fs::write(dir.path().join("d/e/c.txt"), "new c").unwrap();
        assert_eq!(names(watch.changed()), ["d/e/c.txt"]);
    }
}
