//! The project's configuration files, read once: `pyproject.toml`,
//! `ruff.toml`/`.ruff.toml`, `mypy.ini`/`.mypy.ini`, `setup.cfg`,
//! `tox.ini`, `pytest.ini`/`.pytest.ini`, and the requirements files; and
//! the names of the packages the project declares anywhere in them.
//!
//! Only the root directory is read, which is where the presets run the
//! tools from and where each tool looks first. A file that is missing is
//! simply absent; a TOML file that does not parse is an error naming it
//! (the tool would refuse it too).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::ToolCfgError;
use super::ini::Ini;

/// A TOML file and its parsed table.
#[derive(Debug, Clone)]
pub struct TomlFile {
    pub path: PathBuf,
    pub doc: toml::Table,
}

impl TomlFile {
    /// The value at a dotted path of keys (`["tool", "ruff", "fix"]`).
    pub fn get(&self, keys: &[&str]) -> Option<&toml::Value> {
        let (last, parents) = keys.split_last()?;
        let mut table = &self.doc;
        for k in parents {
            table = table.get(*k)?.as_table()?;
        }
        table.get(*last)
    }

    /// The table at a dotted path, when it is one.
    pub fn table(&self, keys: &[&str]) -> Option<&toml::Table> {
        self.get(keys)?.as_table()
    }
}

/// An INI file and its parsed sections.
#[derive(Debug, Clone)]
pub struct IniFile {
    pub path: PathBuf,
    pub ini: Ini,
}

/// Every file the decisions read.
#[derive(Debug, Clone, Default)]
pub struct ProjectFiles {
    pub pyproject: Option<TomlFile>,
    /// `.ruff.toml`, else `ruff.toml` (ruff's own precedence).
    pub ruff_toml: Option<TomlFile>,
    /// `mypy.ini`, else `.mypy.ini`.
    pub mypy_ini: Option<IniFile>,
    pub setup_cfg: Option<IniFile>,
    pub tox_ini: Option<IniFile>,
    /// `pytest.ini`, else `.pytest.ini`.
    pub pytest_ini: Option<IniFile>,
    /// `.flake8` (flake8 also reads `setup.cfg` and `tox.ini`).
    pub flake8_ini: Option<IniFile>,
    /// `.isort.cfg` (isort also reads `pyproject.toml`, `setup.cfg`,
    /// `tox.ini`).
    pub isort_cfg: Option<IniFile>,
    /// Requirements files: `requirements*.txt`/`.in` and
    /// `*-requirements.txt` at the root, every `.txt`/`.in` in
    /// `requirements/`, as (path relative to the root, text).
    pub requirements: Vec<(String, String)>,
}

fn read_text(path: &Path) -> Result<Option<String>, ToolCfgError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(_) if path.is_dir() => Ok(None),
        Err(source) => Err(ToolCfgError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn read_toml(path: PathBuf) -> Result<Option<TomlFile>, ToolCfgError> {
    let Some(text) = read_text(&path)? else {
        return Ok(None);
    };
    let doc = toml::from_str::<toml::Table>(&text).map_err(|e| ToolCfgError::Toml {
        path: path.clone(),
        message: e.message().to_string(),
    })?;
    Ok(Some(TomlFile { path, doc }))
}

fn read_ini(path: PathBuf) -> Result<Option<IniFile>, ToolCfgError> {
    Ok(read_text(&path)?.map(|text| IniFile {
        ini: Ini::parse(&text),
        path,
    }))
}

fn first<T>(
    root: &Path,
    names: &[&str],
    read: fn(PathBuf) -> Result<Option<T>, ToolCfgError>,
) -> Result<Option<T>, ToolCfgError> {
    for name in names {
        if let Some(found) = read(root.join(name))? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// Is this file name a requirements file at the root?
fn is_root_requirements(name: &str) -> bool {
    let (stem, ext) = match name.rsplit_once('.') {
        Some(parts) => parts,
        None => return false,
    };
    (ext == "txt" || ext == "in")
        && (stem.starts_with("requirements")
            || stem.ends_with("-requirements")
            || stem.ends_with("_requirements"))
}

fn sorted_names(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

impl ProjectFiles {
    /// Read the files at `root`.
    pub fn read(root: &Path) -> Result<ProjectFiles, ToolCfgError> {
        let mut requirements = Vec::new();
        for name in sorted_names(root)
            .into_iter()
            .filter(|n| is_root_requirements(n))
        {
            if let Some(text) = read_text(&root.join(&name))? {
                requirements.push((name, text));
            }
        }
        for name in sorted_names(&root.join("requirements"))
            .into_iter()
            .filter(|n| n.ends_with(".txt") || n.ends_with(".in"))
        {
            if let Some(text) = read_text(&root.join("requirements").join(&name))? {
                requirements.push((format!("requirements/{name}"), text));
            }
        }
        Ok(ProjectFiles {
            pyproject: read_toml(root.join("pyproject.toml"))?,
            ruff_toml: first(root, &[".ruff.toml", "ruff.toml"], read_toml)?,
            mypy_ini: first(root, &["mypy.ini", ".mypy.ini"], read_ini)?,
            setup_cfg: read_ini(root.join("setup.cfg"))?,
            tox_ini: read_ini(root.join("tox.ini"))?,
            pytest_ini: first(root, &["pytest.ini", ".pytest.ini"], read_ini)?,
            flake8_ini: read_ini(root.join(".flake8"))?,
            isort_cfg: read_ini(root.join(".isort.cfg"))?,
            requirements,
        })
    }

    /// Every package the project declares, by PEP 503 name, with where
    /// (`pyproject.toml [dependency-groups] dev`): runtime dependencies,
    /// extras, dependency groups, uv's and Poetry's dev dependencies,
    /// `setup.cfg` `install_requires`/`extras_require`, and the
    /// requirements files.
    pub fn declared(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut add = |name: Option<String>, from: &str| {
            if let Some(name) = name {
                let list = out.entry(name).or_default();
                if !list.iter().any(|f| f == from) {
                    list.push(from.to_string());
                }
            }
        };
        if let Some(py) = &self.pyproject {
            let strings = |v: Option<&toml::Value>| -> Vec<String> {
                v.and_then(|v| v.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            for r in strings(py.get(&["project", "dependencies"])) {
                add(
                    requirement_name(&r),
                    "pyproject.toml [project] dependencies",
                );
            }
            let keyed = [
                (
                    &["project", "optional-dependencies"][..],
                    "[project.optional-dependencies]",
                ),
                (&["dependency-groups"][..], "[dependency-groups]"),
            ];
            for (keys, label) in keyed {
                for (group, list) in py.table(keys).into_iter().flatten() {
                    for r in strings(Some(list)) {
                        add(
                            requirement_name(&r),
                            &format!("pyproject.toml {label} {group}"),
                        );
                    }
                }
            }
            for r in strings(py.get(&["tool", "uv", "dev-dependencies"])) {
                add(
                    requirement_name(&r),
                    "pyproject.toml [tool.uv] dev-dependencies",
                );
            }
            let poetry = |keys: &[&str]| -> Vec<String> {
                py.table(keys)
                    .map(|t| t.keys().cloned().collect())
                    .unwrap_or_default()
            };
            for n in poetry(&["tool", "poetry", "dependencies"])
                .into_iter()
                .chain(poetry(&["tool", "poetry", "dev-dependencies"]))
            {
                add(normalize(&n), "pyproject.toml [tool.poetry]");
            }
            for (group, _) in py.table(&["tool", "poetry", "group"]).into_iter().flatten() {
                for n in poetry(&["tool", "poetry", "group", group, "dependencies"]) {
                    add(
                        normalize(&n),
                        &format!("pyproject.toml [tool.poetry.group.{group}]"),
                    );
                }
            }
        }
        if let Some(cfg) = &self.setup_cfg {
            if let Some(list) = cfg.ini.get("options", "install_requires") {
                for r in list.lines() {
                    add(requirement_name(r), "setup.cfg install_requires");
                }
            }
            for (extra, list) in cfg.ini.entries("options.extras_require") {
                for r in list.lines() {
                    add(
                        requirement_name(r),
                        &format!("setup.cfg [options.extras_require] {extra}"),
                    );
                }
            }
        }
        for (file, text) in &self.requirements {
            for line in text.lines() {
                let line = line.split(" #").next().unwrap_or_default().trim();
                if line.starts_with('-') || line.starts_with('#') {
                    continue;
                }
                add(requirement_name(line), file);
            }
        }
        out
    }
}

/// PEP 503 form of a distribution name (`Pytest_Cov` → `pytest-cov`).
pub fn normalize(name: &str) -> Option<String> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if c == '-' || c == '_' || c == '.' {
            sep = true;
            continue;
        }
        if !c.is_ascii_alphanumeric() {
            return None;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.push(c.to_ascii_lowercase());
    }
    (!out.is_empty()).then_some(out)
}

/// The distribution a PEP 508 requirement names (`black[jupyter]>=24;
/// python_version > "3.8"` → `black`); `None` for paths, URLs and lines
/// that name nothing.
pub fn requirement_name(requirement: &str) -> Option<String> {
    let r = requirement.trim();
    let end = r
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .unwrap_or(r.len());
    let name = &r[..end];
    // `./pkg`, `/abs/path`, `https://…`: not a name.
    let rest = &r[end..];
    if rest.starts_with(':') || rest.starts_with('/') || name.starts_with('.') {
        return None;
    }
    normalize(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            requirement_name("black[jupyter]>=24; python_version > '3.8'").as_deref(),
            Some("black")
        );
        assert_eq!(
            requirement_name("Pytest_Cov==4.1.0").as_deref(),
            Some("pytest-cov")
        );
        assert_eq!(requirement_name("  ruff  ").as_deref(), Some("ruff"));
        assert_eq!(requirement_name("./local/pkg"), None);
        assert_eq!(requirement_name("https://example.com/x.whl"), None);
        assert_eq!(requirement_name(""), None);
        assert_eq!(
            normalize("zope.interface").as_deref(),
            Some("zope-interface")
        );
        assert!(is_root_requirements("requirements-dev.txt"));
        assert!(is_root_requirements("dev-requirements.in"));
        assert!(!is_root_requirements("requirements.md"));
        assert!(!is_root_requirements("README.txt"));
    }
}
