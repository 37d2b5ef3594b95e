//! Putting the user's work back, after a run ([`Keeper::restore`]) or
//! after a crash ([`recover`]).
//!
//! After a run, for each saved path, the fingerprint now is compared with
//! the one the run expects: the one taken right after the path was made
//! to match the index, or right after the last fixer step changed it.
//! - Equal, and no step changed it: the saved state is written back.
//! - Equal, and a fixer changed it: a three-way merge (`git merge-file`;
//!   base: the index version in its work-tree form, so git's filters and
//!   eol conversion do not turn every line into a conflict; sides: the
//!   fixer's and the user's versions) keeps both when they touch different
//!   lines. If they conflict (or either side is not a regular file) the
//!   fixer's edit is discarded and the saved state written back — the
//!   user's work wins — and if the fixer's edit had been re-staged, the
//!   index entry is put back exactly as the user staged it.
//! - Different: somebody changed the path after the run wrote it (an
//!   editor, another tool). The newer content stays, and the saved state
//!   is kept aside ([`super::aside`]); the run says where.
//!
//! A path that cannot be written (something git would not write through is
//! in the way, or the write fails) is kept aside too, so the journal can
//! always be finished: the repository is never left waiting for a recover
//! that cannot succeed.

use std::collections::BTreeMap;

use super::aside::{Aside, AsideWriter};
use super::backup::BackupReader;
use super::journal::{self, Entry, Files, Saved, io_at};
use super::{Keeper, SYMLINK, fingerprint_at, parse_id};
use crate::error::UserError;
use crate::exit::ExitStatus;
use crate::git::{BString, ByteSlice, Repo, write};
use crate::process::groups::{self, StopSettings};
use crate::run::fingerprint::{Fingerprint, file_fingerprinter, link_fingerprint};
use crate::run::keeper::lock::{self, LockSettings};
use crate::run::keeper::worktree::{TreeError, WorkTree};

/// A fixer's change to one path, as the run saw it right after the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edit {
    /// The path's fingerprint after the step (`None`: removed).
    pub fingerprint: Option<Fingerprint>,
    /// The step re-staged it (`restage = true`).
    pub restaged: bool,
}

/// Every path fixer steps changed during the run, with their last edit.
#[derive(Debug, Default, Clone)]
pub struct StepEdits(pub BTreeMap<BString, Edit>);

/// What restoring found.
#[derive(Debug, Default)]
pub struct Restored {
    /// Paths where a fixer's edit and the user's changes could not both be
    /// kept: the fixer's edit was discarded.
    pub conflicts: Vec<BString>,
    /// Conflicted paths whose index entry was put back as the user staged
    /// it (the fixer had re-staged its edit).
    pub index_reset: Vec<BString>,
    /// Putting those index entries back failed: git's message.
    pub index_reset_failed: Option<String>,
    /// Saved states that were not put back, and where they are.
    pub aside: Option<Aside>,
}

/// Saved contents up to this size are read (and checked) in one go.
const IN_MEMORY: u64 = 4 << 20;

/// Write one saved state back.
fn put_back(tree: &WorkTree, backup: &BackupReader, e: &Entry) -> anyhow::Result<()> {
    let rel = e.rel();
    match &e.saved {
        Saved::File { stored, mode } if stored.len <= IN_MEMORY => {
            let data = backup.read(stored)?;
            tree.write_file(rel.as_bstr(), &mut &data[..], *mode, &mut Vec::new())?;
        }
        Saved::File { stored, mode } => {
            let mut src = backup.reader(stored)?;
            tree.write_file(rel.as_bstr(), &mut src, *mode, &mut Vec::new())?;
        }
        Saved::Symlink { stored } => {
            let target = backup.read(stored)?;
            tree.write_symlink(rel.as_bstr(), &target, &mut Vec::new())?;
        }
        Saved::Missing { created_dirs_hex } => {
            tree.remove(rel.as_bstr())?;
            for dir in created_dirs_hex.iter().rev() {
                if let Ok(bytes) = hex::decode(dir) {
                    tree.remove_empty_dir(bytes.as_bstr());
                }
            }
        }
    }
    Ok(())
}

/// The reason a path could not be put back, for people.
fn why(e: &anyhow::Error) -> String {
    match e.downcast_ref::<TreeError>() {
        Some(t @ TreeError::InTheWay { .. }) => t.to_string(),
        _ => format!("it could not be written back: {e:#}"),
    }
}

/// Put back `e`, or keep its saved state aside when that fails.
fn put_back_or_keep(
    tree: &WorkTree,
    backup: &BackupReader,
    aside: &mut AsideWriter,
    e: &Entry,
) -> anyhow::Result<bool> {
    match put_back(tree, backup, e) {
        Ok(()) => Ok(true),
        Err(err) => {
            aside.keep_saved(e, backup, why(&err))?;
            Ok(false)
        }
    }
}

impl Keeper<'_> {
    /// Put every saved state back as it was (used when making the work
    /// tree match the index failed half-way); the journal is finished
    /// only when all of them are back.
    pub(super) fn put_all_back(&self) -> anyhow::Result<()> {
        let backup = BackupReader::open(&self.files.backup)?;
        for e in &self.journal.entries {
            put_back(&self.tree, &backup, e)?;
        }
        journal::finish(&self.files)
    }

    /// Put the user's work back (see the module docs), then remove the
    /// journal.
    pub fn restore(self, edits: &StepEdits) -> anyhow::Result<Restored> {
        let files = self.files.clone();
        let kept = |e: anyhow::Error| super::journal_kept(format!("{e:#}"), &files);
        let backup = BackupReader::open(&self.files.backup).map_err(kept)?;
        let mut aside = AsideWriter::new(&self.files.kept);
        let mut report = Restored::default();
        let mut touched: Vec<&Entry> = Vec::new();
        for e in &self.journal.entries {
            let rel = e.rel();
            let edit = edits.0.get(&rel);
            let expected = match edit {
                Some(edit) => edit.fingerprint,
                None => self.materialised.get(&rel).copied().flatten(),
            };
            let now = match fingerprint_at(&self.tree, rel.as_bstr()) {
                Ok(now) => now,
                Err(err) => {
                    let err = anyhow::Error::new(err);
                    aside.keep_saved(e, &backup, why(&err)).map_err(kept)?;
                    continue;
                }
            };
            if now != expected {
                aside
                    .keep_saved(
                        e,
                        &backup,
                        format!(
                            "{} changed while the hook ran, so the newer content was left in place",
                            rel.to_str_lossy()
                        ),
                    )
                    .map_err(kept)?;
            } else if edit.is_some() {
                touched.push(e);
            } else {
                put_back_or_keep(&self.tree, &backup, &mut aside, e).map_err(kept)?;
            }
        }
        if !touched.is_empty() {
            let merged = self.merge(&touched, &backup).map_err(kept)?;
            let mut resets = Vec::new();
            for (e, merged) in touched.into_iter().zip(merged) {
                let rel = e.rel();
                let written = match merged {
                    Some((data, mode)) => self
                        .tree
                        .write_file(rel.as_bstr(), &mut &data[..], mode, &mut Vec::new())
                        .is_ok(),
                    None => false,
                };
                if written {
                    continue;
                }
                put_back_or_keep(&self.tree, &backup, &mut aside, e).map_err(kept)?;
                if edits.0.get(&rel).is_some_and(|x| x.restaged) {
                    resets.push((e.index_mode, e.index_blob.clone(), rel.clone()));
                    report.index_reset.push(rel.clone());
                }
                report.conflicts.push(rel);
            }
            if let Err(err) = write::set_index_entries(self.repo, &resets) {
                report.index_reset_failed = Some(err.to_string());
            }
        }
        report.aside = aside.finish().map_err(kept)?;
        journal::finish(&self.files).map_err(kept)?;
        Ok(report)
    }

    /// Three-way merges of the user's saved versions into what fixers left:
    /// the merged bytes and mode, or `None` (conflict, or not text files).
    fn merge(&self, entries: &[&Entry], backup: &BackupReader) -> anyhow::Result<Vec<Merged>> {
        let scratch = tempfile::tempdir().map_err(io_at("create", &std::env::temp_dir()))?;
        let mut out = Vec::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            let rel = e.rel();
            let Saved::File { stored, mode } = &e.saved else {
                out.push(None);
                continue;
            };
            if e.index_mode == SYMLINK {
                out.push(None);
                continue;
            }
            let Some(current) = self.tree.read_file(rel.as_bstr())? else {
                out.push(None);
                continue;
            };
            let base = match &self.forms {
                Some(dir) => {
                    let p = crate::git::to_path(dir.path(), rel.as_bstr());
                    std::fs::read(&p).map_err(io_at("read git's checkout of", &p))?
                }
                None => write::read_blob(self.repo, parse_id(&e.index_blob)?)?,
            };
            let user = backup.read(stored)?;
            let path = |name: &str| scratch.path().join(format!("{i}-{name}"));
            for (name, data) in [("current", &current), ("base", &base), ("user", &user)] {
                std::fs::write(path(name), data).map_err(io_at("write", &path(name)))?;
            }
            let merged = write::merge_file(&path("current"), &path("base"), &path("user"))?;
            out.push(merged.map(|data| (data, *mode)));
        }
        Ok(out)
    }
}

/// A merge's bytes and mode, or `None` when it cannot be merged.
type Merged = Option<(Vec<u8>, u32)>;

/// What `hook recover` did.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Paths whose saved state was written back.
    pub restored: Vec<String>,
    /// Process groups of the dead run that were still running and were
    /// stopped first.
    pub stopped: Vec<i32>,
    /// What was kept aside instead, and where.
    pub aside: Option<Aside>,
}

/// How `hook recover` behaves.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecoverSettings {
    pub stop: StopSettings,
}

/// `hook recover`: stop what is left of the dead run's steps, then put
/// every saved state back. Refuses while the run that wrote the journal
/// still holds the work tree's lock. `Ok(None)` when nothing was pending.
pub fn recover(repo: &Repo, settings: RecoverSettings) -> anyhow::Result<Option<Recovered>> {
    let files = Files::of(repo);
    let quiet = |_: Option<&lock::Holder>| {};
    let _lock = match lock::acquire(
        repo.git_dir(),
        &LockSettings {
            what: "hook recover",
            wait: std::time::Duration::ZERO,
            on_wait: &quiet,
            cancel: None,
        },
    )? {
        Ok(lock) => lock,
        Err(busy) => {
            let who = busy
                .holder
                .as_ref()
                .map(|h| h.describe())
                .unwrap_or_else(|| "another process".into());
            let pid = busy.holder.as_ref().map(|h| h.pid).unwrap_or(0);
            return Err(UserError::failure(format!(
                "a hook run is still working in this work tree: {who}; it puts your unstaged changes back itself when it ends, so nothing was recovered"
            ))
            .with_hint(format!(
                "wait for it to finish; if it hangs, `kill {pid}` stops it and it restores your changes (run `hephaestus hook recover` afterwards only if it says a journal is left)"
            ))
            .into());
        }
    };
    let Some(journal) = journal::read(&files)? else {
        journal::remove_leftovers(&files);
        return Ok(None);
    };
    let progress = journal::read_progress(&files.log);
    let stopped = groups::stop(&progress.groups, settings.stop).map_err(|alive| {
        UserError {
            message: format!(
                "steps of the hook run that wrote {} are still running (process groups {}) and could not be stopped; nothing was recovered",
                files.journal.display(),
                alive.iter().map(|g| g.to_string()).collect::<Vec<_>>().join(", ")
            ),
            hint: Some(format!(
                "stop them (`kill -KILL -- -{}`), then run `hephaestus hook recover` again",
                alive.first().copied().unwrap_or_default()
            )),
            status: ExitStatus::Failure,
        }
    })?;
    let kept = |e: anyhow::Error| super::journal_kept(format!("{e:#}"), &files);
    let tree = WorkTree::open(&journal.work_tree).map_err(|e| kept(e.into()))?;
    let backup = BackupReader::open(&files.backup).map_err(kept)?;
    let mut aside = AsideWriter::new(&files.kept);
    let mut restored = Vec::new();
    for e in &journal.entries {
        let rel = e.rel();
        if let Some(reason) = replaced_content(&tree, &backup, e, &progress.materialised) {
            aside
                .keep_current(&tree, rel.as_bstr(), reason)
                .map_err(kept)?;
        }
        if put_back_or_keep(&tree, &backup, &mut aside, e).map_err(kept)? {
            restored.push(e.path.clone());
        }
    }
    let aside = aside.finish().map_err(kept)?;
    journal::finish(&files).map_err(kept)?;
    Ok(Some(Recovered {
        restored,
        stopped,
        aside,
    }))
}

/// Why the content at `e`'s path must be kept before the saved state
/// replaces it: it is neither what the run wrote there nor the saved
/// state itself. `None` when nothing would be lost.
fn replaced_content(
    tree: &WorkTree,
    backup: &BackupReader,
    e: &Entry,
    materialised: &BTreeMap<BString, Option<Fingerprint>>,
) -> Option<String> {
    let rel = e.rel();
    let now = fingerprint_at(tree, rel.as_bstr()).ok()??;
    if materialised.get(&rel).is_some_and(|m| *m == Some(now)) {
        return None;
    }
    if saved_fingerprint(backup, e).is_some_and(|s| s == now) {
        return None;
    }
    Some(format!(
        "{} was changed after the hook run wrote the index version into it",
        rel.to_str_lossy()
    ))
}

fn saved_fingerprint(backup: &BackupReader, e: &Entry) -> Option<Fingerprint> {
    use sha2::Digest;
    match &e.saved {
        Saved::File { stored, mode } => {
            let mut hasher = file_fingerprinter(mode & 0o111 != 0);
            std::io::copy(&mut backup.reader(stored).ok()?, &mut hasher).ok()?;
            Some(hasher.finalize().into())
        }
        Saved::Symlink { stored } => Some(link_fingerprint(&backup.read(stored).ok()?)),
        Saved::Missing { .. } => None,
    }
}
