//! Where a project tool (`ruff`, `mypy`, `pytest`, …) is run from, decided
//! the same way everywhere (guard-rails steps, drift probes, remediation):
//! `uv run <tool>` when the project has a `uv.lock` and `uv` is installed,
//! else `<root>/.venv/bin/<tool>` when it exists, else the `PATH`.
//!
//! Resolution only looks at the file system; it never runs anything. The
//! result says how the tool was found so callers can explain a failure
//! ("ruff: not found in .venv/bin or on PATH") and build the argv.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How a program was resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// `uv run <program>`: the project has a `uv.lock` and `uv` is at this
    /// path. Whether uv then finds the program is only known when it runs.
    Uv { uv: PathBuf },
    /// The project's virtualenv: `<root>/.venv/bin/<program>`.
    Venv { path: PathBuf },
    /// Found on `PATH` (or given as a path that exists).
    Path { path: PathBuf },
    /// Not found anywhere; running it fails with "not found".
    NotFound,
}

/// A program and where it will run from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The program as asked for (`ruff`).
    pub program: String,
    pub via: Via,
}

/// Resolve `program` for the project at `root` (see the module docs). A
/// program given with a `/` is taken as a path (relative to `root`) and
/// never goes through uv, the venv or `PATH`.
pub fn resolve(root: &Path, program: &str) -> Resolved {
    let via = if program.contains('/') || program.contains(std::path::MAIN_SEPARATOR) {
        let path = root.join(program);
        if path.exists() {
            Via::Path { path }
        } else {
            Via::NotFound
        }
    } else if let Some(uv) = uv_for(root) {
        Via::Uv { uv }
    } else if let Some(path) = venv_program(root, program) {
        Via::Venv { path }
    } else {
        match which::which(program) {
            Ok(path) => Via::Path { path },
            Err(_) => Via::NotFound,
        }
    };
    Resolved {
        program: program.to_string(),
        via,
    }
}

/// Resolve a program that is not a project tool (rustc, rustup, git):
/// the `PATH` only.
pub fn resolve_on_path(program: &str) -> Resolved {
    let via = match which::which(program) {
        Ok(path) => Via::Path { path },
        Err(_) => Via::NotFound,
    };
    Resolved {
        program: program.to_string(),
        via,
    }
}

/// `uv`'s path when the project at `root` is managed by uv (`uv.lock`
/// exists) and uv is installed.
pub fn uv_for(root: &Path) -> Option<PathBuf> {
    if !root.join("uv.lock").is_file() {
        return None;
    }
    which::which("uv").ok()
}

/// `<root>/.venv/bin/<program>` (`Scripts\<program>.exe` on Windows) when
/// it exists.
pub fn venv_program(root: &Path, program: &str) -> Option<PathBuf> {
    let bin = if cfg!(windows) {
        root.join(".venv").join("Scripts")
    } else {
        root.join(".venv").join("bin")
    };
    let candidates = if cfg!(windows) {
        vec![bin.join(format!("{program}.exe")), bin.join(program)]
    } else {
        vec![bin.join(program)]
    };
    candidates.into_iter().find(|p| p.is_file())
}

impl Resolved {
    /// Whether running it can work at all (uv decides at run time).
    pub fn is_found(&self) -> bool {
        self.via != Via::NotFound
    }

    /// The argv prefix that runs the program: `uv run <program>`, the venv
    /// or `PATH` path, or the bare name when not found (spawning it then
    /// fails with `NotFound`).
    pub fn argv(&self) -> Vec<OsString> {
        self.argv_with_uv_flags(&[])
    }

    /// Like [`Resolved::argv`], with flags for `uv run` placed before the
    /// program (`--no-sync` for read-only probes that must not change the
    /// environment they inspect).
    pub fn argv_with_uv_flags(&self, uv_flags: &[&str]) -> Vec<OsString> {
        match &self.via {
            Via::Uv { uv } => {
                let mut v: Vec<OsString> = vec![uv.clone().into(), "run".into()];
                v.extend(uv_flags.iter().map(OsString::from));
                v.push(self.program.clone().into());
                v
            }
            Via::Venv { path } | Via::Path { path } => vec![path.clone().into()],
            Via::NotFound => vec![self.program.clone().into()],
        }
    }
}

/// A `Command` for an argv (which must not be empty), run in `cwd`.
pub fn command_from(argv: &[OsString], cwd: &Path) -> Command {
    let mut cmd = Command::new(argv.first().cloned().unwrap_or_default());
    cmd.args(&argv[argv.len().min(1)..]).current_dir(cwd);
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn venv_wins_over_path_without_uv_lock() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join(".venv/bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("sh"), "").unwrap();
        let r = resolve(dir.path(), "sh");
        assert_eq!(
            r.via,
            Via::Venv {
                path: bin.join("sh")
            }
        );
        assert_eq!(r.argv(), vec![OsString::from(bin.join("sh"))]);
    }

    #[test]
    fn missing_program_is_not_found_and_keeps_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let r = resolve(dir.path(), "surely-not-a-real-program-xyz");
        assert!(!r.is_found());
        assert_eq!(
            r.argv(),
            vec![OsString::from("surely-not-a-real-program-xyz")]
        );
    }

    #[test]
    fn relative_path_is_taken_from_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        std::fs::write(dir.path().join("bin/tool"), "").unwrap();
        let r = resolve(dir.path(), "bin/tool");
        assert_eq!(
            r.via,
            Via::Path {
                path: dir.path().join("bin/tool")
            }
        );
    }
}
