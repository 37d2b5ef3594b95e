//! Differential test of `hephaestus::filetypes` against the reference, the
//! `identify` package from PyPI (pinned, installed once into a venv under
//! the target directory, as tests/it/hygiene_bench.rs does for
//! pre-commit-hooks): both tag the same awkward files (extensions in any
//! case, names, dotfiles, shebangs of every shape, binary, empty,
//! executables, symlinks, a directory, a socket) and must agree on every
//! one.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The reference, pinned; PyYAML is what pre-commit reads its
/// configuration with (tests/it/migrate.rs).
const REFERENCE: &[&str] = &["identify==2.6.19", "PyYAML==6.0.3"];

/// A venv with the reference installed, made once under the target
/// directory (built beside it and renamed, so parallel test processes never
/// see a half-installed one).
pub fn python_venv() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| crate::common::pinned_venv("identify-venv", REFERENCE))
}

fn file(root: &Path, rel: &str, body: &[u8], executable: bool) {
    let path = root.join(rel);
    std::fs::write(&path, body).unwrap();
    let mode = if executable { 0o755 } else { 0o644 };
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The corpus: (name, content, executable).
fn build(root: &Path) {
    let text = b"hello\n".as_slice();
    let binary = b"\x00\x01\x02\xff".as_slice();
    for name in [
        "a.py",
        "B.PY",
        "c.Py",
        "x.tar.gz",
        "a.pyi",
        "n.ipynb",
        "s.sh",
        "s.bash",
        "m.md",
        "c.yaml",
        "c.yml",
        "c.toml",
        "c.json",
        "c.xml",
        "c.cfg",
        "c.txt",
        "c.rs",
        "c.js",
        "c.tsx",
        "Dockerfile",
        "Dockerfile.xenial",
        "dockerfile",
        "Makefile",
        "makefile",
        "GNUmakefile",
        "CMakeLists.txt",
        "setup.cfg",
        "pyproject.toml",
        "Cargo.toml",
        "Cargo.lock",
        "uv.lock",
        "LICENSE",
        "README",
        "COPYING",
        ".bashrc",
        ".zshrc",
        ".gitignore",
        ".gitattributes",
        ".pre-commit-config.yaml",
        ".editorconfig",
        "noext",
        "trailing.",
        "..a",
        "a..b",
        ".",
        "weird name.yml",
        "café.txt",
        "Jenkinsfile",
        "Vagrantfile",
        "go.mod",
        "x.plist",
        "y.ppm",
        "z.png",
        "z.PNG",
        "w.svg",
        "v.zip",
        "k.pem",
        "t.tf",
        "q.sql",
        "r.R",
        "h.h",
        "cc.cc",
        "bat.bat",
        "ps.ps1",
    ] {
        if name == "." {
            continue;
        }
        file(root, name, text, false);
    }
    file(root, "bin.plist", b"bplist00\x00\x01", false);
    file(root, "text.png", text, false);
    file(root, "noext-binary", binary, false);
    file(root, "empty", b"", false);
    file(root, "empty.py", b"", false);
    file(root, "del", b"a\x7fb", false);
    file(root, "control", b"a\x01b", false);
    file(root, "esc", b"\x1b[0m\x07\x08\x0b\x0c\r\n", false);
    file(root, "high", b"caf\xe9 \xff\xfe", false);
    let mut late = vec![b'a'; 1024];
    late.push(0);
    file(root, "late-nul", &late, false);
    let mut early = vec![b'a'; 1023];
    early.push(0);
    file(root, "early-nul", &early, false);
    for (name, body) in [
        (
            "env-python",
            b"#!/usr/bin/env python3\nprint()\n".as_slice(),
        ),
        ("env-s", b"#!/usr/bin/env -S python3 -u\n"),
        ("env-s-only", b"#!/usr/bin/env -S\n"),
        ("env-bare", b"#!/usr/bin/env\n"),
        ("bash", b"#!/bin/bash\n"),
        ("sh-space", b"#! /bin/sh -e\n"),
        ("versioned", b"#!/usr/bin/python3.12\n"),
        ("versioned-deep", b"#!/opt/python3.11.4\n"),
        ("crlf", b"#!/bin/sh\r\necho\r\n"),
        ("quoted", b"#!\"/a b/python\"\n"),
        ("unbalanced", b"#!/bin/'sh\n"),
        ("comment", b"#!/bin/sh # a comment\n"),
        ("hash-word", b"#!#weird\n"),
        ("non-ascii", b"#!/usr/bin/caf\xc3\xa9\n"),
        ("invalid-utf8", b"#!/usr/bin/\xff\n"),
        (
            "nix",
            b"#!/usr/bin/env nix-shell\n#! nix-shell -i python3 -p foo\nbody\n",
        ),
        (
            "nix-twice",
            b"#!/usr/bin/env nix-shell\n#! nix-shell -i bash\n#! nix-shell -i ruby\n",
        ),
        ("nix-none", b"#!/usr/bin/env nix-shell\nbody\n"),
        ("no-newline", b"#!/bin/zsh"),
        ("node", b"#!/usr/bin/env node\n"),
        ("unknown-interp", b"#!/usr/bin/env frobnicate\n"),
        ("tab", b"#!/bin/sh\t-x\n"),
        ("empty-shebang", b"#!\n"),
        ("no-shebang", b"echo hi\n"),
        ("exe-binary", b"\x7fELF\x02\x01\x00"),
        ("exe-empty", b""),
        ("script.py", b"#!/bin/bash\n"),
        ("script.notreal", b"#!/usr/bin/env python\n"),
    ] {
        file(root, name, body, true);
    }
    file(root, "not-exe-shebang", b"#!/usr/bin/env python3\n", false);
    std::fs::create_dir(root.join("dir")).unwrap();
    std::fs::create_dir(root.join("dir.py")).unwrap();
    std::os::unix::fs::symlink("a.py", root.join("link.py")).unwrap();
    std::os::unix::fs::symlink("nowhere", root.join("dangling")).unwrap();
    std::os::unix::fs::symlink("dir", root.join("dirlink")).unwrap();
    let _socket = std::os::unix::net::UnixListener::bind(root.join("sock")).unwrap();
}

#[test]
fn tags_agree_with_identify() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    build(&root);
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let out = Command::new(python_venv().join("bin/python"))
        .args([
            "-c",
            "import json, sys\nfrom identify import identify\nprint(json.dumps({n: sorted(identify.tags_from_path(n)) for n in sys.argv[1:]}))",
        ])
        .args(&names)
        .current_dir(&root)
        .output()
        .expect("spawn python");
    assert!(
        out.status.success(),
        "identify failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reference: BTreeMap<String, Vec<String>> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reference.len(), names.len());
    let mut problems = Vec::new();
    for name in &names {
        let ours: Vec<String> = hephaestus::filetypes::tags_from_path(&root.join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .into_iter()
            .map(String::from)
            .collect();
        if ours != reference[name] {
            problems.push(format!(
                "{name}: identify {:?}, hephaestus {ours:?}",
                reference[name]
            ));
        }
    }
    // The batch form (one directory listing instead of an lstat per
    // path) gives the same tags, and without the mode tags the rest.
    let missing = "not-there.py".to_string();
    let mut asked: Vec<String> = names.clone();
    asked.push(missing.clone());
    for mode_tags in [true, false] {
        let batch = hephaestus::filetypes::tags_of_paths(&root, &asked, mode_tags);
        assert_eq!(batch.len(), asked.len());
        for (name, tags) in asked.iter().zip(batch) {
            if name == &missing {
                assert!(tags.is_none(), "{name}: {tags:?}");
                continue;
            }
            let ours: Vec<String> = tags
                .unwrap_or_else(|| panic!("{name}: no tags in the batch"))
                .into_iter()
                .map(String::from)
                .collect();
            let expected: Vec<String> = reference[name]
                .iter()
                .filter(|t| mode_tags || !matches!(t.as_str(), "executable" | "non-executable"))
                .cloned()
                .collect();
            if ours != expected {
                problems.push(format!(
                    "{name} (batch, mode tags {mode_tags}): identify {expected:?}, hephaestus {ours:?}"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} differ:\n{}",
        problems.len(),
        names.len(),
        problems.join("\n")
    );
    assert!(names.len() > 100, "{}", names.len());
}

#[test]
fn a_missing_path_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    assert!(hephaestus::filetypes::tags_from_path(&dir.path().join("nope")).is_err());
}
