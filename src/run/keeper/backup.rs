//! The saved bytes: one file, `keeper.backup`, holding the content of every
//! saved path one after another; the journal names each by offset, length
//! and SHA-256, and the bytes are checked against it before they are
//! written back.
//!
//! One file costs one fsync however many paths are saved, nothing is
//! compressed, and it is deleted with the journal: a run leaves nothing
//! behind (a blob per path in `.git/objects` would cost a compression
//! each and stay until `git gc` prunes it, which for a large binary file
//! meant the repository grew by the file's size on every commit), and `git
//! gc` has nothing to do with it while a journal is pending.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::journal::{Stored, io_at};

/// Appends saved contents to a new backup file.
pub struct BackupWriter {
    file: std::io::BufWriter<File>,
    path: PathBuf,
    offset: u64,
}

impl BackupWriter {
    /// Start a new backup file (replacing one left by an earlier run).
    pub fn create(path: &Path) -> anyhow::Result<BackupWriter> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io_at("create", dir))?;
        }
        let file = File::create(path).map_err(io_at("create", path))?;
        Ok(BackupWriter {
            file: std::io::BufWriter::with_capacity(256 * 1024, file),
            path: path.to_path_buf(),
            offset: 0,
        })
    }

    /// Append everything `data` yields; `source` names it in errors.
    pub fn append(&mut self, data: &mut dyn Read, source: &Path) -> anyhow::Result<Stored> {
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut len = 0u64;
        loop {
            let n = match data.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_at("read", source)(e)),
            };
            hasher.update(&buf[..n]);
            self.file
                .write_all(&buf[..n])
                .map_err(io_at("write", &self.path))?;
            len += n as u64;
        }
        let stored = Stored {
            offset: self.offset,
            len,
            sha256: hex::encode(hasher.finalize()),
        };
        self.offset += len;
        Ok(stored)
    }

    /// Flush and fsync: after this the bytes survive a crash.
    pub fn finish(self) -> anyhow::Result<()> {
        let path = self.path;
        let file = self
            .file
            .into_inner()
            .map_err(|e| io_at("write", &path)(e.into_error()))?;
        file.sync_all().map_err(io_at("sync", &path))
    }
}

/// Reads saved contents back.
pub struct BackupReader {
    file: File,
    path: PathBuf,
}

/// A byte range of the backup as a reader.
pub struct Slice<'a> {
    file: &'a File,
    pos: u64,
    end: u64,
}

impl Read for Slice<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = (self.end - self.pos).min(buf.len() as u64) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl BackupReader {
    pub fn open(path: &Path) -> anyhow::Result<BackupReader> {
        let file = File::open(path).map_err(io_at("open the keeper backup", path))?;
        Ok(BackupReader {
            file,
            path: path.to_path_buf(),
        })
    }

    /// The bytes of `stored`, checked first (a damaged backup is an error,
    /// never written into the work tree).
    pub fn reader(&self, stored: &Stored) -> anyhow::Result<Slice<'_>> {
        let slice = || Slice {
            file: &self.file,
            pos: stored.offset,
            end: stored.offset + stored.len,
        };
        let mut hasher = Sha256::new();
        std::io::copy(&mut slice(), &mut hasher)
            .map_err(io_at("read the keeper backup", &self.path))?;
        if hex::encode(hasher.finalize()) != stored.sha256 {
            anyhow::bail!(
                "the keeper backup {} is damaged at offset {} ({} bytes do not match their SHA-256)",
                self.path.display(),
                stored.offset,
                stored.len
            );
        }
        Ok(slice())
    }

    /// All the bytes of `stored`, checked (read once).
    pub fn read(&self, stored: &Stored) -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(stored.len as usize);
        Slice {
            file: &self.file,
            pos: stored.offset,
            end: stored.offset + stored.len,
        }
        .read_to_end(&mut out)
        .map_err(io_at("read the keeper backup", &self.path))?;
        if hex::encode(Sha256::digest(&out)) != stored.sha256 {
            anyhow::bail!(
                "the keeper backup {} is damaged at offset {} ({} bytes do not match their SHA-256)",
                self.path.display(),
                stored.offset,
                stored.len
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_round_trip_and_damage_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keeper.backup");
        let mut w = BackupWriter::create(&path).unwrap();
        let a = w.append(&mut &b"first"[..], Path::new("a")).unwrap();
        let empty = w.append(&mut &b""[..], Path::new("e")).unwrap();
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let b = w.append(&mut &big[..], Path::new("b")).unwrap();
        w.finish().unwrap();
        let r = BackupReader::open(&path).unwrap();
        assert_eq!(r.read(&a).unwrap(), b"first");
        assert_eq!(r.read(&empty).unwrap(), b"");
        assert_eq!(r.read(&b).unwrap(), big);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[1] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        let r = BackupReader::open(&path).unwrap();
        assert!(r.read(&a).unwrap_err().to_string().contains("damaged"));
        assert_eq!(r.read(&b).unwrap(), big);
    }
}
