//! The one process runner, used by steps and by drift's version probes:
//! each command gets its own process group (so a timeout or Ctrl-C stops
//! the whole tree it started), no stdin, its output captured (stdout and
//! stderr together in order, or apart, optionally capped), and a timeout
//! that sends SIGTERM to the group, waits [`GRACE`], then sends SIGKILL.
//! Nothing polls: the output is read until the pipes close, the child is
//! waited for, and a timer thread fires the timeout.
//!
//! Steps never outlive hephaestus: the first step started also starts a
//! watchdog that is told about every process group as it starts and ends,
//! and stops those still running if hephaestus dies without a goodbye
//! (see [`groups`]). Spawning stays on the standard library's
//! `posix_spawn`/`vfork` path (no code runs between `fork` and `exec`), so
//! a step costs the same whatever the size of the index in memory.

pub mod groups;
pub mod signals;

use std::collections::HashSet;
use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use self::groups::Watchdog;

/// How a process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
    TimedOut,
    /// The program could not be found (the system's message).
    NotFound(String),
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
}

impl Invocation {
    /// The command that runs it (without the capture settings).
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args).current_dir(&self.cwd);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }
}

/// How long a process group gets between SIGTERM and SIGKILL when its
/// time is up.
pub const GRACE: Duration = Duration::from_secs(2);

/// How its output is captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Streams {
    /// stdout and stderr into one pipe, in the order they were written
    /// (all of it lands in [`Outcome::stdout`]).
    Merged,
    /// stdout and stderr apart.
    Separate,
}

/// How to run one process.
#[derive(Debug, Clone, Copy)]
pub struct Capture<'a> {
    pub timeout: Option<Duration>,
    pub streams: Streams,
    /// Keep at most this many bytes of each stream (the rest is read and
    /// dropped, so the child never blocks on a full pipe).
    pub cap: Option<usize>,
    /// Register the process group here while it runs (interrupts, the
    /// watchdog, the keeper's journal).
    pub children: Option<&'a Children>,
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub exit: Exit,
    /// Everything with [`Streams::Merged`], else stdout.
    pub stdout: Vec<u8>,
    /// Empty with [`Streams::Merged`].
    pub stderr: Vec<u8>,
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

    /// Start the watchdog now, on a thread of its own, so that the first
    /// step does not wait for `sh` to start (a vfork and exec on the
    /// path of every run with a command step). Without it the first step
    /// starts it.
    pub fn start_watchdog(&self) {
        let dog = Arc::clone(&self.watchdog);
        std::thread::spawn(move || {
            dog.get_or_init(Watchdog::start);
        });
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

/// How many workers for `n` pieces of work (at least one): one per core,
/// no more than `n`. The cores are counted once, and only when `n > 1`:
/// the standard library reads the cgroup's CPU quota from `/proc` and
/// `/sys` each time it is asked, which costs a small run more than
/// starting a thread.
pub fn workers(n: usize) -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    if n <= 1 {
        return 1;
    }
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |c| c.get()));
    cores.min(n)
}

/// Run `cmd` to completion (or its timeout) as `how` says. The command's
/// stdin, stdout, stderr and process group are set here.
pub fn capture(mut cmd: Command, how: &Capture<'_>) -> Outcome {
    let failed = |exit: Exit| Outcome {
        exit,
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    let pipe_error =
        |e: std::io::Error| failed(Exit::SpawnFailed(format!("cannot create a pipe: {e}")));
    cmd.stdin(Stdio::null());
    // With merged streams both ends are one pipe; the reader of the
    // second stream (separate streams) runs on its own thread.
    let mut readers: Vec<Box<dyn Read + Send>> = Vec::new();
    match how.streams {
        Streams::Merged => {
            let (reader, writer) = match std::io::pipe() {
                Ok(p) => p,
                Err(e) => return pipe_error(e),
            };
            let writer_err = match writer.try_clone() {
                Ok(w) => w,
                Err(e) => return pipe_error(e),
            };
            cmd.stdout(Stdio::from(writer))
                .stderr(Stdio::from(writer_err));
            readers.push(Box::new(reader));
        }
        Streams::Separate => {
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return failed(Exit::NotFound(e.to_string()));
        }
        Err(e) => return failed(Exit::SpawnFailed(e.to_string())),
    };
    // The Command still holds the write ends of a merged pipe; drop it so
    // EOF arrives.
    drop(cmd);
    if let Some(out) = child.stdout.take() {
        readers.push(Box::new(out));
    }
    if let Some(err) = child.stderr.take() {
        readers.push(Box::new(err));
    }
    let pgid = child.id() as i32;
    if let Some(children) = how.children {
        children.add(pgid);
    }

    let timed_out = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let timer = how.timeout.map(|limit| {
        let timed_out = Arc::clone(&timed_out);
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = stop_rx.recv_timeout(limit) {
                timed_out.store(true, std::sync::atomic::Ordering::SeqCst);
                kill_group(pgid, libc::SIGTERM);
                if let Err(mpsc::RecvTimeoutError::Timeout) = stop_rx.recv_timeout(GRACE) {
                    kill_group(pgid, libc::SIGKILL);
                }
            }
        })
    });

    let cap = how.cap;
    let mut readers = readers.into_iter();
    let first = readers.next();
    let second = readers
        .next()
        .map(|r| std::thread::spawn(move || read_capped(r, cap)));
    let stdout = first.map(|r| read_capped(r, cap)).unwrap_or_default();
    let stderr = second.and_then(|h| h.join().ok()).unwrap_or_default();
    let status = child.wait();
    if let Some(children) = how.children {
        children.remove(pgid);
    }
    let _ = stop_tx.send(());
    if let Some(t) = timer {
        let _ = t.join();
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
    Outcome {
        exit,
        stdout,
        stderr,
    }
}

/// Read `stream` to its end, keeping at most `cap` bytes.
fn read_capped(mut stream: impl Read, cap: Option<usize>) -> Vec<u8> {
    let mut kept = Vec::new();
    let Some(cap) = cap else {
        let _ = stream.read_to_end(&mut kept);
        return kept;
    };
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let room = cap.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script]);
        cmd
    }

    fn how(streams: Streams, timeout: Option<Duration>) -> Capture<'static> {
        Capture {
            timeout,
            streams,
            cap: None,
            children: None,
        }
    }

    #[test]
    fn merged_output_keeps_the_order_of_both_streams() {
        let out = capture(
            sh("echo one; echo two >&2; echo three"),
            &how(Streams::Merged, None),
        );
        assert_eq!(out.exit, Exit::Code(0));
        assert_eq!(out.stdout, b"one\ntwo\nthree\n");
        assert!(out.stderr.is_empty());
    }

    #[test]
    fn separate_streams_and_exit_codes() {
        let out = capture(
            sh("echo out; echo err >&2; exit 3"),
            &how(Streams::Separate, None),
        );
        assert_eq!(out.exit, Exit::Code(3));
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
    }

    #[test]
    fn a_missing_program_is_not_found() {
        let out = capture(
            Command::new("hephaestus-no-such-program"),
            &how(Streams::Merged, None),
        );
        assert!(matches!(out.exit, Exit::NotFound(_)), "{:?}", out.exit);
    }

    #[test]
    fn the_cap_keeps_the_start_and_drains_the_rest() {
        let out = capture(
            sh("head -c 200000 /dev/zero"),
            &Capture {
                cap: Some(1000),
                ..how(Streams::Separate, Some(Duration::from_secs(20)))
            },
        );
        assert_eq!(out.exit, Exit::Code(0));
        assert_eq!(out.stdout.len(), 1000);
    }

    #[test]
    fn a_timeout_stops_the_whole_group_that_holds_the_pipe() {
        // The grandchild keeps the pipe open: only killing the group ends
        // the read.
        let start = Instant::now();
        let out = capture(
            sh("sleep 30 & sleep 30"),
            &how(Streams::Merged, Some(Duration::from_millis(200))),
        );
        assert_eq!(out.exit, Exit::TimedOut);
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn a_group_that_ignores_sigterm_is_killed_after_the_grace() {
        let start = Instant::now();
        let out = capture(
            sh("trap '' TERM; sleep 30 & trap '' TERM; sleep 30"),
            &how(Streams::Separate, Some(Duration::from_millis(200))),
        );
        assert_eq!(out.exit, Exit::TimedOut);
        let took = start.elapsed();
        assert!(took >= GRACE, "{took:?}");
        assert!(took < GRACE + Duration::from_secs(8), "{took:?}");
    }
}
