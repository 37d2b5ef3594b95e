//! Version declarations, shared by the configuration (which validates
//! `[drift.tools]` while parsing, so errors carry the file's line) and by
//! drift (which judges installed versions against them): what a declared
//! version means ([`Expectation`]: a pin, a PEP 440 specifier set, a Rust
//! channel or "any"), the probe-output pattern a user may supply, and
//! PEP 503 name normalisation.
//!
//! A leaf: it imports nothing from the rest of the crate, so `config` and
//! `drift` can both depend on it without depending on each other.

use std::str::FromStr;

use pep440_rs::{Operator, Version, VersionSpecifiers};
use pep508_rs::PackageName;
use regex::Regex;

/// What counts as the right version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    /// Any installed version will do (`*`, a bare requirement, a URL).
    Any,
    /// `X.Y.Z` or `==X.Y.Z`: OK when major.minor match (patch ignored).
    Pin(Version),
    /// Any other PEP 440 specifier set: OK when the installed version
    /// satisfies it.
    Range(VersionSpecifiers),
    /// A Rust release channel (`stable`, `beta`, `nightly[-DATE]`): OK when
    /// the installed toolchain is from that channel.
    Channel(RustChannel),
}

/// A named Rust release channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RustChannel {
    Stable,
    Beta,
    Nightly,
}

impl RustChannel {
    pub fn name(self) -> &'static str {
        match self {
            RustChannel::Stable => "stable",
            RustChannel::Beta => "beta",
            RustChannel::Nightly => "nightly",
        }
    }
}

impl Expectation {
    /// The Expected column: a pin as its version, a range as its
    /// specifiers, `any`, or the channel text.
    pub fn display(&self) -> String {
        match self {
            Expectation::Any => "any".to_string(),
            Expectation::Pin(v) => v.to_string(),
            Expectation::Range(specs) => specs
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(","),
            Expectation::Channel(c) => c.name().to_string(),
        }
    }

    /// `pin`, `range`, `any` or `channel` (the JSON `expected_kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            Expectation::Any => "any",
            Expectation::Pin(_) => "pin",
            Expectation::Range(_) => "range",
            Expectation::Channel(_) => "channel",
        }
    }
}

/// Parse a declared version: `*` (any), a bare version or `==version` (a
/// pin), or any other PEP 440 specifier set (a range).
pub fn parse_expectation(text: &str) -> Result<Expectation, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("the version is empty (use \"*\" for any version)".to_string());
    }
    if t == "*" {
        return Ok(Expectation::Any);
    }
    if t.starts_with(|c: char| c.is_ascii_digit() || c == 'v' || c == 'V') {
        return Version::from_str(t)
            .map(Expectation::Pin)
            .map_err(|e| format!("invalid version {t:?}: {e}"));
    }
    let specs =
        VersionSpecifiers::from_str(t).map_err(|e| format!("invalid version specifier: {e}"))?;
    Ok(from_specifiers(specs))
}

/// A single `==X.Y.Z` is a pin; everything else a range; nothing is any.
pub fn from_specifiers(specs: VersionSpecifiers) -> Expectation {
    if specs.is_empty() {
        return Expectation::Any;
    }
    if specs.len() == 1 && *specs[0].operator() == Operator::Equal {
        return Expectation::Pin(specs[0].version().clone());
    }
    Expectation::Range(specs)
}

/// Parse a `rust-toolchain.toml` channel: a version (`1.95.0`, `1.95`) is a
/// pin, `stable`/`beta`/`nightly` (with an optional `-DATE` or host
/// suffix) a channel.
pub fn parse_rust_channel(text: &str) -> Result<Expectation, String> {
    let t = text.trim();
    for channel in [RustChannel::Stable, RustChannel::Beta, RustChannel::Nightly] {
        if t == channel.name() || t.starts_with(&format!("{}-", channel.name())) {
            return Ok(Expectation::Channel(channel));
        }
    }
    // `1.95.0-x86_64-unknown-linux-gnu`: the version is before the host.
    let version = t.split('-').next().unwrap_or(t);
    if version.split('.').count() >= 2 && version.split('.').all(|p| p.parse::<u64>().is_ok()) {
        return Version::from_str(version)
            .map(Expectation::Pin)
            .map_err(|e| format!("invalid toolchain version {t:?}: {e}"));
    }
    Err(format!(
        "unknown toolchain channel {t:?} (expected a version like \"1.95.0\", or stable, beta, nightly)"
    ))
}

/// Normalise a distribution name per PEP 503 (`Pip_Audit` → `pip-audit`).
pub fn normalize_name(name: &str) -> Result<String, String> {
    PackageName::from_str(name.trim())
        .map(|n| n.to_string())
        .map_err(|e| format!("invalid tool name {name:?}: {e}"))
}

/// Compile a user's `pattern`: a regex with at least one capture group.
pub fn compile_pattern(pattern: &str) -> Result<Regex, String> {
    let re = Regex::new(pattern).map_err(|e| format!("invalid pattern: {e}"))?;
    if re.captures_len() < 2 {
        return Err(format!(
            "the pattern `{pattern}` needs a capture group around the version, like `version (\\S+)`"
        ));
    }
    Ok(re)
}

/// PEP 503 normalisation without validation (`Foo_Bar.baz` → `foo-bar-baz`),
/// for names read from directory listings, which are compared, not
/// reported.
pub fn normalize_loose(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_ranges_and_any() {
        assert!(matches!(
            parse_expectation("0.14.0"),
            Ok(Expectation::Pin(_))
        ));
        assert!(matches!(
            parse_expectation("==0.14.0"),
            Ok(Expectation::Pin(_))
        ));
        assert!(matches!(
            parse_expectation(">=1.18,<2"),
            Ok(Expectation::Range(_))
        ));
        assert!(matches!(
            parse_expectation("==1.*"),
            Ok(Expectation::Range(_))
        ));
        assert!(matches!(
            parse_expectation("~=1.18"),
            Ok(Expectation::Range(_))
        ));
        assert_eq!(parse_expectation("*"), Ok(Expectation::Any));
        assert!(parse_expectation(">=banana").is_err());
        assert!(parse_expectation("").is_err());
        assert!(parse_expectation("~=1").is_err());
    }

    #[test]
    fn rust_channels() {
        assert_eq!(
            parse_rust_channel("stable"),
            Ok(Expectation::Channel(RustChannel::Stable))
        );
        assert_eq!(
            parse_rust_channel("nightly-2026-01-01"),
            Ok(Expectation::Channel(RustChannel::Nightly))
        );
        assert!(matches!(
            parse_rust_channel("1.95.0"),
            Ok(Expectation::Pin(_))
        ));
        assert!(matches!(
            parse_rust_channel("1.95"),
            Ok(Expectation::Pin(_))
        ));
        assert!(matches!(
            parse_rust_channel("1.95.0-x86_64-unknown-linux-gnu"),
            Ok(Expectation::Pin(_))
        ));
        assert!(parse_rust_channel("my-toolchain").is_err());
    }

    #[test]
    fn names_normalise_per_pep_503() {
        assert_eq!(normalize_name("Pip_Audit").unwrap(), "pip-audit");
        assert!(normalize_name("not a name").is_err());
        assert_eq!(normalize_loose("Foo__Bar.baz"), "foo-bar-baz");
        assert_eq!(normalize_loose("typing_extensions"), "typing-extensions");
    }

    #[test]
    fn patterns_need_a_group() {
        assert!(compile_pattern(r"version: (\S+)").is_ok());
        assert!(compile_pattern("no group").is_err());
        assert!(compile_pattern("(unclosed").is_err());
    }
}
