//! Git binary patches written in-process: for each saved path a
//! `diff --git` section with a full `GIT binary patch` literal of the new
//! content (zlib-deflated, base85-encoded, as git writes them), so
//! `git apply <patch>` reproduces the user's unstaged changes on top of
//! the index. Writing it ourselves from bytes already in memory costs
//! microseconds, where a `git diff` process re-reads the whole index.
//! A content too large to inline (see [`Side::data`]) gets git's
//! "Binary files … differ" line instead of a literal: the keeper's backup
//! holds it, and `git apply --exclude=<path>` applies the rest.

use flate2::{Compress, Compression, FlushCompress, Status};

const ALPHABET: &[u8; 85] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";
const ZERO_ID: &str = "0000000000000000000000000000000000000000";

/// One side of a change.
#[derive(Debug, Clone)]
pub struct Side<'a> {
    /// Git mode (0o100644, 0o100755, 0o120000).
    pub mode: u32,
    /// Blob id (hex).
    pub id: String,
    /// Content (a symlink's target); `None` when it is too large to inline.
    pub data: Option<&'a [u8]>,
}

/// Quote a path as git does in patch headers (C style, in double quotes,
/// when it has special or non-ASCII bytes).
pub fn quote(prefix: &str, path: &[u8]) -> String {
    let needs = path
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\' || b >= 0x7f);
    if !needs {
        return format!("{prefix}{}", String::from_utf8_lossy(path));
    }
    let mut out = String::from("\"");
    out.push_str(prefix);
    for &b in path {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x0b => out.push_str("\\v"),
            0x0c => out.push_str("\\f"),
            b if !(0x20..0x7f).contains(&b) => out.push_str(&format!("\\{b:03o}")),
            b => out.push(b as char),
        }
    }
    out.push('"');
    out
}

fn base85_line(chunk: &[u8], out: &mut String) {
    let len = chunk.len();
    out.push(if len <= 26 {
        (b'A' + len as u8 - 1) as char
    } else {
        (b'a' + len as u8 - 27) as char
    });
    for group in chunk.chunks(4) {
        let mut word = [0u8; 4];
        word[..group.len()].copy_from_slice(group);
        let mut acc = u32::from_be_bytes(word);
        let mut enc = [0u8; 5];
        for slot in enc.iter_mut().rev() {
            *slot = ALPHABET[(acc % 85) as usize];
            acc /= 85;
        }
        out.push_str(std::str::from_utf8(&enc).unwrap_or_default());
    }
    out.push('\n');
}

fn literal(data: &[u8], out: &mut String) {
    thread_local! {
        // One zlib stream, reset per literal: setting one up allocates a
        // few hundred KiB, which dominates for small files.
        static ZLIB: std::cell::RefCell<Compress> =
            std::cell::RefCell::new(Compress::new(Compression::default(), true));
    }
    let mut deflated = Vec::with_capacity(data.len() / 2 + 64);
    ZLIB.with(|z| {
        let mut z = z.borrow_mut();
        z.reset();
        loop {
            let before = z.total_in() as usize;
            if deflated.capacity() - deflated.len() < 64 {
                deflated.reserve(data.len() / 4 + 1024);
            }
            match z.compress_vec(
                &data[before.min(data.len())..],
                &mut deflated,
                FlushCompress::Finish,
            ) {
                Ok(Status::StreamEnd) => break,
                Ok(_) => continue,
                Err(_) => {
                    deflated.clear();
                    break;
                }
            }
        }
    });
    out.push_str(&format!("literal {}\n", data.len()));
    for chunk in deflated.chunks(52) {
        base85_line(chunk, out);
    }
    out.push('\n');
}

/// A literal of `data`, or git's line for a binary change without one.
fn binary(a: &str, b: &str, data: Option<&[u8]>, out: &mut String) {
    match data {
        Some(data) => {
            out.push_str("GIT binary patch\n");
            literal(data, out);
        }
        None => out.push_str(&format!("Binary files {a} and {b} differ\n")),
    }
}

/// The patch section turning `old` (the index) into `new` (the work tree)
/// at `path`; `None` for a side that does not exist.
pub fn section(path: &[u8], old: Option<&Side<'_>>, new: Option<&Side<'_>>) -> String {
    let mut out = String::new();
    let a = quote("a/", path);
    let b = quote("b/", path);
    // A change between a file and a symlink is a deletion plus a creation.
    if let (Some(o), Some(n)) = (old, new)
        && (o.mode == 0o120000) != (n.mode == 0o120000)
    {
        out.push_str(&section(path, Some(o), None));
        out.push_str(&section(path, None, Some(n)));
        return out;
    }
    out.push_str(&format!("diff --git {a} {b}\n"));
    match (old, new) {
        (Some(o), Some(n)) => {
            if o.mode != n.mode {
                out.push_str(&format!("old mode {:o}\nnew mode {:o}\n", o.mode, n.mode));
            }
            if o.id != n.id {
                if o.mode == n.mode {
                    out.push_str(&format!("index {}..{} {:o}\n", o.id, n.id, n.mode));
                } else {
                    out.push_str(&format!("index {}..{}\n", o.id, n.id));
                }
                binary(&a, &b, n.data, &mut out);
            }
        }
        (Some(o), None) => {
            out.push_str(&format!(
                "deleted file mode {:o}\nindex {}..{ZERO_ID}\nGIT binary patch\n",
                o.mode, o.id
            ));
            literal(b"", &mut out);
        }
        (None, Some(n)) => {
            out.push_str(&format!(
                "new file mode {:o}\nindex {ZERO_ID}..{}\n",
                n.mode, n.id
            ));
            binary(&a, &b, n.data, &mut out);
        }
        (None, None) => out.clear(),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_matches_git() {
        assert_eq!(quote("a/", b"plain/file.txt"), "a/plain/file.txt");
        assert_eq!(
            quote("a/", b"new\nline \"q\".txt"),
            "\"a/new\\nline \\\"q\\\".txt\""
        );
        assert_eq!(quote("b/", b"caf\xc3\xa9"), "\"b/caf\\303\\251\"");
    }

    #[test]
    fn literals_inflate_back_to_the_data() {
        use std::io::Read;
        for data in [&b""[..], b"hello\n", &[7u8; 100_000]] {
            let mut text = String::new();
            literal(data, &mut text);
            let mut lines = text.lines();
            assert_eq!(
                lines.next(),
                Some(format!("literal {}", data.len()).as_str())
            );
            let mut deflated = Vec::new();
            for line in lines.take_while(|l| !l.is_empty()) {
                let bytes = line.as_bytes();
                let len = match bytes[0] {
                    b @ b'A'..=b'Z' => (b - b'A' + 1) as usize,
                    b => (b - b'a' + 27) as usize,
                };
                let mut chunk = Vec::new();
                for group in bytes[1..].chunks(5) {
                    let mut acc: u32 = 0;
                    for c in group {
                        let v = ALPHABET.iter().position(|a| a == c).unwrap() as u32;
                        acc = acc.wrapping_mul(85).wrapping_add(v);
                    }
                    chunk.extend_from_slice(&acc.to_be_bytes());
                }
                chunk.truncate(len);
                deflated.extend(chunk);
            }
            let mut inflated = Vec::new();
            flate2::read::ZlibDecoder::new(&deflated[..])
                .read_to_end(&mut inflated)
                .unwrap();
            assert_eq!(inflated, data);
        }
    }

    #[test]
    fn base85_lines_carry_their_length() {
        let mut s = String::new();
        base85_line(&[0, 0, 0, 0], &mut s);
        assert_eq!(s, "D00000\n");
        let mut s = String::new();
        base85_line(&[0xff; 27], &mut s);
        assert!(s.starts_with('a'));
        assert_eq!(s.trim_end().len(), 1 + 7 * 5);
    }
}
