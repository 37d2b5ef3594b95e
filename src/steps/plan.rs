//! Planning a run: which steps take part (stage, `--step`, skips,
//! `--no-format`), which files each gets (its globs over the files in
//! scope), and whether it runs or is skipped and why.

use std::collections::BTreeSet;

use crate::git::{BString, HookType};

use super::{Scope, Step};

/// What selects and filters the steps of one run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// The hook being run; `None` for `guard-rails` (every step, any stage).
    pub hook: Option<HookType>,
    /// Step names to skip (`SKIP`, `HEPHAESTUS_SKIP`, `--skip`).
    pub skip: BTreeSet<String>,
    /// Run only these steps (`--step`); empty means all.
    pub only: BTreeSet<String>,
    /// Skip formatter steps (`--no-format`).
    pub no_format: bool,
    /// The run covers the whole project (`guard-rails` without files), so
    /// project steps always run.
    pub whole_project: bool,
}

/// The files a run covers.
#[derive(Debug, Clone, Copy)]
pub struct FileSet<'a> {
    pub files: &'a [BString],
    /// The hook type has no file set (post-commit, post-checkout, ...):
    /// project steps run unconditionally, file steps are skipped.
    pub none: bool,
}

/// Why a step does not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    NoFiles,
    Skipped,
    NoFormat,
}

impl SkipReason {
    pub fn label(&self) -> &'static str {
        match self {
            SkipReason::NoFiles => "no files",
            SkipReason::Skipped => "skipped",
            SkipReason::NoFormat => "--no-format",
        }
    }
}

/// A step in this run, with its files.
#[derive(Debug, Clone)]
pub struct Planned {
    pub step: Step,
    /// 1-based position among the steps of this run.
    pub position: usize,
    /// The files in scope that the step's globs match.
    pub files: Vec<BString>,
    pub skip: Option<SkipReason>,
}

/// The steps of one run, in order.
#[derive(Debug, Clone)]
pub struct Plan {
    pub steps: Vec<Planned>,
}

impl Plan {
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// Names in `requested` that are not steps of the pipeline.
pub fn unknown_names<'a>(
    steps: &[Step],
    requested: impl IntoIterator<Item = &'a String>,
) -> Vec<String> {
    requested
        .into_iter()
        .filter(|name| !steps.iter().any(|s| &s.name == *name))
        .cloned()
        .collect()
}

/// The step as it runs in `hook`: on pre-push a step with a check-only
/// form (a formatter's `--check`) runs that, so a push never edits files.
pub fn for_hook(step: &Step, hook: Option<HookType>) -> Step {
    let mut step = step.clone();
    if hook == Some(HookType::PrePush)
        && let Some(argv) = step.check_argv.take()
    {
        step.action = super::Action::Command { argv, shell: false };
        step.fix = false;
    }
    step
}

/// Plan `steps` over `files`.
pub fn plan(steps: &[Step], files: FileSet<'_>, selection: &Selection) -> Plan {
    let no_file_set = files.none;
    let files = files.files;
    let mut out = Vec::new();
    for step in steps {
        if let Some(hook) = selection.hook
            && !step.runs_in(hook)
        {
            continue;
        }
        if !selection.only.is_empty() && !selection.only.contains(&step.name) {
            continue;
        }
        let matched: Vec<BString> = files
            .iter()
            .filter(|f| step.matcher.matches(f))
            .cloned()
            .collect();
        let skip = if selection.skip.contains(&step.name) {
            Some(SkipReason::Skipped)
        } else if selection.no_format && step.is_formatter {
            Some(SkipReason::NoFormat)
        } else {
            match step.scope {
                Scope::Project if selection.whole_project || no_file_set => None,
                Scope::Project | Scope::Files if matched.is_empty() => Some(SkipReason::NoFiles),
                _ if no_file_set => Some(SkipReason::NoFiles),
                _ => None,
            }
        };
        out.push(Planned {
            step: for_hook(step, selection.hook),
            position: out.len() + 1,
            files: matched,
            skip,
        });
    }
    Plan { steps: out }
}
