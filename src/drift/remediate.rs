//! Remediation: the commands that bring drifted and missing tools back in
//! line, shown shell-quoted and run (with `--fix`) as argument vectors,
//! never through a shell, so `ruff>=0.14.0` reaches pip as one argument
//! instead of redirecting into a file named `=0.14.0`.
//!
//! - uv projects (`uv.lock` and uv installed): one
//!   `uv sync --inexact --extra E --group G` naming the extras and groups
//!   that hold the tools (`--inexact` so syncing a group never uninstalls
//!   packages of groups the user synced before), and one
//!   `uv pip install --upgrade REQ...` for tools no group lists;
//! - otherwise `<python> -m pip install --upgrade REQ` per tool, with the
//!   project environment's Python (`.venv/bin/python`, the active venv's,
//!   the interpreter on `PATH`), else `python`/`python3`;
//! - Rust toolchains: `rustup toolchain install X` for a version or dated
//!   channel, `rustup update stable|beta|nightly` for a moving channel;
//! - a tool's own `install = [...]` wins over all of these.
//!
//! The requirement installs a satisfying version: a pin `X.Y.Z` becomes
//! `~=X.Y.Z` (same major.minor, at least the pin; `>=X.Y.Z` alone would
//! keep a too-new version), a range is used as declared.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Serialize;

use super::declared::{DeclaredTool, Expectation, GroupRef, ToolKind};
use crate::tools;

/// One remediation command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Remedy {
    /// The argv as shown (project paths relative to the root).
    pub argv: Vec<String>,
    /// The tools it is meant to fix.
    pub tools: Vec<String>,
    /// The program to execute (absolute when it was resolved).
    #[serde(skip)]
    pub program: PathBuf,
}

impl Remedy {
    fn new(argv: Vec<String>, tools: Vec<String>) -> Self {
        let program = PathBuf::from(argv.first().cloned().unwrap_or_default());
        Remedy {
            argv,
            tools,
            program,
        }
    }

    /// The command shell-quoted, for copying into a terminal.
    pub fn display(&self) -> String {
        shlex::try_join(self.argv.iter().map(String::as_str))
            .unwrap_or_else(|_| self.argv.join(" "))
    }
}

/// Plan the commands for the tools that need fixing; `python` is the
/// project environment's interpreter, when one was found.
pub fn plan(root: &Path, needs_fix: &[&DeclaredTool], python: Option<&Path>) -> Vec<Remedy> {
    let mut out: Vec<Remedy> = Vec::new();
    let interpreter = python;
    let mut python: Vec<&DeclaredTool> = Vec::new();
    for tool in needs_fix {
        if let Some(install) = &tool.install {
            let mut remedy = Remedy::new(install.clone(), vec![tool.name.clone()]);
            if install[0].contains('/') {
                remedy.program = root.join(&install[0]);
            }
            push_unique(&mut out, remedy);
        } else if tool.kind == ToolKind::Rust {
            push_unique(&mut out, rustup(tool));
        } else {
            python.push(tool);
        }
    }
    if python.is_empty() {
        return out;
    }
    let mut remedies = match tools::uv_for(root) {
        Some(uv) => uv_plan(&uv, &python),
        None => pip_plan(root, &python, interpreter),
    };
    remedies.append(&mut out);
    remedies
}

fn push_unique(out: &mut Vec<Remedy>, remedy: Remedy) {
    match out.iter_mut().find(|r| r.argv == remedy.argv) {
        Some(existing) => existing.tools.extend(remedy.tools),
        None => out.push(remedy),
    }
}

fn rustup(tool: &DeclaredTool) -> Remedy {
    let declared = tool.declared.trim();
    let argv: Vec<&str> = match &tool.expectation {
        Expectation::Channel(c) if declared == c.name() => vec!["rustup", "update", declared],
        Expectation::Channel(_) | Expectation::Pin(_) => {
            vec!["rustup", "toolchain", "install", declared]
        }
        Expectation::Range(_) | Expectation::Any => vec!["rustup", "update", "stable"],
    };
    Remedy::new(
        argv.into_iter().map(String::from).collect(),
        vec![tool.name.clone()],
    )
}

fn uv_plan(uv: &Path, python: &[&DeclaredTool]) -> Vec<Remedy> {
    let mut out = Vec::new();
    // One extra or group per tool is enough: a tool listed in several
    // (a group and the group that includes it) is covered once.
    let mut groups: Vec<&GroupRef> = Vec::new();
    for tool in python {
        if tool.groups.iter().any(|g| groups.contains(&g)) {
            continue;
        }
        if let Some(first) = tool.groups.iter().next() {
            groups.push(first);
        }
    }
    groups.sort();
    let synced: Vec<String> = python
        .iter()
        .filter(|t| !t.groups.is_empty())
        .map(|t| t.name.clone())
        .collect();
    if !synced.is_empty() {
        let mut argv = vec![
            "uv".to_string(),
            "sync".to_string(),
            "--inexact".to_string(),
        ];
        for g in groups {
            match g {
                GroupRef::Extra(e) => argv.extend(["--extra".to_string(), e.clone()]),
                GroupRef::Group(g) => argv.extend(["--group".to_string(), g.clone()]),
            }
        }
        let mut r = Remedy::new(argv, synced);
        r.program = uv.to_path_buf();
        out.push(r);
    }
    let loose: Vec<&&DeclaredTool> = python.iter().filter(|t| t.groups.is_empty()).collect();
    if !loose.is_empty() {
        let mut argv: Vec<String> = ["uv", "pip", "install", "--upgrade"]
            .into_iter()
            .map(String::from)
            .collect();
        argv.extend(loose.iter().map(|t| t.requirement()));
        let mut r = Remedy::new(argv, loose.iter().map(|t| t.name.clone()).collect());
        r.program = uv.to_path_buf();
        out.push(r);
    }
    out
}

fn pip_plan(root: &Path, python: &[&DeclaredTool], interpreter: Option<&Path>) -> Vec<Remedy> {
    let shown_path = |path: &Path| {
        path.strip_prefix(root)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| path.to_string_lossy().into_owned())
    };
    let (shown, program) = match interpreter
        .map(Path::to_path_buf)
        .or_else(|| tools::venv_program(root, "python"))
    {
        // The interpreter found on PATH is shown by its name.
        Some(path)
            if !path.starts_with(root)
                && which::which(path.file_name().unwrap_or_default()).is_ok_and(|p| p == path) =>
        {
            (
                path.file_name()
                    .map_or_else(|| shown_path(&path), |n| n.to_string_lossy().into_owned()),
                path,
            )
        }
        Some(path) => (shown_path(&path), path),
        None if which::which("python").is_err() && which::which("python3").is_ok() => {
            ("python3".to_string(), PathBuf::from("python3"))
        }
        None => ("python".to_string(), PathBuf::from("python")),
    };
    python
        .iter()
        .map(|tool| {
            let argv = vec![
                shown.clone(),
                "-m".to_string(),
                "pip".to_string(),
                "install".to_string(),
                "--upgrade".to_string(),
                tool.requirement(),
            ];
            let mut r = Remedy::new(argv, vec![tool.name.clone()]);
            r.program = program.clone();
            r
        })
        .collect()
}

/// What running one remedy did.
#[derive(Debug, Clone, Serialize)]
pub struct Ran {
    pub argv: Vec<String>,
    /// The exit code (`null` when it could not start or was killed).
    pub exit_code: Option<i32>,
    /// Why it could not start.
    pub error: Option<String>,
}

impl Ran {
    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0)
    }
}

/// Run one remedy in `root` as an argv (no shell), its output on our
/// stderr so stdout stays the report. No timeout: installs take as long
/// as they take, and Ctrl-C reaches the child too.
pub fn run(root: &Path, remedy: &Remedy) -> Ran {
    let mut cmd = Command::new(&remedy.program);
    cmd.args(remedy.argv.iter().skip(1).map(OsString::from))
        .current_dir(root)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    cmd.stdout(stderr_as_stdio());
    match cmd.status() {
        Ok(status) => Ran {
            argv: remedy.argv.clone(),
            exit_code: status.code(),
            error: None,
        },
        Err(e) => Ran {
            argv: remedy.argv.clone(),
            exit_code: None,
            error: Some(format!("cannot run {}: {e}", remedy.argv[0])),
        },
    }
}

/// Our stderr as a child's stdout (falls back to inheriting stdout when
/// the descriptor cannot be duplicated).
fn stderr_as_stdio() -> Stdio {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() {
            return Stdio::from(fd);
        }
    }
    Stdio::inherit()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::drift::declared::{Origin, parse_expectation, parse_rust_channel};

    fn tool(name: &str, version: &str, kind: ToolKind, groups: &[GroupRef]) -> DeclaredTool {
        let expectation = if kind == ToolKind::Rust {
            parse_rust_channel(version).unwrap()
        } else {
            parse_expectation(version).unwrap()
        };
        DeclaredTool {
            name: name.to_string(),
            expectation,
            declared: version.to_string(),
            origin: Origin::Config,
            kind,
            command: None,
            pattern: None,
            install: None,
            groups: groups.iter().cloned().collect::<BTreeSet<_>>(),
        }
    }

    #[test]
    fn uv_sync_names_groups_and_extras_once() {
        let a = tool(
            "ruff",
            "0.14.0",
            ToolKind::Python,
            &[GroupRef::Extra("dev".into())],
        );
        let b = tool(
            "mypy",
            ">=1.18",
            ToolKind::Python,
            &[GroupRef::Group("lint".into())],
        );
        let both = tool(
            "pytest",
            "*",
            ToolKind::Python,
            &[
                GroupRef::Group("lint".into()),
                GroupRef::Extra("dev".into()),
            ],
        );
        let c = tool("black", "25.9.0", ToolKind::Python, &[]);
        let plan = uv_plan(Path::new("/usr/bin/uv"), &[&a, &b, &both, &c]);
        assert_eq!(
            plan[0].display(),
            "uv sync --inexact --extra dev --group lint"
        );
        assert_eq!(plan[0].tools, ["ruff", "mypy", "pytest"]);
        assert_eq!(plan[0].program, Path::new("/usr/bin/uv"));
        assert_eq!(
            plan[1].display(),
            "uv pip install --upgrade 'black~=25.9.0'"
        );
    }

    #[test]
    fn pip_requirements_are_quoted_for_display_only() {
        let dir = tempfile::tempdir().unwrap();
        let t = tool("ruff", ">=0.14.0", ToolKind::Python, &[]);
        let plan = pip_plan(dir.path(), &[&t], None);
        assert_eq!(
            plan[0].argv[1..],
            ["-m", "pip", "install", "--upgrade", "ruff>=0.14.0"]
        );
        assert!(
            plan[0]
                .display()
                .ends_with("-m pip install --upgrade 'ruff>=0.14.0'")
        );
    }

    #[test]
    fn rustup_commands() {
        let pinned = tool("rustc", "1.95.0", ToolKind::Rust, &[]);
        let stable = tool("cargo", "stable", ToolKind::Rust, &[]);
        let dated = tool("rustc", "nightly-2026-05-01", ToolKind::Rust, &[]);
        assert_eq!(rustup(&pinned).display(), "rustup toolchain install 1.95.0");
        assert_eq!(rustup(&stable).display(), "rustup update stable");
        assert_eq!(
            rustup(&dated).display(),
            "rustup toolchain install nightly-2026-05-01"
        );
    }
}
