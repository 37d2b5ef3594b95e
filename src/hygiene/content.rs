//! Checks that look at a file's bytes or its name and never change it:
//! check-merge-conflict, detect-private-key, check-symlinks and
//! check-illegal-windows-names. Markers are found with SIMD substring
//! search over the whole file first; lines are only walked when one is
//! present.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use memchr::memchr;
use memchr::memmem;

use super::fixers::{Verdict, standalone};
use super::parallel::{FileReport, per_file};
use super::{Context, HygieneError, Outcome};
use crate::git::Repo;

/// Whether git is in the middle of a merge or a rebase, as the reference
/// decides it: `MERGE_MSG` and one of `MERGE_HEAD`, `rebase-apply`,
/// `rebase-merge` in this work tree's git directory.
pub(super) fn in_merge(ctx: &Context) -> Result<bool, HygieneError> {
    let repo = Repo::discover(&ctx.dir)?;
    let dir = repo.git_dir();
    Ok(dir.join("MERGE_MSG").exists()
        && ["MERGE_HEAD", "rebase-apply", "rebase-merge"]
            .iter()
            .any(|name| dir.join(name).exists()))
}

const CONFLICT_PATTERNS: [&[u8]; 5] = [
    b"<<<<<<< ",
    b"======= ",
    b"=======\r\n",
    b"=======\n",
    b">>>>>>> ",
];

/// check-merge-conflict: during a merge (or with `--assume-in-merge`),
/// lines starting with a conflict marker.
pub(super) fn merge_conflict(
    ctx: &Context,
    assume_in_merge: bool,
) -> Result<Outcome, HygieneError> {
    if !assume_in_merge && !in_merge(ctx)? {
        return Ok(Outcome::default());
    }
    Ok(standalone(ctx, merge_conflict_of))
}

/// check-merge-conflict on one file's bytes (in a merge).
pub(super) fn merge_conflict_of(shown: &str, data: &[u8]) -> Verdict {
    let any = [&b"<<<<<<< "[..], b"=======", b">>>>>>> "]
        .iter()
        .any(|m| memmem::find(data, m).is_some());
    if !any {
        return Verdict::Clean;
    }
    let mut report = FileReport::default();
    let mut start = 0;
    let mut number = 0usize;
    while start < data.len() {
        number += 1;
        let end = memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i + 1);
        let line = &data[start..end];
        if matches!(line.first(), Some(b'<' | b'=' | b'>')) {
            for pattern in CONFLICT_PATTERNS {
                if line.starts_with(pattern) {
                    let marker = String::from_utf8_lossy(pattern.trim_ascii());
                    report.stdout.push_str(&format!(
                        "{shown}:{number}: Merge conflict string '{marker}' found\n"
                    ));
                    report.failed = true;
                }
            }
        }
        start = end;
    }
    if report.failed {
        Verdict::Report(report)
    } else {
        Verdict::Clean
    }
}

const KEY_MARKERS: [&str; 10] = [
    "BEGIN RSA PRIVATE KEY",
    "BEGIN DSA PRIVATE KEY",
    "BEGIN EC PRIVATE KEY",
    "BEGIN OPENSSH PRIVATE KEY",
    "BEGIN PRIVATE KEY",
    "PuTTY-User-Key-File-2",
    "BEGIN SSH2 ENCRYPTED PRIVATE KEY",
    "BEGIN PGP PRIVATE KEY BLOCK",
    "BEGIN ENCRYPTED PRIVATE KEY",
    "BEGIN OpenVPN Static key V1",
];

static KEYS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| AhoCorasick::new(KEY_MARKERS).ok());

/// detect-private-key: any of the reference's markers anywhere in a file.
pub(super) fn private_key(ctx: &Context) -> Outcome {
    standalone(ctx, private_key_of)
}

/// detect-private-key on one file's bytes.
pub(super) fn private_key_of(shown: &str, data: &[u8]) -> Verdict {
    let found = match KEYS.as_ref() {
        Some(ac) => ac.is_match(data),
        None => KEY_MARKERS
            .iter()
            .any(|m| memmem::find(data, m.as_bytes()).is_some()),
    };
    if found {
        Verdict::Report(FileReport::fail(format!("Private key found: {shown}\n")))
    } else {
        Verdict::Clean
    }
}

/// check-symlinks: links whose target does not exist.
pub(super) fn broken_symlinks(ctx: &Context) -> Outcome {
    per_file(&ctx.dir, &ctx.files, |shown, path| {
        let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        if is_link && std::fs::metadata(path).is_err() {
            FileReport::fail(format!("{shown}: Broken symlink\n"))
        } else {
            FileReport::default()
        }
    })
}

/// The reference hook's `files` pattern (a `language: fail` hook: every
/// matching name fails).
const WINDOWS_ILLEGAL: &str = r#"(?i)((^|/)(CON|PRN|AUX|NUL|COM[\d¹²³]|LPT[\d¹²³])(\.|/|$)|[<>:"\\|?*\x00-\x1F]|/[^/]*[\.\s]/|[^/]*[\.\s]$)"#;

static WINDOWS_RE: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(WINDOWS_ILLEGAL).expect("the pattern is a constant"));

/// check-illegal-windows-names: reserved device names, forbidden
/// characters, and components ending in a dot or a space.
pub(super) fn illegal_windows_names(ctx: &Context) -> Outcome {
    let bad: Vec<String> = ctx
        .files
        .iter()
        .map(|f| f.to_string_lossy().into_owned())
        .filter(|name| WINDOWS_RE.is_match(name))
        .collect();
    if bad.is_empty() {
        return Outcome::default();
    }
    let mut stdout = String::from("Illegal Windows filenames detected\n\n");
    for name in &bad {
        stdout.push_str(name);
        stdout.push('\n');
    }
    Outcome {
        failed: true,
        stdout,
        ..Default::default()
    }
}
