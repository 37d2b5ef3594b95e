//! The settings of one run, resolved in one place from what the command
//! line asked for ([`RunArgs`], filled in by the CLI, no clap here), the
//! configuration, and the environment ([`RunEnv`]: `SKIP`,
//! `HEPHAESTUS_SKIP`, `HEPHAESTUS=0`).

use std::collections::BTreeSet;
use std::ffi::OsString;

use crate::config::model::Config;
use crate::git::HookType;
use crate::steps::plan::Selection;

use super::scope::{Override, ScopeRequest};

/// What the command line asked for.
#[derive(Debug, Clone, Default)]
pub struct RunArgs {
    /// The hook being run; `None` for `guard-rails`.
    pub hook: Option<HookType>,
    /// `--all-files`, `--files`, `--from-ref/--to-ref`, `--last-commit`.
    pub overrides: Override,
    /// Arguments git passed to the hook.
    pub git_args: Vec<OsString>,
    /// `--skip` (repeatable).
    pub skip: Vec<String>,
    /// `--step` (repeatable).
    pub only: Vec<String>,
    /// `--no-format`.
    pub no_format: bool,
    /// `--fail-fast`.
    pub fail_fast: bool,
    /// `--format json`.
    pub json: bool,
    /// `--drift`: add the drift check as a step.
    pub drift: bool,
}

/// The environment variables that change a run.
#[derive(Debug, Clone, Default)]
pub struct RunEnv {
    /// `SKIP` (pre-commit's name) and `HEPHAESTUS_SKIP`, comma-separated.
    pub skip: Vec<String>,
    /// `HEPHAESTUS`; `0` turns hooks off.
    pub hephaestus: Option<String>,
}

impl RunEnv {
    /// Read them from this process's environment.
    pub fn from_process() -> RunEnv {
        RunEnv {
            skip: ["SKIP", "HEPHAESTUS_SKIP"]
                .iter()
                .filter_map(|k| std::env::var(k).ok())
                .collect(),
            hephaestus: std::env::var("HEPHAESTUS").ok(),
        }
    }

    /// `HEPHAESTUS=0`: hook runs do nothing and succeed.
    pub fn hooks_disabled(&self) -> bool {
        self.hephaestus.as_deref() == Some("0")
    }

    /// Step names to skip from `SKIP` and `HEPHAESTUS_SKIP`.
    fn skip_names(&self) -> impl Iterator<Item = String> + '_ {
        self.skip
            .iter()
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }
}

/// Everything one run needs to know, resolved.
#[derive(Debug, Clone)]
pub struct RunSettings {
    pub hook: Option<HookType>,
    pub overrides: Override,
    pub git_args: Vec<OsString>,
    /// Which steps take part (hook, skips, `--step`, `--no-format`).
    pub selection: Selection,
    /// `--fail-fast` or `[guard-rails] fail-fast`.
    pub fail_fast: bool,
    pub json: bool,
    /// Add the drift check as a step.
    pub drift: bool,
}

impl RunSettings {
    /// Resolve the settings of a run.
    pub fn resolve(args: &RunArgs, config: &Config, env: &RunEnv) -> RunSettings {
        let mut skip: BTreeSet<String> = env.skip_names().collect();
        skip.extend(args.skip.iter().cloned());
        RunSettings {
            hook: args.hook,
            overrides: args.overrides.clone(),
            git_args: args.git_args.clone(),
            selection: Selection {
                hook: args.hook,
                skip,
                only: args.only.iter().cloned().collect(),
                no_format: args.no_format,
                whole_project: args.hook.is_none() && matches!(args.overrides, Override::None),
            },
            fail_fast: args.fail_fast || config.guard_rails.fail_fast,
            json: args.json,
            drift: args.drift,
        }
    }

    /// What decides the files of this run.
    pub fn scope_request(&self) -> ScopeRequest<'_> {
        ScopeRequest {
            hook: self.hook,
            overrides: &self.overrides,
            git_args: &self.git_args,
        }
    }

    /// "pre-commit hook" or "guard-rails", for messages.
    pub fn what(&self) -> String {
        match self.hook {
            Some(h) => format!("{h} hook"),
            None => "guard-rails".to_string(),
        }
    }
}

/// Could a run of `hook` with `overrides` set unstaged work aside? (Only
/// a pre-commit or pre-merge-commit run on the staged files does.) Known
/// before the configuration is read: it decides whether the run takes the
/// work tree's lock first.
pub fn may_set_aside(hook: Option<HookType>, overrides: &Override) -> bool {
    matches!(hook, Some(HookType::PreCommit | HookType::PreMergeCommit))
        && matches!(overrides, Override::None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(fail_fast: bool) -> Config {
        let mut c = Config::default();
        c.guard_rails.fail_fast = fail_fast;
        c
    }

    #[test]
    fn skips_come_from_both_variables_and_the_flags() {
        let env = RunEnv {
            skip: vec![" mypy, ,ruff check".into(), "pytest".into()],
            hephaestus: None,
        };
        let args = RunArgs {
            skip: vec!["cargo fmt".into()],
            ..RunArgs::default()
        };
        let s = RunSettings::resolve(&args, &config(false), &env);
        let skip: Vec<&str> = s.selection.skip.iter().map(String::as_str).collect();
        assert_eq!(skip, ["cargo fmt", "mypy", "pytest", "ruff check"]);
    }

    #[test]
    fn fail_fast_from_the_flag_or_the_configuration() {
        let env = RunEnv::default();
        let flag = RunArgs {
            fail_fast: true,
            ..RunArgs::default()
        };
        assert!(RunSettings::resolve(&flag, &config(false), &env).fail_fast);
        assert!(RunSettings::resolve(&RunArgs::default(), &config(true), &env).fail_fast);
        assert!(!RunSettings::resolve(&RunArgs::default(), &config(false), &env).fail_fast);
    }

    #[test]
    fn only_guard_rails_without_files_covers_the_whole_project() {
        let env = RunEnv::default();
        let whole = |hook, overrides| {
            let args = RunArgs {
                hook,
                overrides,
                ..RunArgs::default()
            };
            RunSettings::resolve(&args, &config(false), &env)
                .selection
                .whole_project
        };
        assert!(whole(None, Override::None));
        assert!(!whole(None, Override::AllFiles));
        assert!(!whole(Some(HookType::PreCommit), Override::None));
    }

    #[test]
    fn hephaestus_zero_turns_hooks_off() {
        let env = |v: Option<&str>| RunEnv {
            skip: Vec::new(),
            hephaestus: v.map(String::from),
        };
        assert!(env(Some("0")).hooks_disabled());
        assert!(!env(Some("1")).hooks_disabled());
        assert!(!env(None).hooks_disabled());
    }

    #[test]
    fn only_pre_commit_on_the_staged_files_sets_work_aside() {
        assert!(may_set_aside(Some(HookType::PreCommit), &Override::None));
        assert!(may_set_aside(
            Some(HookType::PreMergeCommit),
            &Override::None
        ));
        assert!(!may_set_aside(
            Some(HookType::PreCommit),
            &Override::AllFiles
        ));
        assert!(!may_set_aside(Some(HookType::PrePush), &Override::None));
        assert!(!may_set_aside(None, &Override::None));
    }
}
