//! Requirements files (pip's `requirements.txt` format): found, to hint
//! when a project keeps its tool versions there, and read when `[drift]
//! requirements` lists them.
//!
//! Drift does not read requirements files on its own: a `requirements.txt`
//! usually pins the application's libraries too, and nothing in the file
//! says which lines are the development tools, so guessing would turn
//! runtime pins into rows. Listing the files is the user's statement that
//! they hold the tool versions; even then only packages that install a
//! command become rows, as for `pyproject.toml`.
//!
//! The format: one PEP 508 requirement per line, `#` comments, `\` line
//! continuations, `-r FILE` includes (followed, relative to the including
//! file), and options that are skipped: `-c` constraints (they limit
//! versions but declare nothing), `-e` editables, index and find-links
//! options, per-requirement `--hash` options. Bare paths and URLs name no
//! package and are skipped.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::LazyLock;

use pep508_rs::Requirement;
use regex::Regex;

use super::DriftError;
use super::declared::{Candidate, Origin};

/// Per-requirement options after the requirement (`--hash=...`, `-C k=v`).
static TRAILING_OPTIONS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s+-{1,2}[A-Za-z]").expect("static regex"));

/// The requirements of `files` (relative to `root`), in order. A file that
/// cannot be read is an error naming `[drift] requirements`.
pub fn read(
    root: &Path,
    files: &[String],
    config_file: &Path,
) -> Result<Vec<Candidate>, DriftError> {
    let mut out = Vec::new();
    for file in files {
        let path = root.join(file);
        if !path.is_file() {
            return Err(DriftError::Config {
                file: config_file.to_path_buf(),
                key: "drift.requirements".to_string(),
                message: format!("{} is not a file", path.display()),
            });
        }
        let mut stack = Vec::new();
        read_file(root, &path, &mut stack, &mut out)?;
    }
    Ok(out)
}

fn read_file(
    root: &Path,
    path: &Path,
    stack: &mut Vec<PathBuf>,
    out: &mut Vec<Candidate>,
) -> Result<(), DriftError> {
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if stack.contains(&canonical) {
        return Ok(()); // pip follows a cycle forever; once is enough
    }
    let text = std::fs::read_to_string(path).map_err(|source| DriftError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    stack.push(canonical);
    let shown = crate::pyenv::shown_path(path, root);
    for (line_no, line) in logical_lines(&text) {
        let err = |message: String| DriftError::Config {
            file: path.to_path_buf(),
            key: String::new(),
            message: format!("line {line_no}: {message}"),
        };
        if let Some(include) = option_value(&line, &["-r", "--requirement"]) {
            let base = path.parent().unwrap_or(root);
            let included = base.join(include);
            if !included.is_file() {
                return Err(err(format!(
                    "includes {}, which is not a file",
                    included.display()
                )));
            }
            read_file(root, &included, stack, out)?;
            continue;
        }
        if line.starts_with('-') {
            continue; // -c, -e, --index-url, --find-links, ...
        }
        let requirement = match TRAILING_OPTIONS.find(&line) {
            Some(m) => line[..m.start()].trim(),
            None => line.as_str(),
        };
        if names_no_package(requirement) {
            continue;
        }
        let req = Requirement::from_str(requirement).map_err(|e| {
            err(format!(
                "invalid requirement {requirement:?}: {}",
                e.message
            ))
        })?;
        out.push(Candidate {
            requirement: req,
            origin: Origin::Requirements {
                file: shown.clone(),
                line: line_no,
            },
            group: None,
        });
    }
    stack.pop();
    Ok(())
}

/// The file's logical lines (continuations joined, comments and blank
/// lines dropped) with the number of the line each starts on.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (i, raw) in text.lines().enumerate() {
        if current.is_empty() {
            start = i + 1;
        }
        let line = strip_comment(raw);
        if let Some(head) = line.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
            continue;
        }
        current.push_str(line);
        let joined = current.trim().to_string();
        current.clear();
        if !joined.is_empty() {
            out.push((start, joined));
        }
    }
    let rest = current.trim();
    if !rest.is_empty() {
        out.push((start, rest.to_string()));
    }
    out
}

/// A line without its `#` comment (a `#` at the start or after
/// whitespace; `pkg @ https://x/#egg=pkg` keeps its fragment).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

/// The value of `-r FILE`, `-rFILE`, `--requirement FILE` or
/// `--requirement=FILE`.
fn option_value<'a>(line: &'a str, names: &[&str]) -> Option<&'a str> {
    for name in names {
        if let Some(rest) = line.strip_prefix(name) {
            let value = if let Some(v) = rest.strip_prefix('=') {
                v
            } else if rest.starts_with(char::is_whitespace) {
                rest.trim_start()
            } else if name.len() == 2 && !rest.is_empty() {
                rest // `-rfile.txt`
            } else {
                continue;
            };
            return Some(value.trim());
        }
    }
    None
}

/// A bare path or URL (`./pkg`, `../x.whl`, `https://...`): no name to
/// compare with an installed distribution.
fn names_no_package(text: &str) -> bool {
    if text.contains(" @ ") || text.contains("@ ") {
        return false; // `name @ url` names its package
    }
    text.starts_with('.')
        || text.starts_with('/')
        || text.contains("://")
        || text.ends_with(".whl")
        || text.ends_with(".zip")
        || text.ends_with(".tar.gz")
}

/// Files in `root` that look like requirements files:
/// `*requirements*.txt`/`.in` and `*constraints*.txt`/`.in`, and the
/// `.txt`/`.in` files of a `requirements/` directory. Relative paths,
/// sorted.
pub fn detect(root: &Path) -> Vec<String> {
    let looks = |name: &str| name.ends_with(".txt") || name.ends_with(".in");
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(root) {
        for entry in entries.flatten() {
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let lower = name.to_ascii_lowercase();
            if looks(&lower)
                && (lower.contains("requirements") || lower.contains("constraints"))
                && entry.path().is_file()
            {
                out.push(name);
            }
        }
    }
    for dir in ["requirements", "reqs"] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
            for entry in entries.flatten() {
                let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                    continue;
                };
                if looks(&name.to_ascii_lowercase()) && entry.path().is_file() {
                    out.push(format!("{dir}/{name}"));
                }
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(c: &[Candidate]) -> Vec<String> {
        c.iter()
            .map(|c| format!("{} {}", c.requirement.name, c.origin.describe()))
            .collect()
    }

    #[test]
    fn pip_format() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("requirements")).unwrap();
        std::fs::write(
            root.join("requirements/dev.txt"),
            "# tools\n-r base.txt\n-c ../constraints.txt\n--index-url https://example.invalid/simple\nruff==0.14.0 \\\n    --hash=sha256:abc\n-e .\n./local-pkg\nhttps://example.invalid/x.whl\nmypy>=1.18 ; python_version >= '3.9'  # typing\npkg @ https://example.invalid/pkg.zip#egg=pkg\n",
        )
        .unwrap();
        std::fs::write(
            root.join("requirements/base.txt"),
            "requests==2.32.3\n-r dev.txt\n",
        )
        .unwrap();
        let found = read(
            root,
            &["requirements/dev.txt".to_string()],
            Path::new("h.toml"),
        )
        .unwrap();
        assert_eq!(
            names(&found),
            [
                "requests requirements/base.txt:1",
                "ruff requirements/dev.txt:5",
                "mypy requirements/dev.txt:10",
                "pkg requirements/dev.txt:11",
            ]
        );
        assert!(found[2].requirement.marker.try_to_string().is_some());
    }

    #[test]
    fn errors_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("r.txt"), "ruff==0.14\nruff>=>1\n").unwrap();
        let err = read(dir.path(), &["r.txt".to_string()], Path::new("h.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("r.txt") && err.contains("line 2"), "{err}");
        let err = read(dir.path(), &["nope.txt".to_string()], Path::new("h.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("drift.requirements") && err.contains("nope.txt"),
            "{err}"
        );
    }

    #[test]
    fn detection() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "requirements.txt",
            "dev-requirements.txt",
            "constraints.in",
            "README.txt",
            "requirements/lint.in",
            "requirements/notes.md",
        ] {
            std::fs::create_dir_all(root.join(f).parent().unwrap()).unwrap();
            std::fs::write(root.join(f), "").unwrap();
        }
        assert_eq!(
            detect(root),
            [
                "constraints.in",
                "dev-requirements.txt",
                "requirements.txt",
                "requirements/lint.in"
            ]
        );
    }
}
