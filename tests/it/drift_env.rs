//! `hephaestus drift` against real virtual environments: venvs made by
//! `python3 -m venv` (so `pyvenv.cfg` and the layout are Python's own),
//! with hand-written `*.dist-info` directories where the test is about
//! the metadata format, and (in the ignored test, which `.ci/run` runs)
//! packages installed by pip from PyPI, with `importlib.metadata` in the
//! venv as the oracle.
//!
//! Every tool script the venvs hold records that it ran: reading versions
//! from metadata must not run them.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::json;
use crate::common::{TestContext, show, stderr};
use crate::drift::{drift_with, fake_path, row, script};

/// `python3` from the test's own `PATH` (a prerequisite: fail, never skip).
fn python3() -> PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join("python3"))
        .find(|p| p.is_file())
        .expect("python3 is needed on PATH for the drift environment tests (it makes the venvs)")
}

/// A real venv, without pip (fast): `python3 -m venv --without-pip DIR`.
fn make_venv(dir: &Path) -> PathBuf {
    let out = Command::new(python3())
        .args(["-m", "venv", "--without-pip"])
        .arg(dir)
        .output()
        .expect("run python3 -m venv");
    assert!(out.status.success(), "python3 -m venv: {}", show(&out));
    dir.to_path_buf()
}

/// The venv's `site-packages` (`lib/python3.X/site-packages`).
fn site_packages(venv: &Path) -> PathBuf {
    let lib = venv.join("lib");
    std::fs::read_dir(&lib)
        .unwrap()
        .flatten()
        .map(|e| e.path().join("site-packages"))
        .find(|p| p.is_dir())
        .unwrap_or_else(|| panic!("no site-packages under {}", lib.display()))
}

/// Ask the venv's own Python (the oracle).
fn venv_python(venv: &Path, code: &str) -> String {
    let out = Command::new(venv.join("bin/python"))
        .args(["-c", code])
        .output()
        .expect("run the venv's python");
    assert!(out.status.success(), "{}", show(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A hand-written distribution: `METADATA`, plus `entry_points.txt` with
/// these console scripts, plus a `RECORD` listing these files of `bin/`.
fn dist(venv: &Path, name: &str, version: &str, console: &[&str], bin: &[&str]) {
    let info = site_packages(venv).join(format!("{}-{version}.dist-info", name.replace('-', "_")));
    std::fs::create_dir_all(&info).unwrap();
    std::fs::write(
        info.join("METADATA"),
        format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: test\n\nA long description.\nVersion: 0.0.0\n"),
    )
    .unwrap();
    if !console.is_empty() {
        let mut text = String::from("[console_scripts]\n");
        for c in console {
            text.push_str(&format!("{c} = {}:main\n", name.replace('-', "_")));
        }
        std::fs::write(info.join("entry_points.txt"), text).unwrap();
    }
    let mut record = format!("{}/__init__.py,sha256=x,1\n", name.replace('-', "_"));
    for b in bin {
        record.push_str(&format!("../../../bin/{b},sha256=y,2\n"));
    }
    std::fs::write(info.join("RECORD"), record).unwrap();
}

/// A script in the venv's `bin/` that records it ran (in `ran.log` next to
/// the venv) and prints a banner with a version that is *not* the
/// metadata's, so a probe would be visible twice over.
fn tracer(ctx: &TestContext, venv: &Path, program: &str) {
    let log = ctx.base.join("ran.log");
    script(
        &venv.join("bin").join(program),
        &format!(
            "echo {program} >> '{}'\necho '{program} 99.99.99'",
            log.display()
        ),
    );
}

fn ran(ctx: &TestContext) -> String {
    std::fs::read_to_string(ctx.base.join("ran.log")).unwrap_or_default()
}

const PYPROJECT: &str = r#"[project]
name = "demo"
version = "0.1.0"
dependencies = ["requests>=2"]

[project.optional-dependencies]
dev = ["ruff>=0.14", "black==25.9.0", "requests>=2", "types-requests"]
docs = ["sphinx>=7"]

[dependency-groups]
bench = ["pytest-benchmark"]
"#;

#[test]
fn versions_come_from_metadata_and_libraries_are_not_rows() {
    let ctx = TestContext::new();
    ctx.write("pyproject.toml", PYPROJECT);
    let venv = make_venv(&ctx.root.join(".venv"));
    // ruff installs its binary through RECORD, black through entry points.
    dist(&venv, "ruff", "0.14.5", &[], &["ruff"]);
    dist(&venv, "black", "25.8.0", &["black", "blackd"], &[]);
    dist(&venv, "requests", "2.32.3", &[], &[]);
    dist(&venv, "types-requests", "2.32.0.20240914", &[], &[]);
    tracer(&ctx, &venv, "ruff");
    tracer(&ctx, &venv, "black");
    let python = venv_python(&venv, "import platform; print(platform.python_version())");

    // No python, no uv on PATH: nothing but the files is needed.
    let path = fake_path(&ctx);
    let out = drift_with(&ctx, &path, &["--format", "json"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc = json(&out);
    let names: Vec<&str> = doc["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    // requests and types-requests are libraries; sphinx (docs) and
    // pytest-benchmark (bench) are not in dev-like groups.
    assert_eq!(names, ["ruff", "black"], "{doc:#}");
    let ruff = row(&doc, "ruff");
    assert_eq!(ruff["actual"], "0.14.5");
    assert_eq!(ruff["status"], "ok");
    assert_eq!(ruff["source"], "metadata");
    assert_eq!(ruff["exit_code"], serde_json::Value::Null);
    let probe = ruff["probe"][0].as_str().unwrap();
    assert!(
        probe.starts_with(".venv/lib/python")
            && probe.ends_with("site-packages/ruff-0.14.5.dist-info"),
        "{probe}"
    );
    assert_eq!(row(&doc, "black")["actual"], "25.8.0");
    assert_eq!(row(&doc, "black")["status"], "drift");
    assert_eq!(
        doc["environment"],
        serde_json::json!({"path": ".venv", "kind": "venv", "python": python})
    );
    let skipped: Vec<(String, String)> = doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        skipped,
        [
            ("requests".to_string(), "library".to_string()),
            ("types-requests".to_string(), "library".to_string())
        ]
    );
    assert_eq!(
        doc["remediation"][0]["argv"],
        serde_json::json!([
            ".venv/bin/python",
            "-m",
            "pip",
            "install",
            "--upgrade",
            "black~=25.9.0"
        ])
    );
    assert_eq!(ran(&ctx), "", "a tool ran although its metadata was read");

    // The table run says where it read, and -v lists the libraries.
    let out = drift_with(&ctx, &path, &["-v"], &[]);
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "drift: 1 of 2 tools need attention (1 drift) in .venv (venv, CPython {python})"
        )),
        "{err}"
    );
    assert!(err.contains("ruff: read: .venv/lib/python"), "{err}");
    assert!(
        err.contains("requests (pyproject.toml project.optional-dependencies.dev): 2.32.3 installed, but it installs no command"),
        "{err}"
    );
    assert_eq!(ran(&ctx), "");
}

#[test]
fn a_tool_missing_from_the_venv_is_looked_for_on_path_then_missing() {
    let ctx = TestContext::new();
    ctx.write(
        "pyproject.toml",
        "[dependency-groups]\nlint = [\"ruff>=0.14\", \"mypy>=1.18\"]\n",
    );
    let venv = make_venv(&ctx.root.join(".venv"));
    dist(&venv, "ruff", "0.14.5", &[], &["ruff"]);
    let path = fake_path(&ctx);
    let out = drift_with(&ctx, &path, &["--format", "json"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc = json(&out);
    let mypy = row(&doc, "mypy");
    assert_eq!(mypy["status"], "missing");
    assert!(
        mypy["detail"]
            .as_str()
            .unwrap()
            .contains("not installed in .venv (venv, CPython"),
        "{doc:#}"
    );
    // A mypy outside the venv (pipx, the system) still counts, by probe.
    script(&path.join("mypy"), "echo 'mypy 1.19.1 (compiled: yes)'");
    let doc = json(&drift_with(&ctx, &path, &["--format", "json"], &[]));
    let mypy = row(&doc, "mypy");
    assert_eq!(mypy["status"], "ok", "{doc:#}");
    assert_eq!(mypy["source"], "command");
    assert_eq!(mypy["actual"], "1.19.1");
    assert_eq!(row(&doc, "ruff")["source"], "metadata");
}

#[test]
fn markers_are_evaluated_with_the_venv_python() {
    let ctx = TestContext::new();
    let venv = make_venv(&ctx.root.join(".venv"));
    let minor: u32 = venv_python(&venv, "import sys; print(sys.version_info[1])")
        .parse()
        .unwrap();
    ctx.write(
        "pyproject.toml",
        format!(
            r#"[dependency-groups]
dev = [
  "ruff>=0.14 ; python_version < '3.{minor}'",
  "black==1.0 ; python_version < '3.{minor}'",
  "black>=25 ; python_version >= '3.{minor}'",
  "isort ; sys_platform == 'no-such-platform'",
  "mypy ; os_name == 'posix'",
]
"#
        ),
    );
    dist(&venv, "ruff", "0.14.5", &[], &["ruff"]);
    dist(&venv, "black", "25.9.0", &["black"], &[]);
    dist(&venv, "mypy", "1.18.2", &["mypy"], &[]);
    let path = fake_path(&ctx);
    let out = drift_with(&ctx, &path, &["--format", "json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let doc = json(&out);
    let names: Vec<&str> = doc["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["black", "mypy"], "{doc:#}");
    // The first declaration whose marker holds wins.
    assert_eq!(row(&doc, "black")["expected"], ">=25");
    let skipped: Vec<&str> = doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["reason"] == "marker")
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, ["ruff", "isort"], "{doc:#}");
}

#[test]
fn groups_and_extras_are_chosen_in_the_config() {
    let ctx = TestContext::new();
    ctx.write("pyproject.toml", PYPROJECT);
    let venv = make_venv(&ctx.root.join(".venv"));
    dist(&venv, "sphinx", "7.4.7", &["sphinx-build"], &[]);
    dist(
        &venv,
        "pytest-benchmark",
        "4.0.0",
        &["py.test-benchmark"],
        &[],
    );
    let path = fake_path(&ctx);
    ctx.write(
        "hephaestus.toml",
        "[drift]\nextras = [\"docs\"]\ngroups = [\"bench\"]\n",
    );
    let out = drift_with(&ctx, &path, &["--format", "json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let doc = json(&out);
    let names: Vec<&str> = doc["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sphinx", "pytest-benchmark"], "{doc:#}");

    // "*" is every extra; dev's tools are not installed: Missing.
    ctx.write(
        "hephaestus.toml",
        "[drift]\nextras = [\"*\"]\ngroups = []\n",
    );
    let doc = json(&drift_with(&ctx, &path, &["--format", "json"], &[]));
    assert_eq!(row(&doc, "ruff")["status"], "missing");
    assert_eq!(row(&doc, "sphinx")["status"], "ok");

    // A name pyproject.toml does not define: exit 2, naming key and names.
    ctx.write("hephaestus.toml", "[drift]\ngroups = [\"lnt\"]\n");
    let out = drift_with(&ctx, &path, &[], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains("hephaestus.toml: key `drift.groups`"), "{err}");
    assert!(
        err.contains("has no dependency group \"lnt\" (it has: bench)"),
        "{err}"
    );
    // An invalid name is caught while parsing, with the line.
    ctx.write("hephaestus.toml", "[drift]\nextras = [\"not a name\"]\n");
    let out = drift_with(&ctx, &path, &[], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(stderr(&out).contains("hephaestus.toml:2"), "{}", show(&out));

    // Nothing counts: say which groups and extras were left out.
    ctx.write("hephaestus.toml", "[drift]\nextras = []\ngroups = []\n");
    let out = drift_with(&ctx, &path, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains("no tools declared"), "{err}");
    assert!(
        err.contains("hint: pyproject.toml has extra dev, extra docs, group bench that do not count by default"),
        "{err}"
    );
}

#[test]
fn the_active_venv_and_the_uv_project_environment() {
    let ctx = TestContext::new();
    ctx.write(
        "pyproject.toml",
        "[project.optional-dependencies]\ndev = [\"ruff>=0.14\", \"black==25.9.0\"]\n",
    );
    let active = make_venv(&ctx.base.join("active"));
    dist(&active, "ruff", "0.14.1", &[], &["ruff"]);
    dist(&active, "black", "25.9.3", &["black"], &[]);
    let path = fake_path(&ctx);
    let active_str = active.to_str().unwrap();
    let doc = json(&drift_with(
        &ctx,
        &path,
        &["--format", "json"],
        &[("VIRTUAL_ENV", active_str)],
    ));
    assert_eq!(doc["environment"]["kind"], "active", "{doc:#}");
    assert_eq!(doc["environment"]["path"], active_str);
    assert_eq!(row(&doc, "ruff")["actual"], "0.14.1");
    assert_eq!(doc["ok"], true, "{doc:#}");

    // A uv project reads its own environment, never asking uv (a check
    // must not sync), and VIRTUAL_ENV does not override it, as for uv run.
    ctx.write("uv.lock", "version = 1\n");
    let uv_env = make_venv(&ctx.root.join("envs/dev"));
    dist(&uv_env, "ruff", "0.13.0", &[], &["ruff"]);
    dist(&uv_env, "black", "25.9.0", &["black"], &[]);
    let log = ctx.base.join("uv.log");
    script(
        &path.join("uv"),
        &format!("echo \"$@\" >> '{}'\nexit 1", log.display()),
    );
    let out = drift_with(
        &ctx,
        &path,
        &["--format", "json"],
        &[
            ("VIRTUAL_ENV", active_str),
            ("UV_PROJECT_ENVIRONMENT", "envs/dev"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["environment"]["kind"], "uv-project", "{doc:#}");
    assert_eq!(doc["environment"]["path"], "envs/dev");
    assert_eq!(row(&doc, "ruff")["status"], "drift");
    assert!(
        !log.exists(),
        "uv was run: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert_eq!(
        doc["remediation"][0]["display"],
        "uv sync --inexact --extra dev"
    );
}

#[test]
fn a_uv_project_without_its_environment_probes_through_uv_not_the_system_python() {
    let ctx = TestContext::new();
    ctx.write(
        "pyproject.toml",
        "[dependency-groups]\ndev = [\"ruff>=0.14\", \"requests\"]\n",
    );
    ctx.write("uv.lock", "version = 1\n");
    let system = make_venv(&ctx.base.join("system"));
    dist(&system, "ruff", "0.14.2", &[], &["ruff"]);
    let path = fake_path(&ctx);
    let calls = ctx.base.join("python.log");
    script(
        &path.join("python3"),
        &format!(
            "echo call >> '{}'\nexec '{}' \"$@\"",
            calls.display(),
            system.join("bin/python").display()
        ),
    );
    // uv as it behaves before `uv sync`: nothing to run.
    script(
        &path.join("uv"),
        "echo 'error: Failed to spawn: `'\"$4\"'`' >&2\nexit 2",
    );
    let out = drift_with(&ctx, &path, &["--format", "json"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["environment"], serde_json::Value::Null, "{doc:#}");
    assert_eq!(row(&doc, "ruff")["status"], "missing", "{doc:#}");
    assert_eq!(row(&doc, "ruff")["probe"][1], "run");
    assert!(!calls.exists(), "the system python was asked");
    assert_eq!(
        doc["remediation"][0]["display"],
        "uv sync --inexact --group dev"
    );
}

#[test]
fn without_a_venv_the_interpreter_on_path_is_asked_once_and_isolated() {
    let ctx = TestContext::new();
    ctx.write("pyproject.toml", PYPROJECT);
    // The "system" interpreter: a venv's Python behind a `python3` on PATH
    // that logs each call.
    let system = make_venv(&ctx.base.join("system"));
    dist(&system, "ruff", "0.14.2", &[], &["ruff"]);
    dist(&system, "black", "25.9.1", &["black"], &[]);
    dist(&system, "requests", "2.32.3", &[], &[]);
    dist(&system, "types-requests", "2.32.0", &[], &[]);
    let path = fake_path(&ctx);
    let calls = ctx.base.join("python.log");
    script(
        &path.join("python3"),
        &format!(
            "echo call >> '{}'\nexec '{}' \"$@\"",
            calls.display(),
            system.join("bin/python").display()
        ),
    );
    // A hostile checkout: a json.py in the root must never be imported.
    let pwned = ctx.base.join("pwned");
    ctx.write(
        "json.py",
        format!("open({:?}, 'w').write('x')\n", pwned.display().to_string()),
    );
    let out = drift_with(&ctx, &path, &["--format", "json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["environment"]["kind"], "interpreter", "{doc:#}");
    assert_eq!(row(&doc, "ruff")["actual"], "0.14.2");
    assert_eq!(row(&doc, "ruff")["source"], "metadata");
    assert_eq!(row(&doc, "black")["source"], "metadata");
    assert_eq!(doc["skipped"][0]["name"], "requests");
    assert_eq!(std::fs::read_to_string(&calls).unwrap(), "call\n");
    assert!(!pwned.exists(), "the project's json.py was imported");
}

#[test]
fn requirements_files_are_hinted_and_read_when_listed() {
    let ctx = TestContext::new();
    ctx.write(
        "requirements/dev.txt",
        "-r base.txt\n-c ../constraints.txt\nruff==0.14.0 \\\n    --hash=sha256:abc\nmypy>=1.18 ; python_version >= '3'  # typing\n-e .\n",
    );
    ctx.write("requirements/base.txt", "requests==2.32.3\n");
    ctx.write("constraints.txt", "black==25.9.0\n");
    let venv = make_venv(&ctx.root.join(".venv"));
    dist(&venv, "ruff", "0.14.5", &[], &["ruff"]);
    dist(&venv, "mypy", "1.17.0", &["mypy", "dmypy"], &[]);
    dist(&venv, "requests", "2.32.3", &[], &[]);
    let path = fake_path(&ctx);

    let out = drift_with(&ctx, &path, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(crate::common::stdout(&out), "");
    let err = stderr(&out);
    assert!(err.contains("drift: no tools declared"), "{err}");
    assert!(
        err.contains(
            "hint: tool versions seem to live in constraints.txt, requirements/base.txt, requirements/dev.txt, which drift reads only when listed: add `requirements = [\"requirements/dev.txt\"]` to [drift] in hephaestus.toml, or declare the tools in [drift.tools]"
        ),
        "{err}"
    );

    ctx.write(
        "hephaestus.toml",
        "[drift]\nrequirements = [\"requirements/dev.txt\"]\n",
    );
    let out = drift_with(&ctx, &path, &["--format", "json"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc = json(&out);
    let names: Vec<&str> = doc["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    // requests (a library, from the -r include) is no row; black is only
    // in the constraints file, which is not followed.
    assert_eq!(names, ["ruff", "mypy"], "{doc:#}");
    assert_eq!(row(&doc, "ruff")["declared_in"], "requirements/dev.txt:3");
    assert_eq!(row(&doc, "ruff")["status"], "ok");
    assert_eq!(row(&doc, "mypy")["status"], "drift");
    assert_eq!(doc["skipped"][0]["declared_in"], "requirements/base.txt:1");

    ctx.write("requirements/dev.txt", "ruff==0.14.0\nruff>=>1\n");
    let out = drift_with(&ctx, &path, &[], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let err = stderr(&out);
    assert!(
        err.contains("requirements/dev.txt: line 2: invalid requirement"),
        "{err}"
    );
    ctx.write(
        "hephaestus.toml",
        "[drift]\nrequirements = [\"nope.txt\"]\n",
    );
    let out = drift_with(&ctx, &path, &[], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        stderr(&out).contains("key `drift.requirements`: ")
            && stderr(&out).contains("nope.txt is not a file"),
        "{}",
        show(&out)
    );
}

#[test]
#[ignore = "needs PyPI (pip installs pyflakes and iniconfig); bash .ci/run runs it"]
fn pip_installed_packages_read_like_importlib_metadata() {
    let ctx = TestContext::new();
    let venv = ctx.root.join(".venv");
    let out = Command::new(python3())
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .expect("python3 -m venv");
    assert!(out.status.success(), "{}", show(&out));
    // pyflakes installs a console script; iniconfig is a library.
    let out = Command::new(venv.join("bin/pip"))
        .args([
            "install",
            "-q",
            "--disable-pip-version-check",
            "--no-deps",
            "pyflakes==3.2.0",
            "iniconfig==2.0.0",
        ])
        .output()
        .expect("run pip");
    assert!(
        out.status.success(),
        "pip could not install pyflakes and iniconfig from PyPI: {}",
        show(&out)
    );
    ctx.write(
        "pyproject.toml",
        "[project.optional-dependencies]\ntest = [\"pyflakes>=3.2\", \"iniconfig>=1\", \"flake8>=7\"]\n",
    );
    // The oracle: what importlib.metadata says in the venv.
    let oracle =
        |code: &str| venv_python(&venv, &format!("import importlib.metadata as m; {code}"));
    let pyflakes = oracle("print(m.version('pyflakes'))");
    let iniconfig = oracle("print(m.version('iniconfig'))");
    assert_eq!(
        oracle(
            "print(sorted(e.name for e in m.distribution('pyflakes').entry_points if e.group == 'console_scripts'))"
        ),
        "['pyflakes']"
    );
    assert_eq!(
        oracle("print(sorted(e.name for e in m.distribution('iniconfig').entry_points))"),
        "[]"
    );

    let path = fake_path(&ctx);
    let out = drift_with(&ctx, &path, &["--format", "json"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc = json(&out);
    assert_eq!(
        row(&doc, "pyflakes")["actual"],
        pyflakes.as_str(),
        "{doc:#}"
    );
    assert_eq!(row(&doc, "pyflakes")["status"], "ok");
    assert_eq!(row(&doc, "pyflakes")["source"], "metadata");
    assert_eq!(row(&doc, "flake8")["status"], "missing");
    assert_eq!(doc["skipped"][0]["name"], "iniconfig", "{doc:#}");
    assert_eq!(doc["skipped"][0]["detail"], iniconfig.as_str());
    assert_eq!(doc["tools"].as_array().unwrap().len(), 2, "{doc:#}");
}
