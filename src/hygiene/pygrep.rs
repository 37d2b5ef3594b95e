//! `pygrep`: pre-commit's `language: pygrep` in process. A Python `re`
//! pattern (compiled as pre-commit compiles it: on the pattern's UTF-8
//! bytes, so ASCII-only `\w`, `\d`, `\s`, `\b` and case folding) is searched
//! in each file, line by line (or in the whole file with `--multiline`,
//! which adds `re.MULTILINE | re.DOTALL`); a match fails the file and
//! prints `FILE:LINE:TEXT`; `--negate` fails the files with no match and
//! prints their names.
//!
//! The pattern is translated to the `regex` crate's syntax, which has no
//! backtracking. What Python means the same way is translated exactly
//! (`\Z` is `\z`, `$` without multiline also matches before a final
//! newline, `{,n}` is `{0,n}`, a `{` that starts no repeat is literal,
//! non-ASCII characters are their UTF-8 bytes); what it cannot honour
//! exactly (lookaround, backreferences, conditionals, atomic groups,
//! possessive repeats, verbose mode, scoped flags) is an error naming the
//! construct, never an approximation.

use regex::bytes::{Regex, RegexBuilder};

use super::Outcome;
use super::parallel::{FileReport, per_file};

/// The pattern translated and compiled with pre-commit's flags.
pub(crate) fn compile(pattern: &str, ignore_case: bool, multiline: bool) -> Result<Regex, String> {
    let (translated, _) = translate(pattern, multiline)?;
    let mut flags = String::from("(?-u)");
    if ignore_case {
        flags.push_str("(?i)");
    }
    if multiline {
        flags.push_str("(?ms)");
    }
    RegexBuilder::new(&format!("{flags}{translated}"))
        .size_limit(64 << 20)
        .build()
        .map_err(|e| {
            let detail = e.to_string();
            let last = detail.lines().last().unwrap_or("").trim();
            format!("{pattern:?} does not compile ({last})")
        })
}

/// One Python `re` (bytes) pattern in `regex` syntax (to be compiled with
/// `(?-u)`), and whether an inline `(?m)` turned multiline on.
pub(crate) fn translate(pattern: &str, multiline: bool) -> Result<(String, bool), String> {
    let refuse = |what: &str| {
        Err(format!(
            "{pattern:?} uses {what}, which needs a backtracking regex engine; hephaestus's regex engine cannot honour it exactly"
        ))
    };
    let bad = |what: String| Err(format!("{pattern:?}: {what}"));
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut multiline = multiline;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let Some(&e) = chars.get(i + 1) else {
                    return bad("ends with a lone backslash".into());
                };
                i += 2;
                match e {
                    'w' | 'W' | 'd' | 'D' | 's' | 'S' | 'b' | 'B' | 'A' | 'n' | 't' | 'r' | 'f'
                    | 'v' | 'a' => {
                        out.push('\\');
                        out.push(e);
                    }
                    'Z' => out.push_str(r"\z"),
                    'x' => {
                        let hex: String = chars.iter().skip(i).take(2).collect();
                        if hex.len() != 2 || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                            return bad(format!("incomplete escape \\x{hex}"));
                        }
                        out.push_str(&format!("\\x{hex}"));
                        i += 2;
                    }
                    '0' => {
                        let (byte, used) = octal(&chars[i - 1..]);
                        out.push_str(&format!("\\x{byte:02x}"));
                        i += used - 1;
                    }
                    '1'..='3'
                        if chars.len() >= i + 2
                            && chars[i - 1..i + 2].iter().all(|c| c.is_digit(8)) =>
                    {
                        let (byte, used) = octal(&chars[i - 1..]);
                        out.push_str(&format!("\\x{byte:02x}"));
                        i += used - 1;
                    }
                    '1'..='9' => return refuse("a backreference (\\1 …)"),
                    e if e.is_ascii_alphanumeric() => {
                        return bad(format!("bad escape \\{e} (Python rejects it too)"));
                    }
                    e => push_literal(&mut out, e),
                }
            }
            '(' => {
                i += 1;
                if chars.get(i) != Some(&'?') {
                    out.push('(');
                    continue;
                }
                i += 1;
                match chars.get(i).copied() {
                    Some(':') => {
                        out.push_str("(?:");
                        i += 1;
                    }
                    Some('=') | Some('!') => return refuse("a look-ahead (?= or (?!"),
                    Some('<') if matches!(chars.get(i + 1), Some('=') | Some('!')) => {
                        return refuse("a look-behind (?<= or (?<!");
                    }
                    Some('>') => return refuse("an atomic group (?>"),
                    Some('(') => return refuse("a conditional (?(…)"),
                    Some('#') => {
                        while i < chars.len() && chars[i] != ')' {
                            i += 1;
                        }
                        if i == chars.len() {
                            return bad("missing ) after comment".into());
                        }
                        i += 1;
                    }
                    Some('P') if chars.get(i + 1) == Some(&'=') => {
                        return refuse("a named backreference (?P=");
                    }
                    Some('P') if chars.get(i + 1) == Some(&'<') => {
                        out.push_str("(?P<");
                        i += 2;
                    }
                    _ => {
                        // Inline flags: `(?aimsx-imsx)` or `(?flags:…)`.
                        let start = i;
                        while i < chars.len() && (chars[i].is_ascii_alphabetic() || chars[i] == '-')
                        {
                            i += 1;
                        }
                        let flags: String = chars[start..i].iter().collect();
                        let scoped = match chars.get(i) {
                            Some(')') => false,
                            Some(':') => true,
                            _ => return bad("unknown extension (?…".into()),
                        };
                        i += 1;
                        let mut kept = String::new();
                        for f in flags.chars() {
                            match f {
                                'i' | 's' | '-' => kept.push(f),
                                'm' if !scoped => {
                                    multiline = true;
                                    kept.push(f);
                                }
                                'm' => return refuse("a scoped multiline flag (?m:…)"),
                                'a' => {}
                                'x' => return refuse("verbose mode (?x)"),
                                'L' => return refuse("locale matching (?L)"),
                                'u' => {
                                    return bad(
                                        "(?u) cannot be used with a bytes pattern (Python rejects it too)"
                                            .into(),
                                    );
                                }
                                other => return bad(format!("unknown flag {other}")),
                            }
                        }
                        if !scoped && start != 2 {
                            return bad("global flags not at the start of the expression (Python rejects them)".into());
                        }
                        match (scoped, kept.trim_matches('-').is_empty()) {
                            (true, true) => out.push_str("(?:"),
                            (true, false) => out.push_str(&format!("(?{kept}:")),
                            (false, true) => {}
                            (false, false) => out.push_str(&format!("(?{kept})")),
                        }
                    }
                }
            }
            '$' => {
                i += 1;
                if multiline {
                    out.push('$');
                } else {
                    // Python's `$`: the end, or just before a final newline.
                    // As a consuming `\n?\z` it is exact only where nothing
                    // but `)` and then `|` or the end follows.
                    let mut j = i;
                    while chars.get(j) == Some(&')') {
                        j += 1;
                    }
                    if !matches!(chars.get(j), None | Some('|')) {
                        return refuse("`$` followed by more pattern");
                    }
                    out.push_str(r"(?:\n?\z)");
                }
            }
            '{' => {
                i += 1;
                match repeat(&chars[i..]) {
                    Some((text, used)) => {
                        out.push_str(&text);
                        i += used;
                        if chars.get(i) == Some(&'+') {
                            return refuse("a possessive repeat");
                        }
                    }
                    None => out.push_str(r"\{"),
                }
            }
            '}' => {
                i += 1;
                out.push_str(r"\}");
            }
            '*' | '+' | '?' => {
                i += 1;
                out.push(c);
                if chars.get(i) == Some(&'+') {
                    return refuse("a possessive repeat");
                }
            }
            '[' => {
                i += 1;
                out.push('[');
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    out.push_str(r"\]");
                    i += 1;
                }
                loop {
                    let Some(&k) = chars.get(i) else {
                        return bad("unterminated character set".into());
                    };
                    i += 1;
                    match k {
                        ']' => {
                            out.push(']');
                            break;
                        }
                        '\\' => {
                            let Some(&e) = chars.get(i) else {
                                return bad("ends with a lone backslash".into());
                            };
                            i += 1;
                            match e {
                                'w' | 'W' | 'd' | 'D' | 's' | 'S' | 'n' | 't' | 'r' | 'f' | 'v'
                                | 'a' => {
                                    out.push('\\');
                                    out.push(e);
                                }
                                'b' => out.push_str(r"\x08"),
                                'x' => {
                                    let hex: String = chars.iter().skip(i).take(2).collect();
                                    if hex.len() != 2 || !hex.chars().all(|h| h.is_ascii_hexdigit())
                                    {
                                        return bad(format!("incomplete escape \\x{hex}"));
                                    }
                                    out.push_str(&format!("\\x{hex}"));
                                    i += 2;
                                }
                                '0'..='7' => {
                                    let (byte, used) = octal(&chars[i - 1..]);
                                    out.push_str(&format!("\\x{byte:02x}"));
                                    i += used - 1;
                                }
                                e if e.is_ascii_alphanumeric() => {
                                    return bad(format!(
                                        "bad escape \\{e} in a set (Python rejects it too)"
                                    ));
                                }
                                e => push_literal(&mut out, e),
                            }
                        }
                        '-' if chars.get(i) == Some(&'-') => {
                            return refuse("`--` in a character set");
                        }
                        '-' => out.push('-'),
                        k if k.is_ascii_alphanumeric() || k == ' ' => out.push(k),
                        k => push_literal(&mut out, k),
                    }
                }
            }
            ']' => {
                i += 1;
                out.push_str(r"\]");
            }
            c if c.is_ascii() => {
                i += 1;
                out.push(c);
            }
            c => {
                i += 1;
                push_literal(&mut out, c);
            }
        }
    }
    Ok((out, multiline))
}

/// A literal character: its UTF-8 bytes as `\xHH` (a byte each, as in a
/// Python bytes pattern), ASCII letters and digits as they are.
fn push_literal(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() {
        out.push(c);
        return;
    }
    let mut buf = [0u8; 4];
    for b in c.encode_utf8(&mut buf).bytes() {
        out.push_str(&format!("\\x{b:02x}"));
    }
}

/// An octal escape starting at `\0`…`\7` (`chars[0]` is the first digit):
/// up to three digits, the value as a byte, and how many digits were used.
fn octal(chars: &[char]) -> (u8, usize) {
    let mut value: u32 = 0;
    let mut used = 0;
    for c in chars.iter().take(3) {
        match c.to_digit(8) {
            Some(d) => {
                value = value * 8 + d;
                used += 1;
            }
            None => break,
        }
    }
    ((value & 0xff) as u8, used)
}

/// `m}`, `m,}`, `,n}`, `m,n}` after a `{`: the repeat in `regex` syntax and
/// how many characters it took, or `None` when Python reads a literal `{`.
fn repeat(chars: &[char]) -> Option<(String, usize)> {
    let end = chars.iter().position(|c| *c == '}')?;
    let body: String = chars[..end].iter().collect();
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let text = match body.split_once(',') {
        None if !body.is_empty() && digits(&body) => format!("{{{body}}}"),
        Some((lo, hi)) if digits(lo) && digits(hi) && !(lo.is_empty() && hi.is_empty()) => {
            let lo = if lo.is_empty() { "0" } else { lo };
            format!("{{{lo},{hi}}}")
        }
        _ => return None,
    };
    let lazy = chars.get(end + 1) == Some(&'?');
    Some((
        if lazy { format!("{text}?") } else { text },
        end + 1 + usize::from(lazy),
    ))
}

/// The lines of a file as Python iterates a binary file: each ends after
/// its `\n`; a last line without one counts.
fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split_inclusive(|b| *b == b'\n')
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|b| *b != b'\r' && *b != b'\n')
        .map_or(0, |p| p + 1);
    &line[..end]
}

/// Search every file of the context.
pub(super) fn run(ctx: &super::Context, regex: &Regex, multiline: bool, negate: bool) -> Outcome {
    per_file(&ctx.dir, &ctx.files, |shown, path| {
        let data = match super::parallel::read_file(path) {
            Ok(d) => d,
            Err(e) => return FileReport::io_error(shown, "read it", &e),
        };
        let mut report = FileReport::default();
        match (multiline, negate) {
            (false, false) => {
                for (n, line) in lines(&data).enumerate() {
                    if regex.is_match(line) {
                        report.failed = true;
                        report.stdout.push_str(&format!(
                            "{shown}:{}:{}\n",
                            n + 1,
                            String::from_utf8_lossy(trim_eol(line))
                        ));
                    }
                }
            }
            (true, false) => {
                if let Some(m) = regex.find(&data) {
                    report.failed = true;
                    let line_no = data[..m.start()].iter().filter(|b| **b == b'\n').count();
                    let first = data.split(|b| *b == b'\n').nth(line_no).unwrap_or(b"");
                    let mut text: Vec<u8> = Vec::new();
                    for (k, part) in m.as_bytes().split(|b| *b == b'\n').enumerate() {
                        if k > 0 {
                            text.push(b'\n');
                            text.extend_from_slice(part);
                        } else {
                            text.extend_from_slice(first);
                        }
                    }
                    report.stdout.push_str(&format!(
                        "{shown}:{}:{}\n",
                        line_no + 1,
                        String::from_utf8_lossy(&text)
                    ));
                }
            }
            (false, true) => {
                if !lines(&data).any(|line| regex.is_match(line)) {
                    report.failed = true;
                    report.stdout.push_str(&format!("{shown}\n"));
                }
            }
            (true, true) => {
                if !regex.is_match(&data) {
                    report.failed = true;
                    report.stdout.push_str(&format!("{shown}\n"));
                }
            }
        }
        report
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(p: &str) -> Regex {
        compile(p, false, false).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    #[test]
    fn python_bytes_semantics() {
        // `$` also before a final newline, as Python's.
        assert!(re(r"a$").is_match(b"xa\n"));
        assert!(!re(r"a$").is_match(b"xa\nb"));
        assert!(!re(r"a\Z").is_match(b"xa\n"));
        // ASCII classes and boundaries.
        assert!(!re(r"\w").is_match("é".as_bytes()));
        assert!(re(r"\beval\(").is_match(b"x = eval(1)"));
        assert!(!re(r"\beval\(").is_match(b"literal_eval(1)"));
        // A non-ASCII character is its bytes; a repeat takes the last one.
        assert!(re("\u{FFFD}").is_match("a\u{FFFD}".as_bytes()));
        assert!(re("é+").is_match(b"\xc3\xa9\xa9"));
        // `{` that starts no repeat is literal; `{,n}` is a repeat.
        assert!(re(r"a{x").is_match(b"a{x"));
        assert!(re(r"^a{,2}$").is_match(b"aa"));
        assert!(!re(r"^a{,2}$").is_match(b"aaa"));
        // Rust-only class syntax is literal, as in Python.
        assert!(re(r"[[:a]").is_match(b":"));
        assert!(re(r"[a&&b]").is_match(b"&"));
        assert!(re(r"(?i)NOQA").is_match(b"# noqa"));
        assert!(re(r"\x41\101\0").is_match(b"AA\0"));
    }

    #[test]
    fn multiline_is_multiline_and_dotall() {
        let r = compile(r"^b$.c", false, true).unwrap();
        assert!(r.is_match(b"a\nb\nc"));
        assert!(compile(r"(?m)a$", false, false).unwrap().is_match(b"a\nb"));
    }

    #[test]
    fn what_needs_backtracking_is_refused_by_name() {
        for (p, what) in [
            ("# noqa(?!: )", "look-ahead"),
            ("(?<!warnings)\\.warn\\(", "look-behind"),
            ("(a)\\1", "backreference"),
            ("(?P<x>a)(?P=x)", "named backreference"),
            ("(?>a)", "atomic"),
            ("a*+", "possessive"),
            ("(?x) a", "verbose"),
            ("a$b", "`$` followed"),
            ("[a--b]", "`--`"),
        ] {
            let err = compile(p, false, false).unwrap_err();
            assert!(err.contains(what), "{p}: {err}");
        }
        assert!(
            compile("\\q", false, false)
                .unwrap_err()
                .contains("bad escape")
        );
        assert!(
            compile("a(", false, false)
                .unwrap_err()
                .contains("does not compile")
        );
    }
}
