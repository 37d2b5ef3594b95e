//! Installed versions from the environment's package metadata, the way
//! `importlib.metadata.version()` reads them, without starting a process:
//! the project's environment ([`crate::pyenv`]) is located once, its
//! `site-packages` listed once, and each Python tool's `*.dist-info` read
//! (headers only; entry points and `RECORD` when it matters whether the
//! package installs a command).
//!
//! A package from `pyproject.toml` or a requirements file that is
//! installed but installs no command is a library (`requests`,
//! `types-requests`): it is not a row but a [`Skipped`] entry. A package
//! that is not installed in the environment is asked as before
//! (`<tool> --version` on `PATH`: pipx and system installs still count),
//! and so is every tool with its own `command` or `pattern` and every
//! Rust tool.
//!
//! When no virtual environment exists, the interpreter on `PATH`
//! (`python3`, else `python`) is asked once for its `site-packages` and
//! marker values; that one process replaces a probe per package. Not in a
//! uv project (`uv.lock` and uv installed): its tools never come from the
//! system interpreter, so they are probed through `uv run`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::declared::{DeclaredTool, Skipped, ToolKind};
use super::probe::{self, Found, Outcome, Probe};
use crate::pyenv::dists::Installed;
use crate::pyenv::{self, EnvHints, InterpreterFacts, PythonEnv};

/// The project's environment and what is installed in it.
#[derive(Debug, Clone)]
pub struct Environment {
    pub env: PythonEnv,
    pub installed: Installed,
}

/// Find the environment (see the module docs) and index it. `timeout`
/// bounds the interpreter query.
pub fn locate(root: &Path, hints: &EnvHints, timeout: Duration) -> Option<Environment> {
    let env = match pyenv::find(root, hints) {
        Some(env) => env,
        // A uv project's tools never come from the system interpreter:
        // with its environment not created yet, probes go through uv.
        None if crate::tools::uv_for(root).is_some() => return None,
        None => ask_interpreter(timeout)?,
    };
    let installed = Installed::scan(&env.site_packages);
    Some(Environment { env, installed })
}

/// One process: the interpreter on `PATH` describes itself. It runs
/// isolated (`-I`) in its own directory, not the project's: the project's
/// files (a `json.py` in the root) are never imported.
fn ask_interpreter(timeout: Duration) -> Option<PythonEnv> {
    let program: PathBuf = ["python3", "python"]
        .iter()
        .find_map(|name| which::which(name).ok())?;
    let mut cmd = std::process::Command::new(&program);
    cmd.args(["-I", "-c", InterpreterFacts::SCRIPT]);
    if let Some(dir) = program.parent() {
        cmd.current_dir(dir);
    }
    let raw = probe::ask(cmd, timeout).ok()?;
    let facts = InterpreterFacts::parse(&raw.stdout)?;
    Some(facts.into_env(program))
}

/// What the metadata says about one tool.
#[derive(Debug)]
pub enum Lookup {
    /// A row, its version read from the metadata (or an Error row when the
    /// metadata is unreadable).
    Read(Probe),
    /// Installed, but it installs no command: not a row.
    Library(Skipped),
    /// Not answered by the metadata: run the probe.
    Probe,
}

/// Look `tool` up in `environment` (see the module docs for when the
/// metadata answers).
pub fn lookup(tool: &DeclaredTool, environment: Option<&Environment>, root: &Path) -> Lookup {
    if tool.kind != ToolKind::Python || tool.command.is_some() || tool.pattern.is_some() {
        return Lookup::Probe;
    }
    let Some(environment) = environment else {
        return Lookup::Probe;
    };
    let Some(dir) = environment.installed.find(&tool.name) else {
        return Lookup::Probe;
    };
    let shown = vec![pyenv::shown_path(&dir.path, root)];
    let failed = |detail: String| {
        Lookup::Read(Probe {
            outcome: Outcome::Failed {
                short: "bad metadata".to_string(),
                detail,
                exit_code: None,
            },
            command: shown.clone(),
        })
    };
    let dist = match dir.read() {
        Ok(d) => d,
        Err(e) => return failed(e.to_string()),
    };
    if tool.needs_command() {
        match dir.commands() {
            Ok(commands) if commands.is_empty() => {
                return Lookup::Library(Skipped {
                    name: tool.name.clone(),
                    declared_in: tool.origin.describe(),
                    reason: "library",
                    detail: dist.version_text,
                });
            }
            Ok(_) => {}
            Err(e) => return failed(e.to_string()),
        }
    }
    Lookup::Read(Probe {
        outcome: Outcome::Found {
            found: Found {
                version: dist.version,
                text: dist.version_text.clone(),
                word: dist.version_text,
            },
            exit_code: None,
            source: "metadata",
        },
        command: shown,
    })
}
