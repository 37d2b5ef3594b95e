//! From configuration to steps: the built-in scoped cleanup, then preset
//! steps (in pipeline order),
//! then the user's `[[guard-rails.steps]]`, where a user step with a preset
//! step's name replaces it in place.

use super::presets;
use crate::config::glob::PathMatcher;
use crate::config::model::{CommandLine, GuardRailsConfig, StepConfig};
use crate::config::{Loaded, Preset};
use crate::error::UserError;
use crate::pyenv::PythonEnv;
use crate::pyenv::toolcfg;

use super::{Action, Step};

/// What to build besides the configured steps.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildOptions<'a> {
    /// Add the drift check as a step (`guard-rails --drift`).
    pub drift: bool,
    /// The project's Python environment ([`crate::pyenv::find`]), found
    /// once by the caller and shared with whatever else needs it.
    pub python_env: Option<&'a PythonEnv>,
}

/// The full pipeline for a project.
pub fn pipeline(loaded: &Loaded, options: BuildOptions<'_>) -> anyhow::Result<Vec<Step>> {
    let presets: Vec<Preset> = loaded.effective_presets();
    let python = match presets.contains(&Preset::Python) {
        true => Some(
            toolcfg::plan(&toolcfg::ToolCfgSettings {
                root: &loaded.root,
                env: options.python_env,
            })
            .map_err(|e| UserError::usage(format!("python preset: {e}")))?,
        ),
        false => None,
    };
    let cx = presets::PresetContext {
        python: python.as_ref(),
    };
    // Scoped cleanup always comes first: junk about to be committed or
    // pushed fails the hook whatever the presets. `SKIP=cleanup` or a user
    // step named "cleanup" replaces it.
    let mut steps: Vec<Step> = vec![presets::cleanup_step()];
    for preset in &presets {
        steps.extend(presets::steps(*preset, &cx));
    }
    if options.drift {
        steps.push(presets::drift_step());
    }
    let disable = &loaded.config.guard_rails.disable;
    for (i, name) in disable.iter().enumerate() {
        if !steps.iter().any(|s| &s.name == name) {
            let known: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
            return Err(UserError::usage(format!(
                "guard-rails.disable[{i}]: no preset step named {name:?}"
            ))
            .with_hint(format!("the preset steps are: {}", known.join(", ")))
            .into());
        }
    }
    steps.retain(|s| !disable.contains(&s.name));
    for (i, user) in loaded.config.guard_rails.steps.iter().enumerate() {
        let step = from_config(user, &loaded.config.guard_rails).map_err(|e| {
            UserError::usage(format!("guard-rails.steps[{i}] ({}): {e}", user.name))
        })?;
        match steps.iter().position(|s| s.name == step.name) {
            Some(pos) => steps[pos] = replacing(&steps[pos], step, user),
            None => steps.push(step),
        }
    }
    Ok(steps)
}

/// A user step that replaces a preset step of the same name keeps what
/// it does not say itself: the preset's stages, scope and files (and with
/// project scope, that files are not passed). Not the preset's check-only
/// form: that belongs to the preset's command, not the user's (`check`
/// gives the user's own).
fn replacing(preset: &Step, mut user: Step, config: &StepConfig) -> Step {
    if config.stages.is_none() {
        user.stages = preset.stages.clone();
    }
    if config.scope.is_none() {
        user.scope = preset.scope;
        if config.pass_files.is_none() {
            user.pass_files = preset.pass_files;
        }
    }
    if config.files.is_empty() && config.exclude.is_empty() {
        user.matcher = preset.matcher.clone();
    }
    user
}

/// `run` or `check` as a command: an argv as written, a string split
/// shell-style, or with `shell = true` the string as one shell line.
fn command(line: &CommandLine, shell: bool) -> anyhow::Result<Action> {
    let argv = match line {
        CommandLine::Argv(v) => v.clone(),
        CommandLine::Line(line) if shell => vec![line.clone()],
        CommandLine::Line(line) => shlex::split(line)
            .ok_or_else(|| anyhow::anyhow!("cannot split {line:?} into arguments"))?,
    };
    Ok(Action::Command { argv, shell })
}

/// A user step from `[[guard-rails.steps]]`.
pub fn from_config(c: &StepConfig, top: &GuardRailsConfig) -> anyhow::Result<Step> {
    let filter = c.filter(top);
    let filter = (!filter.files.is_empty() || !filter.exclude.is_empty() || filter.needs_tags())
        .then_some(filter);
    let action = match &c.builtin {
        Some(b) => Action::Hygiene(b.spec()),
        None => command(&c.run, c.shell)?,
    };
    let check = match &c.check {
        Some(line) => Some(command(line, c.shell).map_err(|e| anyhow::anyhow!("`check`: {e}"))?),
        None => None,
    };
    Ok(Step {
        name: c.name.clone(),
        action,
        matcher: PathMatcher::new(&c.files, &c.exclude)?,
        pass_files: c.pass_files.unwrap_or(true),
        scope: c.scope.unwrap_or_default(),
        stages: c.stages.clone(),
        fix: c.fix,
        restage: c.restage,
        timeout: c.timeout.map(|s| s.0),
        env: c.env.clone(),
        require_serial: c.require_serial,
        missing_hint: None,
        optional_tool: false,
        is_formatter: false,
        check,
        filter,
        always_run: c.always_run,
        prefer_stubs: false,
    })
}
