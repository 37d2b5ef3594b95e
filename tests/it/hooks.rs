//! The hook manager end to end: real `git commit` and `git push` through
//! the installed shim, and a torture suite proving that no scenario loses
//! the user's work (state compared with what git alone produces).

use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

use crate::common::keeper::{
    commit, config, git_alone, install, signal, snapshot, step, torture_repo, wait_for,
};
use crate::common::{TestContext, show, stderr, stdout};

#[test]
fn passing_hook_commits_exactly_what_git_alone_commits() {
    let ctx = torture_repo(&step(
        "check",
        "for f in \"$@\"; do test -e \"$f\" || exit 3; done",
        "",
    ));
    install(&ctx);
    let expected = git_alone(&ctx);
    let out = commit(&ctx, &["-q", "-m", "msg"]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(snapshot(&ctx), expected);
}

#[test]
fn steps_see_the_index_version_and_failing_hook_changes_nothing() {
    let ctx = torture_repo(&step(
        "inspect",
        "cat text.py noeol.txt > ../seen.txt; test -e doomed.txt && test -e dir/deep/nested.txt && test \"$(readlink link)\" = text.py || exit 7; exit 1",
        "",
    ));
    install(&ctx);
    let before = snapshot(&ctx);
    let out = commit(&ctx, &["-q", "-m", "msg"]);
    assert!(!out.status.success(), "the step fails: {}", show(&out));
    assert!(
        stdout(&out).contains("inspect") || stderr(&out).contains("inspect"),
        "{}",
        show(&out)
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("exit code: 7"),
        "steps saw the index state: {}",
        show(&out)
    );
    let seen = std::fs::read_to_string(ctx.base.join("seen.txt")).unwrap();
    assert_eq!(
        seen,
        "ONE\ntwo\nthree\nfour\nfive\nstaged, still no newline"
    );
    assert_eq!(
        snapshot(&ctx),
        before,
        "a failed hook leaves everything as it was"
    );
}

#[test]
fn fixer_edits_fail_the_commit_and_list_the_files() {
    let ctx = torture_repo(&step(
        "fixer",
        "for f in \"$@\"; do echo '# fixed' >> \"$f\"; done",
        "files = [\"new.py\"]\nfix = true",
    ));
    install(&ctx);
    let out = commit(&ctx, &["-q", "-m", "msg"]);
    assert!(!out.status.success(), "{}", show(&out));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("files were modified by this step"), "{text}");
    assert!(text.contains("new.py"), "{text}");
    assert_eq!(
        ctx.read("new.py"),
        b"x = 1\n# fixed\n",
        "the fixer's edit stays in the work tree"
    );
    assert_eq!(
        ctx.read("text.py"),
        b"ONE\ntwo\nthree\nfour\nFIVE unstaged\n",
        "user's unstaged edit kept"
    );
}

#[test]
fn fixer_conflicting_with_unstaged_changes_is_rolled_back() {
    let ctx = torture_repo(&step(
        "rewrite",
        "for f in \"$@\"; do printf 'rewritten\\n' > \"$f\"; done",
        "files = [\"text.py\"]\nfix = true",
    ));
    install(&ctx);
    let before = snapshot(&ctx);
    let out = commit(&ctx, &["-q", "-m", "msg"]);
    assert!(!out.status.success(), "{}", show(&out));
    assert!(
        stderr(&out).contains("conflicted with your unstaged changes"),
        "{}",
        show(&out)
    );
    assert_eq!(
        snapshot(&ctx),
        before,
        "fixer rolled back, user's work restored"
    );
}

#[test]
fn fixer_edit_in_another_hunk_is_merged_with_unstaged_changes() {
    let ctx = torture_repo(&step(
        "fix-first-line",
        "for f in \"$@\"; do sed -i 's/^ONE$/one (fixed)/' \"$f\"; done",
        "files = [\"text.py\"]\nfix = true",
    ));
    install(&ctx);
    let out = commit(&ctx, &["-q", "-m", "msg"]);
    assert!(
        !out.status.success(),
        "the fixer modified a file: {}",
        show(&out)
    );
    assert!(
        stderr(&out).contains("files were modified by this step"),
        "{}",
        show(&out)
    );
    assert_eq!(
        ctx.read("text.py"),
        b"one (fixed)\ntwo\nthree\nfour\nFIVE unstaged\n",
        "the fixer's edit and the user's unstaged edit are both kept"
    );
}

#[test]
fn fixer_with_restage_commits_its_fix_and_keeps_unstaged_work() {
    let ctx = torture_repo(&step(
        "fixer",
        "for f in \"$@\"; do echo '# fixed' >> \"$f\"; done",
        "files = [\"new.py\"]\nfix = true\nrestage = true",
    ));
    install(&ctx);
    let out = commit(&ctx, &["-q", "-m", "msg"]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(ctx.git(["show", "HEAD:new.py"]), b"x = 1\n# fixed\n");
    assert_eq!(
        ctx.read("text.py"),
        b"ONE\ntwo\nthree\nfour\nFIVE unstaged\n"
    );
    assert_eq!(
        ctx.git(["show", "HEAD:text.py"]),
        b"ONE\ntwo\nthree\nfour\nfive\n"
    );
}

/// Send `sig` to the hook process while a step runs: the step is stopped,
/// everything is restored, the commit does not happen.
fn interrupt_restores_everything(sig: i32) {
    let ctx = torture_repo(&step("slow", "echo $PPID > ../heph.pid; sleep 30", ""));
    install(&ctx);
    let before = snapshot(&ctx);
    let child = ctx
        .git_cmd()
        .args(["commit", "-q", "-m", "msg"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = wait_for(&ctx.base.join("heph.pid"));
    signal(&pid, sig);
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "{}", show(&out));
    assert!(stderr(&out).contains("interrupted"), "{}", show(&out));
    assert_eq!(snapshot(&ctx), before);
    assert!(!ctx.root.join(".git/hephaestus/keeper.json").exists());
}

#[test]
fn sigint_during_a_step_restores_everything() {
    interrupt_restores_everything(libc::SIGINT);
}

#[test]
fn sigterm_during_a_step_restores_everything() {
    interrupt_restores_everything(libc::SIGTERM);
}

#[test]
fn sigkill_leaves_a_journal_that_recover_restores() {
    let ctx = torture_repo(&step(
        "slow",
        "echo $PPID > ../heph.pid; echo $$ > ../step.pid; sleep 30",
        "",
    ));
    install(&ctx);
    let before = snapshot(&ctx);
    let child = ctx
        .git_cmd()
        .args(["commit", "-q", "-m", "msg"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = wait_for(&ctx.base.join("heph.pid"));
    let step_pid = wait_for(&ctx.base.join("step.pid"));
    signal(&pid, libc::SIGKILL);
    signal(&format!("-{step_pid}"), libc::SIGKILL);
    let _ = child.wait_with_output().unwrap();
    assert!(
        ctx.root.join(".git/hephaestus/keeper.json").exists(),
        "the journal survives the crash"
    );
    assert_ne!(
        snapshot(&ctx).files,
        before.files,
        "the work tree still shows the index version"
    );

    let out = ctx.run(["hook", "run", "pre-commit"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains("hephaestus hook recover"),
        "{}",
        show(&out)
    );

    // The backups are not in the object database: even an aggressive gc
    // cannot touch them.
    ctx.git(["gc", "-q", "--prune=now"]);

    let out = ctx.run(["hook", "recover"]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        snapshot(&ctx),
        before,
        "recover restores the user's work exactly"
    );
    let left: Vec<_> = std::fs::read_dir(ctx.root.join(".git/hephaestus"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        left,
        vec!["keeper.lock"],
        "journal, backup, patch and log are gone"
    );
    let out = ctx.run(["hook", "recover"]);
    assert!(
        stderr(&out).contains("nothing to recover"),
        "{}",
        show(&out)
    );
}

#[test]
fn commit_all_and_commit_path_use_the_temporary_index() {
    let ctx = TestContext::new();
    config(
        &ctx,
        &step(
            "record",
            "printf '%s\\n' \"$@\" > ../args.txt; cat a.txt > ../a-seen.txt",
            "",
        ),
    );
    ctx.write("a.txt", "a\n");
    ctx.write("b.txt", "b\n");
    ctx.commit_all("base");
    install(&ctx);
    ctx.write("a.txt", "a2\n");
    ctx.write("b.txt", "b2\n");
    let out = commit(&ctx, &["-q", "-a", "-m", "all"]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        std::fs::read_to_string(ctx.base.join("args.txt")).unwrap(),
        "a.txt\nb.txt\n"
    );

    ctx.write("a.txt", "a3\n");
    ctx.write("b.txt", "b3\n");
    ctx.git(["add", "b.txt"]);
    let out = commit(&ctx, &["-q", "-m", "only a", "a.txt"]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        std::fs::read_to_string(ctx.base.join("args.txt")).unwrap(),
        "a.txt\n"
    );
    assert_eq!(
        ctx.git(["show", "HEAD:b.txt"]),
        b"b2\n",
        "b was not part of `git commit a.txt`"
    );
    assert_eq!(ctx.read("b.txt"), b"b3\n");
    assert_eq!(
        ctx.git(["diff", "--cached", "--name-only"]),
        b"b.txt\n",
        "b stays staged"
    );
}

#[test]
fn pre_push_checks_the_pushed_commits_only() {
    let ctx = TestContext::new();
    ctx.add_bare_origin();
    config(
        &ctx,
        &step(
            "record",
            "printf '%s\\n' \"$@\" >> ../pushed.txt; env | grep PRE_COMMIT_ >> ../env.txt",
            "stages = [\"pre-push\"]",
        ),
    );
    ctx.write("a.txt", "a\n");
    ctx.commit_all("root");
    ctx.git(["push", "-q", "origin", "main"]);
    ctx.run(["hook", "install"]);
    // new branch with two commits
    ctx.git(["checkout", "-q", "-b", "feature"]);
    ctx.write("f1.txt", "1\n");
    ctx.commit_all("f1");
    ctx.write("f2.txt", "2\n");
    ctx.commit_all("f2");
    let out = ctx
        .git_cmd()
        .args(["push", "-q", "origin", "feature"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        std::fs::read_to_string(ctx.base.join("pushed.txt")).unwrap(),
        "f1.txt\nf2.txt\n"
    );
    let env = std::fs::read_to_string(ctx.base.join("env.txt")).unwrap();
    assert!(env.contains("PRE_COMMIT_REMOTE_NAME=origin"), "{env}");
    assert!(
        env.contains("PRE_COMMIT_REMOTE_BRANCH=refs/heads/feature"),
        "{env}"
    );

    // an existing branch: only the new commit
    std::fs::remove_file(ctx.base.join("pushed.txt")).unwrap();
    ctx.write("f3.txt", "3\n");
    ctx.commit_all("f3");
    let out = ctx
        .git_cmd()
        .args(["push", "-q", "origin", "feature"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        std::fs::read_to_string(ctx.base.join("pushed.txt")).unwrap(),
        "f3.txt\n"
    );

    // deleting a remote branch runs nothing and passes
    std::fs::remove_file(ctx.base.join("pushed.txt")).unwrap();
    let out = ctx
        .git_cmd()
        .args(["push", "-q", "origin", ":feature"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert!(!ctx.base.join("pushed.txt").exists());

    // a failing pre-push step blocks the push
    config(&ctx, &step("no", "exit 1", "stages = [\"pre-push\"]"));
    ctx.commit_all("config");
    let out = ctx
        .git_cmd()
        .args(["push", "-q", "origin", "HEAD:refs/heads/other"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", show(&out));
}

#[test]
fn pre_push_stdin_lines_through_hook_run() {
    let ctx = TestContext::new();
    config(
        &ctx,
        &step("record", "printf '%s\\n' \"$@\" > ../pushed.txt", ""),
    );
    ctx.write("a.txt", "a\n");
    ctx.commit_all("one");
    let first = ctx.git_str_head();
    ctx.write("b.txt", "b\n");
    ctx.commit_all("two");
    let second = ctx.git_str_head();
    // a remote sha unknown locally falls back to "not on the remote"
    let unknown = "1234567890123456789012345678901234567890";
    let lines = format!(
        "refs/heads/main {second} refs/heads/main {first}\nrefs/heads/x {second} refs/heads/x {unknown}\n(delete) 0000000000000000000000000000000000000000 refs/heads/gone {first}\n"
    );
    let mut child = ctx
        .heph()
        .args(["hook", "run", "pre-push", "--", "origin", "/nowhere"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        std::fs::read_to_string(ctx.base.join("pushed.txt")).unwrap(),
        "a.txt\nb.txt\nhephaestus.toml\n"
    );
}

impl TestContext {
    fn git_str_head(&self) -> String {
        String::from_utf8_lossy(&self.git(["rev-parse", "HEAD"]))
            .trim()
            .to_string()
    }
}

#[test]
fn linked_worktrees_share_the_hooks() {
    let ctx = TestContext::new();
    config(&ctx, &step("mark", "pwd > ../ran-in.txt", ""));
    ctx.write("a.txt", "a\n");
    ctx.commit_all("base");
    install(&ctx);
    let wt = ctx.base.join("wt");
    ctx.git(["worktree", "add", "-q", "-b", "wt", wt.to_str().unwrap()]);
    std::fs::write(wt.join("w.txt"), "w\n").unwrap();
    let mut add = ctx.git_cmd();
    add.current_dir(&wt).args(["add", "w.txt"]);
    assert!(add.output().unwrap().status.success());
    let mut c = ctx.git_cmd();
    c.current_dir(&wt).args(["commit", "-q", "-m", "wt"]);
    let out = c.output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        std::fs::read_to_string(ctx.base.join("ran-in.txt"))
            .unwrap()
            .trim(),
        wt.to_str().unwrap()
    );
}

#[test]
fn legacy_hook_is_chained_and_restored() {
    let ctx = TestContext::new();
    config(&ctx, &step("mark", "echo ours >> ../order.txt", ""));
    ctx.write("a.txt", "a\n");
    ctx.commit_all("base");
    let hook = ctx.root.join(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/bin/sh\necho legacy >> ../order.txt\n").unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = ctx.run(["hook", "install"]);
    assert!(stderr(&out).contains("pre-commit.legacy"), "{}", show(&out));
    // idempotent
    let out = ctx.run(["hook", "install"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(ctx.root.join(".git/hooks/pre-commit.legacy").exists());
    ctx.write("b.txt", "b\n");
    ctx.git(["add", "b.txt"]);
    let out = commit(&ctx, &["-q", "-m", "b"]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        std::fs::read_to_string(ctx.base.join("order.txt")).unwrap(),
        "legacy\nours\n"
    );
    let out = ctx.run(["hook", "list"]);
    assert!(
        stdout(&out).contains("runs pre-commit.legacy first"),
        "{}",
        show(&out)
    );
    let out = ctx.run(["hook", "uninstall"]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\necho legacy >> ../order.txt\n"
    );
    assert!(!ctx.root.join(".git/hooks/pre-commit.legacy").exists());
    assert!(!ctx.root.join(".git/hooks/pre-push").exists());
}

#[test]
fn failing_legacy_hook_blocks_and_pre_push_legacy_gets_stdin() {
    let ctx = TestContext::new();
    ctx.add_bare_origin();
    config(
        &ctx,
        &step(
            "record",
            "printf '%s\\n' \"$@\" > ../ours.txt",
            "stages = [\"pre-push\"]",
        ),
    );
    ctx.write("a.txt", "a\n");
    ctx.commit_all("base");
    let hook = ctx.root.join(".git/hooks/pre-push");
    std::fs::write(&hook, "#!/bin/sh\ncat > ../legacy-stdin.txt\n").unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    install(&ctx);
    let out = ctx
        .git_cmd()
        .args(["push", "-q", "origin", "main"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let legacy = std::fs::read_to_string(ctx.base.join("legacy-stdin.txt")).unwrap();
    assert!(legacy.starts_with("refs/heads/main "), "{legacy}");
    assert_eq!(
        std::fs::read_to_string(ctx.base.join("ours.txt")).unwrap(),
        "a.txt\nhephaestus.toml\n"
    );
}

#[test]
fn hephaestus_zero_disables_and_missing_binary_is_explained() {
    let ctx = TestContext::new();
    config(&ctx, &step("no", "exit 1", ""));
    ctx.write("a.txt", "a\n");
    ctx.git(["add", "-A"]);
    install(&ctx);
    let out = ctx
        .git_cmd()
        .env("HEPHAESTUS", "0")
        .args(["commit", "-q", "-m", "x"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    // a shim whose binary vanished and no hephaestus on PATH
    let hook = ctx.root.join(".git/hooks/pre-commit");
    let text = std::fs::read_to_string(&hook).unwrap();
    let broken = text.replace(env!("CARGO_BIN_EXE_hephaestus"), "/nonexistent/hephaestus");
    std::fs::write(&hook, broken).unwrap();
    ctx.write("b.txt", "b\n");
    ctx.git(["add", "b.txt"]);
    let out = ctx
        .git_cmd()
        .env("PATH", "/usr/bin:/bin")
        .args(["commit", "-q", "-m", "y"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("hephaestus is neither at /nonexistent/hephaestus nor on PATH"),
        "{}",
        show(&out)
    );
}

#[test]
fn global_hooks_path_is_refused_without_force() {
    let ctx = TestContext::new();
    let global_hooks = ctx.base.join("global-hooks");
    ctx.git([
        "config",
        "--global",
        "core.hooksPath",
        global_hooks.to_str().unwrap(),
    ]);
    let out = ctx.run(["hook", "install"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(stderr(&out).contains("global"), "{}", show(&out));
    assert!(!global_hooks.exists());
    let out = ctx.run(["hook", "install", "--force"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(global_hooks.join("pre-commit").exists());
    // a local hooksPath is fine and relative to the work tree
    ctx.git(["config", "--global", "--unset", "core.hooksPath"]);
    ctx.git(["config", "core.hooksPath", "tools/hooks"]);
    let out = ctx.run(["hook", "install", "--hook-type", "commit-msg"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(ctx.root.join("tools/hooks/commit-msg").exists());
}

#[test]
fn commit_msg_hook_gets_the_message_file() {
    let ctx = TestContext::new();
    config(
        &ctx,
        &step("msg", "grep -q 'JIRA-' \"$1\"", "stages = [\"commit-msg\"]"),
    );
    ctx.write("a.txt", "a\n");
    ctx.git(["add", "-A"]);
    let out = ctx.run(["hook", "install", "-t", "commit-msg"]);
    assert!(out.status.success(), "{}", show(&out));
    let out = commit(&ctx, &["-q", "-m", "no ticket"]);
    assert!(!out.status.success(), "{}", show(&out));
    let out = commit(&ctx, &["-q", "-m", "JIRA-1 fix"]);
    assert!(out.status.success(), "{}", show(&out));
}

#[test]
fn staged_junk_fails_the_commit_with_the_fix_and_unstage_mode_unstages() {
    let ctx = TestContext::new();
    config(&ctx, "");
    ctx.write("a.txt", "a\n");
    ctx.commit_all("base");
    install(&ctx);
    ctx.write(".DS_Store", "junk");
    ctx.write("pkg/__pycache__/m.cpython-311.pyc", "junk");
    ctx.write("b.txt", "b\n");
    ctx.git(["add", "-A"]);
    let out = commit(&ctx, &["-q", "-m", "junk"]);
    assert!(!out.status.success(), "{}", show(&out));
    let err = stderr(&out);
    assert!(
        err.contains(".DS_Store") && err.contains("git rm --cached"),
        "{err}"
    );
    assert!(
        ctx.root.join(".DS_Store").exists(),
        "nothing is deleted from a hook"
    );

    ctx.write(
        "hephaestus.toml",
        "[guard-rails]\npresets = []\n[cleanup]\nhook = \"unstage\"\n",
    );
    ctx.git(["add", "hephaestus.toml"]);
    let out = commit(&ctx, &["-q", "-m", "without junk"]);
    assert!(out.status.success(), "{}", show(&out));
    let committed = String::from_utf8(ctx.git(["ls-tree", "-r", "--name-only", "HEAD"])).unwrap();
    assert!(
        committed.contains("b.txt")
            && !committed.contains(".DS_Store")
            && !committed.contains("__pycache__"),
        "{committed}"
    );
    assert!(ctx.root.join(".DS_Store").exists());
}

#[test]
fn eol_conversion_goes_through_git_and_loses_nothing() {
    let ctx = TestContext::new();
    config(
        &ctx,
        &step("see", "od -c notes.txt | head -1 > ../seen.txt", ""),
    );
    ctx.write(".gitattributes", "*.txt text eol=crlf\n");
    ctx.write("notes.txt", "one\r\ntwo\r\n");
    ctx.commit_all("base");
    install(&ctx);
    ctx.write("notes.txt", "one\r\ntwo\r\nthree staged\r\n");
    ctx.git(["add", "notes.txt"]);
    ctx.write(
        "notes.txt",
        "one\r\ntwo\r\nthree staged\r\nfour unstaged\r\n",
    );
    let expected = git_alone(&ctx);
    let out = commit(&ctx, &["-q", "-m", "msg"]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(snapshot(&ctx), expected);
    let seen = std::fs::read_to_string(ctx.base.join("seen.txt")).unwrap();
    assert!(
        seen.contains("\\r"),
        "the step saw git's CRLF checkout of the index version: {seen}"
    );
}
