//! Which manifests `cleanup undo` obeys.
//!
//! A manifest is a file in the work tree, and a cloned repository can
//! commit one: with a scan root of `../..` and a `quarantined_as` of
//! `../../../../.ssh/id_ed25519` it would turn undo into "move any file
//! anywhere". So undo trusts a manifest only when this hephaestus wrote
//! it for this work tree:
//!
//! - it is not tracked by git (hephaestus never commits its manifests);
//! - its run id has the shape hephaestus gives run ids, and its
//!   quarantine is exactly `<quarantine base of its root>/<run id>`, the
//!   base computed here, never read from the manifest;
//! - its root and every scan root are plain absolute paths inside the
//!   current root (the work tree, or the current directory outside git)
//!   and pass the same refusals as a run ([`safety`]);
//! - every entry is a plain path strictly inside its scan root, and
//!   `quarantined_as` is exactly the entry's own name in the quarantine;
//! - the run's quarantine holds a seal, written by the run, owned by this
//!   user (or root) and never followed through a link, whose digest
//!   matches the manifest's identity (run id, roots, quarantine, entries).
//!   The quarantine lives under the git dir, which a clone cannot plant.
//!
//! Anything else is refused with the reason (exit 2). The seal covers
//! what undo acts on, not the statuses and undo records it updates.

use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cleanup::manifest::{JsonPath, Manifest, Status};
use crate::cleanup::quarantine::{Quarantine, RunId, entry_name};
use crate::cleanup::rules::EntryKind;
use crate::cleanup::state::{self, StateDir, StateDirs};
use crate::cleanup::{delete, ident, safety};

/// The seal's file name inside a run's quarantine.
pub const SEAL: &str = "seal.json";

const SEAL_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Seal {
    version: u32,
    run_id: String,
    /// [`binding_digest`] of the manifest the run wrote.
    binding_sha256: String,
}

/// The part of a manifest undo acts on.
#[derive(Serialize)]
struct Binding<'a> {
    version: u32,
    run_id: &'a str,
    root: &'a JsonPath,
    scan_roots: &'a [JsonPath],
    quarantine: Option<&'a JsonPath>,
    entries: Vec<BoundEntry<'a>>,
}

#[derive(Serialize)]
struct BoundEntry<'a> {
    path: &'a JsonPath,
    scan_root: usize,
    kind: EntryKind,
    sha256: Option<&'a str>,
    quarantined_as: Option<&'a str>,
}

/// SHA-256 of the manifest's identity: run id, roots, quarantine, and
/// each entry's path, kind, hash and quarantine name.
pub fn binding_digest(m: &Manifest) -> String {
    let binding = Binding {
        version: m.version,
        run_id: &m.run_id,
        root: &m.root,
        scan_roots: &m.scan_roots,
        quarantine: m.quarantine.as_ref(),
        entries: m
            .entries
            .iter()
            .map(|e| BoundEntry {
                path: &e.path,
                scan_root: e.scan_root,
                kind: e.kind,
                sha256: e.sha256.as_deref(),
                quarantined_as: e.quarantined_as.as_deref(),
            })
            .collect(),
    };
    let bytes = serde_json::to_vec(&binding).unwrap_or_default();
    hex::encode(Sha256::digest(bytes))
}

/// Write the seal of a run into its quarantine (once; never replaced).
pub fn seal(quarantine: &Quarantine, manifest: &Manifest) -> std::io::Result<()> {
    let seal = Seal {
        version: SEAL_VERSION,
        run_id: manifest.run_id.clone(),
        binding_sha256: binding_digest(manifest),
    };
    let mut bytes = serde_json::to_vec_pretty(&seal)?;
    bytes.push(b'\n');
    state::write_new(&quarantine.fd, SEAL.as_ref(), &bytes, 0o600)
}

/// Where undo runs.
#[derive(Debug, Clone)]
pub struct TrustSettings {
    /// The work tree root, or the current directory outside git
    /// (canonical).
    pub current_root: PathBuf,
    /// The user's home directory (refused, as in a run).
    pub home: Option<PathBuf>,
}

/// A manifest undo may act on, with what it needs opened.
pub struct Trusted {
    /// The current root.
    pub root_fd: OwnedFd,
    /// The quarantine base and the run's directory in it.
    pub base: StateDir,
    pub quarantine: StateDir,
    /// Each quarantined entry (its index) and its path relative to the
    /// current root.
    pub restorable: Vec<(usize, PathBuf)>,
}

/// Why a manifest is not acted on.
#[derive(Debug)]
pub enum Refusal {
    /// Not written by this hephaestus for this work tree (exit 2).
    Untrusted(String),
    /// A valid manifest with nothing left to restore (exit 1).
    NothingToUndo(String),
}

/// An absolute path with only plain components (no `.`, `..`).
fn plain_absolute(p: &Path) -> bool {
    let mut c = p.components();
    c.next() == Some(Component::RootDir) && c.all(|c| matches!(c, Component::Normal(_)))
}

/// Decide whether undo may act on `m`, and open what it needs.
pub fn check(m: &Manifest, settings: &TrustSettings) -> Result<Trusted, Refusal> {
    let untrusted = |s: String| Refusal::Untrusted(s);
    let current = &settings.current_root;
    if !RunId::is_well_formed(&m.run_id) {
        return Err(untrusted(format!(
            "its run id {:?} is not one hephaestus makes",
            m.run_id
        )));
    }
    let root = &m.root.0;
    for (what, p) in
        std::iter::once(("root", root)).chain(m.scan_roots.iter().map(|r| ("scan root", &r.0)))
    {
        if !plain_absolute(p) {
            return Err(untrusted(format!(
                "its {what} {} is not a plain absolute path",
                p.display()
            )));
        }
        if !p.starts_with(current) {
            return Err(untrusted(format!(
                "its {what} {} is outside {}",
                p.display(),
                current.display()
            )));
        }
        if let Some(reason) = safety::refusal(p, settings.home.as_deref()) {
            return Err(untrusted(format!(
                "its {what} {} is refused: {reason}",
                p.display()
            )));
        }
    }
    if m.scan_roots.first().map(|r| &r.0) != Some(root) {
        return Err(untrusted("its first scan root is not its root".to_string()));
    }
    let mut restorable = Vec::new();
    for (i, e) in m.entries.iter().enumerate() {
        let path = &e.path.0;
        let Some(scan_root) = m.scan_roots.get(e.scan_root) else {
            return Err(untrusted(format!(
                "entry {i} names scan root {}, which it does not have",
                e.scan_root
            )));
        };
        let inside = plain_absolute(path)
            && path
                .strip_prefix(&scan_root.0)
                .is_ok_and(|rel| !rel.as_os_str().is_empty());
        if !inside {
            return Err(untrusted(format!(
                "its entry {} is not a plain path inside its scan root {}",
                path.display(),
                scan_root.0.display()
            )));
        }
        if let Some(q) = &e.quarantined_as
            && *q != entry_name(i)
        {
            return Err(untrusted(format!(
                "entry {i} claims to be {q:?} in the quarantine; hephaestus names it {}",
                entry_name(i)
            )));
        }
        if e.status == Status::Quarantined {
            if e.quarantined_as.is_none() {
                return Err(untrusted(format!(
                    "its entry {} is quarantined under no name",
                    path.display()
                )));
            }
            let rel = path.strip_prefix(current).unwrap_or(path).to_path_buf();
            restorable.push((i, rel));
        }
    }
    let dirs = StateDirs::for_root(root);
    let base_path = dirs.quarantine_base_path();
    let expected = base_path.join(&m.run_id);
    let Some(quarantine) = &m.quarantine else {
        return Err(Refusal::NothingToUndo(
            "that run used --permanent; nothing was kept to restore".to_string(),
        ));
    };
    if quarantine.0 != expected {
        return Err(untrusted(format!(
            "its quarantine {} is not this repository's quarantine for that run ({})",
            quarantine.0.display(),
            expected.display()
        )));
    }
    if restorable.is_empty() {
        return Err(Refusal::NothingToUndo(
            "every path of that run has already been restored".to_string(),
        ));
    }
    let missing = || {
        untrusted(format!(
            "the quarantine {} does not exist (it was deleted, or that run never happened here)",
            expected.display()
        ))
    };
    let base = dirs
        .open_quarantine_base(false)
        .map_err(|e| untrusted(e.to_string()))?
        .ok_or_else(missing)?;
    let quarantine = base
        .child(&m.run_id, state::Create::No)
        .map_err(|e| untrusted(e.to_string()))?
        .ok_or_else(missing)?;
    check_seal(&quarantine, m)?;
    let root_fd = delete::open_dir(current)
        .map_err(|e| untrusted(format!("cannot open {}: {e}", current.display())))?;
    Ok(Trusted {
        root_fd,
        base,
        quarantine,
        restorable,
    })
}

/// The run's seal exists, is ours, and matches the manifest.
fn check_seal(quarantine: &StateDir, m: &Manifest) -> Result<(), Refusal> {
    let seal_path = quarantine.path.join(SEAL);
    let fail = |why: String| {
        Refusal::Untrusted(format!(
            "{why}, so it is not the manifest of the run quarantined in {}",
            quarantine.path.display()
        ))
    };
    let meta = ident::stat_at(&quarantine.fd, SEAL.as_ref()).map_err(|e| {
        fail(format!(
            "it has no seal ({}: {})",
            seal_path.display(),
            std::io::Error::from(e)
        ))
    })?;
    let me = rustix::process::geteuid().as_raw();
    if meta.uid != me && meta.uid != 0 {
        return Err(fail(format!(
            "its seal {} belongs to user {}, not to you or root",
            seal_path.display(),
            meta.uid
        )));
    }
    let bytes = state::read_file(&quarantine.fd, SEAL.as_ref()).map_err(|e| {
        fail(format!(
            "its seal {} cannot be read: {e}",
            seal_path.display()
        ))
    })?;
    let seal: Seal = serde_json::from_slice(&bytes).map_err(|e| {
        fail(format!(
            "its seal {} is not a seal: {e}",
            seal_path.display()
        ))
    })?;
    if seal.version != SEAL_VERSION || seal.run_id != m.run_id {
        return Err(fail(format!(
            "its seal {} is for run {:?}",
            seal_path.display(),
            seal.run_id
        )));
    }
    if seal.binding_sha256 != binding_digest(m) {
        return Err(fail(
            "its roots, quarantine or entries differ from what the run recorded".to_string(),
        ));
    }
    Ok(())
}

/// Whether `path` is tracked in the index of `repo` (a manifest that is
/// came with the repository, not from a run).
pub fn is_tracked(repo: &crate::git::Repo, path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let (Ok(work), Some(abs)) = (repo.work_tree(), canonical_parent(path)) else {
        return false;
    };
    let work = work.canonicalize().unwrap_or_else(|_| work.to_path_buf());
    let Ok(rel) = abs.strip_prefix(&work) else {
        return false;
    };
    let rel = rel.as_os_str().as_bytes();
    let mut found = false;
    let _ = repo.for_each_tracked(|p| {
        if p.as_ref() as &[u8] == rel {
            found = true;
        }
        Ok(())
    });
    found
}

/// `path` with its directory canonicalized (the file itself may be a
/// link; it is not followed).
fn canonical_parent(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    Some(dir.canonicalize().ok()?.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_absolute_paths_only() {
        assert!(plain_absolute(Path::new("/a/b")));
        assert!(!plain_absolute(Path::new("a/b")));
        assert!(!plain_absolute(Path::new("/a/../b")));
        assert!(!plain_absolute(Path::new("../..")));
    }

    #[test]
    fn run_ids() {
        assert!(RunId::is_well_formed(&RunId::new().id));
        for bad in [
            "",
            "..",
            "../../x",
            "99991231T235959.999999Z",
            "99991231T235959.999999Z-00000/",
            "99991231T235959.999999Z-ABCDEF",
        ] {
            assert!(!RunId::is_well_formed(bad), "{bad:?}");
        }
    }
}
