//! Differential test of the built-in hygiene checks against the reference
//! (`pre-commit-hooks` from PyPI, see tests/it/hygiene_bench.rs): each case
//! runs both on their own copy of the same git repository
//! (tests/it/hygiene_corpus.rs) and compares, for every check and option
//! variant, the exit code, the bytes of every file afterwards, and the
//! output where docs/builtins.md promises it.

use std::process::Command;

use crate::common::TestContext;
use crate::hygiene_bench::{Bench, Case, Compare, case, regular_files, under};
use crate::hygiene_corpus;

#[test]
fn fixers_leave_the_same_bytes_as_the_reference() {
    let bench = Bench::new(hygiene_corpus::build);
    let files = regular_files(&bench.pristine);
    let fixer = |id, module, args: &[&str]| Case {
        fixer: true,
        ..case(id, module, args, files.clone(), Compare::Exact)
    };
    bench.run_all(&[
        fixer("trailing-whitespace", "trailing_whitespace_fixer", &[]),
        fixer(
            "trailing-whitespace",
            "trailing_whitespace_fixer",
            &["--markdown-linebreak-ext=md,MARKDOWN"],
        ),
        fixer(
            "trailing-whitespace",
            "trailing_whitespace_fixer",
            &["--markdown-linebreak-ext", "*"],
        ),
        fixer(
            "trailing-whitespace",
            "trailing_whitespace_fixer",
            &["--chars", " x"],
        ),
        fixer(
            "trailing-whitespace",
            "trailing_whitespace_fixer",
            &["--chars="],
        ),
        fixer(
            "trailing-whitespace",
            "trailing_whitespace_fixer",
            &["--no-markdown-linebreak-ext"],
        ),
        fixer("end-of-file-fixer", "end_of_file_fixer", &[]),
        fixer("mixed-line-ending", "mixed_line_ending", &[]),
        fixer("mixed-line-ending", "mixed_line_ending", &["--fix=lf"]),
        fixer("mixed-line-ending", "mixed_line_ending", &["--fix", "crlf"]),
        fixer("mixed-line-ending", "mixed_line_ending", &["-f", "cr"]),
        fixer("mixed-line-ending", "mixed_line_ending", &["--fix=no"]),
        fixer("fix-byte-order-marker", "fix_byte_order_marker", &[]),
    ]);
}

#[test]
fn syntax_checks_accept_and_reject_what_the_reference_does() {
    let bench = Bench::new(hygiene_corpus::build);
    let root = &bench.pristine;
    let yaml = under(root, &["data/yaml/", "data/json/"]);
    let mut cases = Vec::new();
    for args in [
        &[][..],
        &["--allow-multiple-documents"],
        &["-m"],
        &["--unsafe"],
        &["--unsafe", "--multi"],
    ] {
        cases.push(case(
            "check-yaml",
            "check_yaml",
            args,
            yaml.clone(),
            Compare::ExitAndBytes,
        ));
    }
    cases.push(case(
        "check-json",
        "check_json",
        &[],
        under(root, &["data/json/"]),
        Compare::Exact,
    ));
    cases.push(case(
        "check-toml",
        "check_toml",
        &[],
        under(root, &["data/toml/"]),
        Compare::ExitAndBytes,
    ));
    cases.push(case(
        "check-xml",
        "check_xml",
        &[],
        under(root, &["data/xml/"]),
        Compare::ExitAndBytes,
    ));
    bench.run_all(&cases);
    // Exit codes per file too: a run over many files fails as soon as one
    // file does, which would hide a file judged differently.
    let mut problems = Vec::new();
    for (id, module, dir, args) in [
        ("check-yaml", "check_yaml", "data/yaml/", &[][..]),
        ("check-yaml", "check_yaml", "data/yaml/", &["--unsafe"][..]),
        ("check-yaml", "check_yaml", "data/yaml/", &["-m"][..]),
        ("check-json", "check_json", "data/json/", &[][..]),
        ("check-toml", "check_toml", "data/toml/", &[][..]),
        ("check-xml", "check_xml", "data/xml/", &[][..]),
    ] {
        problems.extend(bench.per_file_codes(&case(
            id,
            module,
            args,
            under(root, &[dir]),
            Compare::ExitAndBytes,
        )));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn content_checks_agree_with_the_reference() {
    let bench = Bench::new(hygiene_corpus::build);
    let root = &bench.pristine;
    let files = regular_files(root);
    let everything = hygiene_corpus::all_paths(root);
    bench.run_all(&[
        case(
            "check-merge-conflict",
            "check_merge_conflict",
            &[],
            files.clone(),
            Compare::Exact,
        ),
        case(
            "check-merge-conflict",
            "check_merge_conflict",
            &["--assume-in-merge"],
            files.clone(),
            Compare::Exact,
        ),
        case(
            "detect-private-key",
            "detect_private_key",
            &[],
            files.clone(),
            Compare::Exact,
        ),
        case(
            "check-symlinks",
            "check_symlinks",
            &[],
            everything.clone(),
            Compare::Exact,
        ),
        case(
            "destroyed-symlinks",
            "destroyed_symlinks",
            &[],
            everything.clone(),
            Compare::Exact,
        ),
        case(
            "destroyed-symlinks",
            "destroyed_symlinks",
            &[],
            vec!["links".to_string()],
            Compare::Exact,
        ),
        case(
            "destroyed-symlinks",
            "destroyed_symlinks",
            &[],
            vec!["text/clean.txt".to_string()],
            Compare::Exact,
        ),
    ]);
}

#[test]
fn git_state_checks_agree_with_the_reference() {
    let bench = Bench::new(hygiene_corpus::build);
    let root = &bench.pristine;
    let everything = hygiene_corpus::all_paths(root);
    let mut with_sub = everything.clone();
    with_sub.push("vendor/sub".to_string());
    let scripts = under(root, &["scripts/", "text/clean.txt", "text/no-eol.txt"]);
    bench.run_all(&[
        case(
            "check-added-large-files",
            "check_added_large_files",
            &[],
            everything.clone(),
            Compare::StdoutLines,
        ),
        case(
            "check-added-large-files",
            "check_added_large_files",
            &["--maxkb=1"],
            everything.clone(),
            Compare::StdoutLines,
        ),
        case(
            "check-added-large-files",
            "check_added_large_files",
            &["--maxkb", "1000"],
            everything.clone(),
            Compare::StdoutLines,
        ),
        case(
            "check-added-large-files",
            "check_added_large_files",
            &["--enforce-all", "--maxkb=100"],
            everything.clone(),
            Compare::StdoutLines,
        ),
        case(
            "check-case-conflict",
            "check_case_conflict",
            &[],
            everything.clone(),
            Compare::Exact,
        ),
        case(
            "check-case-conflict",
            "check_case_conflict",
            &[],
            vec!["text/clean.txt".to_string()],
            Compare::Exact,
        ),
        case(
            "check-executables-have-shebangs",
            "check_executables_have_shebangs",
            &[],
            scripts.clone(),
            Compare::Exact,
        ),
        case(
            "check-shebang-scripts-are-executable",
            "check_shebang_scripts_are_executable",
            &[],
            scripts.clone(),
            Compare::Exact,
        ),
        case(
            "check-shebang-scripts-are-executable",
            "check_shebang_scripts_are_executable",
            &[],
            vec!["scripts".to_string()],
            Compare::Exact,
        ),
        case(
            "forbid-new-submodules",
            "forbid_new_submodules",
            &[],
            with_sub.clone(),
            Compare::Exact,
        ),
        case(
            "forbid-new-submodules",
            "forbid_new_submodules",
            &[],
            everything.clone(),
            Compare::Exact,
        ),
        case(
            "forbid-new-submodules",
            "forbid_new_submodules",
            &[],
            vec![],
            Compare::Exact,
        ),
    ]);
}

fn branch_cases() -> Vec<Case> {
    let c = |args: &[&str]| {
        case(
            "no-commit-to-branch",
            "no_commit_to_branch",
            args,
            vec![],
            Compare::Stdout,
        )
    };
    vec![
        c(&[]),
        c(&["--branch", "release"]),
        c(&["-b", "release", "-b", "main"]),
        c(&["--pattern", "ma"]),
        c(&["-p", "^rel.*", "-p", "x"]),
        c(&["-p", "feat"]),
        c(&["-p", "feature/.*", "--branch=main"]),
        c(&["-p", "x$"]),
    ]
}

#[test]
fn no_commit_to_branch_on_main_a_feature_branch_and_a_detached_head() {
    for setup in ["main", "feature/x", "detached", "unborn-master"] {
        let bench = Bench::new(|ctx| match setup {
            "unborn-master" => {
                ctx.git(["checkout", "-q", "-b", "master"]);
            }
            _ => {
                ctx.write("a.txt", "a\n");
                ctx.commit_all("one");
                match setup {
                    "feature/x" => {
                        ctx.git(["checkout", "-q", "-b", "feature/x"]);
                    }
                    "detached" => {
                        ctx.git(["checkout", "-q", "--detach"]);
                    }
                    _ => {}
                }
            }
        });
        bench.run_all(&branch_cases());
    }
}

#[test]
fn executables_when_git_ignores_the_file_mode() {
    let bench = Bench::new(|ctx| {
        hygiene_corpus::build(ctx);
        ctx.git(["config", "core.fileMode", "false"]);
    });
    let scripts = under(&bench.pristine, &["scripts/", "text/clean.txt"]);
    bench.run_all(&[
        case(
            "check-executables-have-shebangs",
            "check_executables_have_shebangs",
            &[],
            scripts.clone(),
            Compare::Exact,
        ),
        case(
            "check-executables-have-shebangs",
            "check_executables_have_shebangs",
            &[],
            vec!["scripts".into()],
            Compare::Exact,
        ),
        case(
            "check-shebang-scripts-are-executable",
            "check_shebang_scripts_are_executable",
            &[],
            scripts,
            Compare::Exact,
        ),
    ]);
}

#[test]
fn forbid_new_submodules_over_a_ref_range() {
    let bench = Bench::new(|ctx| {
        hygiene_corpus::build(ctx);
        ctx.git(["commit", "-q", "-m", "adds a submodule"]);
        ctx.write("later.txt", "x\n");
        ctx.commit_all("later");
    });
    let env = |from: &str, to: &str| {
        vec![
            ("PRE_COMMIT_FROM_REF".to_string(), from.to_string()),
            ("PRE_COMMIT_TO_REF".to_string(), to.to_string()),
        ]
    };
    let mut cases = Vec::new();
    for (from, to, files) in [
        (
            "HEAD~2",
            "HEAD",
            vec!["vendor/sub".to_string(), "later.txt".to_string()],
        ),
        ("HEAD~1", "HEAD", vec!["vendor/sub".to_string()]),
        ("HEAD~2", "HEAD~1", vec![]),
    ] {
        cases.push(Case {
            env: env(from, to),
            ..case(
                "forbid-new-submodules",
                "forbid_new_submodules",
                &[],
                files,
                Compare::Exact,
            )
        });
    }
    bench.run_all(&cases);
}

#[test]
fn merge_conflict_markers_during_a_real_merge() {
    let bench = Bench::new(|ctx| {
        ctx.write("f.txt", "base\n");
        ctx.write("g.txt", "base\r\n");
        ctx.commit_all("base");
        ctx.git(["checkout", "-q", "-b", "other"]);
        ctx.write("f.txt", "theirs\n");
        ctx.write("g.txt", "theirs\r\n");
        ctx.commit_all("theirs");
        ctx.git(["checkout", "-q", "main"]);
        ctx.write("f.txt", "ours\n");
        ctx.write("g.txt", "ours\r\n");
        ctx.commit_all("ours");
        let out = ctx
            .git_cmd()
            .args(["merge", "-q", "other"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "the merge was meant to conflict");
    });
    let files = vec!["f.txt".to_string(), "g.txt".to_string()];
    bench.run_all(&[
        case(
            "check-merge-conflict",
            "check_merge_conflict",
            &[],
            files.clone(),
            Compare::Exact,
        ),
        case(
            "check-merge-conflict",
            "check_merge_conflict",
            &["--assume-in-merge"],
            files,
            Compare::Exact,
        ),
    ]);
}

/// The reference hook's pattern (`.pre-commit-hooks.yaml` of 6.0.0); the
/// reference for check-illegal-windows-names is pre-commit matching it
/// with Python's `re.search`.
const WINDOWS_PATTERN: &str = r#"(?i)((^|/)(CON|PRN|AUX|NUL|COM[\d¹²³]|LPT[\d¹²³])(\.|/|$)|[<>:\"\\|?*\x00-\x1F]|/[^/]*[\.\s]/|[^/]*[\.\s]$)"#;

#[test]
fn illegal_windows_names_match_the_reference_pattern() {
    let names = [
        "CON",
        "con.txt",
        "dir/aux.c",
        "COM1",
        "com¹.txt",
        "LPT9/x",
        "lpt0",
        "a:b",
        "a<b",
        "a|b",
        "q?",
        "star*",
        "ok.txt",
        "trailing.",
        "trailing ",
        "dir./x",
        "dir /x",
        "x\ty",
        "normal/path.txt",
        "CONSOLE.txt",
        "NUL",
        "nul.tar.gz",
        "sub/PRN",
        "AUXILIARY",
        "com10",
        "COM٣",
        "ünïcödé.txt",
        "a\\b",
        "ends.with.dot./ok",
    ];
    let ctx = TestContext::new();
    let script = "import re, sys\np = re.compile(sys.argv[1])\nfor n in sys.argv[2:]:\n    print('1' if p.search(n) else '0')\n";
    let out = Command::new("python3")
        .args(["-c", script, WINDOWS_PATTERN])
        .args(names)
        .output()
        .expect("spawn python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: Vec<bool> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l == "1")
        .collect();
    assert_eq!(expected.len(), names.len());
    let mut problems = Vec::new();
    for (name, bad) in names.iter().zip(expected) {
        let run = ctx.run(["builtin", "check-illegal-windows-names", name]);
        let code = run.status.code();
        let want = if bad { Some(1) } else { Some(0) };
        if code != want {
            problems.push(format!(
                "{name:?}: reference says {bad}, hephaestus exited {code:?}"
            ));
        } else if bad
            && String::from_utf8_lossy(&run.stdout)
                != format!("Illegal Windows filenames detected\n\n{name}\n")
        {
            problems.push(format!(
                "{name:?}: output {:?}",
                String::from_utf8_lossy(&run.stdout)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The parser suites of tests/data/hygiene/conformance (JSONTestSuite,
/// toml-test, yaml-test-suite), file by file. JSON and TOML agree
/// everywhere; YAML agrees except for the syntax corners listed in
/// `yaml/KNOWN-DIFFERENCES`, which must be exactly the cases that differ.
#[test]
fn conformance_suites_are_judged_as_the_reference_judges_them() {
    let source = hygiene_corpus::data_dir().join("conformance");
    let bench = Bench::new(|ctx| {
        let out = Command::new("cp")
            .arg("-a")
            .arg(&source)
            .arg(ctx.root.join("conformance"))
            .output()
            .unwrap();
        assert!(out.status.success());
    });
    let root = &bench.pristine;
    let files = |dir: &str, ext: &str| -> Vec<String> {
        hygiene_corpus::all_paths(root)
            .into_iter()
            .filter(|p| p.starts_with(dir) && p.ends_with(ext))
            .collect()
    };
    let mut problems = Vec::new();
    problems.extend(bench.per_file_codes(&case(
        "check-json",
        "check_json",
        &[],
        files("conformance/json/", ".json"),
        Compare::ExitAndBytes,
    )));
    problems.extend(bench.per_file_codes(&case(
        "check-toml",
        "check_toml",
        &[],
        files("conformance/toml/", ".toml"),
        Compare::ExitAndBytes,
    )));
    let known: std::collections::BTreeSet<String> =
        std::fs::read_to_string(source.join("yaml/KNOWN-DIFFERENCES"))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
    let mut seen = std::collections::BTreeSet::new();
    for (label, args) in [
        ("none", &[][..]),
        ("--unsafe", &["--unsafe"][..]),
        ("-m", &["-m"][..]),
    ] {
        let yaml = case(
            "check-yaml",
            "check_yaml",
            args,
            files("conformance/yaml/", ".yaml"),
            Compare::ExitAndBytes,
        );
        for (file, ..) in bench.per_file_mismatches(&yaml) {
            seen.insert(format!(
                "{label} {}",
                file.trim_start_matches("conformance/yaml/")
            ));
        }
    }
    for new in seen.difference(&known) {
        problems.push(format!(
            "check-yaml {new}: judged differently from the reference (not a known difference)"
        ));
    }
    for gone in known.difference(&seen) {
        problems.push(format!(
            "check-yaml {gone}: now agrees with the reference; remove it from KNOWN-DIFFERENCES"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
