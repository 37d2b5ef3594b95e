//! `hephaestus cleanup`: preview, confirm, quarantine (or delete) and
//! audit the junk under a root; `cleanup undo` restores a run; and
//! `cleanup --check-paths FILE…`, the scoped check for the pre-commit
//! framework (never deletes).
//!
//! The command only resolves settings once into [`CleanupSettings`] and
//! sequences the steps; every decision lives in [`crate::cleanup`].

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::cleanup::manifest::{self, JsonPath, Manifest, Status};
use crate::cleanup::plan::{self, Plan, PlanSettings};
use crate::cleanup::preview::{self, escape_path, human_size};
use crate::cleanup::quarantine::{self, Quarantine, RunId};
use crate::cleanup::scoped::{self, ScopedOutcome, ScopedSettings};
use crate::cleanup::state::{Create, StateDir, StateDirs};
use crate::cleanup::trust::{self, Refusal, TrustSettings};
use crate::cleanup::{Categories, CleanupError, confirm};
use crate::commands::Context;
use crate::config::model::CleanupHookMode;
use crate::error::UserError;
use crate::exit::ExitStatus;
use crate::printer::Tone;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CleanupArgs {
    #[command(subcommand)]
    pub command: Option<CleanupCommand>,
    /// Directory to clean (default: the git work tree root, else the
    /// current directory).
    #[arg(value_name = "ROOT")]
    pub root: Option<PathBuf>,
    /// Python caches: `__pycache__`, `*.pyc`, `*.pyo`.
    #[arg(long)]
    pub python_cache: bool,
    /// Build artifacts: `build`, `dist`, `*.egg-info`, tool caches, Cargo
    /// `target`, JS caches.
    #[arg(long)]
    pub build_artifacts: bool,
    /// `node_modules` directories.
    #[arg(long)]
    pub node_modules: bool,
    /// Every category.
    #[arg(long)]
    pub deep_clean: bool,
    /// Also remove macOS metadata files inside `.git` (nothing else there).
    #[arg(long)]
    pub include_git: bool,
    /// Also clean inside virtual environments' `site-packages`.
    #[arg(long)]
    pub include_venv: bool,
    /// Another directory to scan (repeatable); outside the root it needs
    /// a typed CONFIRM.
    #[arg(long = "extra-path", value_name = "P")]
    pub extra_paths: Vec<PathBuf>,
    /// Descend at most N levels below each scan root.
    #[arg(long, value_name = "N")]
    pub max_depth: Option<usize>,
    /// Show the preview and stop.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Delete for good instead of moving into the quarantine.
    #[arg(long)]
    pub permanent: bool,
    /// Write the audit manifest here (default:
    /// `.hephaestus/audit/cleanup-<UTC timestamp>.json`).
    #[arg(long, value_name = "PATH")]
    pub audit_manifest: Option<PathBuf>,
    /// Output format for the preview and result.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Check these files as a hook would (junk listed with the fix, exit
    /// 1 if any); never deletes. For the pre-commit framework.
    #[arg(
        long,
        num_args = 0..,
        value_name = "FILE",
        conflicts_with_all = ["extra_paths", "dry_run", "yes", "permanent", "audit_manifest", "max_depth", "include_git"]
    )]
    pub check_paths: Option<Vec<PathBuf>>,
    /// With --check-paths: more files to check, after the other flags
    /// (`--check-paths --unstage a.py b.py`).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// With --check-paths: remove junk from the index (`git rm --cached`)
    /// instead of failing.
    #[arg(long, alias = "fix", requires = "check_paths")]
    pub unstage: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum CleanupCommand {
    /// Restore the paths a cleanup run moved into the quarantine.
    Undo(UndoArgs),
}

#[derive(Debug, clap::Args)]
pub struct UndoArgs {
    /// The run's audit manifest (default: the newest run in
    /// `.hephaestus/audit/` with something left to restore).
    #[arg(value_name = "MANIFEST")]
    pub manifest: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// Everything a full cleanup run needs, resolved once.
pub struct CleanupSettings {
    pub plan: PlanSettings,
    pub dry_run: bool,
    pub yes: bool,
    pub permanent: bool,
    pub format: Format,
    pub audit_manifest: Option<PathBuf>,
    pub options: manifest::Options,
    /// Printed before the preview (no git repository, say).
    pub notice: Option<String>,
}

impl CleanupArgs {
    fn categories(&self) -> Categories {
        if self.deep_clean {
            Categories::all()
        } else {
            Categories {
                python_cache: self.python_cache,
                build_artifacts: self.build_artifacts,
                node_modules: self.node_modules,
            }
        }
    }

    fn any_category_flag(&self) -> bool {
        self.deep_clean || self.python_cache || self.build_artifacts || self.node_modules
    }
}

pub fn run(ctx: &Context, args: &CleanupArgs) -> anyhow::Result<ExitStatus> {
    if let Some(CleanupCommand::Undo(undo)) = &args.command {
        return run_undo(ctx, undo);
    }
    if let Some(files) = &args.check_paths {
        // Files may come right after --check-paths or after the other
        // flags; clap gives the first positional one to ROOT.
        let files: Vec<PathBuf> = files
            .iter()
            .chain(&args.root)
            .chain(&args.files)
            .cloned()
            .collect();
        return run_check_paths(ctx, args, &files);
    }
    if let Some(extra) = args.files.first() {
        return Err(UserError::usage(format!(
            "unexpected argument {}: cleanup takes one ROOT",
            escape_path(extra)
        ))
        .with_hint("scan more directories with --extra-path P (repeatable)")
        .into());
    }
    let settings = resolve(ctx, args)?;
    run_full(ctx, &settings)
}

/// `$HOME`, refused as a root.
fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

fn resolve(ctx: &Context, args: &CleanupArgs) -> anyhow::Result<CleanupSettings> {
    let home = home_dir();
    // Refuse a dangerous ROOT before reading anything else.
    if let Some(root) = &args.root {
        let abs = ctx.cwd.join(root);
        if let Some(reason) = crate::cleanup::safety::refusal(&abs, home.as_deref()) {
            return Err(CleanupError::Dangerous { path: abs, reason }.into());
        }
    }
    let project = ctx.project()?;
    let config = &project.config.config.cleanup;
    let (root, notice) = match &args.root {
        Some(r) => (ctx.cwd.join(r), None),
        None if project.repo.is_some() => (project.root.clone(), None),
        None => (
            project.root.clone(),
            Some(format!(
                "not inside a git repository; cleaning the current directory {}",
                project.root.display()
            )),
        ),
    };
    let categories = args.categories();
    let rules = scoped::rule_set(config, categories, args.include_git, args.include_venv)?;
    let options = manifest::Options {
        python_cache: categories.python_cache,
        build_artifacts: categories.build_artifacts,
        node_modules: categories.node_modules,
        include_git: args.include_git,
        include_venv: args.include_venv,
        permanent: args.permanent,
        max_depth: args.max_depth,
        extra_paths: args
            .extra_paths
            .iter()
            .map(|p| JsonPath(p.clone()))
            .collect(),
        extra_patterns: config
            .extra_patterns
            .iter()
            .map(|p| p.to_string())
            .collect(),
        exclude: config.exclude.iter().map(|p| p.to_string()).collect(),
    };
    Ok(CleanupSettings {
        plan: PlanSettings {
            root,
            extra_paths: args.extra_paths.clone(),
            cwd: ctx.cwd.clone(),
            rules,
            max_depth: args.max_depth,
            home,
        },
        dry_run: args.dry_run,
        yes: args.yes,
        permanent: args.permanent,
        format: args.format,
        audit_manifest: args.audit_manifest.as_ref().map(|p| ctx.cwd.join(p)),
        options,
        notice,
    })
}

fn run_full(ctx: &Context, settings: &CleanupSettings) -> anyhow::Result<ExitStatus> {
    let p = &ctx.printer;
    if let Some(notice) = &settings.notice {
        p.warn(notice);
    }
    let plan = plan::plan(&settings.plan)?;
    for s in &plan.skipped {
        p.warn(&format!("skipping {}: {}", escape_path(&s.path), s.reason));
    }
    for w in &plan.warnings {
        match &w.path {
            Some(path) => p.warn(&format!("{}: {}", escape_path(path), w.message)),
            None => p.warn(&w.message),
        }
    }
    let action = match (settings.dry_run, settings.permanent) {
        (true, true) => "would delete",
        (true, false) => "would quarantine",
        (false, true) => "delete",
        (false, false) => "quarantine",
    };
    if plan.items.is_empty() {
        if settings.format == Format::Json {
            p.outln(&serde_json::to_string_pretty(&json_report(
                &plan, settings, None, None,
            ))?)?;
        } else {
            p.status("nothing to clean");
        }
        return Ok(ExitStatus::Success);
    }
    if settings.format == Format::Table {
        let utf8 = std::io::stdout().is_terminal();
        p.outln(&preview::table(&plan, action, utf8))?;
    }
    if settings.dry_run {
        if settings.format == Format::Json {
            p.outln(&serde_json::to_string_pretty(&json_report(
                &plan, settings, None, None,
            ))?)?;
        } else {
            p.status("dry run: nothing was deleted");
        }
        return Ok(ExitStatus::Success);
    }
    if plan.any_outside_root() && !settings.permanent {
        p.warn(&format!(
            "`cleanup undo` restores only inside {}: paths outside it stay in the quarantine once removed (the manifest maps each to its place)",
            escape_path(&plan.root)
        ));
    }
    confirm_or_abort(ctx, &plan, settings)?;
    let run_id = RunId::new();
    // Every state directory is opened (created) before anything is
    // removed, so a symlinked `.hephaestus` stops the run here.
    let state = StateDirs::for_root(&plan.root);
    let target = match &settings.audit_manifest {
        Some(path) => ManifestTarget::Path(path.clone()),
        None => ManifestTarget::Dir(
            state
                .open_audit(Create::Yes(0o777))
                .map_err(CleanupError::from)?
                .ok_or_else(|| {
                    CleanupError::State("the audit directory could not be created".into())
                })?,
        ),
    };
    let quarantine = if settings.permanent {
        None
    } else {
        let base = state
            .open_quarantine_base(true)
            .map_err(CleanupError::from)?
            .ok_or_else(|| CleanupError::State("the quarantine could not be created".into()))?;
        Some(Quarantine::create(&base, &run_id.id).map_err(|e| {
            CleanupError::State(format!(
                "cannot create the quarantine under {}: {e}; nothing was deleted",
                base.path.display()
            ))
        })?)
    };
    let bar = progress_bar(ctx, plan.items.len());
    let entries = quarantine::execute(&plan, quarantine.as_ref(), || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let manifest = Manifest::for_run(
        &plan,
        settings.options.clone(),
        &run_id,
        quarantine.as_ref().map(|q| q.dir.as_path()),
        entries,
    );
    let sealed = match &quarantine {
        Some(q) => trust::seal(q, &manifest),
        None => Ok(()),
    };
    let (manifest_path, written) = match &target {
        ManifestTarget::Path(path) => (path.clone(), manifest.write(path)),
        ManifestTarget::Dir(dir) => {
            let name = manifest_name(dir, &run_id);
            (dir.path.join(&name), manifest.write_in(dir, &name))
        }
    };
    report_run(ctx, &plan, settings, &manifest, &manifest_path)?;
    let failed = match (sealed, written) {
        (Ok(()), Ok(())) => None,
        (_, Err(e)) => Some(format!(
            "cannot write the audit manifest {}: {e}",
            manifest_path.display()
        )),
        (Err(e), Ok(())) => Some(format!(
            "cannot seal the run in its quarantine ({e}), so `cleanup undo` will not trust {}",
            manifest_path.display()
        )),
    };
    if let Some(message) = failed {
        p.error(&message);
        if let Some(q) = &quarantine {
            p.hint(&format!(
                "the removed paths are in {}; move them back by hand",
                q.dir.display()
            ));
        }
        return Ok(ExitStatus::Failure);
    }
    Ok(if manifest.totals.failed > 0 {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// Where a run's manifest goes.
enum ManifestTarget {
    /// `--audit-manifest PATH`.
    Path(PathBuf),
    /// The default audit directory, opened.
    Dir(StateDir),
}

/// `cleanup-<UTC timestamp>.json`, or with the full run id if a manifest
/// of that name exists already.
fn manifest_name(dir: &StateDir, run_id: &RunId) -> OsString {
    let name = OsString::from(format!("cleanup-{}.json", run_id.stamp));
    if crate::cleanup::ident::stat_at(&dir.fd, &name).is_ok() {
        OsString::from(format!("cleanup-{}.json", run_id.id))
    } else {
        name
    }
}

fn confirm_or_abort(ctx: &Context, plan: &Plan, settings: &CleanupSettings) -> anyhow::Result<()> {
    if settings.yes {
        return Ok(());
    }
    let count = plan.items.len();
    let what = if settings.permanent {
        "Delete"
    } else {
        "Move to the quarantine"
    };
    let (need, prompt) = if plan.any_outside_root() {
        let outside = plan.items.iter().filter(|i| i.outside_root).count();
        (
            confirm::Need::TypedConfirm,
            format!(
                "{} {outside} of these paths are OUTSIDE {}.\n{what} {count} paths ({})? Type CONFIRM to go on: ",
                ctx.printer.paint("warning:", Tone::Warn),
                escape_path(&plan.root),
                human_size(plan.total_size())
            ),
        )
    } else {
        (
            confirm::Need::Yes,
            format!(
                "{what} {count} paths ({}) under {}? [y/N] ",
                human_size(plan.total_size()),
                escape_path(&plan.root)
            ),
        )
    };
    match confirm::ask(need, &prompt)? {
        confirm::Answer::Proceed => Ok(()),
        confirm::Answer::Declined => Err(UserError::failure("aborted; nothing was deleted").into()),
        confirm::Answer::NoTerminal => Err(UserError::failure(
            "no terminal to ask for confirmation; nothing was deleted",
        )
        .with_hint("rerun with --yes to go ahead without asking, or --dry-run to only preview")
        .into()),
    }
}

fn progress_bar(ctx: &Context, len: usize) -> Option<indicatif::ProgressBar> {
    if len < 50 || !ctx.printer.progress() {
        return None;
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{spinner} cleaning [{bar:30}] {pos}/{len}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    Some(bar)
}

fn report_run(
    ctx: &Context,
    plan: &Plan,
    settings: &CleanupSettings,
    manifest: &Manifest,
    manifest_path: &Path,
) -> anyhow::Result<()> {
    let p = &ctx.printer;
    if settings.format == Format::Json {
        p.outln(&serde_json::to_string_pretty(&json_report(
            plan,
            settings,
            Some(manifest),
            Some(manifest_path),
        ))?)?;
    }
    for e in manifest
        .entries
        .iter()
        .filter(|e| e.status == Status::Failed)
    {
        p.error(&format!(
            "{}: {}",
            preview::shown_path(plan, &e.path.0),
            e.error.as_deref().unwrap_or("failed")
        ));
    }
    let t = &manifest.totals;
    let verb = if settings.permanent {
        "deleted"
    } else {
        "quarantined"
    };
    p.status(&format!(
        "{} {} of {} paths ({}){}",
        p.paint(verb, Tone::Ok),
        t.removed,
        t.planned,
        human_size(t.bytes_removed),
        if t.failed > 0 {
            format!(", {} failed", t.failed)
        } else {
            String::new()
        }
    ));
    if let Some(q) = &manifest.quarantine {
        p.status(&format!(
            "quarantine: {}\nundo with: hephaestus cleanup undo {}",
            escape_path(&q.0),
            escape_path(manifest_path)
        ));
    }
    p.status(&format!("audit manifest: {}", escape_path(manifest_path)));
    Ok(())
}

/// The `--format json` document.
fn json_report(
    plan: &Plan,
    settings: &CleanupSettings,
    manifest: Option<&Manifest>,
    manifest_path: Option<&Path>,
) -> serde_json::Value {
    let entries: Vec<serde_json::Value> = match manifest {
        Some(m) => m
            .entries
            .iter()
            .zip(&plan.items)
            .map(|(e, item)| {
                let mut v = serde_json::to_value(e).unwrap_or_default();
                v["outside_root"] = item.outside_root.into();
                v
            })
            .collect(),
        None => plan
            .items
            .iter()
            .map(|i| {
                serde_json::json!({
                    "path": JsonPath(i.path.clone()),
                    "kind": i.identity.kind,
                    "category": i.category,
                    "size": i.size,
                    "files": i.files,
                    "outside_root": i.outside_root,
                })
            })
            .collect(),
    };
    serde_json::json!({
        "dry_run": settings.dry_run,
        "root": JsonPath(plan.root.clone()),
        "scan_roots": plan.scan_roots.iter().map(|r| JsonPath(r.path.clone())).collect::<Vec<_>>(),
        "entries": entries,
        "total_size": plan.total_size(),
        "skipped_roots": plan.skipped.iter().map(|s| serde_json::json!({
            "path": JsonPath(s.path.clone()), "reason": s.reason
        })).collect::<Vec<_>>(),
        "warnings": plan.warnings.iter().map(|w| serde_json::json!({
            "path": w.path.clone().map(JsonPath), "message": w.message
        })).collect::<Vec<_>>(),
        "quarantine": manifest.and_then(|m| m.quarantine.clone()),
        "manifest": manifest_path.map(|p| JsonPath(p.to_path_buf())),
        "failed": manifest.map(|m| m.totals.failed).unwrap_or(0),
    })
}

fn project_root(ctx: &Context) -> PathBuf {
    crate::project::locate(&ctx.cwd).1
}

/// Where the manifest being undone lives.
enum ManifestAt {
    /// Given on the command line.
    Path(PathBuf),
    /// Found in the audit directory.
    Dir(StateDir, OsString),
}

impl ManifestAt {
    fn path(&self) -> PathBuf {
        match self {
            ManifestAt::Path(p) => p.clone(),
            ManifestAt::Dir(dir, name) => dir.path.join(name),
        }
    }

    fn write(&self, manifest: &Manifest) -> std::io::Result<()> {
        match self {
            ManifestAt::Path(p) => manifest.write(p),
            ManifestAt::Dir(dir, name) => manifest.write_in(dir, name),
        }
    }
}

const TRACKED: &str =
    "it is tracked by git, so it came with the repository (hephaestus never commits its manifests)";

fn run_undo(ctx: &Context, args: &UndoArgs) -> anyhow::Result<ExitStatus> {
    let p = &ctx.printer;
    let (repo, root) = crate::project::locate(&ctx.cwd);
    let current_root = root.canonicalize().map_err(|e| CleanupError::BadRoot {
        path: root.clone(),
        message: e.to_string(),
    })?;
    let tracked = |path: &Path| repo.as_ref().is_some_and(|r| trust::is_tracked(r, path));
    let (mut manifest, at) = match &args.manifest {
        Some(m) => {
            let path = ctx.cwd.join(m);
            if tracked(&path) {
                return Err(CleanupError::Untrusted {
                    manifest: path,
                    reason: TRACKED.to_string(),
                }
                .into());
            }
            let manifest = Manifest::read(&path).map_err(CleanupError::Manifest)?;
            (manifest, ManifestAt::Path(path))
        }
        None => {
            let state = StateDirs::for_root(&current_root);
            let nothing = || {
                CleanupError::NothingToUndo(format!(
                    "no cleanup run in {} has anything left to restore",
                    state.audit_path().display()
                ))
            };
            let audit = state
                .open_audit(Create::No)
                .map_err(CleanupError::from)?
                .ok_or_else(nothing)?;
            let mut chosen = None;
            for name in manifest::list(&audit).into_iter().rev() {
                let path = audit.path.join(&name);
                if tracked(&path) {
                    p.warn(&format!("ignoring {}: {TRACKED}", escape_path(&path)));
                    continue;
                }
                if let Ok(m) = Manifest::read_in(&audit, &name)
                    && m.restorable() > 0
                {
                    chosen = Some((m, name));
                    break;
                }
            }
            let (manifest, name) = chosen.ok_or_else(nothing)?;
            (manifest, ManifestAt::Dir(audit, name))
        }
    };
    let path = at.path();
    let settings = TrustSettings {
        current_root,
        home: home_dir(),
    };
    let trusted = trust::check(&manifest, &settings).map_err(|refusal| match refusal {
        Refusal::Untrusted(reason) => CleanupError::Untrusted {
            manifest: path.clone(),
            reason,
        },
        Refusal::NothingToUndo(reason) => CleanupError::NothingToUndo(reason),
    })?;
    let now = RunId::new().created_at;
    let report = quarantine::undo(&mut manifest, &trusted, &now)?;
    at.write(&manifest).map_err(|e| {
        CleanupError::State(format!(
            "restored {} paths but cannot update {}: {e}",
            report.restored.len(),
            path.display()
        ))
    })?;
    for c in &report.conflicts {
        p.error(&format!(
            "{} exists again; not overwritten (it stays in the quarantine)",
            escape_path(c)
        ));
    }
    for (path, msg) in &report.errors {
        p.error(&format!("{}: {msg}", escape_path(path)));
    }
    p.status(&format!(
        "{} {} paths from run {}{}",
        p.paint("restored", Tone::Ok),
        report.restored.len(),
        manifest.run_id,
        if manifest.undone {
            String::new()
        } else {
            format!(
                "; {} left in the quarantine (rerun `hephaestus cleanup undo {}` once the conflicts are moved away)",
                manifest.restorable(),
                escape_path(&path)
            )
        }
    ));
    Ok(if report.conflicts.is_empty() && report.errors.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

fn run_check_paths(
    ctx: &Context,
    args: &CleanupArgs,
    files: &[PathBuf],
) -> anyhow::Result<ExitStatus> {
    let root = project_root(ctx);
    let project = ctx.project()?;
    let mut settings = ScopedSettings::from_config(&project.config.config.cleanup)?;
    if args.any_category_flag() {
        settings.rules.categories = args.categories();
    }
    settings.rules.include_venv = args.include_venv;
    if args.unstage {
        settings.mode = CleanupHookMode::Unstage;
    }
    let paths: Vec<_> = files
        .iter()
        .map(|f| scoped::repo_relative(&root, &ctx.cwd, f))
        .collect();
    Ok(
        match scoped::run_scoped(&ctx.printer, &root, &paths, &settings)? {
            ScopedOutcome::Clean | ScopedOutcome::Unstaged(_) => ExitStatus::Success,
            ScopedOutcome::Failed(_) => ExitStatus::Failure,
        },
    )
}
