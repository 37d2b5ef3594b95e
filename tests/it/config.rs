//! Configuration: discovery, `init`, `config show`, and the errors a user
//! sees for a bad file (snapshot-tested with paths filtered).

use std::ffi::OsStr;

use crate::common::{TestContext, show, stderr, stdout};

fn config_error(ctx: &TestContext) -> String {
    let out = ctx.run(["config", "show"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    stderr(&out)
}

/// Snapshot the error `config show` prints, paths filtered.
macro_rules! snapshot_config_error {
    ($ctx:expr) => {
        crate::common::snapshot_settings(&$ctx)
            .bind(|| insta::assert_snapshot!(config_error(&$ctx)))
    };
}

#[test]
fn unknown_key_names_file_line_key_and_suggests() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        "[guard-rails]\npresets = []\n\n[[guard-rails.steps]]\nname = \"lint\"\nrun = [\"true\"]\npass_file = false\n",
    );
    snapshot_config_error!(ctx);
}

#[test]
fn wrong_type_is_reported_with_its_key() {
    let ctx = TestContext::new();
    ctx.write("hephaestus.toml", "[guard-rails]\nfail_fast = \"yes\"\n");
    snapshot_config_error!(ctx);
}

#[test]
fn bad_glob_is_reported_with_its_line() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        "[[guard-rails.steps]]\nname = \"x\"\nrun = \"true\"\nfiles = [\"src/[a\"]\n",
    );
    snapshot_config_error!(ctx);
}

#[test]
fn unknown_hook_type_suggests_the_right_one() {
    let ctx = TestContext::new();
    ctx.write("hephaestus.toml", "[hooks]\ninstall = [\"pre-comit\"]\n");
    snapshot_config_error!(ctx);
}

#[test]
fn unknown_section_in_pyproject_names_the_tool_table() {
    let ctx = TestContext::new();
    ctx.write(
        "pyproject.toml",
        "[project]\nname = \"x\"\n\n[tool.hephaestus.clenaup]\nhook = \"fail\"\n",
    );
    snapshot_config_error!(ctx);
}

#[test]
fn both_files_is_an_error_naming_both() {
    let ctx = TestContext::new();
    ctx.write("hephaestus.toml", "");
    ctx.write("pyproject.toml", "[tool.hephaestus]\n");
    snapshot_config_error!(ctx);
}

#[test]
fn duplicate_step_names_are_rejected() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        "[[guard-rails.steps]]\nname = \"a\"\nrun = \"true\"\n[[guard-rails.steps]]\nname = \"a\"\nrun = \"false\"\n",
    );
    snapshot_config_error!(ctx);
}

#[test]
fn no_config_is_valid_and_presets_are_detected() {
    let ctx = TestContext::new();
    ctx.write("Cargo.toml", "[package]\nname = \"x\"\n");
    let out = ctx.run(["config", "show", "--format", "json"]);
    assert!(out.status.success(), "{}", show(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["source"]["kind"], "defaults");
    assert_eq!(
        doc["config"]["guard-rails"]["presets"],
        serde_json::json!(["rust"])
    );
}

#[test]
fn pyproject_tool_table_is_read() {
    let ctx = TestContext::new();
    ctx.write(
        "pyproject.toml",
        "[project]\nname = \"x\"\n[tool.hephaestus.cleanup]\nhook = \"unstage\"\n",
    );
    let out = ctx.run(["config", "show", "--format", "json"]);
    assert!(out.status.success(), "{}", show(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["source"]["kind"], "pyproject");
    assert_eq!(doc["config"]["cleanup"]["hook"], "unstage");
    assert_eq!(
        doc["config"]["guard-rails"]["presets"],
        serde_json::json!(["python"])
    );
}

#[test]
fn config_flag_and_env_pick_the_file() {
    let ctx = TestContext::new();
    ctx.write("alt.toml", "[cleanup]\nhook = \"unstage\"\n");
    ctx.write("hephaestus.toml", "[cleanup]\nhook = \"fail\"\n");
    let out = ctx.run(["--config", "alt.toml", "config", "show", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["config"]["cleanup"]["hook"],
        "unstage",
        "{}",
        show(&out)
    );
    let out = ctx
        .heph()
        .env("HEPHAESTUS_CONFIG", "alt.toml")
        .args(["config", "show", "--format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["config"]["cleanup"]["hook"], "unstage");
    // the flag beats the environment
    let out = ctx
        .heph()
        .env("HEPHAESTUS_CONFIG", "alt.toml")
        .args([
            "--config",
            "hephaestus.toml",
            "config",
            "show",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["config"]["cleanup"]["hook"], "fail");
}

#[test]
fn init_writes_a_loadable_starter_and_refuses_to_overwrite() {
    let ctx = TestContext::new();
    ctx.write("pyproject.toml", "[project]\nname = \"x\"\n");
    ctx.write("Cargo.toml", "[package]\nname = \"x\"\n");
    let out = ctx.run(["init"]);
    assert!(out.status.success(), "{}", show(&out));
    let text = String::from_utf8(ctx.read("hephaestus.toml")).unwrap();
    assert!(text.contains("presets = [\"python\", \"rust\"]"), "{text}");
    let shown = ctx.run(["config", "show"]);
    assert!(shown.status.success(), "{}", show(&shown));
    assert!(
        stdout(&shown).contains("presets = [\n    \"python\",\n    \"rust\",\n]")
            || stdout(&shown).contains("\"python\"")
    );

    ctx.write("hephaestus.toml", "# mine\n");
    let out = ctx.run(["init"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(stderr(&out).contains("--force"));
    assert_eq!(ctx.read("hephaestus.toml"), b"# mine\n", "not overwritten");
    let out = ctx.run(["init", "--force"]);
    assert!(out.status.success());
    assert_ne!(ctx.read("hephaestus.toml"), b"# mine\n");
}

#[test]
fn init_refuses_next_to_tool_hephaestus() {
    let ctx = TestContext::new();
    ctx.write("pyproject.toml", "[tool.hephaestus]\n");
    let out = ctx.run(["init"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(!ctx.root.join("hephaestus.toml").exists());
}

#[test]
fn init_refuses_a_bare_repository_and_writes_nothing() {
    let ctx = TestContext::new();
    let bare = ctx.base.join("bare.git");
    ctx.git([
        OsStr::new("init"),
        OsStr::new("-q"),
        OsStr::new("--bare"),
        bare.as_os_str(),
    ]);
    let before = listing(&bare);
    let out = ctx.heph().current_dir(&bare).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        stderr(&out).contains("is a bare repository"),
        "{}",
        show(&out)
    );
    assert!(stderr(&out).contains("hint:"), "{}", show(&out));
    assert!(!bare.join("hephaestus.toml").exists());
    assert_eq!(listing(&bare), before, "nothing written into the git dir");
    // The same from a directory inside the bare repository.
    let out = ctx
        .heph()
        .current_dir(bare.join("refs"))
        .arg("init")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(!bare.join("refs/hephaestus.toml").exists());
}

/// Every path under `dir`, sorted.
fn listing(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path.clone());
            }
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The step keys of issue 16: each bad value is exit 2 naming the file,
/// the step and what is wrong.
#[test]
fn builtin_and_selection_keys_are_checked_when_read() {
    let ctx = TestContext::new();
    for (step, expected) in [
        ("builtin = \"check-yaml\"\nargs = [\"--nope\"]", "--nope"),
        ("builtin = \"check-yml\"", "did you mean \"check-yaml\""),
        ("builtin = \"check-yaml\"\nrun = \"true\"", "not both"),
        (
            "builtin = \"check-yaml\"\ncheck = \"true\"",
            "`check` goes with `run`",
        ),
        ("name = \"x\"", "needs `run`"),
        (
            "name = \"x\"\nrun = \"true\"\nargs = [\"-v\"]",
            "`args` goes with `builtin`",
        ),
        (
            "name = \"x\"\nrun = \"true\"\nfiles_regex = \"^(?!vendor/)\"",
            "negative lookahead",
        ),
        (
            "name = \"x\"\nrun = \"true\"\ntypes = [\"pyhton\"]",
            "did you mean \"python\"",
        ),
    ] {
        ctx.write(
            "hephaestus.toml",
            format!("[[guard-rails.steps]]\n{step}\n"),
        );
        let err = config_error(&ctx);
        assert!(
            err.contains(&format!("{}:", ctx.root.join("hephaestus.toml").display())),
            "{err}"
        );
        assert!(err.contains("guard-rails.steps[0]"), "{err}");
        assert!(err.contains(expected), "{step}: {err}");
    }
}

#[test]
fn a_builtin_step_loads_with_the_checks_defaults_and_shows_as_written() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        "[guard-rails]\npresets = []\nexclude_regex = '^vendor/'\n\n[[guard-rails.steps]]\nbuiltin = \"trailing-whitespace\"\nargs = [\"--markdown-linebreak-ext=md\"]\n",
    );
    let out = ctx.run(["config", "show", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let g = &json["config"]["guard-rails"];
    assert_eq!(g["exclude_regex"], "^vendor/");
    let step = &g["steps"][0];
    assert_eq!(step["name"], "trailing-whitespace");
    assert_eq!(step["builtin"], "trailing-whitespace");
    assert_eq!(step["args"][0], "--markdown-linebreak-ext=md");
    assert_eq!(step["types"][0], "text");
    assert_eq!(step["fix"], true);
    assert!(step.get("run").is_none(), "{step}");
}

/// Until the engine runs built-ins in process, a built-in step runs as
/// `hephaestus builtin`: the fixer really fixes, and the hook fails.
#[test]
fn a_builtin_step_runs_in_a_hook() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        "[guard-rails]\npresets = []\n\n[[guard-rails.steps]]\nbuiltin = \"end-of-file-fixer\"\n",
    );
    ctx.write("a.txt", "no newline");
    // A name like an option stays a file name.
    ctx.write("-n.txt", "dash");
    ctx.git(["add", "--", "a.txt", "-n.txt", "hephaestus.toml"]);
    let out = ctx.run(["hook", "run", "pre-commit"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(ctx.read("-n.txt"), b"dash\n");
    assert!(
        stderr(&out).contains("end-of-file-fixer") || stdout(&out).contains("end-of-file-fixer"),
        "{}",
        show(&out)
    );
    assert_eq!(ctx.read("a.txt"), b"no newline\n");
}

/// A built-in step gets only the files of its check's types and its
/// regexes (the `[guard-rails]` ones included), as pre-commit gives them.
#[test]
fn a_builtin_step_gets_only_its_files() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        "[guard-rails]\npresets = []\nexclude_regex = '^vendor/'\n\n[[guard-rails.steps]]\nbuiltin = \"check-yaml\"\nexclude_regex = 'skip\\.yaml$'\n",
    );
    // Not YAML at all, but not a YAML file either: never given to the check.
    ctx.write("a.py", "x: [\n");
    ctx.write("vendor/bad.yaml", "x: [\n");
    ctx.write("skip.yaml", "x: [\n");
    ctx.write("ok.yml", "x: 1\n");
    ctx.git(["add", "."]);
    let out = ctx.run(["hook", "run", "pre-commit"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    ctx.write("bad.yaml", "x: [\n");
    ctx.git(["add", "bad.yaml"]);
    let out = ctx.run(["hook", "run", "pre-commit"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("bad.yaml"), "{text}");
    assert!(
        !text.contains("a.py") && !text.contains("skip.yaml") && !text.contains("vendor/"),
        "{text}"
    );
}
