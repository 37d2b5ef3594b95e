//! The in-process steps (scoped cleanup, drift, built-in checks), bound to
//! the project and hook they run for; consecutive built-in content checks
//! share one read of each file ([`Passes`]). The executor
//! ([`super::execute`]) runs each as a job on its own thread, under the
//! step's timeout.

use std::sync::Arc;

use crate::cleanup::{self, ScopedSettings};
use crate::config::Loaded;
use crate::config::model::CleanupHookMode;
use crate::git::{BString, ByteSlice, HookType};
use crate::hygiene::{CheckSpec, Pass, shares_a_pass};
use crate::printer::Printer;
use crate::steps::Action;
use crate::steps::plan::{Plan, Planned};

/// The outcome of an in-process step.
#[derive(Debug, Clone, Default)]
pub struct InProcessOutcome {
    pub passed: bool,
    pub output: String,
    /// Files the step rewrote (a built-in fixer), relative to the root.
    pub modified: Vec<BString>,
}

/// An in-process step ready to run on any thread.
pub type Job = Box<dyn FnOnce() -> InProcessOutcome + Send>;

/// Turns an in-process step into a job.
pub trait InProcess: Sync {
    /// The job of `action` over `files`; `None` for a command step.
    fn job(&self, action: &Action, files: &[BString]) -> Option<Job>;
}

/// The in-process steps of one project.
pub struct ProjectSteps {
    pub loaded: Arc<Loaded>,
    /// `PRE_COMMIT_FROM_REF`/`PRE_COMMIT_TO_REF` of a ref-range run, for
    /// the built-in checks that compare a range.
    pub ref_range: Option<(String, String)>,
    /// The hook being run: junk is unstaged (`[cleanup] hook = "unstage"`)
    /// only in a pre-commit hook, where the index is about to be committed.
    pub hook: Option<HookType>,
    /// The built-in content checks that share one read of each file.
    pub passes: Passes,
}

/// The plan's runs of built-in content checks with only in-process steps
/// between them (which never write the work tree), each sharing a
/// [`Pass`]; a command step, or a fixer that cannot share (file names
/// among its arguments), ends a run.
#[derive(Default)]
pub struct Passes {
    /// Per step in a pass: the address and length of its files (the
    /// plan's list, which the executor hands the step: the address tells
    /// two steps with the same check apart), its check, its pass and its
    /// place there.
    steps: Vec<(usize, usize, CheckSpec, Arc<Pass>, usize)>,
}

impl Passes {
    pub fn for_plan(plan: &Plan, root: &std::path::Path) -> Passes {
        let mut passes = Passes::default();
        let mut run: Vec<&Planned> = Vec::new();
        for p in &plan.steps {
            if p.skip.is_some() {
                continue;
            }
            match &p.step.action {
                Action::Hygiene(spec) if shares_a_pass(spec) => {
                    if !p.files.is_empty() {
                        run.push(p);
                    }
                }
                Action::Hygiene(spec) if !spec.id.is_fixer() => {}
                Action::Cleanup | Action::Drift => {}
                Action::Hygiene(_) | Action::Command { .. } => {
                    passes.add(root, &std::mem::take(&mut run));
                }
            }
        }
        passes.add(root, &run);
        passes
    }

    fn add(&mut self, root: &std::path::Path, run: &[&Planned]) {
        for part in run.chunks(crate::hygiene::MAX_PASS_STEPS) {
            let members: Vec<(&CheckSpec, &[BString])> = part
                .iter()
                .filter_map(|p| match &p.step.action {
                    Action::Hygiene(spec) => Some((spec, p.files.as_slice())),
                    _ => None,
                })
                .collect();
            let Some(pass) = Pass::new(root, &members) else {
                continue;
            };
            let pass = Arc::new(pass);
            for (k, (spec, files)) in members.into_iter().enumerate() {
                self.steps.push((
                    files.as_ptr() as usize,
                    files.len(),
                    spec.clone(),
                    Arc::clone(&pass),
                    k,
                ));
            }
        }
    }

    /// The pass of the step with this check and this very file list.
    fn of(&self, spec: &CheckSpec, files: &[BString]) -> Option<(Arc<Pass>, usize)> {
        self.steps
            .iter()
            .find(|(ptr, len, s, _, _)| {
                *ptr == files.as_ptr() as usize && *len == files.len() && s == spec
            })
            .map(|(_, _, _, pass, k)| (Arc::clone(pass), *k))
    }
}

impl InProcess for ProjectSteps {
    fn job(&self, action: &Action, files: &[BString]) -> Option<Job> {
        let loaded = Arc::clone(&self.loaded);
        let hook = self.hook;
        match action {
            Action::Cleanup => {
                let files = files.to_vec();
                Some(Box::new(move || cleanup_step(&loaded, hook, &files)))
            }
            Action::Drift => Some(Box::new(move || drift_step(&loaded))),
            Action::Hygiene(spec) => {
                if let Some((pass, k)) = self.passes.of(spec, files) {
                    let spec = spec.clone();
                    return Some(Box::new(move || hygiene_outcome(&spec, pass.run(k))));
                }
                let ctx = crate::hygiene::Context {
                    dir: loaded.root.clone(),
                    files: files
                        .iter()
                        .map(|f| std::path::PathBuf::from(crate::git::bytes_to_os(f)))
                        .collect(),
                    ref_range: self.ref_range.clone(),
                };
                let spec = spec.clone();
                Some(Box::new(move || hygiene_step(&spec, &ctx)))
            }
            Action::Command { .. } => None,
        }
    }
}

/// A built-in check: its output is what the pre-commit-hooks script would
/// print; the files a fixer rewrote come back for the executor.
fn hygiene_step(
    spec: &crate::hygiene::CheckSpec,
    ctx: &crate::hygiene::Context,
) -> InProcessOutcome {
    hygiene_outcome(spec, crate::hygiene::run(spec, ctx))
}

fn hygiene_outcome(
    spec: &CheckSpec,
    outcome: Result<crate::hygiene::Outcome, crate::hygiene::HygieneError>,
) -> InProcessOutcome {
    match outcome {
        Ok(outcome) => InProcessOutcome {
            passed: !outcome.failed,
            output: format!("{}{}", outcome.stdout, outcome.stderr),
            modified: outcome
                .modified
                .iter()
                .map(|p| BString::from(p.as_os_str().as_encoded_bytes()))
                .collect(),
        },
        Err(e) => InProcessOutcome {
            passed: false,
            output: format!("{}: {e}", spec.id.as_str()),
            modified: Vec::new(),
        },
    }
}

fn cleanup_step(loaded: &Loaded, hook: Option<HookType>, files: &[BString]) -> InProcessOutcome {
    let settings = match ScopedSettings::from_config(&loaded.config.cleanup) {
        Ok(s) => s,
        Err(e) => {
            return InProcessOutcome {
                passed: false,
                output: format!("cleanup settings: {e}"),
                modified: Vec::new(),
            };
        }
    };
    let root = &loaded.root;
    let hits = cleanup::scoped_check(root, files, &settings);
    if hits.is_empty() {
        return InProcessOutcome {
            passed: true,
            output: String::new(),
            modified: Vec::new(),
        };
    }
    let can_unstage = matches!(hook, Some(HookType::PreCommit | HookType::PreMergeCommit));
    if settings.mode == CleanupHookMode::Unstage && can_unstage {
        return match cleanup::unstage(root, &hits) {
            Ok(()) => InProcessOutcome {
                passed: true,
                output: format!(
                    "unstaged {} junk path(s), the files stay on disk:\n{}",
                    hits.len(),
                    hits.iter()
                        .map(|h| format!("  {}", h.path.to_str_lossy()))
                        .collect::<Vec<_>>()
                        .join("\n")
                ),
                modified: Vec::new(),
            },
            Err(e) => InProcessOutcome {
                passed: false,
                output: format!("could not unstage the junk paths: {e}"),
                modified: Vec::new(),
            },
        };
    }
    InProcessOutcome {
        passed: false,
        output: cleanup::render_failure(&Printer::plain(), &hits),
        modified: Vec::new(),
    }
}

fn drift_step(loaded: &Loaded) -> InProcessOutcome {
    let result = crate::drift::DriftSettings::new(loaded, None)
        .and_then(|settings| crate::drift::check(&settings));
    match result {
        Ok(report) => InProcessOutcome {
            passed: report.ok(),
            output: crate::drift::render_text(&report, false),
            modified: Vec::new(),
        },
        Err(e) => InProcessOutcome {
            passed: false,
            output: format!("drift check failed: {e}"),
            modified: Vec::new(),
        },
    }
}
