//! SHA-256 checksum manifests as `sha256sum` writes them: `<hex>  name`
//! (text mode), `<hex> *name` (binary mode), GNU's backslash-escaped form
//! for names with `\` or newlines, and the BSD tag form
//! `SHA256 (name) = <hex>`; `#` comments and blank lines are skipped.
//!
//! The parser is strict on purpose: a malformed line or two different
//! digests for one name is an error naming the line, never "the first one
//! wins", because a manifest an attacker can confuse is no manifest.

use std::collections::BTreeMap;

/// A problem with a manifest; every variant names the manifest.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{manifest} line {line}: {message}")]
    Malformed {
        manifest: String,
        line: usize,
        message: String,
    },
    #[error(
        "{manifest} line {line}: conflicting SHA-256 for {name:?} (line {first_line} says {first}, line {line} says {second})"
    )]
    Conflict {
        manifest: String,
        name: String,
        first_line: usize,
        line: usize,
        first: String,
        second: String,
    },
    #[error("{manifest} has no SHA-256 entry for {name:?}")]
    Missing { manifest: String, name: String },
    #[error("{manifest} has entries for {name:?} under several paths with different digests")]
    Ambiguous { manifest: String, name: String },
}

/// One `<digest> <name>` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Lower-case hex SHA-256.
    pub sha256: String,
    /// The name as written (after unescaping).
    pub name: String,
    /// 1-based line number.
    pub line: usize,
}

/// A parsed manifest: name → entry, conflicts already rejected.
#[derive(Debug, Clone)]
pub struct Manifest {
    label: String,
    entries: BTreeMap<String, Entry>,
}

impl Manifest {
    /// Parse `text`; `label` (the manifest's file or asset name) is used in
    /// every message.
    pub fn parse(label: &str, text: &str) -> Result<Self, ManifestError> {
        let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
        for (index, raw) in text.split('\n').enumerate() {
            let line = index + 1;
            let content = raw.strip_suffix('\r').unwrap_or(raw);
            let trimmed = content.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let entry = parse_line(content, line).map_err(|message| ManifestError::Malformed {
                manifest: label.to_string(),
                line,
                message,
            })?;
            match entries.get(&entry.name) {
                Some(first) if first.sha256 != entry.sha256 => {
                    return Err(ManifestError::Conflict {
                        manifest: label.to_string(),
                        name: entry.name.clone(),
                        first_line: first.line,
                        line,
                        first: first.sha256.clone(),
                        second: entry.sha256,
                    });
                }
                Some(_) => {}
                None => {
                    entries.insert(entry.name.clone(), entry);
                }
            }
        }
        Ok(Self {
            label: label.to_string(),
            entries,
        })
    }

    /// The manifest's label (file or asset name).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Number of distinct entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the manifest lists nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry for a file called `name`: an exact match, or a single
    /// digest among entries whose path ends in `/name` (manifests written
    /// as `sha256sum dist/*`).
    pub fn lookup(&self, name: &str) -> Result<&Entry, ManifestError> {
        if let Some(entry) = self.entries.get(name) {
            return Ok(entry);
        }
        let stripped = format!("./{name}");
        if let Some(entry) = self.entries.get(&stripped) {
            return Ok(entry);
        }
        let suffix = format!("/{name}");
        let mut found: Option<&Entry> = None;
        for entry in self.entries.values().filter(|e| e.name.ends_with(&suffix)) {
            match found {
                Some(prev) if prev.sha256 != entry.sha256 => {
                    return Err(ManifestError::Ambiguous {
                        manifest: self.label.clone(),
                        name: name.to_string(),
                    });
                }
                _ => found = Some(entry),
            }
        }
        found.ok_or_else(|| ManifestError::Missing {
            manifest: self.label.clone(),
            name: name.to_string(),
        })
    }
}

const FORMAT: &str = "expected `<64 hex digits>  <name>`, `<64 hex digits> *<name>` or `SHA256 (<name>) = <64 hex digits>`";

fn parse_line(content: &str, line: usize) -> Result<Entry, String> {
    if let Some(rest) = content.strip_prefix("SHA256 (") {
        let (name, digest) = rest.rsplit_once(") = ").ok_or_else(|| FORMAT.to_string())?;
        return entry(digest.trim_end(), name.to_string(), line);
    }
    let (escaped, body) = match content.strip_prefix('\\') {
        Some(rest) => (true, rest),
        None => (false, content),
    };
    let (digest, rest) = body
        .split_once(' ')
        .ok_or_else(|| format!("{FORMAT}; found no space after the digest"))?;
    let name = rest
        .strip_prefix(' ')
        .or_else(|| rest.strip_prefix('*'))
        .ok_or_else(|| format!("{FORMAT}; the digest must be followed by two spaces or ' *'"))?;
    let name = if escaped {
        unescape(name).ok_or_else(|| "bad backslash escape in the file name".to_string())?
    } else {
        name.to_string()
    };
    entry(digest, name, line)
}

fn entry(digest: &str, name: String, line: usize) -> Result<Entry, String> {
    if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "{FORMAT}; {digest:?} is not a SHA-256 digest (64 hex digits)"
        ));
    }
    if name.is_empty() {
        return Err(format!("{FORMAT}; the file name is empty"));
    }
    Ok(Entry {
        sha256: digest.to_ascii_lowercase(),
        name,
        line,
    })
}

/// GNU coreutils escapes `\` as `\\` and newline as `\n` (and marks the
/// line with a leading backslash).
fn unescape(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len());
    let mut chars = name.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next()? {
                '\\' => out.push('\\'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "a3f9a6c8e4f1d2b7c0e5a9b8d7c6f5e4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8";
    const B: &str = "0000000000000000000000000000000000000000000000000000000000000001";

    #[test]
    fn text_binary_bsd_comments_and_blank_lines() {
        let text = format!(
            "# release checksums\n\n{A}  tool.tar.gz\n{B} *tool.zip\r\nSHA256 (notes.txt) = {}\n\\{A}  back\\\\slash\n",
            A.to_uppercase()
        );
        let m = Manifest::parse("SHA256SUMS", &text).unwrap();
        assert_eq!(m.len(), 4);
        assert_eq!(m.lookup("tool.tar.gz").unwrap().sha256, A);
        assert_eq!(m.lookup("tool.zip").unwrap().sha256, B);
        assert_eq!(m.lookup("notes.txt").unwrap().sha256, A);
        assert_eq!(m.lookup("back\\slash").unwrap().line, 6);
    }

    #[test]
    fn entries_under_a_directory_are_found_by_name() {
        let m = Manifest::parse("S", &format!("{A}  ./dist/tool.tar.gz\n")).unwrap();
        assert_eq!(m.lookup("tool.tar.gz").unwrap().sha256, A);
        let m = Manifest::parse("S", &format!("{A}  a/tool\n{B}  b/tool\n")).unwrap();
        assert!(matches!(
            m.lookup("tool"),
            Err(ManifestError::Ambiguous { .. })
        ));
    }

    #[test]
    fn missing_entry_is_an_error() {
        let m = Manifest::parse("SHA256SUMS", &format!("{A}  other\n")).unwrap();
        let err = m.lookup("tool").unwrap_err();
        assert_eq!(
            err.to_string(),
            "SHA256SUMS has no SHA-256 entry for \"tool\""
        );
    }

    #[test]
    fn conflicting_duplicates_name_both_lines() {
        let err = Manifest::parse("SHA256SUMS", &format!("{A}  tool\n# x\n{B}  tool\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("line 1 says"), "{err}");
        // The same digest twice is harmless.
        assert!(Manifest::parse("S", &format!("{A}  tool\n{A} *tool\n")).is_ok());
    }

    #[test]
    fn malformed_lines_name_their_line() {
        for (text, line) in [
            (format!("{A}  ok\nnot a checksum line\n"), 2),
            (format!("{}  short\n", &A[..63]), 1),
            (format!("\n\n{A} x\n"), 3),
            (format!("{A}\n"), 1),
            (format!("{A}  \n"), 1),
            (format!("zz{}  bad-hex\n", &A[2..]), 1),
            (format!("\\{A}  bad\\escape\n"), 1),
        ] {
            match Manifest::parse("M", &text) {
                Err(ManifestError::Malformed { line: l, .. }) => assert_eq!(l, line, "{text:?}"),
                other => panic!("{text:?}: expected a malformed-line error, got {other:?}"),
            }
        }
    }
}
