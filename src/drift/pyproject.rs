//! The dev requirements of `pyproject.toml`: the entries of the extras
//! (`[project.optional-dependencies]`) and dependency groups
//! (`[dependency-groups]`, PEP 735, plus uv's legacy
//! `[tool.uv] dev-dependencies`, which uv treats as the `dev` group) that
//! the user chose to count.
//!
//! By default a group or an extra counts when its name says it holds
//! development tools ([`DEFAULT_NAMES`]: `dev`, `lint`, `test`, `typing`
//! and their usual spellings), so `docs`, `benchmark` or `socks` extras
//! never turn into rows; `[drift] groups`/`extras` choose others by name
//! or all of them with `"*"`. Includes are followed (`{include-group =
//! ...}`, and a requirement on the project's own extras such as
//! `myproj[test]`), whatever their own names.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep508_rs::Requirement;

use super::DriftError;
use super::declared::{Candidate, GroupRef, Origin};
use crate::versions::normalize_name;

/// Group and extra names that count unless `[drift] groups`/`extras` say
/// otherwise (compared after PEP 503 normalisation).
pub const DEFAULT_NAMES: &[&str] = &[
    "dev",
    "devel",
    "develop",
    "development",
    "lint",
    "linting",
    "linters",
    "test",
    "tests",
    "testing",
    "typing",
    "types",
    "typecheck",
    "type-check",
    "mypy",
    "qa",
    "check",
    "checks",
    "style",
];

/// Which groups (or extras) count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Choice {
    /// Those named like development tools ([`DEFAULT_NAMES`]).
    #[default]
    Default,
    /// All of them (`["*"]`).
    All,
    /// Exactly these (an empty list: none).
    Named(Vec<String>),
}

impl Choice {
    /// From a `[drift] groups`/`extras` value: unset is the default, a list
    /// with `"*"` is all.
    pub fn from_config(list: Option<&[String]>) -> Choice {
        match list {
            None => Choice::Default,
            Some(l) if l.iter().any(|n| n.trim() == "*") => Choice::All,
            Some(l) => Choice::Named(l.to_vec()),
        }
    }

    fn counts(&self, name: &str) -> bool {
        let n = normalize_name(name).unwrap_or_else(|_| name.to_string());
        match self {
            Choice::Default => DEFAULT_NAMES.contains(&n.as_str()),
            Choice::All => true,
            Choice::Named(names) => names
                .iter()
                .any(|c| normalize_name(c).unwrap_or_else(|_| c.clone()) == n),
        }
    }
}

/// The user's choice of dependency groups and extras, and where it was
/// written (for errors).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub groups: Choice,
    pub extras: Choice,
    /// The configuration file (`hephaestus.toml` or `pyproject.toml`).
    pub config_file: PathBuf,
}

/// What `pyproject.toml` declares for development.
#[derive(Debug, Clone, Default)]
pub struct DevRequirements {
    /// The requirements of the chosen groups and extras, in file order
    /// (extras first, then groups).
    pub candidates: Vec<Candidate>,
    /// Groups and extras that exist but do not count (`extra docs`,
    /// `group bench`), for the hint when nothing counts.
    pub not_counted: Vec<String>,
}

/// Read the dev requirements of `root/pyproject.toml` (`None` without the
/// file; then a named group or extra is an error).
pub fn read(root: &Path, selection: &Selection) -> Result<Option<DevRequirements>, DriftError> {
    let path = root.join("pyproject.toml");
    if !path.is_file() {
        for (key, choice) in [
            ("drift.groups", &selection.groups),
            ("drift.extras", &selection.extras),
        ] {
            if let Choice::Named(names) = choice
                && !names.is_empty()
            {
                return Err(DriftError::Config {
                    file: selection.config_file.clone(),
                    key: key.to_string(),
                    message: format!(
                        "names {} but there is no pyproject.toml in {}",
                        names.join(", "),
                        root.display()
                    ),
                });
            }
        }
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
    Pyproject { path: &path, doc }
        .dev_requirements(selection)
        .map(Some)
}

struct Pyproject<'a> {
    path: &'a Path,
    doc: toml::Table,
}

/// A found requirement: the group or extra it counts for, its key.
type Found = (GroupRef, String, Requirement);

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

    /// `[tool.uv] dev-dependencies` (uv's `dev` group before PEP 735).
    fn uv_dev_dependencies(&self) -> Result<Option<&Vec<toml::Value>>, DriftError> {
        let Some(uv) = self.table("tool.uv")? else {
            return Ok(None);
        };
        match uv.get("dev-dependencies") {
            None => Ok(None),
            Some(toml::Value::Array(a)) => Ok(Some(a)),
            Some(_) => Err(self.err(
                "tool.uv.dev-dependencies".to_string(),
                "expected a list of requirements".to_string(),
            )),
        }
    }

    fn dev_requirements(&self, selection: &Selection) -> Result<DevRequirements, DriftError> {
        let own = self.project_name();
        let extras = self.table("project.optional-dependencies")?;
        let groups = self.table("dependency-groups")?;
        let uv_dev = self.uv_dev_dependencies()?;
        let extra_names: Vec<&String> = extras.map(|t| t.keys().collect()).unwrap_or_default();
        let mut group_names: Vec<String> = groups
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default();
        if uv_dev.is_some() && !group_names.iter().any(|g| g == "dev") {
            group_names.push("dev".to_string());
        }
        let group_refs: Vec<&String> = group_names.iter().collect();
        for (key, what, choice, existing) in [
            ("drift.extras", "extra", &selection.extras, &extra_names),
            (
                "drift.groups",
                "dependency group",
                &selection.groups,
                &group_refs,
            ),
        ] {
            self.check_named(&selection.config_file, key, what, choice, existing)?;
        }

        let mut found: Vec<Found> = Vec::new();
        let mut not_counted = Vec::new();
        if let Some(extras) = extras {
            for name in extras.keys() {
                if !selection.extras.counts(name) {
                    not_counted.push(format!("extra {name}"));
                    continue;
                }
                let mut seen = BTreeSet::new();
                self.extra_requirements(extras, name, own.as_deref(), &mut seen, &mut found)?;
            }
        }
        for name in &group_names {
            if !selection.groups.counts(name) {
                not_counted.push(format!("group {name}"));
                continue;
            }
            if let Some(groups) = groups
                && groups.contains_key(name)
            {
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
            if name == "dev"
                && let Some(list) = uv_dev
            {
                for (i, item) in list.iter().enumerate() {
                    let key = format!("tool.uv.dev-dependencies[{i}]");
                    let text = item.as_str().ok_or_else(|| {
                        self.err(key.clone(), "expected a requirement string".to_string())
                    })?;
                    let req = self.parse_requirement(&key, text)?;
                    found.push((
                        GroupRef::Group("dev".to_string()),
                        "tool.uv.dev-dependencies".to_string(),
                        req,
                    ));
                }
            }
        }
        let candidates = found
            .into_iter()
            .map(|(group, key, requirement)| Candidate {
                requirement,
                origin: Origin::Pyproject { table: key },
                group: Some(group),
            })
            .collect();
        Ok(DevRequirements {
            candidates,
            not_counted,
        })
    }

    /// Every name the user chose must exist.
    fn check_named(
        &self,
        config_file: &Path,
        key: &str,
        what: &str,
        choice: &Choice,
        existing: &[&String],
    ) -> Result<(), DriftError> {
        let Choice::Named(names) = choice else {
            return Ok(());
        };
        let norm = |n: &str| normalize_name(n).unwrap_or_else(|_| n.to_string());
        for name in names {
            if !existing.iter().any(|e| norm(e) == norm(name)) {
                let has = if existing.is_empty() {
                    "none".to_string()
                } else {
                    existing
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                return Err(DriftError::Config {
                    file: config_file.to_path_buf(),
                    key: key.to_string(),
                    message: format!(
                        "{} has no {what} {name:?} (it has: {has})",
                        self.path.display()
                    ),
                });
            }
        }
        Ok(())
    }

    /// The requirements of extra `name`, with the project's own extras
    /// (`myproject[test]`) expanded in place.
    fn extra_requirements(
        &self,
        extras: &toml::Table,
        name: &str,
        own: Option<&str>,
        seen: &mut BTreeSet<String>,
        out: &mut Vec<Found>,
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
        out: &mut Vec<Found>,
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
