//! Asset names come from the server, so they are untrusted input. Before any
//! path is built from one, [`safe_file_name`] checks that it is a single,
//! ordinary file name: no separators, no `.`/`..`, no leading dot (hidden
//! files, `..foo` tricks), no NUL or control characters, not too long.
//! Unsafe names are refused rather than rewritten, so two different server
//! names can never collapse onto one local file.
//!
//! Everything the server controls (asset and member names, tags, URLs,
//! signer identities) is shown through [`quoted`] or [`escaped`], which
//! escape control characters and the invisible ones that reorder or hide
//! text (right-to-left override, zero-width space, byte-order mark), so a
//! name cannot make a message say something other than what it is.

use super::{ReleaseError, Result};

/// Longest name accepted (bytes); common file systems stop at 255.
const MAX_NAME: usize = 255;

/// Check that `name` can be used as a file name inside a directory we own;
/// returns it unchanged.
pub fn safe_file_name(name: &str) -> Result<&str> {
    let refuse = |why: &str| {
        Err(ReleaseError::UnsafePath(format!(
            "refusing asset name {}: {why}",
            quoted(name)
        )))
    };
    if name.is_empty() {
        return refuse("it is empty");
    }
    if name.len() > MAX_NAME {
        return refuse("it is longer than 255 bytes");
    }
    if name.contains('/') || name.contains('\\') {
        return refuse("it contains a path separator");
    }
    if name.contains('\0') {
        return refuse("it contains a NUL byte");
    }
    if name.chars().any(char::is_control) {
        return refuse("it contains a control character");
    }
    if name.chars().any(is_invisible) {
        return refuse("it contains an invisible or text-direction character");
    }
    if name.starts_with('.') {
        return refuse("it starts with a dot");
    }
    if name.contains("..") {
        return refuse("it contains '..'");
    }
    if name.ends_with(' ') || name.ends_with('.') {
        return refuse("it ends with a space or a dot");
    }
    Ok(name)
}

/// `text` in double quotes with control, invisible and text-direction
/// characters escaped (`"a\u{202e}b"`), for names in messages.
pub fn quoted(text: &str) -> String {
    format!("\"{}\"", escaped(text).replace('"', "\\\""))
}

/// `text` with control, invisible and text-direction characters escaped
/// as `\u{…}` (and `\` doubled), unquoted: for URLs, tags and identities.
pub fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_invisible(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// Characters that draw nothing or reorder the text around them: the
/// Unicode bidirectional controls, zero-width and joiner characters, the
/// byte-order mark, soft hyphen, line/paragraph separators and tags.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{34f}'
            | '\u{61c}'
            | '\u{115f}'
            | '\u{1160}'
            | '\u{17b4}'
            | '\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff0}'..='\u{fffb}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e0fff}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_pass() {
        for name in [
            "hephaestus-x86_64-unknown-linux-gnu.tar.gz",
            "SHA256SUMS",
            "tool_1.2.3_linux_amd64.zip",
            "a.txt.sigstore.json",
        ] {
            assert_eq!(safe_file_name(name).unwrap(), name);
        }
    }

    #[test]
    fn dangerous_names_are_refused() {
        for name in [
            "",
            "../../x",
            "..",
            ".",
            "a/b",
            "a\\b",
            "x\0y",
            ".bashrc",
            "..hidden",
            "a..b",
            "tab\there",
            "trailing.",
            "trailing ",
            "/etc/passwd",
            "tool\u{202e}zg.rat",
            "a\u{200b}b",
        ] {
            assert!(safe_file_name(name).is_err(), "{name:?} must be refused");
        }
        assert!(safe_file_name(&"a".repeat(256)).is_err());
    }

    #[test]
    fn hostile_characters_are_escaped_when_shown() {
        assert_eq!(quoted("tool\u{202e}zg.rat"), "\"tool\\u{202e}zg.rat\"");
        assert_eq!(
            escaped("a\u{200b}b\nc\x1b[31m"),
            "a\\u{200b}b\\nc\\u{1b}[31m"
        );
        assert_eq!(quoted("say \"hi\""), "\"say \\\"hi\\\"\"");
        assert_eq!(escaped("plain-ascii_1.0 ü"), "plain-ascii_1.0 ü");
        assert_eq!(escaped("back\\slash"), "back\\\\slash");
    }
}
