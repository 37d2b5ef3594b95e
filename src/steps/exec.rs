//! Running one command: its own process group (so a timeout or Ctrl-C
//! stops the whole tree it started), stdout and stderr captured together
//! in order, and a timeout that terminates then kills.
//!
//! While unstaged work is set aside ([`Children::on_spawn`] is set), a
//! step never outlives hephaestus: on Linux its first process gets
//! `PR_SET_PDEATHSIG` (SIGKILL). The kernel sends that signal when the
//! *thread* that spawned the child ends, not the process; [`run`] spawns
//! and waits on the same thread, so that thread lives exactly as long as
//! the child does, and the signal fires only when hephaestus itself dies
//! (SIGKILL, the OOM killer, a crash). Whatever the step started in its
//! group is stopped by `hook recover`, from the groups recorded through
//! [`Children::on_spawn`] (see `src/hooks/groups.rs`).
//!
//! Setting it needs code in the child between `fork` and `exec`, which
//! takes the spawn off the `posix_spawn`/vfork path: a full fork of a
//! process holding a large index costs milliseconds (0.6 s for the 44
//! batches of a 200,000-file `--all-files` run). Without unstaged work set
//! aside there is nothing a leftover step could overwrite, so other runs
//! keep the fast path.

use std::collections::HashSet;
use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
}

impl Children {
    /// Are steps recorded (and so made to die with hephaestus)?
    fn guarded(&self) -> bool {
        self.on_spawn.lock().is_ok_and(|h| h.is_some())
    }
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
    /// on (the keeper records them next to its journal); those steps also
    /// die with hephaestus (see the module docs).
    pub fn on_spawn(&self, hook: impl Fn(i32) + Send + Sync + 'static) {
        if let Ok(mut h) = self.on_spawn.lock() {
            *h = Some(Arc::new(hook));
        }
    }

    fn add(&self, pgid: i32) {
        if let Ok(mut g) = self.groups.lock() {
            g.insert(pgid);
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

/// Linux: the child gets SIGKILL when the thread that spawned it ends
/// (see the module docs for why that is the right moment here). Should
/// hephaestus have died between fork and `prctl`, the child does not run.
#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: getpid before the fork; in the child only prctl and getppid,
    // both async-signal-safe system calls, and no allocation.
    let parent = unsafe { libc::getpid() };
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            if libc::getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command) {}

/// Run `inv` to completion (or timeout) and capture its output. Must wait
/// for the child on the thread that calls it (see the module docs).
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
    if children.guarded() {
        die_with_parent(&mut cmd);
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
