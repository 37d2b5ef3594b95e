//! Tree-to-index and tree-to-tree comparison, reduced to what the hooks
//! need: the names of paths that were added or changed.
//!
//! The index walk follows HEAD's tree and the index in lock-step (both are
//! in git's path order) and skips every directory whose cache-tree entry in
//! the index is valid and equal to HEAD's subtree, as git itself does; so a
//! commit of a few files in a large repository reads a few trees.

use std::cmp::Ordering;

use gix::bstr::{BString, ByteSlice};
use gix::index::extension::Tree as CacheTree;
use gix::objs::tree::EntryMode;

use super::GitError;

/// The kind of a tracked path, as far as git's `T` (type change) goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Blob,
    Link,
    Gitlink,
    Other,
}

fn tree_kind(mode: EntryMode) -> Kind {
    if mode.is_link() {
        Kind::Link
    } else if mode.is_commit() {
        Kind::Gitlink
    } else if mode.is_blob() {
        Kind::Blob
    } else {
        Kind::Other
    }
}

fn index_kind(mode: gix::index::entry::Mode) -> Kind {
    use gix::index::entry::Mode;
    if mode == Mode::SYMLINK {
        Kind::Link
    } else if mode == Mode::COMMIT {
        Kind::Gitlink
    } else if mode == Mode::FILE || mode == Mode::FILE_EXECUTABLE {
        Kind::Blob
    } else {
        Kind::Other
    }
}

fn is_executable_index(mode: gix::index::entry::Mode) -> bool {
    mode == gix::index::entry::Mode::FILE_EXECUTABLE
}

fn read_tree(repo: &gix::Repository, id: gix::ObjectId) -> Result<gix::Tree<'_>, GitError> {
    repo.find_tree(id).map_err(|e| GitError::Read {
        what: format!("cannot read tree {id}"),
        message: e.to_string(),
    })
}

fn decode_err(e: impl std::fmt::Display) -> GitError {
    GitError::Read {
        what: "cannot decode a tree".to_string(),
        message: e.to_string(),
    }
}

struct IndexWalk<'a> {
    repo: &'a gix::Repository,
    index: &'a gix::index::State,
    pos: usize,
    out: Vec<BString>,
}

impl IndexWalk<'_> {
    fn path(&self, i: usize) -> &[u8] {
        self.index.entries()[i].path(self.index).as_bytes()
    }

    fn take_if_staged(&mut self, i: usize) {
        let entry = &self.index.entries()[i];
        let ita = entry
            .flags
            .contains(gix::index::entry::Flags::INTENT_TO_ADD);
        if entry.stage_raw() == 0 && !ita {
            self.out.push(entry.path(self.index).to_owned());
        }
    }

    /// Every index entry that sorts before `bound` is absent from HEAD: an
    /// addition.
    fn additions_before(&mut self, bound: &[u8]) {
        let len = self.index.entries().len();
        while self.pos < len && self.path(self.pos) < bound {
            self.take_if_staged(self.pos);
            self.pos += 1;
        }
    }

    /// Every remaining index entry under `prefix` (ending in `/`) is an
    /// addition.
    fn additions_under(&mut self, prefix: &[u8]) {
        let len = self.index.entries().len();
        while self.pos < len && self.path(self.pos).starts_with(prefix) {
            self.take_if_staged(self.pos);
            self.pos += 1;
        }
    }

    /// If the cache-tree says the directory at `prefix` equals `id`, skip
    /// its entries and return true.
    fn skip_unchanged_dir(
        &mut self,
        cache: Option<&CacheTree>,
        id: &gix::oid,
        prefix: &[u8],
    ) -> bool {
        let Some(cache) = cache else { return false };
        let Some(n) = cache.num_entries else {
            return false;
        };
        if cache.id.as_ref() != id || n == 0 {
            return false;
        }
        let n = n as usize;
        let len = self.index.entries().len();
        let end = self.pos + n;
        // The count is advisory; trust it only if the range is exactly the
        // entries under the prefix.
        let fits = end <= len
            && self.path(self.pos).starts_with(prefix)
            && self.path(end - 1).starts_with(prefix)
            && (end == len || !self.path(end).starts_with(prefix));
        if fits {
            self.pos = end;
        }
        fits
    }

    fn walk(
        &mut self,
        tree: gix::ObjectId,
        cache: Option<&CacheTree>,
        prefix: &mut Vec<u8>,
    ) -> Result<(), GitError> {
        let tree = read_tree(self.repo, tree)?;
        let decoded = tree.decode().map_err(decode_err)?;
        for entry in &decoded.entries {
            let base = prefix.len();
            prefix.extend_from_slice(entry.filename);
            if entry.mode.is_tree() {
                prefix.push(b'/');
                self.additions_before(prefix);
                let child = cache.and_then(|c| {
                    c.children
                        .iter()
                        .find(|t| t.name.as_slice() == entry.filename.as_bytes())
                });
                if !self.skip_unchanged_dir(child, entry.oid, prefix) {
                    self.walk(entry.oid.to_owned(), child, prefix)?;
                    self.additions_under(prefix);
                }
            } else {
                self.additions_before(prefix);
                self.compare_entry(entry.mode, entry.oid, prefix);
            }
            prefix.truncate(base);
        }
        Ok(())
    }

    /// HEAD has a non-tree entry at `path`; compare with the index entries
    /// at the same path (if any).
    fn compare_entry(&mut self, head_mode: EntryMode, head_id: &gix::oid, path: &[u8]) {
        let len = self.index.entries().len();
        while self.pos < len && self.path(self.pos) == path {
            let entry = &self.index.entries()[self.pos];
            let ita = entry
                .flags
                .contains(gix::index::entry::Flags::INTENT_TO_ADD);
            if entry.stage_raw() == 0 && !ita {
                let same_kind = index_kind(entry.mode) == tree_kind(head_mode);
                let changed = entry.id.as_ref() != head_id
                    || (same_kind && is_executable_index(entry.mode) != head_mode.is_executable());
                // Modified (M) counts; a type change (T) does not.
                if changed && same_kind {
                    self.out.push(entry.path(self.index).to_owned());
                }
            }
            self.pos += 1;
        }
    }
}

/// `git diff --cached --name-only --diff-filter=ACMR` against `head_tree`.
pub fn index_against_tree(
    repo: &gix::Repository,
    index: &gix::index::State,
    head_tree: gix::ObjectId,
) -> Result<Vec<BString>, GitError> {
    let root_cache = index.tree();
    if let Some(root) = root_cache
        && root.num_entries.is_some()
        && root.id == head_tree
        && root.num_entries == Some(index.entries().len() as u32)
    {
        return Ok(Vec::new());
    }
    let mut walk = IndexWalk {
        repo,
        index,
        pos: 0,
        out: Vec::new(),
    };
    if head_tree != gix::ObjectId::empty_tree(head_tree.kind()) {
        walk.walk(head_tree, root_cache, &mut Vec::new())?;
    }
    let len = index.entries().len();
    while walk.pos < len {
        walk.take_if_staged(walk.pos);
        walk.pos += 1;
    }
    Ok(walk.out)
}

/// Sort key of a tree entry in git's tree order (directories compare as if
/// their name ended in `/`).
fn tree_order(a: &gix::objs::tree::EntryRef<'_>, b: &gix::objs::tree::EntryRef<'_>) -> Ordering {
    let key = |e: &gix::objs::tree::EntryRef<'_>| {
        let mut k = e.filename.to_vec();
        if e.mode.is_tree() {
            k.push(b'/');
        }
        k
    };
    key(a).cmp(&key(b))
}

/// Added or changed (not deleted) paths between two trees.
pub fn tree_against_tree(
    repo: &gix::Repository,
    old: gix::ObjectId,
    new: gix::ObjectId,
) -> Result<Vec<BString>, GitError> {
    let mut out = Vec::new();
    let empty = gix::ObjectId::empty_tree(old.kind());
    let old = (old != empty).then_some(old);
    diff_trees(repo, old, new, &mut Vec::new(), &mut out)?;
    Ok(out)
}

fn diff_trees(
    repo: &gix::Repository,
    old: Option<gix::ObjectId>,
    new: gix::ObjectId,
    prefix: &mut Vec<u8>,
    out: &mut Vec<BString>,
) -> Result<(), GitError> {
    if old == Some(new) {
        return Ok(());
    }
    let new_tree = read_tree(repo, new)?;
    let new_entries = new_tree.decode().map_err(decode_err)?.entries;
    let old_tree = match old {
        Some(id) => Some(read_tree(repo, id)?),
        None => None,
    };
    let old_entries = match &old_tree {
        Some(t) => t.decode().map_err(decode_err)?.entries,
        None => Vec::new(),
    };
    let (mut i, mut j) = (0, 0);
    while j < new_entries.len() {
        let n = &new_entries[j];
        let order = match old_entries.get(i) {
            Some(o) => tree_order(o, n),
            None => Ordering::Greater,
        };
        match order {
            Ordering::Less => i += 1, // deleted
            Ordering::Greater => {
                emit(repo, None, n, prefix, out)?;
                j += 1;
            }
            Ordering::Equal => {
                let o = &old_entries[i];
                if o.oid != n.oid || o.mode != n.mode {
                    emit(repo, Some(o), n, prefix, out)?;
                }
                i += 1;
                j += 1;
            }
        }
    }
    Ok(())
}

fn emit(
    repo: &gix::Repository,
    old: Option<&gix::objs::tree::EntryRef<'_>>,
    new: &gix::objs::tree::EntryRef<'_>,
    prefix: &mut Vec<u8>,
    out: &mut Vec<BString>,
) -> Result<(), GitError> {
    let base = prefix.len();
    prefix.extend_from_slice(new.filename);
    if new.mode.is_tree() {
        prefix.push(b'/');
        diff_trees(
            repo,
            old.map(|o| o.oid.to_owned()),
            new.oid.to_owned(),
            prefix,
            out,
        )?;
    } else {
        out.push(BString::from(prefix.as_slice()));
    }
    prefix.truncate(base);
    Ok(())
}
