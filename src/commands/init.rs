//! `hephaestus init`: write a commented starter `hephaestus.toml` for the
//! presets detected in the project. Never overwrites without `--force`,
//! never creates a second configuration next to `[tool.hephaestus]`, and
//! refuses a bare repository (it has no work tree to configure).

use std::io::Write;

use anyhow::Context as _;

use crate::commands::Context;
use crate::config::{self, Preset, presets};
use crate::error::UserError;
use crate::exit::ExitStatus;

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Overwrite an existing hephaestus.toml.
    #[arg(long)]
    pub force: bool,
}

pub fn run(ctx: &Context, args: &InitArgs) -> anyhow::Result<ExitStatus> {
    // Inside a repository the file goes to the work tree root; a bare
    // repository has none, and its git dir is no place for it.
    let root = match crate::git::Repo::discover(&ctx.cwd) {
        Ok(repo) => repo.work_tree()?.to_path_buf(),
        Err(_) => ctx.cwd.clone(),
    };
    let target = root.join(config::CONFIG_FILE);
    if target.exists() && !args.force {
        return Err(
            UserError::usage(format!("{} already exists", target.display()))
                .with_hint("pass --force to overwrite it")
                .into(),
        );
    }
    let pyproject = root.join(config::PYPROJECT_FILE);
    if pyproject.is_file() {
        let text = std::fs::read_to_string(&pyproject)
            .with_context(|| format!("cannot read {}", pyproject.display()))?;
        if config::parse_pyproject(&pyproject, &text)?.is_some() {
            return Err(UserError::usage(format!(
                "{} already configures hephaestus in [tool.hephaestus]; a hephaestus.toml next to it would be an error",
                pyproject.display()
            ))
            .with_hint("edit [tool.hephaestus] instead, or move it into hephaestus.toml yourself")
            .into());
        }
    }
    let detected = presets::detect(&root);
    let text = starter(&detected);
    write_atomically(&target, &text)?;
    // Prove the file we wrote is one we accept.
    ctx.project()
        .context("the starter file does not load; this is a bug")?;
    let names: Vec<&str> = detected.iter().map(|p| p.name()).collect();
    ctx.printer.status(&format!(
        "wrote {} (presets: {})",
        target.display(),
        if names.is_empty() {
            "none detected".to_string()
        } else {
            names.join(", ")
        }
    ));
    Ok(ExitStatus::Success)
}

fn write_atomically(target: &std::path::Path, text: &str) -> anyhow::Result<()> {
    let dir = target.parent().unwrap_or(std::path::Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    tmp.write_all(text.as_bytes())?;
    tmp.persist(target)
        .with_context(|| format!("cannot write {}", target.display()))?;
    Ok(())
}

/// The starter file: every section, with the defaults commented out.
pub fn starter(detected: &[Preset]) -> String {
    let presets_line = if detected.is_empty() {
        "presets = [\"auto\"]".to_string()
    } else {
        format!(
            "presets = [{}]",
            detected
                .iter()
                .map(|p| format!("\"{}\"", p.name()))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let detected_note = if detected.is_empty() {
        "No preset detected (no pyproject.toml, setup.py or Cargo.toml); \"auto\" keeps looking on every run.".to_string()
    } else {
        format!(
            "Detected: {}. Use [\"auto\"] to detect on every run, or [] for none.",
            detected
                .iter()
                .map(|p| p.name())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    format!(
        r#"# Hephaestus configuration. Every key is described in docs/configuration.md.

[hooks]
# Hook types `hephaestus hook install` writes when no --hook-type is given.
# install = ["pre-commit", "pre-push"]

[guard-rails]
# {detected_note}
{presets_line}
# Stop at the first failing step.
# fail_fast = false

# Your own steps run after the preset steps; a step with a preset step's
# name replaces it.
# [[guard-rails.steps]]
# name = "shellcheck"
# run = ["shellcheck"]
# files = ["*.sh"]          # gitignore-style: no slash = any directory
# exclude = ["vendor"]
# pass_files = true         # pass the matching files as arguments
# scope = "files"           # or "project": run once if any matching file changed
# stages = ["pre-commit"]   # which hooks run it (default: all)
# fix = false               # true if the step may modify files
# restage = false           # with fix: re-stage only the step's own changes
# timeout = "5m"
# require_serial = false

[cleanup]
# What a hook does when junk (such as .DS_Store) is about to be committed:
# "fail" (print the `git rm --cached` fix) or "unstage".
# hook = "fail"
# Categories a hook treats as junk (macOS metadata always is):
# hook_categories = ["python-cache", "build-artifacts", "node-modules"]
# extra_patterns = ["*.orig"]
# exclude = ["docs/Icon.png"]

[drift]
# Declared tool versions: pins or PEP 440 ranges. Without this table the
# dev tools in pyproject.toml are used.
# timeout = "10s"
# [drift.tools]
# ruff = "0.14.0"
# mypy = ">=1.18,<2"
# mytool = {{ version = "2.1", command = ["mytool", "version"], pattern = "v([0-9.]+)" }}

[release]
# Where `hephaestus release install` downloads from.
# repository = "OWNER/REPO"
# require_sigstore = true
# sigstore_identities = ["https://github.com/OWNER/REPO/.github/workflows/release.yml@refs/tags/*"]
# sigstore_issuer = "https://token.actions.githubusercontent.com"
# bin_dir = "~/.local/bin"
"#
    )
}
