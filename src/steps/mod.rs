//! What a step is, shared by `hook run` and `guard-rails`: validated steps
//! from the built-in [`presets`] and the configuration ([`build`]), the
//! plan for one run ([`plan`]: which steps take part and which files each
//! gets) and how files are split into command lines ([`batch`]).
//!
//! Data flows one way: config → [`Step`] → [`plan::Plan`], which
//! [`crate::run`] executes and reports.

pub mod batch;
pub mod build;
pub mod describe;
pub mod plan;
pub mod presets;
pub mod stubs;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::config::filter::StepFilter;
use crate::config::glob::PathMatcher;
pub use crate::config::model::Scope;
use crate::git::HookType;

/// What a step does when it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Run a program (argv[0] is resolved like any tool: `uv run`,
    /// `.venv/bin`, PATH).
    Command { argv: Vec<String>, shell: bool },
    /// Check the files in scope for junk (scoped cleanup).
    Cleanup,
    /// Compare installed tool versions with the declared ones.
    Drift,
    /// A built-in pre-commit-hooks check ([`crate::hygiene`]), run in
    /// process over all the step's files at once.
    Hygiene(crate::hygiene::CheckSpec),
}

/// How to tell the user to install a missing tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolHint {
    pub tool: String,
    pub install: String,
}

/// A validated, runnable step.
#[derive(Debug, Clone)]
pub struct Step {
    pub name: String,
    pub action: Action,
    pub matcher: PathMatcher,
    pub pass_files: bool,
    pub scope: Scope,
    pub stages: Option<Vec<HookType>>,
    pub fix: bool,
    pub restage: bool,
    pub timeout: Option<Duration>,
    pub env: BTreeMap<String, String>,
    pub require_serial: bool,
    pub missing_hint: Option<ToolHint>,
    /// A missing tool is a notice (the step is skipped), not a failure
    /// (`cargo audit`).
    pub optional_tool: bool,
    /// Only run when `--no-format` is not given.
    pub is_formatter: bool,
    /// How to run it without writing files (a formatter's `--check`, a
    /// user step's `check`): what pre-push runs instead, so a push never
    /// edits the work tree.
    pub check: Option<Action>,
    /// pre-commit style selection beyond the globs: regexes and file type
    /// tags (`files_regex`, `types`, …; the `[guard-rails]` regexes folded
    /// in). `None`: the globs alone decide.
    pub filter: Option<StepFilter>,
    /// Run even when none of the files in scope is for it (pre-commit's
    /// `always_run`), with the files that are.
    pub always_run: bool,
    /// Pass `x.pyi` in place of `x.py` when the stub sits beside it
    /// ([`stubs`]): mypy on passed files.
    pub prefer_stubs: bool,
}

impl Step {
    /// Does the step run in this hook?
    pub fn runs_in(&self, hook: HookType) -> bool {
        self.stages.as_ref().is_none_or(|s| s.contains(&hook))
    }
}
