//! Staged virtual environments. A directory is a virtual environment when
//! it holds a `pyvenv.cfg` (what `python -m venv`, virtualenv and uv all
//! write, and what Python itself looks for), whatever its name; or when it
//! is called `.venv`, `venv` or `env` and holds `bin/activate` (or
//! `Scripts/activate`), the layout of virtualenvs too old to write a
//! `pyvenv.cfg`. Either file counts when it is on disk or among the paths
//! being checked (a pushed commit may hold a venv the work tree no longer
//! has).
//!
//! The repository root itself never counts (a project made into a venv
//! with `python -m venv .` still has its own files to commit). Each
//! directory is looked at once per run, outermost first, so a 5,000-file
//! venv costs one or two `stat`s, not one per file.

use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The marker file every modern virtual environment has.
const PYVENV_CFG: &[u8] = b"pyvenv.cfg";
/// Names that are a virtual environment when they hold an activate script.
const USUAL_NAMES: [&[u8]; 3] = [b".venv", b"venv", b"env"];
const ACTIVATE: [&[u8]; 2] = [b"bin/activate", b"Scripts/activate"];

/// Finds the virtual environment a path is in, remembering each directory.
pub(super) struct VenvFinder<'a> {
    root: &'a Path,
    /// Every path being checked, to see markers that are staged but not
    /// on disk.
    checked: HashSet<&'a [u8]>,
    /// Directory (repository-relative) → is it a virtual environment.
    seen: HashMap<&'a [u8], bool>,
}

impl<'a> VenvFinder<'a> {
    pub(super) fn new(root: &'a Path, paths: &'a [crate::git::BString]) -> Self {
        Self {
            root,
            checked: paths.iter().map(|p| -> &[u8] { p.as_ref() }).collect(),
            seen: HashMap::new(),
        }
    }

    /// The leading part of `path` that is a virtual environment (the
    /// outermost one), if any. `path` itself is never one: only the
    /// directories above it are looked at.
    pub(super) fn venv_of(&mut self, path: &'a [u8]) -> Option<&'a [u8]> {
        let mut start = 0;
        while let Some(slash) = path[start..].iter().position(|b| *b == b'/') {
            let end = start + slash;
            let dir = &path[..end];
            let name = &path[start..end];
            start = end + 1;
            if name.is_empty() || name == b"." {
                continue;
            }
            if self.is_venv(dir, name) {
                return Some(dir);
            }
        }
        None
    }

    fn is_venv(&mut self, dir: &'a [u8], name: &[u8]) -> bool {
        if let Some(known) = self.seen.get(dir) {
            return *known;
        }
        let has = |rel: &[u8]| {
            let mut full = dir.to_vec();
            full.push(b'/');
            full.extend_from_slice(rel);
            self.checked.contains(full.as_slice())
                || self.root.join(crate::git::bytes_to_os(&full)).is_file()
        };
        let venv =
            has(PYVENV_CFG) || (USUAL_NAMES.contains(&name) && ACTIVATE.iter().any(|a| has(a)));
        self.seen.insert(dir, venv);
        venv
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::BString;

    fn venvs(root: &Path, paths: &[&str]) -> Vec<Option<String>> {
        let paths: Vec<BString> = paths.iter().map(|p| BString::from(*p)).collect();
        let mut finder = VenvFinder::new(root, &paths);
        paths
            .iter()
            .map(|p| {
                finder
                    .venv_of(p.as_ref())
                    .map(|d| String::from_utf8_lossy(d).into_owned())
            })
            .collect()
    }

    #[test]
    fn a_staged_pyvenv_cfg_marks_its_directory_whatever_the_name() {
        let root = Path::new("/nonexistent-heph-venv");
        assert_eq!(
            venvs(
                root,
                &[
                    "tools/py/pyvenv.cfg",
                    "tools/py/lib/python3.12/site-packages/x.py",
                    "tools/other.py",
                    "pyvenv.cfg",
                    "src/app.py",
                ]
            ),
            [
                Some("tools/py".to_string()),
                Some("tools/py".to_string()),
                None,
                None,
                None
            ]
        );
    }

    #[test]
    fn on_disk_markers_and_usual_names() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("x/.env-3.12")).unwrap();
        std::fs::write(root.join("x/.env-3.12/pyvenv.cfg"), "home = /usr/bin\n").unwrap();
        std::fs::create_dir_all(root.join("venv/bin")).unwrap();
        std::fs::write(root.join("venv/bin/activate"), "").unwrap();
        // An activate script under another name is a project's own file.
        std::fs::create_dir_all(root.join("deploy/bin")).unwrap();
        std::fs::write(root.join("deploy/bin/activate"), "").unwrap();
        // A directory called `env` without one is configuration.
        std::fs::create_dir_all(root.join("env")).unwrap();
        assert_eq!(
            venvs(
                root,
                &[
                    "x/.env-3.12/lib/python3.12/site-packages/a/b.py",
                    "venv/lib/python2.7/site.py",
                    "deploy/bin/activate",
                    "env/prod.toml",
                ]
            ),
            [
                Some("x/.env-3.12".to_string()),
                Some("venv".to_string()),
                None,
                None,
            ]
        );
        // The same directory with its activate script staged is one.
        assert_eq!(
            venvs(root, &["env/prod.toml", "env/bin/activate"]),
            [Some("env".to_string()), Some("env".to_string())]
        );
    }
}
