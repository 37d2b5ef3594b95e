//! The pre-commit style file selection of a step: `files_regex` /
//! `exclude_regex` (Python `re` syntax, searched in the path relative to
//! the work tree root, as pre-commit does) and `types` / `types_or` /
//! `exclude_types` (identify tags, see [`crate::filetypes`]).
//!
//! Regexes are compiled with the `regex` crate, which has no backtracking:
//! the Python constructs that need it (lookaround, backreferences,
//! conditionals, atomic groups, possessive repeats) are refused with an
//! error that names the construct; the few spellings that differ are
//! translated (`\Z` is `\z`, a `{` that starts no repeat is a literal).
//! The parsed form, [`StepFilter`], is what the step engine consumes.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::filetypes::{TagQuery, Tags};

/// A Python-compatible regex, kept with the text the user wrote.
#[derive(Debug, Clone)]
pub struct PyRegex {
    source: String,
    regex: regex::Regex,
}

impl PyRegex {
    /// Compile a Python `re` pattern, or say which construct is refused.
    pub fn new(source: &str) -> Result<PyRegex, String> {
        let translated = translate(source)?;
        let regex = regex::Regex::new(&translated).map_err(|e| {
            format!(
                "{source:?} is not a valid regex: {}",
                last_line(&e.to_string())
            )
        })?;
        Ok(PyRegex {
            source: source.to_string(),
            regex,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// `re.search`: a match anywhere in `path`.
    pub fn is_match(&self, path: &str) -> bool {
        self.regex.is_match(path)
    }
}

impl PartialEq for PyRegex {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl fmt::Display for PyRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for PyRegex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        PyRegex::new(&raw).map_err(serde::de::Error::custom)
    }
}

impl Serialize for PyRegex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.source.serialize(s)
    }
}

fn last_line(message: &str) -> &str {
    message
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(message)
        .trim()
        .trim_start_matches("error: ")
}

/// Python `re` to `regex` syntax: refuse what needs backtracking, spell
/// `\Z` as `\z`, and escape a `{` that does not start a `{m}`, `{m,}`,
/// `{,n}` or `{m,n}` repeat (Python takes it literally).
fn translate(source: &str) -> Result<String, String> {
    let refuse = |what: &str| {
        Err(format!(
            "{source:?} uses {what}, which hephaestus's regex engine does not support (no backtracking); rewrite it without, or list the paths in `files`/`exclude` globs"
        ))
    };
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '\\' => {
                match next {
                    Some('Z') if !in_class => out.push_str("\\z"),
                    Some(d @ '1'..='9') if !in_class => {
                        return refuse(&format!("a backreference (\\{d})"));
                    }
                    Some(n) => {
                        out.push('\\');
                        out.push(n);
                    }
                    None => out.push('\\'),
                }
                i += 2;
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // `[]` and `[^]` start a class whose first member is `]`.
                let mut j = i + 1;
                if chars.get(j) == Some(&'^') {
                    out.push('^');
                    j += 1;
                }
                if chars.get(j) == Some(&']') {
                    out.push_str("\\]");
                    j += 1;
                }
                i = j;
                continue;
            }
            '[' if in_class => out.push_str("\\["),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '(' if !in_class && next == Some('?') => {
                let rest: String = chars[i + 2..].iter().take(3).collect();
                for (prefix, what) in [
                    ("=", "a lookahead (?=...)"),
                    ("!", "a negative lookahead (?!...)"),
                    ("<=", "a lookbehind (?<=...)"),
                    ("<!", "a negative lookbehind (?<!...)"),
                    ("P=", "a named backreference (?P=...)"),
                    ("(", "a conditional (?(...)...)"),
                    (">", "an atomic group (?>...)"),
                    ("#", "a comment group (?#...)"),
                ] {
                    if rest.starts_with(prefix) {
                        return refuse(what);
                    }
                }
                out.push('(');
            }
            '*' | '+' | '?' | '}' if !in_class && next == Some('+') => {
                return refuse(&format!("a possessive repeat ({c}+)"));
            }
            '{' if !in_class => {
                let close = chars[i..].iter().position(|&c| c == '}');
                let is_repeat = close.is_some_and(|n| {
                    let inner: String = chars[i + 1..i + n].iter().collect();
                    let (lo, hi) = inner.split_once(',').unwrap_or((&inner, &inner));
                    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
                    !inner.is_empty() && inner != "," && digits(lo) && digits(hi)
                });
                if is_repeat {
                    // Python's `{,n}` is `{0,n}`.
                    if chars.get(i + 1) == Some(&',') {
                        out.push_str("{0");
                        i += 1;
                        continue;
                    }
                    out.push('{');
                } else {
                    out.push_str("\\{");
                }
            }
            _ => out.push(c),
        }
        i += 1;
    }
    Ok(out)
}

/// An identify tag (`python`, `text`, `executable`, …), checked against
/// the tags hephaestus knows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileTag(pub String);

impl FileTag {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for FileTag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        if crate::filetypes::is_known_tag(&raw) {
            return Ok(FileTag(raw));
        }
        let near = crate::filetypes::all_tags()
            .map(|t| (strsim::jaro_winkler(&raw, t), t))
            .filter(|(score, _)| *score > 0.85)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        Err(serde::de::Error::custom(match near {
            Some((_, t)) => format!(
                "unknown file type tag {raw:?}; did you mean {t:?}? (docs/configuration.md lists where the tags come from)"
            ),
            None => format!(
                "unknown file type tag {raw:?} (tags are identify's: file, text, binary, executable, python, yaml, shell, …)"
            ),
        }))
    }
}

impl Serialize for FileTag {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// Which files a step is for, beyond its `files`/`exclude` globs: the
/// parsed, ready-to-use form of the regex and type keys (the top-level
/// `[guard-rails]` regexes folded in). Matches like pre-commit's
/// `classify`: every `files` regex finds a match, no `exclude` regex does,
/// every `types` tag is present, at least one `types_or` tag is (when any
/// is given), and no `exclude_types` tag is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepFilter {
    pub files: Vec<PyRegex>,
    pub exclude: Vec<PyRegex>,
    pub types: Vec<FileTag>,
    pub types_or: Vec<FileTag>,
    pub exclude_types: Vec<FileTag>,
}

impl StepFilter {
    /// Whether the tags are needed at all (only then must the caller read
    /// the file to compute them).
    pub fn needs_tags(&self) -> bool {
        !(self.types.is_empty() && self.types_or.is_empty() && self.exclude_types.is_empty())
    }

    /// Whether the path passes the regexes (`path` relative to the work
    /// tree root, `/`-separated).
    pub fn matches_path(&self, path: &str) -> bool {
        self.files.iter().all(|r| r.is_match(path))
            && !self.exclude.iter().any(|r| r.is_match(path))
    }

    /// Whether the tags pass the type keys.
    pub fn matches_tags(&self, tags: &Tags) -> bool {
        self.tag_query().matches(tags)
    }

    /// The type keys as sets, to test many files' tags with.
    pub fn tag_query(&self) -> TagQuery {
        TagQuery::new(
            self.types.iter().map(FileTag::as_str),
            self.types_or.iter().map(FileTag::as_str),
            self.exclude_types.iter().map(FileTag::as_str),
        )
    }

    /// Both.
    pub fn matches(&self, path: &str, tags: &Tags) -> bool {
        self.matches_path(path) && self.matches_tags(tags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(s: &str) -> PyRegex {
        PyRegex::new(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn python_spellings_are_translated() {
        assert!(re(r"^src/.*\.py\Z").is_match("src/a.py"));
        assert!(!re(r"\.py\Z").is_match("a.pyi"));
        assert!(re(r"a{").is_match("xa{"));
        assert!(re(r"a{,2}b").is_match("aab"));
        assert!(re(r"^a{2}$").is_match("aa"));
        assert!(re(r"x{1,}").is_match("xx"));
        assert!(re(r"[]a]").is_match("]"));
        assert!(re(r"[^]a]").is_match("b"));
        assert!(re(r"[[]").is_match("["));
        assert!(re(r"^(?P<dir>docs)/").is_match("docs/x"));
        assert!(re(r"(?i)readme").is_match("README.md"));
        assert!(re(r"\/").is_match("a/b"));
        // Searched, not anchored: pre-commit's re.search.
        assert!(re(r"\.py$").is_match("deep/dir/a.py"));
        assert!(re(r"^(HOWTORELEASE.rst|README.rst)$").is_match("README.rst"));
    }

    #[test]
    fn backtracking_constructs_are_refused_by_name() {
        for (pattern, what) in [
            (r"^(?!vendor/)", "negative lookahead"),
            (r"(?=a)", "lookahead"),
            (r"(?<=a)b", "lookbehind"),
            (r"(?<!a)b", "negative lookbehind"),
            (r"(a)\1", "backreference"),
            (r"(?P<x>a)(?P=x)", "named backreference"),
            (r"(?(1)a|b)", "conditional"),
            (r"(?>a)", "atomic group"),
            (r"a*+", "possessive"),
        ] {
            let err = PyRegex::new(pattern).unwrap_err();
            assert!(err.contains(what), "{pattern}: {err}");
        }
        // Escaped or inside a class they are plain characters.
        assert!(re(r"\(?=").is_match("(="));
        assert!(re(r"[(?=]").is_match("="));
        let err = PyRegex::new("a(").unwrap_err();
        assert!(err.contains("not a valid regex"), "{err}");
    }

    #[test]
    fn filter_semantics() {
        let tags: Tags = ["file", "text", "python"].into_iter().collect();
        let tag = |s: &str| FileTag(s.to_string());
        let f = StepFilter {
            files: vec![re(r"^src/")],
            exclude: vec![re(r"_pb2\.py$")],
            types: vec![tag("python")],
            types_or: vec![tag("python"), tag("pyi")],
            exclude_types: vec![tag("binary")],
        };
        assert!(f.matches("src/a.py", &tags));
        assert!(!f.matches("tests/a.py", &tags));
        assert!(!f.matches("src/a_pb2.py", &tags));
        let binary: Tags = ["file", "binary", "python"].into_iter().collect();
        assert!(!f.matches("src/a.py", &binary));
        let text: Tags = ["file", "text"].into_iter().collect();
        assert!(!f.matches("src/a.py", &text));
        assert!(StepFilter::default().matches("anything", &Tags::new()));
        assert!(!StepFilter::default().needs_tags());
    }
}
