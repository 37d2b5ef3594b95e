//! Differential tests: the git layer (through `hephaestus files`) against
//! the git CLI as the oracle, over a matrix of repository states.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::common::{TestContext, show, zsplit};

fn heph_paths(
    ctx: &TestContext,
    dir: &Path,
    args: &[&str],
    envs: &[(&str, &Path)],
) -> Vec<Vec<u8>> {
    let mut cmd = ctx.heph();
    cmd.current_dir(dir).arg("files").arg("-z").args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run hephaestus");
    assert!(out.status.success(), "{}", show(&out));
    zsplit(&out.stdout)
}

fn git_paths(ctx: &TestContext, dir: &Path, args: &[&str], envs: &[(&str, &Path)]) -> Vec<Vec<u8>> {
    let mut cmd = ctx.git_cmd();
    cmd.current_dir(dir).args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run git");
    assert!(out.status.success(), "{}", show(&out));
    let mut v = zsplit(&out.stdout);
    v.dedup();
    v
}

const STAGED: &[&str] = &[
    "diff",
    "--cached",
    "--name-only",
    "-z",
    "--diff-filter=ACMR",
];
const TRACKED: &[&str] = &["ls-files", "-z", "--full-name", ":/"];

/// Compare staged, tracked and conflicted paths with git's answer.
fn assert_matches_git(ctx: &TestContext) {
    assert_matches_git_in(ctx, &ctx.root.clone(), &[]);
}

fn assert_matches_git_in(ctx: &TestContext, dir: &Path, envs: &[(&str, &Path)]) {
    let staged = heph_paths(ctx, dir, &[], envs);
    assert_eq!(
        staged,
        git_paths(ctx, dir, STAGED, envs),
        "staged paths differ from git"
    );
    let tracked = heph_paths(ctx, dir, &["--all-files"], envs);
    assert_eq!(
        tracked,
        git_paths(ctx, dir, TRACKED, envs),
        "tracked paths differ from git"
    );
    let conflicted = heph_paths(ctx, dir, &["--conflicted"], envs);
    let git_conflicted = git_paths(
        ctx,
        dir,
        &["diff", "--name-only", "-z", "--diff-filter=U"],
        envs,
    );
    assert_eq!(
        conflicted, git_conflicted,
        "conflicted paths differ from git"
    );
}

/// A committed base with files of every kind the matrix changes.
fn base_repo() -> TestContext {
    let ctx = TestContext::new();
    for name in [
        "modify.txt",
        "delete.txt",
        "rename-me.txt",
        "copy-src.txt",
        "mode.sh",
        "to-link.txt",
        "stay.txt",
    ] {
        ctx.write(name, format!("content of {name}\nline two\nline three\n"));
    }
    ctx.write("deep/a/b/c/d/e/f/g/file.txt", "deep\n");
    ctx.write("dir with spaces/file \"quoted\".txt", "q\n");
    ctx.write("sub/keep.py", "x = 1\n");
    std::os::unix::fs::symlink("stay.txt", ctx.root.join("link")).expect("symlink");
    ctx.commit_all("base");
    ctx
}

#[test]
fn every_kind_of_staged_change_matches_git() {
    let ctx = base_repo();
    ctx.write("modify.txt", "changed\n");
    std::fs::remove_file(ctx.root.join("delete.txt")).unwrap();
    ctx.git(["mv", "rename-me.txt", "renamed.txt"]);
    std::fs::copy(ctx.root.join("copy-src.txt"), ctx.root.join("copy-dst.txt")).unwrap();
    let mut perm = std::fs::metadata(ctx.root.join("mode.sh"))
        .unwrap()
        .permissions();
    perm.set_mode(0o755);
    std::fs::set_permissions(ctx.root.join("mode.sh"), perm).unwrap();
    // type change: file -> symlink (T, excluded by ACMR)
    std::fs::remove_file(ctx.root.join("to-link.txt")).unwrap();
    std::os::unix::fs::symlink("stay.txt", ctx.root.join("to-link.txt")).unwrap();
    // symlink retargeted (M)
    std::fs::remove_file(ctx.root.join("link")).unwrap();
    std::os::unix::fs::symlink("modify.txt", ctx.root.join("link")).unwrap();
    ctx.write("deep/a/b/c/d/e/f/g/new.txt", "new\n");
    ctx.write("dir with spaces/new\nline.txt", "newline in name\n");
    let odd = std::ffi::OsStr::from_bytes(b"latin1-\xe9t\xe9.txt");
    std::fs::write(ctx.root.join(odd), "bytes\n").unwrap();
    ctx.git(["add", "-A"]);
    // intent-to-add is not staged
    ctx.write("ita.txt", "later\n");
    ctx.git(["add", "-N", "ita.txt"]);
    // unstaged edit to a staged file does not matter
    ctx.write("modify.txt", "changed again, unstaged\n");
    assert_matches_git(&ctx);
    let staged = heph_paths(&ctx, &ctx.root, &[], &[]);
    assert!(
        staged.contains(&b"latin1-\xe9t\xe9.txt".to_vec()),
        "non-UTF-8 name kept"
    );
    assert!(
        staged.contains(&b"dir with spaces/new\nline.txt".to_vec()),
        "newline name kept"
    );
    assert!(
        !staged.contains(&b"to-link.txt".to_vec()),
        "type change is not ACMR"
    );
    assert!(
        !staged.contains(&b"ita.txt".to_vec()),
        "intent-to-add is not staged"
    );
}

#[test]
fn unborn_head_compares_against_the_empty_tree() {
    let ctx = TestContext::new();
    assert_matches_git(&ctx);
    ctx.write("a.txt", "a\n");
    ctx.write("b/c.txt", "c\n");
    ctx.git(["add", "-A"]);
    assert_matches_git(&ctx);
    assert_eq!(heph_paths(&ctx, &ctx.root, &[], &[]).len(), 2);
}

#[test]
fn nothing_staged_after_commit_and_large_tree_uses_cache_tree() {
    let ctx = TestContext::new();
    for i in 0..300 {
        ctx.write(
            format!("pkg{}/sub/mod{}.py", i / 30, i % 30),
            format!("V = {i}\n"),
        );
    }
    ctx.commit_all("init");
    assert_matches_git(&ctx);
    assert!(heph_paths(&ctx, &ctx.root, &[], &[]).is_empty());
    ctx.write("pkg3/sub/mod4.py", "V = -1\n");
    ctx.write("pkg3/sub/zz-new.py", "N = 1\n");
    ctx.write("pkg9/new/deeper.py", "N = 2\n");
    ctx.git(["add", "-A"]);
    assert_matches_git(&ctx);
    // With the cache-tree invalidated everywhere (read-tree), still exact.
    ctx.git(["read-tree", "HEAD"]);
    ctx.git(["add", "-A"]);
    assert_matches_git(&ctx);
}

#[test]
fn merge_conflict_paths_match_git() {
    let ctx = TestContext::new();
    ctx.write("both.txt", "base\n");
    ctx.write("other.txt", "base\n");
    ctx.commit_all("base");
    ctx.git(["checkout", "-q", "-b", "topic"]);
    ctx.write("both.txt", "topic\n");
    ctx.write("other.txt", "topic\n");
    ctx.commit_all("topic");
    ctx.git(["checkout", "-q", "main"]);
    ctx.write("both.txt", "main\n");
    ctx.commit_all("main");
    let out = ctx.git_cmd().args(["merge", "topic"]).output().unwrap();
    assert!(!out.status.success(), "the merge must conflict");
    // Tracked and conflicted paths are git's; the default list during a
    // merge is the merge's paths (see the next test), not git's staged.
    let tracked = heph_paths(&ctx, &ctx.root, &["--all-files"], &[]);
    assert_eq!(tracked, git_paths(&ctx, &ctx.root, TRACKED, &[]));
    let conflicted = heph_paths(&ctx, &ctx.root, &["--conflicted"], &[]);
    assert_eq!(conflicted, vec![b"both.txt".to_vec()]);
    let git_conflicted = git_paths(
        &ctx,
        &ctx.root,
        &["diff", "--name-only", "-z", "--diff-filter=U"],
        &[],
    );
    assert_eq!(conflicted, git_conflicted);
}

/// During a merge, `hephaestus files` lists what the pre-commit hook
/// checks: the conflicts git named and what differs from both sides, not
/// the paths the merge brought in unchanged from the other branch (which
/// git shows as staged).
#[test]
fn files_during_a_merge_are_what_the_hook_checks() {
    let ctx = TestContext::new();
    ctx.write("both.txt", "base\n");
    ctx.write("theirs.txt", "base\n");
    ctx.commit_all("base");
    ctx.git(["checkout", "-q", "-b", "topic"]);
    ctx.write("both.txt", "topic\n");
    ctx.write("theirs.txt", "topic\n");
    ctx.commit_all("topic");
    ctx.git(["checkout", "-q", "main"]);
    ctx.write("both.txt", "main\n");
    ctx.commit_all("main");
    let out = ctx.git_cmd().args(["merge", "topic"]).output().unwrap();
    assert!(!out.status.success(), "the merge must conflict");
    ctx.write("both.txt", "resolved\n");
    ctx.git(["add", "both.txt"]);
    // git's staged paths include theirs.txt, which the merge took from
    // topic unchanged.
    let staged = git_paths(&ctx, &ctx.root, STAGED, &[]);
    assert_eq!(staged, vec![b"both.txt".to_vec(), b"theirs.txt".to_vec()]);

    // The hook's files, as a step sees them (the configuration lives
    // outside the work tree so it is no path of the merge).
    let config = ctx.base.join("hephaestus.toml");
    std::fs::write(
        &config,
        "[guard-rails]\npresets = []\n\n[[guard-rails.steps]]\nname = \"seen\"\nrun = [\"sh\", \"-c\", 'printf \"%s\\\\0\" \"$@\" > ../seen', \"step\"]\n",
    )
    .unwrap();
    let out = ctx
        .heph()
        .arg("--config")
        .arg(&config)
        .args(["hook", "run", "pre-commit"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let seen = zsplit(&std::fs::read(ctx.base.join("seen")).unwrap());
    assert_eq!(seen, vec![b"both.txt".to_vec()]);

    let listed = heph_paths(&ctx, &ctx.root, &[], &[]);
    assert_eq!(listed, seen, "`files` lists what the hook checks");
}

#[test]
fn submodule_changes_match_git() {
    let sub = TestContext::new();
    sub.write("s.txt", "s\n");
    sub.commit_all("sub");
    let ctx = TestContext::new();
    ctx.write("top.txt", "t\n");
    ctx.commit_all("top");
    ctx.git([
        "submodule",
        "add",
        "-q",
        sub.root.to_str().unwrap(),
        "vendor/sub",
    ]);
    assert_matches_git(&ctx);
    ctx.commit_all("add sub");
    // move the submodule to a new commit: M on the gitlink
    sub.write("s.txt", "s2\n");
    sub.commit_all("sub 2");
    let subdir = ctx.root.join("vendor/sub");
    let mut pull = ctx.git_cmd();
    pull.current_dir(&subdir)
        .args(["pull", "-q", "origin", "main"]);
    assert!(pull.output().unwrap().status.success());
    ctx.git(["add", "vendor/sub"]);
    assert_matches_git(&ctx);
    assert_eq!(
        heph_paths(&ctx, &ctx.root, &[], &[]),
        vec![b"vendor/sub".to_vec()]
    );
}

#[test]
fn discovery_from_a_subdirectory_and_a_linked_worktree() {
    let ctx = base_repo();
    ctx.write("sub/new.py", "n = 1\n");
    ctx.git(["add", "sub/new.py"]);
    let subdir = ctx.root.join("deep/a/b");
    assert_matches_git_in(&ctx, &subdir, &[]);

    let wt = ctx.base.join("linked");
    ctx.git(["worktree", "add", "-q", "-b", "wt", wt.to_str().unwrap()]);
    std::fs::write(wt.join("wt-only.txt"), "w\n").unwrap();
    let mut add = ctx.git_cmd();
    add.current_dir(&wt).args(["add", "wt-only.txt"]);
    assert!(add.output().unwrap().status.success());
    assert_matches_git_in(&ctx, &wt, &[]);
    let staged = heph_paths(&ctx, &wt, &[], &[]);
    assert_eq!(
        staged,
        vec![b"wt-only.txt".to_vec()],
        "the linked worktree has its own index"
    );
}

#[test]
fn git_index_file_and_git_dir_overrides_are_honoured() {
    let ctx = base_repo();
    ctx.write("main-index.txt", "m\n");
    ctx.git(["add", "main-index.txt"]);
    // Build a second index as `git commit <path>` does.
    let other = ctx.base.join("other-index");
    let env = [("GIT_INDEX_FILE", other.as_path())];
    let mut read_tree = ctx.git_cmd();
    read_tree
        .env("GIT_INDEX_FILE", &other)
        .args(["read-tree", "HEAD"]);
    assert!(read_tree.output().unwrap().status.success());
    ctx.write("other-only.txt", "o\n");
    let mut add = ctx.git_cmd();
    add.env("GIT_INDEX_FILE", &other)
        .args(["add", "other-only.txt"]);
    assert!(add.output().unwrap().status.success());
    assert_matches_git_in(&ctx, &ctx.root.clone(), &env);
    assert_eq!(
        heph_paths(&ctx, &ctx.root, &[], &env),
        vec![b"other-only.txt".to_vec()]
    );

    // GIT_DIR + GIT_WORK_TREE from somewhere else entirely.
    let git_dir = ctx.root.join(".git");
    let elsewhere = ctx.base.clone();
    let env = [
        ("GIT_DIR", git_dir.as_path()),
        ("GIT_WORK_TREE", ctx.root.as_path()),
    ];
    assert_matches_git_in(&ctx, &elsewhere, &env);
}

/// `files --from-ref FROM --to-ref TO` against `git diff --name-only
/// --diff-filter=d <spec>`; returns our paths.
fn range_matches_git(ctx: &TestContext, from: &str, to: &str, spec: &str) -> Vec<Vec<u8>> {
    let ours = heph_paths(ctx, &ctx.root, &["--from-ref", from, "--to-ref", to], &[]);
    let oracle = git_paths(
        ctx,
        &ctx.root,
        &["diff", "--name-only", "-z", "--diff-filter=d", spec],
        &[],
    );
    assert_eq!(ours, oracle, "{from}..{to} differs from git diff {spec}");
    ours
}

#[test]
fn ref_ranges_match_git_three_dot_and_fall_back_to_two_dot() {
    let ctx = base_repo();
    ctx.git(["checkout", "-q", "-b", "feature"]);
    ctx.write("feature.txt", "f\n");
    ctx.write("modify.txt", "feature change\n");
    std::fs::remove_file(ctx.root.join("delete.txt")).unwrap();
    ctx.git(["mv", "rename-me.txt", "dir with spaces/renamed.txt"]);
    ctx.commit_all("feature");
    ctx.git(["checkout", "-q", "main"]);
    ctx.write("main-only.txt", "m\n");
    ctx.commit_all("main moves on");
    let range = range_matches_git(&ctx, "main", "feature", "main...feature");
    assert!(
        !range.contains(&b"main-only.txt".to_vec()),
        "three-dot: only the feature side"
    );

    // unrelated history: no merge base, git's A...B fails, A..B is used
    ctx.git(["checkout", "-q", "--orphan", "island"]);
    ctx.git(["rm", "-rq", "--cached", "."]);
    ctx.write("island.txt", "i\n");
    ctx.git(["add", "island.txt"]);
    ctx.git(["commit", "-qm", "island"]);
    range_matches_git(&ctx, "main", "island", "main..island");

    let last = heph_paths(&ctx, &ctx.root, &["--last-commit"], &[]);
    assert_eq!(last, vec![b"island.txt".to_vec()]);
}

#[test]
fn bad_ref_and_bare_repo_are_clear_usage_errors() {
    let ctx = base_repo();
    let out = ctx.run(["files", "--from-ref", "nope", "--to-ref", "HEAD"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error: cannot resolve \"nope\" to a commit"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");

    let bare = ctx.base.join("bare.git");
    ctx.git([
        "clone",
        "-q",
        "--bare",
        ctx.root.to_str().unwrap(),
        bare.to_str().unwrap(),
    ]);
    let out = ctx
        .heph()
        .current_dir(&bare)
        .args(["files"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bare repository"),
        "{}",
        show(&out)
    );

    let outside = ctx.base.join("home");
    let out = ctx
        .heph()
        .current_dir(&outside)
        .args(["files"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not inside a git repository"),
        "{}",
        show(&out)
    );
}

#[test]
fn hooks_dir_resolves_like_git() {
    use hephaestus::git::{HooksPathScope, Repo};
    let ctx = base_repo();
    let oracle = |dir: &Path| {
        let mut cmd = ctx.git_cmd();
        cmd.current_dir(dir)
            .args(["rev-parse", "--path-format=absolute", "--git-path", "hooks"]);
        let out = cmd.output().unwrap();
        std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    };
    let ours = |dir: &Path| Repo::discover(dir).unwrap().hooks_dir().unwrap();
    assert_eq!(ours(&ctx.root).path, oracle(&ctx.root));

    let wt = ctx.base.join("linked");
    ctx.git(["worktree", "add", "-q", "-b", "wt", wt.to_str().unwrap()]);
    assert_eq!(
        ours(&wt).path,
        oracle(&wt),
        "linked worktrees share the common hooks dir"
    );
    assert_eq!(ours(&wt).path, ctx.root.join(".git/hooks"));

    ctx.git(["config", "core.hooksPath", "tools/hooks"]);
    let resolved = ours(&ctx.root);
    assert_eq!(resolved.path, ctx.root.join("tools/hooks"));
    assert_eq!(
        resolved.configured.as_ref().map(|c| c.1),
        Some(HooksPathScope::Local)
    );
    assert!(resolved.check_not_shared(false).is_ok());
    // from a subdirectory too: relative to the work tree, where git runs hooks
    assert_eq!(
        ours(&ctx.root.join("deep/a")).path,
        ctx.root.join("tools/hooks")
    );
}
