//! One keeper per work tree: concurrent `git commit`s and `hook run`s
//! through the installed hook never lose work, a second run waits for the
//! first with a message naming it and then fails cleanly without touching
//! anything, and linked worktrees do not wait for each other.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::keeper::{config, install, snapshot, step, wait_for};
use crate::common::{TestContext, show, stderr};

/// A repository with `n` files, each committed, then changed and staged,
/// then changed again without staging.
fn partially_staged(n: usize, steps: &str) -> TestContext {
    let ctx = TestContext::new();
    config(&ctx, steps);
    for i in 0..n {
        ctx.write(
            format!("src/f{i:03}.txt"),
            format!("line one {i}\nmiddle\nlast\n"),
        );
    }
    ctx.commit_all("base");
    install(&ctx);
    stage_and_edit(&ctx, n);
    ctx
}

fn staged_text(i: usize) -> String {
    format!("line one {i} STAGED\nmiddle\nlast\n")
}

fn unstaged_text(i: usize) -> String {
    format!("line one {i} STAGED\nmiddle\nlast UNSTAGED {i}\n")
}

fn stage_and_edit(ctx: &TestContext, n: usize) {
    for i in 0..n {
        ctx.write(format!("src/f{i:03}.txt"), staged_text(i));
    }
    ctx.git(["add", "-A"]);
    for i in 0..n {
        ctx.write(format!("src/f{i:03}.txt"), unstaged_text(i));
    }
}

fn spawn(mut cmd: Command) -> Child {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
}

/// A step that fails unless it sees exactly the staged version of every
/// file it gets (never another run's restore or a user's unstaged line),
/// and takes a while.
const CHECK_STAGED: &str = "for f in \"$@\"; do grep -q STAGED \"$f\" || exit 7; ! grep -q UNSTAGED \"$f\" || exit 8; done; sleep 0.2; for f in \"$@\"; do ! grep -q UNSTAGED \"$f\" || exit 9; done";

#[test]
fn concurrent_commits_and_hook_runs_never_lose_work() {
    let n = 40;
    let ctx = partially_staged(n, &step("check", CHECK_STAGED, ""));
    let base = ctx.git(["rev-parse", "HEAD"]);
    for attempt in 0..8 {
        let mut children = Vec::new();
        for k in 0..4 {
            let cmd = if k % 2 == 0 {
                let mut c = ctx.git_cmd();
                c.args(["commit", "-q", "-m", &format!("attempt {attempt} by {k}")]);
                c
            } else {
                let mut c = ctx.heph();
                c.args(["hook", "run", "pre-commit"]);
                c
            };
            children.push((k, spawn(cmd)));
        }
        let outs: Vec<(usize, Output)> = children
            .into_iter()
            .map(|(k, c)| (k, c.wait_with_output().unwrap()))
            .collect();
        for (k, out) in &outs {
            let err = stderr(out);
            // A commit that finds nothing left to commit, or that git
            // refuses because another git holds the index, is git's
            // business; every hook run itself must pass.
            let text = format!("{err}{}", String::from_utf8_lossy(&out.stdout));
            let gits_own = text.contains("nothing to commit")
                || text.contains("no changes added to commit")
                || (err.contains("index.lock") && !err.contains("hephaestus"));
            assert!(
                out.status.success() || (k % 2 == 0 && gits_own),
                "attempt {attempt}, process {k}: {}",
                show(out)
            );
            assert!(!err.contains("did not finish"), "{}", show(out));
        }
        for i in 0..n {
            let rel = format!("src/f{i:03}.txt");
            assert_eq!(
                String::from_utf8(ctx.read(&rel)).unwrap(),
                unstaged_text(i),
                "attempt {attempt}: the unstaged work in {rel} survives"
            );
            assert_eq!(
                String::from_utf8(ctx.git(["show", &format!("HEAD:{rel}")])).unwrap(),
                staged_text(i),
                "attempt {attempt}: exactly the staged version was committed"
            );
        }
        assert!(!ctx.root.join(".git/hephaestus/keeper.json").exists());
        assert!(!ctx.root.join(".git/hephaestus/kept").exists());
        // Next attempt: back to the base commit, stage and edit again.
        ctx.git([
            "reset",
            "-q",
            "--hard",
            String::from_utf8_lossy(&base).trim(),
        ]);
        stage_and_edit(&ctx, n);
    }
}

/// Start a commit whose step holds the run until `../release` exists;
/// returns the child and the pid of hephaestus.
fn held_commit(ctx: &TestContext) -> (Child, String) {
    let child = spawn({
        let mut c = ctx.git_cmd();
        c.args(["commit", "-q", "-m", "held"]);
        c
    });
    let pid = wait_for(&ctx.base.join("heph.pid"));
    (child, pid)
}

fn first_still_running(ctx: &TestContext) -> bool {
    ctx.root.join(".git/hephaestus/keeper.json").exists()
}

const HOLD: &str = "echo $PPID > ../heph.pid; while [ ! -e ../release ]; do sleep 0.05; done";

#[test]
fn a_second_run_waits_names_the_holder_then_fails_without_touching_anything() {
    let ctx = partially_staged(3, &step("hold", HOLD, ""));
    let (first, pid) = held_commit(&ctx);
    // While the first run holds the work tree, it shows the index version.
    let during = snapshot(&ctx);
    let started = Instant::now();
    let out = ctx
        .heph()
        .env("HEPHAESTUS_LOCK_TIMEOUT", "1")
        .args(["hook", "run", "pre-commit"])
        .output()
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900), "it waited");
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let err = stderr(&out);
    assert!(
        err.contains("waiting for another hook run in this work tree to finish")
            && err.contains(&format!("pid {pid}"))
            && err.contains("hook run pre-commit"),
        "{err}"
    );
    assert!(
        err.contains("nothing was changed") && err.contains(&format!("kill {pid}")),
        "{err}"
    );
    assert_eq!(snapshot(&ctx), during, "the waiting run touched nothing");

    // A commit through the hook waits the same way and fails the same way.
    let out = ctx
        .git_cmd()
        .env("HEPHAESTUS_LOCK_TIMEOUT", "0.5")
        .args(["commit", "-q", "-m", "second"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", show(&out));
    assert!(
        stderr(&out).contains(&format!("pid {pid}")),
        "{}",
        show(&out)
    );
    assert_eq!(snapshot(&ctx), during);

    // Ctrl-C ends a wait at once (exit 130, nothing changed); a wait that
    // is not a number of seconds is a usage error.
    let waiting = spawn({
        let mut c = ctx.heph();
        c.env("HEPHAESTUS_LOCK_TIMEOUT", "60")
            .args(["hook", "run", "pre-commit"]);
        c
    });
    std::thread::sleep(Duration::from_millis(500));
    crate::common::keeper::signal(&waiting.id().to_string(), libc::SIGINT);
    let out = waiting.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", show(&out));
    assert!(
        stderr(&out).contains("interrupted while waiting"),
        "{}",
        show(&out)
    );
    assert_eq!(snapshot(&ctx), during);
    let out = ctx
        .heph()
        .env("HEPHAESTUS_LOCK_TIMEOUT", "soon")
        .args(["hook", "run", "pre-commit"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        stderr(&out).contains("HEPHAESTUS_LOCK_TIMEOUT"),
        "{}",
        show(&out)
    );

    // A waiting run goes ahead as soon as the first one is done.
    let waiting = spawn({
        let mut c = ctx.heph();
        c.args(["hook", "run", "pre-commit"]);
        c
    });
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(ctx.base.join("release"), "").unwrap();
    let out = first.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let out = waiting.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    for i in 0..3 {
        assert_eq!(
            String::from_utf8(ctx.read(format!("src/f{i:03}.txt"))).unwrap(),
            unstaged_text(i)
        );
    }
}

#[test]
fn linked_worktrees_have_their_own_lock() {
    let ctx = partially_staged(2, &step("hold", HOLD, ""));
    let wt = ctx.base.join("linked");
    ctx.git([
        "worktree",
        "add",
        "-q",
        "-b",
        "linked",
        wt.to_str().unwrap(),
    ]);
    std::fs::write(wt.join("src/f000.txt"), "linked staged\n").unwrap();
    let mut add = ctx.git_cmd();
    add.current_dir(&wt).args(["add", "src/f000.txt"]);
    assert!(add.output().unwrap().status.success());
    std::fs::write(wt.join("src/f000.txt"), "linked staged\nand unstaged\n").unwrap();
    // The linked worktree runs a quick step of its own.
    std::fs::write(
        wt.join("hephaestus.toml"),
        format!(
            "[guard-rails]\npresets = []\n\n{}",
            step("quick", "true", "")
        ),
    )
    .unwrap();
    let (first, _pid) = held_commit(&ctx);
    let mut run = ctx.heph();
    run.current_dir(&wt)
        .env("HEPHAESTUS_LOCK_TIMEOUT", "0")
        .args(["hook", "run", "pre-commit"]);
    let out = run.output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert!(!stderr(&out).contains("waiting"), "{}", show(&out));
    assert_eq!(
        std::fs::read_to_string(wt.join("src/f000.txt")).unwrap(),
        "linked staged\nand unstaged\n"
    );
    assert!(
        first_still_running(&ctx),
        "the main worktree's run was still holding its lock"
    );
    std::fs::write(ctx.base.join("release"), "").unwrap();
    let out = first.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
}
