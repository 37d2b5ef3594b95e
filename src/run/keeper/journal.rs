//! The keeper's records in `<git dir>/hephaestus/` (the work tree's own git
//! directory, so linked worktrees keep separate ones):
//!
//! - `keeper.json`, the journal: every saved path with its index entry and
//!   where its saved state is; written to a temporary file, fsynced and
//!   renamed into place before the work tree is touched, removed last;
//! - `keeper.backup`, the saved bytes (see [`super::backup`]);
//! - `keeper.patch`, a git binary patch of the same changes for people and
//!   `git apply`;
//! - `keeper.log`, the progress log appended while the run goes on: the
//!   fingerprint of each path right after it was made to match the index,
//!   and the process group of each step started. `hook recover` reads it
//!   to stop what is left of a dead run and to keep aside anything that
//!   changed after the run wrote it. It is not fsynced: after a power loss
//!   no step is running any more, and a path without a record is treated
//!   as changed (kept aside, never lost).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::error::UserError;
use crate::git::{BString, Repo};
use crate::process::groups::Group;
use crate::run::fingerprint::Fingerprint;

pub const JOURNAL_VERSION: u32 = 2;

/// Where a saved content is in the backup file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stored {
    pub offset: u64,
    pub len: u64,
    /// SHA-256 of the bytes, checked before they are written back.
    pub sha256: String,
}

/// A path's saved work-tree state.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Saved {
    /// A regular file: its bytes and permission bits.
    File { stored: Stored, mode: u32 },
    /// A symlink: its target.
    Symlink { stored: Stored },
    /// The path did not exist (a staged file deleted in the work tree).
    Missing {
        /// Directories created to materialise it, outermost first.
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
    /// The exact path.
    pub fn rel(&self) -> BString {
        BString::from(
            hex::decode(&self.path_hex).unwrap_or_else(|_| self.path.clone().into_bytes()),
        )
    }
}

/// The journal written before the work tree is touched.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Journal {
    pub version: u32,
    /// The run that wrote it.
    pub pid: u32,
    pub created: String,
    pub work_tree: PathBuf,
    pub backup: PathBuf,
    /// `git apply`-able patch of the same changes, for people and tools.
    pub patch: PathBuf,
    pub log: PathBuf,
    pub entries: Vec<Entry>,
}

/// The keeper's files of one work tree.
#[derive(Debug, Clone)]
pub struct Files {
    pub dir: PathBuf,
    pub journal: PathBuf,
    pub backup: PathBuf,
    pub patch: PathBuf,
    pub log: PathBuf,
    /// Where states that could not be put back are kept.
    pub kept: PathBuf,
}

impl Files {
    pub fn of(repo: &Repo) -> Files {
        let dir = repo.git_dir().join("hephaestus");
        Files {
            journal: dir.join("keeper.json"),
            backup: dir.join("keeper.backup"),
            patch: dir.join("keeper.patch"),
            log: dir.join("keeper.log"),
            kept: dir.join("kept"),
            dir,
        }
    }
}

/// An I/O error that names its path.
pub fn io_at(what: &str, path: &Path) -> impl FnOnce(std::io::Error) -> anyhow::Error {
    let message = format!("cannot {what} {}", path.display());
    move |e| anyhow::Error::new(e).context(message)
}

/// Read the pending journal, if a run did not finish.
pub fn read(files: &Files) -> anyhow::Result<Option<Journal>> {
    let bytes = match std::fs::read(&files.journal) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_at("read the keeper journal", &files.journal)(e)),
    };
    let unreadable = |why: String| {
        UserError::failure(format!(
            "the keeper journal {} is unreadable: {why}",
            files.journal.display()
        ))
        .with_hint(format!(
            "your saved changes are also in {} (`git apply` it); delete the journal only after saving your work",
            files.patch.display()
        ))
    };
    let journal: Journal = serde_json::from_slice(&bytes).map_err(|e| unreadable(e.to_string()))?;
    if journal.version != JOURNAL_VERSION {
        return Err(unreadable(format!(
            "it has version {}, this hephaestus reads version {JOURNAL_VERSION}",
            journal.version
        ))
        .into());
    }
    Ok(Some(journal))
}

/// Write `data` to `path` durably: a temporary file, fsync, rename, and an
/// fsync of the directory.
pub fn write_durably(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_at("create", dir))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io_at("write into", dir))?;
    tmp.write_all(data)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(io_at("write", tmp.path()))?;
    tmp.persist(path)
        .map_err(|e| io_at("write", path)(e.error))?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The progress log of a live run (appended to, best effort).
pub struct ProgressLog {
    file: Mutex<File>,
}

impl ProgressLog {
    /// Start a new log (replacing one left by an earlier run).
    pub fn create(path: &Path) -> anyhow::Result<ProgressLog> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(path)
            .map_err(io_at("create", path))?;
        Ok(ProgressLog {
            file: Mutex::new(file),
        })
    }

    fn append(&self, line: &str) {
        if let Ok(mut f) = self.file.lock() {
            let _ = f.write_all(line.as_bytes());
        }
    }

    /// These paths were made to match the index; this is what they look
    /// like now (one write for all of them).
    pub fn materialised(&self, paths: &[(BString, Option<Fingerprint>)]) {
        let mut lines = String::new();
        for (rel, fp) in paths {
            let fp = fp.map(hex::encode).unwrap_or_else(|| "-".to_string());
            lines.push_str(&format!("materialised {} {fp}\n", hex::encode(rel)));
        }
        self.append(&lines);
    }

    /// A step started in this process group.
    pub fn group(&self, group: Group) {
        self.append(&group.to_line());
    }
}

/// What a progress log recorded.
#[derive(Debug, Default)]
pub struct Progress {
    pub materialised: BTreeMap<BString, Option<Fingerprint>>,
    pub groups: Vec<Group>,
}

/// Read a progress log (a missing or damaged one reads as empty lines).
pub fn read_progress(path: &Path) -> Progress {
    let mut out = Progress::default();
    let Ok(text) = std::fs::read_to_string(path) else {
        return out;
    };
    for line in text.lines() {
        if let Some(g) = Group::parse(line) {
            out.groups.push(g);
            continue;
        }
        let mut words = line.split(' ');
        if words.next() != Some("materialised") {
            continue;
        }
        let (Some(path), Some(fp)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(path) = hex::decode(path) else {
            continue;
        };
        let fp = match fp {
            "-" => None,
            h => match hex::decode(h)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
            {
                Some(fp) => Some(fp),
                None => continue,
            },
        };
        out.materialised.insert(BString::from(path), fp);
    }
    out
}

/// Remove the journal (the point after which the run is over), then the
/// files around it.
pub fn finish(files: &Files) -> anyhow::Result<()> {
    match std::fs::remove_file(&files.journal) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_at("remove the keeper journal", &files.journal)(e)),
    }
    remove_leftovers(files);
    Ok(())
}

/// Remove the backup, patch and log (with no journal they mean nothing),
/// and git's checkouts a dead run left (`checkout-*`).
pub fn remove_leftovers(files: &Files) {
    for p in [&files.backup, &files.patch, &files.log] {
        let _ = std::fs::remove_file(p);
    }
    if let Ok(dir) = std::fs::read_dir(&files.dir) {
        for e in dir.flatten() {
            if e.file_name().to_string_lossy().starts_with("checkout-") {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_log_round_trips_paths_fingerprints_and_groups() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keeper.log");
        let log = ProgressLog::create(&path).unwrap();
        log.materialised(&[
            (BString::from(&b"a b/\xff.txt"[..]), Some([7; 32])),
            (BString::from("gone"), None),
        ]);
        log.group(Group {
            pgid: 4321,
            start: Some(99),
        });
        drop(log);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"materialised zz 00\ntorn line with")
            .unwrap();
        let p = read_progress(&path);
        assert_eq!(p.materialised.len(), 2);
        assert_eq!(
            p.materialised.get(&BString::from(&b"a b/\xff.txt"[..])),
            Some(&Some([7; 32]))
        );
        assert_eq!(p.materialised.get(&BString::from("gone")), Some(&None));
        assert_eq!(
            p.groups,
            vec![Group {
                pgid: 4321,
                start: Some(99)
            }]
        );
    }
}
