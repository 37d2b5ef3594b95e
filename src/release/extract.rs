//! Unpacking `.tar.gz` and `.zip` archives into a fresh directory without
//! letting any member escape it. Member names are checked as raw bytes
//! before a path is built: absolute paths, `..`, NUL and drive prefixes are
//! refused (not rewritten). Symlinks must be relative and stay inside the
//! directory; hard links must name a regular file extracted earlier; no
//! member may be written through a symlink (a link to `.` followed by
//! `link/../../x` would otherwise escape while looking harmless);
//! devices and FIFOs are refused. Modes keep only the permission bits
//! (no setuid/setgid/sticky).
//!
//! The destination is expected to be a new, empty temp directory: the
//! caller moves it into place only when everything succeeded.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use super::{ReleaseError, Result};

/// Which archive format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    TarGz,
    Zip,
}

/// A regular file that was extracted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// Relative to the destination.
    pub path: PathBuf,
    /// Any execute bit set in the archive.
    pub executable: bool,
}

/// Unpack `archive` into the empty directory `dest`.
pub fn extract(archive: &Path, format: Format, dest: &Path) -> Result<Vec<Extracted>> {
    let file = File::open(archive).map_err(|e| ReleaseError::io(archive, e))?;
    let mut out = Unpacker {
        dest: dest.to_path_buf(),
        archive: archive.display().to_string(),
        files: Vec::new(),
    };
    match format {
        Format::TarGz => out.tar(file)?,
        Format::Zip => out.zip(file)?,
    }
    Ok(out.files)
}

struct Unpacker {
    dest: PathBuf,
    archive: String,
    files: Vec<Extracted>,
}

impl Unpacker {
    fn refuse(&self, member: &[u8], why: &str) -> ReleaseError {
        ReleaseError::UnsafePath(format!(
            "{}: refusing member {:?}: {why}",
            self.archive,
            String::from_utf8_lossy(member)
        ))
    }

    fn bad_archive(&self, message: impl std::fmt::Display) -> ReleaseError {
        ReleaseError::Install(format!("{}: not a valid archive: {message}", self.archive))
    }

    fn tar(&mut self, file: File) -> Result<()> {
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
        let entries = archive.entries().map_err(|e| self.bad_archive(e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| self.bad_archive(e))?;
            let name = entry.path_bytes().into_owned();
            let rel = self.member_path(&name)?;
            let kind = entry.header().entry_type();
            let mode = entry.header().mode().unwrap_or(0o644);
            if kind.is_dir() {
                self.make_dir(&name, &rel)?;
            } else if kind.is_file() || kind == tar::EntryType::Continuous {
                let target = self.prepare(&name, &rel)?;
                self.write_file(&target, &mut entry, mode)?;
                self.files.push(Extracted {
                    path: rel,
                    executable: mode & 0o111 != 0,
                });
            } else if kind.is_symlink() {
                let link = entry
                    .link_name_bytes()
                    .ok_or_else(|| self.refuse(&name, "symlink without a target"))?
                    .into_owned();
                self.symlink(&name, &rel, &link)?;
            } else if kind.is_hard_link() {
                let link = entry
                    .link_name_bytes()
                    .ok_or_else(|| self.refuse(&name, "hard link without a target"))?
                    .into_owned();
                self.hard_link(&name, &rel, &link)?;
            } else if kind.is_pax_global_extensions()
                || kind.is_pax_local_extensions()
                || kind.is_gnu_longname()
                || kind.is_gnu_longlink()
            {
                continue;
            } else {
                return Err(self.refuse(
                    &name,
                    "devices, FIFOs and other special files are not allowed",
                ));
            }
        }
        Ok(())
    }

    fn zip(&mut self, file: File) -> Result<()> {
        let mut archive = zip::ZipArchive::new(file).map_err(|e| self.bad_archive(e))?;
        for index in 0..archive.len() {
            let mut entry = archive.by_index(index).map_err(|e| self.bad_archive(e))?;
            let name = entry.name_raw().to_vec();
            let rel = self.member_path(&name)?;
            let mode = entry.unix_mode().unwrap_or(0o644);
            if entry.is_dir() {
                self.make_dir(&name, &rel)?;
            } else if entry.is_symlink() {
                let mut link = Vec::new();
                entry
                    .read_to_end(&mut link)
                    .map_err(|e| self.bad_archive(e))?;
                self.symlink(&name, &rel, &link)?;
            } else {
                let file_type = mode & 0o170000;
                if file_type != 0 && file_type != 0o100000 {
                    return Err(self.refuse(&name, "special files are not allowed"));
                }
                let target = self.prepare(&name, &rel)?;
                self.write_file(&target, &mut entry, mode)?;
                self.files.push(Extracted {
                    path: rel,
                    executable: mode & 0o111 != 0,
                });
            }
        }
        Ok(())
    }

    /// The member's relative path, or an error if it could escape.
    fn member_path(&self, raw: &[u8]) -> Result<PathBuf> {
        if raw.contains(&0) {
            return Err(self.refuse(raw, "NUL in the name"));
        }
        let text =
            std::str::from_utf8(raw).map_err(|_| self.refuse(raw, "the name is not UTF-8"))?;
        if text.starts_with('/') || text.starts_with('\\') {
            return Err(self.refuse(raw, "absolute path"));
        }
        if text.contains('\\') {
            return Err(self.refuse(raw, "backslash in the name"));
        }
        if text.len() >= 2 && text.as_bytes()[1] == b':' {
            return Err(self.refuse(raw, "drive-letter path"));
        }
        let mut rel = PathBuf::new();
        for component in Path::new(text).components() {
            match component {
                Component::Normal(part) => rel.push(part),
                Component::CurDir => {}
                Component::ParentDir => return Err(self.refuse(raw, "'..' in the path")),
                Component::RootDir | Component::Prefix(_) => {
                    return Err(self.refuse(raw, "absolute path"));
                }
            }
        }
        if rel.as_os_str().is_empty() {
            return Err(self.refuse(raw, "empty name"));
        }
        Ok(rel)
    }

    /// Refuse a path any of whose parents is a symlink (or not a dir), and
    /// create the missing parents.
    fn check_parents(&self, raw: &[u8], rel: &Path) -> Result<()> {
        let mut current = self.dest.clone();
        let parents: Vec<_> = rel.components().collect();
        for part in &parents[..parents.len().saturating_sub(1)] {
            current.push(part);
            match std::fs::symlink_metadata(&current) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(self.refuse(raw, "it would be written through a symlink"));
                }
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => return Err(self.refuse(raw, "a parent is not a directory")),
                Err(_) => {
                    std::fs::create_dir(&current).map_err(|e| ReleaseError::io(&current, e))?
                }
            }
        }
        Ok(())
    }

    /// The absolute target for a new file or link; an existing regular file
    /// (a duplicate member) is removed, anything else there is refused.
    fn prepare(&self, raw: &[u8], rel: &Path) -> Result<PathBuf> {
        self.check_parents(raw, rel)?;
        let target = self.dest.join(rel);
        match std::fs::symlink_metadata(&target) {
            Ok(meta) if meta.is_file() => {
                std::fs::remove_file(&target).map_err(|e| ReleaseError::io(&target, e))?;
            }
            Ok(_) => return Err(self.refuse(raw, "it replaces a directory or link")),
            Err(_) => {}
        }
        Ok(target)
    }

    fn make_dir(&self, raw: &[u8], rel: &Path) -> Result<()> {
        self.check_parents(raw, rel)?;
        let target = self.dest.join(rel);
        match std::fs::symlink_metadata(&target) {
            Ok(meta) if meta.is_dir() => Ok(()),
            Ok(_) => Err(self.refuse(raw, "a directory over a file or link")),
            Err(_) => std::fs::create_dir(&target).map_err(|e| ReleaseError::io(&target, e)),
        }
    }

    fn write_file(&self, target: &Path, content: &mut dyn Read, mode: u32) -> Result<()> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(target)
            .map_err(|e| ReleaseError::io(target, e))?;
        std::io::copy(content, &mut file).map_err(|e| ReleaseError::io(target, e))?;
        let perms = std::fs::Permissions::from_mode(mode & 0o755 | 0o600);
        file.set_permissions(perms)
            .map_err(|e| ReleaseError::io(target, e))
    }

    fn symlink(&self, raw: &[u8], rel: &Path, link: &[u8]) -> Result<()> {
        let text = std::str::from_utf8(link)
            .map_err(|_| self.refuse(raw, "symlink target is not UTF-8"))?;
        if text.is_empty() || text.contains('\0') {
            return Err(self.refuse(raw, "empty symlink target"));
        }
        if Path::new(text).is_absolute() {
            return Err(self.refuse(raw, "symlink to an absolute path"));
        }
        // Resolve the target lexically from the link's directory; members
        // are never written through links (check_parents), so the lexical
        // path is the real one.
        let mut depth: isize = rel.components().count() as isize - 1;
        for component in Path::new(text).components() {
            match component {
                Component::ParentDir => depth -= 1,
                Component::Normal(_) => depth += 1,
                Component::CurDir => {}
                _ => return Err(self.refuse(raw, "symlink to an absolute path")),
            }
            if depth < 0 {
                return Err(self.refuse(raw, "symlink pointing outside the destination"));
            }
        }
        let target = self.prepare(raw, rel)?;
        std::os::unix::fs::symlink(text, &target).map_err(|e| ReleaseError::io(&target, e))
    }

    fn hard_link(&mut self, raw: &[u8], rel: &Path, link: &[u8]) -> Result<()> {
        let source_rel = self
            .member_path(link)
            .map_err(|_| self.refuse(raw, "hard link pointing outside the destination"))?;
        self.check_parents(raw, &source_rel)?;
        let source = self.dest.join(&source_rel);
        match std::fs::symlink_metadata(&source) {
            Ok(meta) if meta.is_file() => {}
            _ => {
                return Err(
                    self.refuse(raw, "hard link to something that is not an extracted file")
                );
            }
        }
        let target = self.prepare(raw, rel)?;
        std::fs::hard_link(&source, &target).map_err(|e| ReleaseError::io(&target, e))?;
        let executable = self
            .files
            .iter()
            .any(|f| f.path == source_rel && f.executable);
        self.files.push(Extracted {
            path: rel.to_path_buf(),
            executable,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_gz(build: impl FnOnce(&mut tar::Builder<flate2::write::GzEncoder<Vec<u8>>>)) -> Vec<u8> {
        let enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut builder = tar::Builder::new(enc);
        build(&mut builder);
        builder.into_inner().unwrap().finish().unwrap()
    }

    fn header(kind: tar::EntryType, size: u64, mode: u32) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_mode(mode);
        h
    }

    /// Write raw name bytes (the tar crate's safe setters refuse `..`).
    fn raw_name(h: &mut tar::Header, name: &str) {
        let bytes = &mut h.as_old_mut().name;
        bytes.fill(0);
        bytes[..name.len()].copy_from_slice(name.as_bytes());
    }

    fn file(
        b: &mut tar::Builder<flate2::write::GzEncoder<Vec<u8>>>,
        name: &str,
        data: &[u8],
        mode: u32,
    ) {
        let mut h = header(tar::EntryType::Regular, data.len() as u64, mode);
        raw_name(&mut h, name);
        h.set_cksum();
        b.append(&h, data).unwrap();
    }

    fn link(
        b: &mut tar::Builder<flate2::write::GzEncoder<Vec<u8>>>,
        kind: tar::EntryType,
        name: &str,
        target: &str,
    ) {
        let mut h = header(kind, 0, 0o777);
        raw_name(&mut h, name);
        let l = &mut h.as_old_mut().linkname;
        l.fill(0);
        l[..target.len()].copy_from_slice(target.as_bytes());
        h.set_cksum();
        b.append(&h, std::io::empty()).unwrap();
    }

    fn run(bytes: &[u8], format: Format) -> (tempfile::TempDir, Result<Vec<Extracted>>) {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("a");
        std::fs::write(&archive, bytes).unwrap();
        let dest = dir.path().join("out");
        std::fs::create_dir(&dest).unwrap();
        let result = extract(&archive, format, &dest);
        (dir, result)
    }

    #[test]
    fn ordinary_tar_extracts_with_modes() {
        let bytes = tar_gz(|b| {
            file(b, "pkg/bin/tool", b"#!/bin/sh\n", 0o4755);
            file(b, "pkg/README", b"hi", 0o644);
            link(b, tar::EntryType::Symlink, "pkg/bin/alias", "tool");
            link(b, tar::EntryType::Symlink, "pkg/up", "../pkg/README");
        });
        let (dir, result) = run(&bytes, Format::TarGz);
        let files = result.unwrap();
        assert_eq!(files.len(), 2);
        assert!(files[0].executable && !files[1].executable);
        let tool = dir.path().join("out/pkg/bin/tool");
        let mode = std::fs::metadata(&tool).unwrap().permissions().mode();
        assert_eq!(mode & 0o7777, 0o755, "setuid is dropped");
        assert_eq!(std::fs::read(dir.path().join("out/pkg/up")).unwrap(), b"hi");
    }

    #[test]
    fn escapes_are_refused() {
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("dotdot", tar_gz(|b| file(b, "../evil", b"x", 0o644))),
            (
                "nested dotdot",
                tar_gz(|b| file(b, "a/../../evil", b"x", 0o644)),
            ),
            ("absolute", tar_gz(|b| file(b, "/tmp/evil", b"x", 0o644))),
            (
                "symlink out",
                tar_gz(|b| link(b, tar::EntryType::Symlink, "a/link", "../../etc")),
            ),
            (
                "absolute symlink",
                tar_gz(|b| link(b, tar::EntryType::Symlink, "link", "/etc/passwd")),
            ),
            (
                "write through symlink",
                tar_gz(|b| {
                    link(b, tar::EntryType::Symlink, "l", ".");
                    file(b, "l/x", b"x", 0o644);
                }),
            ),
            (
                "hard link out",
                tar_gz(|b| link(b, tar::EntryType::Link, "h", "../../etc/passwd")),
            ),
            (
                "device",
                tar_gz(|b| {
                    let mut h = header(tar::EntryType::Char, 0, 0o644);
                    raw_name(&mut h, "dev");
                    h.set_cksum();
                    b.append(&h, std::io::empty()).unwrap();
                }),
            ),
        ];
        for (what, bytes) in cases {
            let (dir, result) = run(&bytes, Format::TarGz);
            assert!(result.is_err(), "{what}: must be refused");
            assert!(!dir.path().join("evil").exists(), "{what}: escaped");
        }
    }

    fn zip_bytes(entries: &[(&str, &[u8], Option<&str>)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data, symlink) in entries {
            let opts = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
            match symlink {
                Some(target) => w.add_symlink(*name, *target, opts).unwrap(),
                None => {
                    w.start_file(*name, opts).unwrap();
                    std::io::Write::write_all(&mut w, data).unwrap();
                }
            }
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn zip_extracts_and_refuses_escapes() {
        let (dir, result) = run(&zip_bytes(&[("bin/tool", b"x", None)]), Format::Zip);
        assert!(result.unwrap()[0].executable);
        assert!(dir.path().join("out/bin/tool").is_file());
        for entries in [
            vec![("../evil", b"x".as_slice(), None)],
            vec![("/abs", b"x".as_slice(), None)],
            vec![("l", b"".as_slice(), Some("../../etc"))],
        ] {
            let (dir, result) = run(&zip_bytes(&entries), Format::Zip);
            assert!(result.is_err(), "{:?}", entries[0].0);
            assert!(!dir.path().join("evil").exists());
        }
    }
}
