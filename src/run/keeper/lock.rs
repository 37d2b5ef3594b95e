//! One keeper per work tree at a time: an exclusive `flock(2)` on
//! `<git dir>/hephaestus/keeper.lock`, in the work tree's own git
//! directory (a linked worktree has its own, so worktrees never wait for
//! each other).
//!
//! A hook run that may set unstaged work aside takes the lock before it
//! reads anything, and `hook recover` takes it before it writes anything.
//! The kernel releases a `flock` when the holder's last descriptor closes,
//! so a process that dies (SIGKILL, OOM killer, a crash) never leaves a
//! stale lock behind: there is no lock file to clean up, and the record of
//! who holds it (pid, what it runs, since when) is only read while the lock
//! is really held by a live process. The descriptor is close-on-exec, so
//! steps never inherit it. Taking a free lock is one `open`, one `flock`
//! and one small write.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::UserError;
use crate::exit::ExitStatus;

/// How long a run waits for another run of the same work tree by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// The environment variable that changes [`DEFAULT_WAIT`] (seconds).
pub const WAIT_ENV: &str = "HEPHAESTUS_LOCK_TIMEOUT";

/// Who holds the lock, as the holder recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    /// What it is doing (`hook run pre-commit`, `hook recover`).
    pub what: String,
    /// When it took the lock (RFC 3339, UTC).
    pub since: String,
}

impl Holder {
    /// `pid 1234 (hook run pre-commit, since …)`.
    pub fn describe(&self) -> String {
        format!("pid {} ({}, since {})", self.pid, self.what, self.since)
    }
}

/// A held lock; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct WorkTreeLock {
    _file: File,
}

/// How to take the lock.
pub struct LockSettings<'a> {
    /// What the holder is doing, for the messages of those who wait.
    pub what: &'a str,
    /// How long to wait for another holder; zero tries once.
    pub wait: Duration,
    /// Called once, when the lock turns out to be held by someone else.
    pub on_wait: &'a dyn Fn(Option<&Holder>),
    /// Stop waiting as soon as this turns true (a signal arrived).
    pub cancel: Option<&'a AtomicBool>,
}

/// The lock was not free within the wait.
#[derive(Debug)]
pub struct Busy {
    pub holder: Option<Holder>,
    pub waited: Duration,
    /// The wait was cancelled (see [`LockSettings::cancel`]).
    pub cancelled: bool,
}

/// Where the lock of the work tree whose git directory is `git_dir` lives.
pub fn lock_path(git_dir: &Path) -> PathBuf {
    git_dir.join("hephaestus").join("keeper.lock")
}

/// The wait from [`WAIT_ENV`], else [`DEFAULT_WAIT`]; a bad value is a
/// usage error naming the variable.
pub fn wait_from_env() -> anyhow::Result<Duration> {
    match std::env::var(WAIT_ENV) {
        Err(_) => Ok(DEFAULT_WAIT),
        Ok(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64)
            .ok_or_else(|| {
                UserError::usage(format!("{WAIT_ENV}={v:?} is not a number of seconds"))
                    .with_hint(format!(
                        "set {WAIT_ENV} to a number such as 30, or unset it"
                    ))
                    .into()
            }),
    }
}

/// Take the lock of the work tree whose git directory is `git_dir`,
/// waiting up to `settings.wait`. `Ok(Err(busy))` when another process
/// still holds it; `Err` when the lock file cannot be opened.
pub fn acquire(
    git_dir: &Path,
    settings: &LockSettings<'_>,
) -> anyhow::Result<Result<WorkTreeLock, Busy>> {
    let path = lock_path(git_dir);
    let file = open(&path)?;
    let start = Instant::now();
    let mut told = false;
    let mut pause = Duration::from_millis(5);
    loop {
        if try_flock(&file).map_err(|e| io_error("cannot lock", &path, e))? {
            record(&file, settings.what);
            return Ok(Ok(WorkTreeLock { _file: file }));
        }
        let waited = start.elapsed();
        if !told {
            told = true;
            // The holder writes its record right after taking the lock.
            let holder = holder_settled(&path);
            (settings.on_wait)(holder.as_ref());
        }
        let cancelled = settings.cancel.is_some_and(|c| c.load(Ordering::SeqCst));
        if waited >= settings.wait || cancelled {
            return Ok(Err(Busy {
                holder: read_holder(&path),
                waited,
                cancelled,
            }));
        }
        std::thread::sleep(pause.min(settings.wait - waited));
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// Who holds the lock now, if anyone does (the lock is not taken).
pub fn current_holder(git_dir: &Path) -> anyhow::Result<Option<Holder>> {
    let path = lock_path(git_dir);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error("cannot open", &path, e)),
    };
    if try_flock(&file).map_err(|e| io_error("cannot lock", &path, e))? {
        // Free: nobody holds it (closing `file` releases it again).
        return Ok(None);
    }
    Ok(Some(holder_settled(&path).unwrap_or(Holder {
        pid: 0,
        what: "unknown".into(),
        since: "unknown".into(),
    })))
}

/// The error a run gives when the lock stayed busy.
pub fn busy_error(busy: &Busy) -> UserError {
    let who = busy
        .holder
        .as_ref()
        .map(Holder::describe)
        .unwrap_or_else(|| "another process".to_string());
    let stop = busy
        .holder
        .as_ref()
        .map(|h| format!("`kill {}`", h.pid))
        .unwrap_or_else(|| "stopping it".to_string());
    UserError {
        message: format!(
            "another hook run is still working in this work tree: {who}; waited {:.0}s, nothing was changed",
            busy.waited.as_secs_f64()
        ),
        hint: Some(format!(
            "let it finish and try again (set {WAIT_ENV}=<seconds> to wait longer); if it hangs, {stop} makes it put your unstaged changes back and stop"
        )),
        status: ExitStatus::Failure,
    }
}

fn open(path: &Path) -> anyhow::Result<File> {
    let opts = || {
        let mut o = std::fs::OpenOptions::new();
        o.read(true).write(true).create(true).truncate(false);
        o
    };
    match opts().open(path) {
        Ok(f) => Ok(f),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| io_error("cannot create", dir, e))?;
            }
            opts()
                .open(path)
                .map_err(|e| io_error("cannot open", path, e))
        }
        Err(e) => Err(io_error("cannot open", path, e)),
    }
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> anyhow::Error {
    anyhow::anyhow!("{what} the keeper lock {}: {e}", path.display())
}

/// Try to take the lock without waiting: `Ok(false)` when it is held.
#[cfg(unix)]
fn try_flock(file: &File) -> std::io::Result<bool> {
    use rustix::fs::{FlockOperation, flock};
    loop {
        match flock(file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => return Ok(true),
            Err(rustix::io::Errno::WOULDBLOCK) => return Ok(false),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Without `flock` the lock is advisory only: every run gets it.
#[cfg(not(unix))]
fn try_flock(_file: &File) -> std::io::Result<bool> {
    Ok(true)
}

/// Write who holds the lock (best effort: the lock itself is the flock).
fn record(file: &File, what: &str) {
    let holder = Holder {
        pid: std::process::id(),
        what: what.to_string(),
        since: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    };
    let Ok(mut line) = serde_json::to_vec(&holder) else {
        return;
    };
    line.push(b'\n');
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        // Overwrite, then cut to length: truncating a file to zero makes
        // ext4 write it out when it is closed, which would be the one
        // measurable cost of the lock.
        if file.write_all_at(&line, 0).is_ok() {
            let _ = file.set_len(line.len() as u64);
        }
    }
    #[cfg(not(unix))]
    let _ = (file, line);
}

fn read_holder(path: &Path) -> Option<Holder> {
    let mut text = String::new();
    File::open(path).ok()?.read_to_string(&mut text).ok()?;
    serde_json::from_str(text.trim()).ok()
}

/// The holder's record, giving a holder that has just taken the lock a
/// moment to write it.
fn holder_settled(path: &Path) -> Option<Holder> {
    for _ in 0..10 {
        if let Some(h) = read_holder(path) {
            return Some(h);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn settings<'a>(wait: Duration, on_wait: &'a dyn Fn(Option<&Holder>)) -> LockSettings<'a> {
        LockSettings {
            what: "test",
            wait,
            on_wait,
            cancel: None,
        }
    }

    #[test]
    fn second_taker_waits_then_reports_the_holder_and_gets_it_after_release() {
        let dir = tempfile::tempdir().unwrap();
        let quiet = |_: Option<&Holder>| {};
        let first = acquire(dir.path(), &settings(Duration::ZERO, &quiet))
            .unwrap()
            .unwrap();
        let seen = std::cell::RefCell::new(None);
        let note = |h: Option<&Holder>| *seen.borrow_mut() = Some(h.cloned());
        let busy = acquire(dir.path(), &settings(Duration::from_millis(50), &note))
            .unwrap()
            .unwrap_err();
        let holder = busy.holder.expect("the holder's record");
        assert_eq!(holder.pid, std::process::id());
        assert_eq!(holder.what, "test");
        assert_eq!(seen.into_inner(), Some(Some(holder.clone())));
        assert!(
            busy_error(&Busy {
                holder: Some(holder),
                waited: busy.waited,
                cancelled: false,
            })
            .message
            .contains(&format!("pid {}", std::process::id()))
        );
        assert!(current_holder(dir.path()).unwrap().is_some());
        drop(first);
        // Another test's process forked between our open and its exec
        // shares the lock's open file for a moment (close-on-exec closes
        // it at the exec): allow that moment.
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while current_holder(dir.path()).unwrap().is_some() && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(current_holder(dir.path()).unwrap(), None);
        acquire(dir.path(), &settings(Duration::ZERO, &quiet))
            .unwrap()
            .expect("free again once the holder is gone");
    }
}
