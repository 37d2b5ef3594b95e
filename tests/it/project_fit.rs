//! Guard-rails that fit a real project (issue 13): any step that changes
//! a file fails the run and names it, steps run in the project's
//! environment, preset steps can be turned off by name, and a step that
//! replaces a preset step keeps the preset's stages, scope and files.

use std::os::unix::fs::PermissionsExt;

use crate::common::{TestContext, show, stderr, stdout};

fn executable(ctx: &TestContext, rel: &str, body: &str) {
    ctx.write(rel, body);
    std::fs::set_permissions(ctx.root.join(rel), std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_read_only_step_that_edits_a_staged_file_fails_the_commit_and_names_it() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        "[guard-rails]\npresets = []\n\n[[guard-rails.steps]]\nname = \"sneaky lint\"\nrun = [\"sh\", \"-c\", \"for f; do printf 'fixed\\\\n' > \\\"$f\\\"; done; exit 0\", \"lint\"]\nfiles = [\"*.py\"]\n\n[[guard-rails.steps]]\nname = \"honest\"\nrun = [\"true\"]\nfiles = [\"*.py\"]\n",
    );
    ctx.write("a.py", "x = 1\n");
    ctx.commit_all("base");
    ctx.run(["hook", "install"]);
    ctx.write("a.py", "import os\nx = 2\n");
    ctx.git(["add", "a.py"]);
    let head = ctx.git(["rev-parse", "HEAD"]);
    let out = ctx
        .git_cmd()
        .args(["commit", "-qm", "seeded"])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "the commit must fail: {}",
        show(&out)
    );
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("sneaky lint"), "{text}");
    assert!(text.contains("a.py"), "the file is named: {text}");
    assert!(text.contains("not a fixer"), "{text}");
    assert_eq!(ctx.git(["rev-parse", "HEAD"]), head, "nothing committed");
    // The staged content is still what the user staged.
    assert_eq!(ctx.git(["show", ":a.py"]), b"import os\nx = 2\n");
}

#[test]
fn a_project_step_that_writes_a_tracked_file_is_blamed_for_it() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        "[guard-rails]\npresets = []\n\n[[guard-rails.steps]]\nname = \"writer\"\nrun = [\"sh\", \"-c\", \"echo changed > other.txt\"]\nscope = \"project\"\nfiles = [\"*.py\"]\n\n[[guard-rails.steps]]\nname = \"reader\"\nrun = [\"true\"]\nfiles = [\"*.py\"]\n",
    );
    ctx.write("a.py", "x = 1\n");
    ctx.write("other.txt", "original\n");
    ctx.commit_all("base");
    ctx.write("a.py", "x = 2\n");
    ctx.git(["add", "a.py"]);
    let out = ctx.run(["hook", "run", "pre-commit", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = doc["steps"].as_array().unwrap();
    let writer = steps.iter().find(|s| s["name"] == "writer").unwrap();
    let reader = steps.iter().find(|s| s["name"] == "reader").unwrap();
    assert_eq!(writer["status"], "failed", "{doc}");
    assert_eq!(reader["status"], "passed", "{doc}");
    assert!(writer.to_string().contains("other.txt"), "{doc}");
}

#[test]
fn a_read_only_step_over_thousands_of_files_that_edits_one_is_blamed_for_it() {
    // More files than the executor looks at by stat: they are watched
    // through their directories (inotify on Linux) instead.
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        "[guard-rails]\npresets = []\n\n[[guard-rails.steps]]\nname = \"sneaky lint\"\nrun = [\"sh\", \"-c\", \"printf 'fixed\\\\n' >> pkg7/f3.py; exit 0\", \"lint\"]\nfiles = [\"*.py\"]\n\n[[guard-rails.steps]]\nname = \"honest\"\nrun = [\"true\"]\nfiles = [\"*.py\"]\n",
    );
    for d in 0..30 {
        for f in 0..80 {
            ctx.write(format!("pkg{d}/f{f}.py"), format!("x = {f}\n"));
        }
    }
    ctx.commit_all("base");
    let out = ctx.run([
        "hook",
        "run",
        "pre-commit",
        "--all-files",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = doc["steps"].as_array().unwrap();
    // Both were given the file and ran side by side: both are named, the
    // message says so, and the other files are left out.
    for name in ["sneaky lint", "honest"] {
        let step = steps.iter().find(|s| s["name"] == name).unwrap();
        assert_eq!(step["status"], "failed", "{name}: {}", step["message"]);
        assert_eq!(step["modified_files"], serde_json::json!(["pkg7/f3.py"]));
        assert!(
            step["message"].as_str().unwrap().contains("alongside"),
            "{}",
            step["message"]
        );
    }
}

#[test]
fn steps_run_with_the_project_venv_activated() {
    let ctx = TestContext::new();
    // A venv as `python -m venv` leaves it, minus the interpreter: what
    // makes it a venv is pyvenv.cfg.
    ctx.write(".venv/pyvenv.cfg", "home = /usr/bin\nversion = 3.12.0\n");
    executable(
        &ctx,
        ".venv/bin/projtool",
        "#!/bin/sh\nprintf 'VIRTUAL_ENV=%s\\nPATH0=%s\\n' \"$VIRTUAL_ENV\" \"${PATH%%:*}\" > \"$(dirname \"$0\")/../../seen.txt\"\n",
    );
    ctx.write(".gitignore", ".venv/\nseen.txt\n");
    ctx.write(
        "hephaestus.toml",
        "[guard-rails]\npresets = []\n\n[[guard-rails.steps]]\nname = \"env probe\"\nrun = [\"sh\", \"-c\", \"projtool\"]\nscope = \"project\"\n",
    );
    ctx.commit_all("base");
    let out = ctx
        .heph()
        .env_remove("VIRTUAL_ENV")
        .args(["guard-rails"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let seen = String::from_utf8(ctx.read("seen.txt")).unwrap();
    let venv = ctx.root.join(".venv");
    assert!(
        seen.contains(&format!("VIRTUAL_ENV={}\n", venv.display())),
        "{seen}"
    );
    assert!(
        seen.contains(&format!("PATH0={}\n", venv.join("bin").display())),
        "{seen}"
    );
}

#[test]
fn preset_steps_are_turned_off_by_name_and_unknown_names_are_refused() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        "[guard-rails]\npresets = [\"python\"]\ndisable = [\"mypy\", \"pip-audit\"]\n",
    );
    ctx.commit_all("base");
    ctx.run(["hook", "install"]);
    let out = ctx.run(["hook", "list"]);
    assert!(out.status.success(), "{}", show(&out));
    let listed = stdout(&out);
    assert!(listed.contains("ruff check"), "{listed}");
    assert!(!listed.contains("mypy"), "{listed}");
    assert!(!listed.contains("pip-audit"), "{listed}");

    ctx.write(
        "hephaestus.toml",
        "[guard-rails]\npresets = [\"python\"]\ndisable = [\"mipy\"]\n",
    );
    let out = ctx.run(["hook", "list"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains("guard-rails.disable[0]"), "{err}");
    assert!(err.contains("mypy"), "the hint lists the steps: {err}");
}

/// `hook list` (both hooks installed): its pre-commit part, its pre-push
/// part, and the whole text for messages.
fn listed_by_hook(ctx: &TestContext) -> (String, String, String) {
    let out = ctx.run(["hook", "list"]);
    assert!(out.status.success(), "{}", show(&out));
    let listed = stdout(&out);
    let Some((pre_commit, pre_push)) = listed.split_once("\npre-push\n") else {
        panic!("no pre-push section: {listed}");
    };
    (pre_commit.to_string(), pre_push.to_string(), listed)
}

#[test]
fn a_step_replacing_a_preset_step_keeps_its_stages_unless_it_says_otherwise() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        "[guard-rails]\npresets = [\"python\"]\n\n[[guard-rails.steps]]\nname = \"pytest\"\nrun = [\"python3\", \"-m\", \"unittest\"]\n",
    );
    ctx.commit_all("base");
    ctx.run(["hook", "install"]);
    let (pre_commit, _, listed) = listed_by_hook(&ctx);
    assert!(
        !pre_commit.contains("pytest"),
        "the replacement stays on pre-push only, as the preset's pytest: {listed}"
    );
    assert!(
        listed.contains("pytest: python3 -m unittest  ["),
        "and keeps the preset's project scope (no files passed): {listed}"
    );

    ctx.write(
        "hephaestus.toml",
        "[guard-rails]\npresets = [\"python\"]\n\n[[guard-rails.steps]]\nname = \"pytest\"\nrun = [\"python3\", \"-m\", \"unittest\"]\nstages = [\"pre-commit\"]\nscope = \"files\"\n",
    );
    let (pre_commit, _, listed) = listed_by_hook(&ctx);
    assert!(
        pre_commit.contains("pytest: python3 -m unittest <files>"),
        "{listed}"
    );
}

/// A user formatter with a check-only form: pre-commit runs `run` (and
/// fails naming what it fixed), pre-push runs `check`, so a push edits
/// nothing, neither the pushed files nor the user's unpushed work; a step
/// replacing a preset formatter does not borrow the preset's check form.
#[test]
fn a_step_runs_its_check_form_on_pre_push_and_a_push_edits_nothing() {
    let ctx = TestContext::new();
    ctx.add_bare_origin();
    ctx.write(
        "hephaestus.toml",
        r#"[guard-rails]
presets = []

[[guard-rails.steps]]
name = "fmt"
run = ["sh", "-c", 'for f; do sed "s/bad/good/" "$f" > "$f.new" && mv "$f.new" "$f"; done', "fmt"]
check = ["sh", "-c", '! grep -l bad "$@"', "check"]
fix = true
files = ["*.txt"]
"#,
    );
    ctx.write("a.txt", "fine\n");
    ctx.commit_all("base");
    ctx.git(["push", "-q", "origin", "main"]);
    ctx.run(["hook", "install"]);

    let (pre_commit, pre_push, listed) = listed_by_hook(&ctx);
    assert!(pre_commit.contains("fmt: sh -c 'for f;"), "{listed}");
    assert!(pre_push.contains("fmt: sh -c '! grep"), "{listed}");

    // A pushed commit with a bad file, and unpushed, unstaged bad work.
    ctx.write("b.txt", "bad b\n");
    ctx.git(["add", "b.txt"]);
    ctx.git(["commit", "-q", "--no-verify", "-m", "two"]);
    ctx.write("a.txt", "bad, not pushed\n");
    let out = ctx
        .git_cmd()
        .args(["push", "-q", "origin", "main"])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "the check fails the push: {}",
        show(&out)
    );
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("fmt") && text.contains("b.txt"), "{text}");
    assert_eq!(
        ctx.read("b.txt"),
        b"bad b\n",
        "the pushed file is not edited"
    );
    assert_eq!(
        ctx.read("a.txt"),
        b"bad, not pushed\n",
        "work outside the push is not edited"
    );

    // In pre-commit the step is the fixer `run` says.
    ctx.git(["add", "a.txt"]);
    let out = ctx.run(["hook", "run", "pre-commit"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stdout(&out).contains("a.txt"), "{}", show(&out));
    assert_eq!(ctx.read("a.txt"), b"good, not pushed\n");

    // A step replacing a preset formatter: its own `run` on pre-push
    // unless it gives a `check`.
    ctx.write(
        "hephaestus.toml",
        "[guard-rails]\npresets = [\"rust\"]\n\n[[guard-rails.steps]]\nname = \"cargo fmt\"\nrun = [\"cargo\", \"fmt\", \"--\", \"--edition\", \"2024\"]\n",
    );
    let (_, pre_push, listed) = listed_by_hook(&ctx);
    assert!(
        pre_push.contains("cargo fmt: cargo fmt -- --edition 2024")
            && !pre_push.contains("--check"),
        "{listed}"
    );
    ctx.write(
        "hephaestus.toml",
        "[guard-rails]\npresets = [\"rust\"]\n\n[[guard-rails.steps]]\nname = \"cargo fmt\"\nrun = [\"cargo\", \"fmt\", \"--\", \"--edition\", \"2024\"]\ncheck = \"cargo fmt -- --edition 2024 --check\"\n",
    );
    let (pre_commit, pre_push, listed) = listed_by_hook(&ctx);
    assert!(
        pre_push.contains("cargo fmt: cargo fmt -- --edition 2024 --check"),
        "{listed}"
    );
    assert!(!pre_commit.contains("--check"), "{listed}");
}

#[test]
fn every_failure_is_named_long_output_is_capped_and_unknown_skips_are_warned() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        "[guard-rails]\npresets = []\n\n[[guard-rails.steps]]\nname = \"noisy\"\nrun = [\"sh\", \"-c\", \"seq 1 500; exit 3\"]\nscope = \"project\"\n\n[[guard-rails.steps]]\nname = \"fine\"\nrun = [\"true\"]\nscope = \"project\"\n\n[[guard-rails.steps]]\nname = \"broken\"\nrun = [\"sh\", \"-c\", \"exit 5\"]\nscope = \"project\"\n",
    );
    ctx.commit_all("base");
    let out = ctx.run(["guard-rails", "--skip", "fin"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "failed at step 2/4: noisy (exit 3); 2 of 4 steps failed, also: broken (exit 5)"
        ),
        "{err}"
    );
    assert!(err.contains("\"fin\""), "the unknown skip is named: {err}");
    assert!(err.contains("did you mean `fine`?"), "{err}");
    let text = stdout(&out);
    assert!(text.contains("    60\n"), "{text}");
    assert!(!text.contains("    61\n"), "capped: {text}");
    assert!(text.contains("440 more line(s) not shown"), "{text}");
    // -v and JSON keep it all.
    let out = ctx.run(["guard-rails", "-v"]);
    assert!(stdout(&out).contains("    500\n"), "{}", show(&out));
    let out = ctx.run(["guard-rails", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc.to_string().contains("500\\n"), "{doc}");
}

/// A venv with one tool, `faketool` 1.2.3, known from its metadata.
fn fake_venv_with_tool(ctx: &TestContext) {
    ctx.write(".venv/pyvenv.cfg", "home = /usr/bin\nversion = 3.12.0\n");
    ctx.write(
        ".venv/lib/python3.12/site-packages/faketool-1.2.3.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: faketool\nVersion: 1.2.3\n",
    );
    executable(ctx, ".venv/bin/faketool", "#!/bin/sh\nexit 0\n");
    ctx.write(".gitignore", ".venv/\n");
}

#[test]
fn list_show_verbose_and_json_name_the_command_program_and_version() {
    let ctx = TestContext::new();
    fake_venv_with_tool(&ctx);
    ctx.write(
        "hephaestus.toml",
        "[guard-rails]\npresets = []\n\n[[guard-rails.steps]]\nname = \"fake\"\nrun = [\"faketool\", \"--strict\"]\nfiles = [\"*.py\"]\n",
    );
    ctx.write("a.py", "x = 1\n");
    ctx.commit_all("base");
    ctx.run(["hook", "install"]);
    let venv_tool = ctx.root.join(".venv/bin/faketool");
    let expected = format!(
        "fake: faketool --strict <files>  [{} from .venv/bin, faketool 1.2.3]",
        venv_tool.display()
    );

    let out = ctx.run(["hook", "list"]);
    assert!(
        stdout(&out).contains(&format!("  - {expected}")),
        "{}",
        show(&out)
    );

    let out = ctx.run(["config", "show", "--resolved"]);
    let text = stdout(&out);
    assert!(text.contains("name = \"fake\""), "{text}");
    assert!(
        text.contains("command = \"faketool --strict <files>\""),
        "{text}"
    );
    assert!(text.contains("version = \"faketool 1.2.3\""), "{text}");
    let out = ctx.run(["config", "show"]);
    assert!(
        !stdout(&out).contains("[[pipeline]]"),
        "only with --resolved: {}",
        show(&out)
    );

    ctx.write("a.py", "x = 2\n");
    ctx.git(["add", "a.py"]);
    let out = ctx.run(["hook", "run", "pre-commit", "-v"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        stderr(&out).contains(&format!(
            "  ran: faketool --strict <files>  [{} from .venv/bin, faketool 1.2.3]",
            venv_tool.display()
        )),
        "{}",
        show(&out)
    );
    let out = ctx.run(["hook", "run", "pre-commit", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let fake = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "fake")
        .unwrap();
    assert_eq!(
        fake["command"]["command"], "faketool --strict <files>",
        "{doc}"
    );
    assert_eq!(fake["command"]["found_in"], ".venv/bin", "{doc}");
    assert_eq!(fake["command"]["version"], "faketool 1.2.3", "{doc}");
    assert_eq!(
        fake["command"]["program"].as_str(),
        venv_tool.to_str(),
        "{doc}"
    );
}

#[test]
fn run_steps_get_only_the_files_their_regexes_and_types_select() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        "[guard-rails]\npresets = []\nexclude_regex = '^vendor/'\n\n[[guard-rails.steps]]\nname = \"py\"\nrun = [\"sh\", \"-c\", \"printf '%s\\\\n' \\\"$@\\\" >> ../py.txt\", \"py\"]\ntypes = [\"python\"]\n\n[[guard-rails.steps]]\nname = \"docs\"\nrun = [\"sh\", \"-c\", \"printf '%s\\\\n' \\\"$@\\\" >> ../docs.txt\", \"docs\"]\nfiles_regex = '\\.(md|rst)$'\n\n[[guard-rails.steps]]\nname = \"always\"\nrun = [\"sh\", \"-c\", \"echo ran >> ../always.txt\"]\nfiles_regex = '^nothing-matches$'\nalways_run = true\npass_files = false\n",
    );
    ctx.write("a.py", "x = 1\n");
    executable(&ctx, "tool", "#!/usr/bin/env python3\nprint(1)\n");
    ctx.write("README.md", "# r\n");
    ctx.write("notes.txt", "n\n");
    ctx.write("vendor/b.py", "y = 2\n");
    ctx.commit_all("base");
    let out = ctx.run(["hook", "run", "pre-commit", "--all-files"]);
    assert!(out.status.success(), "{}", show(&out));
    let read = |f: &str| std::fs::read_to_string(ctx.base.join(f)).unwrap_or_default();
    let mut py: Vec<String> = read("py.txt").lines().map(String::from).collect();
    py.sort();
    assert_eq!(
        py,
        ["a.py", "tool"],
        "python by extension and by shebang; vendor/ excluded"
    );
    assert_eq!(read("docs.txt"), "README.md\n");
    assert_eq!(
        read("always.txt"),
        "ran\n",
        "always_run runs with no file for it"
    );
}

#[test]
fn init_offers_the_built_in_checks_and_they_load_when_uncommented() {
    let ctx = TestContext::new();
    let out = ctx.run(["init"]);
    assert!(out.status.success(), "{}", show(&out));
    let text = String::from_utf8(ctx.read("hephaestus.toml")).unwrap();
    // Uncomment the built-in block, as a user would.
    let start = text
        .find("# [[guard-rails.steps]]\n# builtin")
        .expect(&text);
    let end = text[start..].find("\n\n").map(|e| start + e).unwrap();
    let block: String = text[start..end]
        .lines()
        .map(|l| l.strip_prefix("# ").unwrap_or(l.trim_start_matches('#')))
        .collect::<Vec<_>>()
        .join("\n");
    ctx.write(
        "hephaestus.toml",
        format!("{}{block}{}", &text[..start], &text[end..]),
    );
    let out = ctx.run(["config", "show", "--resolved", "--format", "json"]);
    assert!(out.status.success(), "{}", show(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = doc["pipeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for id in [
        "trailing-whitespace",
        "end-of-file-fixer",
        "check-yaml",
        "check-merge-conflict",
        "check-added-large-files",
    ] {
        assert!(names.contains(&id), "{id} in {names:?}");
    }
}

#[test]
fn built_in_steps_run_in_process_and_their_fixes_go_through_the_keeper() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        "[guard-rails]\npresets = []\n\n[[guard-rails.steps]]\nbuiltin = \"trailing-whitespace\"\n\n[[guard-rails.steps]]\nbuiltin = \"check-yaml\"\n",
    );
    ctx.write("a.txt", "clean\nmiddle\nend\n");
    ctx.write("c.yaml", "k: v\n");
    ctx.commit_all("base");
    ctx.run(["hook", "install"]);
    // Staged: trailing spaces; unstaged on top: a later line.
    ctx.write("a.txt", "clean  \nmiddle\nend\n");
    ctx.git(["add", "a.txt"]);
    ctx.write("a.txt", "clean  \nmiddle\nend\nmore work\n");
    ctx.write("c.yaml", "k: [unclosed\n");
    ctx.git(["add", "c.yaml"]);
    let out = ctx.run(["hook", "run", "pre-commit", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let step = |n: &str| {
        doc["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == n)
            .unwrap_or_else(|| panic!("{n}: {doc}"))
            .clone()
    };
    let tw = step("trailing-whitespace");
    assert_eq!(tw["status"], "failed", "{doc}");
    assert_eq!(tw["modified_files"], serde_json::json!(["a.txt"]), "{doc}");
    assert!(tw["command"].is_null(), "in process, no command: {doc}");
    let yaml = step("check-yaml");
    assert_eq!(yaml["status"], "failed", "{doc}");
    assert!(yaml["output"].as_str().unwrap().contains("c.yaml"), "{doc}");
    // The fix merged with the unstaged line; the index still has what was staged.
    assert_eq!(ctx.read("a.txt"), b"clean\nmiddle\nend\nmore work\n");
    assert_eq!(ctx.git(["show", ":a.txt"]), b"clean  \nmiddle\nend\n");
}
