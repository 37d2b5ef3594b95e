//! mypy's view of a module with a stub: when `pkg/mod.pyi` sits beside
//! `pkg/mod.py`, mypy resolves the module to the stub, and given both
//! files it stops with "Duplicate module named". A step that checks
//! through stubs ([`super::Step::prefer_stubs`]) gets the stub in place of
//! each such source file, once.

use std::collections::BTreeSet;
use std::path::Path;

use crate::git::{BString, ByteSlice};

/// `files` with each `x.py` whose `x.pyi` exists under `root` replaced by
/// `x.pyi`, keeping the first position of each and dropping repeats.
/// Without a work tree the files are returned as they are.
pub fn prefer_stubs(root: Option<&Path>, files: Vec<BString>) -> Vec<BString> {
    let Some(root) = root else {
        return files;
    };
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(files.len());
    for file in files {
        let chosen = match file.strip_suffix(b".py") {
            Some(stem) => {
                let mut stub = BString::from(stem);
                stub.extend_from_slice(b".pyi");
                match stub.to_path() {
                    Ok(rel) if root.join(rel).is_file() => stub,
                    _ => file,
                }
            }
            None => file,
        };
        if seen.insert(chosen.clone()) {
            out.push(chosen);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_with_a_stub_beside_it_is_checked_through_the_stub() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("pkg")).unwrap();
        for f in ["pkg/a.py", "pkg/a.pyi", "pkg/b.py", "pkg/c.pyi"] {
            std::fs::write(dir.path().join(f), "").unwrap();
        }
        let files: Vec<BString> = ["pkg/a.py", "pkg/b.py", "pkg/a.pyi", "pkg/c.pyi", "x.py"]
            .iter()
            .map(|s| BString::from(*s))
            .collect();
        let got = prefer_stubs(Some(dir.path()), files.clone());
        let got: Vec<&str> = got.iter().map(|f| f.to_str().unwrap()).collect();
        assert_eq!(got, ["pkg/a.pyi", "pkg/b.py", "pkg/c.pyi", "x.py"]);
        assert_eq!(prefer_stubs(None, files.clone()), files);
    }
}
