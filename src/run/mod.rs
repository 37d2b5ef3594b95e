//! A hook run (`hook run`) or a `guard-rails` run, end to end:
//!
//! 1. prepare: open the repository, take the work tree's lock when
//!    unstaged work may be set aside, load the configuration, refuse
//!    while a keeper journal is pending, resolve the settings
//!    ([`settings`]);
//! 2. steps: build them from the configuration and check the names
//!    asked for (`--step`);
//! 3. scope: which files the run covers ([`scope`], also behind
//!    `hephaestus files`);
//! 4. plan them over the files ([`crate::steps::plan`]);
//! 5. keeper save: set unstaged work aside (pre-commit; [`keeper`]);
//! 6. execute the plan ([`execute`]; scoped cleanup and drift run in
//!    process, [`in_process`]);
//! 7. keeper restore: put the work back;
//! 8. report, and turn the outcome into an exit status ([`report`]).
//!
//! Nothing here knows about clap: the command line fills in a
//! [`settings::RunArgs`].

pub mod execute;
pub mod fingerprint;
pub mod in_process;
pub mod keeper;
pub mod report;
pub mod scope;
pub mod settings;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::config::Loaded;
use crate::error::UserError;
use crate::exit::ExitStatus;
use crate::git::{HookType, Repo};
use crate::printer::Printer;
use crate::process::{Children, signals};
use crate::pyenv::{EnvHints, PythonEnv};
use crate::steps::describe::{Describer, StepCommand, VersionProbe};
use crate::steps::plan::{self, Plan};
use crate::steps::{Step, build};
use std::collections::BTreeMap;

use self::execute::{ExecuteSettings, Executor, StepResult};
use self::in_process::ProjectSteps;
use self::keeper::lock::{self, Holder, LockSettings, WorkTreeLock};
use self::keeper::{Edit, Keeper, Prescan, StepEdits};
use self::scope::RunScope;
pub use self::settings::{RunArgs, RunEnv};
use self::settings::{RunSettings, may_set_aside};

/// Where a run starts and how it talks to the user.
#[derive(Clone, Copy)]
pub struct RunContext<'a> {
    pub printer: &'a Printer,
    /// The directory the run starts in.
    pub cwd: &'a Path,
    /// `--config`: this configuration file instead of finding one.
    pub config_path: Option<&'a Path>,
    pub env: &'a RunEnv,
}

/// Run the pipeline and report; returns the exit status.
pub fn run(
    cx: &RunContext<'_>,
    args: &RunArgs,
    stdin: &mut dyn BufRead,
) -> anyhow::Result<ExitStatus> {
    if args.hook.is_some() && cx.env.hooks_disabled() {
        return Ok(ExitStatus::Success);
    }
    let clock = Clock::start(cx.printer);
    let repo = open_repo(cx, args.hook)?;
    let root = match &repo {
        Some(r) => r.work_tree()?.to_path_buf(),
        None => cx.cwd.to_path_buf(),
    };
    clock.phase("repository opened");
    let Some(mut prepared) = prepare(cx, args, repo.as_ref(), root, &clock)? else {
        cx.printer.error(&format!(
            "{} hook interrupted while waiting for another hook run; nothing was changed",
            args.hook.map(|h| h.as_str()).unwrap_or_default()
        ));
        return Ok(ExitStatus::Interrupted);
    };
    let prescan = prepared.prescan.take();
    let settings = &prepared.settings;
    let steps = build_steps(cx, &prepared)?;
    let scope = scope::resolve(
        repo.as_ref(),
        &prepared.root,
        &settings.scope_request(),
        stdin,
    )?;
    clock.phase(&format!(
        "{} files in scope ({})",
        scope.files.len(),
        scope.mode
    ));
    let plan = plan::plan(&steps, scope.file_set(&prepared.root), &settings.selection);
    clock.phase("planned");
    let kept = save(
        cx,
        repo.as_ref(),
        prescan,
        &scope,
        &plan,
        &prepared.children,
        &clock,
    )?;
    let commands = describe(cx, &prepared, &plan);
    let results = execute(
        cx,
        &prepared,
        repo.as_ref(),
        &scope,
        &plan,
        kept.as_ref(),
        &commands,
    );
    clock.phase("steps finished");
    let restored = match kept {
        Some(k) => Some(k.restore(&step_edits(&results))?),
        None => None,
    };
    clock.phase("unstaged changes restored");
    drop(prepared.lock);
    report::finish(&report::Finish {
        printer: cx.printer,
        settings,
        scope: &scope,
        results: &results,
        planned: plan.len(),
        restored: restored.as_ref(),
        interrupted: &prepared.interrupted,
        commands: &commands,
    })
}

/// Verbose timing of the phases of a run.
struct Clock<'a> {
    printer: &'a Printer,
    started: Instant,
}

impl<'a> Clock<'a> {
    fn start(printer: &'a Printer) -> Self {
        Clock {
            printer,
            started: Instant::now(),
        }
    }

    fn phase(&self, name: &str) {
        self.printer.verbose(&format!(
            "[{:>7.1} ms] {name}",
            self.started.elapsed().as_secs_f64() * 1e3
        ))
    }
}

/// The repository around the start directory: required for a hook run,
/// optional for `guard-rails`.
fn open_repo(cx: &RunContext<'_>, hook: Option<HookType>) -> anyhow::Result<Option<Repo>> {
    match Repo::discover(cx.cwd) {
        Ok(r) => Ok(Some(r)),
        Err(e) if hook.is_some() => Err(e.into()),
        Err(_) => Ok(None),
    }
}

/// A run after its preparation.
struct Prepared {
    root: PathBuf,
    loaded: Arc<Loaded>,
    settings: RunSettings,
    lock: Option<WorkTreeLock>,
    /// The search for unstaged changes, started as soon as the lock is held.
    prescan: Option<Prescan>,
    /// The project's Python environment, found once for the steps, the
    /// python preset and the command descriptions.
    python_env: Option<PythonEnv>,
    children: Children,
    interrupted: Arc<AtomicBool>,
}

/// Take the lock (when unstaged work may be set aside), load the
/// configuration, refuse while a keeper journal is pending, and resolve
/// the settings. `None` when interrupted while waiting for the lock.
fn prepare(
    cx: &RunContext<'_>,
    args: &RunArgs,
    repo: Option<&Repo>,
    root: PathBuf,
    clock: &Clock<'_>,
) -> anyhow::Result<Option<Prepared>> {
    let children = Children::default();
    let mut interrupted = None;
    // One keeper per work tree: a run that may set unstaged work aside
    // takes the lock before it reads anything.
    let work_tree_lock = match (repo, args.hook) {
        (Some(r), Some(hook)) if may_set_aside(args.hook, &args.overrides) => {
            match take_lock(cx, r, hook, &children, &mut interrupted)? {
                Some(l) => Some(l),
                None => return Ok(None),
            }
        }
        _ => None,
    };
    // Under the lock, the keeper's search for unstaged changes can start
    // at once and overlap with the rest of the preparation.
    let prescan = match (repo, &work_tree_lock) {
        (Some(r), Some(_)) => {
            clock.phase("work tree locked");
            Some(keeper::prescan(r))
        }
        _ => None,
    };
    let interrupted = interrupted.unwrap_or_else(|| signals::install(children.clone()));
    children.start_watchdog();
    let loaded = crate::config::load(&root, cx.config_path)?;
    if let Some(r) = repo {
        refuse_pending_journal(r, work_tree_lock.is_some())?;
        if work_tree_lock.is_some() {
            warn_kept(cx, r);
        }
    }
    clock.phase("configuration loaded");
    let settings = RunSettings::resolve(args, &loaded.config, cx.env);
    let python_env = crate::pyenv::find(&root, &EnvHints::from_process());
    Ok(Some(Prepared {
        root,
        loaded: Arc::new(loaded),
        settings,
        lock: work_tree_lock,
        prescan,
        python_env,
        children,
        interrupted,
    }))
}

/// A journal left by a run that did not finish stops this one.
fn refuse_pending_journal(repo: &Repo, locked: bool) -> anyhow::Result<()> {
    let Some(journal) = keeper::pending(repo)? else {
        return Ok(());
    };
    let holder = match locked {
        true => None,
        false => lock::current_holder(repo.git_dir())?,
    };
    Err(keeper::pending_error(repo, &journal, holder.as_ref()).into())
}

/// Remind the user of work an earlier run could not put back.
fn warn_kept(cx: &RunContext<'_>, repo: &Repo) {
    let kept = keeper::kept_dirs(repo);
    if !kept.is_empty() {
        cx.printer.warn(&format!(
            "unstaged work that a hook run could not put back is kept in {} (see README.txt there); delete it once you have what you need",
            kept.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
}

/// Take the work tree's lock, waiting for another run as long as
/// `HEPHAESTUS_LOCK_TIMEOUT` says; `None` when interrupted meanwhile. A
/// free lock is taken at once; only a wait installs the signal handlers
/// first (into `interrupted`), so that Ctrl-C ends it.
fn take_lock(
    cx: &RunContext<'_>,
    repo: &Repo,
    hook: HookType,
    children: &Children,
    interrupted: &mut Option<Arc<AtomicBool>>,
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
        cx.printer.status(&format!(
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

/// Build the steps and check the names asked for.
fn build_steps(cx: &RunContext<'_>, prepared: &Prepared) -> anyhow::Result<Vec<Step>> {
    let options = build::BuildOptions {
        drift: prepared.settings.drift,
        python_env: prepared.python_env.as_ref(),
    };
    let steps: Vec<Step> = build::pipeline(&prepared.loaded, options)?;
    check_names(cx, &steps, &prepared.settings.selection)?;
    Ok(steps)
}

/// `--step` names must exist; unknown `--skip`/`SKIP` names get a
/// warning with the nearest step name.
fn check_names(
    cx: &RunContext<'_>,
    steps: &[Step],
    selection: &plan::Selection,
) -> anyhow::Result<()> {
    let unknown = plan::unknown_names(steps, &selection.only);
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
    for name in plan::unknown_names(steps, &selection.skip) {
        let hint = match closest(&name, steps) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!(
                "steps in this pipeline: {}",
                steps
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        cx.printer.warn(&format!(
            "--skip/SKIP names {name:?}, which is no step of this pipeline, so it skips nothing; {hint}"
        ));
    }
    Ok(())
}

/// The step name most like `name` (a typo, or a prefix such as `ruf`).
fn closest<'s>(name: &str, steps: &'s [Step]) -> Option<&'s str> {
    let score = |candidate: &str| {
        let prefix = candidate.starts_with(name) && !name.is_empty();
        strsim::jaro_winkler(name, candidate) + if prefix { 1.0 } else { 0.0 }
    };
    steps
        .iter()
        .map(|s| s.name.as_str())
        .max_by(|a, b| score(a).total_cmp(&score(b)))
        .filter(|best| score(best) > 0.8)
}

/// Set unstaged work aside when the run protects it and a step runs.
fn save<'r>(
    cx: &RunContext<'_>,
    repo: Option<&'r Repo>,
    prescan: Option<Prescan>,
    scope: &RunScope,
    plan: &Plan,
    children: &Children,
    clock: &Clock<'_>,
) -> anyhow::Result<Option<Keeper<'r>>> {
    let anything_runs = plan.steps.iter().any(|p| p.skip.is_none());
    let (Some(r), Some(prescan), true) = (repo, prescan, scope.protect_unstaged && anything_runs)
    else {
        return Ok(None);
    };
    let saved = keeper::save(r, prescan, &|p| clock.phase(p))?;
    for left in &saved.left_alone {
        cx.printer
            .warn(&format!("{}; steps see it as it is", left.reason));
    }
    if let Some(k) = &saved.keeper {
        children.on_spawn(k.group_recorder());
        clock.phase(&format!(
            "unstaged changes to {} file(s) set aside",
            k.journal().entries.len()
        ));
    }
    Ok(saved.keeper)
}

/// What each command step of the plan runs, for the JSON report and
/// `-v` (versions from package metadata: no extra process).
fn describe(
    cx: &RunContext<'_>,
    prepared: &Prepared,
    plan: &Plan,
) -> BTreeMap<String, StepCommand> {
    let verbose = cx.printer.verbosity() >= crate::printer::Verbosity::Verbose;
    if !prepared.settings.json && !verbose {
        return BTreeMap::new();
    }
    let describer = Describer::new(
        &prepared.root,
        prepared.python_env.as_ref(),
        VersionProbe::Metadata,
    );
    plan.steps
        .iter()
        .filter(|p| p.skip.is_none())
        .filter_map(|p| Some((p.step.name.clone(), describer.describe(&p.step)?)))
        .collect()
}

/// Execute the plan, printing each step's line as its group finishes.
fn execute(
    cx: &RunContext<'_>,
    prepared: &Prepared,
    repo: Option<&Repo>,
    scope: &RunScope,
    plan: &Plan,
    kept: Option<&Keeper<'_>>,
    commands: &BTreeMap<String, StepCommand>,
) -> Vec<StepResult> {
    let mut env = scope.env.clone();
    env.extend(activation(cx, prepared));
    let settings = ExecuteSettings {
        root: prepared.root.clone(),
        env,
        fail_fast: prepared.settings.fail_fast,
        restage_allowed: kept.is_some() || (scope.protect_unstaged && repo.is_some()),
        watched: kept
            .map(|k| k.journal().entries.iter().map(|e| e.rel()).collect())
            .unwrap_or_default(),
    };
    let executor = Executor {
        settings: &settings,
        repo,
        in_process: &ProjectSteps {
            loaded: Arc::clone(&prepared.loaded),
            hook: prepared.settings.hook,
            ref_range: ref_range(&scope.env),
            passes: in_process::Passes::for_plan(plan, &prepared.root),
        },
        children: &prepared.children,
        interrupted: &prepared.interrupted,
    };
    let json = prepared.settings.json;
    let mut print_step = |r: &StepResult| {
        if !json {
            report::step(cx.printer, r);
            if let Some(c) = commands.get(&r.name) {
                cx.printer.verbose(&report::command_line(c));
            }
        }
    };
    executor.execute(plan, &mut print_step)
}

/// The project's Python environment activated for every step, as `uv
/// run` or `source .venv/bin/activate` would: `VIRTUAL_ENV` and its `bin`
/// first on `PATH`, so tools, and the commands a test suite shells out
/// to, come from the project.
fn activation(cx: &RunContext<'_>, prepared: &Prepared) -> Vec<(String, String)> {
    let root = &prepared.root;
    let Some(env) = &prepared.python_env else {
        return Vec::new();
    };
    let Some(act) = crate::pyenv::toolcfg::Activation::of(env) else {
        return Vec::new();
    };
    let path = act.path_var(std::env::var_os("PATH").as_deref());
    match (act.virtual_env.to_str(), path.to_str()) {
        (Some(venv), Some(path)) => {
            cx.printer.verbose(&format!(
                "steps run in {} ({})",
                crate::pyenv::shown_path(&act.virtual_env, root),
                act.kind.describe()
            ));
            vec![
                ("VIRTUAL_ENV".to_string(), venv.to_string()),
                ("PATH".to_string(), path.to_string()),
            ]
        }
        _ => {
            cx.printer.warn(&format!(
                "{} is not valid UTF-8: steps run without it activated",
                act.virtual_env.display()
            ));
            Vec::new()
        }
    }
}

/// The ref range of a pre-push or `--from-ref/--to-ref` run, from the
/// variables steps get (`PRE_COMMIT_FROM_REF`, `PRE_COMMIT_TO_REF`).
fn ref_range(env: &[(String, String)]) -> Option<(String, String)> {
    let get = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    Some((get("PRE_COMMIT_FROM_REF")?, get("PRE_COMMIT_TO_REF")?))
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
