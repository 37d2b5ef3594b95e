//! What git can see of a path, hashed: how the executor tells whether a
//! fixer changed a file, and how the keeper tells a step's edit from
//! anybody else's.

use std::path::Path;

use sha2::{Digest, Sha256};

/// A path's content as git sees it, hashed: see [`fingerprint`].
pub type Fingerprint = [u8; 32];

/// The hasher a regular file's fingerprint starts from; feed it the
/// file's bytes and finalize.
pub fn file_fingerprinter(executable: bool) -> Sha256 {
    let mut hasher = Sha256::new();
    #[cfg(unix)]
    hasher.update(executable.to_string().as_bytes());
    #[cfg(not(unix))]
    let _ = executable;
    hasher
}

/// The fingerprint of a symlink to `target`.
pub fn link_fingerprint(target: &[u8]) -> Fingerprint {
    let mut hasher = Sha256::new();
    hasher.update(b"link\0");
    hasher.update(target);
    hasher.finalize().into()
}

/// What git can see of a path: a file's bytes and executable bit, or a
/// symlink's target; `None` for anything else or a missing path. Used to
/// tell whether a step changed a file (here and in the keeper).
pub fn fingerprint(path: &Path) -> Option<Fingerprint> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if meta.file_type().is_symlink() {
        return Some(link_fingerprint(
            std::fs::read_link(path)
                .ok()?
                .as_os_str()
                .as_encoded_bytes(),
        ));
    }
    if !meta.is_file() {
        return None;
    }
    #[cfg(unix)]
    let executable = {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o111 != 0
    };
    #[cfg(not(unix))]
    let executable = false;
    let mut hasher = file_fingerprinter(executable);
    std::io::copy(&mut std::fs::File::open(path).ok()?, &mut hasher).ok()?;
    Some(hasher.finalize().into())
}
