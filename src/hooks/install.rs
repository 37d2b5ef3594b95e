//! `hook install` / `uninstall` / `list`: the shim written into the hooks
//! directory (template: `hooks/shim.sh`, embedded), recognised by its
//! marker line, with any foreign hook kept as `<hook>.legacy`, chained, and
//! put back on uninstall. Nothing is ever overwritten that is not ours.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::UserError;
use crate::git::{HookType, HooksDir};

/// The marker that identifies our shim.
pub const MARKER: &str = "hephaestus-managed-hook";
const TEMPLATE: &str = include_str!("../../hooks/shim.sh");

/// The state of one hook file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookState {
    Absent,
    /// Our shim; the version it was written by.
    Ours {
        version: String,
        legacy: bool,
    },
    /// Somebody else's hook.
    Foreign,
}

/// Read the state of `hook` in `dir`.
pub fn state(dir: &Path, hook: HookType) -> HookState {
    let path = dir.join(hook.as_str());
    let Ok(text) = std::fs::read(&path) else {
        return if path.symlink_metadata().is_ok() {
            HookState::Foreign
        } else {
            HookState::Absent
        };
    };
    let text = String::from_utf8_lossy(&text);
    if !text.contains(MARKER) {
        return HookState::Foreign;
    }
    let version = text
        .lines()
        .find_map(|l| l.strip_prefix("# hephaestus-version: "))
        .unwrap_or("unknown")
        .to_string();
    HookState::Ours {
        version,
        legacy: legacy_path(dir, hook).exists(),
    }
}

fn legacy_path(dir: &Path, hook: HookType) -> PathBuf {
    dir.join(format!("{}.legacy", hook.as_str()))
}

/// Single-quote a string for POSIX sh.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The shim text for `hook`, calling `binary`.
pub fn render(hook: HookType, binary: &Path) -> String {
    TEMPLATE
        .replace("@HOOK_TYPE@", hook.as_str())
        .replace("@VERSION@", env!("CARGO_PKG_VERSION"))
        .replace("@HEPHAESTUS_BIN@", &sh_quote(&binary.to_string_lossy()))
}

/// What `install` did for one hook type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installed {
    New,
    Updated,
    /// A foreign hook was moved to `<hook>.legacy` and will run first.
    ChainedLegacy,
}

/// Write our shim for `hook` into `dir`.
pub fn install(dir: &HooksDir, hook: HookType, binary: &Path) -> anyhow::Result<Installed> {
    std::fs::create_dir_all(&dir.path).map_err(|e| {
        UserError::failure(format!(
            "cannot create the hooks directory {}: {e}",
            dir.path.display()
        ))
    })?;
    let path = dir.path.join(hook.as_str());
    let legacy = legacy_path(&dir.path, hook);
    let outcome = match state(&dir.path, hook) {
        HookState::Absent => Installed::New,
        HookState::Ours { .. } => Installed::Updated,
        HookState::Foreign => {
            if legacy.symlink_metadata().is_ok() {
                return Err(UserError::failure(format!(
                    "{} is not a hephaestus hook and {} already exists; refusing to overwrite either",
                    path.display(),
                    legacy.display()
                ))
                .with_hint("move one of them away (or merge them), then run `hephaestus hook install` again")
                .into());
            }
            std::fs::rename(&path, &legacy).map_err(|e| {
                UserError::failure(format!(
                    "cannot move {} to {}: {e}",
                    path.display(),
                    legacy.display()
                ))
            })?;
            Installed::ChainedLegacy
        }
    };
    write_executable(&path, render(hook, binary).as_bytes())?;
    Ok(outcome)
}

/// What `uninstall` did for one hook type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    NotOurs,
    Absent,
    Removed,
    /// Ours removed and the previous hook put back.
    RestoredLegacy,
}

/// Remove our shim for `hook` (never somebody else's), restoring
/// `<hook>.legacy`.
pub fn uninstall(dir: &Path, hook: HookType) -> anyhow::Result<Removed> {
    let path = dir.join(hook.as_str());
    match state(dir, hook) {
        HookState::Absent => Ok(Removed::Absent),
        HookState::Foreign => Ok(Removed::NotOurs),
        HookState::Ours { .. } => {
            std::fs::remove_file(&path).map_err(|e| {
                UserError::failure(format!("cannot remove {}: {e}", path.display()))
            })?;
            let legacy = legacy_path(dir, hook);
            if legacy.symlink_metadata().is_ok() {
                std::fs::rename(&legacy, &path).map_err(|e| {
                    UserError::failure(format!(
                        "cannot restore {} to {}: {e}",
                        legacy.display(),
                        path.display()
                    ))
                })?;
                Ok(Removed::RestoredLegacy)
            } else {
                Ok(Removed::Removed)
            }
        }
    }
}

fn write_executable(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| UserError::failure(format!("cannot write in {}: {e}", dir.display())))?;
    tmp.write_all(data)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o755))?;
    }
    tmp.persist(path)
        .map_err(|e| UserError::failure(format!("cannot write {}: {e}", path.display())))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shim_quotes_the_binary_path_and_carries_marker_and_version() {
        let text = render(HookType::PrePush, Path::new("/opt/it's here/hephaestus"));
        assert!(text.contains(MARKER));
        assert!(text.contains(&format!(
            "# hephaestus-version: {}",
            env!("CARGO_PKG_VERSION")
        )));
        assert!(text.contains(r"installed_bin='/opt/it'\''s here/hephaestus'"));
        assert!(text.contains("hook_type='pre-push'"));
        for placeholder in ["@HOOK_TYPE@", "@VERSION@", "@HEPHAESTUS_BIN@"] {
            assert!(!text.contains(placeholder), "{placeholder} is filled");
        }
    }
}
