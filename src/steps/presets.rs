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
use crate::pyenv::toolcfg::{Formatter, MypyScope, PythonToolPlan};

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
        argv: &["pytest"],
        files: PY,
        scope: Scope::Project,
        stages: Some(PUSH),
        fix: false,
        serial: true,
        tool: "pytest",
        install: "pip install pytest  (or: uv add --dev pytest)",
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
        optional: true,
        formatter: false,
    },
];

/// Added to the python preset only when the project uses isort
/// ([`add_isort`]): a fixer before the formatter.
const ISORT: Def = Def {
    name: "isort",
    argv: &["isort", "--filter-files"],
    files: PY,
    scope: Scope::Files,
    stages: Some(COMMIT_AND_PUSH),
    fix: true,
    serial: false,
    tool: "isort",
    install: "pip install isort  (or: uv add --dev isort)",
    optional: false,
    formatter: true,
};

const RS: &[&str] = &["*.rs", "Cargo.toml", "Cargo.lock"];

const RUST: &[Def] = &[
    Def {
        name: "cargo clippy",
        argv: &["cargo", "clippy", "--tests"],
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
        check: None,
        filter: None,
        always_run: false,
        prefer_stubs: false,
    }
}

/// Preset globs are literals checked by the tests below; should one ever
/// fail to compile, match nothing rather than panic.
fn unreachable_globs() -> PathMatcher {
    PathMatcher::new(&globs(&["/.hephaestus-never-matches"]), &[])
        .unwrap_or_else(|_| unreachable!())
}

/// What a preset reads from the project besides its own definitions.
#[derive(Debug, Clone, Default)]
pub struct PresetContext<'a> {
    /// What the python preset runs, decided from the project's own tool
    /// configuration ([`crate::pyenv::toolcfg`]); `None` keeps the plain
    /// definitions (tests).
    pub python: Option<&'a PythonToolPlan>,
}

/// The steps of one preset, in pipeline order.
pub fn steps(preset: Preset, cx: &PresetContext<'_>) -> Vec<Step> {
    match preset {
        Preset::Python => {
            let mut steps: Vec<Step> = PYTHON.iter().map(to_step).collect();
            if let Some(plan) = cx.python {
                fit_python(&mut steps, plan);
                add_isort(&mut steps, plan);
            }
            steps
        }
        Preset::Rust => {
            let mut steps: Vec<Step> = RUST.iter().map(to_step).collect();
            for step in &mut steps {
                if step.name == "cargo fmt" {
                    step.check = Some(command(&strings(&[
                        "cargo", "fmt", "--all", "--", "--check",
                    ])));
                }
            }
            steps
        }
        Preset::Auto => Vec::new(),
    }
}

/// The python preset as the project configures its tools:
/// - `ruff check` never fixes (`--no-fix`, whatever `fix = true` says),
///   and its tool is required only when the project uses ruff;
/// - the formatter is the project's (black or `ruff format`), checking
///   only (`--check`) on pre-push;
/// - mypy checks what the project configures, once, when it configures
///   `files`/`packages`/`modules`, else the files in scope;
/// - pytest gets `--cov` only when pytest-cov is there to take it;
/// - a tool the project neither configures nor installs is optional: its
///   step is skipped with a notice saying how to install it.
fn fit_python(steps: &mut [Step], plan: &PythonToolPlan) {
    for step in steps.iter_mut() {
        match step.name.as_str() {
            "ruff check" if plan.flake8.is_some() => {
                step.name = "flake8".to_string();
                step.action = command(&["flake8".to_string()]);
                step.matcher = PathMatcher::new(&globs(&["*.py"]), &[])
                    .unwrap_or_else(|_| unreachable_globs());
                step.missing_hint = Some(hint("flake8"));
            }
            "ruff check" => {
                step.action = command(&plan.ruff.check_argv);
                step.optional_tool = !plan.ruff.used;
            }
            "ruff format" => {
                let f = &plan.formatter;
                if f.tool == Formatter::Black {
                    step.name = "black".to_string();
                    step.missing_hint = Some(hint("black"));
                } else {
                    step.optional_tool = !plan.ruff.used;
                }
                step.action = command(&f.fix_argv);
                step.check = Some(command(&f.check_argv));
            }
            "mypy" => {
                step.action = command(&plan.mypy.argv);
                if plan.mypy.scope == MypyScope::Project {
                    step.scope = Scope::Project;
                    step.pass_files = false;
                } else {
                    step.prefer_stubs = true;
                }
                step.optional_tool = plan.mypy.config.is_none();
            }
            "pytest" if plan.pytest.unittest => {
                step.name = "unittest".to_string();
                step.action = command(&plan.pytest.argv);
                step.missing_hint = Some(ToolHint {
                    tool: "python".to_string(),
                    install: "create the project's environment (python -m venv .venv)".to_string(),
                });
            }
            "pytest" => {
                step.action = command(&plan.pytest.argv);
                step.optional_tool = plan.pytest.config.is_none();
            }
            _ => {}
        }
    }
}

/// isort, when the project uses it: after the linter, before the
/// formatter (black's profile expects that order), fixing on pre-commit
/// and `--check-only --diff` on pre-push. `--filter-files` makes isort
/// honour its `skip` settings for the files it is given.
fn add_isort(steps: &mut Vec<Step>, plan: &PythonToolPlan) {
    if plan.isort.is_none() {
        return;
    }
    let at = steps
        .iter()
        .position(|s| s.is_formatter)
        .unwrap_or(steps.len());
    let mut isort = to_step(&ISORT);
    isort.check = Some(command(&strings(&[
        "isort",
        "--filter-files",
        "--check-only",
        "--diff",
    ])));
    steps.insert(at, isort);
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_string()).collect()
}

fn hint(tool: &str) -> ToolHint {
    ToolHint {
        tool: tool.to_string(),
        install: format!("pip install {tool}  (or: uv add --dev {tool})"),
    }
}

fn command(argv: &[String]) -> Action {
    Action::Command {
        argv: argv.to_vec(),
        shell: false,
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
        check: None,
        filter: None,
        always_run: false,
        prefer_stubs: false,
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
        let py = steps(Preset::Python, &PresetContext::default());
        assert_eq!(py.len(), 5);
        assert!(py[0].matcher.matches(b"pkg/mod.py"));
        assert!(!py[0].matcher.matches(b"pkg/mod.rs"));
    }
}

#[cfg(test)]
mod fit_tests {
    use super::*;
    use crate::pyenv::EnvHints;
    use crate::steps::plan::{FileSet, Selection, plan};

    fn python_steps(pyproject: &str) -> Vec<Step> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pyproject.toml"), pyproject).unwrap();
        let env = crate::pyenv::find(dir.path(), &EnvHints::default());
        let tools = crate::pyenv::toolcfg::plan(&crate::pyenv::toolcfg::ToolCfgSettings {
            root: dir.path(),
            env: env.as_ref(),
        })
        .unwrap();
        steps(
            Preset::Python,
            &PresetContext {
                python: Some(&tools),
            },
        )
    }

    fn argv(step: &Step) -> Vec<String> {
        match &step.action {
            Action::Command { argv, .. } => argv.clone(),
            other => panic!("not a command: {other:?}"),
        }
    }

    #[test]
    fn the_python_preset_follows_the_project_configuration() {
        let steps = python_steps(
            "[project]\nname = \"p\"\n\n[tool.black]\nline-length = 79\n\n[tool.ruff]\nfix = true\n\n[tool.mypy]\nfiles = [\"src\"]\n",
        );
        let by = |n: &str| steps.iter().find(|s| s.name == n).unwrap();
        assert!(argv(by("ruff check")).contains(&"--no-fix".to_string()));
        let black = by("black");
        assert_eq!(argv(black)[0], "black");
        assert!(black.fix);
        let mypy = by("mypy");
        assert_eq!(mypy.scope, Scope::Project);
        assert!(!mypy.pass_files);
        assert!(!steps.iter().any(|s| s.name == "ruff format"));
    }

    #[test]
    fn pre_push_runs_the_formatter_in_check_mode() {
        let steps = python_steps("[project]\nname = \"p\"\n\n[tool.black]\n");
        let files = vec![crate::git::BString::from("a.py")];
        let set = FileSet {
            files: &files,
            root: None,
            none: false,
        };
        let commit = plan(
            &steps,
            set,
            &Selection {
                hook: Some(HookType::PreCommit),
                ..Selection::default()
            },
        );
        let push = plan(
            &steps,
            set,
            &Selection {
                hook: Some(HookType::PrePush),
                ..Selection::default()
            },
        );
        let black = |p: &crate::steps::plan::Plan| {
            p.steps
                .iter()
                .find(|s| s.step.name == "black")
                .unwrap()
                .step
                .clone()
        };
        assert!(black(&commit).fix);
        assert!(!argv(&black(&commit)).contains(&"--check".to_string()));
        assert!(!black(&push).fix);
        assert!(argv(&black(&push)).contains(&"--check".to_string()));
    }
}
