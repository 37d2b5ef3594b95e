//! What the project declares: the expected version of each tool, where it
//! was declared, and (for Python tools) which extras and dependency groups
//! hold it, so remediation can name them.
//!
//! Three sources, read fresh on every check (a `--fix` re-check sees what
//! the fix changed):
//! - `[drift.tools]` in the configuration: when non-empty, the Python tool
//!   list (any tool may be declared, with an optional probe command,
//!   version pattern and install command);
//! - otherwise every entry of `[project.optional-dependencies]` and
//!   `[dependency-groups]` in `pyproject.toml` (PEP 508 requirements,
//!   `{include-group = ...}` followed, the project's own extras expanded);
//! - `rust-toolchain.toml` (or `rust-toolchain`) for `rustc` and `cargo`,
//!   unless `[drift.tools]` declares them itself.
//!
//! Version texts are parsed with `pep440_rs`/`pep508_rs`, names normalised
//! per PEP 503, so `Pip_Audit` and `pip-audit` are one tool.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep440_rs::{Operator, Version, VersionSpecifiers};
use pep508_rs::{PackageName, Requirement, VersionOrUrl};
use regex::Regex;

use super::DriftError;
use crate::config::model::DriftTool;

/// What counts as the right version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    /// Any installed version will do (`*`, a bare requirement, a URL).
    Any,
    /// `X.Y.Z` or `==X.Y.Z`: OK when major.minor match (patch ignored).
    Pin(Version),
    /// Any other PEP 440 specifier set: OK when the installed version
    /// satisfies it.
    Range(VersionSpecifiers),
    /// A Rust release channel (`stable`, `beta`, `nightly[-DATE]`): OK when
    /// the installed toolchain is from that channel.
    Channel(RustChannel),
}

/// A named Rust release channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RustChannel {
    Stable,
    Beta,
    Nightly,
}

impl RustChannel {
    pub fn name(self) -> &'static str {
        match self {
            RustChannel::Stable => "stable",
            RustChannel::Beta => "beta",
            RustChannel::Nightly => "nightly",
        }
    }
}

impl Expectation {
    /// The Expected column: a pin as its version, a range as its
    /// specifiers, `any`, or the channel text.
    pub fn display(&self) -> String {
        match self {
            Expectation::Any => "any".to_string(),
            Expectation::Pin(v) => v.to_string(),
            Expectation::Range(specs) => specs
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(","),
            Expectation::Channel(c) => c.name().to_string(),
        }
    }

    /// `pin`, `range`, `any` or `channel` (the JSON `expected_kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            Expectation::Any => "any",
            Expectation::Pin(_) => "pin",
            Expectation::Range(_) => "range",
            Expectation::Channel(_) => "channel",
        }
    }
}

/// Parse a declared version: `*` (any), a bare version or `==version` (a
/// pin), or any other PEP 440 specifier set (a range).
pub fn parse_expectation(text: &str) -> Result<Expectation, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("the version is empty (use \"*\" for any version)".to_string());
    }
    if t == "*" {
        return Ok(Expectation::Any);
    }
    if t.starts_with(|c: char| c.is_ascii_digit() || c == 'v' || c == 'V') {
        return Version::from_str(t)
            .map(Expectation::Pin)
            .map_err(|e| format!("invalid version {t:?}: {e}"));
    }
    let specs =
        VersionSpecifiers::from_str(t).map_err(|e| format!("invalid version specifier: {e}"))?;
    Ok(from_specifiers(specs))
}

/// A single `==X.Y.Z` is a pin; everything else a range; nothing is any.
fn from_specifiers(specs: VersionSpecifiers) -> Expectation {
    if specs.is_empty() {
        return Expectation::Any;
    }
    if specs.len() == 1 && *specs[0].operator() == Operator::Equal {
        return Expectation::Pin(specs[0].version().clone());
    }
    Expectation::Range(specs)
}

/// Parse a `rust-toolchain.toml` channel: a version (`1.95.0`, `1.95`) is a
/// pin, `stable`/`beta`/`nightly` (with an optional `-DATE` or host
/// suffix) a channel.
pub fn parse_rust_channel(text: &str) -> Result<Expectation, String> {
    let t = text.trim();
    for channel in [RustChannel::Stable, RustChannel::Beta, RustChannel::Nightly] {
        if t == channel.name() || t.starts_with(&format!("{}-", channel.name())) {
            return Ok(Expectation::Channel(channel));
        }
    }
    // `1.95.0-x86_64-unknown-linux-gnu`: the version is before the host.
    let version = t.split('-').next().unwrap_or(t);
    if version.split('.').count() >= 2 && version.split('.').all(|p| p.parse::<u64>().is_ok()) {
        return Version::from_str(version)
            .map(Expectation::Pin)
            .map_err(|e| format!("invalid toolchain version {t:?}: {e}"));
    }
    Err(format!(
        "unknown toolchain channel {t:?} (expected a version like \"1.95.0\", or stable, beta, nightly)"
    ))
}

/// Where a tool's expectation came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `[drift.tools]` in the configuration file.
    Config,
    /// An entry of `pyproject.toml` (`project.optional-dependencies.dev`,
    /// `dependency-groups.lint`).
    Pyproject { table: String },
    /// `rust-toolchain.toml` (or `rust-toolchain`).
    RustToolchain { file: PathBuf },
}

impl Origin {
    pub fn describe(&self) -> String {
        match self {
            Origin::Config => "[drift.tools]".to_string(),
            Origin::Pyproject { table } => format!("pyproject.toml {table}"),
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

/// The whole declaration of a project.
#[derive(Debug, Clone, Default)]
pub struct Declared {
    /// Tools in declaration order.
    pub tools: Vec<DeclaredTool>,
}

/// Normalise a distribution name per PEP 503 (`Pip_Audit` → `pip-audit`).
pub fn normalize_name(name: &str) -> Result<String, String> {
    PackageName::from_str(name.trim())
        .map(|n| n.to_string())
        .map_err(|e| format!("invalid tool name {name:?}: {e}"))
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
                    Some(p) => Some(super::probe::compile_pattern(p).map_err(|m| bad(key, m))?),
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

/// Everything `pyproject.toml` lists as optional dependencies or in
/// dependency groups, one entry per tool (the first declaration wins; all
/// groups that list it are kept for remediation). `None` when there is no
/// `pyproject.toml`.
pub fn from_pyproject(root: &Path) -> Result<Option<Vec<DeclaredTool>>, DriftError> {
    let path = root.join("pyproject.toml");
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).map_err(|source| DriftError::Read {
        path: path.clone(),
        source,
    })?;
    let doc: toml::Table = toml::from_str(&text).map_err(|e| DriftError::Config {
        file: path.clone(),
        key: String::new(),
        message: e.message().to_string(),
    })?;
    Pyproject { path: &path, doc }.dev_tools().map(Some)
}

struct Pyproject<'a> {
    path: &'a Path,
    doc: toml::Table,
}

impl Pyproject<'_> {
    fn err(&self, key: String, message: String) -> DriftError {
        DriftError::Config {
            file: self.path.to_path_buf(),
            key,
            message,
        }
    }

    fn table(&self, dotted: &str) -> Result<Option<&toml::Table>, DriftError> {
        let mut value: Option<&toml::Value> = None;
        let mut table = &self.doc;
        for (i, part) in dotted.split('.').enumerate() {
            if i > 0 {
                table = match value {
                    Some(toml::Value::Table(t)) => t,
                    Some(_) => {
                        return Err(self.err(dotted.to_string(), "expected a table".to_string()));
                    }
                    None => return Ok(None),
                };
            }
            value = table.get(part);
        }
        match value {
            None => Ok(None),
            Some(toml::Value::Table(t)) => Ok(Some(t)),
            Some(_) => Err(self.err(dotted.to_string(), "expected a table".to_string())),
        }
    }

    fn project_name(&self) -> Option<String> {
        let name = self.doc.get("project")?.get("name")?.as_str()?;
        normalize_name(name).ok()
    }

    fn dev_tools(&self) -> Result<Vec<DeclaredTool>, DriftError> {
        let own = self.project_name();
        let extras = self.table("project.optional-dependencies")?;
        let groups = self.table("dependency-groups")?;
        let mut found: Vec<(GroupRef, String, Requirement)> = Vec::new();
        if let Some(extras) = extras {
            for name in extras.keys() {
                let mut seen = BTreeSet::new();
                self.extra_requirements(extras, name, own.as_deref(), &mut seen, &mut found)?;
            }
        }
        if let Some(groups) = groups {
            for name in groups.keys() {
                let mut stack = Vec::new();
                self.group_requirements(
                    groups,
                    extras,
                    name,
                    own.as_deref(),
                    &mut stack,
                    &mut found,
                )?;
            }
        }
        let mut tools: Vec<DeclaredTool> = Vec::new();
        for (group, key, req) in found {
            let name = req.name.to_string();
            if let Some(existing) = tools.iter_mut().find(|t| t.name == name) {
                existing.groups.insert(group);
                continue;
            }
            let (expectation, declared) = match &req.version_or_url {
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
                origin: Origin::Pyproject { table: key },
                kind: ToolKind::Python,
                command: None,
                pattern: None,
                install: None,
                groups: BTreeSet::from([group]),
            });
        }
        Ok(tools)
    }

    /// The requirements of extra `name`, with the project's own extras
    /// (`myproject[test]`) expanded in place.
    fn extra_requirements(
        &self,
        extras: &toml::Table,
        name: &str,
        own: Option<&str>,
        seen: &mut BTreeSet<String>,
        out: &mut Vec<(GroupRef, String, Requirement)>,
    ) -> Result<(), DriftError> {
        if !seen.insert(name.to_string()) {
            return Ok(());
        }
        let key = format!("project.optional-dependencies.{name}");
        let Some(list) = extras.get(name) else {
            return Ok(());
        };
        let list = list
            .as_array()
            .ok_or_else(|| self.err(key.clone(), "expected a list of requirements".to_string()))?;
        for (i, item) in list.iter().enumerate() {
            let text = item.as_str().ok_or_else(|| {
                self.err(
                    format!("{key}[{i}]"),
                    "expected a requirement string".to_string(),
                )
            })?;
            let req = self.parse_requirement(&format!("{key}[{i}]"), text)?;
            if own == Some(req.name.as_ref()) {
                for extra in &req.extras {
                    self.extra_requirements(extras, extra.as_ref(), own, seen, out)?;
                }
                continue;
            }
            out.push((GroupRef::Extra(name.to_string()), key.clone(), req));
        }
        Ok(())
    }

    /// The requirements of dependency group `name` (PEP 735), following
    /// `{include-group = "..."}`; a cycle or an unknown group is an error.
    fn group_requirements(
        &self,
        groups: &toml::Table,
        extras: Option<&toml::Table>,
        name: &str,
        own: Option<&str>,
        stack: &mut Vec<String>,
        out: &mut Vec<(GroupRef, String, Requirement)>,
    ) -> Result<(), DriftError> {
        let key = format!("dependency-groups.{name}");
        let wanted = normalize_name(name).unwrap_or_else(|_| name.to_string());
        let Some((real, list)) = groups
            .iter()
            .find(|(k, _)| normalize_name(k).unwrap_or_else(|_| k.to_string()) == wanted)
        else {
            return Err(self.err(
                stack
                    .last()
                    .map_or(key.clone(), |g| format!("dependency-groups.{g}")),
                format!("includes the unknown group {name:?}"),
            ));
        };
        if stack.contains(real) {
            return Err(self.err(key, format!("group {real:?} includes itself")));
        }
        stack.push(real.clone());
        // Everything a group pulls in is installed by syncing the group
        // the user asked for (the outermost one).
        let top = stack.first().cloned().unwrap_or_else(|| real.clone());
        let list = list
            .as_array()
            .ok_or_else(|| self.err(key.clone(), "expected a list".to_string()))?;
        for (i, item) in list.iter().enumerate() {
            let item_key = format!("{key}[{i}]");
            match item {
                toml::Value::String(text) => {
                    let req = self.parse_requirement(&item_key, text)?;
                    if own == Some(req.name.as_ref()) {
                        if let Some(extras) = extras {
                            let mut seen = BTreeSet::new();
                            let mut inner = Vec::new();
                            for extra in &req.extras {
                                self.extra_requirements(
                                    extras,
                                    extra.as_ref(),
                                    own,
                                    &mut seen,
                                    &mut inner,
                                )?;
                            }
                            out.extend(
                                inner
                                    .into_iter()
                                    .map(|(_, k, r)| (GroupRef::Group(top.clone()), k, r)),
                            );
                        }
                        continue;
                    }
                    out.push((GroupRef::Group(top.clone()), key.clone(), req));
                }
                toml::Value::Table(t) => {
                    let include = t.get("include-group").and_then(|v| v.as_str());
                    match include {
                        Some(inc) if t.len() == 1 => {
                            self.group_requirements(groups, extras, inc, own, stack, out)?;
                        }
                        _ => {
                            return Err(self.err(
                                item_key,
                                "a table entry must be {include-group = \"name\"}".to_string(),
                            ));
                        }
                    }
                }
                _ => {
                    return Err(self.err(
                        item_key,
                        "expected a requirement string or {include-group = \"name\"}".to_string(),
                    ));
                }
            }
        }
        stack.pop();
        Ok(())
    }

    fn parse_requirement(&self, key: &str, text: &str) -> Result<Requirement, DriftError> {
        Requirement::from_str(text).map_err(|e| {
            self.err(
                key.to_string(),
                format!("invalid requirement {text:?}: {}", e.message),
            )
        })
    }
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

/// All tools of the project: `[drift.tools]` (or the pyproject dev tools
/// when it is empty), then the Rust toolchain unless already declared.
/// Groups from `pyproject.toml` are attached to configured tools too, so a
/// uv project can remediate with `uv sync`.
pub fn collect(root: &Path, configured: &[DeclaredTool]) -> Result<Declared, DriftError> {
    let pyproject = from_pyproject(root)?;
    let mut tools: Vec<DeclaredTool> = if configured.is_empty() {
        pyproject.clone().unwrap_or_default()
    } else {
        let mut tools = configured.to_vec();
        for tool in &mut tools {
            if let Some(p) = pyproject.iter().flatten().find(|p| p.name == tool.name) {
                tool.groups = p.groups.clone();
            }
        }
        tools
    };
    for rust in from_rust_toolchain(root)? {
        if !tools.iter().any(|t| t.name == rust.name) {
            tools.push(rust);
        }
    }
    Ok(Declared { tools })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_ranges_and_any() {
        assert!(matches!(
            parse_expectation("0.14.0"),
            Ok(Expectation::Pin(_))
        ));
        assert!(matches!(
            parse_expectation("==0.14.0"),
            Ok(Expectation::Pin(_))
        ));
        assert!(matches!(
            parse_expectation(">=1.18,<2"),
            Ok(Expectation::Range(_))
        ));
        assert!(matches!(
            parse_expectation("==1.*"),
            Ok(Expectation::Range(_))
        ));
        assert!(matches!(
            parse_expectation("~=1.18"),
            Ok(Expectation::Range(_))
        ));
        assert_eq!(parse_expectation("*"), Ok(Expectation::Any));
        assert!(parse_expectation(">=banana").is_err());
        assert!(parse_expectation("").is_err());
        assert!(parse_expectation("~=1").is_err());
    }

    #[test]
    fn rust_channels() {
        assert_eq!(
            parse_rust_channel("stable"),
            Ok(Expectation::Channel(RustChannel::Stable))
        );
        assert_eq!(
            parse_rust_channel("nightly-2026-01-01"),
            Ok(Expectation::Channel(RustChannel::Nightly))
        );
        assert!(matches!(
            parse_rust_channel("1.95.0"),
            Ok(Expectation::Pin(_))
        ));
        assert!(matches!(
            parse_rust_channel("1.95"),
            Ok(Expectation::Pin(_))
        ));
        assert!(matches!(
            parse_rust_channel("1.95.0-x86_64-unknown-linux-gnu"),
            Ok(Expectation::Pin(_))
        ));
        assert!(parse_rust_channel("my-toolchain").is_err());
    }

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

    #[test]
    fn pyproject_groups_extras_and_includes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            r#"
[project]
name = "My_Proj"
[project.optional-dependencies]
dev = ["Ruff>=0.14.0", "my-proj[qa]"]
qa = ["pip_audit==2.9.0"]
[dependency-groups]
lint = ["mypy>=1.18,<2 ; python_version >= '3.9'", {include-group = "typing"}]
typing = ["types-requests"]
"#,
        )
        .unwrap();
        let tools = from_pyproject(dir.path()).unwrap().unwrap();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["ruff", "pip-audit", "mypy", "types-requests"]);
        let audit = &tools[1];
        assert!(matches!(audit.expectation, Expectation::Pin(_)));
        assert_eq!(audit.groups, BTreeSet::from([GroupRef::Extra("qa".into())]));
        let types = &tools[3];
        assert_eq!(
            types.groups,
            BTreeSet::from([
                GroupRef::Group("lint".into()),
                GroupRef::Group("typing".into())
            ])
        );
        assert_eq!(types.expectation, Expectation::Any);
    }

    #[test]
    fn pyproject_errors_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[dependency-groups]\nlint = [\"ruff>=>1\"]\n",
        )
        .unwrap();
        let err = from_pyproject(dir.path()).unwrap_err().to_string();
        assert!(err.contains("dependency-groups.lint[0]"), "{err}");
        assert!(err.contains("pyproject.toml"), "{err}");
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[dependency-groups]\na = [{include-group = \"b\"}]\nb = [{include-group = \"a\"}]\n",
        )
        .unwrap();
        let err = from_pyproject(dir.path()).unwrap_err().to_string();
        assert!(err.contains("includes itself"), "{err}");
    }
}
