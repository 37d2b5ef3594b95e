//! `.pre-commit-config.yaml` → `hephaestus.toml`.
//!
//! Every hook of the file ends up in exactly one of two lists: converted
//! into a `[[guard-rails.steps]]` entry (with notes where the conversion
//! needs something of the user, such as a tool installed in the project's
//! environment), or not converted, with the reason. The generated file
//! carries both as comments, and the command prints both: nothing is
//! dropped silently.
//!
//! - `pre-commit/pre-commit-hooks` ids with a built-in become `builtin`
//!   steps with their args; its other console scripts become `run` steps
//!   (the package must then be in the environment).
//! - Well-known tool mirrors ([`known::TOOLS`]: ruff, black, mypy,
//!   codespell, isort, flake8, …) become `run` steps running the tool from
//!   the project's environment, with the manifest's file selection.
//! - `repo: local` hooks in `system`, `script`, `python` (and the newer
//!   `unsupported`, `unsupported_script`) and `fail` become `run` steps.
//! - `language: pygrep` hooks (local ones and those of
//!   `pre-commit/pygrep-hooks`) become `pygrep` built-in steps, unless
//!   their regex needs what the built-in cannot honour exactly.
//! - Everything else (other languages, `repo: meta`, unknown remote
//!   repositories, regexes hephaestus cannot run) is listed with why.
//!
//! [`convert`] is pure (text in, text and lists out); the command writes
//! the file.

mod emit;
pub mod known;
pub mod precommit;
pub mod yaml;

use crate::config::filter::PyRegex;
use crate::git::HookType;
use crate::hygiene::CheckId;
use precommit::{Hook, PreCommitConfig};

/// The name of the file converted.
pub const PRE_COMMIT_CONFIG: &str = ".pre-commit-config.yaml";

/// The converted file and what happened to each hook.
#[derive(Debug, Clone)]
pub struct Conversion {
    /// The `hephaestus.toml` text.
    pub toml: String,
    pub converted: Vec<Converted>,
    pub not_converted: Vec<NotConverted>,
    /// Top-level settings and keys: how each was carried over or why not.
    pub notes: Vec<String>,
}

/// A hook that became a step.
#[derive(Debug, Clone)]
pub struct Converted {
    /// `repo` URL (or `local`) and hook id, with its line.
    pub hook: String,
    /// The hook's line in the file.
    pub line: usize,
    pub step: String,
    /// What the user must know or do (a tool to install, a key dropped).
    pub notes: Vec<String>,
}

/// A hook that did not.
#[derive(Debug, Clone)]
pub struct NotConverted {
    pub hook: String,
    pub line: usize,
    pub reason: String,
}

/// A step to write, in the file's terms.
#[derive(Debug, Clone, Default)]
pub(crate) struct StepOut {
    pub origin: String,
    pub name: String,
    pub builtin: Option<CheckId>,
    pub args: Vec<String>,
    pub run: Vec<String>,
    pub shell_script: Option<String>,
    pub files_regex: Option<String>,
    pub exclude_regex: Option<String>,
    pub types: Option<Vec<String>>,
    pub types_or: Vec<String>,
    pub exclude_types: Vec<String>,
    pub stages: Option<Vec<HookType>>,
    pub pass_files: Option<bool>,
    pub always_run: Option<bool>,
    pub require_serial: bool,
    pub fix: Option<bool>,
    pub notes: Vec<String>,
}

/// The top of the file.
#[derive(Debug, Clone, Default)]
pub(crate) struct TopOut {
    pub install: Option<Vec<HookType>>,
    pub fail_fast: bool,
    pub files_regex: Option<String>,
    pub exclude_regex: Option<String>,
}

/// A file pre-commit itself would refuse.
#[derive(Debug, thiserror::Error)]
#[error("{PRE_COMMIT_CONFIG}: {0}")]
pub struct MigrateError(pub String);

/// Convert the text of a `.pre-commit-config.yaml`.
pub fn convert(text: &str) -> Result<Conversion, MigrateError> {
    let config = precommit::parse(text).map_err(MigrateError)?;
    let mut out = Conversion {
        toml: String::new(),
        converted: Vec::new(),
        not_converted: Vec::new(),
        notes: Vec::new(),
    };
    let top = top_level(&config, &mut out);
    let mut steps: Vec<StepOut> = Vec::new();
    for repo in &config.repos {
        for hook in &repo.hooks {
            let label = format!("{} {} (line {})", repo.url, hook.id, hook.line);
            match convert_hook(&config, &repo.url, repo.rev.as_deref(), hook) {
                Ok(mut step) => {
                    step.name = unique_name(&steps, hook.alias.as_deref().unwrap_or(&hook.id));
                    if !hook.ignored.is_empty() {
                        step.notes.push(format!(
                            "ignored hook keys with no counterpart: {}",
                            hook.ignored.join(", ")
                        ));
                    }
                    out.converted.push(Converted {
                        hook: label,
                        line: hook.line,
                        step: step.name.clone(),
                        notes: step.notes.clone(),
                    });
                    steps.push(step);
                }
                Err(reason) => out.not_converted.push(NotConverted {
                    hook: label,
                    line: hook.line,
                    reason,
                }),
            }
        }
    }
    out.toml = emit::file(&top, &steps, &out.not_converted, &out.notes);
    Ok(out)
}

fn top_level(config: &PreCommitConfig, out: &mut Conversion) -> TopOut {
    let mut top = TopOut {
        fail_fast: config.fail_fast.unwrap_or(false),
        ..TopOut::default()
    };
    if let Some(types) = &config.default_install_hook_types {
        let (hooks, dropped) = stages(types);
        if !dropped.is_empty() {
            out.notes.push(format!(
                "default_install_hook_types: {} has no hephaestus hook",
                dropped.join(", ")
            ));
        }
        top.install = hooks;
    }
    for (key, value, slot) in [
        ("files", &config.files, &mut top.files_regex),
        ("exclude", &config.exclude, &mut top.exclude_regex),
    ] {
        let Some(value) = value else { continue };
        if value.is_empty() || (key == "exclude" && value == "^$") {
            continue;
        }
        match PyRegex::new(value) {
            Ok(_) => *slot = Some(value.clone()),
            Err(e) => out.notes.push(format!(
                "top-level {key} NOT converted, every step sees the files it would have filtered: {e}"
            )),
        }
    }
    for key in &config.ignored {
        let why = match key.as_str() {
            "ci" => "pre-commit.ci settings",
            "default_language_version" => "hephaestus runs tools from the project's environment",
            "minimum_pre_commit_version" => "no pre-commit involved",
            _ => "not a pre-commit key hephaestus knows",
        };
        out.notes.push(format!("top-level `{key}` ignored: {why}"));
    }
    out.notes.push(
        "presets are off (`presets = []`) so the hooks run what pre-commit ran; add \"auto\" for the detected presets' steps"
            .to_string(),
    );
    top
}

/// pre-commit stage names as hook types; `manual` maps to none (manual
/// steps run in `hephaestus guard-rails` only). Returns what had no
/// counterpart.
fn stages(names: &[String]) -> (Option<Vec<HookType>>, Vec<String>) {
    let mut hooks = Vec::new();
    let mut dropped = Vec::new();
    for name in names {
        let hook = match name.as_str() {
            "commit" => Some(HookType::PreCommit),
            "merge-commit" => Some(HookType::PreMergeCommit),
            "push" => Some(HookType::PrePush),
            "manual" => continue,
            other => HookType::from_name(other),
        };
        match hook {
            Some(h) if !hooks.contains(&h) => hooks.push(h),
            Some(_) => {}
            None => dropped.push(name.clone()),
        }
    }
    (Some(hooks), dropped)
}

fn unique_name(steps: &[StepOut], base: &str) -> String {
    let taken = |n: &str| steps.iter().any(|s| s.name == n);
    if !taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|i| format!("{base}-{i}"))
        .find(|n| !taken(n))
        .unwrap_or_else(|| base.to_string())
}

/// The step for one hook, or why there is none.
fn convert_hook(
    config: &PreCommitConfig,
    url: &str,
    rev: Option<&str>,
    hook: &Hook,
) -> Result<StepOut, String> {
    let mut step = StepOut {
        origin: match rev {
            Some(rev) => format!("{url} {rev}: {}", hook.id),
            None => format!("{url}: {}", hook.id),
        },
        ..StepOut::default()
    };
    match url {
        "meta" => {
            return Err(
                "meta hooks check the pre-commit configuration itself; `hephaestus config show` validates hephaestus.toml"
                    .to_string(),
            );
        }
        "local" => local(hook, &mut step)?,
        _ => remote(url, hook, &mut step)?,
    }
    common(config, hook, &mut step)?;
    Ok(step)
}

/// The keys every kind of hook shares.
fn common(config: &PreCommitConfig, hook: &Hook, step: &mut StepOut) -> Result<(), String> {
    if let Some(files) = &hook.files {
        if !files.is_empty() {
            PyRegex::new(files).map_err(|e| format!("files: {e}"))?;
            step.files_regex = Some(files.clone());
        } else {
            step.files_regex = None;
        }
    }
    if let Some(exclude) = &hook.exclude {
        PyRegex::new(exclude).map_err(|e| format!("exclude: {e}"))?;
        step.exclude_regex = (exclude != "^$").then(|| exclude.clone());
    }
    for (key, tags) in [
        ("types", hook.types.as_ref()),
        ("types_or", hook.types_or.as_ref()),
        ("exclude_types", hook.exclude_types.as_ref()),
    ] {
        if let Some(unknown) = tags
            .into_iter()
            .flatten()
            .find(|t| !crate::filetypes::is_known_tag(t))
        {
            return Err(format!(
                "{key}: {unknown:?} is not a file type tag hephaestus knows"
            ));
        }
    }
    if let Some(types) = &hook.types {
        step.types = Some(types.clone());
    }
    if let Some(types_or) = &hook.types_or {
        step.types_or = types_or.clone();
    }
    if let Some(exclude_types) = &hook.exclude_types {
        step.exclude_types = exclude_types.clone();
    }
    let names = hook.stages.as_ref().or(config.default_stages.as_ref());
    if let Some(names) = names {
        let (hooks, dropped) = stages(names);
        if !dropped.is_empty() {
            step.notes.push(format!(
                "stages without a hephaestus hook dropped: {}",
                dropped.join(", ")
            ));
        }
        if names.iter().all(|n| n == "manual") {
            step.notes
                .push("manual only: runs in `hephaestus guard-rails`, in no hook".to_string());
        }
        if hooks.as_ref().is_some_and(|h| h.is_empty()) && !names.iter().any(|n| n == "manual") {
            return Err(format!(
                "none of its stages ({}) is a hook hephaestus runs",
                names.join(", ")
            ));
        }
        step.stages = hooks;
    }
    if let Some(pass) = hook.pass_filenames {
        step.pass_files = Some(pass);
    }
    if let Some(always) = hook.always_run {
        step.always_run = Some(always);
    }
    if let Some(serial) = hook.require_serial {
        step.require_serial = serial;
    }
    Ok(())
}

fn remote(url: &str, hook: &Hook, step: &mut StepOut) -> Result<(), String> {
    let key = known::repo_key(url);
    if key == known::PRE_COMMIT_HOOKS {
        return pre_commit_hooks(hook, step);
    }
    if key == known::PYGREP_HOOKS {
        let Some((_, entry, types)) = known::PYGREP.iter().find(|(id, ..)| *id == hook.id) else {
            return Err(format!(
                "{} is not a pygrep-hooks hook hephaestus knows (it knows those of v1.10.0)",
                hook.id
            ));
        };
        let entry = hook.entry.as_deref().unwrap_or(entry);
        step.types = Some(types.iter().map(|s| s.to_string()).collect());
        return pygrep(hook, entry, step);
    }
    if let Some((_, why)) = known::NOT_CONVERTIBLE.iter().find(|(repo, _)| *repo == key) {
        return Err((*why).to_string());
    }
    let Some(tool) = known::tool_hook(url, &hook.id) else {
        let mut reason = format!(
            "{} from {url} is not a hook hephaestus knows; it installs nothing: install the tool in the project's environment and add a `run` step",
            hook.id
        );
        if let Some(entry) = &hook.entry {
            reason.push_str(&format!(" (its entry here: {entry:?})"));
        }
        return Err(reason);
    };
    let mut run: Vec<String> = match &hook.entry {
        Some(entry) => split_entry(entry)?,
        None => tool.run.iter().map(|s| s.to_string()).collect(),
    };
    match &hook.args {
        Some(args) => run.extend(args.iter().cloned()),
        None => run.extend(tool.args.iter().map(|s| s.to_string())),
    }
    step.fix = Some(tool.fix || writes(&hook.id, hook.args.as_deref().unwrap_or(&[])));
    step.run = run;
    if !tool.types.is_empty() {
        step.types = Some(tool.types.iter().map(|s| s.to_string()).collect());
    }
    step.types_or = tool.types_or.iter().map(|s| s.to_string()).collect();
    step.files_regex = tool.files.map(String::from);
    step.require_serial = tool.require_serial;
    step.notes.push(format!(
        "runs `{}` from the project's environment (uv, .venv or PATH): install {}",
        step.run[0], tool.package
    ));
    dependencies(hook, step);
    Ok(())
}

/// Whether arguments make a usually read-only tool write.
fn writes(id: &str, args: &[String]) -> bool {
    id == "codespell" && args.iter().any(|a| a == "-w" || a == "--write-changes")
}

fn dependencies(hook: &Hook, step: &mut StepOut) {
    if !hook.additional_dependencies.is_empty() {
        step.notes.push(format!(
            "pre-commit installed additional_dependencies into the hook's own environment; they must be in the project's environment now: {}",
            hook.additional_dependencies.join(", ")
        ));
    }
}

fn pre_commit_hooks(hook: &Hook, step: &mut StepOut) -> Result<(), String> {
    if let Ok(id) = hook.id.parse::<CheckId>()
        && id.as_str() == hook.id
        && id != CheckId::Pygrep
    {
        let args = hook.args.clone().unwrap_or_default();
        crate::hygiene::args::parse(id, &args).map_err(|e| format!("args: {e}"))?;
        step.builtin = Some(id);
        step.args = args;
        if hook.entry.is_some() || hook.language.is_some() {
            step.notes
                .push("entry/language overrides ignored: the built-in runs".to_string());
        }
        return Ok(());
    }
    if let Some((_, why)) = known::PRE_COMMIT_HOOKS_REMOVED
        .iter()
        .find(|(id, _)| *id == hook.id)
    {
        return Err((*why).to_string());
    }
    let Some((_, script, types, files, fix)) = known::PRE_COMMIT_HOOKS_SCRIPTS
        .iter()
        .find(|(id, ..)| *id == hook.id)
    else {
        return Err(format!(
            "{} is not a pre-commit-hooks hook hephaestus knows",
            hook.id
        ));
    };
    step.run = vec![script.to_string()];
    step.run.extend(hook.args.iter().flatten().cloned());
    if !types.is_empty() {
        step.types = Some(types.iter().map(|s| s.to_string()).collect());
    }
    step.files_regex = files.map(String::from);
    step.fix = Some(*fix);
    step.notes.push(format!(
        "no built-in yet: runs `{script}` of the pre-commit-hooks package, which must be in the project's environment"
    ));
    Ok(())
}

/// A `language: pygrep` hook: the `pygrep` built-in with the hook's
/// `args` (its flags), then the pattern, as pre-commit runs it. A pattern
/// the built-in cannot honour exactly is not converted, unless it is one
/// of the well-known ones with an exact rewrite.
fn pygrep(hook: &Hook, entry: &str, step: &mut StepOut) -> Result<(), String> {
    let mut args = hook.args.clone().unwrap_or_default();
    let multiline = args.iter().any(|a| a == "--multiline");
    let pattern = match known::PYGREP_EQUIVALENTS
        .iter()
        .find(|(original, _)| *original == entry)
    {
        Some((_, rewrite)) if !multiline => {
            step.notes.push(format!(
                "the pattern {entry:?} uses look-around, which the built-in cannot run; it runs {rewrite:?}, which matches exactly the same lines"
            ));
            rewrite
        }
        _ => entry,
    };
    args.push(pattern.to_string());
    crate::hygiene::args::parse(CheckId::Pygrep, &args)
        .map_err(|e| format!("language pygrep: {}", e.message))?;
    step.builtin = Some(CheckId::Pygrep);
    step.args = args;
    Ok(())
}

fn split_entry(entry: &str) -> Result<Vec<String>, String> {
    match shlex::split(entry) {
        Some(words) if !words.is_empty() => Ok(words),
        _ => Err(format!(
            "its entry {entry:?} cannot be split into a command (empty or unbalanced quotes)"
        )),
    }
}

fn local(hook: &Hook, step: &mut StepOut) -> Result<(), String> {
    let language = hook.language.as_deref().unwrap_or("");
    let entry = hook
        .entry
        .as_deref()
        .ok_or_else(|| "a local hook without `entry`".to_string())?;
    match language {
        "system" | "unsupported" | "python" | "script" | "unsupported_script" => {
            let mut run = split_entry(entry)?;
            if matches!(language, "script" | "unsupported_script") && !run[0].contains('/') {
                // A script is a path in the repository, never a PATH lookup.
                run[0] = format!("./{}", run[0]);
            }
            run.extend(hook.args.iter().flatten().cloned());
            step.run = run;
            if language == "python" {
                step.notes.push(format!(
                    "language python: runs `{}` from the project's environment (uv, .venv or PATH)",
                    step.run[0]
                ));
            }
            dependencies(hook, step);
        }
        "fail" => {
            let message = shlex::try_quote(entry)
                .map_err(|_| format!("its entry {entry:?} cannot be quoted for sh"))?;
            step.shell_script = Some(format!(
                "f() {{ printf '%s\\n' {message}; printf '  %s\\n' \"$@\"; return 1; }}; f"
            ));
            step.fix = Some(false);
            return Ok(());
        }
        "pygrep" => return pygrep(hook, entry, step),
        "" => return Err("a local hook without `language`".to_string()),
        other => {
            return Err(format!(
                "language {other} needs an environment pre-commit builds; hephaestus runs tools from the project's environment: install `{entry}` there and add a `run` step"
            ));
        }
    }
    // pre-commit fails any hook that changes files; fix = true keeps that.
    step.fix = Some(true);
    Ok(())
}

#[cfg(test)]
mod tests;
