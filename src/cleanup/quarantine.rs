//! Where removed paths go and how they come back.
//!
//! Each run gets a directory `<git dir>/hephaestus/quarantine/<run-id>/`
//! (outside a repository `<root>/.hephaestus/quarantine/<run-id>/`), on
//! the same filesystem as the work tree in the usual case so a removal is
//! one `rename`; otherwise entries are copied with their owner, mode,
//! hard links and times ([`copy`](crate::cleanup::copy)). Entries are
//! named by their position in the plan (`000000`, `000001`, …); the
//! manifest maps them back to their paths, and a seal beside them
//! ([`trust`](crate::cleanup::trust)) binds the manifest to the run.
//! Undo renames them back with `RENAME_NOREPLACE`, never over something
//! that exists again, only to the places [`trust::check`] accepted, and
//! verifies restored files against their SHA-256.

use std::ffi::OsStr;
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;

use rustix::fs::{AtFlags, Mode};

use crate::cleanup::CleanupError;
use crate::cleanup::copy::Copier;
use crate::cleanup::delete::{self, Disposal, RestoreJob, Restored};
pub use crate::cleanup::manifest::RunId;
use crate::cleanup::manifest::{Entry, ErrorRecord, JsonPath, Manifest, Status, UndoRecord};
use crate::cleanup::plan::Plan;
use crate::cleanup::rules::EntryKind;
use crate::cleanup::state::{DIR_FLAGS, StateDir};
use crate::cleanup::trust::{self, Trusted};

/// An open quarantine directory for one run.
pub struct Quarantine {
    pub dir: PathBuf,
    pub(crate) fd: OwnedFd,
}

impl Quarantine {
    /// Create `<base>/<run id>/` (mode 0700) in an opened base directory.
    pub fn create(base: &StateDir, run_id: &str) -> std::io::Result<Quarantine> {
        rustix::fs::mkdirat(&base.fd, run_id, Mode::from_raw_mode(0o700))?;
        let fd = rustix::fs::openat(&base.fd, run_id, DIR_FLAGS, Mode::empty())?;
        Ok(Quarantine {
            dir: base.path.join(run_id),
            fd,
        })
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
    let mut copier = quarantine.map(|q| Copier::new(q.fd.as_fd()));
    let mut out = Vec::with_capacity(plan.items.len());
    for (index, item) in plan.items.iter().enumerate() {
        let qname = entry_name(index);
        let disposal = match (quarantine, copier.as_mut()) {
            (Some(q), Some(copier)) => Disposal::Quarantine {
                dir: &q.fd,
                name: &qname,
                copier,
            },
            _ => Disposal::Permanent,
        };
        let result = match &roots[item.scan_root] {
            Ok(fd) => delete::remove(fd, item.rel(plan), &item.identity, disposal)
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

/// Restore every quarantined entry of a manifest [`trust::check`]
/// accepted (updating it in place).
pub fn undo(
    manifest: &mut Manifest,
    trusted: &Trusted,
    at: &str,
) -> Result<UndoReport, CleanupError> {
    let mut report = UndoReport::default();
    let mut copier = Copier::new(trusted.root_fd.as_fd());
    for (index, rel) in &trusted.restorable {
        let entry = &mut manifest.entries[*index];
        let path = entry.path.0.clone();
        let Some(qname) = entry.quarantined_as.as_deref() else {
            continue;
        };
        let sha256 = match entry.kind {
            EntryKind::File => entry.sha256.as_deref(),
            _ => None,
        };
        let job = RestoreJob {
            quarantine: &trusted.quarantine.fd,
            qname: OsStr::new(qname),
            root: &trusted.root_fd,
            rel,
            sha256,
        };
        match delete::restore(&job, &mut copier) {
            Ok(Restored::Done) => {
                entry.status = Status::Restored;
                report.restored.push(path);
            }
            Ok(Restored::Mismatch(msg)) => {
                entry.status = Status::Restored;
                report.errors.push((path.clone(), msg));
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
        // The run is over: its seal goes, then its (now empty) directory.
        let _ = rustix::fs::unlinkat(&trusted.quarantine.fd, trust::SEAL, AtFlags::empty());
        let _ = rustix::fs::unlinkat(
            &trusted.base.fd,
            manifest.run_id.as_str(),
            AtFlags::REMOVEDIR,
        );
    }
    Ok(report)
}
