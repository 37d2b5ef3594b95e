//! What a step really runs, for people: its exact command line, the
//! program it resolves to (through `uv run`, the project's `.venv/bin` or
//! `PATH`, as the executor resolves it), and that program's version.
//! Shown by `hook list`, `config show --resolved`, `-v` runs and the
//! JSON report.
//!
//! Versions come from the project environment's package metadata (no
//! process); only [`VersionProbe::Run`] (the listing commands, never a
//! hook run) asks a program outside the environment for `--version`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::{Action, Scope, Step};
use crate::pyenv::PythonEnv;
use crate::pyenv::dists::Installed;
use crate::tools::{self, Via};

/// A step's command as it would run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepCommand {
    /// The command line, with `<files>` where the files go.
    pub command: String,
    /// The program it runs (for `uv run`, uv itself).
    pub program: Option<PathBuf>,
    /// Where it was found: `uv run`, `.venv/bin`, `PATH`, a path, or
    /// `not found`.
    pub found_in: String,
    /// `ruff 0.6.9`, when known.
    pub version: Option<String>,
}

impl StepCommand {
    /// `ruff check --no-fix <files>  [/p/.venv/bin/ruff from .venv/bin, ruff 0.6.9]`
    pub fn display(&self) -> String {
        let program = match &self.program {
            Some(path) => format!("{} from {}", path.display(), self.found_in),
            None => self.found_in.clone(),
        };
        match &self.version {
            Some(v) => format!("{}  [{program}, {v}]", self.command),
            None => format!("{}  [{program}]", self.command),
        }
    }
}

/// Whether a version may be asked of the program itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionProbe {
    /// Package metadata only (hook runs: no extra process).
    Metadata,
    /// Metadata, else `<program> --version` (listing commands).
    Run,
}

/// What describing needs: the project root and its environment's
/// installed packages.
pub struct Describer<'a> {
    root: &'a Path,
    installed: Option<Installed>,
    probe: VersionProbe,
}

impl<'a> Describer<'a> {
    /// `env`: the project's environment ([`crate::pyenv::find`]), whose
    /// package metadata gives the versions.
    pub fn new(root: &'a Path, env: Option<&PythonEnv>, probe: VersionProbe) -> Self {
        let installed = env.map(|env| Installed::scan(&env.site_packages));
        Describer {
            root,
            installed,
            probe,
        }
    }

    /// The command of a command step; `None` for in-process steps.
    pub fn describe(&self, step: &Step) -> Option<StepCommand> {
        let Action::Command { argv, shell } = &step.action else {
            return None;
        };
        let first = argv.first()?;
        let files = step.pass_files && step.scope == Scope::Files;
        let mut words: Vec<String> = argv.iter().map(|a| quote(a)).collect();
        if *shell {
            words = vec!["sh".into(), "-c".into(), quote(first)];
        }
        if files {
            words.push("<files>".to_string());
        }
        let command = words.join(" ");
        if *shell {
            return Some(StepCommand {
                command,
                program: which::which("sh").ok(),
                found_in: "PATH".to_string(),
                version: None,
            });
        }
        let resolved = tools::resolve(self.root, first);
        let (program, found_in) = match &resolved.via {
            Via::Uv { uv } => (Some(uv.clone()), "uv run".to_string()),
            Via::Venv { path } => (Some(path.clone()), ".venv/bin".to_string()),
            Via::Path { path } if first.contains('/') => (Some(path.clone()), "path".to_string()),
            Via::Path { path } => (Some(path.clone()), "PATH".to_string()),
            Via::NotFound => (None, "not found".to_string()),
        };
        let tool = step
            .missing_hint
            .as_ref()
            .map(|h| h.tool.as_str())
            .unwrap_or(first);
        let version = self
            .version_of(tool)
            .or_else(|| match (&program, self.probe) {
                (Some(p), VersionProbe::Run) if found_in != "uv run" => ask_version(p),
                _ => None,
            });
        Some(StepCommand {
            command,
            program,
            found_in,
            version,
        })
    }

    /// `<name> <version>` from the environment's metadata.
    fn version_of(&self, tool: &str) -> Option<String> {
        let dist = self.installed.as_ref()?.find(tool)?.read().ok()?;
        Some(format!("{} {}", dist.name, dist.version_text))
    }
}

/// The first line `program --version` prints, within two seconds.
fn ask_version(program: &Path) -> Option<String> {
    let mut cmd = std::process::Command::new(program);
    cmd.arg("--version").current_dir(std::env::temp_dir());
    let out = crate::process::capture(
        cmd,
        &crate::process::Capture {
            timeout: Some(Duration::from_secs(2)),
            streams: crate::process::Streams::Merged,
            cap: Some(4096),
            children: None,
        },
    );
    if !out.exit.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
}

/// A word as a POSIX shell would need it.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_only_when_needed() {
        assert_eq!(quote("--no-fix"), "--no-fix");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
    }
}
