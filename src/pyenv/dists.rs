//! The distributions installed in an environment, as `importlib.metadata`
//! sees them: a `*.dist-info` (or legacy `*.egg-info`) entry in a
//! `site-packages` directory, its `Version:` header, and the commands it
//! installed.
//!
//! Scanning lists the directories once and indexes the entries by their
//! PEP 503 name; a distribution's files are opened only when asked about
//! (its metadata headers up to the first blank line; `entry_points.txt`;
//! `RECORD` only when there are no entry points). A distribution installs
//! a command when `entry_points.txt` has `console_scripts` or
//! `gui_scripts`, or its `RECORD` (`installed-files.txt` for eggs) lists a
//! file outside `site-packages` in a `bin` or `Scripts` directory — how
//! binary tools such as ruff install theirs.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use pep440_rs::Version;

use crate::versions::normalize_loose;

/// Every distribution found in some `site-packages` directories.
#[derive(Debug, Clone, Default)]
pub struct Installed {
    /// PEP 503 name → entries, in `site-packages` order (the first one is
    /// the one Python imports).
    by_name: HashMap<String, Vec<DistDir>>,
}

/// One `*.dist-info` / `*.egg-info` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistDir {
    /// The entry (a directory; an `.egg-info` may be a single file).
    pub path: PathBuf,
    /// The `site-packages` directory it is in.
    pub site: PathBuf,
    egg: bool,
}

/// A distribution's name and version, from its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dist {
    /// The `Name:` header, as written.
    pub name: String,
    pub version: Version,
    /// The `Version:` header, as written.
    pub version_text: String,
}

/// A distribution whose metadata cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DistError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

impl Installed {
    /// Index the entries of `site_packages` (unreadable directories are
    /// skipped: they hold nothing Python could import either).
    pub fn scan(site_packages: &[PathBuf]) -> Installed {
        let mut by_name: HashMap<String, Vec<DistDir>> = HashMap::new();
        for site in site_packages {
            let Ok(entries) = std::fs::read_dir(site) else {
                continue;
            };
            let mut found: Vec<(String, DistDir)> = entries
                .flatten()
                .filter_map(|entry| {
                    let file_name = entry.file_name();
                    let file_name = file_name.to_str()?;
                    let (stem, egg) = if let Some(s) = file_name.strip_suffix(".dist-info") {
                        (s, false)
                    } else if let Some(s) = file_name.strip_suffix(".egg-info") {
                        (s, true)
                    } else {
                        return None;
                    };
                    // `name-version` (names escape `-` as `_`); an editable
                    // egg is just `name.egg-info`.
                    let name = stem.split('-').next().unwrap_or(stem);
                    Some((
                        normalize_loose(name),
                        DistDir {
                            path: entry.path(),
                            site: site.clone(),
                            egg,
                        },
                    ))
                })
                .collect();
            found.sort_by(|a, b| a.1.path.cmp(&b.1.path));
            for (name, dir) in found {
                by_name.entry(name).or_default().push(dir);
            }
        }
        Installed { by_name }
    }

    /// The entry Python would import for `name` (any spelling).
    pub fn find(&self, name: &str) -> Option<&DistDir> {
        self.by_name.get(&normalize_loose(name))?.first()
    }
}

impl DistDir {
    /// The metadata file: `METADATA`, or `PKG-INFO` for an egg (which may
    /// be the entry itself).
    fn metadata_file(&self) -> PathBuf {
        if !self.egg {
            self.path.join("METADATA")
        } else if self.path.is_dir() {
            self.path.join("PKG-INFO")
        } else {
            self.path.clone()
        }
    }

    /// Name and version from the metadata headers.
    pub fn read(&self) -> Result<Dist, DistError> {
        let path = self.metadata_file();
        let file = std::fs::File::open(&path).map_err(|source| DistError::Read {
            path: path.clone(),
            source,
        })?;
        let mut name = None;
        let mut version = None;
        for line in BufReader::new(file).lines() {
            let line = line.map_err(|source| DistError::Read {
                path: path.clone(),
                source,
            })?;
            if line.trim().is_empty() {
                break; // the body (long description) starts here
            }
            if let Some((key, value)) = line.split_once(':') {
                match key.trim().to_ascii_lowercase().as_str() {
                    "name" if name.is_none() => name = Some(value.trim().to_string()),
                    "version" if version.is_none() => version = Some(value.trim().to_string()),
                    _ => {}
                }
            }
            if name.is_some() && version.is_some() {
                break;
            }
        }
        let invalid = |message: String| DistError::Invalid {
            path: path.clone(),
            message,
        };
        let name = name.ok_or_else(|| invalid("no `Name:` header".to_string()))?;
        let version_text = version.ok_or_else(|| invalid("no `Version:` header".to_string()))?;
        let version = Version::from_str(&version_text)
            .map_err(|e| invalid(format!("invalid version {version_text:?}: {e}")))?;
        Ok(Dist {
            name,
            version,
            version_text,
        })
    }

    /// The commands the distribution installed (see the module docs).
    pub fn commands(&self) -> Result<Vec<String>, DistError> {
        if !self.path.is_dir() {
            return Ok(Vec::new()); // a single-file egg-info lists nothing
        }
        let mut commands = entry_point_scripts(&self.path.join("entry_points.txt"))?;
        if commands.is_empty() {
            commands = if self.egg {
                installed_scripts(&self.path.join("installed-files.txt"), &self.path)?
            } else {
                installed_scripts(&self.path.join("RECORD"), &self.site)?
            };
        }
        Ok(commands)
    }
}

/// The names under `[console_scripts]` and `[gui_scripts]`.
fn entry_point_scripts(path: &Path) -> Result<Vec<String>, DistError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(DistError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let mut out = Vec::new();
    let mut in_scripts = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_scripts = matches!(section.trim(), "console_scripts" | "gui_scripts");
            continue;
        }
        if in_scripts && let Some((name, _)) = line.split_once('=') {
            out.push(name.trim().to_string());
        }
    }
    Ok(out)
}

/// Files a `RECORD` (or `installed-files.txt`) lists in a `bin` or
/// `Scripts` directory outside `base`, by file name.
fn installed_scripts(list: &Path, base: &Path) -> Result<Vec<String>, DistError> {
    let file = match std::fs::File::open(list) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(DistError::Read {
                path: list.to_path_buf(),
                source,
            });
        }
    };
    let mut out = Vec::new();
    for line in BufReader::new(file).lines() {
        let line = line.map_err(|source| DistError::Read {
            path: list.to_path_buf(),
            source,
        })?;
        let rel = first_csv_field(&line);
        if !(rel.starts_with("../") || rel.starts_with("..\\") || Path::new(&rel).is_absolute()) {
            continue;
        }
        let full = lexical_join(base, &rel.replace('\\', "/"));
        if full.starts_with(base) {
            continue;
        }
        let in_bin = full
            .parent()
            .and_then(|p| p.file_name())
            .is_some_and(|d| d == "bin" || d == "Scripts");
        if in_bin && let Some(name) = full.file_name().and_then(|n| n.to_str()) {
            out.push(name.trim_end_matches(".exe").to_string());
        }
    }
    Ok(out)
}

/// The first field of a CSV line (`RECORD` quotes paths with commas).
fn first_csv_field(line: &str) -> String {
    let Some(rest) = line.strip_prefix('"') else {
        return line.split(',').next().unwrap_or("").to_string();
    };
    let mut out = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() == Some(&'"') {
                chars.next();
                out.push('"');
            } else {
                break;
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `base` joined with `rel`, `..` resolved without touching the disk.
fn lexical_join(base: &Path, rel: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for component in base.join(rel).components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn console_scripts_record_scripts_and_libraries() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("lib/python3.12/site-packages");
        let black = site.join("black-25.9.0.dist-info");
        write(
            &black.join("METADATA"),
            "Metadata-Version: 2.1\nName: black\nVersion: 25.9.0\n\nVersion: 1.0 in the body\n",
        );
        write(
            &black.join("entry_points.txt"),
            "[console_scripts]\nblack = black:main\nblackd = blackd:main [d]\n\n[other]\nx = y\n",
        );
        let ruff = site.join("ruff-0.14.5.dist-info");
        write(&ruff.join("METADATA"), "Name: ruff\nVersion: 0.14.5\n");
        write(
            &ruff.join("RECORD"),
            "ruff/__init__.py,sha256=x,1\n../../../bin/ruff,sha256=y,2\nruff-0.14.5.dist-info/RECORD,,\n",
        );
        let lib = site.join("Typing_Extensions-4.12.0.dist-info");
        write(
            &lib.join("METADATA"),
            "Name: typing_extensions\nVersion: 4.12.0\n",
        );
        write(
            &lib.join("RECORD"),
            "\"odd,name.py\",sha256=z,3\ntyping_extensions.py,,\n",
        );
        let installed = Installed::scan(std::slice::from_ref(&site));
        assert_eq!(installed.by_name.values().map(Vec::len).sum::<usize>(), 3);
        let b = installed.find("Black").unwrap();
        assert_eq!(b.read().unwrap().version_text, "25.9.0");
        assert_eq!(b.commands().unwrap(), ["black", "blackd"]);
        let r = installed.find("ruff").unwrap();
        assert_eq!(r.commands().unwrap(), ["ruff"]);
        let t = installed.find("typing-extensions").unwrap();
        assert_eq!(t.read().unwrap().name, "typing_extensions");
        assert!(t.commands().unwrap().is_empty());
        assert!(installed.find("requests").is_none());
    }

    #[test]
    fn eggs_and_bad_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site-packages");
        write(
            &site.join("old.egg-info/PKG-INFO"),
            "Name: old\nVersion: 1.2\n",
        );
        write(
            &site.join("old.egg-info/installed-files.txt"),
            "../old/__init__.py\n../../../../bin/old-tool\n",
        );
        write(
            &site.join("single-0.1-py3.12.egg-info"),
            "Name: single\nVersion: 0.1\n",
        );
        write(
            &site.join("broken-1.0.dist-info/METADATA"),
            "Name: broken\nVersion: one\n",
        );
        let installed = Installed::scan(std::slice::from_ref(&site));
        let old = installed.find("old").unwrap();
        assert_eq!(old.read().unwrap().version.to_string(), "1.2");
        assert_eq!(old.commands().unwrap(), ["old-tool"]);
        let single = installed.find("single").unwrap();
        assert_eq!(single.read().unwrap().version.to_string(), "0.1");
        assert!(single.commands().unwrap().is_empty());
        let err = installed.find("broken").unwrap().read().unwrap_err();
        assert!(err.to_string().contains("invalid version \"one\""), "{err}");
    }

    #[test]
    fn csv_and_paths() {
        assert_eq!(first_csv_field("\"a,\"\"b\",sha,1"), "a,\"b");
        assert_eq!(first_csv_field("plain,sha,1"), "plain");
        assert_eq!(
            lexical_join(Path::new("/v/lib/python3/site-packages"), "../../../bin/x"),
            Path::new("/v/bin/x")
        );
    }
}
