//! Scoped cleanup for hooks: classify the repository-relative paths about
//! to be committed or pushed with the same rules as the full walk, and
//! either fail with the list and the fix (`git rm --cached -- …`) or
//! unstage them. It never deletes a file: a hook must not destroy work.
//!
//! A path is junk when one of its components is junk as the full walk
//! would see it (`pkg/__pycache__/m.pyc` because of `__pycache__`,
//! `node_modules/x/index.js` when the node-modules category is on), and
//! neither that component nor the whole path is excluded by
//! `[cleanup] exclude`. Components below a protected directory
//! (`site-packages`, `.hephaestus`) are never junk, and the build rules
//! do not apply inside `node_modules`.
//!
//! Hook categories default to all four (macOS metadata, Python caches,
//! build artifacts, `node_modules`): none of them belongs in a commit.
//! `[cleanup] hook_categories` narrows the list.

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::cleanup::CleanupError;
use crate::cleanup::preview::escape_bytes;
use crate::cleanup::rules::{Ancestry, Categories, Category, Decision, Entry, EntryKind, RuleSet};
use crate::config::glob::PathMatcher;
use crate::config::model::{CleanupConfig, CleanupHookMode};
use crate::git::BString;
use crate::printer::{Printer, Tone};

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

/// One junk path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JunkHit {
    /// The repository-relative path that was checked.
    pub path: BString,
    pub category: Category,
    /// The leading part of `path` that matched a rule (the whole path for
    /// a junk file, `pkg/__pycache__` for a file inside a junk directory).
    pub matched: BString,
}

/// Classify repository-relative paths (bytes, `/`-separated) under the
/// work tree `root`. Returns the junk ones in input order.
pub fn scoped_check(root: &Path, paths: &[BString], settings: &ScopedSettings) -> Vec<JunkHit> {
    paths
        .iter()
        .filter_map(|p| classify(root, p, &settings.rules))
        .collect()
}

fn classify(root: &Path, path: &BString, rules: &RuleSet) -> Option<JunkHit> {
    let bytes: &[u8] = path.as_ref();
    if rules.excluded(bytes) {
        return None;
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
                    category,
                    matched: rel.into(),
                });
            }
            Decision::Prune(_) => return None,
            Decision::Descend => parent_dir.push(std::ffi::OsStr::from_bytes(name)),
        }
    }
    None
}

/// Quote bytes for a POSIX shell: bare when safe, single quotes for
/// printable UTF-8, `$'…'` with escapes otherwise (newlines, invalid
/// UTF-8).
pub fn shell_quote(bytes: &[u8]) -> String {
    let safe = |b: u8| b.is_ascii_alphanumeric() || b"_./@%+=:,-".contains(&b);
    if !bytes.is_empty() && bytes.iter().all(|b| safe(*b)) {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    if let Ok(text) = std::str::from_utf8(bytes)
        && !text.chars().any(char::is_control)
    {
        return format!("'{}'", text.replace('\'', "'\\''"));
    }
    let mut out = String::from("$'");
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\'' => out.push_str("\\'"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('\'');
    out
}

/// A path as a git pathspec that matches only itself (`:(literal)` when
/// it holds glob characters or starts with `:`).
fn literal_pathspec(path: &[u8]) -> Vec<u8> {
    if path.starts_with(b":") || path.iter().any(|b| b"*?[\\".contains(b)) {
        let mut v = b":(literal)".to_vec();
        v.extend_from_slice(path);
        v
    } else {
        path.to_vec()
    }
}

/// The command that removes the hits from the index, shell-quoted.
pub fn fix_command(hits: &[JunkHit]) -> String {
    let mut cmd = String::from("git rm --cached --");
    for h in hits {
        cmd.push(' ');
        cmd.push_str(&shell_quote(&literal_pathspec(&h.path)));
    }
    cmd
}

/// The failure text: the junk paths with their category, then the fix.
pub fn render_failure(printer: &Printer, hits: &[JunkHit]) -> String {
    let mut s = format!(
        "{} {} junk {} about to be committed:\n",
        printer.paint("cleanup:", Tone::Bad),
        hits.len(),
        if hits.len() == 1 {
            "path is"
        } else {
            "paths are"
        }
    );
    for h in hits {
        let why = if h.matched == h.path {
            h.category.as_str().to_string()
        } else {
            format!(
                "{}: inside {}",
                h.category.as_str(),
                escape_bytes(&h.matched)
            )
        };
        s.push_str(&format!("  {}  ({why})\n", escape_bytes(&h.path)));
    }
    s.push_str(&format!(
        "{} remove them from the index (the files stay on disk):\n  {}\n",
        printer.paint("fix:", Tone::Info),
        fix_command(hits)
    ));
    s.push_str(
        "  or keep a path with `[cleanup] exclude = [\"<glob>\"]`, or let hooks unstage junk with `[cleanup] hook = \"unstage\"`\n",
    );
    s
}

/// Remove the hits from the index, leaving the files on disk.
///
/// Writing the index goes through the git CLI (gix has no safe `rm
/// --cached`): `git rm --cached --quiet --ignore-unmatch
/// --pathspec-from-file=- --pathspec-file-nul` with literal pathspecs
/// ([`crate::git::write::unstage_paths`]), the
/// paths NUL-separated on stdin so any bytes and any number of paths
/// pass. The environment is inherited, so `GIT_DIR` and `GIT_INDEX_FILE`
/// set by git for a hook are honoured.
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
            eprint_safe(&render_failure(printer, &hits));
            Ok(ScopedOutcome::Failed(hits))
        }
        CleanupHookMode::Unstage => {
            unstage(root, &hits)?;
            printer.status(&format!(
                "{} unstaged {} junk {} (the files stay on disk):",
                printer.paint("cleanup:", Tone::Warn),
                hits.len(),
                if hits.len() == 1 { "path" } else { "paths" }
            ));
            for h in &hits {
                printer.status(&format!("  {}", escape_bytes(&h.path)));
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
    fn quoting() {
        assert_eq!(shell_quote(b"a/b.txt"), "a/b.txt");
        assert_eq!(shell_quote(b"it's here"), "'it'\\''s here'");
        assert_eq!(shell_quote(b"a\nb\xff"), "$'a\\nb\\xff'");
        assert_eq!(shell_quote(b"Icon\r"), "$'Icon\\r'");
        let hits = vec![JunkHit {
            path: "x/*.pyc".into(),
            category: Category::PythonCache,
            matched: "x/*.pyc".into(),
        }];
        assert_eq!(fix_command(&hits), "git rm --cached -- ':(literal)x/*.pyc'");
    }
}
