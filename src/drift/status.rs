//! The verdict for one tool: OK, Drift, Missing or Error.
//!
//! The rules (from the seeds, made precise with PEP 440):
//! - a pin (`X.Y.Z`, `==X.Y.Z`) is OK when the installed major.minor equal
//!   the pinned major.minor (patch, pre-release, post and local parts are
//!   ignored; a one-part pin `X` compares the major only);
//! - a range (`>=`, `~=`, `!=`, `==X.*`, `<`, combined) is OK when the
//!   installed version satisfies it, with PEP 440's rules: an installed
//!   pre-release is accepted (it is "already present on the system"), local
//!   labels are ignored unless the specifier has one, and `<V` excludes
//!   pre-releases of `V` itself;
//! - a Rust channel is OK when the installed toolchain is from it (`-beta`
//!   and `-nightly` in rustc's version mark those channels);
//! - not installed is Missing; a probe that timed out or printed no
//!   version is Error. Anything but OK fails the check.

use pep440_rs::Version;
use serde::Serialize;

use super::declared::{Expectation, RustChannel};
use super::probe::Found;

/// A tool's status, as shown in the Status column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Drift,
    Missing,
    Error,
}

impl Status {
    /// The Status column text.
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Drift => "Drift",
            Status::Missing => "Missing",
            Status::Error => "Error",
        }
    }
}

/// Whether `found` meets `expected`.
pub fn satisfies(expected: &Expectation, found: &Found) -> bool {
    match expected {
        Expectation::Any => true,
        Expectation::Pin(pin) => same_major_minor(pin, &found.version),
        Expectation::Range(specs) => specs.contains(&found.version),
        Expectation::Channel(channel) => channel_of(&found.word) == *channel,
    }
}

/// Epoch and the first two release parts (or one, for a one-part pin)
/// are equal; missing parts count as 0 (`1.18` is `1.18.0`).
fn same_major_minor(pin: &Version, installed: &Version) -> bool {
    let n = pin.release().len().min(2);
    pin.epoch() == installed.epoch()
        && (0..n).all(|i| {
            pin.release().get(i).copied().unwrap_or(0)
                == installed.release().get(i).copied().unwrap_or(0)
        })
}

/// The channel of a rustc/cargo version word (`1.97.0-nightly`).
fn channel_of(word: &str) -> RustChannel {
    if word.contains("-nightly") || word.contains("-dev") {
        RustChannel::Nightly
    } else if word.contains("-beta") {
        RustChannel::Beta
    } else {
        RustChannel::Stable
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::drift::declared::{parse_expectation, parse_rust_channel};

    fn found(text: &str) -> Found {
        crate::drift::probe::find_version(text, None).unwrap_or_else(|| Found {
            version: Version::from_str(text).unwrap(),
            text: text.to_string(),
            word: text.to_string(),
        })
    }

    fn ok(expected: &str, installed: &str) -> bool {
        satisfies(&parse_expectation(expected).unwrap(), &found(installed))
    }

    #[test]
    fn pins_ignore_the_patch_only() {
        assert!(ok("0.14.0", "0.14.5"));
        assert!(ok("==0.14.0", "0.14.5"));
        assert!(!ok("25.9.0", "25.8.0"));
        assert!(!ok("25.9.0", "26.9.0"));
        assert!(!ok("1.18.2", "1.19.0"));
        assert!(ok("1.18", "1.18.7"));
        assert!(ok("2", "2.9.1"));
        assert!(!ok("2", "3.0.0"));
        // Pre-release, post and local parts of the installed version are
        // beyond major.minor.
        assert!(ok("1.18.2", "1.18.0rc1"));
        assert!(ok("1.18.2", "1.18.2.post1"));
        assert!(ok("1.18.2", "1.18.2+local.7"));
        // Epochs must match.
        assert!(!ok("1.18.2", "1!1.18.2"));
    }

    #[test]
    fn ranges_follow_pep_440() {
        // Newer than the minimum is fine (the old toolkit called it drift).
        assert!(ok(">=0.14.0", "0.15.2"));
        assert!(!ok(">=0.14.0", "0.13.9"));
        assert!(ok(">=1.18,<2", "1.19.0"));
        assert!(!ok(">=1.18,<2", "2.0.0"));
        // Compatible release.
        assert!(ok("~=1.18.2", "1.18.9"));
        assert!(!ok("~=1.18.2", "1.19.0"));
        assert!(ok("~=1.18", "1.99"));
        assert!(!ok("~=1.18", "2.0"));
        // Prefix match.
        assert!(ok("==1.*", "1.0.0"));
        assert!(ok("==1.*", "1.99.3"));
        assert!(!ok("==1.*", "2.0.0"));
        assert!(ok("==1.18.*", "1.18.0rc1"));
        // Exclusion.
        assert!(!ok("!=1.18.1", "1.18.1"));
        assert!(ok("!=1.18.1", "1.18.2"));
        assert!(ok(">=1.0,!=1.18.*", "1.17.0"));
        assert!(!ok(">=1.0,!=1.18.*", "1.18.4"));
        // An installed pre-release is accepted by a range it falls in ...
        assert!(ok(">=1.18", "1.19.0rc1"));
        assert!(ok(">=1.18", "1.19.0.dev3"));
        // ... but `<2` does not admit a pre-release of 2 itself.
        assert!(!ok(">=1.18,<2", "2.0.0a1"));
        // Local labels are ignored by a specifier without one.
        assert!(ok("==2.1.0", "2.1.0+cu121"));
        assert!(ok(">=2.1,<2.2", "2.1.0+cu121"));
        assert!(ok(">2.0", "2.1.0+cu121"));
        // Any.
        assert!(ok("*", "0.0.1"));
    }

    #[test]
    fn rust_channels_and_pins() {
        let stable = parse_rust_channel("stable").unwrap();
        let nightly = parse_rust_channel("nightly-2026-05-01").unwrap();
        let pin = parse_rust_channel("1.95.0").unwrap();
        let release = found("rustc 1.95.3 (59807616e 2026-04-14)");
        let night = found("rustc 1.97.0-nightly (abc 2026-05-01)");
        assert!(satisfies(&stable, &release));
        assert!(!satisfies(&stable, &night));
        assert!(satisfies(&nightly, &night));
        assert!(satisfies(&pin, &release));
        assert!(!satisfies(&pin, &night));
    }
}
