//! What an archive has unpacked so far, as the unpacker's own record (the
//! staging directory is private and fresh, so the record and the disk
//! agree), and link resolution.
//!
//! A symlink's text alone says little: `a/l1 -> ..` is harmless, and so
//! is `x -> a/l1/a/l1/../..` read as text, yet the second climbs out of
//! the directory once the first is followed. [`resolve`] follows every
//! link it meets, component by component, exactly as the kernel would
//! (parent directories are always real directories here: nothing is
//! written through a link), and reports an escape the moment a `..` would
//! leave the root. The unpacker asks the file system itself whether a
//! name is a link, so the aliases of a case-insensitive file system (`A`
//! found as `a`) are followed as the kernel will follow them. Links are
//! checked when they are unpacked and all of them again once the archive
//! is complete, because a later member can turn a name an earlier link
//! passes through into a link.

use std::collections::{BTreeMap, VecDeque};
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// Most links followed while resolving one path (as `MAXSYMLINKS`).
const MAX_HOPS: usize = 40;

/// One unpacked entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Dir,
    /// A regular file; `seq` orders files as the archive listed them.
    File {
        executable: bool,
        size: u64,
        seq: u64,
    },
    Symlink(PathBuf),
}

/// Where a link leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Inside the root (the path may not exist).
    Inside(PathBuf),
    /// Out of the root: through `..` above it, or to an absolute path.
    Escapes,
    /// More than [`MAX_HOPS`] links.
    Loop,
}

/// The record: relative path → entry. The root itself is implicit.
#[derive(Debug, Default)]
pub struct Tree {
    nodes: BTreeMap<PathBuf, Node>,
    next_seq: u64,
}

impl Tree {
    pub fn get(&self, rel: &Path) -> Option<&Node> {
        self.nodes.get(rel)
    }

    pub fn insert_dir(&mut self, rel: &Path) {
        self.nodes.insert(rel.to_path_buf(), Node::Dir);
    }

    pub fn insert_file(&mut self, rel: &Path, executable: bool, size: u64) {
        self.next_seq += 1;
        let node = Node::File {
            executable,
            size,
            seq: self.next_seq,
        };
        self.nodes.insert(rel.to_path_buf(), node);
    }

    pub fn insert_symlink(&mut self, rel: &Path, target: &Path) {
        self.nodes
            .insert(rel.to_path_buf(), Node::Symlink(target.to_path_buf()));
    }

    pub fn remove(&mut self, rel: &Path) {
        self.nodes.remove(rel);
    }

    /// Regular files as they stand now (a file replaced by a later member
    /// is gone), in archive order.
    pub fn files(&self) -> Vec<(PathBuf, bool, u64)> {
        let mut files: Vec<(u64, PathBuf, bool, u64)> = self
            .nodes
            .iter()
            .filter_map(|(path, node)| match node {
                Node::File {
                    executable,
                    size,
                    seq,
                } => Some((*seq, path.clone(), *executable, *size)),
                _ => None,
            })
            .collect();
        files.sort();
        files.into_iter().map(|(_, p, x, s)| (p, x, s)).collect()
    }

    /// Every symlink, with its text.
    pub fn symlinks(&self) -> Vec<(PathBuf, PathBuf)> {
        self.nodes
            .iter()
            .filter_map(|(path, node)| match node {
                Node::Symlink(target) => Some((path.clone(), target.clone())),
                _ => None,
            })
            .collect()
    }

    /// The text of the link at `rel`, if `rel` is a recorded symlink.
    #[cfg(test)]
    pub fn link_at(&self, rel: &Path) -> Option<PathBuf> {
        match self.nodes.get(rel) {
            Some(Node::Symlink(text)) => Some(text.clone()),
            _ => None,
        }
    }
}

/// Resolve `target`, the text of a link that lives in directory `from`
/// (both relative to the root); `link_at(path)` gives the text of the link
/// at `path` (relative to the root), or `None` when `path` is not a link.
pub fn resolve(
    from: &Path,
    target: &Path,
    link_at: impl Fn(&Path) -> Option<PathBuf>,
) -> Resolution {
    let mut stack: Vec<OsString> = from
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_os_string()),
            _ => None,
        })
        .collect();
    if target.is_absolute() {
        return Resolution::Escapes;
    }
    let mut pending: VecDeque<OwnedPart> = target.components().map(OwnedPart::from).collect();
    let mut hops = 0;
    while let Some(part) = pending.pop_front() {
        match part {
            OwnedPart::Cur => {}
            OwnedPart::Parent => {
                if stack.pop().is_none() {
                    return Resolution::Escapes;
                }
            }
            OwnedPart::Root => return Resolution::Escapes,
            OwnedPart::Name(name) => {
                stack.push(name);
                let here: PathBuf = stack.iter().collect();
                if let Some(text) = link_at(&here) {
                    hops += 1;
                    if hops > MAX_HOPS {
                        return Resolution::Loop;
                    }
                    stack.pop();
                    if text.is_absolute() {
                        return Resolution::Escapes;
                    }
                    for part in text.components().rev() {
                        pending.push_front(OwnedPart::from(part));
                    }
                }
            }
        }
    }
    Resolution::Inside(stack.iter().collect())
}

/// A path component that owns its name.
enum OwnedPart {
    Cur,
    Parent,
    Root,
    Name(OsString),
}

impl From<Component<'_>> for OwnedPart {
    fn from(c: Component<'_>) -> Self {
        match c {
            Component::CurDir => OwnedPart::Cur,
            Component::ParentDir => OwnedPart::Parent,
            Component::Normal(n) => OwnedPart::Name(n.to_os_string()),
            Component::RootDir | Component::Prefix(_) => OwnedPart::Root,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(links: &[(&str, &str)], dirs: &[&str]) -> Tree {
        let mut t = Tree::default();
        for d in dirs {
            t.insert_dir(Path::new(d));
        }
        for (at, text) in links {
            t.insert_symlink(Path::new(at), Path::new(text));
        }
        t
    }

    fn resolve(t: &Tree, from: &str, text: &str) -> Resolution {
        super::resolve(Path::new(from), Path::new(text), |p| t.link_at(p))
    }

    #[test]
    fn plain_relative_links_stay_inside() {
        let t = tree(&[], &["pkg", "pkg/bin"]);
        assert_eq!(
            resolve(&t, "pkg/bin", "../lib/x"),
            Resolution::Inside(PathBuf::from("pkg/lib/x"))
        );
        assert_eq!(resolve(&t, "", "."), Resolution::Inside(PathBuf::new()));
        assert_eq!(resolve(&t, "pkg", "../../x"), Resolution::Escapes);
        assert_eq!(resolve(&t, "", "/etc/passwd"), Resolution::Escapes);
    }

    /// `a/l1 -> ..` is harmless on its own; a link through it ten times
    /// and then up twenty levels looks fine as text and climbs out.
    #[test]
    fn chains_through_earlier_links_are_followed() {
        let t = tree(&[("a/l1", "..")], &["a"]);
        assert_eq!(resolve(&t, "a", ".."), Resolution::Inside(PathBuf::new()));
        let through = format!("{}{}", "a/l1/".repeat(10), "../".repeat(20));
        assert_eq!(resolve(&t, "", &through), Resolution::Escapes);
        assert_eq!(
            resolve(&t, "", "a/l1/a/l1/a"),
            Resolution::Inside(PathBuf::from("a"))
        );
    }

    #[test]
    fn absolute_link_in_a_chain_and_loops() {
        let t = tree(&[("a/etc", "/etc"), ("x", "y"), ("y", "x")], &["a"]);
        assert_eq!(resolve(&t, "", "a/etc/passwd"), Resolution::Escapes);
        assert_eq!(resolve(&t, "", "x"), Resolution::Loop);
    }

    #[test]
    fn replaced_files_leave_the_listing() {
        let mut t = Tree::default();
        t.insert_file(Path::new("tool"), true, 3);
        t.insert_file(Path::new("other"), false, 1);
        t.remove(Path::new("tool"));
        t.insert_symlink(Path::new("tool"), Path::new("other"));
        assert_eq!(t.files(), vec![(PathBuf::from("other"), false, 1)]);
        assert_eq!(
            t.symlinks(),
            vec![(PathBuf::from("tool"), PathBuf::from("other"))]
        );
    }
}
