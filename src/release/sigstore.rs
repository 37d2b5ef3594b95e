//! Sigstore bundle verification: real cryptography against a trusted root,
//! offline. The heavy lifting is `sigstore-verify` (certificate chain to
//! Fulcio at the signed time, SCT, signature over the artifact or DSSE
//! envelope, Merkle inclusion proof, signed checkpoint, SET, log-entry
//! consistency); checked against every case of the Sigstore conformance
//! corpus in `tests/data/sigstore`. On top of it this module adds what the
//! library leaves to the caller or does not check:
//!
//! - a bundle must carry at least one transparency-log entry, and every
//!   entry must have an inclusion proof (no "promise only" bundles);
//! - the certificate chain shipped in the bundle must not contain a
//!   self-signed (root) certificate: roots come only from the trusted root;
//! - the identity policy: the certificate SAN must match one of several
//!   exact values or globs, and the OIDC issuer must match exactly;
//! - the library's own evidence flags (chain, SCT, log) must all be set.
//!
//! The public-good trusted root is embedded in the binary
//! (`trusted_root.json`, sigstore-python's snapshot of the TUF target);
//! `--trusted-root FILE` replaces it.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};
use sigstore_verify::trust_root::TrustedRoot;
use sigstore_verify::types::bundle::VerificationMaterialContent;
use sigstore_verify::types::{Bundle, MediaType};
use sigstore_verify::{VerificationPolicy, Verifier};

/// The Sigstore public-good (production) trusted root.
pub const PRODUCTION_TRUSTED_ROOT: &str = include_str!("trusted_root.json");

/// Bundles larger than this are refused unread (a real one is a few KiB).
const MAX_BUNDLE_BYTES: u64 = 16 * 1024 * 1024;

/// GitHub Actions' OIDC issuer.
pub const GITHUB_ACTIONS_ISSUER: &str = "https://token.actions.githubusercontent.com";

#[derive(Debug, thiserror::Error)]
pub enum SigstoreError {
    #[error("Sigstore bundle required (--require-sigstore) but the release has none for {asset}")]
    Missing { asset: String },
    #[error("cannot use trusted root {}: {message}", path.display())]
    TrustedRoot { path: PathBuf, message: String },
    #[error("{bundle}: not a valid Sigstore bundle: {message}")]
    Parse { bundle: String, message: String },
    #[error("{bundle}: Sigstore verification failed: {message}")]
    Verify { bundle: String, message: String },
    #[error(
        "{bundle}: signed by {}, which matches no trusted identity ({})",
        super::sanitize::quoted(actual),
        expected.join(", ")
    )]
    Identity {
        bundle: String,
        actual: String,
        expected: Vec<String>,
    },
    #[error(
        "{bundle}: certificate issuer is {}, expected {}",
        super::sanitize::quoted(actual),
        super::sanitize::quoted(expected)
    )]
    Issuer {
        bundle: String,
        actual: String,
        expected: String,
    },
    #[error("invalid --sigstore-identity {pattern:?}: {message}")]
    Pattern { pattern: String, message: String },
}

impl SigstoreError {
    pub(crate) fn hint(&self) -> Option<String> {
        match self {
            SigstoreError::Missing { .. } => Some(
                "publish <asset>.sigstore.json, point --sigstore-pattern at the bundle, or drop --require-sigstore"
                    .to_string(),
            ),
            SigstoreError::Identity { .. } | SigstoreError::Issuer { .. } => Some(
                "the signature is valid but was made by someone you did not trust; check --sigstore-identity and --sigstore-issuer"
                    .to_string(),
            ),
            SigstoreError::Verify { .. } => {
                Some("do not install this file: its signature does not verify".to_string())
            }
            _ => None,
        }
    }
}

/// Load the trusted root: `path` if given, else the embedded public-good root.
pub fn load_trusted_root(path: Option<&Path>) -> Result<TrustedRoot, SigstoreError> {
    super::crypto::install();
    let (label, text) = match path {
        Some(p) => (
            p.to_path_buf(),
            std::fs::read_to_string(p).map_err(|e| SigstoreError::TrustedRoot {
                path: p.to_path_buf(),
                message: e.to_string(),
            })?,
        ),
        None => (
            PathBuf::from("<embedded public-good root>"),
            PRODUCTION_TRUSTED_ROOT.to_string(),
        ),
    };
    TrustedRoot::from_json(&text).map_err(|e| SigstoreError::TrustedRoot {
        path: label,
        message: e.to_string(),
    })
}

/// One accepted signer identity: an exact SAN, or a glob where `*` matches
/// any run of characters (including `/`), `?` one character.
#[derive(Debug, Clone)]
pub enum IdentityPattern {
    Exact(String),
    Glob(String, GlobMatcher),
}

impl IdentityPattern {
    /// A pattern is a glob when it contains `*`, `?`, `[` or `{`.
    pub fn parse(pattern: &str) -> Result<Self, SigstoreError> {
        if pattern.is_empty() {
            return Err(SigstoreError::Pattern {
                pattern: pattern.to_string(),
                message: "empty identity".to_string(),
            });
        }
        if pattern.contains(['*', '?', '[', '{']) {
            let glob = Glob::new(pattern).map_err(|e| SigstoreError::Pattern {
                pattern: pattern.to_string(),
                message: e.kind().to_string(),
            })?;
            Ok(Self::Glob(pattern.to_string(), glob.compile_matcher()))
        } else {
            Ok(Self::Exact(pattern.to_string()))
        }
    }

    pub fn matches(&self, san: &str) -> bool {
        match self {
            Self::Exact(e) => e == san,
            Self::Glob(_, m) => m.is_match(san),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Exact(s) | Self::Glob(s, _) => s,
        }
    }
}

/// Who may have signed: any of `identities` (at least one), from `issuer`.
#[derive(Debug, Clone)]
pub struct IdentityPolicy {
    pub identities: Vec<IdentityPattern>,
    pub issuer: String,
}

impl IdentityPolicy {
    pub fn new(identities: &[String], issuer: &str) -> Result<Self, SigstoreError> {
        let identities = identities
            .iter()
            .map(|p| IdentityPattern::parse(p))
            .collect::<Result<Vec<_>, _>>()?;
        if identities.is_empty() {
            return Err(SigstoreError::Pattern {
                pattern: String::new(),
                message: "at least one identity is required".to_string(),
            });
        }
        Ok(Self {
            identities,
            issuer: issuer.to_string(),
        })
    }

    /// The default for a GitHub repository: its release workflow
    /// (`.github/workflows/release.yml`, or `.yaml`) run for a tag, as
    /// GitHub Actions' OIDC issuer vouches:
    /// `https://github.com/OWNER/REPO/.github/workflows/release.yml@refs/tags/*`.
    /// Another workflow of the repository, or the release workflow run on a
    /// branch or a pull request, does not match.
    pub fn github_actions(repository: &str) -> Self {
        let identities = ["release.yml", "release.yaml"]
            .iter()
            .map(|file| {
                let pattern =
                    format!("https://github.com/{repository}/.github/workflows/{file}@refs/tags/*");
                // The repository was validated as OWNER/REPO (no glob
                // characters), so this glob always compiles.
                IdentityPattern::parse(&pattern).unwrap_or(IdentityPattern::Exact(pattern))
            })
            .collect();
        Self {
            identities,
            issuer: GITHUB_ACTIONS_ISSUER.to_string(),
        }
    }
}

/// What a successful verification proved.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Verified {
    /// The certificate SAN (URI or email).
    pub identity: String,
    /// The OIDC issuer in the certificate.
    pub issuer: String,
    /// The bundle media type version (`0.1`, `0.2`, `0.3`).
    pub bundle_version: &'static str,
    /// The log-integrated time proven by the SET (RFC 3339), if any.
    pub integrated_time: Option<String>,
    /// Whether the bundle carried a DSSE envelope (attestation) rather than
    /// a plain message signature.
    pub dsse: bool,
}

/// Verifies bundles against one trusted root (parsed once).
pub struct SigstoreVerifier {
    verifier: Verifier,
}

impl SigstoreVerifier {
    pub fn new(root: &TrustedRoot, label: &Path) -> Result<Self, SigstoreError> {
        super::crypto::install();
        let verifier = Verifier::new(root).map_err(|e| SigstoreError::TrustedRoot {
            path: label.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(Self { verifier })
    }

    /// Verify the bundle file `bundle_path` over the file `artifact`.
    pub fn verify_files(
        &self,
        artifact: &Path,
        bundle_path: &Path,
        policy: &IdentityPolicy,
    ) -> Result<Verified, SigstoreError> {
        let label = bundle_path.display().to_string();
        let json = read_bundle(bundle_path).map_err(|message| SigstoreError::Parse {
            bundle: label.clone(),
            message,
        })?;
        let file = std::fs::File::open(artifact).map_err(|e| SigstoreError::Verify {
            bundle: label.clone(),
            message: format!("cannot read {}: {e}", artifact.display()),
        })?;
        self.verify(std::io::BufReader::new(file), &json, &label, policy)
    }

    /// Verify the bundle text `json` (called `label` in messages) over the
    /// bytes `artifact` yields.
    pub fn verify(
        &self,
        artifact: impl std::io::Read,
        json: &str,
        label: &str,
        policy: &IdentityPolicy,
    ) -> Result<Verified, SigstoreError> {
        let fail = |message: String| SigstoreError::Verify {
            bundle: label.to_string(),
            message,
        };
        let bundle = Bundle::from_json(json).map_err(|e| SigstoreError::Parse {
            bundle: label.to_string(),
            message: e.to_string(),
        })?;
        check_structure(&bundle).map_err(fail)?;
        // The issuer is pinned in the library; the SAN, which may be a glob
        // or one of several, is matched below on the verified certificate.
        let library_policy = VerificationPolicy::any_identity().require_issuer(&policy.issuer);
        let result = self
            .verifier
            .verify_reader(artifact, &bundle, &library_policy)
            .map_err(|e| match e {
                sigstore_verify::Error::IssuerMismatch { expected, actual } => {
                    SigstoreError::Issuer {
                        bundle: label.to_string(),
                        actual: actual.unwrap_or_else(|| "(none)".to_string()),
                        expected,
                    }
                }
                other => fail(other.to_string()),
            })?;
        if !(result.certificate_verified() && result.sct_verified() && result.tlog_verified()) {
            return Err(fail(
                "the verifier did not check the certificate chain, SCT and log".to_string(),
            ));
        }
        let identity = result
            .identity()
            .map(|san| san.as_str().to_string())
            .ok_or_else(|| fail("the signing certificate has no identity (SAN)".to_string()))?;
        if !policy.identities.iter().any(|p| p.matches(&identity)) {
            return Err(SigstoreError::Identity {
                bundle: label.to_string(),
                actual: identity,
                expected: policy
                    .identities
                    .iter()
                    .map(|p| p.as_str().to_string())
                    .collect(),
            });
        }
        let issuer = result.issuer().unwrap_or_default().to_string();
        if issuer != policy.issuer {
            return Err(SigstoreError::Issuer {
                bundle: label.to_string(),
                actual: issuer,
                expected: policy.issuer.clone(),
            });
        }
        Ok(Verified {
            identity,
            issuer,
            bundle_version: match bundle.media_type() {
                MediaType::Bundle0_1 => "0.1",
                MediaType::Bundle0_2 => "0.2",
                _ => "0.3",
            },
            integrated_time: result.integrated_time().map(|t| t.to_string()),
            dsse: matches!(
                bundle.content,
                sigstore_verify::types::SignatureContent::DsseEnvelope(_)
            ),
        })
    }
}

fn read_bundle(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_BUNDLE_BYTES {
        return Err(format!("{} bytes is too large for a bundle", meta.len()));
    }
    std::fs::read_to_string(path).map_err(|e| e.to_string())
}

/// Checks the library leaves to the caller: a transparency-log entry with
/// an inclusion proof is mandatory, and the bundle must not bring its own
/// root certificate.
fn check_structure(bundle: &Bundle) -> Result<(), String> {
    let entries = &bundle.verification_material.tlog_entries;
    if entries.is_empty() {
        return Err("the bundle has no transparency-log entry".to_string());
    }
    if entries.iter().any(|e| e.inclusion_proof.is_none()) {
        return Err("a transparency-log entry has no inclusion proof".to_string());
    }
    if let VerificationMaterialContent::X509CertificateChain { certificates } =
        &bundle.verification_material.content
    {
        for (index, cert) in certificates.iter().enumerate() {
            if is_self_signed(cert.raw_bytes.as_bytes())? {
                return Err(format!(
                    "certificate {} of the bundle's chain is a self-signed root; roots must come from the trusted root only",
                    index + 1
                ));
            }
        }
    }
    Ok(())
}

/// True when the certificate's issuer and subject are the same name.
fn is_self_signed(der: &[u8]) -> Result<bool, String> {
    use x509_cert::der::Decode;
    let cert = x509_cert::Certificate::from_der(der)
        .map_err(|e| format!("malformed certificate in the bundle: {e}"))?;
    Ok(cert.tbs_certificate.issuer == cert.tbs_certificate.subject)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_root_is_the_public_good_snapshot() {
        use sha2::{Digest, Sha256};
        let digest = hex::encode(Sha256::digest(PRODUCTION_TRUSTED_ROOT.as_bytes()));
        assert_eq!(
            digest,
            "6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66"
        );
        let root = load_trusted_root(None).unwrap();
        assert!(SigstoreVerifier::new(&root, Path::new("embedded")).is_ok());
    }

    /// Checks added on top of the library: a bundle stripped of its log
    /// entry, or of its inclusion proof, is rejected.
    #[test]
    fn log_entry_and_inclusion_proof_are_mandatory() {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sigstore");
        let artifact = std::fs::read(corpus.join("conformance/a.txt")).unwrap();
        let text = std::fs::read_to_string(
            corpus.join("conformance/happy-path-v0.3/bundle.sigstore.json"),
        )
        .unwrap();
        let root = load_trusted_root(None).unwrap();
        let verifier = SigstoreVerifier::new(&root, Path::new("embedded")).unwrap();
        let policy = IdentityPolicy::new(
            &["https://github.com/sigstore-conformance/*".to_string()],
            GITHUB_ACTIONS_ISSUER,
        )
        .unwrap();
        let run = |json: &serde_json::Value| {
            verifier.verify(artifact.as_slice(), &json.to_string(), "b", &policy)
        };
        let original: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(run(&original).is_ok(), "the untouched bundle verifies");
        let mut no_entries = original.clone();
        no_entries["verificationMaterial"]["tlogEntries"] = serde_json::json!([]);
        let err = run(&no_entries).unwrap_err().to_string();
        assert!(err.contains("no transparency-log entry"), "{err}");
        let mut no_proof = original.clone();
        no_proof["verificationMaterial"]["tlogEntries"][0]
            .as_object_mut()
            .unwrap()
            .remove("inclusionProof");
        assert!(run(&no_proof).is_err());
    }

    #[test]
    fn identity_patterns_exact_and_glob() {
        let uri = "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.2.0";
        assert!(IdentityPattern::parse(uri).unwrap().matches(uri));
        assert!(
            !IdentityPattern::parse("https://github.com/o/r")
                .unwrap()
                .matches(uri)
        );
        let glob = IdentityPattern::parse("https://github.com/o/r/.github/workflows/*").unwrap();
        assert!(glob.matches(uri));
        assert!(
            !glob.matches("https://github.com/o/other/.github/workflows/x.yml@refs/heads/main")
        );
        let default = IdentityPolicy::github_actions("o/r");
        let trusted = |san: &str| default.identities.iter().any(|p| p.matches(san));
        assert!(trusted(uri), "the release workflow on a tag");
        assert!(trusted(
            "https://github.com/o/r/.github/workflows/release.yaml@refs/tags/v2/rc.1"
        ));
        for other in [
            "https://github.com/o/r/.github/workflows/ci.yml@refs/tags/v1.2.0",
            "https://github.com/o/r/.github/workflows/release.yml@refs/heads/main",
            "https://github.com/o/r/.github/workflows/release.yml@refs/pull/7/merge",
            "https://github.com/o/r2/.github/workflows/release.yml@refs/tags/v1",
            "https://github.com/o/r/.github/workflows/release.yml.evil@refs/tags/v1",
        ] {
            assert!(!trusted(other), "{other} must not be trusted by default");
        }
        assert!(IdentityPattern::parse("a[").is_err());
        assert!(IdentityPolicy::new(&[], "x").is_err());
    }
}
