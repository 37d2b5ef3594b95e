//! Gitignore-style globs for step `files`/`exclude` and cleanup patterns:
//! a pattern without `/` matches a name in any directory (`*.py` matches
//! `a/b/c.py`, `vendor` matches everything under any `vendor/`); a pattern
//! with `/` is anchored at the repository root. `*` never crosses `/`;
//! `**` does.

use std::path::Path;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use globset::{Candidate, Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use crate::config::model::GlobPattern;

/// Check that a pattern compiles; the message is shown with the file's line.
pub fn validate(pattern: &str) -> Result<(), String> {
    if pattern.is_empty() {
        return Err("an empty glob matches nothing; remove it".to_string());
    }
    GlobBuilder::new(&expand(pattern))
        .literal_separator(true)
        .build()
        .map_err(|e| format!("invalid glob {pattern:?}: {}", e.kind()))?;
    Ok(())
}

/// The globset pattern of one gitignore-style pattern. It also matches
/// everything under a directory it matches (`vendor` matches
/// `vendor/a.py`): [`PathMatcher::matches`] tries each parent directory
/// of a path too, which saves a second, regex-only `<pattern>/**` glob.
fn expand(pattern: &str) -> String {
    let trimmed = pattern.trim_end_matches('/');
    if let Some(anchored) = trimmed.strip_prefix('/') {
        anchored.to_string()
    } else if trimmed.contains('/') {
        trimmed.to_string()
    } else {
        format!("**/{trimmed}")
    }
}

/// The globs one list of patterns stands for (each checked).
fn globs_of(patterns: &[GlobPattern]) -> Result<Vec<Glob>, globset::Error> {
    patterns
        .iter()
        .map(|p| {
            GlobBuilder::new(&expand(p.as_str()))
                .literal_separator(true)
                .build()
        })
        .collect()
}

/// Include and exclude globs, checked when made and compiled into glob
/// sets on first use (a step that does not run in this hook never pays
/// for it); equal lists share one compiled set for the whole process
/// (the presets' steps mostly share theirs). Matches repository-relative
/// paths given as bytes.
#[derive(Debug, Clone)]
pub struct PathMatcher {
    include: Vec<Glob>,
    exclude: Vec<Glob>,
    compiled: OnceLock<Arc<Compiled>>,
}

#[derive(Debug)]
struct Compiled {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
}

impl PathMatcher {
    /// An empty `include` list matches every path.
    pub fn new(include: &[GlobPattern], exclude: &[GlobPattern]) -> Result<Self, globset::Error> {
        Ok(Self {
            include: globs_of(include)?,
            exclude: globs_of(exclude)?,
            compiled: OnceLock::new(),
        })
    }

    fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| {
            type Key = (Vec<String>, Vec<String>);
            static SHARED: Mutex<BTreeMap<Key, Arc<Compiled>>> = Mutex::new(BTreeMap::new());
            let key: Key = (
                self.include.iter().map(|g| g.glob().to_string()).collect(),
                self.exclude.iter().map(|g| g.glob().to_string()).collect(),
            );
            let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(shared.entry(key).or_insert_with(|| {
                Arc::new(Compiled {
                    include: set_of(&self.include),
                    exclude: set_of(&self.exclude),
                })
            }))
        })
    }

    /// Does the repository-relative `path` match?
    pub fn matches(&self, path: &[u8]) -> bool {
        if self.include.is_empty() && self.exclude.is_empty() {
            return true;
        }
        let compiled = self.compiled();
        let included = compiled
            .include
            .as_ref()
            .is_none_or(|set| matches_or_under(set, path));
        included
            && !compiled
                .exclude
                .as_ref()
                .is_some_and(|set| matches_or_under(set, path))
    }
}

/// Whether `path` or one of its parent directories matches `set`.
fn matches_or_under(set: &GlobSet, path: &[u8]) -> bool {
    set.is_match_candidate(&Candidate::new(bytes_to_path(path)))
        || path
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'/' && i > 0)
            .any(|(i, _)| set.is_match_candidate(&Candidate::new(bytes_to_path(&path[..i]))))
}

/// The checked globs as one set; `None` for none. Compiling globs that
/// each parsed fails only past the regex size limit: then the set is
/// left out (every path included, none excluded), so a step checks more
/// files rather than fewer.
fn set_of(globs: &[Glob]) -> Option<GlobSet> {
    if globs.is_empty() {
        return None;
    }
    let mut builder = GlobSetBuilder::new();
    for g in globs {
        builder.add(g.clone());
    }
    builder.build().ok()
}

#[cfg(unix)]
fn bytes_to_path(bytes: &[u8]) -> &Path {
    use std::os::unix::ffi::OsStrExt;
    Path::new(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn bytes_to_path(bytes: &[u8]) -> &Path {
    // Git paths are UTF-8 on Windows; anything else cannot name a file.
    Path::new(std::str::from_utf8(bytes).unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(inc: &[&str], exc: &[&str]) -> PathMatcher {
        let g = |v: &[&str]| {
            v.iter()
                .map(|s| GlobPattern(s.to_string()))
                .collect::<Vec<_>>()
        };
        PathMatcher::new(&g(inc), &g(exc)).expect("valid globs")
    }

    #[test]
    fn no_slash_matches_in_any_directory() {
        let pm = m(&["*.py"], &[]);
        assert!(pm.matches(b"a.py"));
        assert!(pm.matches(b"pkg/sub/mod.py"));
        assert!(!pm.matches(b"pkg/mod.pyc"));
    }

    #[test]
    fn slash_anchors_at_root_and_star_stays_in_segment() {
        let pm = m(&["src/*.rs"], &[]);
        assert!(pm.matches(b"src/main.rs"));
        assert!(!pm.matches(b"src/cli/mod.rs"));
        assert!(!pm.matches(b"x/src/main.rs"));
        let pm = m(&["src/**/*.rs"], &[]);
        assert!(pm.matches(b"src/cli/mod.rs"));
    }

    #[test]
    fn exclude_directory_by_name() {
        let pm = m(&["*.py"], &["vendor"]);
        assert!(!pm.matches(b"a/vendor/x.py"));
        assert!(pm.matches(b"a/vendored/x.py"));
        let pm = m(&[], &["/build/", "docs/*.txt"]);
        assert!(!pm.matches(b"build/a/b.py"));
        assert!(pm.matches(b"src/build/a.py"));
        assert!(!pm.matches(b"docs/notes.txt/inside"));
        assert!(pm.matches(b"docs/a/notes.txt"));
    }

    #[test]
    fn empty_include_matches_all_and_bad_glob_is_rejected() {
        assert!(m(&[], &[]).matches(b"anything"));
        assert!(validate("a[").is_err());
        assert!(validate("").is_err());
    }
}
