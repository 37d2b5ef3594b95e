//! The partial-staging keeper: a commit checks what is staged, so while
//! steps run the work tree must match the index; the user's unstaged
//! changes are set aside and put back afterwards, and never lost.
//!
//! Order of operations (each step only after the previous one is durable),
//! all under the work tree's lock ([`lock`]), taken by the caller:
//! 1. find unstaged changes to tracked files (gix status; submodules,
//!    intent-to-add and untracked files are never touched); a path whose
//!    parent is not a real directory (a symlink, a file) is left alone and
//!    reported, and if any path's directory is not writable the run stops
//!    here, naming it, before anything is written;
//! 2. save each changed path's state (bytes and mode, a symlink's target,
//!    or its absence) in the backup file ([`backup`]), fsynced, and write
//!    a git binary patch of the changes ([`patch`]);
//! 3. write the journal ([`journal`]), fsynced, naming every saved state;
//! 4. only then make those paths match the index, through
//!    [`worktree`] (never through a symlink), with git's filters
//!    applied when one can apply; the fingerprint of each path right after
//!    is kept in memory and in the progress log;
//! 5. after the steps, put every path back ([`restore`]);
//! 6. remove the journal, the backup, the patch and the log.
//!
//! A crash between 3 and 6 leaves the journal: `hook recover` stops what
//! is left of the run's steps and restores the saved states, and `hook
//! run` refuses to start until then.

mod aside;
mod backup;
mod journal;
pub mod lock;
mod patch;
mod restore;
pub mod worktree;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use sha2::{Digest, Sha256};

pub use aside::{AsideKind, kept_dirs};
pub use journal::{Entry, Journal, Saved};
pub use restore::{Edit, RecoverSettings, Restored, StepEdits, recover};

use self::backup::BackupWriter;
use self::journal::{Files, ProgressLog, io_at};
use self::lock::Holder;
use self::worktree::{Content, TreeError, WorkTree};
use crate::error::UserError;
use crate::exit::ExitStatus;
use crate::git::{BStr, BString, ByteSlice, GitError, Repo, Unstaged, write};
use crate::process::groups::Group;
use crate::run::fingerprint::{Fingerprint, file_fingerprinter, link_fingerprint};

/// Files up to this size also go into the patch as a literal.
const PATCH_LITERAL_LIMIT: u64 = 8 << 20;

const SYMLINK: u32 = 0o120000;
const EXECUTABLE: u32 = 0o100755;

/// The pending journal, if a run did not finish.
pub fn pending(repo: &Repo) -> anyhow::Result<Option<Journal>> {
    journal::read(&Files::of(repo))
}

/// The error `hook run` gives while a journal is pending: `holder` is the
/// live run that owns it, if any (then it is not pending but in progress).
pub fn pending_error(repo: &Repo, journal: &Journal, holder: Option<&Holder>) -> UserError {
    let files = Files::of(repo);
    match holder {
        Some(h) => UserError::failure(format!(
            "another hook run is working in this work tree ({}) and has unstaged changes to {} file(s) set aside",
            h.describe(),
            journal.entries.len()
        ))
        .with_hint("let it finish (it puts them back itself), then try again"),
        None => UserError::failure(format!(
            "a previous hook run did not finish: unstaged changes to {} file(s) are saved in {}",
            journal.entries.len(),
            files.journal.display()
        ))
        .with_hint("run `hephaestus hook recover` to put them back, then commit again"),
    }
}

/// A path the keeper did not set aside, and why.
#[derive(Debug, Clone)]
pub struct LeftAlone {
    pub reason: String,
}

/// What [`save`] did.
#[derive(Default)]
pub struct SaveOutcome<'a> {
    /// The set-aside work, when there was any.
    pub keeper: Option<Keeper<'a>>,
    /// Changed paths that were not touched (steps see them as they are).
    pub left_alone: Vec<LeftAlone>,
}

/// Unstaged work set aside for the duration of a run.
pub struct Keeper<'a> {
    repo: &'a Repo,
    files: Files,
    journal: Journal,
    tree: WorkTree,
    /// Could a git filter make a file's work-tree form differ from its blob?
    filters: bool,
    /// With filters: git's checkout of the index entries the run started
    /// from (the merge base of fixer edits; the index may change since).
    forms: Option<tempfile::TempDir>,
    /// Fingerprint of each path right after it was made to match the index.
    materialised: BTreeMap<BString, Option<Fingerprint>>,
    progress: Arc<ProgressLog>,
}

/// An error before anything was changed.
fn unchanged(e: impl std::fmt::Display) -> anyhow::Error {
    UserError {
        message: format!("cannot set your unstaged changes aside: {e}"),
        hint: Some("nothing was changed; fix the cause and commit again".to_string()),
        status: ExitStatus::Internal,
    }
    .into()
}

/// An error while the journal exists: it says how to get the work back.
fn journal_kept(e: impl std::fmt::Display, files: &Files) -> anyhow::Error {
    UserError {
        message: format!("{e}"),
        hint: Some(format!(
            "your unstaged changes are saved in {}; fix the cause, then run `hephaestus hook recover`",
            files.journal.display()
        )),
        status: ExitStatus::Internal,
    }
    .into()
}

/// A reader that hashes what passes through it.
struct Hashing<'a, R> {
    inner: R,
    hasher: &'a mut Sha256,
}

impl<R: Read> Read for Hashing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// The search for unstaged changes, started early in a thread of its own
/// so that it runs while the caller works out the staged files and the
/// plan (the two take most of a large repository's time, and each leaves
/// a core idle). Start it only under the work tree's lock.
pub struct Prescan {
    handle: Option<std::thread::JoinHandle<Found>>,
}

/// What the search for unstaged changes found.
type Found = Result<Vec<(BString, Unstaged)>, GitError>;

/// Start looking for unstaged changes in the background.
pub fn prescan(repo: &Repo) -> Prescan {
    let sync = repo.to_sync();
    let handle = std::thread::Builder::new()
        .name("hephaestus-unstaged".into())
        .spawn(move || Repo::from_sync(sync).unstaged_changes())
        .ok();
    Prescan { handle }
}

impl Prescan {
    /// The unstaged changes (looked for here if the thread could not run).
    fn changes(self, repo: &Repo) -> Found {
        match self.handle.map(|h| h.join()) {
            Some(Ok(found)) => found,
            _ => repo.unstaged_changes(),
        }
    }
}

/// Set unstaged changes aside and make the work tree match the index.
/// `phase` is told when each stage is done (for `-v` timings).
pub fn save<'r>(
    repo: &'r Repo,
    prescan: Prescan,
    phase: &dyn Fn(&str),
) -> anyhow::Result<SaveOutcome<'r>> {
    let mut outcome = SaveOutcome::default();
    let changes = prescan.changes(repo)?;
    phase(&format!("{} unstaged change(s) found", changes.len()));
    if changes.is_empty() {
        return Ok(outcome);
    }
    let root = repo.work_tree()?.to_path_buf();
    let files = Files::of(repo);
    let tree = WorkTree::open(&root).map_err(unchanged)?;
    let index = repo
        .gix()
        .index_or_empty()
        .map_err(|e| unchanged(format!("cannot read the index: {e}")))?;
    let mut backup = BackupWriter::create(&files.backup).map_err(unchanged)?;
    let mut patch = String::new();
    let mut entries = Vec::with_capacity(changes.len());
    let mut not_writable: Vec<BString> = Vec::new();
    for (rel, _) in &changes {
        let Some(ie) = index.entry_by_path(rel.as_bstr()) else {
            continue;
        };
        let leave = |reason: String| LeftAlone { reason };
        let (content, writable) = match tree.inspect(rel.as_bstr()) {
            Ok(x) => x,
            Err(e @ TreeError::InTheWay { .. }) => {
                outcome.left_alone.push(leave(e.to_string()));
                continue;
            }
            Err(e) => {
                journal::remove_leftovers(&files);
                return Err(unchanged(e));
            }
        };
        match content {
            Content::Dir => {
                outcome.left_alone.push(leave(format!(
                    "{} is a directory where the index has a file; it was left alone",
                    rel.to_str_lossy()
                )));
                continue;
            }
            Content::Other => {
                outcome.left_alone.push(leave(format!(
                    "{} is not a file, a symlink or a directory; it was left alone",
                    rel.to_str_lossy()
                )));
                continue;
            }
            _ if !writable => {
                not_writable.push(rel.clone());
                continue;
            }
            _ => {}
        }
        let abs = tree.abs(rel.as_bstr());
        let index_mode = ie.mode.bits();
        let index_blob = ie.id.to_string();
        let old = patch::Side {
            mode: index_mode,
            id: index_blob.clone(),
            data: Some(&[]),
        };
        let saved = match content {
            Content::File {
                mut file,
                mode,
                size,
            } => {
                let git_mode = if mode & 0o111 != 0 {
                    EXECUTABLE
                } else {
                    0o100644
                };
                if size <= PATCH_LITERAL_LIMIT {
                    let mut data = Vec::with_capacity(size as usize);
                    file.read_to_end(&mut data).map_err(|e| {
                        journal::remove_leftovers(&files);
                        unchanged(io_at("read", &abs)(e))
                    })?;
                    let stored = backup.append(&mut &data[..], &abs).map_err(unchanged)?;
                    let new = patch::Side {
                        mode: git_mode,
                        id: blob_id(&data),
                        data: Some(&data),
                    };
                    patch.push_str(&patch::section(rel, Some(&old), Some(&new)));
                    Saved::File { stored, mode }
                } else {
                    let stored = backup.append(&mut file, &abs).map_err(unchanged)?;
                    let new = patch::Side {
                        mode: git_mode,
                        id: "0".repeat(40),
                        data: None,
                    };
                    patch.push_str(&patch::section(rel, Some(&old), Some(&new)));
                    Saved::File { stored, mode }
                }
            }
            Content::Symlink(target) => {
                let stored = backup.append(&mut &target[..], &abs).map_err(unchanged)?;
                let new = patch::Side {
                    mode: SYMLINK,
                    id: blob_id(&target),
                    data: Some(&target),
                };
                patch.push_str(&patch::section(rel, Some(&old), Some(&new)));
                Saved::Symlink { stored }
            }
            _ => {
                patch.push_str(&patch::section(rel, Some(&old), None));
                let created = tree.missing_dirs(rel.as_bstr()).map_err(unchanged)?;
                Saved::Missing {
                    created_dirs_hex: created.iter().map(hex::encode).collect(),
                }
            }
        };
        entries.push(Entry {
            path_hex: hex::encode(rel.as_slice()),
            path: rel.to_str_lossy().into_owned(),
            index_blob,
            index_mode,
            saved,
        });
    }
    if !not_writable.is_empty() {
        drop(backup);
        journal::remove_leftovers(&files);
        return Err(not_writable_error(&tree, &not_writable));
    }
    if entries.is_empty() {
        drop(backup);
        journal::remove_leftovers(&files);
        return Ok(outcome);
    }
    backup.finish().map_err(unchanged)?;
    phase("unstaged work saved");
    // The patch is a second copy for people; the backup is the one kept
    // durable, so the patch is not fsynced.
    std::fs::write(&files.patch, patch.as_bytes()).map_err(|e| {
        journal::remove_leftovers(&files);
        unchanged(io_at("write", &files.patch)(e))
    })?;
    let journal = Journal {
        version: journal::JOURNAL_VERSION,
        pid: std::process::id(),
        created: now(),
        work_tree: root,
        backup: files.backup.clone(),
        patch: files.patch.clone(),
        log: files.log.clone(),
        entries,
    };
    let json = serde_json::to_vec_pretty(&journal)?;
    journal::write_durably(&files.journal, &json).map_err(|e| {
        journal::remove_leftovers(&files);
        unchanged(e)
    })?;
    phase("journal written");
    // Only now touch the work tree.
    let progress = ProgressLog::create(&files.log).map_err(|e| journal_kept(e, &files))?;
    let mut keeper = Keeper {
        repo,
        filters: filters_possible(repo, &index),
        forms: None,
        files,
        journal,
        tree,
        materialised: BTreeMap::new(),
        progress: Arc::new(progress),
    };
    if let Err(e) = keeper.materialise() {
        // Put back what was saved at once (the journal stays if even that
        // fails).
        let back = keeper.put_all_back();
        return Err(match back {
            Ok(()) => UserError {
                message: format!(
                    "could not make the work tree match the index: {e:#}; your unstaged changes were put back"
                ),
                hint: Some("nothing else was changed; fix the cause and commit again".into()),
                status: ExitStatus::Internal,
            }
            .into(),
            Err(back) => journal_kept(
                format!(
                    "could not make the work tree match the index: {e:#}; putting your changes back failed too: {back:#}"
                ),
                &keeper.files,
            ),
        });
    }
    outcome.keeper = Some(keeper);
    Ok(outcome)
}

/// The refusal for paths whose directory cannot be written.
fn not_writable_error(tree: &WorkTree, paths: &[BString]) -> anyhow::Error {
    let first = &paths[0];
    let dir = tree
        .abs(first.as_bstr())
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let names: Vec<String> = paths
        .iter()
        .take(5)
        .map(|p| p.to_str_lossy().into_owned())
        .collect();
    let more = if paths.len() > 5 {
        format!(" and {} more", paths.len() - 5)
    } else {
        String::new()
    };
    UserError::failure(format!(
        "cannot set aside the unstaged changes to {}{more}: the directory {} is not writable, so the file cannot be replaced while the hook runs; nothing was changed",
        names.join(", "),
        dir.display()
    ))
    .with_hint(format!(
        "make it writable (`chmod u+w {}`), or stage or stash those changes, then commit again",
        dir.display()
    ))
    .into()
}

/// A git blob id of `data` (for the patch's index line).
fn blob_id(data: &[u8]) -> String {
    gix::objs::compute_hash(gix::hash::Kind::Sha1, gix::objs::Kind::Blob, data)
        .map(|id| id.to_string())
        .unwrap_or_else(|_| "0".repeat(40))
}

/// `mode` with the executable bits git's index asks for.
fn with_exec(mode: u32, executable: bool) -> u32 {
    if executable {
        mode | ((mode & 0o444) >> 2)
    } else {
        mode & !0o111
    }
}

/// The mode a new file gets: 0666 or 0777 less the umask.
fn new_file_mode(executable: bool) -> u32 {
    let umask = current_umask();
    (if executable { 0o777 } else { 0o666 }) & !umask
}

fn current_umask() -> u32 {
    // umask can only be read by setting it; nothing else in this process
    // creates files at this moment (steps have not started).
    let old = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o022));
    rustix::process::umask(old);
    old.as_raw_mode() as u32
}

/// Could a git filter (eol conversion, smudge, ident...) make the work-tree
/// form of a blob differ from its bytes? Then git must produce it.
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
    let global_attributes = std::env::var_os("XDG_CONFIG_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")))
        .is_some_and(|d| d.join("git").join("attributes").exists());
    let system_attributes =
        std::env::var_os("GIT_ATTR_NOSYSTEM").is_none() && Path::new("/etc/gitattributes").exists();
    attributes_tracked || info_attributes || conversion || global_attributes || system_attributes
}

impl Keeper<'_> {
    /// The journal of this run.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Records the process group of each step in the progress log, for
    /// `hook recover` (give it to `Children::on_spawn`).
    pub fn group_recorder(&self) -> impl Fn(i32) + Send + Sync + 'static {
        let progress = Arc::clone(&self.progress);
        move |pgid| progress.group(Group::of_leader(pgid))
    }

    /// Make every saved path match the index.
    fn materialise(&mut self) -> anyhow::Result<()> {
        if self.filters {
            let files: Vec<BString> = self
                .journal
                .entries
                .iter()
                .filter(|e| e.index_mode != SYMLINK)
                .map(Entry::rel)
                .collect();
            self.forms = Some(work_tree_forms(self.repo, &self.files, &files)?);
        }
        let mut records = Vec::with_capacity(self.journal.entries.len());
        for e in &self.journal.entries {
            let rel = e.rel();
            let fp = self
                .materialise_one(e, rel.as_bstr())
                .with_context(|| format!("cannot make {} match the index", rel.to_str_lossy()))?;
            records.push((rel, fp));
        }
        self.progress.materialised(&records);
        self.materialised.extend(records);
        Ok(())
    }

    /// Write the index version of one path; its fingerprint as written.
    fn materialise_one(&self, e: &Entry, rel: &BStr) -> anyhow::Result<Option<Fingerprint>> {
        let blob = || -> anyhow::Result<Vec<u8>> {
            Ok(write::read_blob(self.repo, parse_id(&e.index_blob)?)?)
        };
        let mut created = Vec::new();
        if e.index_mode == SYMLINK {
            let target = blob()?;
            self.tree.write_symlink(rel, &target, &mut created)?;
            return Ok(Some(link_fingerprint(&target)));
        }
        let executable = e.index_mode == EXECUTABLE;
        let mode = match &e.saved {
            Saved::File { mode, .. } => with_exec(*mode, executable),
            _ => new_file_mode(executable),
        };
        let mut hasher = file_fingerprinter(mode & 0o111 != 0);
        match &self.forms {
            Some(dir) => {
                let path = crate::git::to_path(dir.path(), rel);
                let file =
                    std::fs::File::open(&path).map_err(io_at("read git's checkout of", &path))?;
                let mut src = Hashing {
                    inner: file,
                    hasher: &mut hasher,
                };
                self.tree.write_file(rel, &mut src, mode, &mut created)?;
            }
            None => {
                let data = blob()?;
                let mut src = Hashing {
                    inner: &data[..],
                    hasher: &mut hasher,
                };
                self.tree.write_file(rel, &mut src, mode, &mut created)?;
            }
        }
        Ok(Some(hasher.finalize().into()))
    }
}

/// The work-tree form of the index entries `paths`, written by git into a
/// temporary directory next to the journal (git's filters apply).
fn work_tree_forms(
    repo: &Repo,
    files: &Files,
    paths: &[BString],
) -> anyhow::Result<tempfile::TempDir> {
    std::fs::create_dir_all(&files.dir).map_err(io_at("create", &files.dir))?;
    let dir = tempfile::Builder::new()
        .prefix("checkout-")
        .tempdir_in(&files.dir)
        .map_err(io_at("create a directory in", &files.dir))?;
    write::checkout_index_into(repo, dir.path(), paths)?;
    Ok(dir)
}

fn parse_id(hex: &str) -> anyhow::Result<gix::ObjectId> {
    gix::ObjectId::from_hex(hex.as_bytes())
        .map_err(|e| anyhow::anyhow!("bad object id {hex:?} in the keeper journal: {e}"))
}

/// The fingerprint of what is at `rel` now (`None`: nothing git tracks).
fn fingerprint_at(tree: &WorkTree, rel: &BStr) -> Result<Option<Fingerprint>, TreeError> {
    Ok(match tree.read(rel)? {
        Content::File { mut file, mode, .. } => {
            let mut hasher = file_fingerprinter(mode & 0o111 != 0);
            std::io::copy(&mut file, &mut hasher).map_err(|e| TreeError::Io {
                op: "read",
                path: tree.abs(rel),
                source: e,
            })?;
            Some(hasher.finalize().into())
        }
        Content::Symlink(target) => Some(link_fingerprint(&target)),
        _ => None,
    })
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
