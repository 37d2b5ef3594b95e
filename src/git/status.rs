//! Unstaged changes: tracked paths whose work-tree state differs from the
//! index (content, executable bit, type, or deletion), found with gix's
//! parallel index-to-worktree status. Submodules, intent-to-add entries and
//! conflicts are left out: nothing in hephaestus touches them.

use gix::bstr::BString;
use gix::status::index_worktree::Item;
use gix_status_types::{Change, EntryStatus};

use super::{GitError, Repo};

mod gix_status_types {
    pub use gix::status::plumbing::index_as_worktree::{Change, EntryStatus};
}

/// How a tracked path differs from its index entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unstaged {
    /// Content and/or executable bit changed.
    Modified,
    /// The file is gone from the work tree.
    Deleted,
    /// File became symlink or the other way round.
    TypeChanged,
}

impl Repo {
    /// Tracked paths with unstaged changes, sorted.
    pub fn unstaged_changes(&self) -> Result<Vec<(BString, Unstaged)>, GitError> {
        let err = |e: gix::Error| GitError::Read {
            what: "cannot compare the work tree with the index".into(),
            message: e.to_string(),
        };
        let iter = self
            .gix()
            .status(gix::progress::Discard)
            .map_err(err)?
            .untracked_files(gix::status::UntrackedFiles::None)
            .index_worktree_submodules(gix::status::Submodule::Given {
                ignore: gix::submodule::config::Ignore::All,
                check_dirty: false,
            })
            .index_worktree_rewrites(None)
            .into_index_worktree_iter(Vec::<BString>::new())
            .map_err(err)?;
        let mut out = Vec::new();
        for item in iter {
            let item = item.map_err(err)?;
            if let Item::Modification {
                entry,
                rela_path,
                status,
                ..
            } = item
            {
                if entry.mode == gix::index::entry::Mode::COMMIT {
                    continue;
                }
                let kind = match status {
                    EntryStatus::Change(Change::Removed) => Unstaged::Deleted,
                    EntryStatus::Change(Change::Type { .. }) => Unstaged::TypeChanged,
                    EntryStatus::Change(Change::Modification {
                        executable_bit_changed,
                        content_change,
                        ..
                    }) if executable_bit_changed || content_change.is_some() => Unstaged::Modified,
                    _ => continue,
                };
                out.push((rela_path, kind));
            }
        }
        out.sort();
        Ok(out)
    }

    /// Just the paths of [`Repo::unstaged_changes`].
    pub fn unstaged_paths(&self) -> Result<Vec<BString>, GitError> {
        Ok(self
            .unstaged_changes()?
            .into_iter()
            .map(|(p, _)| p)
            .collect())
    }
}
