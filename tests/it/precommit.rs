//! This repository as a pre-commit framework hook repository: the real
//! `pre-commit` and `prek` (installed from PyPI by .ci/run) run
//! `try-repo` against it from a fresh consumer repository, building the
//! hook with `language: rust` as any user's machine would.

use std::path::PathBuf;
use std::process::Output;

use crate::common::{TestContext, pin_env, show};

fn venv() -> Option<PathBuf> {
    let venv = PathBuf::from(std::env::var_os("HEPHAESTUS_TEST_VENV")?);
    (venv.join("bin/pre-commit").exists() && venv.join("bin/prek").exists()).then_some(venv)
}

fn try_repo(ctx: &TestContext, venv: &std::path::Path, tool: &str, args: &[&str]) -> Output {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let cache = here.join("target").join("framework-cache");
    // The real HOME's toolchain, before pin_env points HOME at the test's.
    let real_home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| real_home.join(".cargo"));
    let rustup_home = std::env::var_os("RUSTUP_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| real_home.join(".rustup"));
    let mut command = std::process::Command::new(venv.join("bin").join(tool));
    pin_env(&mut command, &ctx.home);
    command
        .current_dir(&ctx.root)
        .arg("try-repo")
        .arg(&here)
        .args(args)
        .env("CARGO_HOME", cargo_home)
        .env("RUSTUP_HOME", rustup_home)
        .env("PRE_COMMIT_HOME", cache.join("pre-commit"))
        .env("PREK_HOME", cache.join("prek"))
        // One build directory for both frameworks, and a quick profile:
        // the hook's behaviour is under test here, not its speed.
        .env("CARGO_TARGET_DIR", cache.join("cargo-target"))
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false");
    command.output().expect("run the framework")
}

#[test]
fn pre_commit_and_prek_try_repo_the_cleanup_hook() {
    let Some(venv) = venv() else {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "SKIPPED pre_commit_and_prek_try_repo: set HEPHAESTUS_TEST_VENV with pre-commit and prek (bash .ci/run does)"
        );
        return;
    };
    for tool in ["pre-commit", "prek"] {
        let ctx = TestContext::new();
        ctx.write("README.md", "consumer\n");
        ctx.write("src/app.py", "print('hi')\n");
        ctx.commit_all("clean consumer");
        let out = try_repo(&ctx, &venv, tool, &["hephaestus-cleanup", "--all-files"]);
        assert!(
            out.status.success(),
            "{tool} on a clean repository passes:\n{}",
            show(&out)
        );

        ctx.write(".DS_Store", "Bud1");
        ctx.git(["add", ".DS_Store"]);
        let out = try_repo(&ctx, &venv, tool, &["hephaestus-cleanup"]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{tool} on a staged .DS_Store fails:\n{}",
            show(&out)
        );
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains(".DS_Store"),
            "{tool}: the junk path is named:\n{text}"
        );
        assert!(
            text.contains("git rm --cached"),
            "{tool}: the fix is printed:\n{text}"
        );
        assert!(
            ctx.root.join(".DS_Store").exists(),
            "{tool}: nothing is deleted"
        );
    }
}
