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
