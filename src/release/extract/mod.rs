//! Unpacking `.tar.gz` and `.zip` archives into a fresh directory without
//! letting any member escape it, fill the disk, or hide behind another.
//!
//! - Member names are checked as raw bytes before a path is built:
//!   absolute paths, `..`, NUL, backslashes and drive prefixes are refused
//!   (not rewritten).
//! - Nothing is written through a symlink: every parent of a member must
//!   be a directory the archive created, so a link to `.` followed by
//!   `link/../../x` cannot redirect a write.
//! - Symlinks must be relative and, resolved through every link unpacked
//!   so far ([`tree::resolve`]), stay inside; all links are resolved
//!   again once the archive is complete. Hard links must name a regular
//!   file unpacked earlier.
//! - A member that replaces an earlier file replaces it in the record too:
//!   the list of files returned is the final state, never a stale path
//!   that now names a link. Replacing a directory or a link is refused.
//! - The unpacked size and the number of members are bounded ([`Limits`]):
//!   a small archive cannot expand into gigabytes or millions of files.
//! - Devices and FIFOs are refused; modes keep only the permission bits
//!   (no setuid/setgid/sticky).
//!
//! The destination is expected to be a new, empty, private directory: the
//! caller moves it into place only when everything succeeded.

mod tree;

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use self::tree::{Node, Resolution, Tree, resolve};
use super::sanitize::{escaped, quoted};
use super::{ReleaseError, Result};

/// Which archive format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    TarGz,
    Zip,
}

/// How much an archive may unpack to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Total bytes of all regular files.
    pub max_bytes: u64,
    /// Members of any kind.
    pub max_members: u64,
}

/// The most members an archive may have.
pub const MAX_MEMBERS: u64 = 100_000;

/// A symlink's text longer than this is refused.
const MAX_LINK_TEXT: u64 = 4096;

/// A regular file that was extracted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// Relative to the destination.
    pub path: PathBuf,
    /// Any execute bit set in the archive.
    pub executable: bool,
    /// Its size in bytes.
    pub size: u64,
}

/// Unpack `archive` into the empty directory `dest`; returns the regular
/// files as they stand at the end, in archive order.
pub fn extract(
    archive: &Path,
    format: Format,
    dest: &Path,
    limits: Limits,
) -> Result<Vec<Extracted>> {
    let file = File::open(archive).map_err(|e| ReleaseError::io(archive, e))?;
    let mut out = Unpacker {
        dest: dest.to_path_buf(),
        archive: archive.display().to_string(),
        tree: Tree::default(),
        limits,
        bytes: 0,
        members: 0,
    };
    match format {
        Format::TarGz => out.tar(file)?,
        Format::Zip => out.zip(file)?,
    }
    out.check_links()?;
    Ok(out
        .tree
        .files()
        .into_iter()
        .map(|(path, executable, size)| Extracted {
            path,
            executable,
            size,
        })
        .collect())
}

struct Unpacker {
    dest: PathBuf,
    archive: String,
    tree: Tree,
    limits: Limits,
    /// Bytes written so far.
    bytes: u64,
    members: u64,
}

impl Unpacker {
    fn refuse(&self, member: &[u8], why: &str) -> ReleaseError {
        ReleaseError::UnsafePath(format!(
            "{}: refusing member {}: {why}",
            self.archive,
            quoted(&String::from_utf8_lossy(member))
        ))
    }

    fn bad_archive(&self, message: impl std::fmt::Display) -> ReleaseError {
        ReleaseError::Install(format!(
            "{}: not a valid archive: {}",
            self.archive,
            escaped(&message.to_string())
        ))
    }

    fn too_large(&self) -> ReleaseError {
        ReleaseError::Install(format!(
            "{}: unpacks to more than {} (--max-size); refusing it",
            self.archive,
            human_bytes(self.limits.max_bytes)
        ))
    }

    /// Count one member against the limit.
    fn count(&mut self) -> Result<()> {
        self.members += 1;
        if self.members > self.limits.max_members {
            return Err(ReleaseError::Install(format!(
                "{}: has more than {} members; refusing it",
                self.archive, self.limits.max_members
            )));
        }
        Ok(())
    }

    /// Reserve `size` more bytes of the budget.
    fn reserve(&mut self, size: u64) -> Result<()> {
        match self.bytes.checked_add(size) {
            Some(total) if total <= self.limits.max_bytes => Ok(()),
            _ => Err(self.too_large()),
        }
    }

    fn tar(&mut self, file: File) -> Result<()> {
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
        let entries = archive.entries().map_err(|e| self.bad_archive(e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| self.bad_archive(e))?;
            let kind = entry.header().entry_type();
            if kind.is_pax_global_extensions()
                || kind.is_pax_local_extensions()
                || kind.is_gnu_longname()
                || kind.is_gnu_longlink()
            {
                continue;
            }
            self.count()?;
            let name = entry.path_bytes().into_owned();
            let rel = self.member_path(&name)?;
            let mode = entry.header().mode().unwrap_or(0o644);
            if kind.is_dir() {
                self.make_dir(&name, &rel)?;
            } else if kind.is_file() || kind == tar::EntryType::Continuous {
                let size = entry.size();
                self.write_file(&name, &rel, &mut entry, size, mode)?;
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
        if archive.len() as u64 > self.limits.max_members {
            return Err(ReleaseError::Install(format!(
                "{}: has {} members, more than {}; refusing it",
                self.archive,
                archive.len(),
                self.limits.max_members
            )));
        }
        for index in 0..archive.len() {
            self.count()?;
            let mut entry = archive.by_index(index).map_err(|e| self.bad_archive(e))?;
            let name = entry.name_raw().to_vec();
            let rel = self.member_path(&name)?;
            let mode = entry.unix_mode().unwrap_or(0o644);
            if entry.is_dir() {
                self.make_dir(&name, &rel)?;
            } else if entry.is_symlink() {
                let mut link = Vec::new();
                (&mut entry)
                    .take(MAX_LINK_TEXT + 1)
                    .read_to_end(&mut link)
                    .map_err(|e| self.bad_archive(e))?;
                if link.len() as u64 > MAX_LINK_TEXT {
                    return Err(self.refuse(&name, "symlink target too long"));
                }
                self.symlink(&name, &rel, &link)?;
            } else {
                let file_type = mode & 0o170000;
                if file_type != 0 && file_type != 0o100000 {
                    return Err(self.refuse(&name, "special files are not allowed"));
                }
                let size = entry.size();
                self.write_file(&name, &rel, &mut entry, size, mode)?;
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

    /// Create the missing parents of `rel`; refuse a parent that is a
    /// symlink or a file (nothing is written through a link).
    fn make_parents(&mut self, raw: &[u8], rel: &Path) -> Result<()> {
        let mut current = PathBuf::new();
        let parts: Vec<_> = rel.components().collect();
        for part in &parts[..parts.len().saturating_sub(1)] {
            current.push(part);
            match self.tree.get(&current) {
                Some(Node::Dir) => {}
                Some(Node::Symlink(_)) => {
                    return Err(self.refuse(raw, "it would be written through a symlink"));
                }
                Some(Node::File { .. }) => {
                    return Err(self.refuse(raw, "a parent is not a directory"));
                }
                None => {
                    self.count()?;
                    let path = self.dest.join(&current);
                    std::fs::create_dir(&path).map_err(|e| ReleaseError::io(&path, e))?;
                    self.tree.insert_dir(&current);
                }
            }
        }
        Ok(())
    }

    /// Make room for a new file or link at `rel`: an earlier regular file
    /// there is removed (from disk and from the record); a directory or a
    /// link there is refused.
    fn vacate(&mut self, raw: &[u8], rel: &Path) -> Result<PathBuf> {
        self.make_parents(raw, rel)?;
        let target = self.dest.join(rel);
        match self.tree.get(rel) {
            None => {}
            Some(Node::File { .. }) => {
                std::fs::remove_file(&target).map_err(|e| ReleaseError::io(&target, e))?;
                self.tree.remove(rel);
            }
            Some(Node::Dir) => return Err(self.refuse(raw, "it would replace a directory")),
            Some(Node::Symlink(_)) => return Err(self.refuse(raw, "it would replace a symlink")),
        }
        Ok(target)
    }

    fn make_dir(&mut self, raw: &[u8], rel: &Path) -> Result<()> {
        self.make_parents(raw, rel)?;
        match self.tree.get(rel) {
            Some(Node::Dir) => Ok(()),
            Some(_) => Err(self.refuse(raw, "a directory over a file or link")),
            None => {
                let target = self.dest.join(rel);
                std::fs::create_dir(&target).map_err(|e| ReleaseError::io(&target, e))?;
                self.tree.insert_dir(rel);
                Ok(())
            }
        }
    }

    fn write_file(
        &mut self,
        raw: &[u8],
        rel: &Path,
        content: &mut dyn Read,
        declared: u64,
        mode: u32,
    ) -> Result<()> {
        // The declared size fails fast; the bytes actually written are
        // what is counted (a zip entry can lie about its size).
        self.reserve(declared)?;
        let target = self.vacate(raw, rel)?;
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&target)
            .map_err(|e| ReleaseError::io(&target, e))?;
        let room = self.limits.max_bytes - self.bytes;
        let written = std::io::copy(&mut content.take(room + 1), &mut file)
            .map_err(|e| ReleaseError::io(&target, e))?;
        if written > room {
            return Err(self.too_large());
        }
        self.bytes += written;
        let perms = std::fs::Permissions::from_mode(mode & 0o755 | 0o600);
        file.set_permissions(perms)
            .map_err(|e| ReleaseError::io(&target, e))?;
        self.tree.insert_file(rel, mode & 0o111 != 0, written);
        Ok(())
    }

    fn symlink(&mut self, raw: &[u8], rel: &Path, link: &[u8]) -> Result<()> {
        let text = std::str::from_utf8(link)
            .map_err(|_| self.refuse(raw, "symlink target is not UTF-8"))?;
        if text.is_empty() || text.contains('\0') {
            return Err(self.refuse(raw, "empty symlink target"));
        }
        let text = Path::new(text);
        if text.is_absolute() {
            return Err(self.refuse(raw, "symlink to an absolute path"));
        }
        let target = self.vacate(raw, rel)?;
        self.check_link(raw, rel, text)?;
        std::os::unix::fs::symlink(text, &target).map_err(|e| ReleaseError::io(&target, e))?;
        self.tree.insert_symlink(rel, text);
        Ok(())
    }

    /// Resolve the link at `rel` with text `text` through everything
    /// unpacked so far; refuse it if it leaves the directory.
    fn check_link(&self, raw: &[u8], rel: &Path, text: &Path) -> Result<()> {
        let from = rel.parent().unwrap_or(Path::new(""));
        // Ask the file system, not the record, whether a name is a link:
        // on a case-insensitive one `a` finds the link `A`.
        let link_at = |rel: &Path| {
            let path = self.dest.join(rel);
            match std::fs::symlink_metadata(&path) {
                Ok(meta) if meta.file_type().is_symlink() => std::fs::read_link(&path).ok(),
                _ => None,
            }
        };
        match resolve(from, text, link_at) {
            Resolution::Inside(_) => Ok(()),
            Resolution::Escapes => Err(self.refuse(
                raw,
                &format!(
                    "symlink to {} points outside the archive",
                    quoted(&text.to_string_lossy())
                ),
            )),
            Resolution::Loop => Err(self.refuse(raw, "symlink loop")),
        }
    }

    /// Once everything is unpacked, every link is resolved again against
    /// the final tree (a later member may have changed where it leads).
    fn check_links(&self) -> Result<()> {
        for (rel, text) in self.tree.symlinks() {
            self.check_link(rel.to_string_lossy().as_bytes(), &rel, &text)?;
        }
        Ok(())
    }

    fn hard_link(&mut self, raw: &[u8], rel: &Path, link: &[u8]) -> Result<()> {
        let source = self
            .member_path(link)
            .map_err(|_| self.refuse(raw, "hard link target escapes"))?;
        // The target must be a file this archive unpacked, reached through
        // directories only (no link components).
        let mut prefix = PathBuf::new();
        let parts: Vec<_> = source.components().collect();
        for part in &parts[..parts.len().saturating_sub(1)] {
            prefix.push(part);
            if self.tree.get(&prefix) != Some(&Node::Dir) {
                return Err(self.refuse(raw, "hard link through something other than a directory"));
            }
        }
        let Some(Node::File {
            executable, size, ..
        }) = self.tree.get(&source).cloned()
        else {
            return Err(self.refuse(
                raw,
                "hard link to something that is not a file unpacked before it",
            ));
        };
        if source == rel {
            return Err(self.refuse(raw, "hard link to itself"));
        }
        let target = self.vacate(raw, rel)?;
        let from = self.dest.join(&source);
        std::fs::hard_link(&from, &target).map_err(|e| ReleaseError::io(&target, e))?;
        self.tree.insert_file(rel, executable, size);
        Ok(())
    }
}

/// `1.5 GiB`, `300 MiB`, `12 KiB`, `512 bytes`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [(&str, u64); 4] = [
        ("TiB", 1 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ];
    for (unit, size) in UNITS {
        if bytes >= size {
            let value = bytes as f64 / size as f64;
            return if value.fract() == 0.0 {
                format!("{value:.0} {unit}")
            } else {
                format!("{value:.1} {unit}")
            };
        }
    }
    format!("{bytes} bytes")
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
        if target.len() > 100 {
            // A GNU long-link record carries a target longer than the
            // header's 100 bytes.
            let mut long = header(tar::EntryType::GNULongLink, target.len() as u64 + 1, 0);
            raw_name(&mut long, "././@LongLink");
            long.set_cksum();
            let mut data = target.as_bytes().to_vec();
            data.push(0);
            b.append(&long, data.as_slice()).unwrap();
        }
        let mut h = header(kind, 0, 0o777);
        raw_name(&mut h, name);
        let l = &mut h.as_old_mut().linkname;
        l.fill(0);
        let short = &target.as_bytes()[..target.len().min(100)];
        l[..short.len()].copy_from_slice(short);
        h.set_cksum();
        b.append(&h, std::io::empty()).unwrap();
    }

    fn run(bytes: &[u8], format: Format) -> (tempfile::TempDir, Result<Vec<Extracted>>) {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("a");
        std::fs::write(&archive, bytes).unwrap();
        let dest = dir.path().join("out");
        std::fs::create_dir(&dest).unwrap();
        let result = extract(&archive, format, &dest, LIMITS);
        (dir, result)
    }

    const LIMITS: Limits = Limits {
        max_bytes: 1 << 20,
        max_members: 100,
    };

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
        assert_eq!(files[1].size, 2);
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

    /// `a/l1 -> ..` then a link through `a/l1/` ten times and up twenty
    /// levels: harmless as text, out of the directory when followed.
    #[test]
    fn link_chains_are_resolved_through_earlier_links() {
        let through = format!("{}{}", "a/l1/".repeat(10), "../".repeat(20));
        let bytes = tar_gz(|b| {
            link(b, tar::EntryType::Symlink, "a/l1", "..");
            link(b, tar::EntryType::Symlink, "tool", &through);
        });
        let (_dir, result) = run(&bytes, Format::TarGz);
        let err = result.unwrap_err().to_string();
        assert!(err.contains("points outside the archive"), "{err}");
        // A later member that turns a passed-through name into a link is
        // caught by the final check.
        let bytes = tar_gz(|b| {
            link(b, tar::EntryType::Symlink, "sub/x", "d/../..");
            link(b, tar::EntryType::Symlink, "sub/d", "..");
        });
        let (_dir, result) = run(&bytes, Format::TarGz);
        assert!(result.is_err(), "a link re-pointed by a later member");
    }

    /// `tool` listed as an executable file and again as a link: the record
    /// keeps the link, so no caller ever reads `tool` as the old file.
    #[test]
    fn a_replaced_member_is_not_listed_from_its_stale_path() {
        let bytes = tar_gz(|b| {
            file(b, "tool", b"#!/bin/sh\n", 0o755);
            file(b, "README", b"x", 0o644);
            link(b, tar::EntryType::Symlink, "tool", "README");
        });
        let (dir, result) = run(&bytes, Format::TarGz);
        let files = result.unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].path, Path::new("README"));
        assert!(dir.path().join("out/tool").is_symlink());
        // A file replaced by a newer file: the newer one, listed once.
        let bytes = tar_gz(|b| {
            file(b, "tool", b"old", 0o644);
            file(b, "tool", b"new!", 0o755);
        });
        let (dir, result) = run(&bytes, Format::TarGz);
        let files = result.unwrap();
        assert_eq!(files.len(), 1);
        assert!(files[0].executable && files[0].size == 4);
        assert_eq!(std::fs::read(dir.path().join("out/tool")).unwrap(), b"new!");
    }

    /// The zip writer refuses duplicate names, so the archive is patched:
    /// `tooX` (a link) becomes a second `tool`. The reader yields both
    /// entries; the record keeps the link, never the earlier file.
    #[test]
    fn a_zip_member_listed_twice_is_not_listed_from_its_stale_path() {
        let mut bytes = zip_bytes(&[
            ("tool", b"#!/bin/sh\n", None),
            ("README", b"x", None),
            ("tooX", b"", Some("README")),
        ]);
        let mut patched = 0;
        for i in 0..bytes.len() - 4 {
            if &bytes[i..i + 4] == b"tooX" {
                bytes[i..i + 4].copy_from_slice(b"tool");
                patched += 1;
            }
        }
        assert_eq!(patched, 2, "local header and central directory");
        let (dir, result) = run(&bytes, Format::Zip);
        let files = result.unwrap();
        let names: Vec<&Path> = files.iter().map(|f| f.path.as_path()).collect();
        assert_eq!(names, [Path::new("README")]);
        assert!(dir.path().join("out/tool").is_symlink());
    }

    #[test]
    fn size_and_member_budgets_are_enforced() {
        let big = vec![0u8; (LIMITS.max_bytes + 1) as usize];
        let (_dir, result) = run(&tar_gz(|b| file(b, "big", &big, 0o644)), Format::TarGz);
        let err = result.unwrap_err().to_string();
        assert!(err.contains("unpacks to more than 1 MiB"), "{err}");
        let (dir, result) = run(&zip_bytes(&[("big", &big, None)]), Format::Zip);
        assert!(result.is_err());
        assert!(
            !dir.path().join("out/big").exists() || {
                std::fs::metadata(dir.path().join("out/big")).unwrap().len() <= LIMITS.max_bytes + 1
            }
        );
        let many = tar_gz(|b| {
            for i in 0..=LIMITS.max_members {
                file(b, &format!("f{i}"), b"", 0o644);
            }
        });
        let err = run(&many, Format::TarGz).1.unwrap_err().to_string();
        assert!(err.contains("more than 100 members"), "{err}");
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(2 << 30), "2 GiB");
        assert_eq!(human_bytes(1536 << 20), "1.5 GiB");
    }
}
