//! Asset names come from the server, so they are untrusted input. Before any
//! path is built from one, [`safe_file_name`] checks that it is a single,
//! ordinary file name: no separators, no `.`/`..`, no leading dot (hidden
//! files, `..foo` tricks), no NUL or control characters, not too long.
//! Unsafe names are refused rather than rewritten, so two different server
//! names can never collapse onto one local file.

use super::{ReleaseError, Result};

/// Longest name accepted (bytes); common file systems stop at 255.
const MAX_NAME: usize = 255;

/// Check that `name` can be used as a file name inside a directory we own;
/// returns it unchanged.
pub fn safe_file_name(name: &str) -> Result<&str> {
    let refuse = |why: &str| {
        Err(ReleaseError::UnsafePath(format!(
            "refusing asset name {}: {why}",
            escape(name)
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

/// `name` with control characters escaped, for messages.
pub fn escape(name: &str) -> String {
    format!("{name:?}")
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
        ] {
            assert!(safe_file_name(name).is_err(), "{name:?} must be refused");
        }
        assert!(safe_file_name(&"a".repeat(256)).is_err());
    }
}
