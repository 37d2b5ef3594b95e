//! Getting a verified copy of the planned asset: download the manifest and
//! bundle first (small, fail fast on a malformed manifest or a missing
//! required file, before any large download), then take the asset from the
//! cache or download it, run every check of [`super::verify`], and admit a
//! download to the cache only after it passed.

use std::path::{Path, PathBuf};

use super::cache::Cache;
use super::extract::human_bytes;
use super::github::Release;
use super::http::{Client, Notify, Progress};
use super::manifest::ManifestError;
use super::plan::Plan;
use super::sanitize::{escaped, quoted, safe_file_name};
use super::scratch::ScratchDir;
use super::sigstore::{self, IdentityPolicy, SigstoreError, SigstoreVerifier};
use super::verify::{self, Checks, Report};
use super::{ReleaseError, Result};

/// The verification policy for one install.
pub struct Options<'a> {
    pub allow_unsigned: bool,
    pub require_sigstore: bool,
    pub policy: &'a IdentityPolicy,
    pub trusted_root: Option<&'a Path>,
    pub cache: &'a Cache,
    /// The largest download accepted (`--max-size`), whether or not the
    /// release announces the asset's size.
    pub max_size: u64,
}

/// A verified file, in the cache.
pub struct Fetched {
    pub path: PathBuf,
    pub cached: bool,
    pub report: Report,
}

/// Load the trusted root (`path`, or the embedded one) into a verifier.
pub fn verifier(path: Option<&Path>) -> Result<SigstoreVerifier> {
    let root = sigstore::load_trusted_root(path)?;
    let label = path.map_or_else(
        || PathBuf::from("<embedded public-good root>"),
        Path::to_path_buf,
    );
    Ok(SigstoreVerifier::new(&root, &label)?)
}

/// Download, verify and cache the plan's asset.
pub fn fetch_and_verify(
    client: &Client,
    release: &Release,
    plan: &Plan,
    options: &Options<'_>,
    progress: &dyn Progress,
    notify: &dyn Notify,
) -> Result<Fetched> {
    let asset = &plan.asset;
    if plan.manifest.is_none() && !options.allow_unsigned {
        return Err(ReleaseError::Release {
            message: format!(
                "release {} has no SHA-256 manifest for {}",
                quoted(&release.tag_name),
                quoted(&asset.name)
            ),
            hint: Some(
                "publish SHA256SUMS or <asset>.sha256 (or point --manifest-pattern at it); --allow-unsigned installs without one"
                    .to_string(),
            ),
        });
    }
    if let Some(size) = asset.size
        && size > options.max_size
    {
        return Err(ReleaseError::Release {
            message: format!(
                "{} is {}, more than the {} budget",
                quoted(&asset.name),
                human_bytes(size),
                human_bytes(options.max_size)
            ),
            hint: Some("raise --max-size (or `[release] max_size`) if you expect it".to_string()),
        });
    }
    if plan.bundle.is_none() && options.require_sigstore {
        return Err(SigstoreError::Missing {
            asset: asset.name.clone(),
        }
        .into());
    }
    let manifest_text = match &plan.manifest {
        Some(m) => {
            let (url, accept) = m.download()?;
            let bytes = client.get_bytes(url, accept, notify)?;
            Some(
                String::from_utf8(bytes).map_err(|_| ManifestError::Malformed {
                    manifest: m.name.clone(),
                    line: 0,
                    message: "the manifest is not UTF-8 text".to_string(),
                })?,
            )
        }
        None => None,
    };
    let manifest = plan
        .manifest
        .as_ref()
        .zip(manifest_text.as_deref())
        .map(|(m, text)| (m.name.as_str(), text));
    // A malformed or conflicting manifest fails here, before the download.
    let expected = verify::expected_digest(&asset.name, manifest)?;
    let sidecars = ScratchDir::new_in(&options.cache.tmp_dir())?;
    let bundle_path = match &plan.bundle {
        Some(b) => {
            let (url, accept) = b.download()?;
            let bytes = client.get_bytes(url, accept, notify)?;
            let path = sidecars.path().join(safe_file_name(&b.name)?);
            std::fs::write(&path, bytes).map_err(|e| ReleaseError::io(&path, e))?;
            Some(path)
        }
        None => None,
    };
    let verifier = match &bundle_path {
        Some(_) => Some(verifier(options.trusted_root)?),
        None => None,
    };
    let checks = Checks {
        name: &asset.name,
        manifest,
        bundle: bundle_path.as_deref(),
        sigstore: verifier.as_ref().map(|v| (v, options.policy)),
        allow_unsigned: options.allow_unsigned,
        require_sigstore: options.require_sigstore,
    };
    let lookup = expected
        .as_ref()
        .map(|(digest, _)| digest.clone())
        .or_else(|| asset.github_sha256());
    if let Some(digest) = &lookup
        && let Some(path) = options.cache.lookup(digest)?
    {
        notify.status(&format!(
            "Using cached {} (sha256 {})",
            escaped(&asset.name),
            &digest[..12]
        ));
        let report = verify::check(&path, digest, &checks)?;
        return Ok(Fetched {
            path,
            cached: true,
            report,
        });
    }
    let (url, accept) = asset.download()?;
    notify.status(&format!("Downloading {}", escaped(&asset.name)));
    let mut temp = options.cache.temp_file()?;
    // The announced size bounds the body exactly; without one, the budget.
    let limit = asset.size.unwrap_or(options.max_size).min(options.max_size);
    let downloaded = client.download(url, accept, temp.as_file_mut(), limit, progress, notify)?;
    if let Some(github) = asset.github_sha256()
        && github != downloaded.sha256
    {
        return Err(ReleaseError::DigestMismatch {
            what: format!(
                "{} (per the GitHub API's asset digest)",
                quoted(&asset.name)
            ),
            expected: github,
            actual: downloaded.sha256,
        });
    }
    let mut report = verify::check(temp.path(), &downloaded.sha256, &checks)?;
    let path = options.cache.commit(temp, &downloaded.sha256)?;
    report.file = path.clone();
    Ok(Fetched {
        path,
        cached: false,
        report,
    })
}
