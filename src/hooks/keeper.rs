//! The partial-staging keeper: a commit checks what is staged, so while
//! steps run the work tree must match the index; the user's unstaged
//! changes are set aside and put back afterwards, and never lost.
//!
//! Order of operations (each step only after the previous one is durable):
//! 1. find unstaged changes to tracked files (gix status; submodules,
//!    intent-to-add and untracked files are never touched);
//! 2. back up each changed path's work-tree state as a blob in the object
//!    database, and write a git binary patch of the changes (made
//!    in-process, see [`super::patch`]);
//! 3. write the journal (`<git dir>/hephaestus/keeper.json`, fsynced)
//!    naming every backup;
//! 4. only then make the work tree match the index (written directly when
//!    no git filter can apply, else with `git checkout-index`);
//! 5. after the steps, put every path back: untouched paths get the saved
//!    state; a path a fixer edited gets a three-way merge (`git
//!    merge-file`: the index version as base, the fixer's and the user's
//!    versions as the sides), or, if that conflicts, the fixer's edit is
//!    discarded in favour of the saved state and the run fails;
//! 6. remove the journal.
//!
//! A crash between 3 and 6 leaves the journal: `hook recover` restores the
//! saved states, and `hook run` refuses to start until then.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::patch;
use crate::error::UserError;
use crate::git::{self, BString, ByteSlice, Repo, write};
use crate::steps::run::fingerprint;

const JOURNAL_VERSION: u32 = 1;

/// A path's saved work-tree state.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Saved {
    /// A regular file: its content (a blob id) and permission bits.
    File { blob: String, mode: u32 },
    /// A symlink: its target (a blob id).
    Symlink { blob: String },
    /// The path did not exist (a staged file deleted in the work tree).
    Missing {
        /// Directories created to materialise it, deepest last.
        created_dirs_hex: Vec<String>,
    },
}

/// One saved path.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// The repository-relative path, hex-encoded bytes (exact).
    pub path_hex: String,
    /// The same path for people (lossy).
    pub path: String,
    /// The index entry the work tree was made to match: blob id and mode.
    pub index_blob: String,
    pub index_mode: u32,
    pub saved: Saved,
}

impl Entry {
    fn rel(&self) -> BString {
        BString::from(
            hex::decode(&self.path_hex).unwrap_or_else(|_| self.path.clone().into_bytes()),
        )
    }
}

/// The journal written before the work tree is touched.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Journal {
    pub version: u32,
    pub pid: u32,
    pub created: String,
    pub work_tree: PathBuf,
    /// `git apply`-able patch of the same changes, for people and tools.
    pub patch: PathBuf,
    /// A ref to a tree holding every backup blob, so `git gc` keeps them
    /// while the journal exists (absent if the ref could not be written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_ref: Option<String>,
    pub entries: Vec<Entry>,
}

/// Where the journal lives for this work tree.
pub fn journal_path(repo: &Repo) -> PathBuf {
    repo.git_dir().join("hephaestus").join("keeper.json")
}

fn patch_path(repo: &Repo) -> PathBuf {
    repo.git_dir().join("hephaestus").join("keeper.patch")
}

/// The pending journal, if a run did not finish.
pub fn pending(repo: &Repo) -> anyhow::Result<Option<Journal>> {
    let path = journal_path(repo);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let journal: Journal = serde_json::from_slice(&bytes).map_err(|e| {
                UserError::failure(format!("the keeper journal {} is unreadable: {e}", path.display()))
                    .with_hint("inspect it and the patch next to it; delete the journal only after saving your work")
            })?;
            Ok(Some(journal))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
    }
}

/// The error `hook run` gives while a journal is pending.
pub fn pending_error(repo: &Repo, journal: &Journal) -> UserError {
    UserError::failure(format!(
        "a previous hook run did not finish: unstaged changes to {} file(s) are saved in {}",
        journal.entries.len(),
        journal_path(repo).display()
    ))
    .with_hint("run `hephaestus hook recover` to put them back, then commit again")
}

/// Unstaged work set aside for the duration of a run.
pub struct Keeper<'a> {
    repo: &'a Repo,
    journal: Journal,
    /// Fingerprint of each path right after it was made to match the index.
    materialised: BTreeMap<BString, Option<[u8; 32]>>,
}

/// What restoring found.
#[derive(Debug, Default)]
pub struct Restored {
    /// Paths where a fixer's edit and the user's changes could not both be
    /// kept: the fixer's edit was discarded.
    pub conflicts: Vec<BString>,
    /// Paths where a fixer's edit was merged with the user's changes.
    pub merged: Vec<BString>,
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(_meta: &std::fs::Metadata) -> u32 {
    0o644
}

fn write_durably(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(data)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Set unstaged changes aside. `Ok(None)` when there are none.
pub fn save(repo: &Repo) -> anyhow::Result<Option<Keeper<'_>>> {
    let root = repo.work_tree()?.to_path_buf();
    let changes = repo.unstaged_changes()?;
    if changes.is_empty() {
        return Ok(None);
    }
    let index = repo
        .gix()
        .index_or_empty()
        .map_err(|e| anyhow::anyhow!("cannot read the index: {e}"))?;
    let mut entries = Vec::with_capacity(changes.len());
    let mut patch = String::new();
    for (rel, _) in &changes {
        let Some(ie) = index.entry_by_path(rel.as_bstr()) else {
            continue;
        };
        let index_mode = ie.mode.bits();
        let index_blob = ie.id.to_string();
        let abs = git::to_path(&root, rel.as_bstr());
        let (saved, new_side) = match std::fs::symlink_metadata(&abs) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&abs)?
                    .into_os_string()
                    .into_encoded_bytes();
                let id = write::write_blob(repo, &target)?.to_string();
                (
                    Saved::Symlink { blob: id.clone() },
                    Some((0o120000, id, target)),
                )
            }
            Ok(meta) if meta.is_file() => {
                let data = std::fs::read(&abs)?;
                let id = write::write_blob(repo, &data)?.to_string();
                let mode = mode_of(&meta);
                let git_mode = if mode & 0o111 != 0 {
                    0o100755
                } else {
                    0o100644
                };
                (
                    Saved::File {
                        blob: id.clone(),
                        mode,
                    },
                    Some((git_mode, id, data)),
                )
            }
            Ok(_) => continue, // a directory where a file was: leave it alone
            Err(_) => (
                Saved::Missing {
                    created_dirs_hex: missing_dirs(&root, rel),
                },
                None,
            ),
        };
        // Literal binary patches carry the new side only.
        let old = patch::Side {
            mode: index_mode,
            id: index_blob.clone(),
            data: &[],
        };
        let new = new_side.as_ref().map(|(mode, id, data)| patch::Side {
            mode: *mode,
            id: id.clone(),
            data,
        });
        patch.push_str(&patch::section(rel, Some(&old), new.as_ref()));
        entries.push(Entry {
            path_hex: hex::encode(rel.as_slice()),
            path: rel.to_str_lossy().into_owned(),
            index_blob,
            index_mode,
            saved,
        });
    }
    if entries.is_empty() {
        return Ok(None);
    }
    write_durably(&patch_path(repo), patch.as_bytes())?;
    let backup_ref = protect_backups(repo, &entries);
    let journal = Journal {
        version: JOURNAL_VERSION,
        pid: std::process::id(),
        created: now(),
        work_tree: root.clone(),
        patch: patch_path(repo),
        backup_ref,
        entries,
    };
    write_durably(&journal_path(repo), &serde_json::to_vec_pretty(&journal)?)?;
    // Only now touch the work tree. Should that fail half-way, put back
    // what was saved at once (the journal stays if even that fails).
    if let Err(e) = match_index(repo, &root, &index, &journal) {
        for entry in &journal.entries {
            put_back(repo, &root, entry)?;
        }
        finish(repo)?;
        return Err(
            e.context("could not make the work tree match the index; your changes were put back")
        );
    }
    let materialised = journal
        .entries
        .iter()
        .map(|e| {
            let rel = e.rel();
            let fp = fingerprint(&git::to_path(&root, rel.as_bstr()));
            (rel, fp)
        })
        .collect();
    Ok(Some(Keeper {
        repo,
        journal,
        materialised,
    }))
}

/// Make the saved paths match the index.
fn match_index(
    repo: &Repo,
    root: &Path,
    index: &gix::index::State,
    journal: &Journal,
) -> anyhow::Result<()> {
    if filters_possible(repo, index) {
        for e in &journal.entries {
            let abs = git::to_path(root, e.rel().as_bstr());
            if std::fs::symlink_metadata(&abs).is_ok_and(|m| m.file_type().is_symlink()) {
                // checkout-index replaces files in place; a symlink where
                // the index has a file (or the reverse) goes first.
                std::fs::remove_file(&abs)?;
            }
        }
        let paths: Vec<BString> = journal.entries.iter().map(|e| e.rel()).collect();
        write::checkout_index(repo, &paths)?;
    } else {
        for e in &journal.entries {
            materialise(repo, root, e)?;
        }
    }
    Ok(())
}

/// Could a git filter (eol conversion, smudge, ident...) make the work-tree
/// form of a blob differ from its bytes? Then git must write the file.
fn filters_possible(repo: &Repo, index: &gix::index::State) -> bool {
    let attributes_tracked = index.entries().iter().any(|e| {
        let p = e.path(index);
        p == ".gitattributes" || p.ends_with(b"/.gitattributes")
    });
    let info_attributes = repo.common_dir().join("info").join("attributes").exists();
    let config = repo.gix().config_snapshot();
    let conversion = config.string("core.autocrlf").is_some_and(|v| v != "false")
        || config.string("core.eol").is_some()
        || config.string("core.attributesFile").is_some();
    attributes_tracked || info_attributes || conversion
}

/// Write the index version of `e` into the work tree (no filter applies).
fn materialise(repo: &Repo, root: &Path, e: &Entry) -> anyhow::Result<()> {
    let abs = git::to_path(root, e.rel().as_bstr());
    let data = write::read_blob(repo, parse_id(&e.index_blob)?)?;
    let existing = std::fs::symlink_metadata(&abs).ok();
    if e.index_mode == 0o120000 {
        if existing.is_some() {
            std::fs::remove_file(&abs)?;
        }
        if let Some(parent) = abs.parent() {
            std::fs::create_dir_all(parent)?;
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(git::bytes_to_os(&data), &abs)?;
        return Ok(());
    }
    if existing
        .as_ref()
        .is_some_and(|m| m.file_type().is_symlink())
    {
        std::fs::remove_file(&abs)?;
    }
    if let Some(parent) = abs.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&abs, &data)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&abs)?.permissions().mode() & 0o7777;
        let wanted = if e.index_mode == 0o100755 {
            mode | ((mode & 0o444) >> 2)
        } else {
            mode & !0o111
        };
        if wanted != mode {
            std::fs::set_permissions(&abs, std::fs::Permissions::from_mode(wanted))?;
        }
    }
    Ok(())
}

/// Directories missing on the way to `rel` (checkout-index will create
/// them; restoring removes them again).
fn missing_dirs(root: &Path, rel: &BString) -> Vec<String> {
    let mut out = Vec::new();
    let parts: Vec<&[u8]> = rel.split(|b| *b == b'/').collect();
    let mut prefix: Vec<u8> = Vec::new();
    for part in &parts[..parts.len().saturating_sub(1)] {
        if !prefix.is_empty() {
            prefix.push(b'/');
        }
        prefix.extend_from_slice(part);
        if !git::to_path(root, prefix.as_bstr()).exists() {
            out.push(hex::encode(&prefix));
        }
    }
    out
}

impl Keeper<'_> {
    /// The journal of this run.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Put the user's changes back (see the module docs), then remove the
    /// journal.
    pub fn restore(self) -> anyhow::Result<Restored> {
        let root = self.journal.work_tree.clone();
        let mut report = Restored::default();
        let mut touched: Vec<&Entry> = Vec::new();
        for e in &self.journal.entries {
            let rel = e.rel();
            let now = fingerprint(&git::to_path(&root, rel.as_bstr()));
            if self.materialised.get(&rel) == Some(&now) {
                put_back(self.repo, &root, e)?;
            } else {
                touched.push(e);
            }
        }
        for e in touched {
            if merge_into(self.repo, &root, e)? {
                report.merged.push(e.rel());
            } else {
                put_back(self.repo, &root, e)?;
                report.conflicts.push(e.rel());
            }
        }
        finish(self.repo)?;
        Ok(report)
    }
}

/// Merge the user's saved version into a file a fixer edited: a three-way
/// merge with the index version as base (`git merge-file`). Returns false
/// (and writes nothing) when the edits conflict or are not both text files.
fn merge_into(repo: &Repo, root: &Path, e: &Entry) -> anyhow::Result<bool> {
    let Saved::File { blob, mode } = &e.saved else {
        return Ok(false);
    };
    let abs = git::to_path(root, e.rel().as_bstr());
    let Ok(meta) = std::fs::symlink_metadata(&abs) else {
        return Ok(false);
    };
    if !meta.is_file() || e.index_mode == 0o120000 {
        return Ok(false);
    }
    let dir = tempfile::tempdir()?;
    let current = dir.path().join("current");
    let base = dir.path().join("base");
    let user = dir.path().join("user");
    std::fs::copy(&abs, &current)?;
    std::fs::write(&base, write::read_blob(repo, parse_id(&e.index_blob)?)?)?;
    std::fs::write(&user, write::read_blob(repo, parse_id(blob)?)?)?;
    let out = std::process::Command::new("git")
        .arg("merge-file")
        .arg("-p")
        .arg("--quiet")
        .arg(&current)
        .arg(&base)
        .arg(&user)
        .stderr(std::process::Stdio::null())
        .output()?;
    if out.status.code() != Some(0) {
        return Ok(false);
    }
    std::fs::write(&abs, &out.stdout)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&abs, std::fs::Permissions::from_mode(*mode))?;
    }
    Ok(true)
}

/// Write one saved state back.
fn put_back(repo: &Repo, root: &Path, e: &Entry) -> anyhow::Result<()> {
    let rel = e.rel();
    let abs = git::to_path(root, rel.as_bstr());
    let remove = |p: &Path| -> std::io::Result<()> {
        match std::fs::symlink_metadata(p) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(p),
            Ok(_) => std::fs::remove_file(p),
            Err(_) => Ok(()),
        }
    };
    match &e.saved {
        Saved::File { blob, mode } => {
            let data = write::read_blob(repo, parse_id(blob)?)?;
            if std::fs::symlink_metadata(&abs).is_ok_and(|m| !m.is_file()) {
                remove(&abs)?;
            }
            if let Some(parent) = abs.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&abs, &data)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&abs, std::fs::Permissions::from_mode(*mode))?;
            }
        }
        Saved::Symlink { blob } => {
            let target = write::read_blob(repo, parse_id(blob)?)?;
            remove(&abs)?;
            if let Some(parent) = abs.parent() {
                std::fs::create_dir_all(parent)?;
            }
            #[cfg(unix)]
            std::os::unix::fs::symlink(git::bytes_to_os(&target), &abs)?;
        }
        Saved::Missing { created_dirs_hex } => {
            remove(&abs)?;
            for dir in created_dirs_hex.iter().rev() {
                if let Ok(bytes) = hex::decode(dir) {
                    // Only removes empty directories.
                    let _ = std::fs::remove_dir(git::to_path(root, bytes.as_bstr()));
                }
            }
        }
    }
    Ok(())
}

fn parse_id(hex: &str) -> anyhow::Result<gix::ObjectId> {
    gix::ObjectId::from_hex(hex.as_bytes())
        .map_err(|e| anyhow::anyhow!("bad object id {hex:?} in the journal: {e}"))
}

/// Point a ref (one per work tree) at a tree of the backup blobs so that
/// `git gc` cannot prune them while the journal is pending.
fn protect_backups(repo: &Repo, entries: &[Entry]) -> Option<String> {
    use gix::objs::tree::{Entry as TreeEntry, EntryKind};
    let mut tree = gix::objs::Tree::empty();
    for (i, e) in entries.iter().enumerate() {
        let blob = match &e.saved {
            Saved::File { blob, .. } | Saved::Symlink { blob } => blob,
            Saved::Missing { .. } => continue,
        };
        let Ok(oid) = parse_id(blob) else { continue };
        tree.entries.push(TreeEntry {
            mode: EntryKind::Blob.into(),
            filename: format!("{i:08}").into(),
            oid,
        });
    }
    let tree_id = repo.gix().write_object(&tree).ok()?.detach();
    let name = backup_ref_name(repo);
    repo.gix()
        .reference(
            name.as_str(),
            tree_id,
            gix::refs::transaction::PreviousValue::Any,
            "hephaestus: keeper backup",
        )
        .ok()?;
    Some(name)
}

fn backup_ref_name(repo: &Repo) -> String {
    let id = Sha256::digest(repo.git_dir().as_os_str().as_encoded_bytes());
    format!("refs/hephaestus/keeper/{}", hex::encode(&id[..8]))
}

fn finish(repo: &Repo) -> anyhow::Result<()> {
    if let Ok(r) = repo.gix().find_reference(backup_ref_name(repo).as_str()) {
        let _ = r.delete();
    }
    let _ = std::fs::remove_file(patch_path(repo));
    std::fs::remove_file(journal_path(repo))?;
    Ok(())
}

/// `hook recover`: put every saved state back from a pending journal.
/// Returns the paths restored (empty when nothing was pending).
pub fn recover(repo: &Repo) -> anyhow::Result<Vec<String>> {
    let Some(journal) = pending(repo)? else {
        return Ok(Vec::new());
    };
    for e in &journal.entries {
        put_back(repo, &journal.work_tree, e)?;
    }
    finish(repo)?;
    Ok(journal.entries.iter().map(|e| e.path.clone()).collect())
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
