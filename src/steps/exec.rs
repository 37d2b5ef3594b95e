//! Running one command: its own process group (so a timeout or Ctrl-C
//! stops the whole tree it started), stdout and stderr captured together
//! in order, and a timeout that terminates then kills.
//!
//! Steps never outlive hephaestus: the first step started also starts a
//! watchdog that is told about every process group as it starts and ends,
//! and stops those still running if hephaestus dies without a goodbye
//! (see `src/hooks/groups.rs`). Spawning stays on the standard library's
//! `posix_spawn`/`vfork` path (no code runs between `fork` and `exec`), so
//! a step costs the same whatever the size of the index in memory.

use std::collections::HashSet;
use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::hooks::groups::Watchdog;

/// How a process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
    TimedOut,
    /// The program could not be found.
    NotFound,
    /// It could not be started for another reason.
    SpawnFailed(String),
}

impl Exit {
    pub fn success(&self) -> bool {
        *self == Exit::Code(0)
    }

    /// The number to report as the exit code.
    pub fn code(&self) -> Option<i32> {
        match self {
            Exit::Code(c) => Some(*c),
            Exit::Signal(s) => Some(128 + s),
            _ => None,
        }
    }
}

/// One process to run.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
    pub timeout: Option<Duration>,
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub exit: Exit,
    pub output: Vec<u8>,
    pub duration: Duration,
}

/// Called with the process group of every step as soon as it started.
type SpawnHook = Arc<dyn Fn(i32) + Send + Sync>;

/// The process groups currently running, so an interrupt can stop them all.
#[derive(Default, Clone)]
pub struct Children {
    groups: Arc<Mutex<HashSet<i32>>>,
    on_spawn: Arc<Mutex<Option<SpawnHook>>>,
    /// Started with the first step (`None` inside if `sh` would not start).
    watchdog: Arc<OnceLock<Option<Watchdog>>>,
}

impl std::fmt::Debug for Children {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Children")
            .field("groups", &self.groups)
            .finish_non_exhaustive()
    }
}

impl Children {
    /// Call `hook` with the process group of every step started from now
    /// on (the keeper records them next to its journal).
    pub fn on_spawn(&self, hook: impl Fn(i32) + Send + Sync + 'static) {
        if let Ok(mut h) = self.on_spawn.lock() {
            *h = Some(Arc::new(hook));
        }
    }

    fn add(&self, pgid: i32) {
        if let Ok(mut g) = self.groups.lock() {
            g.insert(pgid);
        }
        if let Some(dog) = self.watchdog.get_or_init(Watchdog::start) {
            dog.watch(pgid);
        }
        let hook = self.on_spawn.lock().ok().and_then(|h| h.clone());
        if let Some(hook) = hook {
            hook(pgid);
        }
    }

    fn remove(&self, pgid: i32) {
        if let Ok(mut g) = self.groups.lock() {
            g.remove(&pgid);
        }
        if let Some(Some(dog)) = self.watchdog.get() {
            dog.unwatch(pgid);
        }
    }

    /// Send `signal` to every running process group.
    pub fn signal_all(&self, signal: i32) {
        if let Ok(g) = self.groups.lock() {
            for pgid in g.iter() {
                kill_group(*pgid, signal);
            }
        }
    }
}

fn kill_group(pgid: i32, signal: i32) {
    #[cfg(unix)]
    // SAFETY: killpg only sends a signal; a stale group id is harmless.
    unsafe {
        libc::killpg(pgid, signal);
    }
    #[cfg(not(unix))]
    let _ = (pgid, signal);
}

/// Run `inv` to completion (or timeout) and capture its output.
pub fn run(inv: &Invocation, children: &Children) -> Outcome {
    let start = Instant::now();
    let done = |exit: Exit, output: Vec<u8>| Outcome {
        exit,
        output,
        duration: start.elapsed(),
    };
    let (mut reader, writer) = match std::io::pipe() {
        Ok(p) => p,
        Err(e) => {
            return done(
                Exit::SpawnFailed(format!("cannot create a pipe: {e}")),
                Vec::new(),
            );
        }
    };
    let writer_err = match writer.try_clone() {
        Ok(w) => w,
        Err(e) => {
            return done(
                Exit::SpawnFailed(format!("cannot create a pipe: {e}")),
                Vec::new(),
            );
        }
    };
    let mut cmd = Command::new(&inv.program);
    cmd.args(&inv.args)
        .current_dir(&inv.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::from(writer))
        .stderr(Stdio::from(writer_err));
    for (k, v) in &inv.env {
        cmd.env(k, v);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return done(Exit::NotFound, Vec::new());
        }
        Err(e) => return done(Exit::SpawnFailed(e.to_string()), Vec::new()),
    };
    // The Command still holds the write ends; drop it so EOF arrives.
    drop(cmd);
    let pgid = child.id() as i32;
    children.add(pgid);

    let timed_out = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let watchdog = inv.timeout.map(|limit| {
        let timed_out = Arc::clone(&timed_out);
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = stop_rx.recv_timeout(limit) {
                timed_out.store(true, std::sync::atomic::Ordering::SeqCst);
                kill_group(pgid, libc::SIGTERM);
                if let Err(mpsc::RecvTimeoutError::Timeout) =
                    stop_rx.recv_timeout(Duration::from_secs(2))
                {
                    kill_group(pgid, libc::SIGKILL);
                }
            }
        })
    });

    let mut output = Vec::new();
    let _ = reader.read_to_end(&mut output);
    let status = child.wait();
    children.remove(pgid);
    let _ = stop_tx.send(());
    if let Some(w) = watchdog {
        let _ = w.join();
    }
    let exit = if timed_out.load(std::sync::atomic::Ordering::SeqCst) {
        Exit::TimedOut
    } else {
        match status {
            Ok(s) => match s.code() {
                Some(c) => Exit::Code(c),
                None => {
                    #[cfg(unix)]
                    {
                        use std::os::unix::process::ExitStatusExt;
                        Exit::Signal(s.signal().unwrap_or(0))
                    }
                    #[cfg(not(unix))]
                    Exit::Code(1)
                }
            },
            Err(e) => Exit::SpawnFailed(e.to_string()),
        }
    };
    done(exit, output)
}
