//! Putting a verified asset in place, all or nothing.
//!
//! - A bare binary is copied into `--bin-dir` under the tool's name.
//! - An archive is unpacked into a temp directory beside its final place;
//!   its executables are installed into `--bin-dir`; with `--destination`
//!   the whole tree is then moved there (replacing an older tree only after
//!   the new one is complete).
//! - A wheelhouse (an archive named `*wheelhouse*`, or one holding only
//!   wheels) is installed with `<python> -m pip install --no-index
//!   --find-links <dir> <wheels…>`, run as an argv (no shell), pip's output
//!   going to stderr.
//!
//! Binaries are written to a temp file in the bin directory (same file
//! system), made 0755 and synced, and only then renamed over the old ones,
//! so a reader sees the old binary or the new one, never half of one.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Serialize;

use super::extract::{self, Extracted, Format};
use super::plan::AssetKind;
use super::sanitize::safe_file_name;
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
}

/// What was installed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Installed {
    pub binaries: Vec<PathBuf>,
    pub destination: Option<PathBuf>,
    pub wheels: Vec<String>,
}

/// Install `request.file`; on error nothing is left behind.
pub fn install(request: &Request<'_>) -> Result<Installed> {
    match AssetKind::of(request.asset_name) {
        AssetKind::Binary => {
            let name = safe_file_name(request.binary_name)?;
            let staged = stage_binary(request.file, request.bin_dir, name)?;
            Ok(Installed {
                binaries: commit_binaries(vec![staged])?,
                ..Installed::default()
            })
        }
        AssetKind::TarGz => install_archive(request, Format::TarGz),
        AssetKind::Zip => install_archive(request, Format::Zip),
    }
}

fn install_archive(request: &Request<'_>, format: Format) -> Result<Installed> {
    let staging = staging_dir(request.destination)?;
    let files = extract::extract(request.file, format, staging.path())?;
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
    if is_wheelhouse {
        if wheels.is_empty() {
            return Err(ReleaseError::Install(format!(
                "{} is a wheelhouse without any .whl files",
                request.asset_name
            )));
        }
        installed.wheels = pip_install(request.python, staging.path(), &wheels)?;
    } else if executables.is_empty() {
        if request.destination.is_none() {
            return Err(ReleaseError::Release {
                message: format!("{} contains no executable to install", request.asset_name),
                hint: Some("pass --destination DIR to unpack it instead".to_string()),
            });
        }
    } else {
        let mut staged = Vec::new();
        for file in &executables {
            let name = file
                .path
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| ReleaseError::UnsafePath(format!("{}", file.path.display())))?;
            let name = safe_file_name(name)?;
            if staged.iter().any(|s: &Staged| s.name == name) {
                return Err(ReleaseError::Install(format!(
                    "{} has two executables called {name}",
                    request.asset_name
                )));
            }
            staged.push(stage_binary(
                &staging.path().join(&file.path),
                request.bin_dir,
                name,
            )?);
        }
        if let Some(dest) = request.destination {
            let tree = staging.keep();
            place_tree(&tree, dest)?;
            installed.destination = Some(dest.to_path_buf());
        }
        installed.binaries = commit_binaries(staged)?;
        return Ok(installed);
    }
    if let Some(dest) = request.destination {
        let tree = staging.keep();
        place_tree(&tree, dest)?;
        installed.destination = Some(dest.to_path_buf());
    }
    Ok(installed)
}

/// A temp directory beside `destination` (same file system, so the final
/// move is a rename), or in the system temp dir.
fn staging_dir(destination: Option<&Path>) -> Result<tempfile::TempDir> {
    let builder = {
        let mut b = tempfile::Builder::new();
        b.prefix(".hephaestus-extract-");
        b
    };
    match destination.and_then(Path::parent) {
        Some(parent) if !parent.as_os_str().is_empty() => {
            std::fs::create_dir_all(parent).map_err(|e| ReleaseError::io(parent, e))?;
            builder
                .tempdir_in(parent)
                .map_err(|e| ReleaseError::io(parent, e))
        }
        _ => builder
            .tempdir()
            .map_err(|e| ReleaseError::io(std::env::temp_dir(), e)),
    }
}

/// Move the complete `tree` to `dest`, replacing an existing directory
/// only once the new one is in place.
fn place_tree(tree: &Path, dest: &Path) -> Result<()> {
    let old = match std::fs::symlink_metadata(dest) {
        Ok(meta) if meta.is_dir() => {
            let old = dest.with_file_name(format!(
                ".{}.old-{}",
                dest.file_name().and_then(|n| n.to_str()).unwrap_or("dest"),
                fastrand::u32(..)
            ));
            std::fs::rename(dest, &old).map_err(|e| ReleaseError::io(dest, e))?;
            Some(old)
        }
        Ok(_) => {
            let _ = std::fs::remove_dir_all(tree);
            return Err(ReleaseError::Install(format!(
                "--destination {} exists and is not a directory",
                dest.display()
            )));
        }
        Err(_) => None,
    };
    if let Err(e) = std::fs::rename(tree, dest) {
        if let Some(old) = &old {
            let _ = std::fs::rename(old, dest);
        }
        let _ = std::fs::remove_dir_all(tree);
        return Err(ReleaseError::io(dest, e));
    }
    if let Some(old) = old {
        let _ = std::fs::remove_dir_all(old);
    }
    Ok(())
}

/// A binary written to a temp file in its bin directory, not yet renamed.
struct Staged {
    temp: tempfile::NamedTempFile,
    target: PathBuf,
    name: String,
}

fn stage_binary(source: &Path, bin_dir: &Path, name: &str) -> Result<Staged> {
    std::fs::create_dir_all(bin_dir).map_err(|e| ReleaseError::io(bin_dir, e))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".hephaestus-")
        .tempfile_in(bin_dir)
        .map_err(|e| ReleaseError::io(bin_dir, e))?;
    let mut input = std::fs::File::open(source).map_err(|e| ReleaseError::io(source, e))?;
    std::io::copy(&mut input, temp.as_file_mut()).map_err(|e| ReleaseError::io(temp.path(), e))?;
    temp.as_file_mut()
        .flush()
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| ReleaseError::io(temp.path(), e))?;
    std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o755))
        .map_err(|e| ReleaseError::io(temp.path(), e))?;
    Ok(Staged {
        target: bin_dir.join(name),
        name: name.to_string(),
        temp,
    })
}

fn commit_binaries(staged: Vec<Staged>) -> Result<Vec<PathBuf>> {
    let mut done = Vec::new();
    for s in staged {
        s.temp
            .persist(&s.target)
            .map_err(|e| ReleaseError::io(&s.target, e.error))?;
        done.push(s.target);
    }
    Ok(done)
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
            "{python} -m pip install failed ({status}); nothing was installed by hephaestus"
        )));
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        });
        assert!(result.is_err());
        assert!(!dest.exists() && !bin.exists());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("bad.tar.gz")]);
    }
}
