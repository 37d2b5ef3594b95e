//! `hephaestus drift`: the seeds' table reproduced with fake tools (shell
//! scripts printing a banner) in `.venv/bin` or on a PATH the test
//! controls, pyproject-declared tools, probes that hang, print on stderr or
//! exit non-zero, `--fix` with a fake installer that records its argv, and
//! the real tools from the venv `HEPHAESTUS_TEST_VENV` names (an ignored
//! test: `bash .ci/run` installs ruff and mypy and runs it).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{TestContext, json, show, stderr, stdout};

/// The env var naming a venv with real `ruff` and `mypy` installed.
const REAL_VENV_VAR: &str = "HEPHAESTUS_TEST_VENV";

/// Write an executable shell script.
pub(crate) fn script(path: &Path, body: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A directory that is the whole PATH of the run (no python, no uv, no
/// real tools unless the test puts them there), plus `sh`-level helpers
/// the fake scripts need.
pub(crate) fn fake_path(ctx: &TestContext) -> PathBuf {
    let bin = ctx.base.join("fakebin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["sleep", "cat", "printf", "touch", "echo"] {
        if let Ok(real) = which(tool) {
            let _ = std::os::unix::fs::symlink(real, bin.join(tool));
        }
    }
    bin
}

fn which(tool: &str) -> Result<PathBuf, ()> {
    for dir in ["/usr/bin", "/bin", "/usr/local/bin"] {
        let p = Path::new(dir).join(tool);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(())
}

/// Run hephaestus with PATH set to `path` only.
fn drift(ctx: &TestContext, path: &Path, args: &[&str]) -> Output {
    drift_with(ctx, path, args, &[])
}

/// Run hephaestus with PATH set to `path` only, no active virtualenv or
/// uv environment unless `envs` sets one.
pub(crate) fn drift_with(
    ctx: &TestContext,
    path: &Path,
    args: &[&str],
    envs: &[(&str, &str)],
) -> Output {
    ctx.heph()
        .env("PATH", path)
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("VIRTUAL_ENV")
        .env_remove("UV_PROJECT_ENVIRONMENT")
        .envs(envs.iter().copied())
        .arg("drift")
        .args(args)
        .output()
        .expect("spawn hephaestus")
}

pub(crate) fn row<'a>(doc: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    doc["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no row {name} in {doc:#}"))
}

/// The seeds' example: ruff OK (patch newer), black Drift (minor older),
/// mypy Missing, pip-audit OK (its banner on stderr, exit 1).
fn seed_project(ctx: &TestContext) {
    ctx.write(
        "hephaestus.toml",
        "[drift.tools]\nruff = \"0.14.0\"\nblack = \"25.9.0\"\nmypy = \"1.18.2\"\npip-audit = \"2.9.0\"\n",
    );
    let venv = ctx.root.join(".venv/bin");
    script(&venv.join("ruff"), "echo 'ruff 0.14.5'");
    script(
        &venv.join("black"),
        "echo 'black, 25.8.0 (compiled: yes)'\necho 'Python (CPython) 3.12.1'",
    );
    script(
        &venv.join("pip-audit"),
        "echo 'pip-audit 2.9.0' >&2\nexit 1",
    );
}

#[test]
fn seeds_four_row_example_is_reproduced() {
    let ctx = TestContext::new();
    seed_project(&ctx);
    let path = fake_path(&ctx);
    let out = drift(&ctx, &path, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(
        stdout(&out),
        "\
┏━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━━┓
┃ Tool      ┃ Expected ┃ Actual        ┃ Status  ┃
┡━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━━┩
│ ruff      │ 0.14.0   │ 0.14.5        │ OK      │
│ black     │ 25.9.0   │ 25.8.0        │ Drift   │
│ mypy      │ 1.18.2   │ Not installed │ Missing │
│ pip-audit │ 2.9.0    │ 2.9.0         │ OK      │
└───────────┴──────────┴───────────────┴─────────┘

Remediation commands:
  python -m pip install --upgrade 'black~=25.9.0'
  python -m pip install --upgrade 'mypy~=1.18.2'
",
        "{}",
        show(&out)
    );
    assert!(
        stderr(&out).contains("2 of 4 tools need attention (1 drift, 1 missing)"),
        "{}",
        show(&out)
    );

    let out = drift(&ctx, &path, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(
        doc["counts"],
        serde_json::json!({"ok": 2, "drift": 1, "missing": 1, "error": 0})
    );
    let names: Vec<&str> = doc["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ruff", "black", "mypy", "pip-audit"]);
    assert_eq!(
        row(&doc, "ruff")["probe"],
        serde_json::json!([".venv/bin/ruff", "--version"])
    );
    assert_eq!(row(&doc, "mypy")["actual"], serde_json::Value::Null);
    assert_eq!(row(&doc, "mypy")["status"], "missing");
    let audit = row(&doc, "pip-audit");
    assert_eq!(audit["status"], "ok");
    assert_eq!(audit["exit_code"], 1);
    assert_eq!(audit["actual"], "2.9.0");
    assert_eq!(
        doc["remediation"][0]["argv"],
        serde_json::json!([
            "python",
            "-m",
            "pip",
            "install",
            "--upgrade",
            "black~=25.9.0"
        ])
    );
}

#[test]
fn all_ok_exits_zero() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        "[drift.tools]\nruff = \">=0.14.0\"\nmypy = \">=1.18,<2\"\n",
    );
    let path = fake_path(&ctx);
    // Newer than the minimum is not drift; tools found on PATH.
    script(&path.join("ruff"), "echo 'ruff 0.15.2'");
    script(&path.join("mypy"), "echo 'mypy 1.19.0rc1 (compiled: yes)'");
    let out = drift(&ctx, &path, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        stdout(&out).contains("│ ruff │ >=0.14.0  │ 0.15.2    │ OK     │"),
        "{}",
        show(&out)
    );
    assert!(
        stdout(&out).contains("│ mypy │ >=1.18,<2 │ 1.19.0rc1 │ OK     │"),
        "{}",
        show(&out)
    );
    assert!(!stdout(&out).contains("Remediation"), "{}", show(&out));
}

#[test]
fn pyproject_dev_tools_are_the_default_and_uv_sync_names_their_groups() {
    let ctx = TestContext::new();
    ctx.write(
        "pyproject.toml",
        r#"[project]
name = "demo"
version = "0.1.0"

[project.optional-dependencies]
dev = ["Ruff>=0.14.0"]

[dependency-groups]
lint = ["mypy>=1.18,<2", {include-group = "typing"}]
typing = ["types-foo"]
"#,
    );
    let path = fake_path(&ctx);
    script(&path.join("ruff"), "echo 'ruff 0.14.9'");
    script(&path.join("mypy"), "echo 'mypy 2.0.1'");
    // Without uv.lock: pip, per tool, with the declared specifier.
    let out = drift(&ctx, &path, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let text = stdout(&out);
    assert!(
        text.contains("│ ruff      │ >=0.14.0  │ 0.14.9        │ OK      │"),
        "{text}"
    );
    assert!(
        text.contains("│ mypy      │ >=1.18,<2 │ 2.0.1         │ Drift   │"),
        "{text}"
    );
    assert!(
        text.contains("│ types-foo │ any       │ Not installed │ Missing │"),
        "{text}"
    );
    assert!(
        text.contains("python -m pip install --upgrade 'mypy>=1.18,<2'"),
        "{text}"
    );
    assert!(
        text.contains("python -m pip install --upgrade types-foo"),
        "{text}"
    );

    // With uv.lock and uv installed: probes go through `uv run --no-sync`
    // and the fix is one `uv sync` naming the groups.
    ctx.write("uv.lock", "version = 1\n");
    let log = ctx.base.join("uv.log");
    script(
        &path.join("uv"),
        &format!(
            "echo \"$@\" >> '{}'\nif [ \"$1\" = run ]; then shift; [ \"$1\" = --no-sync ] && shift; exec \"$@\"; fi",
            log.display()
        ),
    );
    let out = drift(&ctx, &path, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc = json(&out);
    assert_eq!(
        row(&doc, "ruff")["probe"],
        serde_json::json!([path.join("uv"), "run", "--no-sync", "ruff", "--version"])
    );
    assert_eq!(row(&doc, "types-foo")["status"], "missing");
    assert_eq!(
        doc["remediation"][0]["display"],
        "uv sync --inexact --group lint"
    );
    assert_eq!(
        doc["remediation"][0]["tools"],
        serde_json::json!(["mypy", "types-foo"])
    );
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(calls.contains("run --no-sync mypy --version"), "{calls}");
    assert!(
        !calls.contains("sync --inexact"),
        "a check must not sync: {calls}"
    );
}

#[test]
fn rust_toolchain_declares_rustc_and_cargo() {
    let ctx = TestContext::new();
    ctx.write("rust-toolchain.toml", "[toolchain]\nchannel = \"1.95.0\"\n");
    let path = fake_path(&ctx);
    script(
        &path.join("rustc"),
        "echo 'rustc 1.95.2 (59807616e 2026-04-14)'",
    );
    script(
        &path.join("cargo"),
        "echo 'cargo 1.94.0 (abcdef 2026-02-01)'",
    );
    let out = drift(&ctx, &path, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let text = stdout(&out);
    assert!(
        text.contains("│ rustc │ 1.95.0   │ 1.95.2 │ OK     │"),
        "{text}"
    );
    assert!(
        text.contains("│ cargo │ 1.95.0   │ 1.94.0 │ Drift  │"),
        "{text}"
    );
    assert!(
        text.contains("  rustup toolchain install 1.95.0\n"),
        "{text}"
    );

    ctx.write("rust-toolchain.toml", "[toolchain]\nchannel = \"stable\"\n");
    script(
        &path.join("cargo"),
        "echo 'cargo 1.97.0-nightly (abcdef 2026-05-01)'",
    );
    let out = drift(&ctx, &path, &[]);
    let text = stdout(&out);
    assert!(
        text.contains("│ rustc │ stable   │ 1.95.2 │ OK     │"),
        "{text}"
    );
    assert!(
        text.contains("│ cargo │ stable   │ 1.97.0 │ Drift  │"),
        "{text}"
    );
    assert!(text.contains("  rustup update stable\n"), "{text}");

    // rustup's proxy for a toolchain that is not installed: Missing (and
    // the probe asked rustup not to download it).
    script(
        &path.join("rustc"),
        "[ \"$RUSTUP_AUTO_INSTALL\" = 0 ] || exit 99\necho \"error: toolchain 'stable-x86_64-unknown-linux-gnu' is not installed\" >&2\nexit 1",
    );
    let out = drift(&ctx, &path, &[]);
    assert!(
        stdout(&out).contains("│ rustc │ stable   │ Not installed │ Missing │"),
        "{}",
        show(&out)
    );
}

/// Wait for a child at most `limit`; kill it and fail if it hangs.
fn wait_bounded(mut child: std::process::Child, limit: Duration) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("hephaestus drift hung (probe timeout did not fire)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_hanging_probe_is_killed_and_reported_as_error() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        "[drift]\ntimeout = \"1s\"\n[drift.tools]\nslowpoke = \"1.0\"\nruff = \"0.14\"\n",
    );
    let path = fake_path(&ctx);
    // `sleep` runs as a grandchild holding the pipes open: only killing the
    // whole process group ends the probe.
    script(&path.join("slowpoke"), "sleep 600\necho 'slowpoke 1.0.0'");
    script(&path.join("ruff"), "echo 'ruff 0.14.1'");
    let child = ctx
        .heph()
        .env("PATH", &path)
        .args(["drift", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_bounded(child, Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc = json(&out);
    let slow = row(&doc, "slowpoke");
    assert_eq!(slow["status"], "error");
    assert!(
        slow["detail"]
            .as_str()
            .unwrap()
            .contains("did not finish within 1s"),
        "{doc:#}"
    );
    assert_eq!(row(&doc, "ruff")["status"], "ok");
    // An Error row has no command that fixes it.
    assert_eq!(doc["remediation"], serde_json::json!([]));

    // --timeout on the command line wins over the file.
    let out = drift(&ctx, &path, &["--timeout", "0.5"]);
    assert!(
        stdout(&out).contains("│ slowpoke │ 1.0      │ timed out │ Error  │"),
        "{}",
        show(&out)
    );
    assert!(
        stderr(&out).contains("did not finish within 0.5s"),
        "{}",
        show(&out)
    );
}

#[test]
fn stderr_banners_custom_commands_patterns_and_failures() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        r#"[drift.tools]
loud = "3.1"
broken = "1.0"
node = { version = ">=20", command = ["node", "-v"], install = ["fnm", "install", "20"] }
weird = { version = "==1.*", command = ["weird", "info"], pattern = "build ([0-9.]+)" }
"#,
    );
    let path = fake_path(&ctx);
    script(&path.join("loud"), "echo 'loud version 3.1.4' >&2");
    script(&path.join("broken"), "echo 'Traceback: boom' >&2\nexit 2");
    script(&path.join("node"), "echo v22.3.0");
    script(
        &path.join("weird"),
        "[ \"$1\" = info ] || exit 9\necho 'weird 9.9.9 build 1.4.2'",
    );
    let out = drift(&ctx, &path, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc = json(&out);
    assert_eq!(row(&doc, "loud")["actual"], "3.1.4");
    assert_eq!(row(&doc, "loud")["status"], "ok");
    let broken = row(&doc, "broken");
    assert_eq!(broken["status"], "error");
    assert_eq!(broken["exit_code"], 2);
    assert!(
        broken["detail"]
            .as_str()
            .unwrap()
            .contains("Traceback: boom"),
        "{doc:#}"
    );
    assert_eq!(row(&doc, "node")["actual"], "22.3.0");
    assert_eq!(row(&doc, "node")["status"], "ok");
    assert_eq!(row(&doc, "weird")["actual"], "1.4.2");
    assert_eq!(row(&doc, "weird")["status"], "ok");

    // A custom install command is the remediation for its tool.
    script(&path.join("node"), "echo v18.1.0");
    let out = drift(&ctx, &path, &[]);
    assert!(
        stdout(&out).contains("\n  fnm install 20\n"),
        "{}",
        show(&out)
    );
}

/// A fake `python` that records the argv of `-m pip ...` one argument per
/// line, and "installs" ruff 0.14.2 by rewriting the fake ruff.
fn fake_python(path: &Path, log: &Path, installs: bool) {
    let install = if installs {
        format!(
            "printf '#!/bin/sh\\necho ruff 0.14.2\\n' > '{}'",
            path.join("ruff").display()
        )
    } else {
        String::new()
    };
    script(
        &path.join("python"),
        &format!(
            "[ \"$1\" = -m ] || exit 3\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> '{}'; done\n{install}",
            log.display()
        ),
    );
}

#[test]
fn fix_runs_argv_without_a_shell_and_checks_again() {
    let ctx = TestContext::new();
    ctx.write("hephaestus.toml", "[drift.tools]\nruff = \">=0.14.0\"\n");
    let path = fake_path(&ctx);
    script(&path.join("ruff"), "echo 'ruff 0.13.0'");
    let log = ctx.base.join("argv.log");
    fake_python(&path, &log, true);

    let out = drift(&ctx, &path, &["--fix"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let argv = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        argv.lines().collect::<Vec<_>>(),
        ["-m", "pip", "install", "--upgrade", "ruff>=0.14.0"],
        "{}",
        show(&out)
    );
    // The old toolkit's shell turned `>=0.14.0` into a redirection.
    for dir in [&ctx.root, &ctx.base, &path] {
        assert!(
            !dir.join("=0.14.0").exists(),
            "a file =0.14.0 in {}",
            dir.display()
        );
    }
    let text = stdout(&out);
    assert!(
        text.contains("│ ruff │ >=0.14.0 │ 0.13.0 │ Drift  │"),
        "{text}"
    );
    assert!(text.contains("After remediation:"), "{text}");
    assert!(
        text.contains("│ ruff │ >=0.14.0 │ 0.14.2 │ OK     │"),
        "{text}"
    );
    assert!(
        stderr(&out).contains("running: python -m pip install --upgrade 'ruff>=0.14.0'"),
        "{}",
        show(&out)
    );
}

#[test]
fn fix_that_does_not_help_still_fails_and_json_has_both_states() {
    let ctx = TestContext::new();
    ctx.write("hephaestus.toml", "[drift.tools]\nruff = \"0.14.0\"\n");
    let path = fake_path(&ctx);
    script(&path.join("ruff"), "echo 'ruff 0.15.0'");
    let log = ctx.base.join("argv.log");
    fake_python(&path, &log, false);
    let out = drift(&ctx, &path, &["--fix", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc = json(&out);
    assert_eq!(row(&doc, "ruff")["status"], "drift");
    assert_eq!(doc["fix"]["before"][0]["status"], "drift");
    assert_eq!(
        doc["fix"]["commands"][0]["argv"],
        serde_json::json!([
            "python",
            "-m",
            "pip",
            "install",
            "--upgrade",
            "ruff~=0.14.0"
        ])
    );
    assert_eq!(doc["fix"]["commands"][0]["exit_code"], 0);
}

#[test]
fn bad_declarations_exit_two_naming_file_and_key() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        "[drift.tools]\nruff = \"0.14.0\"\nmypy = \">=banana\"\n",
    );
    let path = fake_path(&ctx);
    let out = drift(&ctx, &path, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains("hephaestus.toml:3:"), "{err}");
    assert!(err.contains("key `drift.tools.mypy`"), "{err}");
    assert!(err.contains("invalid version specifier"), "{err}");

    ctx.write("hephaestus.toml", "");
    ctx.write(
        "pyproject.toml",
        "[dependency-groups]\nlint = [\"ruff>=>1\"]\n",
    );
    let out = drift(&ctx, &path, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        stderr(&out).contains("pyproject.toml: key `dependency-groups.lint[0]`"),
        "{}",
        show(&out)
    );
}

#[test]
#[ignore = "needs ruff and mypy from PyPI in HEPHAESTUS_TEST_VENV; bash .ci/run installs them"]
fn real_ruff_and_mypy_from_a_venv() {
    let venv = std::env::var_os(REAL_VENV_VAR).unwrap_or_else(|| {
        panic!(
            "{REAL_VENV_VAR} is not set: bash .ci/run makes a venv with ruff and mypy and sets it"
        )
    });
    let venv = PathBuf::from(venv);
    let version_of = |tool: &str| {
        let out = Command::new(venv.join("bin").join(tool))
            .arg("--version")
            .output()
            .unwrap_or_else(|e| panic!("{REAL_VENV_VAR}: cannot run {tool}: {e}"));
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_string()
    };
    let ruff = version_of("ruff");
    let mypy = version_of("mypy");
    let ctx = TestContext::new();
    std::os::unix::fs::symlink(&venv, ctx.root.join(".venv")).unwrap();
    // ruff: a pin on its own major.minor (OK); mypy: a range it cannot
    // satisfy (Drift); mypy-extensions: a distribution with no command.
    let (major, minor) = {
        let mut p = ruff.split('.');
        (p.next().unwrap().to_string(), p.next().unwrap().to_string())
    };
    ctx.write(
        "pyproject.toml",
        format!(
            "[project]\nname = \"demo\"\nversion = \"0\"\n[project.optional-dependencies]\ndev = [\"ruff=={major}.{minor}.0\", \"mypy<0.1\", \"mypy-extensions>=0.1\"]\n"
        ),
    );
    let path = fake_path(&ctx);
    let out = drift(&ctx, &path, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc = json(&out);
    assert_eq!(row(&doc, "ruff")["actual"], ruff.as_str(), "{doc:#}");
    assert_eq!(row(&doc, "ruff")["status"], "ok", "{doc:#}");
    assert_eq!(row(&doc, "mypy")["actual"], mypy.as_str(), "{doc:#}");
    assert_eq!(row(&doc, "mypy")["status"], "drift", "{doc:#}");
    // Read from the venv's metadata, not by running the tools.
    assert_eq!(row(&doc, "ruff")["source"], "metadata", "{doc:#}");
    // A library (no command) is not a row.
    assert_eq!(doc["skipped"][0]["name"], "mypy-extensions", "{doc:#}");
    assert_eq!(doc["skipped"][0]["reason"], "library", "{doc:#}");
    assert_eq!(
        doc["remediation"][0]["argv"],
        serde_json::json!([
            ".venv/bin/python",
            "-m",
            "pip",
            "install",
            "--upgrade",
            "mypy<0.1"
        ])
    );
}
