//! `hephaestus release install` and `release verify`: the command layer of
//! the verified installer. Flags, environment and `[release]` config are
//! resolved once into [`InstallSettings`] / [`VerifySettings`] (CLI > env >
//! config > default, in [`settings`]); this module runs them and prints the
//! result. The pipeline itself lives in [`crate::release`].

mod settings;

pub use settings::{InstallSettings, VerifySettings};

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::commands::Context;
use crate::error::UserError;
use crate::exit::ExitStatus;
use crate::printer::{Printer, Tone};
use crate::release::cache::hash_file;
use crate::release::extract::{Limits, MAX_MEMBERS, human_bytes};
use crate::release::fetch;
use crate::release::github;
use crate::release::http::{Client, Notify, Progress};
use crate::release::install::{self, Installed};
use crate::release::plan::{self, Platform};
use crate::release::sanitize::escaped;
use crate::release::scratch;
use crate::release::sigstore;
use crate::release::verify::{self, Checks, Report};

#[derive(Debug, clap::Subcommand)]
pub enum ReleaseCommand {
    /// Download a release asset from GitHub, verify it (SHA-256 manifest,
    /// Sigstore) and install it.
    Install(Box<InstallArgs>),
    /// Verify a local file against a SHA-256 manifest and/or a Sigstore
    /// bundle, offline.
    Verify(VerifyArgs),
}

/// `--format text|json`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

/// Flags shared by install and verify: who may have signed.
#[derive(Debug, Clone, clap::Args)]
pub struct SigstoreArgs {
    /// A trusted signer: certificate SAN, exact or glob (`*` matches any
    /// characters); repeatable, any match. Default: the repository's
    /// release workflow on a tag
    /// (`…/.github/workflows/release.yml@refs/tags/*`).
    #[arg(long = "sigstore-identity", value_name = "PATTERN")]
    pub identities: Vec<String>,
    /// The OIDC issuer the signer must come from (required with
    /// --sigstore-identity; default with the release workflow: GitHub
    /// Actions).
    #[arg(long, value_name = "URL")]
    pub sigstore_issuer: Option<String>,
    /// A Sigstore trusted root JSON to use instead of the embedded
    /// public-good root.
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// The GitHub repository (env HEPHAESTUS_RELEASE_REPOSITORY, config
    /// `[release] repository`).
    #[arg(long, value_name = "OWNER/REPO")]
    pub repository: Option<String>,
    /// The release tag (default: the latest release).
    #[arg(long, value_name = "TAG")]
    pub tag: Option<String>,
    /// Glob choosing the asset (default: this OS/arch, else
    /// `*wheelhouse*.tar.gz`).
    #[arg(long, value_name = "GLOB")]
    pub asset_pattern: Option<String>,
    /// Glob choosing the SHA-256 manifest (default: `<asset>.sha256`, then
    /// `SHA256SUMS`).
    #[arg(long, value_name = "GLOB")]
    pub manifest_pattern: Option<String>,
    /// Glob choosing the Sigstore bundle (default: `<asset>.sigstore.json`,
    /// then `<asset>.sigstore`).
    #[arg(long, value_name = "GLOB")]
    pub sigstore_pattern: Option<String>,
    /// Also unpack the archive's whole tree into DIR.
    #[arg(long, value_name = "DIR")]
    pub destination: Option<PathBuf>,
    /// Where binaries are installed (default `~/.local/bin`).
    #[arg(long, value_name = "DIR")]
    pub bin_dir: Option<PathBuf>,
    /// The Python that pip-installs a wheelhouse (default `python3`).
    #[arg(long, value_name = "PY")]
    pub python: Option<String>,
    /// GitHub token (default: GITHUB_TOKEN or GH_TOKEN); sent only to the
    /// API host.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// GitHub API base URL (GitHub Enterprise); https only.
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// Network timeout in seconds: connect, response headers, each read
    /// and write; a body slower than 1 KiB/s over this window is cut off
    /// too (default 30s).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<String>,
    /// Overall time limit for the downloads, retries and waits included
    /// (default 30m).
    #[arg(long, value_name = "DURATION")]
    pub deadline: Option<String>,
    /// The largest download, and the most an archive may unpack to
    /// (`500MiB`, `2GiB`, bytes; default 2GiB).
    #[arg(long, value_name = "SIZE")]
    pub max_size: Option<String>,
    /// Retries after the first attempt.
    #[arg(long, value_name = "N")]
    pub max_retries: Option<u32>,
    /// Install even without a SHA-256 manifest (a mismatch still fails).
    #[arg(long)]
    pub allow_unsigned: bool,
    /// Fail when the release has no Sigstore bundle.
    #[arg(long)]
    pub require_sigstore: bool,
    #[command(flatten)]
    pub sigstore: SigstoreArgs,
    /// Extra trusted CA certificates (PEM) for HTTPS; SSL_CERT_FILE too.
    #[arg(long, value_name = "FILE")]
    pub ca_bundle: Vec<PathBuf>,
    /// Show what would be downloaded and installed; download nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The file to verify.
    pub file: PathBuf,
    /// A SHA-256 manifest (`sha256sum` format) that must list FILE.
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// The name FILE has in the manifest (default: its file name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// A Sigstore bundle for FILE.
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// Trust this repository's release workflow on a tag as the signer.
    #[arg(long, value_name = "OWNER/REPO")]
    pub repository: Option<String>,
    #[command(flatten)]
    pub sigstore: SigstoreArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(ctx: &Context, command: ReleaseCommand) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let config = &project.config.config.release;
    match command {
        ReleaseCommand::Install(args) => {
            let settings = InstallSettings::resolve(ctx, &project.root, &args, config)?;
            run_install(&ctx.printer, &settings)
        }
        ReleaseCommand::Verify(args) => {
            let settings = VerifySettings::resolve(ctx, &project.root, &args, config)?;
            run_verify(&ctx.printer, &settings)
        }
    }
}

/// Progress bar on stderr, only where [`Printer::progress`] allows.
struct Bar(ProgressBar);

impl Bar {
    fn new(printer: &Printer, label: &str) -> Self {
        let bar = if printer.progress() {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        bar.set_message(label.to_string());
        Self(bar)
    }
}

impl Progress for Bar {
    fn start(&self, total: Option<u64>) {
        self.0.reset();
        match total {
            Some(len) => {
                self.0.set_length(len);
                if let Ok(style) = ProgressStyle::with_template(
                    "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                ) {
                    self.0.set_style(style.progress_chars("=> "));
                }
            }
            None => {
                if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {bytes}") {
                    self.0.set_style(style);
                }
            }
        }
    }
    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

struct PrinterNotify<'a>(&'a Printer);

impl Notify for PrinterNotify<'_> {
    fn status(&self, message: &str) {
        self.0.status(message);
    }
    fn retrying(&self, message: &str) {
        self.0.warn(message);
    }
    fn detail(&self, message: &str) {
        self.0.verbose(message);
    }
}

/// The JSON result of `release install`.
#[derive(Debug, Serialize)]
struct InstallOutput<'a> {
    repository: &'a str,
    tag: &'a str,
    asset: &'a str,
    manifest: Option<&'a str>,
    sigstore_bundle: Option<&'a str>,
    dry_run: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cached: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<&'a Report>,
    #[serde(skip_serializing_if = "Option::is_none")]
    installed: Option<&'a Installed>,
}

fn run_install(printer: &Printer, settings: &InstallSettings) -> anyhow::Result<ExitStatus> {
    let notify = PrinterNotify(printer);
    let client = Client::new(settings.http.clone())?;
    let where_ = match &settings.tag {
        Some(tag) => format!("{}@{}", settings.repository, escaped(tag)),
        None => format!("{} (latest)", settings.repository),
    };
    printer.status(&format!("Resolving release {where_}"));
    let release = github::fetch_release(
        &client,
        &settings.repository,
        settings.tag.as_deref(),
        &notify,
    )?;
    let plan = plan::plan(&release.assets, &settings.patterns, &Platform::current())?;
    let mut output = InstallOutput {
        repository: &settings.repository,
        tag: &release.tag_name,
        asset: &plan.asset.name,
        manifest: plan.manifest.as_ref().map(|a| a.name.as_str()),
        sigstore_bundle: plan.bundle.as_ref().map(|a| a.name.as_str()),
        dry_run: settings.dry_run,
        sha256: None,
        cached: None,
        verification: None,
        installed: None,
    };
    if settings.dry_run {
        return print_install(printer, settings, &output).map(|()| ExitStatus::Success);
    }
    sweep_leftovers(printer, settings);
    let options = fetch::Options {
        allow_unsigned: settings.allow_unsigned,
        require_sigstore: settings.require_sigstore,
        policy: &settings.policy,
        trusted_root: settings.trusted_root.as_deref(),
        cache: &settings.cache,
        max_size: settings.max_size,
    };
    let bar = Bar::new(printer, &escaped(&plan.asset.name));
    let fetched = fetch::fetch_and_verify(&client, &release, &plan, &options, &bar, &notify)?;
    printer.status(&format!(
        "Verified {} ({})",
        escaped(&plan.asset.name),
        describe_evidence(&fetched.report)
    ));
    for warning in &fetched.report.warnings {
        printer.warn(warning);
    }
    let binary_name = settings
        .repository
        .rsplit('/')
        .next()
        .unwrap_or("tool")
        .to_ascii_lowercase();
    let installed = install::install(&install::Request {
        file: &fetched.path,
        asset_name: &plan.asset.name,
        bin_dir: &settings.bin_dir,
        destination: settings.destination.as_deref(),
        python: &settings.python,
        binary_name: &binary_name,
        scratch_dir: &settings.cache.tmp_dir(),
        limits: Limits {
            max_bytes: settings.max_size,
            max_members: MAX_MEMBERS,
        },
    })?;
    for warning in &installed.warnings {
        printer.warn(warning);
    }
    output.sha256 = Some(&fetched.report.sha256);
    output.cached = Some(fetched.cached);
    output.verification = Some(&fetched.report);
    output.installed = Some(&installed);
    print_install(printer, settings, &output)?;
    Ok(ExitStatus::Success)
}

/// Remove what killed runs left in the cache, the bin dir, beside the
/// destination and (names of earlier versions) in the system temp dir; see
/// [`scratch`]. Say so when there was something.
fn sweep_leftovers(printer: &Printer, settings: &InstallSettings) {
    let tmp = settings.cache.tmp_dir();
    let system_tmp = std::env::temp_dir();
    let legacy: &[&str] = &scratch::LEGACY_PREFIXES;
    let mut dirs: Vec<(&Path, &[&str])> = vec![
        (&tmp, legacy),
        (&settings.bin_dir, &[]),
        (&system_tmp, legacy),
    ];
    if let Some(parent) = settings.destination.as_deref().and_then(Path::parent) {
        dirs.push((parent, legacy));
    }
    let swept = scratch::sweep(&dirs);
    if swept.removed > 0 {
        printer.status(&format!(
            "Removed {} temp {} ({}) left by an interrupted install",
            swept.removed,
            if swept.removed == 1 {
                "entry"
            } else {
                "entries"
            },
            human_bytes(swept.bytes)
        ));
    }
    for path in &swept.restored {
        printer.warn(&format!(
            "restored {} from the backup an interrupted install left",
            path.display()
        ));
    }
}

fn describe_evidence(report: &Report) -> String {
    let mut parts = Vec::new();
    if let Some(c) = &report.checksum {
        parts.push(format!("SHA-256 per {} line {}", c.manifest, c.line));
    }
    if let Some(s) = &report.sigstore {
        parts.push(format!(
            "Sigstore: signed by {} via {}",
            escaped(&s.identity),
            escaped(&s.issuer)
        ));
    }
    if parts.is_empty() {
        "no checksum, no signature".to_string()
    } else {
        parts.join("; ")
    }
}

fn print_install(
    printer: &Printer,
    settings: &InstallSettings,
    output: &InstallOutput<'_>,
) -> anyhow::Result<()> {
    if settings.format == Format::Json {
        printer.outln(&serde_json::to_string_pretty(output)?)?;
        return Ok(());
    }
    if output.dry_run {
        printer.outln(&format!(
            "would install {} from {}@{}",
            escaped(output.asset),
            output.repository,
            escaped(output.tag)
        ))?;
        printer.outln(&format!(
            "  manifest: {}",
            output.manifest.map_or("(none)".to_string(), escaped)
        ))?;
        printer.outln(&format!(
            "  sigstore bundle: {}",
            output.sigstore_bundle.map_or("(none)".to_string(), escaped)
        ))?;
        printer.outln(&format!("  bin dir: {}", settings.bin_dir.display()))?;
        return Ok(());
    }
    if let Some(installed) = output.installed {
        for bin in &installed.binaries {
            printer.outln(&format!(
                "{} {}",
                printer.paint_out("installed", Tone::Ok),
                escaped(&bin.to_string_lossy())
            ))?;
        }
        if let Some(dest) = &installed.destination {
            printer.outln(&format!(
                "{} {}",
                printer.paint_out("unpacked", Tone::Ok),
                dest.display()
            ))?;
        }
        for wheel in &installed.wheels {
            printer.outln(&format!(
                "{} {}",
                printer.paint_out("pip-installed", Tone::Ok),
                escaped(wheel)
            ))?;
        }
    }
    Ok(())
}

fn run_verify(printer: &Printer, settings: &VerifySettings) -> anyhow::Result<ExitStatus> {
    let manifest_text = match &settings.manifest {
        Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
            UserError::usage(format!("cannot read manifest {}: {e}", path.display()))
        })?),
        None => None,
    };
    let label = settings
        .manifest
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let verifier = match &settings.bundle {
        Some(_) => Some(fetch::verifier(settings.trusted_root.as_deref())?),
        None => None,
    };
    let sha256 = hash_file(&settings.file)?;
    let checks = Checks {
        name: &settings.name,
        manifest: manifest_text.as_deref().map(|t| (label.as_str(), t)),
        bundle: settings.bundle.as_deref(),
        sigstore: verifier.as_ref().zip(settings.policy.as_ref()),
        // Verify checks exactly the evidence it was given.
        allow_unsigned: settings.manifest.is_none(),
        require_sigstore: false,
    };
    let report = verify::check(&settings.file, &sha256, &checks)?;
    if settings.format == Format::Json {
        #[derive(Serialize)]
        struct Out<'a> {
            file: &'a Path,
            sha256: &'a str,
            checksum: &'a Option<verify::ChecksumEvidence>,
            sigstore: &'a Option<sigstore::Verified>,
        }
        printer.outln(&serde_json::to_string_pretty(&Out {
            file: &report.file,
            sha256: &report.sha256,
            checksum: &report.checksum,
            sigstore: &report.sigstore,
        })?)?;
    } else {
        printer.outln(&format!(
            "{} {}",
            printer.paint_out("verified", Tone::Ok),
            settings.file.display()
        ))?;
        printer.outln(&format!("  sha256: {}", report.sha256))?;
        if let Some(c) = &report.checksum {
            printer.outln(&format!("  checksum: {} line {}", c.manifest, c.line))?;
        }
        if let Some(s) = &report.sigstore {
            printer.outln(&format!("  signer: {}", escaped(&s.identity)))?;
            printer.outln(&format!("  issuer: {}", escaped(&s.issuer)))?;
            printer.outln(&format!(
                "  bundle: v{}{}{}",
                s.bundle_version,
                if s.dsse { ", DSSE attestation" } else { "" },
                s.integrated_time
                    .as_deref()
                    .map(|t| format!(", logged {t}"))
                    .unwrap_or_default()
            ))?;
        }
    }
    Ok(ExitStatus::Success)
}
