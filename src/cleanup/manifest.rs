//! The JSON audit manifest written by every real run: what was removed
//! (kind, size, SHA-256 for files, mode), where it went (the quarantine),
//! what was skipped and what failed, and later what `cleanup undo` did.
//! The schema is documented in docs/cleanup.md; `version` changes only
//! with an incompatible change.
//!
//! Paths are exact bytes: a path that is valid UTF-8 is a JSON string; one
//! that is not is an object `{"bytes_hex": "…"}`, so undo restores names
//! with any bytes.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::cleanup::plan::Plan;
use crate::cleanup::rules::{Category, EntryKind};
use crate::cleanup::state::{self, StateDir};

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

    /// Whether `id` has the shape [`RunId::new`] gives
    /// (`20260101T120000.123456Z-1a2b3c`): a plain directory name.
    pub fn is_well_formed(id: &str) -> bool {
        let b = id.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        b.len() == 30
            && digits(0..8)
            && b[8] == b'T'
            && digits(9..15)
            && b[15] == b'.'
            && digits(16..22)
            && b[22] == b'Z'
            && b[23] == b'-'
            && b[24..]
                .iter()
                .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
    }
}

impl Default for RunId {
    fn default() -> Self {
        Self::new()
    }
}

/// The manifest format version.
pub const VERSION: u32 = 1;

/// A path stored losslessly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath(pub PathBuf);

impl Serialize for JsonPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.to_str() {
            Some(text) => text.serialize(s),
            None => {
                #[derive(Serialize)]
                struct Raw {
                    bytes_hex: String,
                }
                Raw {
                    bytes_hex: hex::encode(self.0.as_os_str().as_bytes()),
                }
                .serialize(s)
            }
        }
    }
}

impl<'de> Deserialize<'de> for JsonPath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Bytes { bytes_hex: String },
        }
        Ok(JsonPath(match Raw::deserialize(d)? {
            Raw::Text(t) => PathBuf::from(t),
            Raw::Bytes { bytes_hex } => {
                let bytes = hex::decode(&bytes_hex).map_err(serde::de::Error::custom)?;
                PathBuf::from(OsStr::from_bytes(&bytes))
            }
        }))
    }
}

impl From<&Path> for JsonPath {
    fn from(p: &Path) -> Self {
        JsonPath(p.to_path_buf())
    }
}

/// The options the run was made with.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Options {
    pub python_cache: bool,
    pub build_artifacts: bool,
    pub node_modules: bool,
    pub include_git: bool,
    pub include_venv: bool,
    pub permanent: bool,
    pub max_depth: Option<usize>,
    pub extra_paths: Vec<JsonPath>,
    pub extra_patterns: Vec<String>,
    pub exclude: Vec<String>,
}

/// What happened to one planned path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Moved into the quarantine (undo can restore it).
    Quarantined,
    /// Deleted for good (`--permanent`).
    Deleted,
    /// Not removed; see `error`.
    Failed,
    /// Restored by `cleanup undo`.
    Restored,
}

/// One planned path.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub path: JsonPath,
    /// Index into `scan_roots`.
    pub scan_root: usize,
    pub kind: EntryKind,
    pub category: Category,
    /// Apparent size in bytes (for a directory, of its contents).
    pub size: u64,
    /// Non-directory entries it held (1 for a file or link).
    pub files: u64,
    /// Permission bits (octal in meaning, stored as a number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    pub status: Status,
    /// The name inside the quarantine directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantined_as: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A scan root that was not walked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SkippedRoot {
    pub path: JsonPath,
    pub reason: String,
}

/// A problem not tied to one planned path (an unreadable directory).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<JsonPath>,
    pub message: String,
}

/// One `cleanup undo` of this run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UndoRecord {
    pub at: String,
    pub restored: usize,
    /// Paths that exist again and were not overwritten.
    pub conflicts: Vec<JsonPath>,
    pub errors: Vec<ErrorRecord>,
}

/// Totals for a quick look.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Totals {
    pub planned: usize,
    pub removed: usize,
    pub failed: usize,
    pub bytes_removed: u64,
}

/// The whole manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    pub run_id: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub tool: String,
    pub root: JsonPath,
    pub options: Options,
    pub scan_roots: Vec<JsonPath>,
    /// The run's quarantine directory; `null` for `--permanent`.
    pub quarantine: Option<JsonPath>,
    pub entries: Vec<Entry>,
    pub skipped_roots: Vec<SkippedRoot>,
    pub errors: Vec<ErrorRecord>,
    pub totals: Totals,
    /// Set when every quarantined path has been restored.
    #[serde(default)]
    pub undone: bool,
    #[serde(default)]
    pub undo: Vec<UndoRecord>,
}

impl Manifest {
    /// The manifest of a run: the plan, the options it was made with and
    /// what [`execute`](crate::cleanup::quarantine::execute) did.
    pub fn for_run(
        plan: &Plan,
        options: Options,
        run_id: &RunId,
        quarantine: Option<&Path>,
        entries: Vec<Entry>,
    ) -> Manifest {
        let removed: Vec<&Entry> = entries
            .iter()
            .filter(|e| e.status != Status::Failed)
            .collect();
        let totals = Totals {
            planned: entries.len(),
            removed: removed.len(),
            failed: entries.len() - removed.len(),
            bytes_removed: removed.iter().map(|e| e.size).sum(),
        };
        let mut errors: Vec<ErrorRecord> = entries
            .iter()
            .filter_map(|e| {
                e.error.as_ref().map(|m| ErrorRecord {
                    path: Some(e.path.clone()),
                    message: m.clone(),
                })
            })
            .collect();
        errors.extend(plan.warnings.iter().map(|w| ErrorRecord {
            path: w.path.clone().map(JsonPath),
            message: w.message.clone(),
        }));
        Manifest {
            version: VERSION,
            run_id: run_id.id.clone(),
            created_at: run_id.created_at.clone(),
            tool: format!("hephaestus {}", env!("CARGO_PKG_VERSION")),
            root: JsonPath(plan.root.clone()),
            options,
            scan_roots: plan
                .scan_roots
                .iter()
                .map(|r| JsonPath(r.path.clone()))
                .collect(),
            quarantine: quarantine.map(|q| JsonPath(q.to_path_buf())),
            entries,
            skipped_roots: plan
                .skipped
                .iter()
                .map(|s| SkippedRoot {
                    path: JsonPath(s.path.clone()),
                    reason: s.reason.clone(),
                })
                .collect(),
            errors,
            totals,
            undone: false,
            undo: Vec::new(),
        }
    }

    /// Entries still waiting in the quarantine.
    pub fn restorable(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.status == Status::Quarantined)
            .count()
    }

    /// The manifest as pretty JSON.
    pub fn to_bytes(&self) -> std::io::Result<Vec<u8>> {
        let mut out = serde_json::to_vec_pretty(self)?;
        out.push(b'\n');
        Ok(out)
    }

    /// Write atomically (temp file + rename) to a path the user gave.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .ok_or_else(|| std::io::Error::other("the manifest path has no file name"))?;
        std::fs::create_dir_all(dir)?;
        let dir = std::fs::File::open(dir)?;
        state::replace_file(&std::os::fd::OwnedFd::from(dir), name, &self.to_bytes()?)
    }

    /// Write atomically as `name` in an opened state directory.
    pub fn write_in(&self, dir: &StateDir, name: &OsStr) -> std::io::Result<()> {
        state::replace_file(&dir.fd, name, &self.to_bytes()?)
    }

    pub fn read(path: &Path) -> Result<Manifest, String> {
        let text =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text, path)
    }

    /// Read `name` from an opened state directory (never through a link).
    pub fn read_in(dir: &StateDir, name: &OsStr) -> Result<Manifest, String> {
        let path = dir.path.join(name);
        let text = state::read_file(&dir.fd, name)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text, &path)
    }

    fn parse(text: &[u8], path: &Path) -> Result<Manifest, String> {
        let m: Manifest = serde_json::from_slice(text)
            .map_err(|e| format!("{} is not a cleanup manifest: {e}", path.display()))?;
        if m.version != VERSION {
            return Err(format!(
                "{} has manifest version {}; this hephaestus reads version {VERSION}",
                path.display(),
                m.version
            ));
        }
        Ok(m)
    }
}

/// Manifest names in an audit directory (`cleanup-*.json`), oldest first
/// (names sort by their UTC timestamp).
pub fn list(dir: &StateDir) -> Vec<std::ffi::OsString> {
    let mut v: Vec<std::ffi::OsString> = state::names(&dir.fd)
        .unwrap_or_default()
        .into_iter()
        .filter(|n| {
            n.to_str()
                .is_some_and(|n| n.starts_with("cleanup-") && n.ends_with(".json"))
        })
        .collect();
    v.sort();
    v
}
