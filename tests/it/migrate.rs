//! `hephaestus init --from-pre-commit`: the refusals and exit codes, and
//! the round trip on the six real `.pre-commit-config.yaml` files of the
//! corpus (tests/corpus/projects.toml: downloaded from PyPI at test time
//! and checked against their SHA-256, as tests/corpus/fetch.sh does; none
//! of them is copied into this repository). For each, PyYAML (the parser
//! pre-commit uses, pinned in the tests' Python venv) lists the hooks, and
//! every one must come out either as a step of the written file, which
//! `config show` loads, or as "not converted" with a reason, on stderr and
//! in the file.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{TestContext, show, stderr, stdout};
use crate::filetypes_diff::python_venv;

const SIMPLE: &str = "repos:\n- repo: https://github.com/pre-commit/pre-commit-hooks\n  rev: v6.0.0\n  hooks:\n  - id: check-yaml\n";

#[test]
fn refuses_to_overwrite_and_converts_with_force() {
    let ctx = TestContext::new();
    ctx.write(".pre-commit-config.yaml", SIMPLE);
    ctx.write("hephaestus.toml", "# mine\n");
    let out = ctx.run(["init", "--from-pre-commit"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(stderr(&out).contains("already exists"), "{}", show(&out));
    assert_eq!(ctx.read("hephaestus.toml"), b"# mine\n");
    let out = ctx.run(["init", "--from-pre-commit", "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let written = String::from_utf8(ctx.read("hephaestus.toml")).unwrap();
    assert!(written.contains("builtin = \"check-yaml\""), "{written}");
    assert!(
        stderr(&out).contains("1 hook(s) converted, 0 not"),
        "{}",
        show(&out)
    );
}

#[test]
fn a_missing_or_broken_file_writes_nothing() {
    let ctx = TestContext::new();
    let out = ctx.run(["init", "--from-pre-commit"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(stderr(&out).contains(".pre-commit-config.yaml does not exist"));
    ctx.write(
        ".pre-commit-config.yaml",
        "repos:\n- repo: local\n  hooks: 3\n",
    );
    let out = ctx.run(["init", "--from-pre-commit"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(stderr(&out).contains("line 2"), "{}", show(&out));
    assert!(!ctx.root.join("hephaestus.toml").exists());
}

#[test]
fn hooks_not_converted_are_listed_and_exit_1() {
    let ctx = TestContext::new();
    ctx.write(
        ".pre-commit-config.yaml",
        format!("{SIMPLE}- repo: local\n  hooks:\n  - id: eslint\n    entry: eslint\n    language: node\n"),
    );
    let out = ctx.run(["init", "--from-pre-commit"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains("warning: not converted: local eslint (line 8): language node"),
        "{}",
        show(&out)
    );
    let written = String::from_utf8(ctx.read("hephaestus.toml")).unwrap();
    assert!(
        written.contains("# - local eslint (line 8): language node"),
        "{written}"
    );
    let out = ctx.run(["config", "show"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
}

#[test]
fn plain_init_suggests_the_conversion() {
    let ctx = TestContext::new();
    let out = ctx.run(["init"]);
    assert!(
        !stderr(&out).contains("--from-pre-commit"),
        "{}",
        show(&out)
    );
    std::fs::remove_file(ctx.root.join("hephaestus.toml")).unwrap();
    ctx.write(".pre-commit-config.yaml", SIMPLE);
    let out = ctx.run(["init"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(stderr(&out).contains("--from-pre-commit"), "{}", show(&out));
}

/// The six real files, as tests/corpus/fetch.sh extracts them from their
/// sdists into the corpus cache (`target/corpus`, or `HEPHAESTUS_CORPUS`).
fn corpus_configs() -> Vec<(String, PathBuf)> {
    let manifest: toml::Table = toml::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/corpus/projects.toml"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut names = Vec::new();
    for p in manifest["project"].as_array().unwrap() {
        if p.get("pre_commit_config").and_then(|v| v.as_bool()) == Some(true) {
            names.push(p["name"].as_str().unwrap().to_string());
        }
    }
    for c in manifest["pre_commit_config"].as_array().unwrap() {
        names.push(c["name"].as_str().unwrap().to_string());
    }
    let files: Vec<String> = names
        .iter()
        .map(|name| format!("pre-commit-configs/{name}.yaml"))
        .collect();
    let needs: Vec<&str> = files.iter().map(String::as_str).collect();
    let cache = crate::common::corpus_cache(&needs);
    names
        .into_iter()
        .zip(files)
        .map(|(name, file)| (name, cache.join(file)))
        .collect()
}

/// `repo id` of every hook, in file order, as PyYAML reads the file.
fn hooks_by_pyyaml(config: &Path) -> Vec<String> {
    let out = Command::new(python_venv().join("bin/python"))
        .args([
            "-c",
            "import sys, yaml\nfor r in yaml.safe_load(open(sys.argv[1]))['repos']:\n    for h in r['hooks']:\n        print(r['repo'], h['id'])",
        ])
        .arg(config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
#[ignore = "needs the corpus (tests/corpus/fetch.sh) and PyYAML from PyPI; .ci/run has both"]
fn every_hook_of_the_real_configs_is_converted_or_listed_with_a_reason() {
    let configs = corpus_configs();
    assert_eq!(configs.len(), 6);
    let mut converted_total = 0;
    for (name, path) in &configs {
        let ctx = TestContext::new();
        std::fs::copy(path, ctx.root.join(".pre-commit-config.yaml")).unwrap();
        let out = ctx.run(["init", "--from-pre-commit"]);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{name}: {}",
            show(&out)
        );
        let err = stderr(&out);
        let written = String::from_utf8(ctx.read("hephaestus.toml")).unwrap();
        let shown = ctx.run(["config", "show", "--format", "json"]);
        assert_eq!(
            shown.status.code(),
            Some(0),
            "{name}: {}\n{written}",
            show(&shown)
        );
        let json: serde_json::Value = serde_json::from_str(&stdout(&shown)).unwrap();
        let steps: Vec<String> = json["config"]["guard-rails"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect();
        let mut lines = err.lines().filter(|l| {
            l.starts_with("  http")
                || l.starts_with("  local")
                || l.starts_with("warning: not converted: ")
        });
        let mut converted = 0;
        let mut not = 0;
        for hook in hooks_by_pyyaml(path) {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("{name}: {hook} is missing from the report:\n{err}"));
            if let Some(rest) = line.strip_prefix("warning: not converted: ") {
                assert!(
                    rest.starts_with(&format!("{hook} (line ")),
                    "{name}: {hook} vs {line}"
                );
                let reason = rest.split_once("): ").map(|(_, r)| r.trim()).unwrap_or("");
                assert!(!reason.is_empty(), "{name}: {line}");
                assert!(
                    written.contains(&format!("# - {}", rest.lines().next().unwrap())),
                    "{name}: {line} is not in the file\n{written}"
                );
                not += 1;
            } else {
                let rest = line.trim_start();
                assert!(
                    rest.starts_with(&format!("{hook} (line ")),
                    "{name}: {hook} vs {line}"
                );
                let step = rest.rsplit_once(" -> step ").unwrap().1.trim_matches('"');
                assert!(
                    steps.iter().any(|s| s == step),
                    "{name}: step {step} not in {steps:?}"
                );
                converted += 1;
            }
        }
        assert!(
            lines.next().is_none(),
            "{name}: more report lines than hooks:\n{err}"
        );
        assert_eq!(steps.len(), converted, "{name}");
        assert_eq!(
            out.status.code(),
            Some(if not == 0 { 0 } else { 1 }),
            "{name}"
        );
        assert!(
            err.contains(&format!("{converted} hook(s) converted, {not} not")),
            "{name}: {err}"
        );
        converted_total += converted;
    }
    // The corpus is mostly pre-commit-hooks, ruff, mypy and codespell:
    // most hooks must convert.
    assert!(
        converted_total >= 40,
        "only {converted_total} hooks converted"
    );
}
