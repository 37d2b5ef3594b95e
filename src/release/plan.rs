//! Choosing what to download from a release: the asset (by pattern, or the
//! one for this OS and architecture, or a wheelhouse), its SHA-256 manifest
//! and its Sigstore bundle. Pure functions over the asset list, so every
//! rule is unit-tested without a network.
//!
//! Default asset: names are matched case-insensitively; an asset is for
//! this platform when its name contains one of the architecture's aliases
//! (`x86_64`/`amd64`/`x64`, `aarch64`/`arm64`) and one of the OS's
//! (`linux`; `darwin`/`macos`/`apple`/`osx`; `windows`/`win64`). Checksum and
//! signature files never count. When several match, `.tar.gz`/`.tgz` beats
//! `.zip` beats a bare binary, and on Linux a static `musl` build beats the
//! others; a tie left after that is an error listing the candidates. With
//! no platform asset the default is a wheelhouse, `*wheelhouse*.tar.gz`.

use globset::{GlobBuilder, GlobMatcher};
use serde::Serialize;

use super::github::Asset;
use super::sanitize::safe_file_name;
use super::{ReleaseError, Result};

/// The wheelhouse fallback pattern.
pub const WHEELHOUSE_PATTERN: &str = "*wheelhouse*.tar.gz";

/// What the release offers for one install.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub asset: Asset,
    pub manifest: Option<Asset>,
    pub bundle: Option<Asset>,
}

/// The patterns the user gave (each `None` means the default rule).
#[derive(Debug, Clone, Default)]
pub struct Patterns {
    pub asset: Option<String>,
    pub manifest: Option<String>,
    pub sigstore: Option<String>,
}

/// What an asset is, judged by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AssetKind {
    TarGz,
    Zip,
    Binary,
}

impl AssetKind {
    pub fn of(name: &str) -> Self {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".tar.gz") || lower.ends_with(".tgz") {
            AssetKind::TarGz
        } else if lower.ends_with(".zip") {
            AssetKind::Zip
        } else {
            AssetKind::Binary
        }
    }
}

/// True for checksum, signature and certificate files.
pub fn is_sidecar(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    const SUFFIXES: [&str; 12] = [
        ".sha256",
        ".sha256sum",
        ".sha512",
        ".sigstore",
        ".sigstore.json",
        ".sig",
        ".asc",
        ".pem",
        ".crt",
        ".intoto.jsonl",
        ".sbom.json",
        "checksums.txt",
    ];
    SUFFIXES.iter().any(|s| lower.ends_with(s)) || lower.starts_with("sha256sums")
}

fn matcher(pattern: &str, flag: &str) -> Result<GlobMatcher> {
    GlobBuilder::new(pattern)
        .case_insensitive(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| ReleaseError::usage(format!("invalid {flag} {pattern:?}: {}", e.kind()), None))
}

fn names(assets: &[&Asset]) -> String {
    assets
        .iter()
        .map(|a| super::sanitize::quoted(&a.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Choose the asset, manifest and bundle from `assets`.
pub fn plan(assets: &[Asset], patterns: &Patterns, platform: &Platform) -> Result<Plan> {
    let asset = choose_asset(assets, patterns.asset.as_deref(), platform)?;
    safe_file_name(&asset.name)?;
    let manifest = choose_sidecar(
        assets,
        patterns.manifest.as_deref(),
        "--manifest-pattern",
        &manifest_candidates(&asset.name),
    )?;
    let bundle = choose_sidecar(
        assets,
        patterns.sigstore.as_deref(),
        "--sigstore-pattern",
        &[
            format!("{}.sigstore.json", asset.name),
            format!("{}.sigstore", asset.name),
        ],
    )?;
    Ok(Plan {
        asset: asset.clone(),
        manifest: manifest.cloned(),
        bundle: bundle.cloned(),
    })
}

fn manifest_candidates(asset: &str) -> Vec<String> {
    vec![
        format!("{asset}.sha256"),
        format!("{asset}.sha256sum"),
        "SHA256SUMS".to_string(),
        "SHA256SUMS.txt".to_string(),
        "sha256sums.txt".to_string(),
        "checksums.txt".to_string(),
    ]
}

fn choose_asset<'a>(
    assets: &'a [Asset],
    pattern: Option<&str>,
    platform: &Platform,
) -> Result<&'a Asset> {
    let installable: Vec<&Asset> = assets.iter().filter(|a| !is_sidecar(&a.name)).collect();
    if let Some(pattern) = pattern {
        let m = matcher(pattern, "--asset-pattern")?;
        let found: Vec<&Asset> = installable
            .iter()
            .copied()
            .filter(|a| m.is_match(&a.name))
            .collect();
        return match found.as_slice() {
            [one] => Ok(one),
            [] => Err(no_asset(
                &format!("matches --asset-pattern {pattern:?}"),
                &installable,
            )),
            many => Err(ReleaseError::Release {
                message: format!(
                    "--asset-pattern {pattern:?} matches {} assets: {}",
                    many.len(),
                    names(many)
                ),
                hint: Some("make --asset-pattern match exactly one asset".to_string()),
            }),
        };
    }
    let mut found: Vec<&Asset> = installable
        .iter()
        .copied()
        .filter(|a| platform.matches(&a.name))
        .collect();
    if found.is_empty() {
        let m = matcher(WHEELHOUSE_PATTERN, "pattern")?;
        found = installable
            .iter()
            .copied()
            .filter(|a| m.is_match(&a.name))
            .collect();
    }
    if found.is_empty() {
        return Err(no_asset(
            &format!(
                "is for {} or a wheelhouse ({WHEELHOUSE_PATTERN})",
                platform.describe()
            ),
            &installable,
        ));
    }
    let best = found
        .iter()
        .map(|a| platform.rank(&a.name))
        .max()
        .unwrap_or(0);
    let top: Vec<&Asset> = found
        .into_iter()
        .filter(|a| platform.rank(&a.name) == best)
        .collect();
    match top.as_slice() {
        [one] => Ok(one),
        many => Err(ReleaseError::Release {
            message: format!(
                "several assets fit {}: {}",
                platform.describe(),
                names(many)
            ),
            hint: Some("choose one with --asset-pattern".to_string()),
        }),
    }
}

fn no_asset(what: &str, installable: &[&Asset]) -> ReleaseError {
    ReleaseError::Release {
        message: format!(
            "no release asset {what}; the release has: {}",
            if installable.is_empty() {
                "no installable assets".to_string()
            } else {
                names(installable)
            }
        ),
        hint: Some("choose one with --asset-pattern".to_string()),
    }
}

fn choose_sidecar<'a>(
    assets: &'a [Asset],
    pattern: Option<&str>,
    flag: &str,
    defaults: &[String],
) -> Result<Option<&'a Asset>> {
    if let Some(pattern) = pattern {
        let m = matcher(pattern, flag)?;
        let found: Vec<&Asset> = assets.iter().filter(|a| m.is_match(&a.name)).collect();
        return match found.as_slice() {
            [] => Ok(None),
            [one] => {
                safe_file_name(&one.name)?;
                Ok(Some(one))
            }
            many => Err(ReleaseError::Release {
                message: format!(
                    "{flag} {pattern:?} matches {} assets: {}",
                    many.len(),
                    names(many)
                ),
                hint: Some(format!("make {flag} match exactly one asset")),
            }),
        };
    }
    for name in defaults {
        if let Some(asset) = assets.iter().find(|a| &a.name == name) {
            return Ok(Some(asset));
        }
    }
    Ok(None)
}

/// This machine's OS and architecture, as release names spell them.
#[derive(Debug, Clone)]
pub struct Platform {
    pub os: &'static str,
    pub arch: &'static str,
}

impl Platform {
    pub fn current() -> Self {
        Self {
            os: std::env::consts::OS,
            arch: std::env::consts::ARCH,
        }
    }

    fn os_aliases(&self) -> &'static [&'static str] {
        match self.os {
            "linux" => &["linux"],
            "macos" => &["darwin", "macos", "apple", "osx"],
            "windows" => &["windows", "win64"],
            other => match other {
                "freebsd" => &["freebsd"],
                _ => &[],
            },
        }
    }

    fn arch_aliases(&self) -> &'static [&'static str] {
        match self.arch {
            "x86_64" => &["x86_64", "amd64", "x64", "x86-64"],
            "aarch64" => &["aarch64", "arm64"],
            "x86" => &["i686", "i386", "x86"],
            "arm" => &["armv7", "arm"],
            _ => &[],
        }
    }

    pub fn describe(&self) -> String {
        format!("{}/{}", self.os, self.arch)
    }

    /// Does the asset name mention this OS and architecture?
    pub fn matches(&self, name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        self.os_aliases().iter().any(|os| lower.contains(os))
            && self.arch_aliases().iter().any(|arch| lower.contains(arch))
    }

    /// Preference among matching assets (higher wins).
    fn rank(&self, name: &str) -> u8 {
        let lower = name.to_ascii_lowercase();
        let kind = match AssetKind::of(name) {
            AssetKind::TarGz => 4,
            AssetKind::Zip => 2,
            AssetKind::Binary => 0,
        };
        let musl = u8::from(self.os == "linux" && lower.contains("musl"));
        kind + musl
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assets(names: &[&str]) -> Vec<Asset> {
        names
            .iter()
            .map(|n| Asset {
                name: n.to_string(),
                url: Some(format!("https://api/{n}")),
                browser_download_url: None,
                size: None,
                digest: None,
            })
            .collect()
    }

    const LINUX: Platform = Platform {
        os: "linux",
        arch: "x86_64",
    };

    #[test]
    fn default_picks_the_platform_archive_with_its_sidecars() {
        let list = assets(&[
            "tool-x86_64-unknown-linux-gnu.tar.gz",
            "tool-x86_64-unknown-linux-musl.tar.gz",
            "tool-x86_64-unknown-linux-musl.tar.gz.sha256",
            "tool-x86_64-unknown-linux-musl.tar.gz.sigstore.json",
            "tool-aarch64-apple-darwin.tar.gz",
            "SHA256SUMS",
        ]);
        let plan = plan(&list, &Patterns::default(), &LINUX).unwrap();
        assert_eq!(plan.asset.name, "tool-x86_64-unknown-linux-musl.tar.gz");
        assert_eq!(
            plan.manifest.unwrap().name,
            "tool-x86_64-unknown-linux-musl.tar.gz.sha256"
        );
        assert_eq!(
            plan.bundle.unwrap().name,
            "tool-x86_64-unknown-linux-musl.tar.gz.sigstore.json"
        );
        let mac = Platform {
            os: "macos",
            arch: "aarch64",
        };
        let plan = super::plan(&list, &Patterns::default(), &mac).unwrap();
        assert_eq!(plan.asset.name, "tool-aarch64-apple-darwin.tar.gz");
        assert_eq!(plan.manifest.unwrap().name, "SHA256SUMS");
        assert!(plan.bundle.is_none());
    }

    #[test]
    fn wheelhouse_is_the_fallback_and_ties_are_errors() {
        let list = assets(&["proj-1.0-wheelhouse.tar.gz", "SHA256SUMS"]);
        let plan = plan(&list, &Patterns::default(), &LINUX).unwrap();
        assert_eq!(plan.asset.name, "proj-1.0-wheelhouse.tar.gz");
        let tie = assets(&["a-linux-amd64.tar.gz", "b-linux-x86_64.tar.gz"]);
        let err = super::plan(&tie, &Patterns::default(), &LINUX).unwrap_err();
        assert!(err.to_string().contains("several assets"), "{err}");
        let none = assets(&["notes.pdf"]);
        assert!(super::plan(&none, &Patterns::default(), &LINUX).is_err());
    }

    #[test]
    fn patterns_must_match_exactly_one() {
        let list = assets(&[
            "a.tar.gz",
            "b.tar.gz",
            "a.tar.gz.sig",
            "sums.txt",
            "sig.bundle",
        ]);
        let p = |asset: &str| Patterns {
            asset: Some(asset.to_string()),
            manifest: Some("sums.txt".to_string()),
            sigstore: Some("*.bundle".to_string()),
        };
        let plan = plan(&list, &p("a.*"), &LINUX).unwrap();
        assert_eq!(plan.asset.name, "a.tar.gz");
        assert_eq!(plan.manifest.unwrap().name, "sums.txt");
        assert_eq!(plan.bundle.unwrap().name, "sig.bundle");
        assert!(super::plan(&list, &p("*.tar.gz"), &LINUX).is_err());
        assert!(super::plan(&list, &p("zzz"), &LINUX).is_err());
    }

    #[test]
    fn unsafe_asset_names_are_refused() {
        let list = assets(&["../../x"]);
        let p = Patterns {
            asset: Some("*x".to_string()),
            ..Patterns::default()
        };
        let err = plan(&list, &p, &LINUX).unwrap_err();
        assert!(matches!(err, ReleaseError::UnsafePath(_)), "{err}");
    }
}
