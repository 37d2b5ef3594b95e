//! The verified release installer: find a GitHub release, download its
//! asset over HTTPS only, prove the bytes with a SHA-256 manifest and a
//! Sigstore bundle, and only then install them, all or nothing.
//!
//! The pipeline is plain data flowing one way: [`github`] resolves the
//! release into a [`plan::Plan`] (asset, manifest, bundle), [`http`] fetches
//! bytes over [`tls`] (retries, redirects, token scoping, deadlines, size
//! limits; [`url`] keeps URLs https-only and out of messages), [`cache`]
//! keeps verified content by digest, [`fetch`] drives download and checks, [`verify`] runs every check on local files (the same code
//! backs `release verify`, with [`sigstore`] on the [`crypto`] provider),
//! [`extract`] unpacks archives defensively, and [`install`] stages the
//! result and [`swap`]s it into place. Temp files live in [`scratch`]
//! entries that the next run sweeps if this one is killed. Every step
//! fails closed: an error anywhere leaves nothing half-installed.

pub mod cache;
pub mod crypto;
pub mod extract;
pub mod fetch;
pub mod github;
pub mod http;
pub mod install;
pub mod manifest;
pub mod plan;
pub mod sanitize;
pub mod scratch;
pub mod sigstore;
pub mod swap;
pub mod tls;
pub mod url;
pub mod verify;

use std::path::PathBuf;

use crate::error::Classify;
use crate::exit::ExitStatus;

/// Everything that can go wrong while resolving, fetching, verifying or
/// installing a release. Each variant says which file, URL or asset it is
/// about; none ever contains the token.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// The request itself is wrong (bad repository, bad URL, conflicting
    /// options): exit 2.
    #[error("{message}")]
    Usage {
        message: String,
        hint: Option<String>,
    },
    /// The network or the server failed after every retry.
    #[error("{url}: {message}")]
    Network { url: String, message: String },
    /// A body larger than the release announced, or than `--max-size`.
    #[error(
        "{url}: the response is too large ({}more than the limit of {limit} bytes)",
        size.map(|s| format!("{s} bytes, ")).unwrap_or_default()
    )]
    TooLarge {
        url: String,
        /// The announced length, when the server sent one.
        size: Option<u64>,
        limit: u64,
    },
    /// TLS failed (an untrusted or invalid certificate): never retried.
    #[error("{url}: TLS: {message}")]
    Tls { url: String, message: String },
    /// The server answered with an error status that retrying cannot fix.
    #[error("{url}: HTTP {status}{}", detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Status {
        url: String,
        status: u16,
        detail: Option<String>,
    },
    /// The release does not have what we need (no matching asset, no
    /// manifest, ambiguous choice).
    #[error("{message}")]
    Release {
        message: String,
        hint: Option<String>,
    },
    /// A checksum manifest is malformed, conflicting, or does not vouch for
    /// the asset.
    #[error("{0}")]
    Manifest(#[from] manifest::ManifestError),
    /// The bytes do not match what the manifest or bundle says.
    #[error("{what}: SHA-256 mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        what: String,
        expected: String,
        actual: String,
    },
    /// A Sigstore bundle that exists did not verify, or one is required
    /// and missing.
    #[error("{0}")]
    Sigstore(#[from] sigstore::SigstoreError),
    /// An asset name or archive member that would escape its directory.
    #[error("{0}")]
    UnsafePath(String),
    /// A local file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Installing (pip, moving into place) failed; nothing was left behind.
    #[error("{0}")]
    Install(String),
}

impl ReleaseError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn release(message: impl Into<String>) -> Self {
        Self::Release {
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn usage(message: impl Into<String>, hint: Option<&str>) -> Self {
        Self::Usage {
            message: message.into(),
            hint: hint.map(str::to_string),
        }
    }
}

impl Classify for ReleaseError {
    fn status(&self) -> ExitStatus {
        match self {
            ReleaseError::Usage { .. } => ExitStatus::Usage,
            _ => ExitStatus::Failure,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            ReleaseError::Usage { hint, .. } | ReleaseError::Release { hint, .. } => hint.clone(),
            ReleaseError::DigestMismatch { .. } => Some(
                "the download does not match its checksum: do not install it; report it to the publisher"
                    .to_string(),
            ),
            ReleaseError::Sigstore(e) => e.hint(),
            ReleaseError::Network { .. } => Some(
                "check the connection, or raise --timeout / --max-retries / --deadline; behind a TLS-intercepting proxy pass its CA with --ca-bundle"
                    .to_string(),
            ),
            ReleaseError::TooLarge { .. } => Some(
                "the server sent more than the release announced, or more than --max-size allows (raise it if you expect a larger download)"
                    .to_string(),
            ),
            ReleaseError::Tls { .. } => Some(
                "the server's certificate is not trusted; behind a TLS-intercepting proxy (or for GitHub Enterprise) pass its CA with --ca-bundle"
                    .to_string(),
            ),
            _ => None,
        }
    }
}

/// `Result` for the release domain.
pub type Result<T, E = ReleaseError> = std::result::Result<T, E>;
