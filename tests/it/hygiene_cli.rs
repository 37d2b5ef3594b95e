//! `hephaestus builtin` as a command: listing, usage errors that name the
//! flag, per-check help, the documented departures from the reference
//! (never writing through a symbolic link, going on after a file that
//! cannot be read), stable output order under parallelism, and git checks
//! outside a repository.

use crate::common::{TestContext, show, stderr, stdout};

#[test]
fn list_names_every_check() {
    let ctx = TestContext::new();
    let out = ctx.run(["builtin", "--list"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let text = stdout(&out);
    for id in [
        "trailing-whitespace",
        "end-of-file-fixer",
        "mixed-line-ending",
        "fix-byte-order-marker",
        "check-yaml",
        "check-json",
        "check-toml",
        "check-xml",
        "check-merge-conflict",
        "check-added-large-files",
        "check-case-conflict",
        "check-illegal-windows-names",
        "check-symlinks",
        "destroyed-symlinks",
        "check-executables-have-shebangs",
        "check-shebang-scripts-are-executable",
        "detect-private-key",
        "no-commit-to-branch",
        "forbid-new-submodules",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(id)),
            "{id} missing from:\n{text}"
        );
    }
    assert_eq!(text.lines().count(), 20, "{text}");
}

#[test]
fn usage_errors_name_the_check_or_flag_and_exit_2() {
    let ctx = TestContext::new();
    let out = ctx.run(["builtin", "check-yml", "a.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        stderr(&out).contains("did you mean \"check-yaml\""),
        "{}",
        show(&out)
    );

    let out = ctx.run(["builtin", "check-added-large-files", "--maxkb=lots", "a"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        stderr(&out).contains("--maxkb") && stderr(&out).contains("lots"),
        "{}",
        show(&out)
    );
    assert!(stderr(&out).contains("hint:"), "{}", show(&out));

    let out = ctx.run(["builtin", "mixed-line-ending", "--fix=dos", "a"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(stderr(&out).contains("invalid choice"), "{}", show(&out));

    let out = ctx.run(["builtin", "check-json", "--indent", "4"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(stderr(&out).contains("--indent"), "{}", show(&out));

    let out = ctx.run(["builtin", "no-commit-to-branch", "-p", "(?<=x)y"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(stderr(&out).contains("(?<=x)y"), "{}", show(&out));
}

#[test]
fn help_of_a_check_lists_its_options() {
    let ctx = TestContext::new();
    let out = ctx.run(["builtin", "check-yaml", "--help"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        stdout(&out).contains("--allow-multiple-documents") && stdout(&out).contains("--unsafe"),
        "{}",
        show(&out)
    );
}

#[test]
fn fixers_never_write_through_a_symlink() {
    let ctx = TestContext::new();
    ctx.write("real.txt", "trailing   \n");
    std::os::unix::fs::symlink("real.txt", ctx.root.join("link.txt")).unwrap();
    let out = ctx.run(["builtin", "trailing-whitespace", "link.txt"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains("link.txt: is a symbolic link"),
        "{}",
        show(&out)
    );
    assert_eq!(ctx.read("real.txt"), b"trailing   \n");
    // The file itself is fixed as usual.
    let out = ctx.run(["builtin", "trailing-whitespace", "real.txt"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(ctx.read("real.txt"), b"trailing\n");
}

#[test]
fn an_unreadable_file_is_reported_and_the_others_still_checked() {
    let ctx = TestContext::new();
    ctx.write("a.txt", "no newline");
    ctx.write("c.txt", "no newline either");
    let out = ctx.run([
        "builtin",
        "end-of-file-fixer",
        "a.txt",
        "missing.txt",
        "c.txt",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains("missing.txt: cannot read it"),
        "{}",
        show(&out)
    );
    assert_eq!(stdout(&out), "Fixing a.txt\nFixing c.txt\n");
    assert_eq!(ctx.read("c.txt"), b"no newline either\n");
}

#[test]
fn output_follows_the_order_files_were_given() {
    let ctx = TestContext::new();
    let mut names = Vec::new();
    for i in (0..300).rev() {
        let name = format!("f{i:03}.txt");
        ctx.write(&name, "x  \n");
        names.push(name);
    }
    let mut args = vec!["builtin".to_string(), "trailing-whitespace".to_string()];
    args.extend(names.iter().cloned());
    let out = ctx.run(&args);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let expected: String = names.iter().map(|n| format!("Fixing {n}\n")).collect();
    assert_eq!(stdout(&out), expected);
    assert!(names.iter().all(|n| ctx.read(n) == b"x\n"));
}

#[test]
fn file_names_after_a_double_dash_may_start_with_a_dash() {
    let ctx = TestContext::new();
    ctx.write("-odd.txt", "x");
    let out = ctx.run(["builtin", "end-of-file-fixer", "--", "-odd.txt"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(ctx.read("-odd.txt"), b"x\n");
}

#[test]
fn git_checks_outside_a_repository_are_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hephaestus"))
        .current_dir(dir.path())
        .env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap())
        .env_remove("GIT_DIR")
        .args(["builtin", "check-case-conflict", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        stderr(&out).contains("not inside a git repository"),
        "{}",
        show(&out)
    );
    // Content checks need no repository.
    std::fs::write(dir.path().join("a.json"), "{\"a\": 1}").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hephaestus"))
        .current_dir(dir.path())
        .args(["builtin", "check-json", "a.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
}

#[test]
fn a_selection_picks_from_the_files_after_the_separator() {
    let ctx = crate::common::TestContext::new();
    ctx.write("a.yaml", "x: [\n");
    ctx.write("b.txt", "x: [\n");
    ctx.write("c.yaml", "x: 1\n");
    let out = ctx.run([
        "builtin",
        "--types",
        "yaml",
        "check-yaml",
        "--",
        "b.txt",
        "c.yaml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", crate::common::show(&out));
    let out = ctx.run([
        "builtin",
        "--types",
        "yaml",
        "check-yaml",
        "--",
        "a.yaml",
        "b.txt",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", crate::common::show(&out));
    let out = ctx.run([
        "builtin",
        "--exclude-regex",
        "^a",
        "--types",
        "yaml",
        "check-yaml",
        "--",
        "a.yaml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", crate::common::show(&out));
    let out = ctx.run(["builtin", "--types", "yaml", "check-yaml", "a.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{}", crate::common::show(&out));
    let out = ctx.run(["builtin", "--types", "yml", "check-yaml", "--", "a.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{}", crate::common::show(&out));
}

/// The files of the pass test, as committed.
const PASS_FILES: [(&str, &str); 6] = [
    ("a.txt", "x  \ny"),
    ("b.txt", "ok\n\n\n"),
    ("c.yaml", "k: [\n"),
    ("d.yaml", "k: 1   \n"),
    ("conflict.txt", "<<<<<<< HEAD\nours\n=======\n"),
    ("clean.txt", "fine\n"),
];

/// Run four built-in content steps over `PASS_FILES` with `--all-files`,
/// with `between` (a step table, `ID` standing for the check's id, or
/// nothing) after each: its output and the files afterwards.
fn run_content_steps(between: &str) -> (String, Vec<(String, Vec<u8>)>) {
    let ctx = TestContext::new();
    let mut config = String::from("[guard-rails]\npresets = []\ndisable = [\"cleanup\"]\n");
    for (id, args) in [
        ("trailing-whitespace", ""),
        ("end-of-file-fixer", ""),
        ("check-yaml", ""),
        ("check-merge-conflict", "args = [\"--assume-in-merge\"]\n"),
    ] {
        config.push_str(&format!(
            "\n[[guard-rails.steps]]\nname = \"{id}\"\nbuiltin = \"{id}\"\n{args}"
        ));
        config.push_str(&between.replace("ID", id));
    }
    ctx.write("hephaestus.toml", &config);
    for (name, body) in PASS_FILES {
        ctx.write(name, body);
    }
    ctx.git(["add", "."]);
    ctx.git(["commit", "-qm", "files", "--no-verify"]);
    let out = ctx.run(["hook", "run", "pre-commit", "--all-files"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    let files = PASS_FILES
        .iter()
        .map(|(name, _)| (name.to_string(), ctx.read(name)))
        .collect();
    (text, files)
}

/// Consecutive built-in content checks share one read of each file, and
/// each still sees what the fixers before it left and reports and writes
/// in its own step: the same files and the same reports as when a command
/// step between them makes each read the files itself.
#[test]
fn consecutive_content_checks_agree_with_checks_run_apart() {
    let (shared, shared_files) = run_content_steps("");
    let (apart, apart_files) = run_content_steps(
        "\n[[guard-rails.steps]]\nname = \"between-ID\"\nrun = \"true\"\npass_files = false\n",
    );
    let expected: Vec<(String, Vec<u8>)> = [
        ("a.txt", "x\ny\n"),
        ("b.txt", "ok\n"),
        ("c.yaml", "k: [\n"),
        ("d.yaml", "k: 1\n"),
        ("conflict.txt", "<<<<<<< HEAD\nours\n=======\n"),
        ("clean.txt", "fine\n"),
    ]
    .iter()
    .map(|(n, b)| (n.to_string(), b.as_bytes().to_vec()))
    .collect();
    assert_eq!(shared_files, expected, "{shared}");
    assert_eq!(apart_files, expected, "{apart}");
    for line in [
        "Fixing a.txt",
        "Fixing d.yaml",
        "Fixing b.txt",
        "c.yaml",
        "conflict.txt:1: Merge conflict string '<<<<<<<' found",
        "conflict.txt:3: Merge conflict string '=======' found",
    ] {
        assert!(shared.contains(line), "{line} missing from:\n{shared}");
    }
    // Line for line the same, but for the steps in between (and the
    // step count in the summary).
    let strip = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with("between") && !l.starts_with("pre-commit hook failed"))
            .map(|l| {
                // Durations differ from run to run.
                l.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.' || c == 's')
                    .to_string()
            })
            .collect()
    };
    assert_eq!(strip(&shared), strip(&apart));
}
