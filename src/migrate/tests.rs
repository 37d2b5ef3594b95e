//! One test per mapping: each converts a small file, checks the step (or
//! the reason) and that the generated file loads as a configuration.

use super::*;
use crate::config::model::CommandLine;

fn load(toml: &str) -> crate::config::Config {
    crate::config::parse_toml(std::path::Path::new("hephaestus.toml"), toml)
        .unwrap_or_else(|e| panic!("the converted file does not load: {e}\n{toml}"))
}

fn one(yaml: &str) -> (Conversion, crate::config::model::StepConfig) {
    let c = convert(yaml).unwrap();
    let config = load(&c.toml);
    assert_eq!(config.guard_rails.steps.len(), 1, "{}", c.toml);
    let step = config.guard_rails.steps[0].clone();
    (c, step)
}

fn argv(step: &crate::config::model::StepConfig) -> Vec<String> {
    match &step.run {
        CommandLine::Argv(v) => v.clone(),
        CommandLine::Line(l) => vec![l.clone()],
    }
}

const HOOKS: &str = "https://github.com/pre-commit/pre-commit-hooks";

#[test]
fn pre_commit_hooks_ids_become_builtins_with_their_args() {
    let (c, step) = one(&format!(
        "repos:\n- repo: {HOOKS}\n  rev: v6.0.0\n  hooks:\n  - id: check-added-large-files\n    args: ['--maxkb=1000']\n    exclude: ^docs/\n"
    ));
    let builtin = step.builtin.unwrap();
    assert_eq!(builtin.id, CheckId::CheckAddedLargeFiles);
    assert_eq!(builtin.args, ["--maxkb=1000"]);
    assert_eq!(step.exclude_regex.unwrap().as_str(), "^docs/");
    assert_eq!(step.name, "check-added-large-files");
    assert_eq!(c.converted.len(), 1);
    assert!(c.not_converted.is_empty());
}

#[test]
fn builtin_defaults_come_from_the_check() {
    let (_, step) = one(&format!(
        "repos:\n- repo: {HOOKS}\n  rev: v6.0.0\n  hooks:\n  - id: no-commit-to-branch\n    args: [--branch, main]\n"
    ));
    assert!(step.always_run);
    assert_eq!(step.pass_files, Some(false));
    let (_, step) = one(&format!(
        "repos:\n- repo: {HOOKS}\n  rev: v6.0.0\n  hooks:\n  - id: check-yaml\n"
    ));
    assert_eq!(
        step.types.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        ["yaml"]
    );
    assert!(!step.fix);
    let (_, step) = one(&format!(
        "repos:\n- repo: {HOOKS}\n  rev: v6.0.0\n  hooks:\n  - id: trailing-whitespace\n"
    ));
    assert!(step.fix, "a fixer may modify files");
}

#[test]
fn bad_builtin_args_are_not_converted() {
    let c = convert(&format!(
        "repos:\n- repo: {HOOKS}\n  rev: v6.0.0\n  hooks:\n  - id: check-yaml\n    args: [--nope]\n"
    ))
    .unwrap();
    assert!(c.converted.is_empty());
    assert!(
        c.not_converted[0].reason.contains("--nope"),
        "{:?}",
        c.not_converted
    );
    assert!(c.toml.contains("--nope"));
    load(&c.toml);
}

#[test]
fn other_pre_commit_hooks_scripts_run_from_the_environment() {
    let (c, step) = one(&format!(
        "repos:\n- repo: {HOOKS}\n  rev: v6.0.0\n  hooks:\n  - id: debug-statements\n"
    ));
    assert_eq!(argv(&step), ["debug-statement-hook"]);
    assert!(
        c.converted[0]
            .notes
            .iter()
            .any(|n| n.contains("pre-commit-hooks package"))
    );
    let c = convert(&format!(
        "repos:\n- repo: {HOOKS}\n  rev: v4.0.0\n  hooks:\n  - id: flake8\n"
    ))
    .unwrap();
    assert!(c.not_converted[0].reason.contains("removed"));
}

#[test]
fn ruff_and_its_legacy_id() {
    let yaml = "repos:\n- repo: https://github.com/astral-sh/ruff-pre-commit\n  rev: v0.12.0\n  hooks:\n  - id: ruff\n    args: [--fix]\n  - id: ruff-format\n";
    let c = convert(yaml).unwrap();
    let config = load(&c.toml);
    let steps = &config.guard_rails.steps;
    assert_eq!(
        argv(&steps[0]),
        ["ruff", "check", "--force-exclude", "--fix"]
    );
    assert_eq!(argv(&steps[1]), ["ruff", "format", "--force-exclude"]);
    for step in steps {
        assert!(step.fix && step.require_serial);
        let tags: Vec<&str> = step.types_or.iter().map(|t| t.as_str()).collect();
        assert_eq!(tags, ["python", "pyi", "jupyter"]);
    }
}

#[test]
fn mirrors_use_their_default_args_unless_given() {
    let (_, step) = one(
        "repos:\n- repo: https://github.com/pre-commit/mirrors-mypy\n  rev: v1.0.0\n  hooks:\n  - id: mypy\n",
    );
    assert_eq!(
        argv(&step),
        ["mypy", "--ignore-missing-imports", "--scroll-output"]
    );
    let (c, step) = one(
        "repos:\n- repo: https://github.com/pre-commit/mirrors-mypy\n  rev: v1.0.0\n  hooks:\n  - id: mypy\n    args: []\n    files: ^(src/|testing/)\n    additional_dependencies: [pytest]\n",
    );
    assert_eq!(argv(&step), ["mypy"]);
    assert_eq!(step.files_regex.unwrap().as_str(), "^(src/|testing/)");
    assert!(!step.fix);
    assert!(
        c.converted[0].notes.iter().any(|n| n.contains("pytest")),
        "{:?}",
        c.converted
    );
    assert!(c.toml.contains("pytest"));
}

#[test]
fn black_isort_flake8_pyupgrade_codespell() {
    for (repo, id, program) in [
        ("https://github.com/psf/black", "black", "black"),
        (
            "https://github.com/psf/black-pre-commit-mirror",
            "black",
            "black",
        ),
        ("https://github.com/PyCQA/isort", "isort", "isort"),
        ("https://github.com/pycqa/flake8", "flake8", "flake8"),
        (
            "https://github.com/asottile/pyupgrade",
            "pyupgrade",
            "pyupgrade",
        ),
        (
            "https://github.com/codespell-project/codespell",
            "codespell",
            "codespell",
        ),
    ] {
        let (_, step) = one(&format!(
            "repos:\n- repo: {repo}\n  rev: '1'\n  hooks:\n  - id: {id}\n"
        ));
        assert_eq!(argv(&step)[0], program);
    }
    let (_, step) = one(
        "repos:\n- repo: https://github.com/codespell-project/codespell\n  rev: '1'\n  hooks:\n  - id: codespell\n    args: [-w]\n",
    );
    assert!(step.fix, "codespell -w writes");
}

#[test]
fn local_hooks_keep_their_selection_and_switches() {
    let yaml = r#"
default_stages: [commit]
repos:
- repo: local
  hooks:
  - id: pylint
    name: pylint
    entry: pylint --rcfile=.pylintrc
    language: system
    types: [python]
    exclude_types: [pyi]
    files: ^src/
    exclude: _pb2\.py$
    args: [-j, "0"]
    require_serial: true
  - id: check
    entry: scripts/check.sh
    language: script
    pass_filenames: false
    always_run: true
    stages: [push, manual]
  - id: tidy
    entry: tidy.sh
    language: unsupported_script
    types_or: [yaml, json]
  - id: rst
    entry: rst-lint
    language: python
    additional_dependencies: [restructuredtext_lint]
    stages: [manual]
"#;
    let c = convert(yaml).unwrap();
    let steps = load(&c.toml).guard_rails.steps;
    assert_eq!(steps.len(), 4, "{}", c.toml);
    let pylint = &steps[0];
    assert_eq!(argv(pylint), ["pylint", "--rcfile=.pylintrc", "-j", "0"]);
    assert_eq!(pylint.files_regex.as_ref().unwrap().as_str(), "^src/");
    assert_eq!(
        pylint.exclude_regex.as_ref().unwrap().as_str(),
        r"_pb2\.py$"
    );
    assert_eq!(pylint.types[0].as_str(), "python");
    assert_eq!(pylint.exclude_types[0].as_str(), "pyi");
    assert!(pylint.require_serial && pylint.fix);
    assert_eq!(
        pylint.stages.as_deref(),
        Some(&[HookType::PreCommit][..]),
        "legacy `commit`"
    );
    let check = &steps[1];
    assert_eq!(argv(check), ["scripts/check.sh"]);
    assert!(check.pass_files == Some(false) && check.always_run);
    assert_eq!(check.stages.as_deref(), Some(&[HookType::PrePush][..]));
    assert_eq!(argv(&steps[2]), ["./tidy.sh"]);
    assert_eq!(steps[2].types_or.len(), 2);
    assert_eq!(
        steps[3].stages.as_deref(),
        Some(&[][..]),
        "manual only: no hook"
    );
    assert!(
        c.converted[3]
            .notes
            .iter()
            .any(|n| n.contains("restructuredtext_lint"))
    );
}

#[test]
fn local_fail_hooks_fail_with_their_message() {
    let (_, step) = one(
        "repos:\n- repo: local\n  hooks:\n  - id: no-rej\n    name: no .rej files\n    entry: \"don't commit .rej files\"\n    language: fail\n    files: \\.rej$\n",
    );
    assert!(step.shell);
    let CommandLine::Line(script) = &step.run else {
        panic!()
    };
    let out = std::process::Command::new("sh")
        .args(["-c", &format!("{script} \"$@\""), "step", "a.rej"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "don't commit .rej files\n  a.rej\n"
    );
}

#[test]
fn what_cannot_be_converted_is_listed_with_the_reason() {
    let yaml = r#"
repos:
- repo: meta
  hooks:
  - id: check-useless-excludes
- repo: https://github.com/rbubley/mirrors-prettier
  rev: v3.0.0
  hooks:
  - id: prettier
- repo: https://github.com/example/unknown-hooks
  rev: v1
  hooks:
  - id: frobnicate
- repo: https://github.com/pre-commit/pygrep-hooks
  rev: v1.10.0
  hooks:
  - id: python-no-log-warn
- repo: local
  hooks:
  - id: eslint
    entry: eslint
    language: node
  - id: back
    entry: '(a)\1'
    language: pygrep
  - id: lookahead
    entry: x
    language: system
    files: ^(?!vendor/)
  - id: gc
    entry: x
    language: system
    stages: [pre-auto-gc]
"#;
    let c = convert(yaml).unwrap();
    assert!(c.converted.is_empty());
    let reasons: Vec<&str> = c.not_converted.iter().map(|n| n.reason.as_str()).collect();
    assert_eq!(reasons.len(), 8);
    assert!(reasons[0].contains("meta hooks"));
    assert!(reasons[1].contains("node tool"), "{}", reasons[1]);
    assert!(
        reasons[2].contains("not a hook hephaestus knows"),
        "{}",
        reasons[2]
    );
    assert!(
        reasons[3].contains("language pygrep") && reasons[3].contains("look-behind"),
        "{}",
        reasons[3]
    );
    assert!(reasons[4].contains("language node"));
    assert!(reasons[5].contains("backreference"), "{}", reasons[5]);
    assert!(reasons[6].contains("lookahead"));
    assert!(reasons[7].contains("pre-auto-gc"));
    for n in &c.not_converted {
        assert!(
            c.toml.contains(&n.hook),
            "{} missing from the comments",
            n.hook
        );
    }
    load(&c.toml);
}

#[test]
fn top_level_settings() {
    let yaml = "files: ^(src|tests)/\nexclude: ^(\\.[^/]*cache/.*)$\nfail_fast: true\ndefault_install_hook_types: [pre-commit, commit-msg]\nminimum_pre_commit_version: '3.0'\nrepos:\n- repo: local\n  hooks:\n  - id: t\n    entry: t\n    language: system\n";
    let c = convert(yaml).unwrap();
    let config = load(&c.toml);
    let g = &config.guard_rails;
    assert!(g.fail_fast);
    assert!(g.presets.is_empty());
    assert_eq!(g.files_regex.as_ref().unwrap().as_str(), "^(src|tests)/");
    assert_eq!(
        g.exclude_regex.as_ref().unwrap().as_str(),
        r"^(\.[^/]*cache/.*)$"
    );
    assert_eq!(
        config.hooks.install.as_deref(),
        Some(&[HookType::PreCommit, HookType::CommitMsg][..])
    );
    assert!(
        c.notes
            .iter()
            .any(|n| n.contains("minimum_pre_commit_version"))
    );
    let filter = g.steps[0].filter(g);
    assert!(filter.matches_path("src/a.py"));
    assert!(!filter.matches_path("docs/a.py"));
    assert_eq!(filter.exclude.len(), 1);
}

#[test]
fn duplicate_ids_get_unique_names() {
    let c = convert(&format!("repos:\n- repo: {HOOKS}\n  rev: v6.0.0\n  hooks:\n  - id: check-yaml\n  - id: check-yaml\n    alias: yaml-unsafe\n    args: [--unsafe]\n  - id: check-yaml\n    files: x\n")).unwrap();
    let names: Vec<String> = load(&c.toml)
        .guard_rails
        .steps
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["check-yaml", "yaml-unsafe", "check-yaml-2"]);
}

#[test]
fn malformed_files_are_errors_naming_the_line() {
    let err = convert("repos:\n- repo: local\n  hooks: 3\n").unwrap_err();
    assert!(
        err.to_string().contains(".pre-commit-config.yaml: line 2"),
        "{err}"
    );
    assert!(convert("repos: [\n").is_err());
}

#[test]
fn pygrep_hooks_become_the_pygrep_builtin() {
    let yaml = r#"
repos:
- repo: https://github.com/pre-commit/pygrep-hooks
  rev: v1.10.0
  hooks:
  - id: python-no-eval
  - id: rst-backticks
  - id: python-check-blanket-noqa
    args: [--multiline]
  - id: not-a-pygrep-hook
- repo: local
  hooks:
  - id: no-print
    name: no print
    entry: 'print\('
    language: pygrep
    args: [-i, --negate]
    files: ^src/
"#;
    let c = convert(yaml).unwrap();
    let names: Vec<&str> = c.converted.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(names, ["python-no-eval", "rst-backticks", "no-print"]);
    assert!(
        c.toml.contains(
            "name = \"python-no-eval\"\nbuiltin = \"pygrep\"\nargs = ['\\beval\\(']\ntypes = [\"python\"]\n"
        ),
        "{}",
        c.toml
    );
    assert!(
        c.converted[1].notes[0].contains("look-around"),
        "{:?}",
        c.converted[1]
    );
    assert!(
        c.toml
            .contains("args = [\"-i\", \"--negate\", 'print\\(']\nfiles_regex = \"^src/\"\n"),
        "{}",
        c.toml
    );
    let reasons: Vec<&str> = c.not_converted.iter().map(|n| n.reason.as_str()).collect();
    // With --multiline the rewrite is not known to be exact.
    assert!(reasons[0].contains("look-ahead"), "{}", reasons[0]);
    assert!(
        reasons[1].contains("pygrep-hooks hook hephaestus knows"),
        "{}",
        reasons[1]
    );
    load(&c.toml);
}
