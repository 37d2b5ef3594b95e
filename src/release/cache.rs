//! A content-addressed download cache:
//! `$XDG_CACHE_HOME/hephaestus/release/sha256/<digest>` (or
//! `~/.cache/...`). Downloads land in `tmp/` beside it (locked scratch
//! files, see [`super::scratch`]) and are renamed into place only after
//! every check passed, so the cache never holds an unverified file under a
//! digest name. A hit is re-hashed before use (a
//! corrupted entry is deleted and downloaded again), and the full
//! verification still runs on it: the cache saves bandwidth, not checks.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{ReleaseError, Result};

/// The cache directory (`…/hephaestus/release`).
#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// `$XDG_CACHE_HOME/hephaestus/release`, else `$HOME/.cache/...`.
    pub fn default_root() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| {
                std::env::var_os("HOME")
                    .map(PathBuf::from)
                    .filter(|p| p.is_absolute())
                    .map(|h| h.join(".cache"))
            })?;
        Some(base.join("hephaestus").join("release"))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where content with this digest lives.
    pub fn path_for(&self, sha256: &str) -> Result<PathBuf> {
        if sha256.len() != 64
            || !sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(ReleaseError::UnsafePath(format!(
                "not a lower-case SHA-256 digest: {sha256:?}"
            )));
        }
        Ok(self.root.join("sha256").join(sha256))
    }

    /// The cached file for `sha256`, if present and intact.
    pub fn lookup(&self, sha256: &str) -> Result<Option<PathBuf>> {
        let path = self.path_for(sha256)?;
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => {
                return Err(ReleaseError::UnsafePath(format!(
                    "{} is not a regular file",
                    path.display()
                )));
            }
            Err(_) => return Ok(None),
        }
        if hash_file(&path)? == sha256 {
            Ok(Some(path))
        } else {
            let _ = std::fs::remove_file(&path);
            Ok(None)
        }
    }

    /// Where in-flight downloads, bundles and unpacked archives live.
    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// A new locked temp file inside the cache (same file system as the
    /// entries).
    pub fn temp_file(&self) -> Result<tempfile::NamedTempFile> {
        super::scratch::file_in(&self.tmp_dir())
    }

    /// Move a verified temp file into place under its digest.
    pub fn commit(&self, file: tempfile::NamedTempFile, sha256: &str) -> Result<PathBuf> {
        let path = self.path_for(sha256)?;
        let dir = self.root.join("sha256");
        std::fs::create_dir_all(&dir).map_err(|e| ReleaseError::io(&dir, e))?;
        file.persist(&path)
            .map_err(|e| ReleaseError::io(&path, e.error))?;
        Ok(path)
    }
}

/// SHA-256 of a file, streamed.
pub fn hash_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(|e| ReleaseError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(|e| ReleaseError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn commit_lookup_and_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().to_path_buf());
        let mut tmp = cache.temp_file().unwrap();
        tmp.write_all(b"hello").unwrap();
        let digest = hash_file(tmp.path()).unwrap();
        assert!(cache.lookup(&digest).unwrap().is_none());
        let path = cache.commit(tmp, &digest).unwrap();
        assert_eq!(cache.lookup(&digest).unwrap(), Some(path.clone()));
        std::fs::write(&path, b"tampered").unwrap();
        assert!(cache.lookup(&digest).unwrap().is_none());
        assert!(!path.exists(), "a corrupted entry is removed");
        assert!(cache.path_for("../../etc/passwd").is_err());
        assert!(cache.path_for(&digest.to_uppercase()).is_err());
    }
}
