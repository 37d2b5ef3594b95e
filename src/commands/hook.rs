//! `hephaestus hook install | uninstall | list | run | recover`.

use std::ffi::OsString;

use crate::commands::Context;
use crate::exit::ExitStatus;
use crate::git::HookType;
use crate::hooks::install::{self, HookFile, HookState, How, Uninstalled};
use crate::printer::Tone;
use crate::run;
use crate::run::keeper;
use crate::run::scope::Override;
use crate::steps::build;
use crate::steps::describe::{Describer, VersionProbe};

use super::pipeline_args::{FileArgs, StepArgs};

#[derive(Debug, clap::Subcommand)]
pub enum HookCommand {
    /// Install hephaestus as the repository's git hooks.
    Install(InstallArgs),
    /// Remove hephaestus's hooks (restoring hooks that were there before).
    Uninstall(UninstallArgs),
    /// Show the installed hooks and the steps each would run.
    List,
    /// Run the steps of a hook (what the installed hooks call).
    Run(RunArgs),
    /// Restore unstaged changes saved by a hook run that did not finish.
    Recover,
}

#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// Hook type to install (repeatable; default: [hooks] install, else
    /// pre-commit and pre-push).
    #[arg(long = "hook-type", short = 't', value_enum, value_name = "TYPE")]
    pub hook_types: Vec<HookType>,
    /// Install even where core.hooksPath is set globally or system-wide.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
pub struct UninstallArgs {
    /// Hook type to remove (repeatable; default: every hephaestus hook).
    #[arg(long = "hook-type", short = 't', value_enum, value_name = "TYPE")]
    pub hook_types: Vec<HookType>,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The hook to run.
    #[arg(value_enum)]
    pub hook_type: HookType,
    #[command(flatten)]
    pub files: FileArgs,
    #[command(flatten)]
    pub steps: StepArgs,
    /// Arguments git passes to the hook.
    #[arg(last = true, value_name = "GIT_ARGS")]
    pub git_args: Vec<OsString>,
}

pub fn run(ctx: &Context, cmd: HookCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        HookCommand::Install(args) => install_hooks(ctx, &args),
        HookCommand::Uninstall(args) => uninstall_hooks(ctx, &args),
        HookCommand::List => list(ctx),
        HookCommand::Run(args) => run_hook(ctx, args),
        HookCommand::Recover => recover(ctx),
    }
}

fn install_hooks(ctx: &Context, args: &InstallArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.work_tree_project()?;
    let (repo, loaded) = (&project.repo, &project.config);
    let dir = repo.hooks_dir()?;
    dir.check_not_shared(args.force)?;
    let types: Vec<HookType> = if !args.hook_types.is_empty() {
        args.hook_types.clone()
    } else {
        loaded
            .config
            .hooks
            .install
            .clone()
            .unwrap_or_else(|| vec![HookType::PreCommit, HookType::PrePush])
    };
    let binary = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| anyhow::anyhow!("cannot find the path of the running hephaestus: {e}"))?;
    for hook in types {
        let installed = install::install(&dir, hook, &binary)?;
        let at = installed.path.display();
        let msg = match installed.how {
            How::New => format!("installed {hook} hook at {at}"),
            How::Updated => format!("updated {hook} hook at {at}"),
            How::ChainedLegacy => format!(
                "installed {hook} hook at {at}; the existing hook was kept as {hook}.legacy and runs first"
            ),
            How::BehindFramework { framework, moved } => {
                let mut msg = format!(
                    "installed {hook} hook at {at}; the {hook} hook of {} runs it first",
                    framework.name()
                );
                if let Some(moved) = moved {
                    msg.push_str(&format!(
                        "; the hook that was there was moved to {} and runs before hephaestus",
                        moved.display()
                    ));
                }
                msg
            }
            How::RepairedFramework { framework } => format!(
                "moved the {hook} hook of {} back to {hook} (it cannot run as {hook}.legacy) and installed hephaestus at {at}, which it runs first",
                framework.name()
            ),
            How::MovedToFront => format!(
                "moved the {hook} hook back to {at}; the hook that was there was kept as {hook}.legacy and runs first"
            ),
        };
        ctx.printer.status(&msg);
    }
    Ok(ExitStatus::Success)
}

fn uninstall_hooks(ctx: &Context, args: &UninstallArgs) -> anyhow::Result<ExitStatus> {
    let (repo, _) = crate::project::work_tree(&ctx.cwd)?;
    let dir = repo.hooks_dir()?;
    let types: Vec<HookType> = if args.hook_types.is_empty() {
        HookType::ALL.to_vec()
    } else {
        args.hook_types.clone()
    };
    for hook in types {
        match install::uninstall(&dir.path, hook)? {
            Uninstalled::Removed => ctx.printer.status(&format!("removed {hook} hook")),
            Uninstalled::RestoredLegacy => ctx.printer.status(&format!(
                "removed {hook} hook and restored the previous one"
            )),
            Uninstalled::FromChain => ctx.printer.status(&format!(
                "removed hephaestus from behind the {hook} hook ({hook}.legacy)"
            )),
            Uninstalled::NotOurs if !args.hook_types.is_empty() => ctx
                .printer
                .warn(&format!("{hook} hook is not a hephaestus hook; left alone")),
            Uninstalled::NotOurs | Uninstalled::Absent => {}
        }
    }
    Ok(ExitStatus::Success)
}

fn list(ctx: &Context) -> anyhow::Result<ExitStatus> {
    let project = ctx.work_tree_project()?;
    let (repo, root, loaded) = (&project.repo, &project.root, &project.config);
    let python_env = crate::pyenv::find(root, &crate::pyenv::EnvHints::from_process());
    let steps = build::pipeline(
        loaded,
        build::BuildOptions {
            python_env: python_env.as_ref(),
            ..build::BuildOptions::default()
        },
    )?;
    let dir = repo.hooks_dir()?;
    let describer = Describer::new(root, python_env.as_ref(), VersionProbe::Run);
    let p = &ctx.printer;
    let origin = match &dir.configured {
        Some((value, scope)) => format!(" (core.hooksPath = {value:?}, {scope})"),
        None => String::new(),
    };
    p.outln(&format!("hooks directory: {}{origin}", dir.path.display()))?;
    let mut any = false;
    for hook in HookType::ALL {
        let state = install::state(&dir.path, hook);
        let Some(version) = state.our_version() else {
            if let HookState::NotOurs {
                hook: HookFile::Foreign | HookFile::Framework(_),
            } = state
            {
                p.outln(&format!(
                    "{hook}: {}",
                    p.paint_out("not managed by hephaestus", Tone::Warn)
                ))?;
            }
            continue;
        };
        let mut notes = Vec::new();
        match &state {
            HookState::Ours { legacy, .. } => match legacy {
                HookFile::Absent => {}
                HookFile::Framework(f) => notes.push(format!(
                    "runs {hook}.legacy first, the hook of {}, which fails there; run `hephaestus hook install` to repair",
                    f.name()
                )),
                HookFile::Ours { .. } | HookFile::Foreign => {
                    notes.push(format!("runs {hook}.legacy first"))
                }
            },
            HookState::BehindFramework { framework, .. } => notes.push(format!(
                "installed by {}, which runs hephaestus as {hook}.legacy first",
                framework.name()
            )),
            HookState::BehindForeign { .. } => notes.push(format!(
                "another hook is installed here; hephaestus is {hook}.legacy and runs only if that hook calls it; `hephaestus hook install` puts it in front"
            )),
            HookState::Orphaned { .. } => notes.push(format!(
                "only {hook}.legacy is left, which git does not run; run `hephaestus hook install`"
            )),
            HookState::NotOurs { .. } => {}
        }
        if version != env!("CARGO_PKG_VERSION") {
            notes.push(format!(
                "written by hephaestus {version}; run `hephaestus hook install` to update"
            ));
        }
        any = true;
        let suffix = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join("; "))
        };
        p.outln(&format!(
            "{}{suffix}",
            p.paint_out(hook.as_str(), Tone::Bold)
        ))?;
        let in_hook: Vec<&crate::steps::Step> = steps.iter().filter(|s| s.runs_in(hook)).collect();
        if in_hook.is_empty() {
            p.outln("  (no steps)")?;
        }
        for step in in_hook {
            let step = crate::steps::plan::for_hook(step, Some(hook));
            p.outln(&format!("  - {}", shown(&describer, &step)))?;
        }
    }
    if !any {
        p.status("no hephaestus hooks installed; run `hephaestus hook install`");
    }
    Ok(ExitStatus::Success)
}

/// `ruff check: ruff check --no-fix <files>  [.venv/bin/ruff, ruff 0.6.9]`.
fn shown(describer: &Describer<'_>, step: &crate::steps::Step) -> String {
    match describer.describe(step) {
        Some(c) => format!("{}: {}", step.name, c.display()),
        None => format!("{} (built in)", step.name),
    }
}

fn run_hook(ctx: &Context, args: RunArgs) -> anyhow::Result<ExitStatus> {
    let run_args = run::RunArgs {
        hook: Some(args.hook_type),
        git_args: args.git_args,
        ..args.steps.run_args(&args.files)
    };
    let reads_stdin =
        matches!(args.hook_type, HookType::PrePush) && matches!(run_args.overrides, Override::None);
    let cx = ctx.run_context();
    if reads_stdin {
        run::run(&cx, &run_args, &mut std::io::stdin().lock())
    } else {
        run::run(&cx, &run_args, &mut std::io::empty())
    }
}

fn recover(ctx: &Context) -> anyhow::Result<ExitStatus> {
    let (repo, _) = crate::project::work_tree(&ctx.cwd)?;
    let p = &ctx.printer;
    let Some(done) = keeper::recover(&repo, keeper::RecoverSettings::default())? else {
        p.status("nothing to recover: no unfinished hook run");
        for dir in keeper::kept_dirs(&repo) {
            p.warn(&format!(
                "work an earlier hook run could not put back is kept in {} (see README.txt there)",
                dir.display()
            ));
        }
        return Ok(ExitStatus::Success);
    };
    if !done.stopped.is_empty() {
        p.status(&format!(
            "stopped {} process group(s) the interrupted run had left running",
            done.stopped.len()
        ));
    }
    if !done.restored.is_empty() {
        p.status(&format!(
            "restored your unstaged changes to {} file(s):",
            done.restored.len()
        ));
        for path in &done.restored {
            p.status(&format!("  {path}"));
        }
    }
    let Some(aside) = done.aside else {
        return Ok(ExitStatus::Success);
    };
    for kept in &aside.paths {
        let what = match kept.kind {
            keeper::AsideKind::Saved => "your version from before the hook run",
            keeper::AsideKind::Replaced => "what was there before recover replaced it",
        };
        p.warn(&format!(
            "{}; {what} is in {}",
            kept.reason,
            kept.location(&aside.dir).display()
        ));
    }
    p.hint(&format!(
        "compare and copy back what you need from {} (README.txt is there), then delete it",
        aside.dir.display()
    ));
    Ok(
        match aside
            .paths
            .iter()
            .any(|k| k.kind == keeper::AsideKind::Saved)
        {
            true => ExitStatus::Failure,
            false => ExitStatus::Success,
        },
    )
}
