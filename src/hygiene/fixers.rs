//! The four fixers: trailing-whitespace, end-of-file-fixer,
//! mixed-line-ending and fix-byte-order-marker. Each reads a file once,
//! works on bytes (no decoding, as the reference works on bytes), and
//! writes it back in place only when the bytes change.

use std::path::Path;

use memchr::{memchr, memchr2};

use super::Context;
use super::Outcome;
use super::args::{FixMode, Markdown};
use super::parallel::{FileReport, is_symlink, per_file, rewrite};

/// The bytes Python's `bytes.rstrip()` strips.
fn is_py_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// What a content check makes of one file's bytes.
#[derive(Debug)]
pub(super) enum Verdict {
    /// Nothing to say.
    Clean,
    /// A finding (or a failure) to report; the file stays as it is.
    Report(FileReport),
    /// A fixer's new bytes for the file, and the line it prints.
    Rewrite(Vec<u8>, String),
}

impl Verdict {
    /// Carry the verdict out on the file at `path`: write a fixer's bytes.
    pub(super) fn apply(self, shown: &str, path: &Path) -> FileReport {
        match self {
            Verdict::Clean => FileReport::default(),
            Verdict::Report(report) => report,
            Verdict::Rewrite(bytes, message) => write(shown, path, &bytes, message),
        }
    }
}

/// A content check run alone over the context's files: read each, judge
/// it, carry the verdict out.
pub(super) fn standalone(ctx: &Context, judge: impl Fn(&str, &[u8]) -> Verdict + Sync) -> Outcome {
    per_file(
        &ctx.dir,
        &ctx.files,
        |shown, path| match super::parallel::read_file(path) {
            Ok(data) => judge(shown, &data).apply(shown, path),
            Err(e) => FileReport::io_error(shown, "read it", &e),
        },
    )
}

/// Write the new bytes, never through a symbolic link.
pub(super) fn write(shown: &str, path: &Path, bytes: &[u8], message: String) -> FileReport {
    if is_symlink(path) {
        return FileReport {
            failed: true,
            stderr: format!("{shown}: is a symbolic link; not rewriting what it points to\n"),
            ..Default::default()
        };
    }
    match rewrite(path, bytes) {
        Ok(()) => FileReport {
            failed: true,
            modified: true,
            stdout: message,
            ..Default::default()
        },
        Err(e) => FileReport::io_error(shown, "write it", &e),
    }
}

/// `os.path.splitext(name)[1]`: the extension of the last component,
/// ignoring leading dots.
fn python_ext(name: &str) -> &str {
    let base_start = name.rfind('/').map_or(0, |i| i + 1);
    let base = &name[base_start..];
    match base.rfind('.') {
        Some(dot) if base[..dot].bytes().any(|b| b != b'.') => &base[dot..],
        _ => "",
    }
}

/// The new length of one line's content (without its end of line), and
/// whether two spaces are put back (Markdown line break).
fn trim_line(line: &[u8], markdown: bool, chars: Option<&[u8]>) -> (usize, bool) {
    let strip = |s: &[u8]| -> usize {
        let keep = |b: &u8| match chars {
            None => !is_py_space(*b),
            Some(set) => !set.contains(b),
        };
        s.iter().rposition(keep).map_or(0, |i| i + 1)
    };
    let all_space = !line.is_empty() && line.iter().all(|b| is_py_space(*b));
    if markdown && !all_space && line.ends_with(b"  ") {
        (strip(&line[..line.len() - 2]), true)
    } else {
        (strip(line), false)
    }
}

/// trailing-whitespace: strip trailing whitespace (or `--chars`) from
/// every line, keeping `\r\n`/`\n`, and two spaces at the end of a
/// non-blank Markdown line.
pub(super) fn trailing_whitespace(
    ctx: &Context,
    markdown: &Markdown,
    chars: Option<&[u8]>,
    no_markdown_given: bool,
) -> Outcome {
    let mut outcome = standalone(ctx, |shown, data| {
        trailing_whitespace_of(shown, data, markdown, chars)
    });
    if no_markdown_given {
        no_markdown_notice(&mut outcome);
    }
    outcome
}

/// The line the reference prints first when given
/// `--no-markdown-linebreak-ext`.
pub(super) fn no_markdown_notice(outcome: &mut Outcome) {
    outcome
        .stdout
        .insert_str(0, "--no-markdown-linebreak-ext now does nothing!\n");
}

/// trailing-whitespace on one file's bytes.
pub(super) fn trailing_whitespace_of(
    shown: &str,
    data: &[u8],
    markdown: &Markdown,
    chars: Option<&[u8]>,
) -> Verdict {
    let is_md = markdown.all || is_markdown(shown, &markdown.exts);
    match strip_trailing(data, is_md, chars) {
        None => Verdict::Clean,
        Some(fixed) => Verdict::Rewrite(fixed, format!("Fixing {shown}\n")),
    }
}

/// Whether the lower-cased name's extension is one of `exts` (no
/// allocation for an ASCII name).
fn is_markdown(shown: &str, exts: &[String]) -> bool {
    if shown.is_ascii() {
        let ext = python_ext(shown);
        exts.iter()
            .any(|e| e.eq_ignore_ascii_case(ext) && !e.bytes().any(|b| b.is_ascii_uppercase()))
    } else {
        let lower = shown.to_lowercase();
        exts.iter().any(|e| e == python_ext(&lower))
    }
}

/// The stripped bytes, or `None` when nothing changes.
fn strip_trailing(data: &[u8], markdown: bool, chars: Option<&[u8]>) -> Option<Vec<u8>> {
    let mut out: Option<Vec<u8>> = None;
    let mut start = 0;
    while start < data.len() {
        let end = memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i + 1);
        let line = &data[start..end];
        let eol_len = if line.ends_with(b"\r\n") {
            2
        } else if line.ends_with(b"\n") {
            1
        } else {
            0
        };
        let content = &line[..line.len() - eol_len];
        let (keep, two_spaces) = trim_line(content, markdown, chars);
        let new_len = keep + if two_spaces { 2 } else { 0 };
        if new_len != content.len() {
            let buf = out.get_or_insert_with(|| {
                let mut v = Vec::with_capacity(data.len());
                v.extend_from_slice(&data[..start]);
                v
            });
            buf.extend_from_slice(&content[..keep]);
            if two_spaces {
                buf.extend_from_slice(b"  ");
            }
            buf.extend_from_slice(&line[line.len() - eol_len..]);
        } else if let Some(buf) = out.as_mut() {
            buf.extend_from_slice(line);
        }
        start = end;
    }
    out
}

/// What end-of-file-fixer does to a file.
#[derive(Debug, PartialEq, Eq)]
enum EofFix {
    Keep,
    AppendNewline,
    TruncateTo(usize),
}

fn eof_fix(data: &[u8]) -> EofFix {
    let is_nl = |b: u8| b == b'\n' || b == b'\r';
    let Some(&last) = data.last() else {
        return EofFix::Keep;
    };
    if !is_nl(last) {
        return EofFix::AppendNewline;
    }
    let Some(content_end) = data.iter().rposition(|b| !is_nl(*b)).map(|i| i + 1) else {
        // Nothing but line breaks: the file becomes empty.
        return EofFix::TruncateTo(0);
    };
    let rest = &data[content_end..];
    for seq in [&b"\n"[..], b"\r\n", b"\r"] {
        if rest == seq {
            return EofFix::Keep;
        }
        if rest.starts_with(seq) {
            return EofFix::TruncateTo(content_end + seq.len());
        }
    }
    EofFix::Keep
}

/// end-of-file-fixer: a file ends in exactly one line break (the first of
/// the trailing ones), or is empty.
pub(super) fn end_of_file(ctx: &Context) -> Outcome {
    standalone(ctx, end_of_file_of)
}

/// end-of-file-fixer on one file's bytes.
pub(super) fn end_of_file_of(shown: &str, data: &[u8]) -> Verdict {
    let fixed = match eof_fix(data) {
        EofFix::Keep => return Verdict::Clean,
        EofFix::AppendNewline => {
            let mut fixed = Vec::with_capacity(data.len() + 1);
            fixed.extend_from_slice(data);
            fixed.push(b'\n');
            fixed
        }
        EofFix::TruncateTo(n) => data[..n].to_vec(),
    };
    Verdict::Rewrite(fixed, format!("Fixing {shown}\n"))
}

/// Line endings counted as Python's `bytes.splitlines()` sees them.
#[derive(Debug, Default, Clone, Copy)]
struct Endings {
    cr: usize,
    crlf: usize,
    lf: usize,
}

fn count_endings(data: &[u8]) -> Endings {
    let mut counts = Endings::default();
    let mut i = 0;
    while let Some(off) = memchr2(b'\r', b'\n', &data[i..]) {
        let at = i + off;
        if data[at] == b'\n' {
            counts.lf += 1;
            i = at + 1;
        } else if data.get(at + 1) == Some(&b'\n') {
            counts.crlf += 1;
            i = at + 2;
        } else {
            counts.cr += 1;
            i = at + 1;
        }
    }
    counts
}

/// Every line ended with `ending`, a last line without one included.
fn with_ending(data: &[u8], ending: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 32 + 2);
    let mut i = 0;
    while i < data.len() {
        match memchr2(b'\r', b'\n', &data[i..]) {
            Some(off) => {
                let at = i + off;
                out.extend_from_slice(&data[i..at]);
                out.extend_from_slice(ending);
                i = if data[at] == b'\r' && data.get(at + 1) == Some(&b'\n') {
                    at + 2
                } else {
                    at + 1
                };
            }
            None => {
                out.extend_from_slice(&data[i..]);
                out.extend_from_slice(ending);
                break;
            }
        }
    }
    out
}

/// mixed-line-ending: with `--fix=auto` the most common ending wins (ties
/// go to LF, then CRLF); `--fix=lf|crlf|cr` forces one; `--fix=no` only
/// reports.
pub(super) fn mixed_line_ending(ctx: &Context, fix: FixMode) -> Outcome {
    standalone(ctx, |shown, data| mixed_line_ending_of(shown, data, fix))
}

/// mixed-line-ending on one file's bytes.
pub(super) fn mixed_line_ending_of(shown: &str, data: &[u8], fix: FixMode) -> Verdict {
    {
        let c = count_endings(data);
        let kinds = [c.cr, c.crlf, c.lf].iter().filter(|n| **n > 0).count();
        let mixed = kinds > 1;
        let target: &[u8] = match fix {
            FixMode::No => {
                return if mixed {
                    Verdict::Report(FileReport::fail(format!("{shown}: mixed line endings\n")))
                } else {
                    Verdict::Clean
                };
            }
            FixMode::Auto => {
                if !mixed {
                    return Verdict::Clean;
                }
                // `>=` in the reference: later kinds win ties (LF > CRLF > CR).
                let mut best: (&[u8], usize) = (b"\n", 0);
                for (ending, n) in [(&b"\r"[..], c.cr), (b"\r\n", c.crlf), (b"\n", c.lf)] {
                    if n >= best.1 {
                        best = (ending, n);
                    }
                }
                best.0
            }
            FixMode::Lf | FixMode::Crlf | FixMode::Cr => {
                let (target, others): (&[u8], usize) = match fix {
                    FixMode::Lf => (b"\n", c.cr + c.crlf),
                    FixMode::Crlf => (b"\r\n", c.cr + c.lf),
                    _ => (b"\r", c.crlf + c.lf),
                };
                if others == 0 {
                    return Verdict::Clean;
                }
                target
            }
        };
        Verdict::Rewrite(
            with_ending(data, target),
            format!("{shown}: fixed mixed line endings\n"),
        )
    }
}

/// fix-byte-order-marker: drop a leading UTF-8 BOM. Like the reference,
/// the rest must be valid UTF-8 (it decodes the file); otherwise the file
/// is left alone and reported.
pub(super) fn byte_order_marker(ctx: &Context) -> Outcome {
    standalone(ctx, byte_order_marker_of)
}

/// fix-byte-order-marker on one file's bytes.
pub(super) fn byte_order_marker_of(shown: &str, data: &[u8]) -> Verdict {
    let Some(rest) = data.strip_prefix(b"\xef\xbb\xbf") else {
        return Verdict::Clean;
    };
    if let Err(e) = std::str::from_utf8(rest) {
        return Verdict::Report(FileReport {
            failed: true,
            stderr: format!(
                "{shown}: not valid UTF-8 after the byte-order marker (byte {}); left unchanged\n",
                e.valid_up_to() + 3
            ),
            ..Default::default()
        });
    }
    Verdict::Rewrite(
        rest.to_vec(),
        format!("{shown}: removed byte-order marker\n"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_of_file_cases() {
        assert_eq!(eof_fix(b""), EofFix::Keep);
        assert_eq!(eof_fix(b"a"), EofFix::AppendNewline);
        assert_eq!(eof_fix(b"a\n"), EofFix::Keep);
        assert_eq!(eof_fix(b"\n"), EofFix::TruncateTo(0));
        assert_eq!(eof_fix(b"\r\n\r\n"), EofFix::TruncateTo(0));
        assert_eq!(eof_fix(b"a\r\n\r\n"), EofFix::TruncateTo(3));
        assert_eq!(eof_fix(b"a\n\r\n"), EofFix::TruncateTo(2));
        assert_eq!(eof_fix(b"a\r\r"), EofFix::TruncateTo(2));
        assert_eq!(eof_fix(b"a\r"), EofFix::Keep);
    }

    #[test]
    fn trailing_whitespace_cases() {
        assert_eq!(
            strip_trailing(b"a \nb\t\r\n", false, None).unwrap(),
            b"a\nb\r\n"
        );
        assert_eq!(strip_trailing(b"a\nb\r\n", false, None), None);
        assert_eq!(strip_trailing(b"a  \n", true, None), None);
        assert_eq!(strip_trailing(b"a \t  \n", true, None).unwrap(), b"a  \n");
        assert_eq!(strip_trailing(b"   \n", true, None).unwrap(), b"\n");
        assert_eq!(strip_trailing(b"ax\n", false, Some(b"x")).unwrap(), b"a\n");
        assert_eq!(strip_trailing(b"a \r\r\n", false, None).unwrap(), b"a\r\n");
        assert_eq!(strip_trailing(b"a ", false, Some(b"")), None);
    }

    #[test]
    fn python_extensions() {
        assert_eq!(python_ext("a/b.md"), ".md");
        assert_eq!(python_ext(".md"), "");
        assert_eq!(python_ext("..md"), "");
        assert_eq!(python_ext("a."), ".");
        assert_eq!(python_ext("a.b/c"), "");
    }

    #[test]
    fn line_endings() {
        assert_eq!(with_ending(b"a\r\nb\nc", b"\n"), b"a\nb\nc\n");
        assert_eq!(with_ending(b"a\rb\r\n", b"\r\n"), b"a\r\nb\r\n");
        let c = count_endings(b"a\r\nb\rc\nd");
        assert_eq!((c.cr, c.crlf, c.lf), (1, 1, 1));
    }
}
