//! The command line contract: help, version, exit codes, error rendering,
//! colour, and a closed stdout pipe.

use std::io::Read;
use std::process::Stdio;

use crate::common::{TestContext, show, stderr, stdout};

#[test]
fn help_and_version_exit_zero() {
    let ctx = TestContext::new();
    let out = ctx.run(["--help"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(stdout(&out).contains("Usage: hephaestus"));
    let out = ctx.run(["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out).trim(),
        format!("hephaestus {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_two_without_backtrace() {
    let ctx = TestContext::new();
    let out = ctx
        .heph()
        .env("RUST_BACKTRACE", "1")
        .args(["config", "show", "--format", "yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(stderr(&out).contains("invalid value 'yaml' for '--format <FORMAT>'"));
    let out = ctx
        .heph()
        .env("RUST_BACKTRACE", "1")
        .args(["no-such-command"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("backtrace"), "{}", show(&out));
}

#[test]
fn config_error_with_backtrace_env_is_still_clean() {
    let ctx = TestContext::new();
    ctx.write("hephaestus.toml", "[guard-rails]\npresets = 3\n");
    let out = ctx
        .heph()
        .env("RUST_BACKTRACE", "full")
        .args(["config", "show"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("stack backtrace"),
        "{err}"
    );
}

#[test]
fn no_color_and_color_flag() {
    let ctx = TestContext::new();
    ctx.write("hephaestus.toml", "[bogus]\n");
    let out = ctx
        .heph()
        .args(["--color", "always", "config", "show"])
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("\u{1b}["),
        "--color always colours: {}",
        show(&out)
    );
    let out = ctx.heph().args(["config", "show"]).output().unwrap();
    assert!(!stderr(&out).contains("\u{1b}["), "not a TTY: no colour");
    let out = ctx
        .heph()
        .args(["--color", "never", "config", "show"])
        .output()
        .unwrap();
    assert!(!stderr(&out).contains("\u{1b}["));
}

#[test]
fn closed_stdout_pipe_exits_quietly() {
    let ctx = TestContext::new();
    for i in 0..20000 {
        ctx.write(format!("d{}/f{i}.txt", i / 1000), "x");
    }
    ctx.git(["add", "-A"]);
    let mut child = ctx
        .heph()
        .args(["files", "--all-files"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // read one byte, then close the pipe
    let mut stdout = child.stdout.take().unwrap();
    let mut buf = [0u8; 1];
    stdout.read_exact(&mut buf).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(stderr(&out).is_empty(), "{}", show(&out));
}

#[test]
fn dash_c_runs_elsewhere_and_rejects_a_missing_directory() {
    let ctx = TestContext::new();
    ctx.write("a.txt", "a");
    ctx.git(["add", "a.txt"]);
    let out = ctx
        .heph()
        .current_dir(&ctx.base)
        .args(["-C", "repo", "files"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "a.txt\n", "{}", show(&out));
    let out = ctx.run(["-C", "nope", "files"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("-C"), "{}", show(&out));
}
