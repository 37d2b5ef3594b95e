//! Dangerous-path refusal: the places a cleanup must never be aimed at,
//! however it is asked. Checked on the canonical path (symlinks and `..`
//! resolved) and on the path as given, so `/usr/local`, `/usr/../usr`, a
//! symlink to `/etc` and `/lib` (a link to `/usr/lib`) are all refused.
//!
//! Strings are not enough: a bind mount (or any other alias) shows the
//! same directory under another name. So the refusals also compare
//! identities: the path and each of its ancestors (device and inode)
//! against every refused directory and against `$HOME` and its ancestors,
//! and, through `/proc/self/mountinfo`, where the path really lies in its
//! filesystem, so a bind mount of `/usr/share` is still under `/usr`.
//!
//! The temp dir `/tmp` is allowed (tests and scratch work live there);
//! `/var/tmp` is under `/var` and refused.

use std::path::{Component, Path, PathBuf};

use crate::cleanup::ident::{self, Meta};

/// System directories refused together with everything under them.
const SYSTEM_TREES: &[&str] = &[
    "/usr",
    "/etc",
    "/var",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/opt",
    "/boot",
    "/root",
    "/sys",
    "/proc",
    "/dev",
    "/run",
    "/snap",
    "/System",
    "/Library",
    "/Applications",
    "/private/var",
    "/private/etc",
    "/cores",
];

/// Directories refused themselves (they hold user homes and volumes), but
/// not what is under them.
const EXACT: &[&str] = &[
    "/", "/home", "/Users", "/Volumes", "/private", "/mnt", "/media",
];

/// Why a path is refused, or `None` if it may be cleaned.
pub fn refusal(path: &Path, home: Option<&Path>) -> Option<String> {
    let canonical = path.canonicalize().ok();
    let candidates: Vec<PathBuf> = std::iter::once(normalize(path))
        .chain(canonical.clone())
        .collect();
    for p in &candidates {
        if let Some(reason) = refusal_of(p, home) {
            return Some(reason);
        }
    }
    canonical.and_then(|c| refusal_by_identity(&c, home))
}

fn same(a: &Meta, b: &Meta) -> bool {
    a.dev == b.dev && a.ino == b.ino
}

/// The refusals again, by what the directory is rather than what it is
/// called (`path` is canonical).
fn refusal_by_identity(path: &Path, home: Option<&Path>) -> Option<String> {
    let me = ident::stat_path_follow(path).ok()?;
    let known = |p: &str| ident::stat_path_follow(Path::new(p)).ok();
    for exact in EXACT.iter().chain(SYSTEM_TREES) {
        if known(exact).is_some_and(|m| same(&m, &me)) {
            return Some(format!("it is {exact} under another name"));
        }
    }
    let trees: Vec<(&str, Meta)> = SYSTEM_TREES
        .iter()
        .filter_map(|t| known(t).map(|m| (*t, m)))
        .collect();
    for ancestor in path.ancestors().skip(1) {
        let Ok(m) = ident::stat_path_follow(ancestor) else {
            continue;
        };
        if let Some((tree, _)) = trees.iter().find(|(_, t)| same(t, &m)) {
            return Some(format!(
                "it is under the system directory {tree} ({} is {tree} under another name)",
                ancestor.display()
            ));
        }
    }
    let here = ident::location(path);
    if let Some((dev, inside)) = &here {
        for (tree, _) in &trees {
            if let Some((tdev, tinside)) = ident::location(Path::new(tree))
                && tdev == *dev
                && inside.starts_with(&tinside)
            {
                return Some(format!(
                    "it is under the system directory {tree} (it is {} of that filesystem, reached through a mount)",
                    inside.display()
                ));
            }
        }
    }
    let home = home?;
    let home = home.canonicalize().unwrap_or_else(|_| normalize(home));
    for (i, ancestor) in home.ancestors().enumerate() {
        if ident::stat_path_follow(ancestor).is_ok_and(|m| same(&m, &me)) {
            return Some(if i == 0 {
                "it is your home directory (under another name)".to_string()
            } else {
                format!(
                    "it contains your home directory {} (it is {} under another name)",
                    home.display(),
                    ancestor.display()
                )
            });
        }
    }
    if let (Some((dev, inside)), Some((hdev, hinside))) = (here, ident::location(&home))
        && dev == hdev
        && hinside.starts_with(&inside)
    {
        return Some(format!(
            "it contains your home directory {} (reached through a mount)",
            home.display()
        ));
    }
    None
}

fn refusal_of(p: &Path, home: Option<&Path>) -> Option<String> {
    if is_drive_root(p) {
        return Some("it is the root of a filesystem".to_string());
    }
    for exact in EXACT {
        if p == Path::new(exact) {
            return Some(format!("{exact} is a system directory"));
        }
    }
    for tree in SYSTEM_TREES {
        if p.starts_with(tree) {
            return Some(format!("it is under the system directory {tree}"));
        }
    }
    if let Some(home) = home {
        let homes = [Some(normalize(home)), home.canonicalize().ok()];
        for h in homes.iter().flatten() {
            if p == h {
                return Some("it is your home directory".to_string());
            }
            if h.starts_with(p) {
                return Some(format!("it contains your home directory {}", h.display()));
            }
        }
    }
    None
}

/// `/` on Unix; `C:\` (a prefix and a root and nothing else) on Windows.
fn is_drive_root(p: &Path) -> bool {
    let mut saw_root = false;
    for c in p.components() {
        match c {
            Component::Prefix(_) => {}
            Component::RootDir => saw_root = true,
            _ => return false,
        }
    }
    saw_root
}

/// Remove `.` and resolve `..` lexically (for the path as given, before
/// canonicalization may fail on a missing path).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_trees_and_home_are_refused() {
        let home = Path::new("/home/alice");
        for p in [
            "/",
            "/usr",
            "/usr/local",
            "/usr/../usr/local/bin",
            "/etc",
            "/var/tmp",
            "/home",
            "/home/alice",
            "/home/alice/.",
            "/Users",
            "/Library/Caches",
            "/proc/self",
        ] {
            assert!(refusal(Path::new(p), Some(home)).is_some(), "{p}");
        }
        for p in ["/tmp", "/tmp/x", "/home/alice/src/repo", "/home/bob"] {
            assert!(refusal(Path::new(p), Some(home)).is_none(), "{p}");
        }
    }
}
