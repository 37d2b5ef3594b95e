//! The machinery of the hygiene differential test (tests/it/hygiene_diff.rs):
//! the reference `pre-commit-hooks` package from PyPI, pinned and installed
//! once into a venv under the target directory and run as its console
//! scripts run (`python -m pre_commit_hooks.<module>`); `hephaestus
//! builtin`; separate copies of one repository for each; and the
//! comparison of exit codes, file bytes and output.
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
pub fn reference_venv() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| match std::env::var_os("HEPHAESTUS_HYGIENE_VENV") {
        Some(dir) => PathBuf::from(dir),
        None => crate::common::pinned_venv("hygiene-venv", REFERENCE),
    })
}

/// What a run left behind: exit code and output.
#[derive(Debug, Clone)]
pub struct Run {
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
pub fn snapshot(root: &Path) -> BTreeMap<String, String> {
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
pub enum Compare {
    /// stdout and stderr byte for byte.
    Exact,
    /// stdout lines as a set (the reference iterates a Python set).
    StdoutLines,
    /// stdout byte for byte (hephaestus adds a reason on stderr).
    Stdout,
    /// Exit code and file bytes only (parser messages differ by design).
    ExitAndBytes,
}

pub struct Case {
    pub id: &'static str,
    pub module: &'static str,
    pub args: Vec<String>,
    pub files: Vec<String>,
    pub env: Vec<(String, String)>,
    pub compare: Compare,
    pub fixer: bool,
}

pub struct Bench {
    pub ctx: TestContext,
    pub pristine: PathBuf,
}

impl Bench {
    pub fn new(setup: impl FnOnce(&TestContext)) -> Bench {
        let ctx = TestContext::new();
        setup(&ctx);
        let pristine = ctx.root.clone();
        Bench { ctx, pristine }
    }

    pub fn copy(&self, name: &str) -> PathBuf {
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

    pub fn reference(&self, dir: &Path, case: &Case, files: &[String]) -> Run {
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

    pub fn ours(&self, dir: &Path, case: &Case) -> Run {
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
    pub fn compare(&self, n: usize, case: &Case) -> Vec<String> {
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
    pub fn per_file_mismatches(&self, case: &Case) -> Vec<(String, i32, i32, String)> {
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
    pub fn per_file_codes(&self, case: &Case) -> Vec<String> {
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

    pub fn run_all(&self, cases: &[Case]) {
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

pub fn case(
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

pub fn regular_files(root: &Path) -> Vec<String> {
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

pub fn under(root: &Path, dirs: &[&str]) -> Vec<String> {
    hygiene_corpus::all_paths(root)
        .into_iter()
        .filter(|p| dirs.iter().any(|d| p.starts_with(d)))
        .collect()
}
