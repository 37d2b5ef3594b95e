//! What the python preset should run, decided from the project's own tool
//! configuration, as plain data ([`PythonToolPlan`]): a project that
//! configures its tools gets them run the way it configured them.
//!
//! Each decision reads the file the tool itself would read at the project
//! root, in the tool's own order of precedence, and records which file
//! decided it:
//!
//! - **ruff check** always gets `--no-fix` (a check must never edit the
//!   work tree); [`RuffPlan::fix_configured`] says whether the project's
//!   `fix = true` made that matter.
//! - **formatter**: black when the project configures `[tool.black]` or
//!   declares or installs black, and does not configure ruff's formatter
//!   (`[tool.ruff.format]`, `[format]` in `ruff.toml`); `ruff format`
//!   otherwise. Each comes with its check-mode command (pre-push).
//! - **mypy** runs once with no file arguments when the project says what
//!   to check (`files`, `packages` or `modules` in the file mypy reads),
//!   and on the passed files otherwise.
//! - **flake8 and isort**: a project that lints with flake8 and not ruff
//!   gets `flake8` in place of `ruff check`; a project that configures or
//!   installs isort gets an `isort` step (a fixer; `--check-only` on
//!   pre-push).
//! - **mypy** on passed files checks a module through its `.pyi` stub
//!   when one sits beside it, as mypy resolves the module itself.
//! - **tests**: pytest, or `python -m unittest` when the project has a
//!   test suite and no sign of pytest (no pytest configuration, pytest
//!   neither installed nor declared).
//! - **pytest** gets `--cov` only when pytest-cov is available (installed
//!   in the project's environment; declared, when there is none) and the
//!   project's own `addopts` do not already ask for coverage.
//! - **environment**: the project's venv (the one [`super::find`] picks)
//!   as `VIRTUAL_ENV` and the `PATH` entry that activate it.
//!
//! docs/python-tools.md states the same rules for users.

mod ini;
mod project;

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use serde::Serialize;

#[cfg(test)]
use super::EnvHints;
use super::dists::Installed;
use super::{EnvKind, PythonEnv};
pub use ini::Ini;
pub use project::ProjectFiles;

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ToolCfgError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not valid TOML: {message}", path.display())]
    Toml { path: PathBuf, message: String },
    #[error("{}: `{key}` {message}", path.display())]
    Value {
        path: PathBuf,
        key: String,
        message: String,
    },
}

/// Where to decide for.
#[derive(Debug, Clone, Copy)]
pub struct ToolCfgSettings<'a> {
    /// The project root (where the tools run).
    pub root: &'a Path,
    /// The project's environment ([`super::find`]), if it has one.
    pub env: Option<&'a PythonEnv>,
}

/// Everything the python preset needs to know about the project's tools.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PythonToolPlan {
    /// The environment to activate for every step, if any.
    pub env: Option<Activation>,
    pub ruff: RuffPlan,
    /// flake8 in place of `ruff check` (the project lints with flake8
    /// and does not use ruff).
    pub flake8: Option<ToolUse>,
    /// isort, when the project uses it.
    pub isort: Option<ToolUse>,
    pub formatter: FormatterPlan,
    pub mypy: MypyPlan,
    pub pytest: PytestPlan,
}

/// The variables that activate a virtual environment, as its `activate`
/// script and `uv run` set them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Activation {
    pub kind: EnvKind,
    /// The value of `VIRTUAL_ENV`: the environment's directory.
    pub virtual_env: PathBuf,
    /// Put first on `PATH`.
    pub bin_dir: PathBuf,
}

impl Activation {
    /// The activation of a virtual environment; `None` for a bare
    /// interpreter, which has nothing to activate.
    pub fn of(env: &PythonEnv) -> Option<Activation> {
        if env.kind == EnvKind::Interpreter {
            return None;
        }
        let bin = if cfg!(windows) { "Scripts" } else { "bin" };
        Some(Activation {
            kind: env.kind,
            virtual_env: env.prefix.clone(),
            bin_dir: env.prefix.join(bin),
        })
    }

    /// `PATH` with the environment's `bin` first (and not repeated later).
    pub fn path_var(&self, current: Option<&OsStr>) -> OsString {
        let rest: Vec<PathBuf> = current
            .map(|p| {
                std::env::split_paths(p)
                    .filter(|e| e != &self.bin_dir)
                    .collect()
            })
            .unwrap_or_default();
        let all = std::iter::once(self.bin_dir.clone()).chain(rest);
        std::env::join_paths(all).unwrap_or_else(|_| self.bin_dir.clone().into_os_string())
    }
}

/// How to run `ruff check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuffPlan {
    /// The file ruff reads at the root (`.ruff.toml`, `ruff.toml`, or
    /// `pyproject.toml` with `[tool.ruff]`), if any.
    pub config: Option<PathBuf>,
    /// That file sets `fix = true`: without `--no-fix` ruff would fix the
    /// work tree and pass.
    pub fix_configured: bool,
    /// `ruff check --force-exclude --no-fix`; the files follow.
    pub check_argv: Vec<String>,
    /// The project uses ruff: it configures, declares or installs it
    /// (hupper, which lints with flake8, does none of these).
    pub used: bool,
}

/// A tool the project uses, and why the preset thinks so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolUse {
    /// `.flake8`, `[tool.isort] in pyproject.toml`, `installed in .venv`.
    pub why: String,
}

/// The formatter a project uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Formatter {
    Black,
    Ruff,
}

/// How to format, and how to check the format without writing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormatterPlan {
    pub tool: Formatter,
    /// Rewrites the files (pre-commit): `black` / `ruff format
    /// --force-exclude`; the files follow.
    pub fix_argv: Vec<String>,
    /// Writes nothing, fails on a difference (pre-push): `black --check
    /// --diff` / `ruff format --force-exclude --check`; the files follow.
    pub check_argv: Vec<String>,
    /// The line length the project configures for it, for display.
    pub line_length: Option<i64>,
    /// Why this formatter (`[tool.black] in pyproject.toml`).
    pub why: String,
}

/// Whether mypy gets file arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MypyScope {
    /// Run once, no file arguments: the project says what to check.
    Project,
    /// Run on the files in scope.
    Files,
}

/// How to run mypy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MypyPlan {
    pub scope: MypyScope,
    /// The file mypy reads (`mypy.ini`, `.mypy.ini`, `pyproject.toml` with
    /// `[tool.mypy]`, `setup.cfg` with `[mypy]`), if any.
    pub config: Option<PathBuf>,
    /// What it configures to check (`files = src, tests`), for display.
    pub targets: Vec<String>,
    /// `mypy`; in [`MypyScope::Files`] the files follow.
    pub argv: Vec<String>,
}

/// How to run pytest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PytestPlan {
    /// The file pytest takes its options from, if any.
    pub config: Option<PathBuf>,
    /// Its `addopts` already ask for coverage (`--cov`, `--cov=…`).
    pub cov_in_addopts: bool,
    /// pytest-cov is available to the project.
    pub cov_available: bool,
    /// Why `cov_available` is what it is.
    pub cov_why: String,
    /// `pytest`, plus `--cov --cov-report=term-missing` when pytest-cov is
    /// available and `addopts` do not ask for coverage already; or
    /// `python -m unittest` (see [`PytestPlan::unittest`]).
    pub argv: Vec<String>,
    /// The project's tests run with `python -m unittest`: it has a test
    /// suite and no sign of pytest (no pytest configuration, pytest
    /// neither installed nor declared).
    pub unittest: bool,
}

/// Decide everything for a project.
pub fn plan(settings: &ToolCfgSettings<'_>) -> Result<PythonToolPlan, ToolCfgError> {
    let files = ProjectFiles::read(settings.root)?;
    let installed = settings
        .env
        .map(|env| (env, Installed::scan(&env.site_packages)));
    let facts = Facts {
        files: &files,
        declared: files.declared(),
        installed: installed.as_ref().map(|(env, i)| (*env, i)),
        root: settings.root,
    };
    let ruff = ruff(&facts)?;
    Ok(PythonToolPlan {
        env: settings.env.and_then(Activation::of),
        flake8: (!ruff.used).then(|| flake8(&facts)).flatten(),
        isort: isort(&facts),
        ruff,
        formatter: formatter(&facts)?,
        mypy: mypy(&files)?,
        pytest: pytest(&facts)?,
    })
}

/// What the decisions share.
struct Facts<'a> {
    files: &'a ProjectFiles,
    /// Declared packages by PEP 503 name → where.
    declared: BTreeMap<String, Vec<String>>,
    installed: Option<(&'a PythonEnv, &'a Installed)>,
    root: &'a Path,
}

impl Facts<'_> {
    /// `installed in .venv (venv)`, when the environment has it.
    fn installed(&self, name: &str) -> Option<String> {
        let (env, installed) = self.installed?;
        installed
            .find(name)
            .map(|_| format!("installed in {}", super::shown_path(&env.prefix, self.root)))
    }

    fn declared(&self, name: &str) -> Option<String> {
        self.declared
            .get(name)
            .map(|from| format!("declared in {}", from.join(", ")))
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_string()).collect()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The file ruff reads at the root and the table of its settings.
fn ruff_settings(files: &ProjectFiles) -> Option<(&Path, &toml::Table)> {
    if let Some(r) = &files.ruff_toml {
        return Some((&r.path, &r.doc));
    }
    let py = files.pyproject.as_ref()?;
    Some((&py.path, py.table(&["tool", "ruff"])?))
}

fn bool_key(
    path: &Path,
    table: &toml::Table,
    key: &str,
    shown: &str,
) -> Result<bool, ToolCfgError> {
    match table.get(key) {
        None => Ok(false),
        Some(toml::Value::Boolean(b)) => Ok(*b),
        Some(other) => Err(ToolCfgError::Value {
            path: path.to_path_buf(),
            key: shown.to_string(),
            message: format!("must be true or false, not {}", other.type_str()),
        }),
    }
}

fn ruff(facts: &Facts<'_>) -> Result<RuffPlan, ToolCfgError> {
    let settings = ruff_settings(facts.files);
    let fix_configured = match settings {
        Some((path, table)) => {
            let shown = if file_name(path) == "pyproject.toml" {
                "tool.ruff.fix"
            } else {
                "fix"
            };
            bool_key(path, table, "fix", shown)?
        }
        None => false,
    };
    Ok(RuffPlan {
        config: settings.map(|(p, _)| p.to_path_buf()),
        fix_configured,
        check_argv: strings(&["ruff", "check", "--force-exclude", "--no-fix"]),
        used: settings.is_some()
            || facts.declared("ruff").is_some()
            || facts.installed("ruff").is_some(),
    })
}

/// flake8's configuration: `.flake8`, `setup.cfg` or `tox.ini` with a
/// `[flake8]` section; else flake8 declared or installed.
fn flake8(facts: &Facts<'_>) -> Option<ToolUse> {
    let files = facts.files;
    let configured = [&files.flake8_ini, &files.setup_cfg, &files.tox_ini]
        .into_iter()
        .flatten()
        .find(|f| f.ini.has_section("flake8"))
        .map(|f| format!("[flake8] in {}", file_name(&f.path)));
    configured
        .or_else(|| facts.declared("flake8").map(|d| format!("flake8 is {d}")))
        .or_else(|| facts.installed("flake8").map(|i| format!("flake8 is {i}")))
        .map(|why| ToolUse { why })
}

/// isort's configuration: `.isort.cfg`, `[tool.isort]` in
/// `pyproject.toml`, `[isort]`/`[tool:isort]` in `setup.cfg` or
/// `tox.ini`; else isort declared or installed.
fn isort(facts: &Facts<'_>) -> Option<ToolUse> {
    let files = facts.files;
    let ini = files
        .isort_cfg
        .iter()
        .chain(
            [&files.setup_cfg, &files.tox_ini]
                .into_iter()
                .flatten()
                .filter(|f| f.ini.has_section("isort") || f.ini.has_section("tool:isort")),
        )
        .next()
        .map(|f| format!("isort configured in {}", file_name(&f.path)));
    let toml = files
        .pyproject
        .as_ref()
        .and_then(|p| p.table(&["tool", "isort"]))
        .map(|_| "[tool.isort] in pyproject.toml".to_string());
    toml.or(ini)
        .or_else(|| facts.declared("isort").map(|d| format!("isort is {d}")))
        .or_else(|| facts.installed("isort").map(|i| format!("isort is {i}")))
        .map(|why| ToolUse { why })
}

fn int_key(table: Option<&toml::Table>, key: &str) -> Option<i64> {
    table?.get(key)?.as_integer()
}

fn formatter(facts: &Facts<'_>) -> Result<FormatterPlan, ToolCfgError> {
    let files = facts.files;
    let black_table = files
        .pyproject
        .as_ref()
        .and_then(|p| p.table(&["tool", "black"]).map(|t| (p, t)));
    let ruff = ruff_settings(files);
    let ruff_format = ruff.and_then(|(path, table)| {
        table
            .get("format")
            .filter(|v| v.is_table())
            .map(|_| match file_name(path).as_str() {
                "pyproject.toml" => "[tool.ruff.format] in pyproject.toml".to_string(),
                name => format!("[format] in {name}"),
            })
    });
    let black_why = black_table
        .map(|_| "[tool.black] in pyproject.toml".to_string())
        .or_else(|| facts.declared("black").map(|d| format!("black is {d}")))
        .or_else(|| facts.installed("black").map(|i| format!("black is {i}")));
    match (black_why, ruff_format) {
        (Some(why), None) => {
            let mut fix_argv = strings(&["black"]);
            if let Some((py, table)) = black_table
                && table.get("force-exclude").is_none()
                && let Some(exclude) = black_exclude(&py.path, table)?
            {
                // Black's `exclude` only applies to files it discovers;
                // the preset passes files, so it must be forced.
                fix_argv.push("--force-exclude".to_string());
                fix_argv.push(exclude);
            }
            let mut check_argv = fix_argv.clone();
            check_argv.splice(1..1, strings(&["--check", "--diff"]));
            Ok(FormatterPlan {
                tool: Formatter::Black,
                fix_argv,
                check_argv,
                line_length: int_key(black_table.map(|(_, t)| t), "line-length"),
                why,
            })
        }
        (black, ruff_format) => {
            let why = match (black, ruff_format) {
                (Some(b), Some(r)) => format!("{r} (it wins over {b})"),
                (None, Some(r)) => r,
                _ => "the default (the project configures no formatter)".to_string(),
            };
            let table = ruff.map(|(_, t)| t);
            let format_table = table
                .and_then(|t| t.get("format"))
                .and_then(|v| v.as_table());
            Ok(FormatterPlan {
                tool: Formatter::Ruff,
                fix_argv: strings(&["ruff", "format", "--force-exclude"]),
                check_argv: strings(&["ruff", "format", "--force-exclude", "--check"]),
                line_length: int_key(format_table, "line-length").or(int_key(table, "line-length")),
                why,
            })
        }
    }
}

/// `[tool.black] exclude` (else `extend-exclude`), when exactly one is set
/// (two regexes cannot be joined safely when one is verbose).
fn black_exclude(path: &Path, table: &toml::Table) -> Result<Option<String>, ToolCfgError> {
    let mut found = Vec::new();
    for key in ["exclude", "extend-exclude"] {
        match table.get(key) {
            None => {}
            Some(toml::Value::String(s)) => found.push(s.clone()),
            Some(other) => {
                return Err(ToolCfgError::Value {
                    path: path.to_path_buf(),
                    key: format!("tool.black.{key}"),
                    message: format!(
                        "must be a regular expression string, not {}",
                        other.type_str()
                    ),
                });
            }
        }
    }
    Ok(if found.len() == 1 { found.pop() } else { None })
}

/// A list option that may be a TOML array or a comma-separated string.
fn list_value(path: &Path, key: &str, v: &toml::Value) -> Result<Vec<String>, ToolCfgError> {
    match v {
        toml::Value::String(s) => Ok(split_commas(s)),
        toml::Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(|s| s.trim().to_string())
                    .ok_or_else(|| ToolCfgError::Value {
                        path: path.to_path_buf(),
                        key: key.to_string(),
                        message: format!("must be a list of strings, but holds {}", i.type_str()),
                    })
            })
            .filter(|r| r.as_ref().map_or(true, |s| !s.is_empty()))
            .collect(),
        other => Err(ToolCfgError::Value {
            path: path.to_path_buf(),
            key: key.to_string(),
            message: format!(
                "must be a string or a list of strings, not {}",
                other.type_str()
            ),
        }),
    }
}

fn split_commas(s: &str) -> Vec<String> {
    s.split([',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

const MYPY_TARGETS: [&str; 3] = ["files", "packages", "modules"];

fn mypy(files: &ProjectFiles) -> Result<MypyPlan, ToolCfgError> {
    // mypy's order: mypy.ini, .mypy.ini (whatever they hold), then
    // pyproject.toml with [tool.mypy], then setup.cfg with [mypy].
    let mut config = None;
    let mut targets = Vec::new();
    if let Some(ini) = &files.mypy_ini {
        config = Some(ini.path.clone());
        targets = ini_targets(&ini.ini, "mypy");
    } else if let Some(py) = &files.pyproject
        && let Some(table) = py.table(&["tool", "mypy"])
    {
        config = Some(py.path.clone());
        for key in MYPY_TARGETS {
            if let Some(v) = table.get(key) {
                let list = list_value(&py.path, &format!("tool.mypy.{key}"), v)?;
                if !list.is_empty() {
                    targets.push(format!("{key} = {}", list.join(", ")));
                }
            }
        }
    } else if let Some(cfg) = &files.setup_cfg
        && cfg.ini.has_section("mypy")
    {
        config = Some(cfg.path.clone());
        targets = ini_targets(&cfg.ini, "mypy");
    }
    Ok(MypyPlan {
        scope: if targets.is_empty() {
            MypyScope::Files
        } else {
            MypyScope::Project
        },
        config,
        targets,
        argv: strings(&["mypy"]),
    })
}

fn ini_targets(ini: &Ini, section: &str) -> Vec<String> {
    MYPY_TARGETS
        .iter()
        .filter_map(|key| {
            let list = split_commas(ini.get(section, key)?);
            (!list.is_empty()).then(|| format!("{key} = {}", list.join(", ")))
        })
        .collect()
}

/// pytest's configuration file and its `addopts`, in pytest's order:
/// `pytest.ini`/`.pytest.ini` (even empty), `pyproject.toml` with
/// `[tool.pytest.ini_options]` or `[tool.pytest]`, `tox.ini` with
/// `[pytest]`, `setup.cfg` with `[tool:pytest]`.
fn pytest_addopts(files: &ProjectFiles) -> Result<(Option<PathBuf>, Vec<String>), ToolCfgError> {
    let split = |path: &Path, text: &str| -> Result<Vec<String>, ToolCfgError> {
        shlex::split(text).ok_or_else(|| ToolCfgError::Value {
            path: path.to_path_buf(),
            key: "addopts".to_string(),
            message: "has an unclosed quote".to_string(),
        })
    };
    if let Some(ini) = &files.pytest_ini {
        let opts = match ini.ini.get("pytest", "addopts") {
            Some(text) => split(&ini.path, text)?,
            None => Vec::new(),
        };
        return Ok((Some(ini.path.clone()), opts));
    }
    if let Some(py) = &files.pyproject {
        for (keys, shown) in [
            (
                &["tool", "pytest", "ini_options"][..],
                "tool.pytest.ini_options.addopts",
            ),
            (&["tool", "pytest"][..], "tool.pytest.addopts"),
        ] {
            let Some(table) = py.table(keys) else {
                continue;
            };
            if keys.len() == 2 && table.keys().all(|k| k == "ini_options") {
                continue;
            }
            let opts = match table.get("addopts") {
                None => Vec::new(),
                Some(toml::Value::String(s)) => split(&py.path, s)?,
                Some(v) => list_value(&py.path, shown, v)?,
            };
            return Ok((Some(py.path.clone()), opts));
        }
    }
    for (file, section) in [
        (&files.tox_ini, "pytest"),
        (&files.setup_cfg, "tool:pytest"),
    ] {
        if let Some(f) = file
            && f.ini.has_section(section)
        {
            let opts = match f.ini.get(section, "addopts") {
                Some(text) => split(&f.path, text)?,
                None => Vec::new(),
            };
            return Ok((Some(f.path.clone()), opts));
        }
    }
    Ok((None, Vec::new()))
}

fn pytest(facts: &Facts<'_>) -> Result<PytestPlan, ToolCfgError> {
    let (config, addopts) = pytest_addopts(facts.files)?;
    let cov_in_addopts = addopts
        .iter()
        .any(|o| o == "--cov" || o.starts_with("--cov="));
    let (cov_available, cov_why) = match (facts.installed, facts.installed("pytest-cov")) {
        (_, Some(installed)) => (true, format!("pytest-cov is {installed}")),
        (Some((env, _)), None) => (
            false,
            format!(
                "pytest-cov is not installed in {}{}",
                super::shown_path(&env.prefix, facts.root),
                facts
                    .declared("pytest-cov")
                    .map(|d| format!(" (it is {d})"))
                    .unwrap_or_default()
            ),
        ),
        (None, None) => match facts.declared("pytest-cov") {
            Some(d) => (
                true,
                format!("pytest-cov is {d} (no project environment to look in)"),
            ),
            None => (
                false,
                "pytest-cov is neither installed nor declared".to_string(),
            ),
        },
    };
    let unittest = config.is_none()
        && facts.installed("pytest").is_none()
        && facts.declared("pytest").is_none()
        && facts.installed.is_some()
        && has_unittest_suite(facts.root);
    let mut argv = if unittest {
        strings(&["python", "-m", "unittest"])
    } else {
        strings(&["pytest"])
    };
    if cov_available && !cov_in_addopts && !unittest {
        argv.extend(strings(&["--cov", "--cov-report=term-missing"]));
    }
    Ok(PytestPlan {
        config,
        cov_in_addopts,
        cov_available,
        cov_why,
        argv,
        unittest,
    })
}

/// A suite `python -m unittest` discovers from the root: a `tests` or
/// `test` package (with `__init__.py`) holding a `test*.py` module.
fn has_unittest_suite(root: &Path) -> bool {
    ["tests", "test"].iter().any(|dir| {
        let dir = root.join(dir);
        dir.join("__init__.py").is_file()
            && std::fs::read_dir(&dir).is_ok_and(|entries| {
                entries.flatten().any(|e| {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    name.starts_with("test") && name.ends_with(".py")
                })
            })
    })
}

#[cfg(test)]
mod tests;
