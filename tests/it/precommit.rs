//! The real pre-commit framework (at the manifest's
//! `minimum_pre_commit_version` and at its latest release) and prek:
//! this repository as their hook repository (`try-repo`, and a consumer's
//! `.pre-commit-config.yaml` with `args:` next to other hooks, through a
//! real `git commit`), and hephaestus's own hooks chained with
//! `pre-commit install` / `prek install` in either order.
//!
//! The frameworks come from PyPI, so these tests are `#[ignore]`d:
//! `bash .ci/run` installs them and runs `cargo test -- --include-ignored`
//! with `HEPHAESTUS_TEST_VENV` (latest pre-commit and prek) and
//! `HEPHAESTUS_TEST_PRECOMMIT_MIN_VENV` (pre-commit at the minimum) set.
//! Run without them, a test fails and says what is missing.
//!
//! `language: rust` hooks are built by the framework with `cargo install`;
//! every framework shares one build directory (`target/precommit-build`)
//! and a quick release profile, and each keeps its environments under
//! `target/framework-cache`, so the crates are compiled once and a second
//! run with the same sources builds nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::common::{TestContext, pin_env, show};

const NEEDS: &str =
    "bash .ci/run installs pre-commit (latest and minimum) and prek from PyPI and sets it";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framework {
    /// pre-commit at `minimum_pre_commit_version`.
    PreCommitMin,
    PreCommit,
    Prek,
}

const ALL: [Framework; 3] = [
    Framework::PreCommitMin,
    Framework::PreCommit,
    Framework::Prek,
];

impl Framework {
    fn venv(self) -> PathBuf {
        let var = match self {
            Framework::PreCommitMin => "HEPHAESTUS_TEST_PRECOMMIT_MIN_VENV",
            Framework::PreCommit | Framework::Prek => "HEPHAESTUS_TEST_VENV",
        };
        let venv = std::env::var_os(var)
            .map(PathBuf::from)
            .unwrap_or_else(|| panic!("{var} is not set: {NEEDS}"));
        let bin = venv.join("bin").join(self.program());
        assert!(bin.is_file(), "{} is missing: {NEEDS}", bin.display());
        venv
    }

    fn program(self) -> &'static str {
        match self {
            Framework::PreCommitMin | Framework::PreCommit => "pre-commit",
            Framework::Prek => "prek",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Framework::PreCommitMin => "pre-commit-min",
            Framework::PreCommit => "pre-commit",
            Framework::Prek => "prek",
        }
    }

    /// The framework's command with the pinned test environment, its own
    /// cache, the real Rust toolchain and the shared build directory.
    fn command(self, ctx: &TestContext) -> Command {
        let mut cmd = Command::new(self.venv().join("bin").join(self.program()));
        framework_env(&mut cmd, ctx, self);
        cmd
    }
}

fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn cache() -> PathBuf {
    here().join("target").join("framework-cache")
}

/// Environment for a framework, or for a `git commit` whose hooks run one.
fn framework_env(cmd: &mut Command, ctx: &TestContext, framework: Framework) {
    // The real HOME's toolchain, before pin_env points HOME at the test's.
    let (cargo_home, rustup_home) = crate::common::toolchain_homes();
    pin_env(cmd, &ctx.home);
    let home = cache().join(framework.label());
    cmd.current_dir(&ctx.root)
        .env("CARGO_HOME", cargo_home)
        .env("RUSTUP_HOME", rustup_home)
        .env("PRE_COMMIT_HOME", &home)
        .env("PREK_HOME", &home)
        // One build directory for every framework, and a quick profile:
        // the hooks' behaviour is under test here, not their speed.
        .env(
            "CARGO_TARGET_DIR",
            here().join("target").join("precommit-build"),
        )
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "false");
}

/// This repository's files as they are in the work tree (uncommitted
/// changes included), committed into a repository of their own at a fixed
/// path, so a framework can clone it at a `rev` and its cache holds across
/// runs while the sources do not change. Returns the path and the commit.
fn hook_repo() -> &'static (PathBuf, String) {
    static REPO: OnceLock<(PathBuf, String)> = OnceLock::new();
    REPO.get_or_init(|| {
        let dir = cache().join("hook-repo");
        std::fs::create_dir_all(cache()).expect("create the framework cache");
        // Tests in other processes (nextest) use the same path.
        let lock = std::fs::File::create(cache().join("hook-repo.lock")).expect("lock file");
        rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive).expect("lock");
        std::mem::forget(lock);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the hook repository");
        let git = |cwd: &Path, args: &[&str]| -> Vec<u8> {
            let out = Command::new("git")
                .current_dir(cwd)
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
                .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
                .env_remove("GIT_DIR")
                .env_remove("GIT_WORK_TREE")
                .env_remove("GIT_INDEX_FILE")
                .args([
                    "-c",
                    "user.name=Test",
                    "-c",
                    "user.email=test@example.com",
                    "-c",
                    "commit.gpgsign=false",
                    "-c",
                    "core.autocrlf=false",
                ])
                .args(args)
                .output()
                .expect("run git");
            assert!(out.status.success(), "git {args:?}: {}", show(&out));
            out.stdout
        };
        let listed = git(
            &here(),
            &[
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
        );
        for rel in listed.split(|b| *b == 0).filter(|s| !s.is_empty()) {
            let rel = Path::new(std::str::from_utf8(rel).expect("UTF-8 path in this repository"));
            let from = here().join(rel);
            if !from.is_file() {
                continue; // deleted in the work tree
            }
            let to = dir.join(rel);
            std::fs::create_dir_all(to.parent().unwrap()).expect("create a directory");
            std::fs::copy(&from, &to).expect("copy a file");
        }
        git(&dir, &["init", "-q", "-b", "main"]);
        git(&dir, &["add", "-A"]);
        git(&dir, &["commit", "-q", "-m", "snapshot"]);
        let rev = String::from_utf8(git(&dir, &["rev-parse", "HEAD"]))
            .unwrap()
            .trim()
            .to_string();
        (dir, rev)
    })
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
#[ignore = "needs pre-commit 3.2.0 from PyPI; bash .ci/run installs it"]
fn the_minimum_pre_commit_version_is_the_one_tested() {
    let manifest =
        std::fs::read_to_string(here().join(".pre-commit-hooks.yaml")).expect("read manifest");
    let min = manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("minimum_pre_commit_version: "))
        .expect("a minimum_pre_commit_version")
        .trim_matches('"');
    let ctx = TestContext::new();
    let out = Framework::PreCommitMin
        .command(&ctx)
        .arg("--version")
        .output()
        .expect("run pre-commit");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("pre-commit {min}"),
        "HEPHAESTUS_TEST_PRECOMMIT_MIN_VENV holds the manifest's minimum"
    );
}

/// `try-repo` builds the hook in a fresh store every time (a full compile
/// of this crate), so it runs with the latest pre-commit and prek only; the
/// minimum version builds and runs the same hooks in the consumer test.
#[test]
#[ignore = "needs pre-commit and prek from PyPI; bash .ci/run installs them"]
fn try_repo_runs_the_cleanup_hook_in_pre_commit_and_prek() {
    let (repo, _) = hook_repo();
    for framework in [Framework::PreCommit, Framework::Prek] {
        let ctx = TestContext::new();
        ctx.write("README.md", "consumer\n");
        ctx.write("src/app.py", "print('hi')\n");
        ctx.commit_all("clean consumer");
        let try_repo = |args: &[&str]| {
            framework
                .command(&ctx)
                .arg("try-repo")
                .arg(repo)
                .args(args)
                .output()
                .expect("run the framework")
        };
        let out = try_repo(&["hephaestus-cleanup", "--all-files"]);
        assert!(
            out.status.success(),
            "{framework:?} on a clean repository passes:\n{}",
            show(&out)
        );

        ctx.write(".DS_Store", "Bud1");
        ctx.git(["add", ".DS_Store"]);
        let out = try_repo(&["hephaestus-cleanup"]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{framework:?} on a staged .DS_Store fails:\n{}",
            show(&out)
        );
        let all = text(&out);
        assert!(all.contains(".DS_Store"), "{framework:?}: the path: {all}");
        assert!(
            all.contains("git rm --cached"),
            "{framework:?}: the fix: {all}"
        );
        assert!(ctx.root.join(".DS_Store").exists(), "nothing is deleted");
    }
}

/// A consumer whose configuration uses our hooks with `args:` next to a
/// local hook and a meta hook.
fn consumer(framework: Framework) -> TestContext {
    let (repo, rev) = hook_repo();
    let ctx = TestContext::new();
    ctx.write(
        ".pre-commit-config.yaml",
        format!(
            "repos:\n\
             - repo: {}\n  rev: {rev}\n  hooks:\n\
             \x20 - id: hephaestus-cleanup\n    args: [--python-cache]\n\
             \x20 - id: hephaestus-guard-rails\n    args: [--skip, failing, --no-format]\n\
             - repo: local\n  hooks:\n\
             \x20 - id: local-marker\n    name: local marker\n    entry: sh -c 'echo local >> ../order.txt'\n    language: system\n    pass_filenames: false\n    always_run: true\n\
             - repo: meta\n  hooks:\n\
             \x20 - id: identity\n",
            repo.display()
        ),
    );
    ctx.write(
        "hephaestus.toml",
        "[cleanup]\nhook_categories = [\"macos\"]\n\n[guard-rails]\npresets = []\n\n\
         [[guard-rails.steps]]\nname = \"record\"\nrun = [\"sh\", \"-c\", 'printf \"%s\\n\" \"$@\" >> ../files.txt', \"step\"]\n\n\
         [[guard-rails.steps]]\nname = \"failing\"\nrun = [\"false\"]\npass_files = false\n",
    );
    ctx.write("README.md", "consumer\n");
    let out = framework
        .command(&ctx)
        .arg("install")
        .output()
        .expect("install the framework's hook");
    assert!(
        out.status.success(),
        "{framework:?} install: {}",
        show(&out)
    );
    ctx
}

fn commit(ctx: &TestContext, framework: Framework, message: &str) -> Output {
    let mut cmd = ctx.git_cmd();
    framework_env(&mut cmd, ctx, framework);
    cmd.args(["commit", "-q", "-m", message])
        .output()
        .expect("git commit")
}

fn read_and_clear(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let _ = std::fs::remove_file(path);
    text
}

#[test]
#[ignore = "needs pre-commit and prek from PyPI; bash .ci/run installs them"]
fn a_consumer_config_with_args_and_other_hooks_works_in_every_framework() {
    for framework in ALL {
        let ctx = consumer(framework);
        ctx.git(["add", "-A"]);
        let out = commit(&ctx, framework, "base");
        assert!(
            out.status.success(),
            "{framework:?}: a clean commit passes (args skip `failing`):\n{}",
            show(&out)
        );
        let files = read_and_clear(&ctx.base.join("files.txt"));
        let mut got: Vec<&str> = files.lines().collect();
        got.sort();
        assert_eq!(
            got,
            [".pre-commit-config.yaml", "README.md", "hephaestus.toml"],
            "{framework:?}: guard-rails saw the staged files"
        );
        assert_eq!(
            read_and_clear(&ctx.base.join("order.txt")),
            "local\n",
            "{framework:?}: the local hook ran too"
        );

        // `args: [--python-cache]` makes a cache file junk for the hook
        // (the consumer's own config counts only macOS metadata).
        ctx.write("b.txt", "b\n");
        ctx.write("pkg/__pycache__/m.cpython-311.pyc", "x");
        ctx.git(["add", "-A"]);
        let head = ctx.git(["rev-parse", "HEAD"]);
        let out = commit(&ctx, framework, "junk");
        assert!(!out.status.success(), "{framework:?}: {}", show(&out));
        let all = text(&out);
        assert!(all.contains("m.cpython-311.pyc"), "{framework:?}: {all}");
        assert!(all.contains("git rm --cached"), "{framework:?}: {all}");
        assert_eq!(ctx.git(["rev-parse", "HEAD"]), head, "nothing committed");
        assert!(ctx.root.join("pkg/__pycache__/m.cpython-311.pyc").exists());
        // The framework runs every hook; guard-rails saw what was staged.
        assert_eq!(
            read_and_clear(&ctx.base.join("files.txt")),
            "b.txt\npkg/__pycache__/m.cpython-311.pyc\n",
            "{framework:?}"
        );
        read_and_clear(&ctx.base.join("order.txt"));

        ctx.git(["rm", "-q", "--cached", "pkg/__pycache__/m.cpython-311.pyc"]);
        let out = commit(&ctx, framework, "b");
        assert!(out.status.success(), "{framework:?}: {}", show(&out));
        assert_eq!(read_and_clear(&ctx.base.join("files.txt")), "b.txt\n");
    }
}

/// A repository with a local framework hook and a hephaestus step, each
/// recording that it ran.
fn chained_repo() -> TestContext {
    let ctx = TestContext::new();
    ctx.write(
        ".pre-commit-config.yaml",
        "repos:\n- repo: local\n  hooks:\n  - id: framework-marker\n    name: framework marker\n    entry: sh -c 'echo framework >> ../order.txt'\n    language: system\n    pass_filenames: false\n    always_run: true\n",
    );
    ctx.write(
        "hephaestus.toml",
        "[guard-rails]\npresets = []\n\n[[guard-rails.steps]]\nname = \"mark\"\nrun = [\"sh\", \"-c\", \"echo hephaestus >> ../order.txt\"]\npass_files = false\n",
    );
    ctx.write("README.md", "chained\n");
    ctx
}

fn ok(out: Output, what: &str) -> String {
    assert!(out.status.success(), "{what}: {}", show(&out));
    text(&out)
}

fn hooks_dir_listing(ctx: &TestContext) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(ctx.root.join(".git/hooks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(".sample"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
#[ignore = "needs pre-commit and prek from PyPI; bash .ci/run installs them"]
fn hook_install_and_the_frameworks_install_chain_in_either_order() {
    for framework in ALL {
        for hephaestus_first in [true, false] {
            let case = format!("{framework:?}, hephaestus first: {hephaestus_first}");
            let ctx = chained_repo();
            let install_framework = || {
                ok(
                    framework.command(&ctx).arg("install").output().unwrap(),
                    &format!("{case}: framework install"),
                )
            };
            let install_hephaestus = || {
                ok(
                    ctx.run(["hook", "install", "-t", "pre-commit"]),
                    &format!("{case}: hook install"),
                )
            };
            if hephaestus_first {
                install_hephaestus();
                install_framework();
            } else {
                install_framework();
                install_hephaestus();
            }
            let hook = ctx.root.join(".git/hooks/pre-commit");
            let legacy = ctx.root.join(".git/hooks/pre-commit.legacy");
            assert!(
                !std::fs::read_to_string(&hook)
                    .unwrap()
                    .contains("hephaestus-managed-hook"),
                "{case}: the framework's hook is in front"
            );
            assert!(
                std::fs::read_to_string(&legacy)
                    .unwrap()
                    .contains("hephaestus-managed-hook"),
                "{case}: hephaestus is its legacy hook"
            );

            let list = ok(ctx.run(["hook", "list"]), &case);
            assert!(
                list.contains("which runs hephaestus as pre-commit.legacy first"),
                "{case}: {list}"
            );
            assert!(list.contains("  - mark"), "{case}: {list}");
            assert!(!list.contains("not managed"), "{case}: {list}");

            // Both installers again, in both orders: nothing moves.
            let before = hooks_dir_listing(&ctx);
            let said = install_hephaestus();
            assert!(said.contains("updated pre-commit hook"), "{case}: {said}");
            install_framework();
            install_hephaestus();
            assert_eq!(hooks_dir_listing(&ctx), before, "{case}: idempotent");

            ctx.git(["add", "-A"]);
            let out = commit(&ctx, framework, "chained");
            assert!(out.status.success(), "{case}: {}", show(&out));
            assert_eq!(
                read_and_clear(&ctx.base.join("order.txt")),
                "hephaestus\nframework\n",
                "{case}: a real commit runs both"
            );

            ok(ctx.run(["hook", "uninstall"]), &case);
            assert!(!legacy.exists(), "{case}: our shim is gone");
            ctx.write("c.txt", "c\n");
            ctx.git(["add", "c.txt"]);
            let out = commit(&ctx, framework, "framework only");
            assert!(out.status.success(), "{case}: {}", show(&out));
            assert_eq!(
                read_and_clear(&ctx.base.join("order.txt")),
                "framework\n",
                "{case}: the framework's hook still works alone"
            );
        }
    }
}

#[test]
#[ignore = "needs pre-commit from PyPI; bash .ci/run installs it"]
fn pre_commit_uninstall_puts_our_shim_back_in_front() {
    let framework = Framework::PreCommit;
    let ctx = chained_repo();
    ok(
        ctx.run(["hook", "install", "-t", "pre-commit"]),
        "hook install",
    );
    ok(
        framework.command(&ctx).arg("install").output().unwrap(),
        "pre-commit install",
    );
    ok(
        framework.command(&ctx).arg("uninstall").output().unwrap(),
        "pre-commit uninstall",
    );
    let hook = ctx.root.join(".git/hooks/pre-commit");
    assert!(
        std::fs::read_to_string(&hook)
            .unwrap()
            .contains("hephaestus-managed-hook")
    );
    assert!(!ctx.root.join(".git/hooks/pre-commit.legacy").exists());
    let list = ok(ctx.run(["hook", "list"]), "hook list");
    assert!(
        list.contains("\npre-commit\n  - cleanup (built in)\n  - mark: "),
        "{list}"
    );
    ctx.git(["add", "-A"]);
    let out = commit(&ctx, framework, "ours alone");
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(read_and_clear(&ctx.base.join("order.txt")), "hephaestus\n");
}
