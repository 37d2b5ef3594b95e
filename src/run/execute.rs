//! Executing a plan: read-only steps run in parallel (their batches share a
//! pool bounded by the number of cores), a `fix` step runs alone, a fixer's
//! changes are detected (and re-staged when `restage = true` and safe),
//! `--fail-fast` stops after the first failing group, and an interrupt
//! stops everything that is running.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use crate::git::{BString, Repo, bytes_to_os};

use super::fingerprint::{FileWatch, Fingerprint, fingerprint};
use super::in_process::InProcess;
use crate::process::{self, Capture, Children, Exit, Invocation, Streams};
use crate::steps::plan::{Plan, Planned, SkipReason};
use crate::steps::{Action, Scope};

/// Settings of one execution.
#[derive(Debug, Clone)]
pub struct ExecuteSettings {
    /// Where steps run (the project root).
    pub root: PathBuf,
    /// Variables every step gets (HEPHAESTUS_*, PRE_COMMIT_*).
    pub env: Vec<(String, String)>,
    pub fail_fast: bool,
    /// `restage = true` may `git add` a fixer's changes: only when the
    /// unstaged changes of the user are saved away (the partial-staging
    /// keeper is active), so `git add` cannot stage them.
    pub restage_allowed: bool,
    /// Paths whose changes by a fixer are detected even when the step was
    /// not given them: the paths the keeper has set aside (it must tell a
    /// fixer's edit from anybody else's).
    pub watched: Vec<BString>,
}

/// The status of a step after the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Passed,
    Failed,
    Skipped(SkipReason),
    /// Not run, with a notice (an optional tool is not installed).
    Notice(String),
}

/// What happened to one step.
#[derive(Debug, Clone)]
pub struct StepResult {
    pub name: String,
    pub position: usize,
    pub status: Status,
    pub exit: Option<Exit>,
    pub duration: Duration,
    pub files: Vec<BString>,
    /// Files the step changed (fixers).
    pub modified: Vec<BString>,
    /// Files re-staged after the step (`restage = true`).
    pub restaged: Vec<BString>,
    /// Every file a fixer changed (modified or re-staged) with its
    /// fingerprint right after the step (`None`: it was removed), so the
    /// keeper can tell the fixer's edits from later ones.
    pub edited: Vec<(BString, Option<Fingerprint>)>,
    pub output: Vec<u8>,
    /// A sentence explaining a failure that is not the tool's own output.
    pub message: Option<String>,
}

/// Everything `execute` needs besides the plan.
pub struct Executor<'a> {
    pub settings: &'a ExecuteSettings,
    pub repo: Option<&'a Repo>,
    pub in_process: &'a dyn InProcess,
    pub children: &'a Children,
    pub interrupted: &'a AtomicBool,
}

/// One finished batch: its order of completion and outcome.
type BatchRun = (usize, process::Outcome);

struct Task {
    step: usize,
    program: PathBuf,
    args: Vec<OsString>,
}

impl Executor<'_> {
    /// Run the plan; `report` is called with each result, in order, as
    /// soon as the step's group has finished.
    pub fn execute(&self, plan: &Plan, report: &mut dyn FnMut(&StepResult)) -> Vec<StepResult> {
        let mut results = Vec::with_capacity(plan.len());
        // The work tree's unstaged changes after the last read-only group:
        // the next group's starting point (one status per group).
        let mut snapshot: Option<Fingerprints> = None;
        let mut i = 0;
        while i < plan.steps.len() {
            if self.interrupted.load(Ordering::SeqCst) {
                break;
            }
            // A group: consecutive read-only steps, or one fixer.
            let end = if plan.steps[i].step.fix {
                i + 1
            } else {
                let mut j = i;
                while j < plan.steps.len() && !plan.steps[j].step.fix {
                    j += 1;
                }
                j
            };
            let group = &plan.steps[i..end];
            let group_results = if group.len() == 1 && group[0].step.fix {
                snapshot = None;
                vec![self.run_fixer(&group[0])]
            } else {
                self.run_read_only(group, &mut snapshot)
            };
            let failed = group_results.iter().any(|r| r.status == Status::Failed);
            for r in group_results {
                report(&r);
                results.push(r);
            }
            if failed && self.settings.fail_fast {
                break;
            }
            i = end;
        }
        results
    }

    fn skipped(p: &Planned, status: Status) -> StepResult {
        StepResult {
            name: p.step.name.clone(),
            position: p.position,
            status,
            exit: None,
            duration: Duration::ZERO,
            files: p.files.clone(),
            modified: Vec::new(),
            restaged: Vec::new(),
            edited: Vec::new(),
            output: Vec::new(),
            message: None,
        }
    }

    /// Run a group of read-only steps, in parallel.
    fn run_group(&self, group: &[Planned]) -> Vec<StepResult> {
        let mut results: Vec<Option<StepResult>> = vec![None; group.len()];
        let envs: Vec<Vec<(String, String)>> = group.iter().map(|p| self.env_for(p)).collect();
        let mut tasks: Vec<Task> = Vec::new();
        let mut in_process: Vec<usize> = Vec::new();
        // Serial steps keep their batches together in one task list.
        let mut serial: Vec<Vec<Task>> = Vec::new();
        for (k, p) in group.iter().enumerate() {
            if let Some(reason) = &p.skip {
                results[k] = Some(Self::skipped(p, Status::Skipped(reason.clone())));
                continue;
            }
            match &p.step.action {
                Action::Command { .. } => match self.tasks_for(k, p, &envs[k]) {
                    Ok(t) if p.step.require_serial => serial.push(t),
                    Ok(t) => tasks.extend(t),
                    Err(r) => results[k] = Some(*r),
                },
                Action::Cleanup | Action::Drift | Action::Hygiene(_) => in_process.push(k),
            }
        }
        // In-process steps (built-in checks, cleanup, drift) run side by
        // side, each on its own thread.
        let in_process_steps = self.in_process;
        match in_process.as_slice() {
            [] => {}
            [k] => results[*k] = Some(run_in_process(in_process_steps, &group[*k])),
            several => {
                let done: Vec<(usize, StepResult)> = std::thread::scope(|scope| {
                    let handles: Vec<_> = several
                        .iter()
                        .map(|&k| {
                            let p = &group[k];
                            scope.spawn(move || (k, run_in_process(in_process_steps, p)))
                        })
                        .collect();
                    handles.into_iter().filter_map(|h| h.join().ok()).collect()
                });
                for (k, r) in done {
                    results[k] = Some(r);
                }
            }
        }
        let outcomes: Mutex<BTreeMap<usize, Vec<BatchRun>>> = Mutex::new(BTreeMap::new());
        let starts: Mutex<BTreeMap<usize, (Instant, Instant)>> = Mutex::new(BTreeMap::new());
        // Work units: each parallel task alone, each serial step's task list.
        let mut units: Vec<Vec<Task>> = tasks.into_iter().map(|t| vec![t]).collect();
        units.extend(serial);
        let next = AtomicUsize::new(0);
        let workers = process::workers(units.len());
        let timeout_of = |k: usize| group[k].step.timeout;
        let batch_index = AtomicUsize::new(0);
        let (settings, children, interrupted) = (self.settings, self.children, self.interrupted);
        let work = || {
            loop {
                let u = next.fetch_add(1, Ordering::SeqCst);
                let Some(unit) = units.get(u) else { break };
                for task in unit {
                    if interrupted.load(Ordering::SeqCst) {
                        break;
                    }
                    let begin = Instant::now();
                    let invocation = Invocation {
                        program: task.program.clone(),
                        args: task.args.clone(),
                        env: envs[task.step].clone(),
                        cwd: settings.root.clone(),
                    };
                    let outcome = process::capture(
                        invocation.command(),
                        &Capture {
                            timeout: timeout_of(task.step),
                            streams: Streams::Merged,
                            cap: None,
                            children: Some(children),
                        },
                    );
                    let end = Instant::now();
                    let order = batch_index.fetch_add(1, Ordering::SeqCst);
                    let failed = !outcome.exit.success();
                    if let Ok(mut s) = starts.lock() {
                        let e = s.entry(task.step).or_insert((begin, end));
                        e.0 = e.0.min(begin);
                        e.1 = e.1.max(end);
                    }
                    if let Ok(mut o) = outcomes.lock() {
                        o.entry(task.step).or_default().push((order, outcome));
                    }
                    if failed && group[task.step].step.require_serial {
                        break;
                    }
                }
            }
        };
        // One worker is this thread: a group of one process starts none.
        std::thread::scope(|scope| {
            for _ in 1..workers {
                scope.spawn(work);
            }
            work();
        });
        let outcomes = outcomes.into_inner().unwrap_or_default();
        let starts = starts.into_inner().unwrap_or_default();
        for (k, p) in group.iter().enumerate() {
            if results[k].is_some() {
                continue;
            }
            let mut runs = outcomes.get(&k).cloned().unwrap_or_default();
            runs.sort_by_key(|r| r.0);
            let duration = starts
                .get(&k)
                .map(|(a, b)| b.duration_since(*a))
                .unwrap_or_default();
            results[k] = Some(combine(
                p,
                runs.into_iter().map(|r| r.1).collect(),
                duration,
            ));
        }
        results.into_iter().flatten().collect()
    }

    fn env_for(&self, p: &Planned) -> Vec<(String, String)> {
        let mut env = self.settings.env.clone();
        env.extend(p.step.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        env
    }

    /// The process invocations of a command step, batched.
    fn tasks_for(
        &self,
        k: usize,
        p: &Planned,
        env: &[(String, String)],
    ) -> Result<Vec<Task>, Box<StepResult>> {
        let Action::Command { argv, shell } = &p.step.action else {
            return Ok(Vec::new());
        };
        let Some((first, rest)) = argv.split_first() else {
            return Ok(Vec::new());
        };
        if let Some(hint) = &p.step.missing_hint
            && hint.tool != *first
            && crate::tools::venv_program(&self.settings.root, &hint.tool).is_none()
            && !crate::tools::resolve_on_path(&hint.tool).is_found()
        {
            return Err(Box::new(self.missing(p, &hint.tool)));
        }
        let (program, mut fixed): (PathBuf, Vec<OsString>) = if *shell {
            let script = format!("{first} \"$@\"");
            (
                PathBuf::from("sh"),
                vec!["-c".into(), script.into(), "hephaestus-step".into()],
            )
        } else {
            let resolved = crate::tools::resolve(&self.settings.root, first);
            if !resolved.is_found() {
                return Err(Box::new(self.missing(p, first)));
            }
            let mut argv = resolved.argv();
            let program = PathBuf::from(argv.remove(0));
            argv.extend(rest.iter().map(OsString::from));
            (program, argv)
        };
        if *shell {
            fixed.extend(rest.iter().map(OsString::from));
        }
        let pass = p.step.pass_files && p.step.scope == Scope::Files;
        if !pass || p.files.is_empty() {
            return Ok(vec![Task {
                step: k,
                program,
                args: fixed,
            }]);
        }
        let inherited: usize = std::env::vars_os()
            .map(|(k, v)| k.len() + v.len() + 10)
            .sum();
        let added = crate::steps::batch::environment_size(
            env.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes())),
        );
        let limit = crate::steps::batch::max_command_length(inherited + added);
        let fixed_len: usize =
            program.as_os_str().len() + fixed.iter().map(|a| a.len() + 9).sum::<usize>();
        Ok(crate::steps::batch::partition(fixed_len, &p.files, limit)
            .into_iter()
            .map(|batch| {
                let mut args = fixed.clone();
                args.extend(batch.iter().map(|f| bytes_to_os(f).to_owned()));
                Task {
                    step: k,
                    program: program.clone(),
                    args,
                }
            })
            .collect())
    }

    fn missing(&self, p: &Planned, tool: &str) -> StepResult {
        let install = p.step.missing_hint.as_ref().map(|h| h.install.clone());
        let message = match &install {
            Some(how) => format!(
                "{tool} is not installed (looked in uv, .venv/bin and PATH); install it: {how}"
            ),
            None => format!("{tool} is not installed (looked in uv, .venv/bin and PATH)"),
        };
        if p.step.optional_tool {
            return Self::skipped(p, Status::Notice(message));
        }
        let mut r = Self::skipped(p, Status::Failed);
        r.exit = Some(Exit::NotFound(format!("{tool}: not found")));
        r.message = Some(message);
        r
    }

    /// Run a fixer alone, then find what it changed.
    fn run_fixer(&self, p: &Planned) -> StepResult {
        if p.skip.is_some() {
            return self.run_group(std::slice::from_ref(p)).remove(0);
        }
        if matches!(p.step.action, Action::Hygiene(_)) {
            return self.run_builtin_fixer(p);
        }
        let before = self.fingerprints(p);
        let mut result = self.run_group(std::slice::from_ref(p)).remove(0);
        if result.status == Status::Failed && matches!(result.exit, Some(Exit::NotFound(_)) | None)
        {
            return result;
        }
        let after = self.fingerprints(p);
        let mut modified: BTreeSet<BString> = BTreeSet::new();
        for (path, fp) in &after.files {
            if before.files.get(path) != Some(fp) {
                modified.insert(path.clone());
            }
        }
        for path in before.files.keys() {
            if !after.files.contains_key(path) {
                modified.insert(path.clone());
            }
        }
        if modified.is_empty() {
            return result;
        }
        let modified: Vec<BString> = modified.into_iter().collect();
        result.edited = modified
            .iter()
            .map(|path| (path.clone(), after.files.get(path).copied()))
            .collect();
        self.conclude_fixer(p, result, modified, &before.unstaged)
    }

    /// A built-in fixer runs in process and says which files it rewrote,
    /// so nothing is hashed before and after: its edits are those files,
    /// fingerprinted once it is done.
    fn run_builtin_fixer(&self, p: &Planned) -> StepResult {
        let restage = p.step.restage && self.settings.restage_allowed;
        let unstaged_before: BTreeSet<BString> = match (restage, self.repo) {
            (true, Some(repo)) => repo
                .unstaged_paths()
                .unwrap_or_default()
                .into_iter()
                .collect(),
            _ => BTreeSet::new(),
        };
        let mut result = self.run_group(std::slice::from_ref(p)).remove(0);
        let modified = std::mem::take(&mut result.modified);
        if modified.is_empty() {
            return result;
        }
        result.edited = modified
            .iter()
            .map(|path| {
                let fp = fingerprint(&self.settings.root.join(bytes_to_os(path)));
                (path.clone(), fp)
            })
            .collect();
        self.conclude_fixer(p, result, modified, &unstaged_before)
    }

    /// A fixer changed `modified`: re-stage what may be (`restage`), and
    /// fail the step for the rest.
    fn conclude_fixer(
        &self,
        p: &Planned,
        mut result: StepResult,
        modified: Vec<BString>,
        unstaged_before: &BTreeSet<BString>,
    ) -> StepResult {
        if p.step.restage && self.settings.restage_allowed {
            // Only files that had no unstaged changes before the fixer: for
            // them the work tree minus the index is exactly the fixer's
            // change.
            let (clean, dirty): (Vec<BString>, Vec<BString>) = modified
                .iter()
                .cloned()
                .partition(|f| !unstaged_before.contains(f));
            match self.repo.map(|r| crate::git::write::add_paths(r, &clean)) {
                Some(Ok(())) => {
                    result.restaged = clean;
                    result.modified = dirty;
                }
                Some(Err(e)) => {
                    result.modified = modified;
                    result.message = Some(format!("could not re-stage the fixed files: {e}"));
                }
                None => result.modified = modified,
            }
        } else {
            result.modified = modified;
        }
        if !result.modified.is_empty() {
            result.status = Status::Failed;
            if result.message.is_none() {
                result.message = Some("files were modified by this step".to_string());
            }
        }
        result
    }

    /// Run a group of read-only steps and fail any that changed a file:
    /// whichever step it is, an edit means the files checked are not the
    /// files committed (a linter that fixes behind a pass).
    ///
    /// A group whose commands all get their files watches those files
    /// (and the paths the keeper set aside) by stat before and after
    /// ([`FileWatch`]): the cost follows the files passed, not the size
    /// of the work tree. A group with a command that reaches beyond its
    /// files (project scope, `pass_files = false`, or run without files)
    /// compares the work tree's unstaged changes before and after, as git
    /// sees them, so a write to any tracked file is found.
    fn run_read_only(
        &self,
        group: &[Planned],
        snapshot: &mut Option<Fingerprints>,
    ) -> Vec<StepResult> {
        let runs_command =
            |p: &Planned| p.skip.is_none() && matches!(p.step.action, Action::Command { .. });
        if self.repo.is_none() || !group.iter().any(runs_command) {
            return self.run_group(group);
        }
        let whole_tree = group
            .iter()
            .any(|p| runs_command(p) && reaches_beyond_files(p));
        let (mut results, changed) = if whole_tree {
            let before = match snapshot.take() {
                Some(s) => s,
                None => self.unstaged_snapshot(),
            };
            let results = self.run_group(group);
            let after = self.unstaged_snapshot();
            let changed = changed_paths(&before, &after);
            *snapshot = Some(after);
            (results, changed)
        } else {
            // Whatever this group does outside its files is not looked
            // at, so the next group takes a fresh snapshot.
            *snapshot = None;
            let mut paths: BTreeSet<&BString> = group
                .iter()
                .filter(|p| p.skip.is_none())
                .flat_map(|p| p.files.iter())
                .collect();
            paths.extend(self.settings.watched.iter());
            let watch = FileWatch::start(&self.settings.root, paths.into_iter().cloned().collect());
            let results = self.run_group(group);
            let changed = watch.changed();
            (results, changed)
        };
        if !changed.is_empty() {
            let running: Vec<usize> = (0..group.len())
                .filter(|&k| runs_command(&group[k]) && results[k].exit.is_some())
                .collect();
            blame(group, &mut results, &running, &changed);
        }
        results
    }

    /// The paths with unstaged changes and what each holds now.
    fn unstaged_snapshot(&self) -> Fingerprints {
        let mut unstaged = BTreeSet::new();
        if let Some(repo) = self.repo
            && let Ok(changes) = repo.unstaged_paths()
        {
            unstaged.extend(changes);
        }
        let files = unstaged
            .iter()
            .filter_map(|path| {
                fingerprint(&self.settings.root.join(bytes_to_os(path)))
                    .map(|fp| (path.clone(), fp))
            })
            .collect();
        Fingerprints { files, unstaged }
    }

    /// What a fixer may change, hashed: its files and the paths the
    /// keeper set aside; and, when the fixer reaches beyond its files or
    /// may re-stage, every path with unstaged changes (a full status of
    /// the work tree, which a fixer that only gets files does not need).
    fn fingerprints(&self, p: &Planned) -> Fingerprints {
        let mut paths: BTreeSet<BString> = p.files.iter().cloned().collect();
        paths.extend(self.settings.watched.iter().cloned());
        let mut unstaged = BTreeSet::new();
        let whole_tree =
            reaches_beyond_files(p) || (p.step.restage && self.settings.restage_allowed);
        if whole_tree
            && let Some(repo) = self.repo
            && let Ok(changes) = repo.unstaged_paths()
        {
            for c in changes {
                unstaged.insert(c.clone());
                paths.insert(c);
            }
        }
        let files = paths
            .into_iter()
            .filter_map(|path| {
                fingerprint(&self.settings.root.join(bytes_to_os(&path))).map(|fp| (path, fp))
            })
            .collect();
        Fingerprints { files, unstaged }
    }
}

struct Fingerprints {
    files: BTreeMap<BString, Fingerprint>,
    unstaged: BTreeSet<BString>,
}

/// Whether a command step may touch files it was not given: project
/// scope, `pass_files = false`, or no files to pass (it then runs without
/// any, on whatever it decides to look at).
fn reaches_beyond_files(p: &Planned) -> bool {
    p.step.scope == Scope::Project || !p.step.pass_files || p.files.is_empty()
}

/// Paths whose unstaged state differs between two snapshots: newly
/// changed, changed again, or changed back.
fn changed_paths(before: &Fingerprints, after: &Fingerprints) -> BTreeSet<BString> {
    let mut changed = BTreeSet::new();
    for path in before.unstaged.union(&after.unstaged) {
        if before.unstaged.contains(path) != after.unstaged.contains(path)
            || before.files.get(path) != after.files.get(path)
        {
            changed.insert(path.clone());
        }
    }
    changed
}

/// Fail the read-only steps that changed files. A path goes to the steps
/// that were given it; a path none was given goes to the project-scope
/// steps, or to every step of the group when there is none (steps of a
/// group run at once, so the run cannot tell which of them wrote it).
fn blame(
    group: &[Planned],
    results: &mut [StepResult],
    running: &[usize],
    changed: &BTreeSet<BString>,
) {
    let mut blamed: BTreeMap<usize, Vec<BString>> = BTreeMap::new();
    let mut unsure: BTreeSet<usize> = BTreeSet::new();
    for path in changed {
        let given: Vec<usize> = running
            .iter()
            .copied()
            .filter(|&k| group[k].files.contains(path))
            .collect();
        let project: Vec<usize> = running
            .iter()
            .copied()
            .filter(|&k| group[k].step.scope == Scope::Project || !group[k].step.pass_files)
            .collect();
        let owners = match (given.is_empty(), project.is_empty()) {
            (false, _) => given,
            (true, false) => project,
            (true, true) => running.to_vec(),
        };
        if owners.len() > 1 {
            unsure.extend(owners.iter().copied());
        }
        for k in owners {
            blamed.entry(k).or_default().push(path.clone());
        }
    }
    for (k, paths) in blamed {
        let r = &mut results[k];
        r.status = Status::Failed;
        // Not recorded as the step's edits (`edited`): while read-only
        // steps run, the user may be editing too, and only a fixer's
        // changes are the keeper's to merge. An edit here stays in the
        // work tree; a path the keeper set aside keeps the newer edit and
        // the saved work goes aside, as for anyone else's edit.
        r.modified = paths;
        let others: Vec<&str> = running
            .iter()
            .filter(|&&j| j != k)
            .map(|&j| group[j].step.name.as_str())
            .collect();
        r.message = Some(if unsure.contains(&k) && !others.is_empty() {
            format!(
                "files were modified while this step ran (alongside {}); a step that is not a fixer must not change files",
                others.join(", ")
            )
        } else {
            "files were modified by this step, which is not a fixer: what was checked is not what would be committed".to_string()
        });
    }
}

/// Run an in-process step on its own thread, waiting at most its
/// timeout: a step that takes longer fails as timed out and its result,
/// should it still come, is ignored (a thread cannot be stopped; it
/// ends with hephaestus).
fn run_in_process(in_process: &dyn InProcess, p: &Planned) -> StepResult {
    let start = Instant::now();
    let Some(job) = in_process.job(&p.step.action, &p.files) else {
        return Executor::skipped(p, Status::Passed);
    };
    let outcome = match p.step.timeout {
        None => Some(job()),
        Some(limit) => {
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                let _ = tx.send(job());
            });
            rx.recv_timeout(limit).ok()
        }
    };
    let mut r = Executor::skipped(p, Status::Failed);
    r.duration = start.elapsed();
    match outcome {
        Some(outcome) => {
            if outcome.passed {
                r.status = Status::Passed;
            }
            r.modified = outcome.modified;
            r.exit = Some(Exit::Code(if outcome.passed { 0 } else { 1 }));
            r.output = outcome.output.into_bytes();
        }
        None => {
            r.exit = Some(Exit::TimedOut);
            r.message = Some(format!(
                "timed out after {:.1}s; hephaestus stopped waiting for it",
                p.step.timeout.map(|t| t.as_secs_f64()).unwrap_or_default()
            ));
        }
    }
    r
}

/// Fold the batches of one step into its result.
fn combine(p: &Planned, runs: Vec<process::Outcome>, duration: Duration) -> StepResult {
    let mut output = Vec::new();
    let mut exit = Some(Exit::Code(0));
    for run in &runs {
        output.extend_from_slice(&run.stdout);
        if !run.exit.success() && exit.as_ref().is_none_or(|e| e.success()) {
            exit = Some(run.exit.clone());
        }
    }
    let passed = exit.as_ref().is_some_and(|e| e.success()) && !runs.is_empty();
    let message = match &exit {
        Some(Exit::TimedOut) => Some(format!(
            "timed out after {:.1}s and was stopped",
            p.step.timeout.map(|t| t.as_secs_f64()).unwrap_or_default()
        )),
        Some(Exit::SpawnFailed(e)) => Some(format!("could not start: {e}")),
        Some(Exit::Signal(s)) => Some(format!("killed by signal {s}")),
        _ if runs.is_empty() => Some("interrupted before it ran".to_string()),
        _ => None,
    };
    StepResult {
        name: p.step.name.clone(),
        position: p.position,
        status: if passed {
            Status::Passed
        } else {
            Status::Failed
        },
        exit,
        duration,
        files: p.files.clone(),
        modified: Vec::new(),
        restaged: Vec::new(),
        edited: Vec::new(),
        output,
        message,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::run::in_process::{InProcessOutcome, Job};
    use crate::steps::plan::{FileSet, Selection};

    /// In-process steps that take `delay` and pass.
    struct Slow {
        delay: Duration,
    }

    impl InProcess for Slow {
        fn job(&self, _: &Action, _: &[BString]) -> Option<Job> {
            let delay = self.delay;
            Some(Box::new(move || {
                std::thread::sleep(delay);
                InProcessOutcome {
                    passed: true,
                    output: "done".to_string(),
                    modified: Vec::new(),
                }
            }))
        }
    }

    fn execute_cleanup(timeout: Duration, delay: Duration) -> StepResult {
        let mut step = crate::steps::presets::cleanup_step();
        step.timeout = Some(timeout);
        let files = vec![BString::from("a.txt")];
        let plan = crate::steps::plan::plan(
            &[step],
            FileSet {
                files: &files,
                root: None,
                none: false,
            },
            &Selection::default(),
        );
        let settings = ExecuteSettings {
            root: std::env::temp_dir(),
            env: Vec::new(),
            fail_fast: false,
            restage_allowed: false,
            watched: Vec::new(),
        };
        let executor = Executor {
            settings: &settings,
            repo: None,
            in_process: &Slow { delay },
            children: &Children::default(),
            interrupted: &AtomicBool::new(false),
        };
        let mut results = executor.execute(&plan, &mut |_| {});
        assert_eq!(results.len(), 1);
        results.remove(0)
    }

    #[test]
    fn an_in_process_step_within_its_timeout_passes() {
        let r = execute_cleanup(Duration::from_secs(30), Duration::ZERO);
        assert_eq!(r.status, Status::Passed);
        assert_eq!(r.exit, Some(Exit::Code(0)));
        assert_eq!(r.output, b"done");
    }

    #[test]
    fn an_in_process_step_over_its_timeout_fails_as_timed_out() {
        let started = Instant::now();
        let r = execute_cleanup(Duration::from_millis(100), Duration::from_secs(5));
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(r.status, Status::Failed);
        assert_eq!(r.exit, Some(Exit::TimedOut));
        assert!(
            r.message
                .as_deref()
                .unwrap_or_default()
                .contains("timed out after 0.1s"),
            "{:?}",
            r.message
        );
    }
}
