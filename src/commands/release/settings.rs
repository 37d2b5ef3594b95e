//! Resolving `release install` / `release verify` settings once: flag,
//! then environment, then `[release]` in the configuration, then the
//! default. Paths from the configuration are relative to the project root
//! (`~/` is the home directory); paths from flags to the working directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Format, InstallArgs, SigstoreArgs, VerifyArgs};
use crate::commands::Context;
use crate::config::model::{ReleaseConfig, parse_duration, parse_size};
use crate::error::UserError;
use crate::release::cache::Cache;
use crate::release::github;
use crate::release::http::{HttpSettings, Token};
use crate::release::plan::Patterns;
use crate::release::sigstore::IdentityPolicy;

const DEFAULT_API_URL: &str = "https://api.github.com";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_DEADLINE: Duration = Duration::from_secs(30 * 60);
const DEFAULT_RETRIES: u32 = 3;
/// Default `--max-size`: the largest download, and the most an archive
/// may unpack to.
const DEFAULT_MAX_SIZE: u64 = 2 << 30;

/// Everything `release install` needs, resolved.
#[derive(Debug)]
pub struct InstallSettings {
    pub repository: String,
    pub tag: Option<String>,
    pub patterns: Patterns,
    pub destination: Option<PathBuf>,
    pub bin_dir: PathBuf,
    pub python: String,
    pub http: HttpSettings,
    /// Download and unpack budget, in bytes.
    pub max_size: u64,
    pub allow_unsigned: bool,
    pub require_sigstore: bool,
    pub policy: IdentityPolicy,
    pub trusted_root: Option<PathBuf>,
    pub cache: Cache,
    pub dry_run: bool,
    pub format: Format,
}

/// Everything `release verify` needs, resolved.
#[derive(Debug)]
pub struct VerifySettings {
    pub file: PathBuf,
    pub name: String,
    pub manifest: Option<PathBuf>,
    pub bundle: Option<PathBuf>,
    pub policy: Option<IdentityPolicy>,
    pub trusted_root: Option<PathBuf>,
    pub format: Format,
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

/// A path from the config file: `~/` is the home directory, relative
/// paths are relative to the project root.
fn config_path(root: &Path, value: &str) -> PathBuf {
    match (value.strip_prefix("~/"), home()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => root.join(value),
    }
}

fn usage(message: impl Into<String>, hint: &str) -> anyhow::Error {
    UserError::usage(message).with_hint(hint).into()
}

/// A positive duration of at most a day from a flag (`30`, `2.5`, `2m`).
fn flag_duration(flag: &str, text: &str, example: &str) -> anyhow::Result<Duration> {
    match parse_duration(text) {
        Some(secs) if secs.is_finite() && secs > 0.0 && secs <= 86_400.0 => {
            Ok(Duration::from_secs_f64(secs))
        }
        _ => Err(usage(
            format!("{flag} {text:?}: expected a positive number of seconds (at most a day)"),
            &format!("for example {example}"),
        )),
    }
}

/// The repository: flag, then `HEPHAESTUS_RELEASE_REPOSITORY`, then config.
fn resolve_repository(cli: Option<&str>, config: &ReleaseConfig) -> Option<String> {
    cli.map(str::to_string)
        .or_else(|| env_nonempty("HEPHAESTUS_RELEASE_REPOSITORY"))
        .or_else(|| config.repository.clone())
}

/// The signer policy: explicit identities need an issuer; otherwise the
/// repository's release workflow on a tag.
fn resolve_policy(
    args: &SigstoreArgs,
    config: &ReleaseConfig,
    repository: Option<&str>,
) -> anyhow::Result<Option<IdentityPolicy>> {
    let identities = if args.identities.is_empty() {
        config.sigstore_identities.clone()
    } else {
        args.identities.clone()
    };
    let issuer = args
        .sigstore_issuer
        .clone()
        .or_else(|| config.sigstore_issuer.clone());
    if !identities.is_empty() {
        let Some(issuer) = issuer else {
            return Err(usage(
                "--sigstore-identity needs --sigstore-issuer",
                "pin the OIDC issuer too, e.g. --sigstore-issuer https://token.actions.githubusercontent.com",
            ));
        };
        return IdentityPolicy::new(&identities, &issuer)
            .map(Some)
            .map_err(|e| UserError::usage(e.to_string()).into());
    }
    Ok(repository.map(|repo| {
        let mut policy = IdentityPolicy::github_actions(repo);
        if let Some(issuer) = issuer {
            policy.issuer = issuer;
        }
        policy
    }))
}

fn resolve_trusted_root(
    ctx: &Context,
    root: &Path,
    args: &SigstoreArgs,
    config: &ReleaseConfig,
) -> Option<PathBuf> {
    args.trusted_root
        .as_ref()
        .map(|p| ctx.cwd.join(p))
        .or_else(|| config.trusted_root.as_deref().map(|p| config_path(root, p)))
}

impl InstallSettings {
    pub fn resolve(
        ctx: &Context,
        root: &Path,
        args: &InstallArgs,
        config: &ReleaseConfig,
    ) -> anyhow::Result<Self> {
        let require_sigstore = args.require_sigstore || config.require_sigstore;
        if args.allow_unsigned && require_sigstore {
            return Err(usage(
                "--allow-unsigned cannot be combined with --require-sigstore (or `[release] require_sigstore`)",
                "choose one: skip the checksum requirement, or require a signature",
            ));
        }
        let repository = resolve_repository(args.repository.as_deref(), config)
            .ok_or_else(|| {
                usage(
                    "no repository to install from",
                    "pass --repository OWNER/REPO, set HEPHAESTUS_RELEASE_REPOSITORY, or set `[release] repository` in hephaestus.toml",
                )
            })?;
        github::validate_repository(&repository)?;
        let timeout = match &args.timeout {
            Some(text) => flag_duration("--timeout", text, "--timeout 30 or --timeout 2m")?,
            None => config.timeout.map_or(DEFAULT_TIMEOUT, |s| s.0),
        };
        let deadline = match &args.deadline {
            Some(text) => flag_duration("--deadline", text, "--deadline 10m or --deadline 1h")?,
            None => config.deadline.map_or(DEFAULT_DEADLINE, |s| s.0),
        };
        let max_size = match &args.max_size {
            Some(text) => parse_size(text).filter(|&n| n > 0).ok_or_else(|| {
                usage(
                    format!("--max-size {text:?}: expected a size such as 500MiB, 2GiB or a number of bytes"),
                    "units: B, KB, MB, GB, TB (powers of 1000), KiB, MiB, GiB, TiB or K, M, G, T (powers of 1024)",
                )
            })?,
            None => config.max_size.map_or(DEFAULT_MAX_SIZE, |s| s.0),
        };
        let max_retries = args
            .max_retries
            .or(config.max_retries)
            .unwrap_or(DEFAULT_RETRIES);
        if max_retries > 20 {
            return Err(usage(
                format!("--max-retries {max_retries} is more than 20"),
                "a handful of retries with backoff is enough",
            ));
        }
        let token = args
            .token
            .clone()
            .or_else(|| env_nonempty("GITHUB_TOKEN"))
            .or_else(|| env_nonempty("GH_TOKEN"))
            .and_then(Token::new);
        let mut ca_bundles: Vec<PathBuf> = args.ca_bundle.iter().map(|p| ctx.cwd.join(p)).collect();
        if ca_bundles.is_empty()
            && let Some(p) = &config.ca_bundle
        {
            ca_bundles.push(config_path(root, p));
        }
        if let Some(file) = std::env::var_os("SSL_CERT_FILE").filter(|v| !v.is_empty()) {
            ca_bundles.push(ctx.cwd.join(file));
        }
        let bin_dir = match (&args.bin_dir, &config.bin_dir, home()) {
            (Some(dir), _, _) => ctx.cwd.join(dir),
            (None, Some(dir), _) => config_path(root, dir),
            (None, None, Some(home)) => home.join(".local").join("bin"),
            (None, None, None) => {
                return Err(usage(
                    "HOME is not set, so there is no default --bin-dir",
                    "pass --bin-dir DIR",
                ));
            }
        };
        let cache_root = Cache::default_root().ok_or_else(|| {
            usage(
                "neither XDG_CACHE_HOME nor HOME is set, so there is no download cache",
                "set XDG_CACHE_HOME to a directory",
            )
        })?;
        let pattern = |cli: &Option<String>, cfg: &Option<crate::config::model::GlobPattern>| {
            cli.clone().or_else(|| cfg.as_ref().map(|g| g.0.clone()))
        };
        let policy = resolve_policy(&args.sigstore, config, Some(&repository))?
            .unwrap_or_else(|| IdentityPolicy::github_actions(&repository));
        Ok(Self {
            tag: args.tag.clone(),
            patterns: Patterns {
                asset: pattern(&args.asset_pattern, &config.asset_pattern),
                manifest: pattern(&args.manifest_pattern, &config.manifest_pattern),
                sigstore: pattern(&args.sigstore_pattern, &config.sigstore_pattern),
            },
            destination: args
                .destination
                .as_ref()
                .map(|p| ctx.cwd.join(p))
                .or_else(|| config.destination.as_deref().map(|p| config_path(root, p))),
            bin_dir,
            python: args
                .python
                .clone()
                .or_else(|| config.python.clone())
                .unwrap_or_else(|| "python3".to_string()),
            http: HttpSettings {
                timeout,
                deadline,
                max_retries,
                ca_bundles,
                token,
                api_url: args
                    .api_url
                    .clone()
                    .or_else(|| config.api_url.clone())
                    .unwrap_or_else(|| DEFAULT_API_URL.to_string()),
            },
            max_size,
            allow_unsigned: args.allow_unsigned,
            require_sigstore,
            policy,
            trusted_root: resolve_trusted_root(ctx, root, &args.sigstore, config),
            cache: Cache::new(cache_root),
            dry_run: args.dry_run,
            format: args.format,
            repository,
        })
    }
}

impl VerifySettings {
    pub fn resolve(
        ctx: &Context,
        root: &Path,
        args: &VerifyArgs,
        config: &ReleaseConfig,
    ) -> anyhow::Result<Self> {
        if args.manifest.is_none() && args.bundle.is_none() {
            return Err(usage(
                "nothing to verify against",
                "pass --manifest SHA256SUMS and/or --bundle FILE.sigstore.json",
            ));
        }
        let file = ctx.cwd.join(&args.file);
        let name = match &args.name {
            Some(name) => name.clone(),
            None => file
                .file_name()
                .and_then(|n| n.to_str())
                .map(str::to_string)
                .ok_or_else(|| {
                    usage(
                        format!("{}: no usable file name", file.display()),
                        "pass --name NAME",
                    )
                })?,
        };
        let repository = resolve_repository(args.repository.as_deref(), config);
        if let Some(repo) = &repository {
            github::validate_repository(repo)?;
        }
        let policy = resolve_policy(&args.sigstore, config, repository.as_deref())?;
        if args.bundle.is_some() && policy.is_none() {
            return Err(usage(
                "a Sigstore bundle is only meaningful with a trusted signer",
                "pass --sigstore-identity PATTERN --sigstore-issuer URL, or --repository OWNER/REPO to trust its release workflow on a tag",
            ));
        }
        Ok(Self {
            file,
            name,
            manifest: args.manifest.as_ref().map(|p| ctx.cwd.join(p)),
            bundle: args.bundle.as_ref().map(|p| ctx.cwd.join(p)),
            policy,
            trusted_root: resolve_trusted_root(ctx, root, &args.sigstore, config),
            format: args.format,
        })
    }
}
