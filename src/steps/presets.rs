//! The `python` and `rust` presets, in the seeds' pipeline order: scoped
//! cleanup, lint, format, type check, tests, dependency audit.
//!
//! Tests and audits are slow or need the network, so in hooks they run on
//! pre-push only; `hephaestus guard-rails` runs every step.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{Action, Step, ToolHint};
use crate::config::Preset;
use crate::config::glob::PathMatcher;
use crate::config::model::{GlobPattern, Scope};
use crate::git::HookType;

struct Def {
    name: &'static str,
    argv: &'static [&'static str],
    files: &'static [&'static str],
    scope: Scope,
    stages: Option<&'static [HookType]>,
    fix: bool,
    serial: bool,
    tool: &'static str,
    install: &'static str,
    optional: bool,
    formatter: bool,
}

const PY: &[&str] = &["*.py", "*.pyi"];
const PUSH: &[HookType] = &[HookType::PrePush];
const COMMIT_AND_PUSH: &[HookType] = &[HookType::PreCommit, HookType::PrePush];

const PYTHON: &[Def] = &[
    Def {
        name: "ruff check",
        argv: &["ruff", "check", "--force-exclude"],
        files: PY,
        scope: Scope::Files,
        stages: Some(COMMIT_AND_PUSH),
        fix: false,
        serial: false,
        tool: "ruff",
        install: "pip install ruff  (or: uv add --dev ruff)",
        optional: false,
        formatter: false,
    },
    Def {
        name: "ruff format",
        argv: &["ruff", "format", "--force-exclude"],
        files: PY,
        scope: Scope::Files,
        stages: Some(COMMIT_AND_PUSH),
        fix: true,
        serial: false,
        tool: "ruff",
        install: "pip install ruff  (or: uv add --dev ruff)",
        optional: false,
        formatter: true,
    },
    Def {
        name: "mypy",
        argv: &["mypy"],
        files: PY,
        scope: Scope::Files,
        stages: Some(COMMIT_AND_PUSH),
        fix: false,
        serial: true,
        tool: "mypy",
        install: "pip install mypy  (or: uv add --dev mypy)",
        optional: false,
        formatter: false,
    },
    Def {
        name: "pytest",
        argv: &["pytest", "--cov", "--cov-report=term-missing"],
        files: PY,
        scope: Scope::Project,
        stages: Some(PUSH),
        fix: false,
        serial: true,
        tool: "pytest",
        install: "pip install pytest pytest-cov  (or: uv add --dev pytest pytest-cov)",
        optional: false,
        formatter: false,
    },
    Def {
        name: "pip-audit",
        argv: &["pip-audit"],
        files: &[
            "pyproject.toml",
            "requirements*.txt",
            "uv.lock",
            "poetry.lock",
            "setup.py",
            "setup.cfg",
        ],
        scope: Scope::Project,
        stages: Some(PUSH),
        fix: false,
        serial: true,
        tool: "pip-audit",
        install: "pip install pip-audit  (or: uv add --dev pip-audit)",
        optional: false,
        formatter: false,
    },
];

const RS: &[&str] = &["*.rs", "Cargo.toml", "Cargo.lock"];

const RUST: &[Def] = &[
    Def {
        name: "cargo clippy",
        argv: &["cargo", "clippy", "--all-targets", "--", "-D", "warnings"],
        files: RS,
        scope: Scope::Project,
        stages: Some(COMMIT_AND_PUSH),
        fix: false,
        serial: true,
        tool: "cargo-clippy",
        install: "rustup component add clippy",
        optional: false,
        formatter: false,
    },
    Def {
        name: "cargo fmt",
        argv: &["cargo", "fmt", "--all"],
        files: &["*.rs"],
        scope: Scope::Project,
        stages: Some(COMMIT_AND_PUSH),
        fix: true,
        serial: true,
        tool: "rustfmt",
        install: "rustup component add rustfmt",
        optional: false,
        formatter: true,
    },
    Def {
        name: "cargo test",
        argv: &["cargo", "test"],
        files: RS,
        scope: Scope::Project,
        stages: Some(PUSH),
        fix: false,
        serial: true,
        tool: "cargo",
        install: "install Rust with rustup (https://rustup.rs)",
        optional: false,
        formatter: false,
    },
    Def {
        name: "cargo audit",
        argv: &["cargo", "audit"],
        files: &["Cargo.toml", "Cargo.lock"],
        scope: Scope::Project,
        stages: Some(PUSH),
        fix: false,
        serial: true,
        tool: "cargo-audit",
        install: "cargo install cargo-audit --locked",
        optional: true,
        formatter: false,
    },
];

/// Globs from string literals.
fn globs(patterns: &[&str]) -> Vec<GlobPattern> {
    patterns
        .iter()
        .map(|p| GlobPattern(p.to_string()))
        .collect()
}

fn to_step(d: &Def) -> Step {
    Step {
        name: d.name.to_string(),
        action: Action::Command {
            argv: d.argv.iter().map(|s| s.to_string()).collect(),
            shell: false,
        },
        matcher: PathMatcher::new(&globs(d.files), &[]).unwrap_or_else(|_| unreachable_globs()),
        pass_files: d.scope == Scope::Files,
        scope: d.scope,
        stages: d.stages.map(|s| s.to_vec()),
        fix: d.fix,
        restage: false,
        timeout: None,
        env: BTreeMap::new(),
        require_serial: d.serial,
        missing_hint: Some(ToolHint {
            tool: d.tool.to_string(),
            install: d.install.to_string(),
        }),
        optional_tool: d.optional,
        is_formatter: d.formatter,
    }
}

/// Preset globs are literals checked by the tests below; should one ever
/// fail to compile, match nothing rather than panic.
fn unreachable_globs() -> PathMatcher {
    PathMatcher::new(&globs(&["/.hephaestus-never-matches"]), &[])
        .unwrap_or_else(|_| unreachable!())
}

/// The steps of one preset, in pipeline order.
pub fn steps(preset: Preset) -> Vec<Step> {
    match preset {
        Preset::Python => PYTHON.iter().map(to_step).collect(),
        Preset::Rust => RUST.iter().map(to_step).collect(),
        Preset::Auto => Vec::new(),
    }
}

fn builtin(name: &str, action: Action, stages: Option<Vec<HookType>>) -> Step {
    Step {
        name: name.to_string(),
        action,
        matcher: PathMatcher::new(&[], &[]).unwrap_or_else(|_| unreachable_globs()),
        pass_files: true,
        scope: Scope::Files,
        stages,
        fix: false,
        restage: false,
        timeout: Some(Duration::from_secs(120)),
        env: BTreeMap::new(),
        require_serial: true,
        missing_hint: None,
        optional_tool: false,
        is_formatter: false,
    }
}

/// Scoped cleanup: junk about to be committed or pushed fails the run.
pub fn cleanup_step() -> Step {
    builtin(
        "cleanup",
        Action::Cleanup,
        Some(vec![HookType::PreCommit, HookType::PrePush]),
    )
}

/// The drift check as a step (`guard-rails --drift`).
pub fn drift_step() -> Step {
    let mut step = builtin("drift", Action::Drift, None);
    step.scope = Scope::Project;
    step
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preset_globs_compile_and_match() {
        for def in PYTHON.iter().chain(RUST) {
            let m = PathMatcher::new(&globs(def.files), &[]).expect("preset globs compile");
            assert!(
                def.files.iter().any(|f| f.contains('*')) || m.matches(def.files[0].as_bytes())
            );
        }
        let py = steps(Preset::Python);
        assert_eq!(py.len(), 5);
        assert!(py[0].matcher.matches(b"pkg/mod.py"));
        assert!(!py[0].matcher.matches(b"pkg/mod.rs"));
    }
}
