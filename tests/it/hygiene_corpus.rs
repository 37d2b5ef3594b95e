//! The corpus of the hygiene differential test: awkward bytes generated
//! here (line endings, byte-order marks, invalid UTF-8, binary, a file over
//! the size limit, private keys, conflict markers, executables, symlinks,
//! case collisions, a destroyed symlink, a submodule), the syntax samples
//! of tests/data/hygiene, and a git history that makes some files added,
//! some committed, one renamed and one untracked.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::common::TestContext;

/// Bytes that are not text: NULs, stray CRs, high bytes.
fn binary_bytes(n: usize) -> Vec<u8> {
    let mut state: u32 = 0x1234_5678;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state & 0xff) as u8
        })
        .collect()
}

/// Text of `kb` kilobytes with trailing blanks on some lines.
fn big_text(kb: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(kb * 1024);
    let mut i = 0;
    while out.len() < kb * 1024 {
        out.extend_from_slice(
            format!(
                "line {i} of a large file{}\n",
                if i % 7 == 0 { "  " } else { "" }
            )
            .as_bytes(),
        );
        i += 1;
    }
    out
}

fn exec(ctx: &TestContext, rel: &str, body: &[u8], executable: bool) {
    ctx.write(rel, body);
    let mode = if executable { 0o755 } else { 0o644 };
    std::fs::set_permissions(ctx.root.join(rel), std::fs::Permissions::from_mode(mode)).unwrap();
}

fn link(ctx: &TestContext, rel: &str, target: &str) {
    let path = ctx.root.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    let _ = std::fs::remove_file(&path);
    std::os::unix::fs::symlink(target, path).unwrap();
}

/// The byte-level files every text check sees.
pub const TEXT: &[(&str, &[u8])] = &[
    ("text/clean.txt", b"all good\nhere\n"),
    ("text/trailing.txt", b"a  \nb\t\nc \t \n  \n"),
    ("text/crlf.txt", b"a \r\nb\r\n"),
    ("text/crlf-trailing.txt", b"x\t\r\ny \r\n"),
    ("text/mixed.txt", b"a\r\nb\nc\rd\n"),
    ("text/mixed-tie.txt", b"a\r\nb\n"),
    ("text/mixed-cr-majority.txt", b"a\rb\rc\nd"),
    ("text/cr-only.txt", b"a\rb\r"),
    ("text/no-eol.txt", b"no newline at the end"),
    ("text/no-eol-mixed.txt", b"a\r\nb\nc"),
    ("text/empty.txt", b""),
    ("text/only-newlines.txt", b"\n\n\r\n"),
    ("text/one-newline.txt", b"\n"),
    ("text/one-cr.txt", b"\r"),
    ("text/many-newlines.txt", b"a\n\n\n\n"),
    ("text/crlf-many.txt", b"a\r\n\r\n\r\n"),
    ("text/cr-many.txt", b"a\r\r\r"),
    ("text/nl-then-crlf.txt", b"a\n\r\n"),
    ("text/bom.txt", b"\xef\xbb\xbfhello\n"),
    ("text/bom-only.txt", b"\xef\xbb\xbf"),
    ("text/double-bom.txt", b"\xef\xbb\xbf\xef\xbb\xbfx\n"),
    ("text/bom-invalid-utf8.txt", b"\xef\xbb\xbf\xff\xfe  \n"),
    ("text/invalid-utf8.txt", b"caf\xe9  \n\xff\xfe\n"),
    ("text/utf16.txt", b"\xff\xfeh\x00i\x00 \x00\n\x00"),
    ("text/vt-ff.txt", b"a\x0b\x0c\nb\x0c\n"),
    ("text/nbsp.txt", "a\u{a0}\nb\u{3000}\n".as_bytes()),
    ("text/cr-inside.txt", b"a \rb \n"),
    ("text/cr-before-crlf.txt", b"a \r\r\n"),
    ("text/tabs.txt", b"\t\n\t\tx\t\n"),
    (
        "docs/readme.md",
        b"# Title\nline break  \ntoo many   \n   \nhard\t  \n",
    ),
    ("docs/NOTES.MARKDOWN", b"keep  \nstrip \n"),
    ("docs/plain.txt.md", b"keep  \r\nkeep  \n"),
    ("docs/dot-ending.", b"kept  \n"),
    ("docs/.md", b"stripped  \n"),
    (
        "conflict/markers.txt",
        b"ok\n<<<<<<< HEAD\nmine\n=======\ntheirs\n>>>>>>> branch\n",
    ),
    (
        "conflict/crlf-markers.txt",
        b"<<<<<<< HEAD\r\nmine\r\n=======\r\ntheirs\r\n>>>>>>> b\r\n",
    ),
    (
        "conflict/not-markers.txt",
        b"text <<<<<<< in the middle\n ======= indented\n<<<<<<<no-space\n=======x\n",
    ),
    ("conflict/bare-equals.txt", b"=======\n"),
    ("conflict/equals-no-newline.txt", b"a\n======="),
    (
        "keys/rsa.pem",
        b"-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n",
    ),
    (
        "keys/openssh",
        b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----\n",
    ),
    ("keys/pkcs8.key", b"-----BEGIN PRIVATE KEY-----\nMII\n"),
    ("keys/ec.key", b"-----BEGIN EC PRIVATE KEY-----\n"),
    (
        "keys/dsa.key",
        b"junk before -----BEGIN DSA PRIVATE KEY-----",
    ),
    (
        "keys/encrypted.key",
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n",
    ),
    ("keys/pgp.asc", b"-----BEGIN PGP PRIVATE KEY BLOCK-----\n"),
    ("keys/ssh2", b"---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\n"),
    ("keys/putty.ppk", b"PuTTY-User-Key-File-2: ssh-rsa\n"),
    (
        "keys/openvpn.key",
        b"-----BEGIN OpenVPN Static key V1-----\n",
    ),
    (
        "keys/public.pub",
        b"ssh-rsa AAAAB3Nza user@host\n-----BEGIN PUBLIC KEY-----\n",
    ),
    ("keys/lowercase.txt", b"begin rsa private key\n"),
    ("keys/in-binary.bin", b"\x00\x01BEGIN PRIVATE KEY\x00"),
    ("unicode/caf\u{e9}.txt", "caf\u{e9} \n".as_bytes()),
];

/// The path of the syntax samples in this repository.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hygiene")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_name() == "conformance" {
            // The parser suites have their own test.
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// Build the corpus repository in `ctx` (on branch `main`).
pub fn build(ctx: &TestContext) {
    // What HEAD holds.
    ctx.write("Readme.txt", "committed\n");
    ctx.write("dir/Sub.txt", "committed\n");
    ctx.write("target.txt", "the link target\n");
    ctx.write(
        ".gitattributes",
        "*.lfs filter=lfs diff=lfs merge=lfs -text\n",
    );
    ctx.write("big/committed.bin", binary_bytes(700 * 1024));
    ctx.write("big/to-rename.bin", binary_bytes(650 * 1024));
    exec(ctx, "scripts/committed.sh", b"#!/bin/sh\necho ok\n", true);
    link(ctx, "links/destroyed", "target.txt");
    link(ctx, "links/destroyed-edited", "../target.txt");
    link(ctx, "links/changed", "target.txt");
    link(ctx, "links/kept", "target.txt");
    ctx.commit_all("baseline");
    let head = String::from_utf8(ctx.git(["rev-parse", "HEAD"])).unwrap();

    // Staged changes on top.
    for (rel, bytes) in TEXT {
        ctx.write(rel, bytes);
    }
    copy_tree(&data_dir(), &ctx.root.join("data"));
    std::fs::remove_file(ctx.root.join("data/README.md")).unwrap();
    ctx.write("text/huge.txt", big_text(1200));
    ctx.write("text/binary.bin", binary_bytes(4096));
    ctx.write("README.txt", "collides with Readme.txt\n");
    ctx.write("DIR/other.txt", "collides with dir/\n");
    ctx.write("new/Name.txt", "one\n");
    ctx.write("new/name.TXT", "two\n");
    ctx.write("big/added.bin", binary_bytes(600 * 1024));
    ctx.write("big/exactly-1kb.bin", vec![b'x'; 1024]);
    ctx.write("big/just-over-1kb.bin", vec![b'x'; 1025]);
    ctx.write("big/stored.lfs", binary_bytes(800 * 1024));
    exec(ctx, "scripts/no-shebang.sh", b"echo missing\n", true);
    exec(
        ctx,
        "scripts/shebang-not-exec.py",
        b"#!/usr/bin/env python3\nprint()\n",
        false,
    );
    exec(ctx, "scripts/ok.sh", b"#!/bin/sh\n", true);
    exec(ctx, "scripts/one-byte.sh", b"#", true);
    exec(ctx, "scripts/empty-exec.sh", b"", true);
    link(ctx, "links/ok", "../text/clean.txt");
    link(ctx, "links/broken", "nowhere");
    link(ctx, "links/dir", "../text");
    // A symlink turned into the file holding its target: exactly, and
    // with a newline added by an editor.
    std::fs::remove_file(ctx.root.join("links/destroyed")).unwrap();
    ctx.write("links/destroyed", "target.txt");
    std::fs::remove_file(ctx.root.join("links/destroyed-edited")).unwrap();
    ctx.write("links/destroyed-edited", "../target.txt\n");
    std::fs::remove_file(ctx.root.join("links/changed")).unwrap();
    ctx.write("links/changed", "something else entirely\n");
    ctx.git(["mv", "big/to-rename.bin", "big/renamed.bin"]);
    ctx.git(["add", "-A"]);
    // A submodule (gitlink) added to the index.
    ctx.git([
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{},vendor/sub", head.trim()),
    ]);
    // Never staged.
    ctx.write("untracked/big.bin", binary_bytes(900 * 1024));
}

/// Every file and symlink under the work tree (not `.git`), sorted,
/// relative, `/`-separated.
pub fn all_paths(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if rel == ".git" {
                continue;
            }
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}
