//! The plan: scan roots resolved and checked, the walk run over each, and
//! the matches merged into one sorted list of disjoint paths (a match
//! inside another match, or found from two overlapping roots, is listed
//! once). Nothing is touched here; the plan is what the preview shows and
//! what [`delete`](crate::cleanup::delete) executes after re-checking.

use std::path::{Path, PathBuf};

use crate::cleanup::CleanupError;
use crate::cleanup::ident::{self, Mount};
use crate::cleanup::rules::{Category, EntryKind, RuleSet};
use crate::cleanup::safety;
use crate::cleanup::walk::{self, WalkSettings, WalkWarning};

/// What to plan.
#[derive(Debug, Clone)]
pub struct PlanSettings {
    /// The cleanup root (ROOT, the work tree, or the current directory).
    pub root: PathBuf,
    /// `--extra-path` scan roots, as given (relative to `cwd`).
    pub extra_paths: Vec<PathBuf>,
    pub cwd: PathBuf,
    pub rules: RuleSet,
    pub max_depth: Option<usize>,
    /// The user's home directory (refused as a root).
    pub home: Option<PathBuf>,
}

/// The identity of a filesystem object at planning time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub dev: u64,
    pub ino: u64,
    pub kind: EntryKind,
    /// The mount it is on, where the kernel reports mount ids.
    pub mnt_id: Option<u64>,
}

impl Identity {
    pub fn mount(&self) -> Mount {
        Mount {
            dev: self.dev,
            mnt_id: self.mnt_id,
        }
    }
}

/// A directory that was walked.
#[derive(Debug, Clone)]
pub struct ScanRoot {
    /// Canonical path.
    pub path: PathBuf,
    /// As the user gave it.
    pub given: PathBuf,
    pub identity: Identity,
}

/// A scan root that was not walked, and why.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// One path to remove.
#[derive(Debug, Clone)]
pub struct Item {
    /// Index into [`Plan::scan_roots`].
    pub scan_root: usize,
    /// Absolute path (under the canonical scan root).
    pub path: PathBuf,
    pub category: Category,
    pub identity: Identity,
    pub size: u64,
    pub files: u64,
    /// Outside the cleanup root (from an `--extra-path` elsewhere).
    pub outside_root: bool,
}

impl Item {
    /// The path relative to its scan root.
    pub fn rel<'a>(&'a self, plan: &'a Plan) -> &'a Path {
        self.path
            .strip_prefix(&plan.scan_roots[self.scan_root].path)
            .unwrap_or(&self.path)
    }
}

/// The whole plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Canonical cleanup root.
    pub root: PathBuf,
    pub scan_roots: Vec<ScanRoot>,
    pub items: Vec<Item>,
    pub skipped: Vec<Skipped>,
    pub warnings: Vec<WalkWarning>,
}

impl Plan {
    pub fn total_size(&self) -> u64 {
        self.items.iter().map(|i| i.size).sum()
    }

    pub fn any_outside_root(&self) -> bool {
        self.items.iter().any(|i| i.outside_root)
    }
}

fn identity_of(path: &Path) -> std::io::Result<Identity> {
    let m = ident::stat_path(path)?;
    Ok(Identity {
        dev: m.dev,
        ino: m.ino,
        kind: EntryKind::from_raw(m.file_type),
        mnt_id: m.mnt_id,
    })
}

/// Check the root: it must exist, be a directory and not be dangerous.
fn resolve_root(settings: &PlanSettings) -> Result<ScanRoot, CleanupError> {
    let given = settings.root.clone();
    if let Some(reason) = safety::refusal(&given, settings.home.as_deref()) {
        return Err(CleanupError::Dangerous {
            path: given,
            reason,
        });
    }
    let canonical = given
        .canonicalize()
        .map_err(|source| CleanupError::BadRoot {
            path: given.clone(),
            message: source.to_string(),
        })?;
    let identity = identity_of(&canonical).map_err(|source| CleanupError::BadRoot {
        path: given.clone(),
        message: source.to_string(),
    })?;
    if identity.kind != EntryKind::Dir {
        return Err(CleanupError::BadRoot {
            path: given,
            message: "not a directory".to_string(),
        });
    }
    Ok(ScanRoot {
        path: canonical,
        given,
        identity,
    })
}

/// Resolve one `--extra-path`: dangerous is an error (like the root);
/// missing, not a directory, or inside protected places is a skip.
fn resolve_extra(
    given: &Path,
    settings: &PlanSettings,
) -> Result<Result<ScanRoot, Skipped>, CleanupError> {
    let abs = settings.cwd.join(given);
    if let Some(reason) = safety::refusal(&abs, settings.home.as_deref()) {
        return Err(CleanupError::Dangerous { path: abs, reason });
    }
    let skip = |reason: String| {
        Ok(Err(Skipped {
            path: abs.clone(),
            reason,
        }))
    };
    let canonical = match abs.canonicalize() {
        Ok(c) => c,
        Err(e) => return skip(format!("cannot resolve: {e}")),
    };
    let identity = match identity_of(&canonical) {
        Ok(i) => i,
        Err(e) => return skip(format!("cannot read: {e}")),
    };
    if identity.kind != EntryKind::Dir {
        return skip("not a directory".to_string());
    }
    for c in canonical.iter() {
        if c == ".git" && !settings.rules.include_git {
            return skip("inside a .git directory (see --include-git)".to_string());
        }
        if (c == "site-packages" || c == "dist-packages") && !settings.rules.include_venv {
            return skip(
                "inside a virtual environment's site-packages (see --include-venv)".to_string(),
            );
        }
        if c == ".hephaestus" {
            return skip("inside hephaestus's own state directory".to_string());
        }
    }
    Ok(Ok(ScanRoot {
        path: canonical,
        given: given.to_path_buf(),
        identity,
    }))
}

/// Resolve the roots, walk them, and merge the matches.
pub fn plan(settings: &PlanSettings) -> Result<Plan, CleanupError> {
    let root = resolve_root(settings)?;
    let mut scan_roots = vec![root.clone()];
    let mut skipped = Vec::new();
    for extra in &settings.extra_paths {
        match resolve_extra(extra, settings)? {
            Ok(r) => {
                if scan_roots.iter().any(|s| s.path == r.path) {
                    skipped.push(Skipped {
                        path: r.path,
                        reason: "given twice".to_string(),
                    });
                } else {
                    scan_roots.push(r);
                }
            }
            Err(s) => skipped.push(s),
        }
    }
    let mut items = Vec::new();
    let mut warnings = Vec::new();
    for (index, scan) in scan_roots.iter().enumerate() {
        let report = walk::walk(&WalkSettings {
            root: &scan.path,
            mount: scan.identity.mount(),
            rules: &settings.rules,
            max_depth: settings.max_depth,
        });
        warnings.extend(report.warnings);
        items.extend(report.found.into_iter().map(|f| Item {
            scan_root: index,
            outside_root: !f.path.starts_with(&root.path),
            path: f.path,
            category: f.category,
            identity: Identity {
                dev: f.dev,
                ino: f.ino,
                kind: f.kind,
                mnt_id: f.mnt_id,
            },
            size: f.size,
            files: f.files,
        }));
    }
    Ok(Plan {
        root: root.path,
        scan_roots,
        items: disjoint(items),
        skipped,
        warnings,
    })
}

/// Sort by path (component-wise, so a directory's contents follow it) and
/// drop anything inside an earlier match, and duplicates.
fn disjoint(mut items: Vec<Item>) -> Vec<Item> {
    items.sort_by(|a, b| a.path.cmp(&b.path).then(a.scan_root.cmp(&b.scan_root)));
    let mut out: Vec<Item> = Vec::with_capacity(items.len());
    for item in items {
        if let Some(last) = out.last()
            && item.path.starts_with(&last.path)
        {
            continue;
        }
        out.push(item);
    }
    out
}
