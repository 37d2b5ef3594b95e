//! Scoped cleanup for hooks: classify the repository-relative paths about
//! to be committed or pushed with the same rules as the full walk, and
//! either fail with the junk grouped by directory and the fix (`git rm
//! --cached -r -- …`, in [`report`]) or unstage them. It never deletes a
//! file: a hook must not destroy work.
//!
//! A path is junk when it is inside a virtual environment ([`venv`]: a
//! directory with a `pyvenv.cfg`, whatever its name), or when one of its
//! components is junk as the full walk would see it
//! (`pkg/__pycache__/m.pyc` because of `__pycache__`,
//! `node_modules/x/index.js` when the node-modules category is on), and
//! neither that directory or component nor the whole path is excluded by
//! `[cleanup] exclude`. Outside a virtual environment, components below a
//! protected directory (`site-packages`, `.hephaestus`) are never junk,
//! and the build rules do not apply inside `node_modules`.
//!
//! Hook categories default to all four (macOS metadata, Python caches,
//! build artifacts, `node_modules`): none of them belongs in a commit.
//! `[cleanup] hook_categories` narrows the list; a virtual environment is
//! junk whatever the categories (as macOS metadata is).

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

pub mod report;
mod venv;

pub use report::{
    JunkGroup, fix_command, group_hits, render_failure, render_unstaged, shell_quote,
};

use crate::cleanup::CleanupError;
use crate::cleanup::rules::{Ancestry, Categories, Category, Decision, Entry, EntryKind, RuleSet};
use crate::config::glob::PathMatcher;
use crate::config::model::{CleanupConfig, CleanupHookMode};
use crate::git::BString;
use crate::printer::Printer;

/// How a hook classifies and handles junk.
#[derive(Debug, Clone)]
pub struct ScopedSettings {
    pub rules: RuleSet,
    /// `[cleanup] hook`: fail (default) or unstage.
    pub mode: CleanupHookMode,
}

impl ScopedSettings {
    /// The hook settings from `[cleanup]`: `hook_categories` (default: all),
    /// `extra_patterns`, `exclude` and `hook`.
    pub fn from_config(config: &CleanupConfig) -> Result<Self, CleanupError> {
        let categories = match &config.hook_categories {
            Some(list) => {
                let list: Vec<Category> = list.iter().map(|c| Category::from(*c)).collect();
                Categories::from_list(&list)
            }
            None => Categories::all(),
        };
        Ok(Self {
            rules: rule_set(config, categories, false, false)?,
            mode: config.hook,
        })
    }
}

/// Compile the `[cleanup]` patterns into a rule set.
pub fn rule_set(
    config: &CleanupConfig,
    categories: Categories,
    include_git: bool,
    include_venv: bool,
) -> Result<RuleSet, CleanupError> {
    let compile = |patterns: &[crate::config::model::GlobPattern]| {
        if patterns.is_empty() {
            Ok(None)
        } else {
            PathMatcher::new(patterns, &[])
                .map(Some)
                .map_err(|e| CleanupError::Pattern(e.to_string()))
        }
    };
    Ok(RuleSet::new(
        categories,
        include_git,
        include_venv,
        compile(&config.extra_patterns)?,
        compile(&config.exclude)?,
    ))
}

/// Why a path is junk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JunkReason {
    /// A cleanup rule of this category matched.
    Rule(Category),
    /// It is inside a virtual environment.
    VirtualEnv,
}

impl JunkReason {
    /// `python-cache`, `virtual environment`, …
    pub fn as_str(self) -> &'static str {
        match self {
            JunkReason::Rule(c) => c.as_str(),
            JunkReason::VirtualEnv => "virtual environment",
        }
    }
}

/// One junk path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JunkHit {
    /// The repository-relative path that was checked.
    pub path: BString,
    pub reason: JunkReason,
    /// The leading part of `path` that matched (the whole path for a junk
    /// file, `pkg/__pycache__` for a file inside a junk directory, `.venv`
    /// for a file inside a virtual environment).
    pub matched: BString,
}

/// Classify repository-relative paths (bytes, `/`-separated) under the
/// work tree `root`. Returns the junk ones in input order. Linear in the
/// number of paths: each directory is checked for a virtual environment
/// once.
pub fn scoped_check(root: &Path, paths: &[BString], settings: &ScopedSettings) -> Vec<JunkHit> {
    let mut venvs = venv::VenvFinder::new(root, paths);
    paths
        .iter()
        .filter_map(|p| classify(root, p, &settings.rules, &mut venvs))
        .collect()
}

fn classify<'a>(
    root: &Path,
    path: &'a BString,
    rules: &RuleSet,
    venvs: &mut venv::VenvFinder<'a>,
) -> Option<JunkHit> {
    let bytes: &'a [u8] = path.as_ref();
    if rules.excluded(bytes) {
        return None;
    }
    if let Some(dir) = venvs.venv_of(bytes)
        && !rules.excluded(dir)
    {
        return Some(JunkHit {
            path: path.clone(),
            reason: JunkReason::VirtualEnv,
            matched: dir.into(),
        });
    }
    let comps: Vec<&[u8]> = bytes
        .split(|b| *b == b'/')
        .filter(|c| !c.is_empty())
        .collect();
    // Most paths have no junk-like component: decide them from the name
    // alone (this keeps a 50,000-file `--all-files` run fast).
    if !comps.iter().any(|c| rules.could_match(c)) {
        return None;
    }
    let mut parent_dir = root.to_path_buf();
    let mut end = 0;
    for (i, name) in comps.iter().enumerate() {
        let last = i + 1 == comps.len();
        let kind = if last {
            match std::fs::symlink_metadata(root.join(crate::git::bytes_to_os(bytes))) {
                Ok(m) if m.file_type().is_symlink() => EntryKind::Symlink,
                Ok(m) if m.is_dir() => EntryKind::Dir,
                _ => EntryKind::File,
            }
        } else {
            EntryKind::Dir
        };
        end = if i == 0 {
            name.len()
        } else {
            end + 1 + name.len()
        };
        let rel = &bytes[..end.min(bytes.len())];
        let entry = Entry {
            name,
            kind,
            rel,
            parent_dir: &parent_dir,
        };
        match rules.decide(&entry, || Ancestry::of(comps[..i].iter().copied())) {
            Decision::Junk(category) => {
                return Some(JunkHit {
                    path: path.clone(),
                    reason: JunkReason::Rule(category),
                    matched: rel.into(),
                });
            }
            Decision::Prune(_) => return None,
            Decision::Descend => parent_dir.push(std::ffi::OsStr::from_bytes(name)),
        }
    }
    None
}

/// Remove the hits from the index, leaving the files on disk.
///
/// Writing the index goes through the git CLI (gix has no safe index
/// removal): `git update-index --force-remove -z --stdin`
/// ([`crate::git::write::unstage_paths`]), the paths NUL-separated on
/// stdin, so any bytes and any number of paths pass, each looked up once.
/// Exactly the hits are removed, never other entries below the same
/// directory. The environment is inherited, so `GIT_DIR` and
/// `GIT_INDEX_FILE` set by git for a hook are honoured.
pub fn unstage(root: &Path, hits: &[JunkHit]) -> Result<(), CleanupError> {
    let paths: Vec<BString> = hits.iter().map(|h| h.path.clone()).collect();
    crate::git::write::unstage_paths(root, &paths).map_err(|e| CleanupError::Unstage(e.to_string()))
}

/// What a scoped run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopedOutcome {
    /// No junk.
    Clean,
    /// Junk found; the failure was printed (mode `fail`).
    Failed(Vec<JunkHit>),
    /// Junk found and removed from the index (mode `unstage`).
    Unstaged(Vec<JunkHit>),
}

/// The hook entry point: check `paths`, then print the failure (mode
/// `fail`) or unstage them and say so (mode `unstage`). The caller maps
/// `Failed` to a failing hook (exit 1).
pub fn run_scoped(
    printer: &Printer,
    root: &Path,
    paths: &[BString],
    settings: &ScopedSettings,
) -> Result<ScopedOutcome, CleanupError> {
    let hits = scoped_check(root, paths, settings);
    if hits.is_empty() {
        return Ok(ScopedOutcome::Clean);
    }
    match settings.mode {
        CleanupHookMode::Fail => {
            eprint_safe(&report::render_failure(printer, &hits));
            Ok(ScopedOutcome::Failed(hits))
        }
        CleanupHookMode::Unstage => {
            unstage(root, &hits)?;
            for line in report::render_unstaged(printer, &hits).lines() {
                printer.status(line);
            }
            Ok(ScopedOutcome::Unstaged(hits))
        }
    }
}

fn eprint_safe(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
}

/// Turn paths given on the command line (relative to `cwd`) into
/// repository-relative bytes under `root`; a path outside `root` is kept
/// as given.
pub fn repo_relative(root: &Path, cwd: &Path, given: &Path) -> BString {
    let abs = cwd.join(given);
    let canon_parent =
        abs.parent()
            .and_then(|p| p.canonicalize().ok())
            .map(|p| match abs.file_name() {
                Some(n) => p.join(n),
                None => p,
            });
    let root_c = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let candidates: [Option<PathBuf>; 2] = [canon_parent, Some(abs.clone())];
    for c in candidates.iter().flatten() {
        if let Ok(rel) = c.strip_prefix(&root_c).or_else(|_| c.strip_prefix(root)) {
            return rel.as_os_str().as_bytes().into();
        }
    }
    // Outside the root: classify the plain components as given.
    let mut out = Vec::new();
    for c in given.components() {
        if let std::path::Component::Normal(n) = c {
            if !out.is_empty() {
                out.push(b'/');
            }
            out.extend_from_slice(n.as_bytes());
        }
    }
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ScopedSettings {
        ScopedSettings::from_config(&CleanupConfig::default()).expect("defaults")
    }

    fn junk(paths: &[&str]) -> Vec<String> {
        let paths: Vec<BString> = paths.iter().map(|p| BString::from(*p)).collect();
        scoped_check(Path::new("/nonexistent-heph"), &paths, &settings())
            .into_iter()
            .map(|h| h.path.to_string())
            .collect()
    }

    #[test]
    fn components_decide() {
        assert_eq!(
            junk(&[
                ".DS_Store",
                "src/main.py",
                "pkg/__pycache__/m.cpython-311.pyc",
                "docs/Icons",
                "node_modules/x/index.js",
                "a/build/out.o",
                ".venv/lib/python3.11/site-packages/foo/build/x",
                "lib/x.egg-info/PKG-INFO",
            ]),
            vec![
                ".DS_Store",
                "pkg/__pycache__/m.cpython-311.pyc",
                "node_modules/x/index.js",
                "a/build/out.o",
                "lib/x.egg-info/PKG-INFO",
            ]
        );
    }

    #[test]
    fn paths_from_the_command_line() {
        let root = Path::new("/nonexistent-heph/repo");
        let rel =
            |cwd: &str, p: &str| repo_relative(root, Path::new(cwd), Path::new(p)).to_string();
        assert_eq!(rel("/nonexistent-heph/repo", ".DS_Store"), ".DS_Store");
        assert_eq!(
            rel("/nonexistent-heph/repo", "./a/.DS_Store"),
            "a/.DS_Store"
        );
        assert_eq!(rel("/nonexistent-heph/repo/a", "b/x.pyc"), "a/b/x.pyc");
        assert_eq!(rel("/elsewhere", "./.DS_Store"), ".DS_Store");
    }

    #[test]
    fn a_staged_venv_is_junk_unless_excluded() {
        let paths: Vec<BString> = [
            "tools/py311/pyvenv.cfg",
            "tools/py311/lib/python3.11/site-packages/x/__init__.py",
            "tools/py311/lib/python3.11/site-packages/x/__pycache__/a.pyc",
            "tools/run.py",
        ]
        .iter()
        .map(|p| BString::from(*p))
        .collect();
        let hits = scoped_check(Path::new("/nonexistent-heph"), &paths, &settings());
        let got: Vec<(String, JunkReason, String)> = hits
            .iter()
            .map(|h| (h.path.to_string(), h.reason, h.matched.to_string()))
            .collect();
        let venv = |p: &str| {
            (
                p.to_string(),
                JunkReason::VirtualEnv,
                "tools/py311".to_string(),
            )
        };
        assert_eq!(
            got,
            [
                venv("tools/py311/pyvenv.cfg"),
                venv("tools/py311/lib/python3.11/site-packages/x/__init__.py"),
                venv("tools/py311/lib/python3.11/site-packages/x/__pycache__/a.pyc"),
            ]
        );
        let config: CleanupConfig = toml::from_str("exclude = [\"tools/py311\"]").expect("config");
        let excluded = ScopedSettings::from_config(&config).expect("settings");
        let hits = scoped_check(Path::new("/nonexistent-heph"), &paths, &excluded);
        assert!(hits.is_empty(), "{hits:?}");
    }

    /// Linear in the number of paths: 200,000 junk paths (a quadratic pass
    /// would not finish) in two places.
    #[test]
    fn two_hundred_thousand_paths_stay_linear() {
        let mut paths: Vec<BString> = Vec::with_capacity(200_001);
        paths.push(".venv/pyvenv.cfg".into());
        for i in 0..100_000 {
            paths.push(format!(".venv/lib/python3.12/site-packages/p{}/m{i}.py", i % 1000).into());
            paths.push(format!("src/p{}/__pycache__/m{i}.pyc", i % 1000).into());
        }
        let started = std::time::Instant::now();
        let hits = scoped_check(Path::new("/nonexistent-heph"), &paths, &settings());
        let groups = report::group_hits(&hits);
        let text = report::render_failure(&Printer::plain(), &hits);
        let took = started.elapsed();
        assert_eq!(hits.len(), 200_001);
        assert_eq!(groups.len(), 1_001);
        assert_eq!(groups[0].count, 100_001);
        assert!(text.lines().count() < 60, "{text}");
        assert!(took.as_secs() < 30, "{took:?}");
    }
}
