//! Gitignore-style globs for step `files`/`exclude` and cleanup patterns:
//! a pattern without `/` matches a name in any directory (`*.py` matches
//! `a/b/c.py`, `vendor` matches everything under any `vendor/`); a pattern
//! with `/` is anchored at the repository root. `*` never crosses `/`;
//! `**` does.

use std::path::Path;

use globset::{Candidate, GlobBuilder, GlobSet, GlobSetBuilder};

use crate::config::model::GlobPattern;

/// Check that a pattern compiles; the message is shown with the file's line.
pub fn validate(pattern: &str) -> Result<(), String> {
    if pattern.is_empty() {
        return Err("an empty glob matches nothing; remove it".to_string());
    }
    for expanded in expand(pattern) {
        GlobBuilder::new(&expanded)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("invalid glob {pattern:?}: {}", e.kind()))?;
    }
    Ok(())
}

/// The globset patterns one gitignore-style pattern stands for.
fn expand(pattern: &str) -> Vec<String> {
    let trimmed = pattern.trim_end_matches('/');
    if let Some(anchored) = trimmed.strip_prefix('/') {
        vec![anchored.to_string(), format!("{anchored}/**")]
    } else if trimmed.contains('/') {
        vec![trimmed.to_string(), format!("{trimmed}/**")]
    } else {
        vec![format!("**/{trimmed}"), format!("**/{trimmed}/**")]
    }
}

fn build(patterns: &[GlobPattern]) -> Result<Option<GlobSet>, globset::Error> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        for expanded in expand(p.as_str()) {
            builder.add(
                GlobBuilder::new(&expanded)
                    .literal_separator(true)
                    .build()?,
            );
        }
    }
    builder.build().map(Some)
}

/// Include and exclude globs compiled once; matches repository-relative
/// paths given as bytes.
#[derive(Debug, Clone)]
pub struct PathMatcher {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
}

impl PathMatcher {
    /// An empty `include` list matches every path.
    pub fn new(include: &[GlobPattern], exclude: &[GlobPattern]) -> Result<Self, globset::Error> {
        Ok(Self {
            include: build(include)?,
            exclude: build(exclude)?,
        })
    }

    /// Does the repository-relative `path` match?
    pub fn matches(&self, path: &[u8]) -> bool {
        if self.include.is_none() && self.exclude.is_none() {
            return true;
        }
        let candidate = Candidate::new(bytes_to_path(path));
        let included = self
            .include
            .as_ref()
            .is_none_or(|set| set.is_match_candidate(&candidate));
        included
            && !self
                .exclude
                .as_ref()
                .is_some_and(|set| set.is_match_candidate(&candidate))
    }
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
    }

    #[test]
    fn empty_include_matches_all_and_bad_glob_is_rejected() {
        assert!(m(&[], &[]).matches(b"anything"));
        assert!(validate("a[").is_err());
        assert!(validate("").is_err());
    }
}
