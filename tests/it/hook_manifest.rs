//! `.pre-commit-hooks.yaml` as the frameworks read it: every entry run
//! exactly the way pre-commit and prek build the command line (`entry`
//! split shell-style, then the consumer's `args:`, then the file names),
//! so `args:` never lands in the wrong place. The real frameworks run the
//! same hooks in tests/it/precommit.rs.

use std::path::PathBuf;
use std::process::Output;

use crate::common::{TestContext, pin_env, show, stderr, stdout};

/// One hook of the manifest: the fields the command line depends on.
#[derive(Debug, Default)]
struct Hook {
    id: String,
    entry: String,
    pass_filenames: bool,
    min_version: String,
    stages: String,
}

/// Read `.pre-commit-hooks.yaml` (a list of flat maps, one key a line).
fn manifest() -> Vec<Hook> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml");
    let text = std::fs::read_to_string(&path).expect("read .pre-commit-hooks.yaml");
    let mut hooks: Vec<Hook> = Vec::new();
    for line in text.lines() {
        if let Some(id) = line.strip_prefix("- id: ") {
            hooks.push(Hook {
                id: id.trim().to_string(),
                pass_filenames: true,
                ..Hook::default()
            });
            continue;
        }
        let Some(hook) = hooks.last_mut() else {
            continue;
        };
        let Some((key, value)) = line.trim().split_once(": ") else {
            continue;
        };
        let value = value.trim().trim_matches('"').to_string();
        match key {
            "entry" => hook.entry = value,
            "pass_filenames" => hook.pass_filenames = value == "true",
            "minimum_pre_commit_version" => hook.min_version = value,
            "stages" => hook.stages = value,
            _ => {}
        }
    }
    hooks
}

fn hook(id: &str) -> Hook {
    manifest()
        .into_iter()
        .find(|h| h.id == id)
        .unwrap_or_else(|| panic!("no hook {id} in .pre-commit-hooks.yaml"))
}

/// Run `entry args files` the way the frameworks do, with the binary
/// under test standing in for `hephaestus` on PATH.
fn run(ctx: &TestContext, id: &str, args: &[&str], files: &[&str]) -> Output {
    let hook = hook(id);
    let mut argv = shlex::split(&hook.entry).expect("entry splits shell-style");
    assert_eq!(
        argv.remove(0),
        "hephaestus",
        "{id}: the entry runs hephaestus"
    );
    argv.extend(args.iter().map(|a| a.to_string()));
    if hook.pass_filenames {
        argv.extend(files.iter().map(|f| f.to_string()));
    }
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_hephaestus"));
    pin_env(&mut cmd, &ctx.home);
    cmd.current_dir(&ctx.root)
        .args(&argv)
        .output()
        .expect("run hephaestus")
}

fn staged(ctx: &TestContext) -> String {
    String::from_utf8(ctx.git(["diff", "--cached", "--name-only"])).unwrap()
}

#[test]
fn every_hook_declares_the_version_that_knows_its_stage_names() {
    let hooks = manifest();
    assert!(hooks.len() >= 3, "{hooks:?}");
    for h in &hooks {
        assert_eq!(
            h.min_version, "3.2.0",
            "{}: minimum_pre_commit_version",
            h.id
        );
        assert!(h.stages.contains("pre-commit"), "{}: {}", h.id, h.stages);
        assert!(!h.entry.ends_with("--files"), "{}: {}", h.id, h.entry);
    }
}

#[test]
fn cleanup_entries_take_args_before_the_files() {
    let ctx = TestContext::new();
    ctx.write("app.py", "print()\n");
    ctx.write(".DS_Store", "Bud1");
    ctx.write("pkg/__pycache__/m.pyc", "x");
    ctx.git(["add", "-A"]);
    let files = ["app.py", ".DS_Store", "pkg/__pycache__/m.pyc"];

    let out = run(&ctx, "hephaestus-cleanup", &[], &files);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stderr(&out).contains(".DS_Store"), "{}", show(&out));
    assert!(!stderr(&out).contains("app.py"), "{}", show(&out));

    // A consumer's `args:` lands between the entry and the files.
    let out = run(&ctx, "hephaestus-cleanup", &["--unstage"], &files);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let now = staged(&ctx);
    assert!(!now.contains(".DS_Store"), "{now}");
    assert!(now.contains("app.py"), "{now}");
    assert!(ctx.root.join(".DS_Store").exists(), "never deleted");

    let out = run(
        &ctx,
        "hephaestus-cleanup-unstage",
        &["--python-cache"],
        &files,
    );
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let now = staged(&ctx);
    assert!(!now.contains("m.pyc"), "--python-cache reached it: {now}");
    assert!(now.contains("app.py"), "{now}");
}

#[test]
fn guard_rails_entry_takes_args_and_runs_on_the_files_only() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        "[guard-rails]\npresets = []\n\n\
         [[guard-rails.steps]]\nname = \"record\"\nrun = [\"sh\", \"-c\", 'printf \"%s\\n\" \"$@\" > ../files.txt', \"step\"]\n\n\
         [[guard-rails.steps]]\nname = \"failing\"\nrun = [\"false\"]\npass_files = false\n",
    );
    ctx.write("a.txt", "a\n");
    ctx.write("b.txt", "b\n");
    ctx.write("c.txt", "c\n");
    ctx.commit_all("base");

    let out = run(&ctx, "hephaestus-guard-rails", &[], &["a.txt", "c.txt"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the failing step runs: {}",
        show(&out)
    );

    let out = run(
        &ctx,
        "hephaestus-guard-rails",
        &["--skip", "failing", "--no-format"],
        &["a.txt", "c.txt"],
    );
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        std::fs::read_to_string(ctx.base.join("files.txt")).unwrap(),
        "a.txt\nc.txt\n",
        "only the files pre-commit passed"
    );

    let out = run(
        &ctx,
        "hephaestus-guard-rails",
        &["--skip", "failing", "--format", "json"],
        &["b.txt"],
    );
    assert!(out.status.success(), "{}", show(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(doc["exit_code"], 0, "{doc}");
    assert_eq!(
        std::fs::read_to_string(ctx.base.join("files.txt")).unwrap(),
        "b.txt\n"
    );
}

#[test]
fn drift_entry_takes_args() {
    let ctx = TestContext::new();
    let out = run(
        &ctx,
        "hephaestus-drift",
        &["--format", "json"],
        &["ignored.txt"],
    );
    assert!(out.status.success(), "{}", show(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(doc["ok"], true, "{}", stdout(&out));
}
