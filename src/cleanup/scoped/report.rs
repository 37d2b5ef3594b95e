//! What a hook says about junk: the hits grouped by the directory that
//! made them junk (`.venv/  (5,699 files, virtual environment)`, one line
//! for a whole `__pycache__`), and the fix as one `git rm --cached -r --`
//! over those directories and the loose junk files, shell-quoted, wrapped
//! so no line runs past [`FIX_WIDTH`] columns, and capped at
//! [`MAX_FIX_PATHS`] pathspecs with a count of the rest. The listing is
//! capped at [`MAX_SHOWN_GROUPS`] lines the same way.
//!
//! Grouping is one pass with a map from the matched directory to its
//! group, so 50,000 hits cost 50,000 lookups; groups keep the order in
//! which their first path came.

use std::collections::HashMap;

use crate::cleanup::preview::escape_bytes;
use crate::git::BString;
use crate::printer::{Printer, Tone};

use super::{JunkHit, JunkReason};

/// The longest line of the suggested command (continuations included).
pub const FIX_WIDTH: usize = 78;
/// At most this many pathspecs in the suggested command.
pub const MAX_FIX_PATHS: usize = 40;
/// At most this many groups listed in a message.
pub const MAX_SHOWN_GROUPS: usize = 20;

/// Junk paths that share the directory that made them junk, or one loose
/// junk file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JunkGroup {
    /// The directory (`.venv`, `pkg/__pycache__`) or the junk path itself.
    pub path: BString,
    /// `path` is a directory holding the hits (not itself a hit).
    pub is_dir: bool,
    pub reason: JunkReason,
    /// How many of the checked paths are in it.
    pub count: usize,
}

/// Group hits by the directory that made them junk, in first-seen order.
pub fn group_hits(hits: &[JunkHit]) -> Vec<JunkGroup> {
    let mut groups: Vec<JunkGroup> = Vec::new();
    let mut index: HashMap<&[u8], usize> = HashMap::new();
    for hit in hits {
        let key: &[u8] = hit.matched.as_ref();
        match index.get(key) {
            Some(&i) => groups[i].count += 1,
            None => {
                index.insert(key, groups.len());
                groups.push(JunkGroup {
                    path: hit.matched.clone(),
                    is_dir: hit.matched != hit.path,
                    reason: hit.reason,
                    count: 1,
                });
            }
        }
    }
    groups
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

/// The suggested fix and how many groups it leaves out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixCommand {
    /// `git rm --cached -r -- …`, shell-quoted; long commands continue on
    /// the next line after ` \`, indented by four spaces.
    pub text: String,
    /// Groups beyond [`MAX_FIX_PATHS`], not in the command.
    pub left_out: usize,
}

/// The command that removes the groups from the index (directories
/// recursively), shell-quoted and wrapped.
pub fn fix_for_groups(groups: &[JunkGroup]) -> FixCommand {
    let mut text = String::from("git rm --cached -r --");
    let mut line_len = text.len();
    for g in groups.iter().take(MAX_FIX_PATHS) {
        let word = shell_quote(&literal_pathspec(&g.path));
        // Keep room for the ` \` that would end this line.
        if line_len + 1 + word.len() + 2 > FIX_WIDTH && line_len > 4 {
            text.push_str(" \\\n    ");
            line_len = 4;
        } else {
            text.push(' ');
            line_len += 1;
        }
        text.push_str(&word);
        line_len += word.len();
    }
    FixCommand {
        text,
        left_out: groups.len().saturating_sub(MAX_FIX_PATHS),
    }
}

/// The fix for these hits (see [`fix_for_groups`]).
pub fn fix_command(hits: &[JunkHit]) -> String {
    fix_for_groups(&group_hits(hits)).text
}

/// `5,699`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// One listing line per group, at most [`MAX_SHOWN_GROUPS`] of them,
/// then `… and K more places (N paths)`.
fn listing(groups: &[JunkGroup]) -> String {
    let mut s = String::new();
    for g in groups.iter().take(MAX_SHOWN_GROUPS) {
        if g.is_dir {
            s.push_str(&format!(
                "  {}/  ({}, {})\n",
                escape_bytes(&g.path),
                plural(g.count, "file", "files"),
                g.reason.as_str()
            ));
        } else {
            s.push_str(&format!(
                "  {}  ({})\n",
                escape_bytes(&g.path),
                g.reason.as_str()
            ));
        }
    }
    if groups.len() > MAX_SHOWN_GROUPS {
        let rest = &groups[MAX_SHOWN_GROUPS..];
        let paths: usize = rest.iter().map(|g| g.count).sum();
        s.push_str(&format!(
            "  … and {} more {} ({})\n",
            thousands(rest.len()),
            if rest.len() == 1 { "place" } else { "places" },
            plural(paths, "path", "paths")
        ));
    }
    s
}

/// The failure text: the junk grouped by directory, then the fix.
pub fn render_failure(printer: &Printer, hits: &[JunkHit]) -> String {
    let groups = group_hits(hits);
    let mut s = format!(
        "{} {} junk {} about to be committed",
        printer.paint("cleanup:", Tone::Bad),
        thousands(hits.len()),
        if hits.len() == 1 {
            "path is"
        } else {
            "paths are"
        }
    );
    if groups.len() < hits.len() {
        s.push_str(&format!(", in {}", plural(groups.len(), "place", "places")));
    }
    s.push_str(":\n");
    s.push_str(&listing(&groups));
    let fix = fix_for_groups(&groups);
    s.push_str(&format!(
        "{} remove them from the index (the files stay on disk):\n  {}\n",
        printer.paint("fix:", Tone::Info),
        fix.text.replace('\n', "\n  ")
    ));
    if fix.left_out > 0 {
        s.push_str(&format!(
            "  ({} left out of that command: run the check again after it)\n",
            plural(fix.left_out, "place", "places")
        ));
    }
    s.push_str(
        "  or keep a path with `[cleanup] exclude = [\"<glob>\"]`,\n  or let hooks unstage junk with `[cleanup] hook = \"unstage\"`\n",
    );
    s
}

/// The notice after unstaging: how many paths, grouped as in
/// [`render_failure`].
pub fn render_unstaged(printer: &Printer, hits: &[JunkHit]) -> String {
    let groups = group_hits(hits);
    format!(
        "{} unstaged {} (the files stay on disk):\n{}",
        printer.paint("cleanup:", Tone::Warn),
        plural(hits.len(), "junk path", "junk paths"),
        listing(&groups)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cleanup::Category;

    fn hit(path: &str, matched: &str, reason: JunkReason) -> JunkHit {
        JunkHit {
            path: path.into(),
            reason,
            matched: matched.into(),
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote(b"a/b.txt"), "a/b.txt");
        assert_eq!(shell_quote(b"it's here"), "'it'\\''s here'");
        assert_eq!(shell_quote(b"a\nb\xff"), "$'a\\nb\\xff'");
        assert_eq!(shell_quote(b"Icon\r"), "$'Icon\\r'");
        let py = JunkReason::Rule(Category::PythonCache);
        assert_eq!(
            fix_command(&[hit("x/*.pyc", "x/*.pyc", py)]),
            "git rm --cached -r -- ':(literal)x/*.pyc'"
        );
    }

    #[test]
    fn groups_by_the_matched_directory_in_first_seen_order() {
        let py = JunkReason::Rule(Category::PythonCache);
        let mac = JunkReason::Rule(Category::Macos);
        let venv = JunkReason::VirtualEnv;
        let hits = [
            hit(".DS_Store", ".DS_Store", mac),
            hit(".venv/bin/python", ".venv", venv),
            hit("pkg/__pycache__/a.pyc", "pkg/__pycache__", py),
            hit(".venv/pyvenv.cfg", ".venv", venv),
            hit("pkg/__pycache__/b.pyc", "pkg/__pycache__", py),
            hit(".venv/lib/x.py", ".venv", venv),
        ];
        let groups = group_hits(&hits);
        let shown: Vec<(String, bool, usize)> = groups
            .iter()
            .map(|g| (g.path.to_string(), g.is_dir, g.count))
            .collect();
        assert_eq!(
            shown,
            [
                (".DS_Store".to_string(), false, 1),
                (".venv".to_string(), true, 3),
                ("pkg/__pycache__".to_string(), true, 2),
            ]
        );
        let text = render_failure(&Printer::plain(), &hits);
        assert_eq!(
            text.lines().take(5).collect::<Vec<_>>(),
            [
                "cleanup: 6 junk paths are about to be committed, in 3 places:",
                "  .DS_Store  (macos)",
                "  .venv/  (3 files, virtual environment)",
                "  pkg/__pycache__/  (2 files, python-cache)",
                "fix: remove them from the index (the files stay on disk):",
            ]
        );
        assert!(
            text.contains("  git rm --cached -r -- .DS_Store .venv pkg/__pycache__\n"),
            "{text}"
        );
    }

    #[test]
    fn long_fixes_wrap_and_stop_at_the_cap() {
        let py = JunkReason::Rule(Category::PythonCache);
        let hits: Vec<JunkHit> = (0..MAX_FIX_PATHS + 7)
            .map(|i| {
                let dir = format!("src/package_{i:03}/__pycache__");
                hit(&format!("{dir}/m.pyc"), &dir, py)
            })
            .collect();
        let fix = fix_for_groups(&group_hits(&hits));
        assert_eq!(fix.left_out, 7);
        let lines: Vec<&str> = fix.text.lines().collect();
        assert!(lines.len() > 10, "{}", fix.text);
        for (i, line) in lines.iter().enumerate() {
            assert!(line.len() <= FIX_WIDTH, "{line:?}");
            assert_eq!(line.ends_with(" \\"), i + 1 < lines.len(), "{line:?}");
        }
        assert!(fix.text.contains("src/package_039/__pycache__"));
        assert!(!fix.text.contains("src/package_040/__pycache__"));
        let text = render_failure(&Printer::plain(), &hits);
        assert!(
            text.contains("  … and 27 more places (27 paths)\n"),
            "{text}"
        );
        assert!(
            text.contains("(7 places left out of that command: run the check again after it)"),
            "{text}"
        );
        assert_eq!(thousands(5699), "5,699");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }
}
