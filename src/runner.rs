//! One run of the step pipeline, shared by `hook run` and `guard-rails`:
//! take the work tree's lock (when unstaged work may be set aside), load
//! the project, refuse while a keeper journal is pending, work out the
//! files, plan, set unstaged work aside (pre-commit), execute, put the
//! work back, report, and turn the outcome into an exit status.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::BufRead;
use std::sync::atomic::Ordering;

use crate::cli::Context;
use crate::config::Loaded;
use crate::error::UserError;
use crate::exit::ExitStatus;
use crate::git::{BString, ByteSlice, HookType, Repo};
use crate::hooks::keeper::{self, Edit, SaveOutcome, StepEdits};
use crate::hooks::lock::{self, Holder, LockSettings, WorkTreeLock};
use crate::hooks::scope::{self, Override, RunScope};
use crate::hooks::signals;
use crate::runner_builtins::ProjectBuiltins;
use crate::steps::exec::Children;
use crate::steps::plan::{self, Selection};
use crate::steps::report::{self, JsonReport, JsonStep};
use crate::steps::run::{Executor, RunSettings, Status, StepResult};
use crate::steps::{Step, build};

/// What to run, resolved from the command line and environment.
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    /// The hook being run; `None` for `guard-rails`.
    pub hook: Option<HookType>,
    pub overrides: Override,
    /// Arguments git passed to the hook.
    pub git_args: Vec<OsString>,
    pub skip: BTreeSet<String>,
    pub only: BTreeSet<String>,
    pub no_format: bool,
    pub fail_fast: bool,
    pub json: bool,
    /// Add the drift check as a step.
    pub drift: bool,
}

/// Step names to skip from `SKIP` and `HEPHAESTUS_SKIP` (comma-separated).
pub fn skip_from_env() -> BTreeSet<String> {
    ["SKIP", "HEPHAESTUS_SKIP"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .flat_map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// Run the pipeline and report; returns the exit status.
pub fn run(ctx: &Context, req: &RunRequest, stdin: &mut dyn BufRead) -> anyhow::Result<ExitStatus> {
    let started = std::time::Instant::now();
    let phase = |name: &str| {
        ctx.printer.verbose(&format!(
            "[{:>7.1} ms] {name}",
            started.elapsed().as_secs_f64() * 1e3
        ))
    };
    let repo = match Repo::discover(&ctx.cwd) {
        Ok(r) => Some(r),
        Err(e) if req.hook.is_some() => return Err(e.into()),
        Err(_) => None,
    };
    let root = match &repo {
        Some(r) => r.work_tree()?.to_path_buf(),
        None => ctx.cwd.clone(),
    };
    phase("repository opened");
    let children = Children::default();
    let mut interrupted = None;
    // One keeper per work tree: a run that may set unstaged work aside
    // takes the lock before it reads anything.
    let work_tree_lock = match (&repo, req.hook) {
        (Some(r), Some(hook)) if may_set_aside(hook, &req.overrides) => {
            match take_lock(ctx, r, hook, &children, &mut interrupted)? {
                Some(l) => Some(l),
                None => {
                    ctx.printer.error(&format!(
                        "{hook} hook interrupted while waiting for another hook run; nothing was changed"
                    ));
                    return Ok(ExitStatus::Interrupted);
                }
            }
        }
        _ => None,
    };
    // Under the lock, the keeper's search for unstaged changes can start
    // at once and overlap with the rest of the preparation.
    let prescan = match (&repo, &work_tree_lock) {
        (Some(r), Some(_)) => {
            phase("work tree locked");
            Some(keeper::prescan(r))
        }
        _ => None,
    };
    let interrupted = interrupted.unwrap_or_else(|| signals::install(children.clone()));
    let loaded: Loaded = crate::config::load(&root, ctx.config_path.as_deref())?;
    if let Some(r) = &repo
        && let Some(journal) = keeper::pending(r)?
    {
        let holder = match work_tree_lock {
            Some(_) => None,
            None => lock::current_holder(r.git_dir())?,
        };
        return Err(keeper::pending_error(r, &journal, holder.as_ref()).into());
    }
    if let Some(r) = &repo
        && work_tree_lock.is_some()
    {
        let kept = keeper::kept_dirs(r);
        if !kept.is_empty() {
            ctx.printer.warn(&format!(
                "unstaged work that a hook run could not put back is kept in {} (see README.txt there); delete it once you have what you need",
                kept.iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    phase("configuration loaded");
    let steps: Vec<Step> = build::pipeline(&loaded, build::BuildOptions { drift: req.drift })?;
    check_names(ctx, &steps, req)?;

    let run_scope: RunScope = match (&repo, req.hook) {
        (Some(r), Some(hook)) => scope::resolve(r, hook, &req.overrides, &req.git_args, stdin)?,
        (Some(r), None) => guard_rails_scope(r, &req.overrides)?,
        (None, _) => project_files_scope(&root, &req.overrides)?,
    };
    let whole_project = req.hook.is_none() && matches!(req.overrides, Override::None);
    let selection = Selection {
        hook: req.hook,
        skip: req.skip.clone(),
        only: req.only.clone(),
        no_format: req.no_format,
        whole_project,
        no_file_set: run_scope.no_file_set,
    };
    phase(&format!(
        "{} files in scope ({})",
        run_scope.files.len(),
        run_scope.mode
    ));
    let plan = plan::plan(&steps, &run_scope.files, &selection);
    let anything_runs = plan.steps.iter().any(|p| p.skip.is_none());
    phase("planned");

    let saved = match (&repo, prescan, run_scope.protect_unstaged && anything_runs) {
        (Some(r), Some(prescan), true) => keeper::save(r, prescan, &|p| phase(p))?,
        _ => SaveOutcome::default(),
    };
    for left in &saved.left_alone {
        ctx.printer
            .warn(&format!("{}; steps see it as it is", left.reason));
    }
    let kept = saved.keeper;
    if let Some(k) = &kept {
        children.on_spawn(k.group_recorder());
        phase(&format!(
            "unstaged changes to {} file(s) set aside",
            k.journal().entries.len()
        ));
    }
    let settings = RunSettings {
        root: root.clone(),
        env: run_scope.env.clone(),
        fail_fast: req.fail_fast || loaded.config.guard_rails.fail_fast,
        jobs: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        restage_allowed: kept.is_some() || (run_scope.protect_unstaged && repo.is_some()),
        watched: kept
            .as_ref()
            .map(|k| k.journal().entries.iter().map(|e| e.rel()).collect())
            .unwrap_or_default(),
    };
    let executor = Executor {
        settings: &settings,
        repo: repo.as_ref(),
        builtins: &ProjectBuiltins {
            loaded: &loaded,
            hook: req.hook,
        },
        children: &children,
        interrupted: &interrupted,
    };
    let printer = &ctx.printer;
    let mut print_failure = |r: &StepResult| {
        if req.json {
            return;
        }
        let _ = printer.outln(&report::line(printer, r));
        let details = report::details(r);
        if !details.is_empty() {
            let _ = printer.out(&details);
        }
    };
    let results = executor.execute(&plan, &mut print_failure);
    phase("steps finished");
    let restored = match kept {
        Some(k) => Some(k.restore(&step_edits(&results))?),
        None => None,
    };
    phase("unstaged changes restored");
    drop(work_tree_lock);

    let was_interrupted = interrupted.load(Ordering::SeqCst);
    let failed = results.iter().any(|r| r.status == Status::Failed);
    let conflicts = restored
        .as_ref()
        .map(|r| r.conflicts.clone())
        .unwrap_or_default();
    let kept_aside = restored.as_ref().and_then(|r| r.aside.clone());
    let status = if was_interrupted {
        ExitStatus::Interrupted
    } else if failed || !conflicts.is_empty() || kept_aside.is_some() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    };
    let what = match req.hook {
        Some(h) => format!("{h} hook"),
        None => "guard-rails".to_string(),
    };
    if req.json {
        let doc = JsonReport {
            version: 1,
            command: match req.hook {
                Some(h) => format!("hook run {h}"),
                None => "guard-rails".to_string(),
            },
            hook: req.hook.map(|h| h.to_string()),
            mode: run_scope.mode.to_string(),
            files: run_scope.files.len(),
            passed: status == ExitStatus::Success,
            exit_code: status.code(),
            steps: results.iter().map(JsonStep::from).collect(),
        };
        printer.outln(&serde_json::to_string_pretty(&doc)?)?;
    }
    if let Some(r) = &restored {
        report_restore(ctx, r);
    }
    if was_interrupted {
        printer.error(&format!(
            "{what} interrupted; your unstaged changes are restored"
        ));
    } else if let Some(summary) = report::failure_summary(&what, &results, plan.len()) {
        printer.status(&summary);
    }
    Ok(status)
}

/// Could this run set unstaged work aside? (Only a pre-commit or
/// pre-merge-commit run on the staged files does.)
fn may_set_aside(hook: HookType, overrides: &Override) -> bool {
    matches!(hook, HookType::PreCommit | HookType::PreMergeCommit)
        && matches!(overrides, Override::None)
}

/// Take the work tree's lock, waiting for another run as long as
/// `HEPHAESTUS_LOCK_TIMEOUT` says; `None` when interrupted meanwhile. A
/// free lock is taken at once; only a wait installs the signal handlers
/// first (into `interrupted`), so that Ctrl-C ends it.
fn take_lock(
    ctx: &Context,
    repo: &Repo,
    hook: HookType,
    children: &Children,
    interrupted: &mut Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
) -> anyhow::Result<Option<WorkTreeLock>> {
    let wait = lock::wait_from_env()?;
    let what = format!("hook run {hook}");
    let quiet = |_: Option<&Holder>| {};
    let first = LockSettings {
        what: &what,
        wait: std::time::Duration::ZERO,
        on_wait: &quiet,
        cancel: None,
    };
    if let Ok(l) = lock::acquire(repo.git_dir(), &first)? {
        return Ok(Some(l));
    }
    let flag = interrupted.get_or_insert_with(|| signals::install(children.clone()));
    let on_wait = |holder: Option<&Holder>| {
        ctx.printer.status(&format!(
            "waiting for another hook run in this work tree to finish ({})",
            holder
                .map(Holder::describe)
                .unwrap_or_else(|| "its pid is not known yet".to_string())
        ));
    };
    let settings = LockSettings {
        what: &what,
        wait,
        on_wait: &on_wait,
        cancel: Some(flag),
    };
    match lock::acquire(repo.git_dir(), &settings)? {
        Ok(l) => Ok(Some(l)),
        Err(busy) if busy.cancelled => Ok(None),
        Err(busy) => Err(lock::busy_error(&busy).into()),
    }
}

/// The fixers' last edit of each path, for the keeper.
fn step_edits(results: &[StepResult]) -> StepEdits {
    let mut edits = StepEdits::default();
    for r in results {
        for (path, fingerprint) in &r.edited {
            edits.0.insert(
                path.clone(),
                Edit {
                    fingerprint: *fingerprint,
                    restaged: r.restaged.contains(path),
                },
            );
        }
    }
    edits
}

/// Tell what putting the work back found: conflicts, index entries put
/// back, and anything kept aside.
fn report_restore(ctx: &Context, r: &keeper::Restored) {
    let printer = &ctx.printer;
    let list = |paths: &[BString]| {
        paths
            .iter()
            .map(|p| p.to_str_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !r.conflicts.is_empty() {
        let index = if r.index_reset.is_empty() || r.index_reset_failed.is_some() {
            String::new()
        } else {
            format!(
                "; the index entries of {} are back as you staged them",
                list(&r.index_reset)
            )
        };
        printer.error(&format!(
            "a step's edits to {} conflicted with your unstaged changes; the step's edits were rolled back and your changes are restored{index}",
            list(&r.conflicts)
        ));
        printer.hint(
            "stage or stash your changes to those files and commit again, or run the fixer by hand",
        );
    }
    if let Some(message) = &r.index_reset_failed {
        printer.error(&format!(
            "could not put the index entries of {} back as you staged them: {message}",
            list(&r.index_reset)
        ));
        printer.hint("the step's fix is still staged for them: `git restore --staged <file>` and `git add -p` to stage what you meant");
    }
    if let Some(aside) = &r.aside {
        for p in &aside.paths {
            printer.error(&format!(
                "{}; your version from before the hook run is in {}",
                p.reason,
                p.location(&aside.dir).display()
            ));
        }
        printer.hint(&format!(
            "compare and copy back what you need from {} (README.txt and changes.patch are there), then delete it",
            aside.dir.display()
        ));
    }
}

/// `--step` names must exist; unknown `--skip`/`SKIP` names are warned about.
fn check_names(ctx: &Context, steps: &[Step], req: &RunRequest) -> anyhow::Result<()> {
    let unknown = plan::unknown_names(steps, &req.only);
    if let Some(name) = unknown.first() {
        let names: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
        let hint = match names
            .iter()
            .max_by(|a, b| strsim::jaro_winkler(name, a).total_cmp(&strsim::jaro_winkler(name, b)))
        {
            Some(best) if strsim::jaro_winkler(name, best) > 0.8 => {
                format!("did you mean `{best}`?")
            }
            _ => format!("steps in this pipeline: {}", names.join(", ")),
        };
        return Err(UserError::usage(format!("--step {name}: no such step"))
            .with_hint(hint)
            .into());
    }
    for name in plan::unknown_names(steps, &req.skip) {
        ctx.printer
            .verbose(&format!("skip: no step named {name:?} in this pipeline"));
    }
    Ok(())
}

fn guard_rails_scope(repo: &Repo, overrides: &Override) -> anyhow::Result<RunScope> {
    let mut rs = scope::resolve(
        repo,
        HookType::PreCommit,
        &normalise(overrides),
        &[],
        &mut std::io::empty(),
    )?;
    rs.env
        .retain(|(k, _)| k != "HEPHAESTUS_HOOK" && k != "PRE_COMMIT_HOOK_STAGE");
    rs.protect_unstaged = false;
    Ok(rs)
}

/// `guard-rails` without a file selection covers every tracked file.
fn normalise(overrides: &Override) -> Override {
    match overrides {
        Override::None => Override::AllFiles,
        o => o.clone(),
    }
}

/// Outside git: every file under the root that .gitignore files do not
/// exclude.
fn project_files_scope(root: &std::path::Path, overrides: &Override) -> anyhow::Result<RunScope> {
    let files = match overrides {
        Override::Files(f) => f.clone(),
        Override::None | Override::AllFiles => {
            let mut files = Vec::new();
            for entry in ignore::WalkBuilder::new(root)
                .hidden(false)
                .build()
                .flatten()
            {
                if entry.file_type().is_some_and(|t| t.is_file())
                    && let Ok(rel) = entry.path().strip_prefix(root)
                {
                    files.push(BString::from(rel.as_os_str().as_encoded_bytes()));
                }
            }
            files.sort();
            files
        }
        _ => {
            return Err(UserError::usage(
                "--from-ref, --to-ref and --last-commit need a git repository",
            )
            .into());
        }
    };
    Ok(RunScope {
        files,
        mode: "project",
        env: vec![
            ("HEPHAESTUS".into(), "1".into()),
            ("PRE_COMMIT".into(), "1".into()),
        ],
        no_file_set: false,
        protect_unstaged: false,
    })
}
