//! Where removed paths go and how they come back.
//!
//! Each run gets a directory `<git dir>/hephaestus/quarantine/<run-id>/`
//! (outside a repository `<root>/.hephaestus/quarantine/<run-id>/`), on
//! the same filesystem as the work tree in the usual case so a removal is
//! one `rename`. Entries are named by their position in the plan
//! (`000000`, `000001`, …); the manifest maps them back to their paths.
//! Undo renames them back with `RENAME_NOREPLACE`, never over something
//! that exists again, and verifies restored files against their SHA-256.

use std::ffi::OsStr;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::cleanup::CleanupError;
use crate::cleanup::delete::{self, Disposal, Restored};
use crate::cleanup::manifest::{Entry, ErrorRecord, JsonPath, Manifest, Status, UndoRecord};
use crate::cleanup::plan::Plan;
use crate::cleanup::rules::EntryKind;

/// The state directories for a cleanup root.
#[derive(Debug, Clone)]
pub struct StateDirs {
    /// Where manifests go by default (`<work tree>/.hephaestus/audit`).
    pub audit_dir: PathBuf,
    /// The parent of the per-run quarantine directories.
    pub quarantine_base: PathBuf,
    /// Whether the root is inside a git work tree.
    pub in_git: bool,
}

/// The state directories for `root`: under the git dir of the repository
/// holding it, else under `root/.hephaestus`.
pub fn state_dirs(root: &Path) -> StateDirs {
    if let Ok(repo) = crate::git::Repo::discover(root)
        && let Ok(work) = repo.work_tree()
        && let (Ok(work), Ok(git_dir)) = (work.canonicalize(), repo.git_dir().canonicalize())
    {
        return StateDirs {
            audit_dir: work.join(".hephaestus").join("audit"),
            quarantine_base: git_dir.join("hephaestus").join("quarantine"),
            in_git: true,
        };
    }
    StateDirs {
        audit_dir: root.join(".hephaestus").join("audit"),
        quarantine_base: root.join(".hephaestus").join("quarantine"),
        in_git: false,
    }
}

/// Create `dir` (and parents). A new `.hephaestus` directory gets a
/// `.gitignore` of `*` so its state never shows up in `git status`.
pub fn ensure_state_dir(dir: &Path) -> std::io::Result<()> {
    for ancestor in dir.ancestors() {
        if ancestor.file_name() == Some(OsStr::new(".hephaestus")) {
            if !ancestor.exists() {
                std::fs::create_dir_all(ancestor)?;
                std::fs::write(ancestor.join(".gitignore"), "*\n")?;
            }
            break;
        }
    }
    std::fs::create_dir_all(dir)
}

/// A run's identity and timestamps.
#[derive(Debug, Clone)]
pub struct RunId {
    /// `20260101T120000.123456Z-1a2b3c`.
    pub id: String,
    /// `20260101T120000.123456Z` (for file names; sorts by time).
    pub stamp: String,
    /// RFC 3339.
    pub created_at: String,
}

impl RunId {
    pub fn new() -> Self {
        let now = time::OffsetDateTime::now_utc();
        let stamp = now
            .format(time::macros::format_description!(
                "[year][month][day]T[hour][minute][second].[subsecond digits:6]Z"
            ))
            .unwrap_or_else(|_| now.unix_timestamp().to_string());
        let created_at = now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| stamp.clone());
        let id = format!("{stamp}-{:06x}", fastrand::u32(..0x0100_0000));
        RunId {
            id,
            stamp,
            created_at,
        }
    }
}

impl Default for RunId {
    fn default() -> Self {
        Self::new()
    }
}

/// An open quarantine directory for one run.
pub struct Quarantine {
    pub dir: PathBuf,
    fd: OwnedFd,
}

impl Quarantine {
    /// Create `<base>/<run id>/` (mode 0700) and open it.
    pub fn create(base: &Path, run_id: &str) -> std::io::Result<Quarantine> {
        use std::os::unix::fs::DirBuilderExt;
        ensure_state_dir(base)?;
        let dir = base.join(run_id);
        std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
        let fd = delete::open_dir(&dir).map_err(std::io::Error::other)?;
        Ok(Quarantine { dir, fd })
    }
}

/// The name of the `index`th entry inside the quarantine.
pub fn entry_name(index: usize) -> String {
    format!("{index:06}")
}

/// Remove (or quarantine) every planned path, re-checking each first.
/// `tick` is called after each path (for the progress bar).
pub fn execute(plan: &Plan, quarantine: Option<&Quarantine>, mut tick: impl FnMut()) -> Vec<Entry> {
    let roots: Vec<Result<OwnedFd, String>> = plan
        .scan_roots
        .iter()
        .map(|r| delete::open_root(&r.path, &r.identity).map_err(|e| e.to_string()))
        .collect();
    let mut out = Vec::with_capacity(plan.items.len());
    for (index, item) in plan.items.iter().enumerate() {
        let qname = entry_name(index);
        let disposal = match quarantine {
            Some(q) => Disposal::Quarantine {
                dir: &q.fd,
                name: &qname,
            },
            None => Disposal::Permanent,
        };
        let result = match &roots[item.scan_root] {
            Ok(fd) => delete::remove(fd, item.rel(plan), &item.identity, &disposal)
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.clone()),
        };
        let mut entry = Entry {
            path: JsonPath(item.path.clone()),
            scan_root: item.scan_root,
            kind: item.identity.kind,
            category: item.category,
            size: item.size,
            files: item.files,
            mode: None,
            sha256: None,
            status: Status::Failed,
            quarantined_as: None,
            error: None,
        };
        match result {
            Ok(removed) => {
                entry.mode = Some(removed.mode);
                entry.sha256 = removed.sha256;
                if quarantine.is_some() {
                    entry.status = Status::Quarantined;
                    entry.quarantined_as = Some(qname);
                } else {
                    entry.status = Status::Deleted;
                }
            }
            Err(e) => entry.error = Some(e),
        }
        out.push(entry);
        tick();
    }
    out
}

/// What one undo did.
#[derive(Debug, Default)]
pub struct UndoReport {
    pub restored: Vec<PathBuf>,
    pub conflicts: Vec<PathBuf>,
    pub errors: Vec<(PathBuf, String)>,
}

/// Restore every quarantined entry of `manifest` (updating it in place).
pub fn undo(manifest: &mut Manifest, at: &str) -> Result<UndoReport, CleanupError> {
    let Some(qdir) = manifest.quarantine.clone() else {
        return Err(CleanupError::NothingToUndo(
            "that run used --permanent; nothing was kept to restore".to_string(),
        ));
    };
    if manifest.restorable() == 0 {
        return Err(CleanupError::NothingToUndo(
            "every path of that run has already been restored".to_string(),
        ));
    }
    let qfd = delete::open_dir(&qdir.0).map_err(|e| {
        CleanupError::NothingToUndo(format!(
            "the quarantine {} cannot be opened: {e}",
            qdir.0.display()
        ))
    })?;
    let mut report = UndoReport::default();
    for entry in manifest
        .entries
        .iter_mut()
        .filter(|e| e.status == Status::Quarantined)
    {
        let path = entry.path.0.clone();
        let Some(root) = manifest.scan_roots.get(entry.scan_root) else {
            report
                .errors
                .push((path, "the manifest names no scan root for it".to_string()));
            continue;
        };
        let (Some(qname), Ok(rel)) = (&entry.quarantined_as, path.strip_prefix(&root.0)) else {
            report
                .errors
                .push((path, "the manifest entry is incomplete".to_string()));
            continue;
        };
        match delete::restore(&qfd, OsStr::new(qname), &root.0, rel) {
            Ok(Restored::Done) => {
                if let Err(msg) = verify(entry) {
                    report.errors.push((path.clone(), msg));
                }
                entry.status = Status::Restored;
                report.restored.push(path);
            }
            Ok(Restored::Exists) => report.conflicts.push(path),
            Err(e) => report.errors.push((path, e.to_string())),
        }
    }
    manifest.undo.push(UndoRecord {
        at: at.to_string(),
        restored: report.restored.len(),
        conflicts: report
            .conflicts
            .iter()
            .map(|p| JsonPath(p.clone()))
            .collect(),
        errors: report
            .errors
            .iter()
            .map(|(p, m)| ErrorRecord {
                path: Some(JsonPath(p.clone())),
                message: m.clone(),
            })
            .collect(),
    });
    if manifest.restorable() == 0 {
        manifest.undone = true;
        let _ = std::fs::remove_dir(&qdir.0);
    }
    Ok(report)
}

/// Check a restored regular file against the recorded SHA-256.
fn verify(entry: &Entry) -> Result<(), String> {
    let (EntryKind::File, Some(expected)) = (entry.kind, &entry.sha256) else {
        return Ok(());
    };
    let mut file = std::fs::File::open(&entry.path.0).map_err(|e| format!("cannot verify: {e}"))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| format!("cannot verify: {e}"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let actual = hex::encode(hasher.finalize());
    if &actual == expected {
        Ok(())
    } else {
        Err(format!(
            "restored, but its SHA-256 is {actual}, not {expected}"
        ))
    }
}
