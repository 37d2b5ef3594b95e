//! What the project declares: the expected version of each tool, where it
//! was declared, and (for Python tools) which extras and dependency groups
//! hold it, so remediation can name them.
//!
//! The sources, read fresh on every check (a `--fix` re-check sees what
//! the fix changed):
//! - `[drift.tools]` in the configuration: when non-empty, the Python tool
//!   list (any tool may be declared, with an optional probe command,
//!   version pattern and install command);
//! - otherwise the requirements of the chosen extras and dependency groups
//!   of `pyproject.toml` ([`super::pyproject`]) and of the requirements
//!   files `[drift] requirements` lists ([`super::requirements`]): these
//!   are *candidates*, and become rows only when their PEP 508 markers hold
//!   in the project's environment and (decided later, from the installed
//!   metadata) they install a command;
//! - `rust-toolchain.toml` (or `rust-toolchain`) for `rustc` and `cargo`,
//!   unless `[drift.tools]` declares them itself.
//!
//! Version texts are parsed with `pep440_rs`/`pep508_rs` ([`crate::versions`]),
//! names normalised per PEP 503, so `Pip_Audit` and `pip-audit` are one tool.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use pep508_rs::{MarkerEnvironment, Requirement, VersionOrUrl};
use regex::Regex;
use serde::Serialize;

use super::DriftError;
use super::pyproject::{self, Selection};
use super::requirements;
use crate::config::model::DriftTool;
pub use crate::versions::{Expectation, RustChannel, parse_expectation, parse_rust_channel};
use crate::versions::{compile_pattern, from_specifiers, normalize_name};

/// Where a tool's expectation came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `[drift.tools]` in the configuration file.
    Config,
    /// An entry of `pyproject.toml` (`project.optional-dependencies.dev`,
    /// `dependency-groups.lint`).
    Pyproject { table: String },
    /// A line of a requirements file listed in `[drift] requirements`
    /// (the path relative to the project root).
    Requirements { file: String, line: usize },
    /// `rust-toolchain.toml` (or `rust-toolchain`).
    RustToolchain { file: PathBuf },
}

impl Origin {
    pub fn describe(&self) -> String {
        match self {
            Origin::Config => "[drift.tools]".to_string(),
            Origin::Pyproject { table } => format!("pyproject.toml {table}"),
            Origin::Requirements { file, line } => format!("{file}:{line}"),
            Origin::RustToolchain { file } => file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "rust-toolchain.toml".to_string()),
        }
    }
}

/// How the tool is installed, which decides its remediation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolKind {
    /// A Python distribution: pip or `uv sync`, and the installed version
    /// can also be read from package metadata.
    Python,
    /// A Rust toolchain program (rustc, cargo): rustup.
    Rust,
}

/// An extra or a dependency group of `pyproject.toml` that holds a tool.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum GroupRef {
    Extra(String),
    Group(String),
}

/// One tool to check.
#[derive(Debug, Clone)]
pub struct DeclaredTool {
    /// The tool's name (PEP 503-normalised for Python tools).
    pub name: String,
    pub expectation: Expectation,
    /// The declared text, as written (shown in messages).
    pub declared: String,
    pub origin: Origin,
    pub kind: ToolKind,
    /// The probe argv; `None` means `[name, "--version"]`.
    pub command: Option<Vec<String>>,
    /// The version pattern; `None` means the default scan.
    pub pattern: Option<Regex>,
    /// The remediation argv; `None` means the default for the kind.
    pub install: Option<Vec<String>>,
    /// Extras and groups of `pyproject.toml` that list the tool.
    pub groups: BTreeSet<GroupRef>,
}

impl DeclaredTool {
    /// Whether the tool is a row only when it installs a command: true for
    /// requirements found in `pyproject.toml` or a requirements file (they
    /// list libraries too), false for what `[drift.tools]` names.
    pub fn needs_command(&self) -> bool {
        matches!(
            self.origin,
            Origin::Pyproject { .. } | Origin::Requirements { .. }
        )
    }

    /// A PEP 508 requirement that installs a satisfying version:
    /// `ruff~=0.14.0` for a pin (same major.minor, at least the pin),
    /// `mypy>=1.18,<2` for a range, the bare name for any.
    pub fn requirement(&self) -> String {
        match &self.expectation {
            Expectation::Any | Expectation::Channel(_) => self.name.clone(),
            Expectation::Pin(v) => {
                let r = v.release();
                let plain = v.epoch() == 0 && !v.any_prerelease() && !v.is_post() && !v.is_local();
                if r.len() == 3 && plain {
                    format!("{}~={v}", self.name)
                } else if r.len() >= 2 {
                    format!("{}>={v},=={}.{}.*", self.name, r[0], r[1])
                } else {
                    format!("{}=={}.*", self.name, r.first().copied().unwrap_or(0))
                }
            }
            Expectation::Range(_) => format!("{}{}", self.name, self.expectation.display()),
        }
    }
}

/// A requirement that may declare a tool: found in `pyproject.toml` or a
/// requirements file, not yet judged by its marker or its commands.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub requirement: Requirement,
    pub origin: Origin,
    /// The extra or group that holds it (`None` for a requirements file).
    pub group: Option<GroupRef>,
}

/// A declared package that is not a row, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub name: String,
    pub declared_in: String,
    /// `marker` (its PEP 508 marker is false in the environment) or
    /// `library` (installed, but it installs no command).
    pub reason: &'static str,
    /// The marker, or the installed version.
    pub detail: String,
}

/// Where the declarations come from (the parts of the settings
/// [`collect`] needs).
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    /// `[drift.tools]`, parsed.
    pub configured: &'a [DeclaredTool],
    /// Which groups and extras of `pyproject.toml` count.
    pub selection: &'a Selection,
    /// `[drift] requirements`: requirements files to read.
    pub requirements: &'a [String],
}

/// What the project declares, before markers are evaluated (that needs
/// the environment, which is looked for only when Python tools are
/// involved).
#[derive(Debug, Clone, Default)]
pub struct Declared {
    /// `[drift.tools]`, with the groups `pyproject.toml` lists them in.
    configured: Vec<DeclaredTool>,
    /// Requirements of the chosen groups, extras and requirements files
    /// (used when `[drift.tools]` is empty).
    candidates: Vec<Candidate>,
    /// `rustc` and `cargo` from the toolchain file, unless configured.
    rust: Vec<DeclaredTool>,
    /// Groups and extras of `pyproject.toml` that do not count
    /// (`extra docs`), for the hint when nothing is declared.
    pub not_counted: Vec<String>,
}

/// The declaration with markers evaluated.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    /// Tools in declaration order.
    pub tools: Vec<DeclaredTool>,
    /// Packages left out by their markers.
    pub skipped: Vec<Skipped>,
}

impl Declared {
    /// Whether a Python environment matters: some Python tool's version
    /// may be read from metadata, or some marker needs evaluating.
    pub fn needs_python_env(&self) -> bool {
        if self.configured.is_empty() {
            !self.candidates.is_empty()
        } else {
            self.configured
                .iter()
                .any(|t| t.kind == ToolKind::Python && t.command.is_none() && t.pattern.is_none())
        }
    }

    /// The tools: `[drift.tools]`, or the candidates whose markers hold in
    /// `markers` (every marker holds when the environment is unknown);
    /// then the Rust toolchain.
    pub fn resolve(self, markers: Option<&MarkerEnvironment>) -> Resolved {
        let (mut tools, skipped) = if self.configured.is_empty() {
            from_candidates(self.candidates, markers)
        } else {
            (self.configured, Vec::new())
        };
        tools.extend(self.rust);
        Resolved { tools, skipped }
    }
}

/// Names that belong to the Rust toolchain rather than to pip.
fn is_rust_tool(name: &str) -> bool {
    matches!(name, "rustc" | "cargo")
}

/// Turn the configuration's `[drift.tools]` into declared tools, in the
/// file's order. `config_file` names the file in errors.
pub fn from_config(
    tools: &BTreeMap<String, toml::Spanned<DriftTool>>,
    config_file: &Path,
) -> Result<Vec<DeclaredTool>, DriftError> {
    let bad = |key: &str, message: String| DriftError::Config {
        file: config_file.to_path_buf(),
        key: format!("drift.tools.{key}"),
        message,
    };
    let mut entries: Vec<(&String, &toml::Spanned<DriftTool>)> = tools.iter().collect();
    entries.sort_by_key(|(_, v)| v.span().start);
    let mut out = Vec::new();
    for (key, spanned) in entries {
        let entry = spanned.get_ref();
        let expectation = parse_expectation(entry.version()).map_err(|m| bad(key, m))?;
        let (command, pattern, install) = match entry {
            DriftTool::Version(_) => (None, None, None),
            DriftTool::Table(t) => {
                let pattern = match &t.pattern {
                    Some(p) => Some(compile_pattern(p).map_err(|m| bad(key, m))?),
                    None => None,
                };
                (t.command.clone(), pattern, t.install.clone())
            }
        };
        let kind = if is_rust_tool(key) {
            ToolKind::Rust
        } else {
            ToolKind::Python
        };
        let name = if kind == ToolKind::Python {
            normalize_name(key).map_err(|m| bad(key, m))?
        } else {
            key.clone()
        };
        out.push(DeclaredTool {
            name,
            expectation,
            declared: entry.version().to_string(),
            origin: Origin::Config,
            kind,
            command,
            pattern,
            install,
            groups: BTreeSet::new(),
        });
    }
    Ok(out)
}

/// `rustc` and `cargo` from `rust-toolchain.toml` (`[toolchain] channel`)
/// or a legacy `rust-toolchain` file (the channel alone, or TOML).
pub fn from_rust_toolchain(root: &Path) -> Result<Vec<DeclaredTool>, DriftError> {
    let toml_path = root.join("rust-toolchain.toml");
    let legacy = root.join("rust-toolchain");
    let path = if toml_path.is_file() {
        toml_path
    } else if legacy.is_file() {
        legacy
    } else {
        return Ok(Vec::new());
    };
    let text = std::fs::read_to_string(&path).map_err(|source| DriftError::Read {
        path: path.clone(),
        source,
    })?;
    let err = |key: &str, message: String| DriftError::Config {
        file: path.clone(),
        key: key.to_string(),
        message,
    };
    let channel = match toml::from_str::<toml::Table>(&text) {
        Ok(doc) => {
            let Some(toolchain) = doc.get("toolchain") else {
                return Ok(Vec::new());
            };
            match toolchain.get("channel") {
                Some(toml::Value::String(c)) => c.clone(),
                Some(_) => {
                    return Err(err("toolchain.channel", "expected a string".to_string()));
                }
                // A path toolchain or components only: nothing to compare.
                None => return Ok(Vec::new()),
            }
        }
        Err(e) if path.extension().is_some() => {
            return Err(err("", e.message().to_string()));
        }
        Err(_) => text.trim().to_string(),
    };
    let expectation = parse_rust_channel(&channel).map_err(|m| err("toolchain.channel", m))?;
    Ok(["rustc", "cargo"]
        .into_iter()
        .map(|name| DeclaredTool {
            name: name.to_string(),
            expectation: expectation.clone(),
            declared: channel.clone(),
            origin: Origin::RustToolchain { file: path.clone() },
            kind: ToolKind::Rust,
            command: None,
            pattern: None,
            install: None,
            groups: BTreeSet::new(),
        })
        .collect())
}

/// Read every source of the project: `[drift.tools]` (with the groups
/// `pyproject.toml` lists them in, so a uv project can remediate with
/// `uv sync`), the candidates of `pyproject.toml` and the requirements
/// files, and the Rust toolchain unless `[drift.tools]` declares it.
pub fn collect(root: &Path, sources: Sources<'_>) -> Result<Declared, DriftError> {
    let dev = pyproject::read(root, sources.selection)?.unwrap_or_default();
    let mut candidates = dev.candidates;
    candidates.extend(requirements::read(
        root,
        sources.requirements,
        &sources.selection.config_file,
    )?);
    let mut configured = sources.configured.to_vec();
    for tool in &mut configured {
        tool.groups = candidates
            .iter()
            .filter(|c| c.requirement.name.as_ref() == tool.name)
            .filter_map(|c| c.group.clone())
            .collect();
    }
    let rust = from_rust_toolchain(root)?
        .into_iter()
        .filter(|r| !configured.iter().any(|t| t.name == r.name))
        .collect();
    Ok(Declared {
        configured,
        candidates,
        rust,
        not_counted: dev.not_counted,
    })
}

/// One tool per package among the candidates whose marker holds (the
/// first declaration wins; every group that lists it is kept), and the
/// packages whose every declaration was left out by its marker.
fn from_candidates(
    candidates: Vec<Candidate>,
    markers: Option<&MarkerEnvironment>,
) -> (Vec<DeclaredTool>, Vec<Skipped>) {
    let mut tools: Vec<DeclaredTool> = Vec::new();
    let mut skipped: Vec<Skipped> = Vec::new();
    for c in candidates {
        let name = c.requirement.name.to_string();
        if !c
            .requirement
            .marker
            .evaluate_optional_environment(markers, &[])
        {
            if !skipped.iter().any(|s| s.name == name) {
                skipped.push(Skipped {
                    name,
                    declared_in: c.origin.describe(),
                    reason: "marker",
                    detail: c.requirement.marker.try_to_string().unwrap_or_default(),
                });
            }
            continue;
        }
        if let Some(existing) = tools.iter_mut().find(|t| t.name == name) {
            existing.groups.extend(c.group);
            continue;
        }
        let (expectation, declared) = match &c.requirement.version_or_url {
            Some(VersionOrUrl::VersionSpecifier(specs)) => {
                let e = from_specifiers(specs.clone());
                let d = e.display();
                (e, d)
            }
            Some(VersionOrUrl::Url(url)) => (Expectation::Any, url.to_string()),
            None => (Expectation::Any, "*".to_string()),
        };
        tools.push(DeclaredTool {
            name,
            expectation,
            declared,
            origin: c.origin,
            kind: ToolKind::Python,
            command: None,
            pattern: None,
            install: None,
            groups: c.group.into_iter().collect(),
        });
    }
    skipped.retain(|s| !tools.iter().any(|t| t.name == s.name));
    (tools, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(name: &str, version: &str) -> DeclaredTool {
        DeclaredTool {
            name: name.to_string(),
            expectation: parse_expectation(version).unwrap(),
            declared: version.to_string(),
            origin: Origin::Config,
            kind: ToolKind::Python,
            command: None,
            pattern: None,
            install: None,
            groups: BTreeSet::new(),
        }
    }

    #[test]
    fn requirements_install_a_satisfying_version() {
        assert_eq!(tool("ruff", "0.14.0").requirement(), "ruff~=0.14.0");
        assert_eq!(tool("mypy", "1.18").requirement(), "mypy>=1.18,==1.18.*");
        assert_eq!(tool("mypy", ">=1.18,<2").requirement(), "mypy>=1.18,<2");
        assert_eq!(tool("ruff", ">=0.14.0").requirement(), "ruff>=0.14.0");
        assert_eq!(tool("black", "*").requirement(), "black");
        assert_eq!(tool("x", "2").requirement(), "x==2.*");
    }

    #[derive(Debug)]
    struct Both {
        tools: Vec<DeclaredTool>,
        skipped: Vec<Skipped>,
        not_counted: Vec<String>,
    }

    fn declared(
        root: &Path,
        selection: &Selection,
        markers: Option<&MarkerEnvironment>,
    ) -> Result<Both, DriftError> {
        let d = collect(
            root,
            Sources {
                configured: &[],
                selection,
                requirements: &[],
            },
        )?;
        let not_counted = d.not_counted.clone();
        let r = d.resolve(markers);
        Ok(Both {
            tools: r.tools,
            skipped: r.skipped,
            not_counted,
        })
    }

    fn markers(python: &str) -> MarkerEnvironment {
        MarkerEnvironment::try_from(pep508_rs::MarkerEnvironmentBuilder {
            implementation_name: "cpython",
            implementation_version: python,
            os_name: "posix",
            platform_machine: "x86_64",
            platform_python_implementation: "CPython",
            platform_release: "",
            platform_system: "Linux",
            platform_version: "",
            python_full_version: python,
            python_version: &python[..python.rfind('.').unwrap()],
            sys_platform: "linux",
        })
        .unwrap()
    }

    const PYPROJECT: &str = r#"
[project]
name = "My_Proj"
[project.optional-dependencies]
dev = ["Ruff>=0.14.0", "my-proj[qa]"]
qa = ["pip_audit==2.9.0"]
docs = ["sphinx>=7"]
socks = ["PySocks"]
[dependency-groups]
lint = ["mypy>=1.18,<2 ; python_version >= '3.9'", {include-group = "typing"}]
typing = ["types-requests", "old-tool ; python_version < '3.8'"]
bench = ["pytest-benchmark"]
"#;

    #[test]
    fn pyproject_groups_extras_and_includes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pyproject.toml"), PYPROJECT).unwrap();
        let d = declared(dir.path(), &Selection::default(), None).unwrap();
        let names: Vec<&str> = d.tools.iter().map(|t| t.name.as_str()).collect();
        // Unknown environment: every marker holds. docs, socks and bench
        // are not dev names.
        assert_eq!(
            names,
            ["ruff", "pip-audit", "mypy", "types-requests", "old-tool"]
        );
        assert_eq!(d.not_counted, ["extra docs", "extra socks", "group bench"]);
        let audit = &d.tools[1];
        assert!(matches!(audit.expectation, Expectation::Pin(_)));
        assert_eq!(audit.groups, BTreeSet::from([GroupRef::Extra("qa".into())]));
        let types = &d.tools[3];
        assert_eq!(
            types.groups,
            BTreeSet::from([
                GroupRef::Group("lint".into()),
                GroupRef::Group("typing".into())
            ])
        );
        assert_eq!(types.expectation, Expectation::Any);
        assert!(d.tools.iter().all(DeclaredTool::needs_command));
    }

    #[test]
    fn markers_are_evaluated_against_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pyproject.toml"), PYPROJECT).unwrap();
        let py37 = markers("3.7.17");
        let d = declared(dir.path(), &Selection::default(), Some(&py37)).unwrap();
        let names: Vec<&str> = d.tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["ruff", "pip-audit", "types-requests", "old-tool"]);
        assert_eq!(d.skipped.len(), 1);
        assert_eq!(d.skipped[0].name, "mypy");
        assert_eq!(d.skipped[0].reason, "marker");
        assert!(
            d.skipped[0].detail.contains("python_full_version >= '3.9'")
                || d.skipped[0].detail.contains("python_version"),
            "{:?}",
            d.skipped
        );
        let py312 = markers("3.12.1");
        let d = declared(dir.path(), &Selection::default(), Some(&py312)).unwrap();
        let names: Vec<&str> = d.tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["ruff", "pip-audit", "mypy", "types-requests"]);
        assert_eq!(d.skipped[0].name, "old-tool");
    }

    #[test]
    fn the_user_chooses_groups_and_extras() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pyproject.toml"), PYPROJECT).unwrap();
        let sel = |groups: Option<&[&str]>, extras: Option<&[&str]>| {
            let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            Selection {
                groups: pyproject::Choice::from_config(groups.map(v).as_deref()),
                extras: pyproject::Choice::from_config(extras.map(v).as_deref()),
                config_file: PathBuf::from("hephaestus.toml"),
            }
        };
        let names = |s: &Selection| {
            declared(dir.path(), s, None)
                .unwrap()
                .tools
                .into_iter()
                .map(|t| t.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(&sel(Some(&["bench"]), Some(&[]))),
            ["pytest-benchmark"]
        );
        assert_eq!(
            names(&sel(Some(&[]), Some(&["*"]))),
            ["ruff", "pip-audit", "sphinx", "pysocks"]
        );
        let err = declared(dir.path(), &sel(Some(&["lnt"]), None), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("hephaestus.toml: key `drift.groups`"), "{err}");
        assert!(
            err.contains("no dependency group \"lnt\" (it has: bench, lint, typing)"),
            "{err}"
        );
    }

    #[test]
    fn uv_legacy_dev_dependencies_are_the_dev_group() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[tool.uv]\ndev-dependencies = [\"ruff==0.14.0\"]\n",
        )
        .unwrap();
        let d = declared(dir.path(), &Selection::default(), None).unwrap();
        assert_eq!(d.tools[0].name, "ruff");
        assert_eq!(
            d.tools[0].groups,
            BTreeSet::from([GroupRef::Group("dev".into())])
        );
        assert_eq!(
            d.tools[0].origin.describe(),
            "pyproject.toml tool.uv.dev-dependencies"
        );
    }

    #[test]
    fn pyproject_errors_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[dependency-groups]\nlint = [\"ruff>=>1\"]\n",
        )
        .unwrap();
        let err = declared(dir.path(), &Selection::default(), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("dependency-groups.lint[0]"), "{err}");
        assert!(err.contains("pyproject.toml"), "{err}");
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[dependency-groups]\ndev = [{include-group = \"b\"}]\nb = [{include-group = \"dev\"}]\n",
        )
        .unwrap();
        let err = declared(dir.path(), &Selection::default(), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("includes itself"), "{err}");
    }
}
