//! Helpers for the hook and keeper tests: a snapshot of everything a user
//! could lose, a repository with every kind of file the keeper protects,
//! the same repository committed by git alone, step configuration, and
//! waiting for and signalling the processes of a run.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use super::{TestContext, show};

/// Everything a user could lose: HEAD, the index, and every work-tree
/// file's bytes and mode (symlinks by target), `.git` excluded.
#[derive(Debug, PartialEq, Eq)]
pub struct State {
    pub head: String,
    pub index: String,
    pub files: BTreeMap<Vec<u8>, (u32, Vec<u8>)>,
}

pub fn snapshot(ctx: &TestContext) -> State {
    let head = String::from_utf8_lossy(
        &ctx.git_cmd()
            .args(["rev-parse", "--verify", "-q", "HEAD"])
            .output()
            .unwrap()
            .stdout,
    )
    .trim()
    .to_string();
    let index = String::from_utf8_lossy(&ctx.git(["ls-files", "-s", "-z"])).into_owned();
    let mut files = BTreeMap::new();
    walk(&ctx.root, &ctx.root, &mut files);
    State { head, index, files }
}

pub fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<Vec<u8>, (u32, Vec<u8>)>) {
    use std::os::unix::ffi::OsStrExt;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .as_os_str()
            .as_bytes()
            .to_vec();
        if rel == b".git" {
            continue;
        }
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.file_type().is_symlink() {
            out.insert(
                rel,
                (
                    0o120000,
                    std::fs::read_link(&path)
                        .unwrap()
                        .as_os_str()
                        .as_bytes()
                        .to_vec(),
                ),
            );
        } else if meta.is_dir() {
            out.insert(rel.clone(), (0o040000, Vec::new()));
            walk(root, &path, out);
        } else {
            out.insert(
                rel,
                (
                    meta.permissions().mode() & 0o777,
                    std::fs::read(&path).unwrap(),
                ),
            );
        }
    }
}

pub fn config(ctx: &TestContext, steps: &str) {
    ctx.write(
        "hephaestus.toml",
        format!("[guard-rails]\npresets = []\n\n{steps}"),
    );
}

pub fn step(name: &str, script: &str, extra: &str) -> String {
    format!(
        "[[guard-rails.steps]]\nname = \"{name}\"\nrun = [\"sh\", \"-c\", '''{script}''', \"step\"]\n{extra}\n"
    )
}

pub fn install(ctx: &TestContext) {
    let out = ctx.run(["hook", "install"]);
    assert!(out.status.success(), "{}", show(&out));
}

pub fn commit(ctx: &TestContext, args: &[&str]) -> Output {
    ctx.git_cmd().arg("commit").args(args).output().unwrap()
}

/// A repository with every kind of file the keeper must protect, all
/// committed, then partially staged changes plus unstaged edits.
pub fn torture_repo(steps: &str) -> TestContext {
    let ctx = TestContext::new();
    let sub = TestContext::new();
    sub.write("s.txt", "sub\n");
    sub.commit_all("sub");
    config(&ctx, steps);
    ctx.write(".gitignore", "ignored.log\n");
    ctx.write("text.py", "one\ntwo\nthree\nfour\nfive\n");
    ctx.write("crlf.txt", "a\r\nb\r\nc\r\n");
    ctx.write("noeol.txt", "no newline at end");
    ctx.write("binary.bin", [0u8, 1, 2, 255, 0, 10, 13, 200]);
    ctx.write("tool.sh", "#!/bin/sh\necho tool\n");
    ctx.write("doomed.txt", "will be deleted in the work tree\n");
    ctx.write("dir/deep/nested.txt", "nested\n");
    std::os::unix::fs::symlink("text.py", ctx.root.join("link")).unwrap();
    ctx.git(["submodule", "add", "-q", sub.root.to_str().unwrap(), "sub"]);
    ctx.commit_all("base");
    // staged changes
    ctx.write("text.py", "ONE\ntwo\nthree\nfour\nfive\n");
    ctx.write("crlf.txt", "A\r\nb\r\nc\r\n");
    ctx.write("noeol.txt", "staged, still no newline");
    ctx.write("binary.bin", [9u8, 1, 2, 255, 0, 10, 13, 200]);
    ctx.write("dir/deep/nested.txt", "nested staged\n");
    ctx.write("new.py", "x = 1\n");
    ctx.git(["add", "-A"]);
    // unstaged edits on top
    ctx.write("text.py", "ONE\ntwo\nthree\nfour\nFIVE unstaged\n");
    ctx.write("crlf.txt", "A\r\nb\r\nC unstaged\r\n");
    ctx.write("noeol.txt", "unstaged, no newline either");
    ctx.write("binary.bin", [9u8, 1, 2, 255, 0, 10, 13, 201, 0]);
    std::fs::set_permissions(
        ctx.root.join("tool.sh"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    std::fs::remove_file(ctx.root.join("doomed.txt")).unwrap();
    std::fs::remove_file(ctx.root.join("dir/deep/nested.txt")).unwrap();
    std::fs::remove_file(ctx.root.join("link")).unwrap();
    std::os::unix::fs::symlink("new.py", ctx.root.join("link")).unwrap();
    sub.write("s.txt", "sub moved\n");
    sub.commit_all("sub 2");
    let mut pull = ctx.git_cmd();
    pull.current_dir(ctx.root.join("sub"))
        .args(["pull", "-q", "origin", "main"]);
    assert!(pull.output().unwrap().status.success());
    ctx.write("sub/dirty.txt", "untracked in submodule\n");
    ctx.write("untracked.txt", "never touched\n");
    ctx.write("ignored.log", "ignored, never touched\n");
    ctx.write("ita.txt", "intent to add\n");
    ctx.git(["add", "-N", "ita.txt"]);
    // keep the sub test repo alive as long as ctx: leak its tempdir guard
    std::mem::forget(sub);
    ctx
}

/// The same repository committed by git alone (hooks off).
pub fn git_alone(ctx: &TestContext) -> State {
    let twin = ctx.base.join("twin");
    copy_dir(&ctx.root, &twin);
    let out = Command::new("git")
        .current_dir(&twin)
        .env("GIT_CONFIG_GLOBAL", ctx.home.join(".gitconfig"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", &ctx.home)
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .env("HEPHAESTUS", "0")
        .args(["commit", "-q", "-m", "msg"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let fake = TestContextView { root: twin };
    fake.snapshot(ctx)
}

pub struct TestContextView {
    pub root: std::path::PathBuf,
}

impl TestContextView {
    pub fn snapshot(&self, ctx: &TestContext) -> State {
        let git = |args: &[&str]| {
            let mut c = ctx.git_cmd();
            c.current_dir(&self.root).args(args);
            c.output().unwrap().stdout
        };
        let head = String::from_utf8_lossy(&git(&["rev-parse", "--verify", "-q", "HEAD"]))
            .trim()
            .to_string();
        let index = String::from_utf8_lossy(&git(&["ls-files", "-s", "-z"])).into_owned();
        let mut files = BTreeMap::new();
        walk(&self.root, &self.root, &mut files);
        State { head, index, files }
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    let out = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
}

pub fn wait_for(path: &Path) -> String {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if let Ok(s) = std::fs::read_to_string(path)
            && !s.trim().is_empty()
        {
            return s.trim().to_string();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {}", path.display());
}

pub fn signal(pid: &str, sig: i32) {
    let pid: i32 = pid.parse().unwrap();
    // SAFETY: sending a signal to a process the test started.
    unsafe {
        libc::kill(pid, sig);
    }
}
