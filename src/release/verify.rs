//! Every check on a local file, in one function shared by `release
//! install` (after download, or on a cache hit) and `release verify`
//! (offline): the SHA-256 against the manifest, then the Sigstore bundle.
//!
//! The rules, fail closed:
//! - a manifest that is given must parse, must not conflict, and must list
//!   the file with the file's digest. A missing manifest or entry is an
//!   error unless unsigned installs were explicitly allowed;
//! - a bundle that is given must verify, always; a missing bundle is an
//!   error only when Sigstore is required.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::manifest::{Manifest, ManifestError};
use super::sigstore::{IdentityPolicy, SigstoreError, SigstoreVerifier, Verified};
use super::{ReleaseError, Result};

/// What to check.
pub struct Checks<'a> {
    /// The file's name as the manifest lists it.
    pub name: &'a str,
    /// The manifest's label and text, if there is one.
    pub manifest: Option<(&'a str, &'a str)>,
    /// The bundle file, if there is one.
    pub bundle: Option<&'a Path>,
    /// Required when `bundle` is set.
    pub sigstore: Option<(&'a SigstoreVerifier, &'a IdentityPolicy)>,
    /// A missing manifest or manifest entry is only a warning.
    pub allow_unsigned: bool,
    /// A missing bundle is an error.
    pub require_sigstore: bool,
}

/// The manifest line that vouched for the file.
#[derive(Debug, Clone, Serialize)]
pub struct ChecksumEvidence {
    pub manifest: String,
    pub line: usize,
}

/// What was proven about the file.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub file: PathBuf,
    pub sha256: String,
    pub checksum: Option<ChecksumEvidence>,
    pub sigstore: Option<Verified>,
    /// Things that were allowed but are worth saying (no manifest with
    /// --allow-unsigned, no bundle).
    pub warnings: Vec<String>,
}

/// The parsed manifest's entry digest for `name`, when the manifest is
/// usable; errors as [`check`] would report them.
pub fn expected_digest(
    name: &str,
    manifest: Option<(&str, &str)>,
) -> Result<Option<(String, usize)>> {
    let Some((label, text)) = manifest else {
        return Ok(None);
    };
    let parsed = Manifest::parse(label, text)?;
    match parsed.lookup(name) {
        Ok(entry) => Ok(Some((entry.sha256.clone(), entry.line))),
        Err(ManifestError::Missing { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Run every check on `file`, whose SHA-256 is `sha256`.
pub fn check(file: &Path, sha256: &str, checks: &Checks<'_>) -> Result<Report> {
    let mut report = Report {
        file: file.to_path_buf(),
        sha256: sha256.to_string(),
        checksum: None,
        sigstore: None,
        warnings: Vec::new(),
    };
    match checks.manifest {
        Some((label, text)) => {
            let manifest = Manifest::parse(label, text)?;
            match manifest.lookup(checks.name) {
                Ok(entry) if entry.sha256 == sha256 => {
                    report.checksum = Some(ChecksumEvidence {
                        manifest: label.to_string(),
                        line: entry.line,
                    });
                }
                Ok(entry) => {
                    return Err(ReleaseError::DigestMismatch {
                        what: format!("{} (per {} line {})", checks.name, label, entry.line),
                        expected: entry.sha256.clone(),
                        actual: sha256.to_string(),
                    });
                }
                Err(ManifestError::Missing { .. }) if checks.allow_unsigned => {
                    report.warnings.push(format!(
                        "{label} does not list {:?}; installing without a checksum (--allow-unsigned)",
                        checks.name
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
        None if checks.allow_unsigned => report.warnings.push(format!(
            "no SHA-256 manifest for {:?}; installing without a checksum (--allow-unsigned)",
            checks.name
        )),
        None => {
            return Err(ReleaseError::Release {
                message: format!("no SHA-256 manifest for {:?}", checks.name),
                hint: Some(
                    "the release must publish SHA256SUMS or <asset>.sha256 (see --manifest-pattern); --allow-unsigned skips this check"
                        .to_string(),
                ),
            });
        }
    }
    match (checks.bundle, checks.sigstore) {
        (Some(bundle), Some((verifier, policy))) => {
            report.sigstore = Some(verifier.verify_files(file, bundle, policy)?);
        }
        (Some(_), None) => {
            return Err(ReleaseError::Install(
                "internal: a bundle without a verifier".to_string(),
            ));
        }
        (None, _) if checks.require_sigstore => {
            return Err(SigstoreError::Missing {
                asset: checks.name.to_string(),
            }
            .into());
        }
        (None, _) => report.warnings.push(format!(
            "no Sigstore bundle for {:?}; verified by checksum only",
            checks.name
        )),
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    fn checks<'a>(manifest: Option<(&'a str, &'a str)>, allow_unsigned: bool) -> Checks<'a> {
        Checks {
            name: "hello.txt",
            manifest,
            bundle: None,
            sigstore: None,
            allow_unsigned,
            require_sigstore: false,
        }
    }

    #[test]
    fn manifest_rules() {
        let good = format!("{DIGEST}  hello.txt\n");
        let file = Path::new("hello.txt");
        let report = check(file, DIGEST, &checks(Some(("SHA256SUMS", &good)), false)).unwrap();
        assert_eq!(report.checksum.unwrap().line, 1);
        assert_eq!(report.warnings.len(), 1, "no bundle is worth a warning");

        let bad = format!("{}  hello.txt\n", "0".repeat(64));
        let err = check(file, DIGEST, &checks(Some(("SHA256SUMS", &bad)), true)).unwrap_err();
        assert!(
            matches!(err, ReleaseError::DigestMismatch { .. }),
            "a mismatch always fails"
        );

        let other = format!("{DIGEST}  other\n");
        assert!(check(file, DIGEST, &checks(Some(("S", &other)), false)).is_err());
        assert!(check(file, DIGEST, &checks(Some(("S", &other)), true)).is_ok());
        assert!(check(file, DIGEST, &checks(None, false)).is_err());
        assert!(check(file, DIGEST, &checks(None, true)).is_ok());

        let mut require = checks(Some(("S", &good)), false);
        require.require_sigstore = true;
        assert!(matches!(
            check(file, DIGEST, &require),
            Err(ReleaseError::Sigstore(SigstoreError::Missing { .. }))
        ));
    }

    #[test]
    fn expected_digest_reads_the_entry() {
        let text = format!("{DIGEST}  hello.txt\n");
        assert_eq!(
            expected_digest("hello.txt", Some(("S", &text))).unwrap(),
            Some((DIGEST.to_string(), 1))
        );
        assert_eq!(expected_digest("x", Some(("S", &text))).unwrap(), None);
        assert!(expected_digest("x", Some(("S", "junk\n"))).is_err());
    }
}
