//! The GitHub Releases API, only as much as the installer needs:
//! `GET /repos/{owner}/{repo}/releases/latest` or
//! `/releases/tags/{tag}`, and each asset's `name`, `size`, `digest`, API
//! `url` and `browser_download_url`.
//!
//! Assets are downloaded from the API `url` with
//! `Accept: application/octet-stream` (GitHub answers with a redirect to its
//! object store), which works for private repositories too; the token goes
//! to the API host only and is dropped on the redirect. `browser_download_url`
//! is the fallback when an asset has no API `url`.

use serde::{Deserialize, Serialize};

use super::http::{Client, Notify};
use super::{ReleaseError, Result};

/// A release as the API returns it (fields we use).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Release {
    pub tag_name: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub draft: bool,
    #[serde(default)]
    pub prerelease: bool,
    #[serde(default)]
    pub assets: Vec<Asset>,
}

/// One release asset.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Asset {
    pub name: String,
    /// The API URL (`…/releases/assets/{id}`).
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub browser_download_url: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
    /// `sha256:<hex>` when GitHub computed it (newer API responses).
    #[serde(default)]
    pub digest: Option<String>,
}

impl Asset {
    /// The URL and `Accept` header to download the asset with.
    pub fn download(&self) -> Result<(&str, &'static str)> {
        if let Some(url) = &self.url {
            return Ok((url, "application/octet-stream"));
        }
        if let Some(url) = &self.browser_download_url {
            return Ok((url, "*/*"));
        }
        Err(ReleaseError::release(format!(
            "asset {} has no download URL",
            super::sanitize::quoted(&self.name)
        )))
    }

    /// GitHub's own SHA-256 of the asset, when the API reports one.
    pub fn github_sha256(&self) -> Option<String> {
        self.digest
            .as_deref()
            .and_then(|d| d.strip_prefix("sha256:"))
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(str::to_ascii_lowercase)
    }
}

/// Check `OWNER/REPO`: two non-empty parts of GitHub's allowed characters.
pub fn validate_repository(repository: &str) -> Result<()> {
    let ok_part = |p: &str| {
        !p.is_empty()
            && p != "."
            && p != ".."
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    };
    match repository.split_once('/') {
        Some((owner, repo)) if ok_part(owner) && ok_part(repo) => Ok(()),
        _ => Err(ReleaseError::usage(
            format!("invalid repository {repository:?}: expected OWNER/REPO"),
            Some("for example --repository IAmJonoBo/Hephaestus"),
        )),
    }
}

/// Fetch the release: `tag`, or the latest when `None`.
pub fn fetch_release(
    client: &Client,
    repository: &str,
    tag: Option<&str>,
    notify: &dyn Notify,
) -> Result<Release> {
    validate_repository(repository)?;
    let url = match tag {
        Some(tag) => format!(
            "{}/repos/{repository}/releases/tags/{}",
            client.api_base(),
            encode_path_segment(tag)
        ),
        None => format!("{}/repos/{repository}/releases/latest", client.api_base()),
    };
    let json = client.get_json(&url, notify)?;
    serde_json::from_value(json).map_err(|e| ReleaseError::Network {
        url: super::url::redact(&url),
        message: format!(
            "unexpected release JSON: {}",
            super::sanitize::escaped(&e.to_string())
        ),
    })
}

/// Percent-encode everything but RFC 3986 unreserved characters.
fn encode_path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories() {
        assert!(validate_repository("IAmJonoBo/Hephaestus").is_ok());
        assert!(validate_repository("a-b/c_d.e").is_ok());
        for bad in ["", "x", "/r", "o/", "o/r/x", "o/..", "o r/x", "o/r?x"] {
            assert!(validate_repository(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tags_are_encoded() {
        assert_eq!(encode_path_segment("v1.2.3"), "v1.2.3");
        assert_eq!(encode_path_segment("rel/1 x"), "rel%2F1%20x");
    }

    #[test]
    fn asset_download_prefers_the_api_url() {
        let asset: Asset = serde_json::from_str(
            r#"{"name":"a","url":"https://api/x","browser_download_url":"https://gh/x","digest":"sha256:ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"}"#,
        )
        .unwrap();
        assert_eq!(
            asset.download().unwrap(),
            ("https://api/x", "application/octet-stream")
        );
        assert!(asset.github_sha256().unwrap().starts_with("abcdef"));
    }
}
