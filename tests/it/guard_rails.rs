//! Guard-rails: pipeline mechanics with small scripts as steps (order,
//! parallelism, timeouts, fail-fast, fixers, batching) and the presets
//! against real tools on small real projects.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::common::{TestContext, json, show, stderr, stdout};

fn config(ctx: &TestContext, body: &str) {
    ctx.write(
        "hephaestus.toml",
        format!("[guard-rails]\npresets = []\n\n{body}"),
    );
}

fn step(name: &str, script: &str, extra: &str) -> String {
    format!(
        "[[guard-rails.steps]]\nname = \"{name}\"\nrun = [\"sh\", \"-c\", '''{script}''', \"step\"]\n{extra}\n"
    )
}

fn by_name<'a>(doc: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step {name}: {doc}"))
}

#[test]
fn steps_report_in_order_and_failure_names_step_position_and_exit_code() {
    let ctx = TestContext::new();
    config(
        &ctx,
        &[
            step("first", "exit 0", ""),
            step("second", "echo broken >&2; exit 4", ""),
            step("third", "exit 0", ""),
        ]
        .concat(),
    );
    ctx.write("a.py", "x\n");
    ctx.commit_all("base");
    let out = ctx.run(["guard-rails"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let text = stdout(&out);
    let first = text.find("first").unwrap();
    let second = text.find("second").unwrap();
    let third = text.find("third").unwrap();
    assert!(first < second && second < third, "{text}");
    assert!(text.contains("Failed"), "{text}");
    assert!(
        text.contains("    broken"),
        "failed output is shown indented: {text}"
    );
    assert!(
        stderr(&out).contains("guard-rails failed at step 3/4: second (exit 4)"),
        "{}",
        show(&out)
    );
}

#[test]
fn fail_fast_stops_after_the_first_failing_step() {
    let ctx = TestContext::new();
    config(
        &ctx,
        &[
            step("bad", "exit 1", "fix = true"),
            step("later", "touch ../later-ran", ""),
        ]
        .concat(),
    );
    ctx.commit_all("base");
    let out = ctx.run(["guard-rails", "--fail-fast"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!ctx.base.join("later-ran").exists(), "{}", show(&out));
    let out = ctx.run(["guard-rails"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(ctx.base.join("later-ran").exists(), "{}", show(&out));
}

#[test]
fn read_only_steps_run_in_parallel_and_fixers_alone() {
    let ctx = TestContext::new();
    // Each waits for the other's marker: only parallel execution passes.
    let wait = |mine: &str, theirs: &str| {
        format!(
            "touch ../{mine}; i=0; while [ ! -e ../{theirs} ]; do i=$((i+1)); [ $i -gt 200 ] && exit 9; sleep 0.05; done"
        )
    };
    config(
        &ctx,
        &[
            step("left", &wait("l", "r"), ""),
            step("right", &wait("r", "l"), ""),
        ]
        .concat(),
    );
    ctx.commit_all("base");
    let out = ctx.run(["guard-rails"]);
    assert!(
        out.status.success(),
        "steps ran in parallel: {}",
        show(&out)
    );

    // A fixer never overlaps another step.
    let ctx = TestContext::new();
    config(
        &ctx,
        &[
            step("a", "touch ../a-start; sleep 0.3; touch ../a-end", ""),
            step(
                "fixer",
                "test -e ../a-end && test ! -e ../c-start || exit 5",
                "fix = true",
            ),
            step("c", "touch ../c-start", ""),
        ]
        .concat(),
    );
    ctx.commit_all("base");
    let out = ctx.run(["guard-rails"]);
    assert!(out.status.success(), "{}", show(&out));
}

#[test]
fn timeout_kills_the_step_and_its_children() {
    let ctx = TestContext::new();
    config(
        &ctx,
        &step(
            "hang",
            "sleep 60 & echo $! > ../child.pid; wait",
            "timeout = 1",
        ),
    );
    ctx.commit_all("base");
    let start = Instant::now();
    let out = ctx.run(["guard-rails", "--format", "json"]);
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "the timeout fired"
    );
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc = json(&out);
    assert_eq!(by_name(&doc, "hang")["status"], "failed");
    assert!(
        by_name(&doc, "hang")["message"]
            .as_str()
            .unwrap()
            .contains("timed out"),
        "{doc}"
    );
    let pid: i32 = std::fs::read_to_string(ctx.base.join("child.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    // Gone, or a zombie waiting for a reaper (the container's init may not reap).
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let running = state
        .rsplit(')')
        .next()
        .is_some_and(|rest| !rest.trim_start().starts_with('Z'));
    assert!(
        !running,
        "the step's child process was killed with its group: {state}"
    );
}

#[test]
fn ten_thousand_files_are_batched_and_all_passed() {
    let ctx = TestContext::new();
    config(
        &ctx,
        &step(
            "count",
            "printf '%s\\n' \"$@\" >> ../args.txt; echo \"$# $(printf '%s' \"$@\" | wc -c)\" >> ../batches.txt",
            "files = [\"*.txt\"]",
        ),
    );
    for i in 0..10_000 {
        ctx.write(
            format!("d{:03}/some-longer-file-name-{i:05}.txt", i / 100),
            "x",
        );
    }
    ctx.commit_all("many");
    let out = ctx.run(["guard-rails"]);
    assert!(out.status.success(), "{}", show(&out));
    let args = std::fs::read_to_string(ctx.base.join("args.txt")).unwrap();
    let mut seen: Vec<&str> = args.lines().collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 10_000, "every file exactly once");
    assert_eq!(args.lines().count(), 10_000);
    // Each batch fits the documented cap of 128 KiB of arguments (which
    // Linux itself would not enforce: its limit is far higher), counting
    // the bytes of the names and the pointer and NUL of each.
    let batches = std::fs::read_to_string(ctx.base.join("batches.txt")).unwrap();
    let sizes: Vec<(usize, usize)> = batches
        .lines()
        .map(|l| {
            let (count, bytes) = l.trim().split_once(' ').expect("count and bytes");
            (count.parse().unwrap(), bytes.trim().parse().unwrap())
        })
        .collect();
    assert!(sizes.len() > 1, "split into several command lines");
    for (count, bytes) in &sizes {
        assert!(
            bytes + count * 9 <= 128 * 1024,
            "a batch of {count} files and {bytes} bytes is over the 128 KiB cap"
        );
    }
    assert_eq!(sizes.iter().map(|s| s.0).sum::<usize>(), 10_000);
}

#[test]
fn globs_exclude_scope_and_skips() {
    let ctx = TestContext::new();
    config(
        &ctx,
        &[
            step(
                "py",
                "printf '%s\\n' \"$@\" > ../py.txt",
                "files = [\"*.py\"]\nexclude = [\"vendor\"]",
            ),
            step(
                "proj",
                "echo \"$#\" > ../proj.txt",
                "files = [\"*.py\"]\nscope = \"project\"",
            ),
            step("skipme", "exit 1", ""),
            step("rs", "exit 1", "files = [\"*.rs\"]"),
        ]
        .concat(),
    );
    ctx.write("a.py", "a\n");
    ctx.write("pkg/b.py", "b\n");
    ctx.write("vendor/c.py", "c\n");
    ctx.commit_all("base");
    let out = ctx
        .heph()
        .env("SKIP", "skipme")
        .args(["guard-rails", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        std::fs::read_to_string(ctx.base.join("py.txt")).unwrap(),
        "a.py\npkg/b.py\n"
    );
    assert_eq!(
        std::fs::read_to_string(ctx.base.join("proj.txt"))
            .unwrap()
            .trim(),
        "0",
        "project steps get no files"
    );
    let doc = json(&out);
    assert_eq!(
        by_name(&doc, "cleanup")["status"],
        "passed",
        "scoped cleanup always runs first"
    );
    assert_eq!(by_name(&doc, "skipme")["status"], "skipped");
    assert_eq!(by_name(&doc, "rs")["skip_reason"], "no files");
    let out = ctx.run(["guard-rails", "--step", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    let out = ctx.run(["guard-rails", "--step", "py", "--format", "json"]);
    assert_eq!(json(&out)["steps"].as_array().unwrap().len(), 1);
}

#[test]
fn missing_tool_names_the_tool() {
    let ctx = TestContext::new();
    config(
        &ctx,
        "[[guard-rails.steps]]\nname = \"lint\"\nrun = [\"definitely-not-installed-tool\", \"--check\"]\n",
    );
    ctx.commit_all("base");
    let out = ctx.run(["guard-rails"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stdout(&out).contains("definitely-not-installed-tool is not installed"),
        "{}",
        show(&out)
    );
}

#[test]
fn hook_run_modes_all_files_files_range_and_json() {
    let ctx = TestContext::new();
    config(
        &ctx,
        &step(
            "rec",
            "printf '%s\\n' \"$@\" > ../rec.txt; env | grep -E '^(HEPHAESTUS|PRE_COMMIT)' | sort > ../env.txt",
            "",
        ),
    );
    ctx.write("a.txt", "a\n");
    ctx.commit_all("one");
    ctx.write("b.txt", "b\n");
    ctx.commit_all("two");
    let rec = || std::fs::read_to_string(ctx.base.join("rec.txt")).unwrap();
    let out = ctx.run(["hook", "run", "pre-commit", "--all-files"]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(rec(), "a.txt\nb.txt\nhephaestus.toml\n");
    let out = ctx.run(["hook", "run", "pre-commit", "--files", "b.txt"]);
    assert!(out.status.success());
    assert_eq!(rec(), "b.txt\n");
    let out = ctx.run([
        "hook",
        "run",
        "pre-push",
        "--from-ref",
        "HEAD~1",
        "--to-ref",
        "HEAD",
    ]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(rec(), "b.txt\n");
    let env = std::fs::read_to_string(ctx.base.join("env.txt")).unwrap();
    assert!(
        env.contains("HEPHAESTUS=1\n")
            && env.contains("HEPHAESTUS_HOOK=pre-push\n")
            && env.contains("PRE_COMMIT=1\n"),
        "{env}"
    );
    assert!(
        env.contains("PRE_COMMIT_FROM_REF=HEAD~1\n") && env.contains("PRE_COMMIT_TO_REF=HEAD\n"),
        "{env}"
    );
    let out = ctx.run([
        "hook",
        "run",
        "pre-commit",
        "--last-commit",
        "--format",
        "json",
    ]);
    let doc = json(&out);
    assert_eq!(doc["mode"], "last-commit");
    assert_eq!(by_name(&doc, "rec")["files"], serde_json::json!(["b.txt"]));
    assert_eq!(doc["exit_code"], 0);
}

/// A virtualenv with ruff, mypy, pytest and pytest-cov, made by .ci/run;
/// a missing one fails the test.
fn test_venv() -> PathBuf {
    let venv = PathBuf::from(std::env::var_os("HEPHAESTUS_TEST_VENV").unwrap_or_else(|| {
        panic!("HEPHAESTUS_TEST_VENV is not set: bash .ci/run makes a venv with ruff, mypy, pytest and pytest-cov and sets it")
    }));
    for tool in ["ruff", "mypy", "pytest"] {
        assert!(
            venv.join("bin").join(tool).is_file(),
            "HEPHAESTUS_TEST_VENV={} has no {tool}: bash .ci/run installs it",
            venv.display()
        );
    }
    venv
}

#[test]
#[ignore = "needs ruff, mypy, pytest and pytest-cov from PyPI in HEPHAESTUS_TEST_VENV; bash .ci/run installs them"]
fn python_preset_with_real_tools_passes_clean_code_and_fails_defects() {
    let venv = test_venv();
    let ctx = TestContext::new();
    std::os::unix::fs::symlink(&venv, ctx.root.join(".venv")).unwrap();
    ctx.write(
        ".gitignore",
        ".venv\n.coverage\n__pycache__/\n.mypy_cache/\n.ruff_cache/\n.pytest_cache/\n",
    );
    ctx.write("pyproject.toml", "[project]\nname = \"demo\"\nversion = \"0.1.0\"\n\n[tool.hephaestus.guard-rails]\npresets = [\"python\"]\n");
    ctx.write(
        "demo.py",
        "def add(a: int, b: int) -> int:\n    return a + b\n",
    );
    ctx.write(
        "test_demo.py",
        "from demo import add\n\n\ndef test_add() -> None:\n    assert add(1, 2) == 3\n",
    );
    ctx.commit_all("clean");
    let out = ctx.run(["guard-rails", "--skip", "pip-audit", "--format", "json"]);
    assert!(out.status.success(), "clean project passes: {}", show(&out));
    let doc = json(&out);
    let names: Vec<&str> = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "cleanup",
            "ruff check",
            "ruff format",
            "mypy",
            "pytest",
            "pip-audit"
        ]
    );

    // lint defect
    ctx.write(
        "demo.py",
        "import os\n\n\ndef add(a: int, b: int) -> int:\n    return a + b\n",
    );
    let out = ctx.run(["guard-rails", "--step", "ruff check"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stdout(&out).contains("F401"), "{}", show(&out));
    // type defect
    ctx.write(
        "demo.py",
        "def add(a: int, b: int) -> int:\n    return 'x'\n",
    );
    let out = ctx.run(["guard-rails", "--step", "mypy"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains("failed at step 1/1: mypy (exit 1)"),
        "{}",
        show(&out)
    );
    // test defect
    ctx.write(
        "demo.py",
        "def add(a: int, b: int) -> int:\n    return a - b\n",
    );
    let out = ctx.run(["guard-rails", "--step", "pytest"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    // format defect: the formatter rewrites and the run fails, --no-format skips it
    ctx.write("demo.py", "def add(a: int,b: int)->int:\n    return a+b\n");
    let out = ctx.run(["guard-rails", "--no-format", "--step", "ruff format"]);
    assert!(out.status.success(), "{}", show(&out));
    let out = ctx.run(["guard-rails", "--step", "ruff format"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stdout(&out).contains("files were modified by this step"),
        "{}",
        show(&out)
    );
    assert_eq!(
        ctx.read("demo.py"),
        b"def add(a: int, b: int) -> int:\n    return a + b\n"
    );
}

#[test]
fn rust_preset_with_real_tools_passes_clean_code_and_fails_defects() {
    for component in ["clippy", "fmt"] {
        let works = std::process::Command::new("cargo")
            .args([component, "--version"])
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            works,
            "cargo {component} is not installed: rustup component add {}",
            if component == "fmt" {
                "rustfmt"
            } else {
                "clippy"
            }
        );
    }
    let ctx = TestContext::new();
    ctx.write(".gitignore", "target\n");
    ctx.write(
        "Cargo.toml",
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n",
    );
    ctx.write("src/lib.rs", "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn adds() {\n        assert_eq!(super::add(1, 2), 3);\n    }\n}\n");
    ctx.commit_all("clean");
    let target = ctx.base.join("target");
    let run = |args: &[&str]| {
        ctx.heph()
            .env("CARGO_TARGET_DIR", &target)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["guard-rails", "--format", "json"]);
    assert!(out.status.success(), "clean crate passes: {}", show(&out));
    let doc = json(&out);
    let audit = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "cargo audit")
        .unwrap()
        .clone();
    assert!(
        audit["status"] == "notice" || audit["status"] == "passed",
        "{audit}"
    );

    ctx.write(
        "src/lib.rs",
        "pub fn add(a: i32, b: i32) -> i32 {\n    let unused = 1;\n    a + b\n}\n",
    );
    // A warning the crate does not deny passes (the project's own lint
    // levels decide); a lint clippy denies by default fails.
    let out = run(&["guard-rails", "--step", "cargo clippy"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    ctx.write(
        "src/lib.rs",
        "pub fn add(a: i32, b: i32) -> i32 {\n    if a == a { a + b } else { b }\n}\n",
    );
    let out = run(&["guard-rails", "--step", "cargo clippy"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stdout(&out).contains("eq_op"), "{}", show(&out));
    ctx.write("src/lib.rs", "pub fn add(a: i32, b: i32) -> i32 { a+b }\n");
    let out = run(&["guard-rails", "--step", "cargo fmt"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stdout(&out).contains("src/lib.rs"), "{}", show(&out));
    ctx.write("src/lib.rs", "pub fn add(a: i32, b: i32) -> i32 {\n    a - b\n}\n#[test]\nfn t() {\n    assert_eq!(add(1, 2), 3);\n}\n");
    let out = run(&["guard-rails", "--step", "cargo test"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
}

#[test]
fn user_step_replaces_a_preset_step_by_name_and_drift_runs_as_a_step() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        "[guard-rails]\npresets = [\"rust\"]\n\n[[guard-rails.steps]]\nname = \"cargo test\"\nrun = [\"sh\", \"-c\", \"echo replaced > ../replaced.txt\"]\nscope = \"project\"\n\n[drift.tools]\nfaketool = \"1.2.0\"\n",
    );
    ctx.write("bin/faketool", "#!/bin/sh\necho 'faketool 1.5.3'\n");
    std::fs::set_permissions(
        ctx.root.join("bin/faketool"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    ctx.commit_all("base");
    let path = format!(
        "{}:{}",
        ctx.root.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = ctx
        .heph()
        .env("PATH", &path)
        .args([
            "guard-rails",
            "--step",
            "cargo test",
            "--step",
            "drift",
            "--drift",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let doc = json(&out);
    let names: Vec<&str> = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cargo test", "drift"], "{doc}");
    assert_eq!(
        std::fs::read_to_string(ctx.base.join("replaced.txt")).unwrap(),
        "replaced\n",
        "the user's command ran"
    );
    let drift = by_name(&doc, "drift");
    assert_eq!(
        drift["status"], "failed",
        "1.5.3 drifts from the pinned 1.2: {doc}"
    );
    assert!(
        drift["output"].as_str().unwrap().contains("faketool"),
        "{doc}"
    );
    assert_eq!(out.status.code(), Some(1));
}

/// The text report of a run as the user sees it (paths and durations
/// filtered): one line per step, a failure's details and output, the
/// summary.
#[test]
fn text_report_snapshot() {
    let ctx = TestContext::new();
    config(
        &ctx,
        &[
            step("passes", "exit 0", ""),
            step("fails", "echo \"broken in $PWD\" >&2; exit 3", ""),
            step("no python", "exit 0", "files = [\"*.py\"]"),
        ]
        .concat(),
    );
    ctx.write("a.txt", "x\n");
    ctx.commit_all("base");
    let out = ctx.run(["guard-rails"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let text = format!("--- stdout\n{}--- stderr\n{}", stdout(&out), stderr(&out));
    crate::common::snapshot_settings(&ctx).bind(|| insta::assert_snapshot!(text));
}
