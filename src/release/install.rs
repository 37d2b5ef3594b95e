//! Putting a verified asset in place, all or nothing.
//!
//! - A bare binary is copied into `--bin-dir` under the tool's name.
//! - An archive is unpacked (within the size budget) into a scratch
//!   directory: beside `--destination` when given (so the tree can be
//!   renamed into place), else in the cache; its executables are staged in
//!   `--bin-dir`; then [`super::swap`] replaces the binaries and the
//!   destination tree together, rolling every change back if one fails.
//! - A wheelhouse (an archive named `*wheelhouse*`, or one holding only
//!   wheels) is installed with `<python> -m pip install --no-index
//!   --find-links <dir> <wheels…>`, run as an argv (no shell), pip's output
//!   going to stderr.
//!
//! Binaries are copied from the unpacked tree with `O_NOFOLLOW` (a member
//! replaced by a link is never read through it), written to a locked
//! scratch file in the bin directory (same file system), made 0755 and
//! synced before the swap renames them over the old ones, so a reader sees
//! the old binary or the new one, never half of one.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Serialize;

use super::extract::{self, Extracted, Format, Limits};
use super::plan::AssetKind;
use super::sanitize::{quoted, safe_file_name};
use super::scratch::{self, ScratchDir};
use super::swap::{StagedBinary, StagedTree, Swap};
use super::{ReleaseError, Result};

/// What to install.
pub struct Request<'a> {
    /// The verified file.
    pub file: &'a Path,
    pub asset_name: &'a str,
    pub bin_dir: &'a Path,
    pub destination: Option<&'a Path>,
    pub python: &'a str,
    /// The name a bare binary is installed under.
    pub binary_name: &'a str,
    /// Where an archive is unpacked when there is no destination.
    pub scratch_dir: &'a Path,
    /// How much an archive may unpack to.
    pub limits: Limits,
}

/// What was installed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Installed {
    pub binaries: Vec<PathBuf>,
    pub destination: Option<PathBuf>,
    pub wheels: Vec<String>,
    /// Worth saying, not failures (an old copy that could not be removed).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// Install `request.file`; on error nothing is left behind.
pub fn install(request: &Request<'_>) -> Result<Installed> {
    match AssetKind::of(request.asset_name) {
        AssetKind::Binary => {
            let name = safe_file_name(request.binary_name)?;
            let staged = stage_binary(request.file, request.bin_dir, name)?;
            let target = staged.target.clone();
            let warnings = Swap {
                tree: None,
                binaries: vec![staged],
            }
            .commit()?;
            Ok(Installed {
                binaries: vec![target],
                warnings,
                ..Installed::default()
            })
        }
        AssetKind::TarGz => install_archive(request, Format::TarGz),
        AssetKind::Zip => install_archive(request, Format::Zip),
    }
}

fn install_archive(request: &Request<'_>, format: Format) -> Result<Installed> {
    let staging = ScratchDir::new_in(
        request
            .destination
            .and_then(Path::parent)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(request.scratch_dir),
    )?;
    let files = extract::extract(request.file, format, staging.path(), request.limits)?;
    let wheels: Vec<&Extracted> = files
        .iter()
        .filter(|f| f.path.extension().is_some_and(|e| e == "whl"))
        .collect();
    let executables: Vec<&Extracted> = files.iter().filter(|f| f.executable).collect();
    let is_wheelhouse = request
        .asset_name
        .to_ascii_lowercase()
        .contains("wheelhouse")
        || (!wheels.is_empty() && executables.is_empty());
    let mut installed = Installed::default();
    let mut swap = Swap::default();
    if is_wheelhouse {
        if wheels.is_empty() {
            return Err(ReleaseError::Install(format!(
                "{} is a wheelhouse without any .whl files",
                quoted(request.asset_name)
            )));
        }
        installed.wheels = pip_install(request.python, staging.path(), &wheels)?;
    } else if executables.is_empty() {
        if request.destination.is_none() {
            return Err(ReleaseError::Release {
                message: format!(
                    "{} contains no executable to install",
                    quoted(request.asset_name)
                ),
                hint: Some("pass --destination DIR to unpack it instead".to_string()),
            });
        }
    } else {
        for file in &executables {
            let name = file
                .path
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| {
                    ReleaseError::UnsafePath(format!(
                        "{}: not a usable file name",
                        quoted(&file.path.to_string_lossy())
                    ))
                })?;
            let name = safe_file_name(name)?;
            if swap
                .binaries
                .iter()
                .any(|s| s.target.file_name().is_some_and(|n| n == name))
            {
                return Err(ReleaseError::Install(format!(
                    "{} has two executables called {}",
                    quoted(request.asset_name),
                    quoted(name)
                )));
            }
            swap.binaries.push(stage_binary(
                &staging.path().join(&file.path),
                request.bin_dir,
                name,
            )?);
        }
    }
    installed.binaries = swap.binaries.iter().map(|s| s.target.clone()).collect();
    if let Some(dest) = request.destination {
        swap.tree = Some(StagedTree {
            dir: staging,
            target: dest.to_path_buf(),
        });
        installed.destination = Some(dest.to_path_buf());
    }
    let pip_ran = !installed.wheels.is_empty();
    installed.warnings = swap.commit().map_err(|e| {
        if pip_ran {
            ReleaseError::Install(format!(
                "pip installed the wheels, but keeping the wheelhouse failed: {e}"
            ))
        } else {
            e
        }
    })?;
    Ok(installed)
}

/// Copy `source` (a regular file, never followed through a link) into a
/// locked scratch file in `bin_dir`, 0755 and synced, ready for the swap.
fn stage_binary(source: &Path, bin_dir: &Path, name: &str) -> Result<StagedBinary> {
    let mut input = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(source)
        .map_err(|e| ReleaseError::io(source, e))?;
    let meta = input.metadata().map_err(|e| ReleaseError::io(source, e))?;
    if !meta.is_file() {
        return Err(ReleaseError::UnsafePath(format!(
            "{} is not a regular file",
            source.display()
        )));
    }
    let mut temp = scratch::file_in(bin_dir)?;
    std::io::copy(&mut input, temp.as_file_mut()).map_err(|e| ReleaseError::io(temp.path(), e))?;
    temp.as_file_mut()
        .flush()
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| ReleaseError::io(temp.path(), e))?;
    std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o755))
        .map_err(|e| ReleaseError::io(temp.path(), e))?;
    Ok(StagedBinary {
        file: temp,
        target: bin_dir.join(name),
    })
}

fn pip_install(python: &str, root: &Path, wheels: &[&Extracted]) -> Result<Vec<String>> {
    let mut dirs: Vec<PathBuf> = wheels
        .iter()
        .map(|w| root.join(w.path.parent().unwrap_or(Path::new(""))))
        .collect();
    dirs.sort();
    dirs.dedup();
    let mut command = Command::new(python);
    command.args(["-m", "pip", "install", "--no-index"]);
    for dir in &dirs {
        command.arg("--find-links").arg(dir);
    }
    let mut names = Vec::new();
    for wheel in wheels {
        command.arg(root.join(&wheel.path));
        names.push(
            wheel
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
    }
    // pip talks on stdout; keep ours for data (JSON).
    let stderr = std::io::stderr();
    let out = std::os::fd::AsFd::as_fd(&stderr)
        .try_clone_to_owned()
        .map(Stdio::from)
        .unwrap_or_else(|_| Stdio::null());
    command.stdin(Stdio::null()).stdout(out);
    let status = command.status().map_err(|e| {
        ReleaseError::Install(format!("cannot run {python} -m pip: {e} (see --python)"))
    })?;
    if !status.success() {
        return Err(ReleaseError::Install(format!(
            "{python} -m pip install failed ({status}); hephaestus installed nothing (pip may have, see its output above)"
        )));
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_bytes: 1 << 20,
        max_members: 100,
    };

    #[test]
    fn binary_is_installed_atomically_with_0755() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("dl");
        std::fs::write(&src, b"\x7fELF new").unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        std::fs::write(bin.join("tool"), b"old").unwrap();
        let installed = install(&Request {
            file: &src,
            asset_name: "tool-x86_64-linux",
            bin_dir: &bin,
            destination: None,
            python: "python3",
            binary_name: "tool",
            scratch_dir: &dir.path().join("scratch"),
            limits: LIMITS,
        })
        .unwrap();
        assert_eq!(installed.binaries, vec![bin.join("tool")]);
        assert_eq!(std::fs::read(bin.join("tool")).unwrap(), b"\x7fELF new");
        let mode = std::fs::metadata(bin.join("tool"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
        let leftovers: Vec<_> = std::fs::read_dir(&bin).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temp files left");
    }

    #[test]
    fn failed_archive_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("bad.tar.gz");
        std::fs::write(&src, b"not gzip").unwrap();
        let bin = dir.path().join("bin");
        let dest = dir.path().join("dest");
        let result = install(&Request {
            file: &src,
            asset_name: "bad.tar.gz",
            bin_dir: &bin,
            destination: Some(&dest),
            python: "python3",
            binary_name: "tool",
            scratch_dir: &dir.path().join("scratch"),
            limits: LIMITS,
        });
        assert!(result.is_err());
        assert!(!dest.exists() && !bin.exists());
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["bad.tar.gz"]);
    }
}
