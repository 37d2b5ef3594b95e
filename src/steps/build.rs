//! From configuration to steps: the built-in scoped cleanup, then preset
//! steps (in pipeline order),
//! then the user's `[[guard-rails.steps]]`, where a user step with a preset
//! step's name replaces it in place.

use super::presets;
use crate::config::glob::PathMatcher;
use crate::config::model::{CommandLine, StepConfig};
use crate::config::{Loaded, Preset};
use crate::error::UserError;

use super::{Action, Step};

/// What to build besides the configured steps.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildOptions {
    /// Add the drift check as a step (`guard-rails --drift`).
    pub drift: bool,
}

/// The full pipeline for a project.
pub fn pipeline(loaded: &Loaded, options: BuildOptions) -> anyhow::Result<Vec<Step>> {
    let presets: Vec<Preset> = loaded.effective_presets();
    // Scoped cleanup always comes first: junk about to be committed or
    // pushed fails the hook whatever the presets. `SKIP=cleanup` or a user
    // step named "cleanup" replaces it.
    let mut steps: Vec<Step> = vec![presets::cleanup_step()];
    for preset in &presets {
        steps.extend(presets::steps(*preset));
    }
    if options.drift {
        steps.push(presets::drift_step());
    }
    for (i, user) in loaded.config.guard_rails.steps.iter().enumerate() {
        let step = from_config(user).map_err(|e| {
            UserError::usage(format!("guard-rails.steps[{i}] ({}): {e}", user.name))
        })?;
        match steps.iter().position(|s| s.name == step.name) {
            Some(pos) => steps[pos] = step,
            None => steps.push(step),
        }
    }
    Ok(steps)
}

/// A user step from `[[guard-rails.steps]]`.
pub fn from_config(c: &StepConfig) -> anyhow::Result<Step> {
    let argv = match &c.run {
        CommandLine::Argv(v) => v.clone(),
        CommandLine::Line(line) if c.shell => vec![line.clone()],
        CommandLine::Line(line) => shlex::split(line)
            .ok_or_else(|| anyhow::anyhow!("cannot split {line:?} into arguments"))?,
    };
    Ok(Step {
        name: c.name.clone(),
        action: Action::Command {
            argv,
            shell: c.shell,
        },
        matcher: PathMatcher::new(&c.files, &c.exclude)?,
        pass_files: c.pass_files,
        scope: c.scope,
        stages: c.stages.clone(),
        fix: c.fix,
        restage: c.restage,
        timeout: c.timeout.map(|s| s.0),
        env: c.env.clone(),
        require_serial: c.require_serial,
        missing_hint: None,
        optional_tool: false,
        is_formatter: false,
    })
}
