//! Dangerous-path refusal: the places a cleanup must never be aimed at,
//! however it is asked. Checked on the canonical path (symlinks and `..`
//! resolved) and on the path as given, so `/usr/local`, `/usr/../usr`, a
//! symlink to `/etc` and `/lib` (a link to `/usr/lib`) are all refused.
//!
//! The temp dir `/tmp` is allowed (tests and scratch work live there);
//! `/var/tmp` is under `/var` and refused.

use std::path::{Component, Path, PathBuf};

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
    let candidates: Vec<PathBuf> = std::iter::once(normalize(path)).chain(canonical).collect();
    for p in &candidates {
        if let Some(reason) = refusal_of(p, home) {
            return Some(reason);
        }
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
