//! `hephaestus init`: write a commented starter `hephaestus.toml` for the
//! presets detected in the project, or with `--from-pre-commit` the
//! conversion of its `.pre-commit-config.yaml` ([`crate::migrate`]).
//! Never overwrites without `--force`, never creates a second
//! configuration next to `[tool.hephaestus]`, and refuses a bare
//! repository (it has no work tree to configure).

use std::io::Write;

use anyhow::Context as _;

use crate::commands::Context;
use crate::config::{self, Preset, preset_names};
use crate::error::UserError;
use crate::exit::ExitStatus;
use crate::migrate;

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Overwrite an existing hephaestus.toml.
    #[arg(long)]
    pub force: bool,
    /// Convert the project's .pre-commit-config.yaml instead of writing the
    /// starter file; hooks that cannot be converted are listed (exit 1).
    #[arg(long)]
    pub from_pre_commit: bool,
}

pub fn run(ctx: &Context, args: &InitArgs) -> anyhow::Result<ExitStatus> {
    // Inside a repository the file goes to the work tree root; a bare
    // repository has none, and its git dir is no place for it.
    let (_, root) = crate::project::locate_strict(&ctx.cwd)?;
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
    let pre_commit = root.join(migrate::PRE_COMMIT_CONFIG);
    if args.from_pre_commit {
        return from_pre_commit(ctx, &pre_commit, &target);
    }
    let detected = preset_names::detect(&root);
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
    if pre_commit.is_file() {
        ctx.printer.status(&format!(
            "note: {} exists; `hephaestus init --from-pre-commit --force` converts its hooks into this file",
            pre_commit.display()
        ));
    }
    Ok(ExitStatus::Success)
}

/// Convert `.pre-commit-config.yaml` into `target`; exit 1 when some hooks
/// could not be converted (they are listed, and commented in the file).
fn from_pre_commit(
    ctx: &Context,
    source: &std::path::Path,
    target: &std::path::Path,
) -> anyhow::Result<ExitStatus> {
    let text = match std::fs::read_to_string(source) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(
                UserError::usage(format!("{} does not exist", source.display()))
                    .with_hint("run `hephaestus init` without --from-pre-commit for a starter file")
                    .into(),
            );
        }
        Err(e) => return Err(anyhow::anyhow!("cannot read {}: {e}", source.display())),
    };
    let conversion = migrate::convert(&text).map_err(|e| {
        UserError::usage(format!("{}: {}", source.display(), e.0))
            .with_hint("pre-commit would refuse this file too; fix it and run again")
    })?;
    // The converted text must be a configuration we accept before it is
    // written anywhere.
    config::parse_toml(target, &conversion.toml)
        .context("the converted configuration does not load; this is a bug")?;
    write_atomically(target, &conversion.toml)?;
    let p = &ctx.printer;
    p.status(&format!(
        "wrote {} from {}: {} hook(s) converted, {} not",
        target.display(),
        source.display(),
        conversion.converted.len(),
        conversion.not_converted.len()
    ));
    // In file order: a hook converted or not, one line each.
    let mut converted = conversion.converted.iter().peekable();
    let mut skipped = conversion.not_converted.iter().peekable();
    loop {
        let next_is_converted = match (converted.peek(), skipped.peek()) {
            (Some(c), Some(n)) => c.line < n.line,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        if next_is_converted {
            let Some(c) = converted.next() else { break };
            p.status(&format!("  {} -> step {:?}", c.hook, c.step));
            for note in &c.notes {
                p.status(&format!("      note: {note}"));
            }
        } else if let Some(n) = skipped.next() {
            p.warn(&format!("not converted: {}: {}", n.hook, n.reason));
        }
    }
    for note in &conversion.notes {
        p.status(&format!("note: {note}"));
    }
    Ok(if conversion.not_converted.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
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

# Turn preset steps off by name.
# disable = ["pip-audit"]

# Built-in hygiene checks (the pre-commit-hooks ids, run by hephaestus
# itself; docs/builtins.md lists all 20 and their options). Uncomment the
# ones you want:
# [[guard-rails.steps]]
# builtin = "trailing-whitespace"
# args = ["--markdown-linebreak-ext=md"]
#
# [[guard-rails.steps]]
# builtin = "end-of-file-fixer"
#
# [[guard-rails.steps]]
# builtin = "check-yaml"
#
# [[guard-rails.steps]]
# builtin = "check-merge-conflict"
#
# [[guard-rails.steps]]
# builtin = "check-added-large-files"
# args = ["--maxkb=500"]

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
