//! Runs that outlive or die under the user: an IDE cancels `git commit`
//! with SIGTERM to git while hephaestus keeps going, and hephaestus is
//! killed with SIGKILL while a fixer runs. `hook recover` never races a
//! live run, stops what a dead run left running, and nothing the user
//! wrote is ever lost.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::keeper::{config, install, signal, snapshot, step, wait_for};
use crate::common::{TestContext, show, stderr};

fn repo(steps: &str) -> TestContext {
    let ctx = TestContext::new();
    config(&ctx, steps);
    for f in ["a.txt", "b.txt"] {
        ctx.write(f, format!("{f} one\ntwo\nthree\n"));
    }
    ctx.commit_all("base");
    install(&ctx);
    for f in ["a.txt", "b.txt"] {
        ctx.write(f, format!("{f} one STAGED\ntwo\nthree\n"));
    }
    ctx.git(["add", "-A"]);
    for f in ["a.txt", "b.txt"] {
        ctx.write(f, format!("{f} one STAGED\ntwo\nthree UNSTAGED\n"));
    }
    ctx
}

fn spawn_commit(ctx: &TestContext) -> Child {
    ctx.git_cmd()
        .args(["commit", "-q", "-m", "msg"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// `R`unning, `S`leeping…; `None` once the process is gone.
fn state(pid: &str) -> Option<char> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    text[text.rfind(')')? + 1..].trim_start().chars().next()
}

fn alive(pid: &str) -> bool {
    state(pid).is_some_and(|s| s != 'Z' && s != 'X')
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting until {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn journal(ctx: &TestContext) -> std::path::PathBuf {
    ctx.root.join(".git/hephaestus/keeper.json")
}

fn kept_dirs(ctx: &TestContext) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(ctx.root.join(".git/hephaestus/kept")) {
        Ok(rd) => rd.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn ide_sigterm_to_git_leaves_a_live_run_that_recover_does_not_race() {
    let ctx = repo(&step(
        "slow",
        "echo $PPID > ../heph.pid; while [ ! -e ../release ]; do sleep 0.05; done",
        "",
    ));
    let mut git = spawn_commit(&ctx);
    let pid = wait_for(&ctx.base.join("heph.pid"));
    // The IDE cancels: SIGTERM to git only. git dies, hephaestus goes on.
    signal(&git.id().to_string(), libc::SIGTERM);
    let _ = git.wait();
    assert!(alive(&pid), "hephaestus outlives git");
    assert!(journal(&ctx).exists());
    let during = snapshot(&ctx);
    assert_eq!(ctx.read("a.txt"), b"a.txt one STAGED\ntwo\nthree\n");

    // recover refuses while the run lives, naming it, and changes nothing.
    let out = ctx.run(["hook", "recover"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains(&format!("pid {pid}"))
            && stderr(&out).contains("nothing was recovered"),
        "{}",
        show(&out)
    );
    assert_eq!(snapshot(&ctx), during);

    // A run that takes no lock (here on all files) sees the journal of a
    // live run: it says so, rather than asking for a recover.
    let out = ctx.run(["hook", "run", "pre-commit", "--all-files"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains("another hook run is working in this work tree")
            && stderr(&out).contains(&format!("pid {pid}")),
        "{}",
        show(&out)
    );

    // The next commit waits, names the live run, and fails cleanly.
    let out = ctx
        .git_cmd()
        .env("HEPHAESTUS_LOCK_TIMEOUT", "0.3")
        .args(["commit", "-q", "-m", "again"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", show(&out));
    assert!(
        stderr(&out).contains(&format!("pid {pid}")),
        "{}",
        show(&out)
    );
    assert_eq!(snapshot(&ctx), during);

    // The user keeps editing a file the run has set aside.
    ctx.write("a.txt", "a.txt newer edit made during the run\n");
    std::fs::write(ctx.base.join("release"), "").unwrap();
    wait_until("the run is over", || {
        !alive(&pid) && !journal(&ctx).exists()
    });

    // The newer edit stays; the run's saved state is kept aside, not lost.
    assert_eq!(ctx.read("a.txt"), b"a.txt newer edit made during the run\n");
    assert_eq!(
        ctx.read("b.txt"),
        b"b.txt one STAGED\ntwo\nthree UNSTAGED\n"
    );
    let kept = kept_dirs(&ctx);
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(
        std::fs::read(kept[0].join("saved/a.txt")).unwrap(),
        b"a.txt one STAGED\ntwo\nthree UNSTAGED\n"
    );
    let readme = std::fs::read_to_string(kept[0].join("README.txt")).unwrap();
    assert!(
        readme.contains("a.txt changed while the hook ran"),
        "{readme}"
    );
    assert!(
        std::fs::read_to_string(kept[0].join("changes.patch"))
            .unwrap()
            .contains("diff --git a/a.txt b/a.txt")
    );
    // Every later run says where that work is until the user deletes it.
    let out = ctx.run(["hook", "run", "pre-commit"]);
    assert!(
        stderr(&out).contains(&kept[0].display().to_string()),
        "{}",
        show(&out)
    );
}

/// The watchdog hephaestus started: a child of `heph` named
/// `hephaestus-watchdog`.
fn watchdog_of(heph: &str) -> String {
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if pid.parse::<u32>().is_err() {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let ppid = stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().nth(1))
            .unwrap_or("");
        if ppid == heph && String::from_utf8_lossy(&cmdline).contains("hephaestus-watchdog") {
            return pid;
        }
    }
    panic!("no watchdog process under {heph}");
}

/// A fixer whose shell starts a loop that keeps rewriting a.txt.
fn looping_fixer() -> String {
    step(
        "fixer",
        "echo $PPID > ../heph.pid; echo $$ > ../step.pid; \
         (while :; do printf 'fixer was here\\n' > a.txt; sleep 0.02; done) & \
         echo $! > ../loop.pid; wait",
        "fix = true",
    )
}

#[test]
fn sigkill_with_a_fixer_running_the_watchdog_stops_the_whole_step() {
    let ctx = repo(&looping_fixer());
    let before = snapshot(&ctx);
    let git = spawn_commit(&ctx);
    let pid = wait_for(&ctx.base.join("heph.pid"));
    let step_pid = wait_for(&ctx.base.join("step.pid"));
    let loop_pid = wait_for(&ctx.base.join("loop.pid"));
    signal(&pid, libc::SIGKILL);
    let _ = git.wait_with_output();
    // Everything the step started, not just its first process, is stopped.
    wait_until("the step's shell is gone", || !alive(&step_pid));
    wait_until("the fixer's loop is gone", || !alive(&loop_pid));
    assert!(journal(&ctx).exists());
    let out = ctx.run(["hook", "recover"]);
    assert!(out.status.success(), "{}", show(&out));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(snapshot(&ctx), before, "the user's work is back, and stays");
}

#[test]
fn sigkill_of_hephaestus_and_its_watchdog_recover_stops_the_fixer_before_restoring() {
    let ctx = repo(&looping_fixer());
    let before = snapshot(&ctx);
    let git = spawn_commit(&ctx);
    let pid = wait_for(&ctx.base.join("heph.pid"));
    let step_pid = wait_for(&ctx.base.join("step.pid"));
    let loop_pid = wait_for(&ctx.base.join("loop.pid"));
    // As the OOM killer might: the watchdog goes first, then hephaestus.
    signal(&watchdog_of(&pid), libc::SIGKILL);
    signal(&pid, libc::SIGKILL);
    let _ = git.wait_with_output();
    std::thread::sleep(Duration::from_millis(300));
    // What the step started lives on in its process group, still writing.
    assert!(alive(&loop_pid), "the fixer's loop outlives hephaestus");
    assert!(journal(&ctx).exists());

    let out = ctx.run(["hook", "run", "pre-commit"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains("hephaestus hook recover"),
        "{}",
        show(&out)
    );

    let out = ctx.run(["hook", "recover"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        stderr(&out).contains("stopped 1 process group"),
        "{}",
        show(&out)
    );
    assert!(!alive(&loop_pid), "recover stopped the fixer first");
    assert!(!alive(&step_pid));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(snapshot(&ctx), before, "the user's work is back, and stays");
    // What the fixer had written is kept aside rather than thrown away
    // (as far as it got: it may have been stopped half-way through).
    let kept = kept_dirs(&ctx);
    assert_eq!(kept.len(), 1, "{kept:?}");
    let replaced = std::fs::read(kept[0].join("replaced/a.txt")).unwrap();
    assert!(b"fixer was here\n".starts_with(&replaced), "{replaced:?}");
    assert!(!journal(&ctx).exists());
}
