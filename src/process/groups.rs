//! Steps never outlive hephaestus. Each step runs in its own process
//! group, and two things stop those groups when hephaestus dies without
//! stopping them itself (SIGKILL, the OOM killer, a crash):
//!
//! - a **watchdog** ([`Watchdog`]): a small `sh` started with the first
//!   step, in a process group of its own, that hephaestus tells about every
//!   step group as it starts and ends through a pipe. When the pipe closes
//!   without a goodbye, hephaestus is gone: the watchdog sends SIGTERM to
//!   the groups still running, then SIGKILL. Unlike `PR_SET_PDEATHSIG`
//!   (one process, Linux only, and it needs code between `fork` and
//!   `exec`, which takes every spawn off the fast `vfork` path: a full
//!   fork of a process holding a 200,000-entry index costs ~13 ms) it
//!   reaches everything a step started, on any Unix, for one cheap spawn
//!   per run. Groups are dropped from its list when their step ends, so it
//!   never signals a group number that may have been reused;
//! - `hook recover` ([`stop`]): while unstaged work is set aside the keeper
//!   also records every group in the journal's progress log (the leader's
//!   pid and, on Linux, its start time), and recover stops whatever is left
//!   of them — SIGTERM, a grace period, SIGKILL — before it writes
//!   anything, in case the watchdog was killed too. A recorded group is
//!   only signalled while it can still be ours: when its leader is alive
//!   with another start time, the number was reused by an unrelated
//!   process and the group is left alone. (A group id cannot be reused
//!   while any member of the old group lives.)

use std::io::Write;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The watchdog's program: read `+<pgid>` and `-<pgid>` lines; `done`
/// ends it quietly; end of input with groups left means hephaestus died.
const WATCHDOG: &str = r#"trap '' INT TERM HUP
groups=' '
while IFS= read -r line; do
  case $line in
    done) exit 0 ;;
    +*) groups="$groups${line#+} " ;;
    -*) kept=' '
        for g in $groups; do [ "$g" = "${line#-}" ] || kept="$kept$g "; done
        groups=$kept ;;
  esac
done
[ "$groups" = ' ' ] && exit 0
for g in $groups; do kill -s TERM -- "-$g" 2>/dev/null; done
sleep 2
for g in $groups; do kill -s KILL -- "-$g" 2>/dev/null; done
"#;

/// The watchdog process of this run (see the module docs).
pub struct Watchdog {
    child: Option<Child>,
    stdin: Mutex<Option<ChildStdin>>,
}

impl Watchdog {
    /// Start it; `None` if `sh` cannot be started (then only `hook
    /// recover` stops a dead run's steps).
    ///
    /// `/bin/sh` first, as `system(3)` does: no search through `PATH`
    /// (about ten failed `execve`s on a typical one), and a `sh` earlier
    /// on the user's `PATH` is not what keeps their steps in check. A
    /// system without `/bin/sh` gets the one on `PATH`.
    pub fn start() -> Option<Watchdog> {
        let mut child = ["/bin/sh", "sh"]
            .into_iter()
            .find_map(|sh| Self::command(sh).spawn().ok())?;
        let stdin = child.stdin.take()?;
        Some(Watchdog {
            child: Some(child),
            stdin: Mutex::new(Some(stdin)),
        })
    }

    fn command(sh: &str) -> Command {
        let mut cmd = Command::new(sh);
        cmd.args(["-c", WATCHDOG, "hephaestus-watchdog"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        #[cfg(unix)]
        {
            // Its own group: a Ctrl-C in the terminal is not for it.
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        cmd
    }

    fn tell(&self, line: &str) {
        if let Ok(mut stdin) = self.stdin.lock()
            && let Some(pipe) = stdin.as_mut()
        {
            let _ = pipe.write_all(line.as_bytes());
        }
    }

    /// A step group started.
    pub fn watch(&self, pgid: i32) {
        self.tell(&format!("+{pgid}\n"));
    }

    /// A step group's leader ended.
    pub fn unwatch(&self, pgid: i32) {
        self.tell(&format!("-{pgid}\n"));
    }

    /// Close the pipe without a goodbye, as hephaestus dying would.
    #[cfg(test)]
    fn abandon(mut self) -> Option<Child> {
        if let Ok(mut stdin) = self.stdin.lock() {
            stdin.take();
        }
        self.child.take()
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.tell("done\n");
        if let Ok(mut stdin) = self.stdin.lock() {
            stdin.take();
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }
}

/// A process group a run started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    pub pgid: i32,
    /// The leader's start time (clock ticks after boot), where known.
    pub start: Option<u64>,
}

impl Group {
    /// The group of the process `pid`, which leads it, as recorded right
    /// after spawning it.
    pub fn of_leader(pid: i32) -> Group {
        Group {
            pgid: pid,
            start: start_time(pid),
        }
    }

    /// The line recorded in the progress log.
    pub fn to_line(self) -> String {
        match self.start {
            Some(s) => format!("group {} {s}\n", self.pgid),
            None => format!("group {}\n", self.pgid),
        }
    }

    /// Parse a `group <pgid> [<start>]` line.
    pub fn parse(line: &str) -> Option<Group> {
        let mut words = line.strip_prefix("group ")?.split_whitespace();
        let pgid: i32 = words.next()?.parse().ok()?;
        if pgid <= 1 {
            return None;
        }
        let start = words.next().and_then(|s| s.parse().ok());
        Some(Group { pgid, start })
    }
}

/// How long `stop` waits after SIGTERM and after SIGKILL.
#[derive(Debug, Clone, Copy)]
pub struct StopSettings {
    pub grace: Duration,
    pub kill_wait: Duration,
}

impl Default for StopSettings {
    fn default() -> Self {
        StopSettings {
            grace: Duration::from_secs(3),
            kill_wait: Duration::from_secs(5),
        }
    }
}

/// Stop every group that still has live members. Returns the groups that
/// were running (and are stopped now); `Err` with the groups that are
/// still alive after SIGKILL.
pub fn stop(groups: &[Group], settings: StopSettings) -> Result<Vec<i32>, Vec<i32>> {
    let live: Vec<i32> = groups
        .iter()
        .filter(|g| still_ours(g) && alive(g.pgid))
        .map(|g| g.pgid)
        .collect();
    if live.is_empty() {
        return Ok(live);
    }
    for pgid in &live {
        signal(*pgid, libc::SIGTERM);
    }
    if wait_gone(&live, settings.grace) {
        return Ok(live);
    }
    for pgid in &live {
        signal(*pgid, libc::SIGKILL);
    }
    if wait_gone(&live, settings.kill_wait) {
        return Ok(live);
    }
    Err(live.into_iter().filter(|g| alive(*g)).collect())
}

fn wait_gone(groups: &[i32], limit: Duration) -> bool {
    let start = Instant::now();
    loop {
        if groups.iter().all(|g| !alive(*g)) {
            return true;
        }
        if start.elapsed() >= limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(pgid: i32, sig: i32) {
    // SAFETY: killpg only sends a signal.
    unsafe {
        libc::killpg(pgid, sig);
    }
}

/// False when the group's leader is alive but is another process (its
/// start time differs from the recorded one).
fn still_ours(g: &Group) -> bool {
    match (g.start, stat(g.pgid)) {
        (Some(recorded), Some(now)) => now.start == recorded || now.pgrp != g.pgid,
        _ => true,
    }
}

/// Does the group have a member that is not a zombie?
#[cfg(target_os = "linux")]
fn alive(pgid: i32) -> bool {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return kill0(pgid);
    };
    dir.flatten().any(|e| {
        e.file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
            .and_then(stat)
            .is_some_and(|s| s.pgrp == pgid && s.state != 'Z' && s.state != 'X')
    })
}

/// Does the group have a member?
#[cfg(not(target_os = "linux"))]
fn alive(pgid: i32) -> bool {
    kill0(pgid)
}

fn kill0(pgid: i32) -> bool {
    // SAFETY: signal 0 only checks for existence.
    unsafe { libc::killpg(pgid, 0) == 0 }
}

/// What `/proc/<pid>/stat` says about a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ProcStat {
    state: char,
    pgrp: i32,
    start: u64,
}

fn parse_stat(text: &str) -> Option<ProcStat> {
    // `pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
    // majflt cmajflt utime stime cutime cstime priority nice threads
    // itrealvalue starttime …`; comm may hold spaces and parentheses.
    let after = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    Some(ProcStat {
        state: fields.first()?.chars().next()?,
        pgrp: fields.get(2)?.parse().ok()?,
        start: fields.get(19)?.parse().ok()?,
    })
}

fn stat(pid: i32) -> Option<ProcStat> {
    if cfg!(target_os = "linux") {
        parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
    } else {
        None
    }
}

/// The start time of `pid` (Linux), to tell it from a later process that
/// reuses the number.
pub fn start_time(pid: i32) -> Option<u64> {
    stat(pid).map(|s| s.start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_odd_command_names_parse() {
        let line =
            "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 1 2 3";
        assert_eq!(
            parse_stat(line),
            Some(ProcStat {
                state: 'S',
                pgrp: 4242,
                start: 987654
            })
        );
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn group_lines_round_trip_and_refuse_init() {
        let g = Group {
            pgid: 77,
            start: Some(12),
        };
        assert_eq!(Group::parse(g.to_line().trim()), Some(g));
        assert_eq!(
            Group::parse("group 78"),
            Some(Group {
                pgid: 78,
                start: None
            })
        );
        assert_eq!(Group::parse("group 1 5"), None);
        assert_eq!(Group::parse("group -3"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_watchdog_stops_groups_when_its_pipe_closes_without_a_goodbye() {
        use std::os::unix::process::CommandExt;
        let spawn = || {
            std::process::Command::new("sh")
                .args(["-c", "sleep 30 & wait"])
                .process_group(0)
                .spawn()
                .unwrap()
        };
        let (mut ended, mut left) = (spawn(), spawn());
        let dog = Watchdog::start().expect("sh");
        dog.watch(ended.id() as i32);
        dog.watch(left.id() as i32);
        dog.unwatch(ended.id() as i32);
        // Hephaestus "dies": the pipe closes without `done`.
        let _ = dog.abandon().map(|mut c| c.wait());
        let start = Instant::now();
        while alive(left.id() as i32) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the watched group was stopped"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = left.wait();
        assert!(
            alive(ended.id() as i32),
            "a group that ended is no longer watched"
        );
        signal(ended.id() as i32, libc::SIGKILL);
        let _ = ended.wait();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn stop_ends_a_group_whose_leader_ignores_sigterm() {
        use std::os::unix::process::CommandExt;
        let mut child = std::process::Command::new("sh")
            .args(["-c", "trap '' TERM; sleep 30 & wait"])
            .process_group(0)
            .spawn()
            .unwrap();
        let group = Group::of_leader(child.id() as i32);
        assert!(group.start.is_some());
        std::thread::sleep(Duration::from_millis(100));
        let stopped = stop(
            &[group],
            StopSettings {
                grace: Duration::from_millis(200),
                kill_wait: Duration::from_secs(5),
            },
        );
        let _ = child.wait();
        assert_eq!(stopped, Ok(vec![group.pgid]));
        assert_eq!(stop(&[group], StopSettings::default()), Ok(vec![]));
    }
}
