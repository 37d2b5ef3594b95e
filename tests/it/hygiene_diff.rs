//! Differential test of the built-in hygiene checks against the reference:
//! the `pre-commit-hooks` package from PyPI (pinned below, installed once
//! into a venv under the target directory), run as its console scripts
//! run (`python -m pre_commit_hooks.<module>`), and `hephaestus builtin`,
//! each on its own copy of the same git repository (tests/it/hygiene_corpus.rs).
//! For every check and option variant: the same exit code, the same bytes
//! in every file afterwards, and the same output where docs/builtins.md
//! promises it.
//!
//! Where the reference crashes on a file (a traceback, exit 1) it stops
//! there; the fixers are then run on one file at a time on a fresh copy so
//! that the bytes of every file can still be compared.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::common::{TestContext, pin_env};
use crate::hygiene_corpus;

/// The reference, pinned: the package and its YAML library.
const REFERENCE: &[&str] = &["pre-commit-hooks==6.0.0", "ruamel.yaml==0.19.1"];

/// A venv with the reference installed; `HEPHAESTUS_HYGIENE_VENV` names a
/// ready one, otherwise one is made once under the target directory.
fn reference_venv() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        if let Some(dir) = std::env::var_os("HEPHAESTUS_HYGIENE_VENV") {
            return PathBuf::from(dir);
        }
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let name = format!(
            "hygiene-venv-{}",
            REFERENCE.join("-").replace(['=', '.'], "_")
        );
        let venv = base.join(&name);
        if venv.join("installed").exists() {
            return venv;
        }
        // Build beside it and rename: parallel test processes never see a
        // half-installed venv.
        let tmp = base.join(format!("{name}.tmp-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&tmp)
            .output()
            .expect("spawn python3");
        assert!(
            made.status.success(),
            "python3 -m venv failed: {}",
            String::from_utf8_lossy(&made.stderr)
        );
        let pip = Command::new(tmp.join("bin/python"))
            .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
            .args(REFERENCE)
            .output()
            .expect("spawn pip");
        assert!(
            pip.status.success(),
            "installing the reference ({}) from PyPI failed:\n{}",
            REFERENCE.join(" "),
            String::from_utf8_lossy(&pip.stderr)
        );
        std::fs::write(tmp.join("installed"), REFERENCE.join("\n")).unwrap();
        if std::fs::rename(&tmp, &venv).is_err() {
            // Another process won the race.
            let _ = std::fs::remove_dir_all(&tmp);
        }
        venv
    })
}

/// What a run left behind: exit code and output.
#[derive(Debug, Clone)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
    fn crashed(&self) -> bool {
        self.stderr.contains("Traceback (most recent call last)")
    }
}

/// A file tree's state: bytes of files, targets of links.
fn snapshot(root: &Path) -> BTreeMap<String, String> {
    hygiene_corpus::all_paths(root)
        .into_iter()
        .map(|rel| {
            let path = root.join(&rel);
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let state = if meta.file_type().is_symlink() {
                format!("link -> {}", std::fs::read_link(&path).unwrap().display())
            } else {
                let bytes = std::fs::read(&path).unwrap();
                format!("{} bytes {:?}", bytes.len(), &bytes[..bytes.len().min(120)])
                    + &format!(" sum {}", bytes.iter().map(|b| *b as u64).sum::<u64>())
            };
            (rel, state)
        })
        .collect()
}

/// How much of the output must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compare {
    /// stdout and stderr byte for byte.
    Exact,
    /// stdout lines as a set (the reference iterates a Python set).
    StdoutLines,
    /// stdout byte for byte (hephaestus adds a reason on stderr).
    Stdout,
    /// Exit code and file bytes only (parser messages differ by design).
    ExitAndBytes,
}

struct Case {
    id: &'static str,
    module: &'static str,
    args: Vec<String>,
    files: Vec<String>,
    env: Vec<(String, String)>,
    compare: Compare,
    fixer: bool,
}

struct Bench {
    ctx: TestContext,
    pristine: PathBuf,
}

impl Bench {
    fn new(setup: impl FnOnce(&TestContext)) -> Bench {
        let ctx = TestContext::new();
        setup(&ctx);
        let pristine = ctx.root.clone();
        Bench { ctx, pristine }
    }

    fn copy(&self, name: &str) -> PathBuf {
        let dest = self.ctx.base.join(name);
        let _ = std::fs::remove_dir_all(&dest);
        let out = Command::new("cp")
            .arg("-a")
            .arg(&self.pristine)
            .arg(&dest)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "cp -a: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        dest
    }

    fn reference(&self, dir: &Path, case: &Case, files: &[String]) -> Run {
        let mut cmd = Command::new(reference_venv().join("bin/python"));
        pin_env(&mut cmd, &self.ctx.home);
        cmd.env("PYTHONUTF8", "1")
            .env_remove("PRE_COMMIT_FROM_REF")
            .env_remove("PRE_COMMIT_TO_REF");
        cmd.envs(case.env.iter().map(|(k, v)| (k, v)));
        cmd.current_dir(dir)
            .arg("-m")
            .arg(format!("pre_commit_hooks.{}", case.module))
            .args(&case.args)
            .args(files);
        Run::from(cmd.output().expect("spawn the reference"))
    }

    fn ours(&self, dir: &Path, case: &Case) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hephaestus"));
        pin_env(&mut cmd, &self.ctx.home);
        cmd.env_remove("PRE_COMMIT_FROM_REF")
            .env_remove("PRE_COMMIT_TO_REF");
        cmd.envs(case.env.iter().map(|(k, v)| (k, v)));
        cmd.current_dir(dir)
            .args(["builtin", case.id])
            .args(&case.args)
            .args(&case.files);
        Run::from(cmd.output().expect("spawn hephaestus"))
    }

    /// Run one case both ways; return what differed. Fixers get fresh
    /// copies; checks share one copy per side (their bytes are compared
    /// after every case all the same).
    fn compare(&self, n: usize, case: &Case) -> Vec<String> {
        let label = format!("{} {}", case.id, case.args.join(" "));
        let (ref_dir, ours_dir) = if case.fixer {
            (
                self.copy(&format!("ref-{n}")),
                self.copy(&format!("ours-{n}")),
            )
        } else {
            let (r, o) = (
                self.ctx.base.join("ref-shared"),
                self.ctx.base.join("ours-shared"),
            );
            if !r.exists() {
                self.copy("ref-shared");
                self.copy("ours-shared");
            }
            (r, o)
        };
        let mut reference = self.reference(&ref_dir, case, &case.files);
        let crashed = reference.crashed();
        if crashed && case.fixer {
            let ref_dir2 = self.copy(&format!("ref-{n}-each"));
            let mut code = 0;
            for file in &case.files {
                let run = self.reference(&ref_dir2, case, std::slice::from_ref(file));
                code = code.max(run.code);
            }
            reference.code = code;
            std::fs::remove_dir_all(&ref_dir).unwrap();
            std::fs::rename(&ref_dir2, &ref_dir).unwrap();
        }
        let ours = self.ours(&ours_dir, case);
        let mut problems = Vec::new();
        if reference.code != ours.code {
            problems.push(format!(
                "{label}: exit {} (reference) vs {} (hephaestus)\n--- reference\n{}{}\n--- hephaestus\n{}{}",
                reference.code, ours.code, reference.stdout, reference.stderr, ours.stdout, ours.stderr
            ));
        }
        let (a, b) = (snapshot(&ref_dir), snapshot(&ours_dir));
        for (path, state) in &a {
            if b.get(path) != Some(state) {
                problems.push(format!(
                    "{label}: {path} differs:\n  reference: {state}\n  hephaestus: {:?}",
                    b.get(path)
                ));
            }
        }
        if !crashed {
            match case.compare {
                Compare::Exact => {
                    if reference.stdout != ours.stdout || reference.stderr != ours.stderr {
                        problems.push(format!(
                            "{label}: output differs\n--- reference\n{}{}\n--- hephaestus\n{}{}",
                            reference.stdout, reference.stderr, ours.stdout, ours.stderr
                        ));
                    }
                }
                Compare::StdoutLines => {
                    let set = |s: &str| {
                        s.lines()
                            .map(str::to_string)
                            .collect::<std::collections::BTreeSet<_>>()
                    };
                    if set(&reference.stdout) != set(&ours.stdout) {
                        problems.push(format!(
                            "{label}: output lines differ\n--- reference\n{}\n--- hephaestus\n{}",
                            reference.stdout, ours.stdout
                        ));
                    }
                }
                Compare::Stdout => {
                    if reference.stdout != ours.stdout {
                        problems.push(format!(
                            "{label}: stdout differs\n--- reference\n{}\n--- hephaestus\n{}",
                            reference.stdout, ours.stdout
                        ));
                    }
                }
                Compare::ExitAndBytes => {}
            }
        }
        if case.fixer {
            let _ = std::fs::remove_dir_all(&ref_dir);
            let _ = std::fs::remove_dir_all(&ours_dir);
        }
        problems
    }

    /// Exit codes file by file, the reference's modules driven from one
    /// Python process (`main([*args, file])` per file, a traceback counted
    /// as exit 1 as the console script would end). Returns the files
    /// judged differently: (file, reference exit, hephaestus exit, output).
    fn per_file_mismatches(&self, case: &Case) -> Vec<(String, i32, i32, String)> {
        const DRIVER: &str = r#"
import contextlib, importlib, io, sys
mod = importlib.import_module('pre_commit_hooks.' + sys.argv[1])
n = int(sys.argv[2])
args, files = sys.argv[3:3 + n], sys.argv[3 + n:]
for f in files:
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            rc = mod.main(args + [f])
    except SystemExit as e:
        rc = e.code
    except Exception:
        rc = 1
    print(int(bool(rc)))
"#;
        let dir = self.ctx.base.join("ref-shared");
        if !dir.exists() {
            self.copy("ref-shared");
            self.copy("ours-shared");
        }
        let mut cmd = Command::new(reference_venv().join("bin/python"));
        pin_env(&mut cmd, &self.ctx.home);
        cmd.env("PYTHONUTF8", "1").current_dir(&dir);
        cmd.args(["-c", DRIVER, case.module, &case.args.len().to_string()]);
        cmd.args(&case.args).args(&case.files);
        let out = cmd.output().expect("spawn the reference");
        assert!(
            out.status.success(),
            "driver failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let codes: Vec<i32> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.parse().unwrap())
            .collect();
        assert_eq!(codes.len(), case.files.len());
        let ours_dir = self.ctx.base.join("ours-shared");
        let jobs: Vec<(&String, i32)> = case.files.iter().zip(codes).collect();
        let next = std::sync::atomic::AtomicUsize::new(0);
        let found = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((file, want)) = jobs.get(i) else {
                            break;
                        };
                        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hephaestus"));
                        pin_env(&mut cmd, &self.ctx.home);
                        cmd.current_dir(&ours_dir)
                            .args(["builtin", case.id])
                            .args(&case.args)
                            .arg(file);
                        let run = Run::from(cmd.output().expect("spawn hephaestus"));
                        if run.code != *want {
                            let output = format!("{}{}", run.stdout, run.stderr);
                            found
                                .lock()
                                .unwrap()
                                .push(((*file).clone(), *want, run.code, output));
                        }
                    }
                });
            }
        });
        let mut found = found.into_inner().unwrap();
        found.sort();
        found
    }

    /// [`Self::per_file_mismatches`] as problem lines.
    fn per_file_codes(&self, case: &Case) -> Vec<String> {
        self.per_file_mismatches(case)
            .into_iter()
            .map(|(file, want, got, output)| {
                format!(
                    "{} {} {file}: exit {want} (reference) vs {got} (hephaestus): {output}",
                    case.id,
                    case.args.join(" ")
                )
            })
            .collect()
    }

    fn run_all(&self, cases: &[Case]) {
        let mut problems = Vec::new();
        for (n, case) in cases.iter().enumerate() {
            problems.extend(self.compare(n, case));
        }
        assert!(
            problems.is_empty(),
            "{} difference(s):\n\n{}",
            problems.len(),
            problems.join("\n\n")
        );
    }
}

fn case(
    id: &'static str,
    module: &'static str,
    args: &[&str],
    files: Vec<String>,
    compare: Compare,
) -> Case {
    Case {
        id,
        module,
        args: args.iter().map(|s| s.to_string()).collect(),
        files,
        env: Vec::new(),
        compare,
        fixer: false,
    }
}

fn regular_files(root: &Path) -> Vec<String> {
    hygiene_corpus::all_paths(root)
        .into_iter()
        .filter(|p| {
            std::fs::symlink_metadata(root.join(p))
                .unwrap()
                .file_type()
                .is_file()
        })
        .collect()
}

fn under(root: &Path, dirs: &[&str]) -> Vec<String> {
    hygiene_corpus::all_paths(root)
        .into_iter()
        .filter(|p| dirs.iter().any(|d| p.starts_with(d)))
        .collect()
}

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
