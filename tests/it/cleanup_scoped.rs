//! Scoped cleanup against staged virtual environments and large junk sets:
//! a real `python3 -m venv` staged with `git add -f`, venvs under any
//! name, 5,000+ junk files, and paths with spaces and quotes. git is the
//! oracle for what is staged before and after, and the printed fix is run
//! by a real shell.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use crate::common::keeper::{commit, config, install};
use crate::common::{TestContext, show, stderr, zsplit};

/// The staged paths, as git lists them.
fn staged(ctx: &TestContext) -> Vec<Vec<u8>> {
    zsplit(&ctx.git(["diff", "--cached", "--name-only", "-z"]))
}

/// `hephaestus cleanup --check-paths` over the staged paths, plus `extra`.
fn check_staged(ctx: &TestContext, extra: &[&str]) -> Output {
    let paths = staged(ctx);
    let mut args: Vec<&OsStr> = vec![OsStr::new("cleanup"), OsStr::new("--check-paths")];
    args.extend(extra.iter().map(OsStr::new));
    args.extend(paths.iter().map(|p| OsStr::from_bytes(p)));
    ctx.run(&args)
}

/// A real virtual environment made by Python's own `venv` module; a
/// missing `python3` fails the test.
fn make_venv(ctx: &TestContext, dir: &str, with_pip: bool) {
    let mut cmd = Command::new("python3");
    cmd.args(["-m", "venv"]);
    if !with_pip {
        cmd.arg("--without-pip");
    }
    let out = cmd
        .arg(dir)
        .current_dir(&ctx.root)
        .output()
        .expect("python3 must be installed to run this test (.ci/run installs it)");
    assert!(
        out.status.success(),
        "python3 -m venv {dir}: {}",
        show(&out)
    );
    assert!(ctx.root.join(dir).join("pyvenv.cfg").is_file());
}

/// The suggested command from a failure message: the line after `fix:`
/// and its `\` continuations.
fn fix_command(err: &str) -> String {
    let mut lines = err.lines().skip_while(|l| !l.starts_with("fix:")).skip(1);
    let mut cmd = String::new();
    for line in lines.by_ref() {
        cmd.push_str(line.trim());
        cmd.push('\n');
        if !line.ends_with('\\') {
            break;
        }
    }
    assert!(cmd.starts_with("git rm --cached -r -- "), "{err}");
    cmd
}

/// Run `cmd` with `sh` in the work tree, with the test's git config.
fn run_sh(ctx: &TestContext, cmd: &str) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(&ctx.root)
        .env("GIT_CONFIG_GLOBAL", ctx.home.join(".gitconfig"))
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{cmd}: {}", show(&out));
}

fn count_under(paths: &[Vec<u8>], dir: &str) -> usize {
    let prefix = format!("{dir}/");
    paths
        .iter()
        .filter(|p| p.starts_with(prefix.as_bytes()))
        .count()
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn a_real_venv_staged_with_add_f_is_one_line_and_the_fix_removes_it() {
    let ctx = TestContext::new();
    ctx.write(".gitignore", ".venv/\n");
    ctx.write("src/app.py", "print('hi')\n");
    ctx.write("src/pkg/__pycache__/app.cpython-311.pyc", "junk");
    make_venv(&ctx, ".venv", true);
    // A venv under a name no rule knows, with spaces and a quote.
    make_venv(&ctx, "tools/py env's", false);
    ctx.git(["add", "-A"]);
    ctx.git(["add", "-f", ".venv"]);
    let before = staged(&ctx);
    let in_venv = count_under(&before, ".venv");
    let in_tools = count_under(&before, "tools/py env's");
    assert!(in_venv > 500, "pip makes a real venv large: {in_venv}");
    assert!(in_tools > 3, "{in_tools}");

    let out = check_staged(&ctx, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let err = stderr(&out);
    let junk = in_venv + in_tools + 1;
    assert!(
        err.starts_with(&format!(
            "cleanup: {} junk paths are about to be committed, in 3 places:\n",
            thousands(junk)
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "\n  .venv/  ({} files, virtual environment)\n",
            thousands(in_venv)
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "\n  tools/py env's/  ({in_tools} files, virtual environment)\n"
        )),
        "{err}"
    );
    assert!(
        err.contains("\n  src/pkg/__pycache__/  (1 file, python-cache)\n"),
        "{err}"
    );
    assert!(
        err.lines().count() < 12,
        "no path listed one by one:\n{err}"
    );
    let fix = fix_command(&err);
    assert_eq!(
        fix,
        "git rm --cached -r -- .venv src/pkg/__pycache__ 'tools/py env'\\''s'\n"
    );

    run_sh(&ctx, &fix);
    assert_eq!(
        staged(&ctx),
        [b".gitignore".to_vec(), b"src/app.py".to_vec()]
    );
    assert!(
        ctx.root.join(".venv/pyvenv.cfg").is_file(),
        "files stay on disk"
    );
    assert!(ctx.root.join("tools/py env's/bin").is_dir());
    let out = check_staged(&ctx, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
}

#[test]
fn unstage_mode_unstages_the_venv_and_says_so_grouped() {
    let ctx = TestContext::new();
    ctx.write("hephaestus.toml", "[cleanup]\nhook = \"unstage\"\n");
    ctx.write("app.py", "x = 1\n");
    ctx.commit_all("base");
    // Named `env`, no pip: the pyvenv.cfg decides.
    make_venv(&ctx, "env", false);
    ctx.write("app.py", "x = 2\n");
    ctx.git(["add", "-A"]);
    let in_env = count_under(&staged(&ctx), "env");
    assert!(in_env > 3, "{in_env}");

    let out = check_staged(&ctx, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "cleanup: unstaged {in_env} junk paths (the files stay on disk):\n  env/  ({in_env} files, virtual environment)\n"
        )),
        "{err}"
    );
    assert_eq!(staged(&ctx), [b"app.py".to_vec()]);
    assert!(ctx.root.join("env/pyvenv.cfg").is_file());
}

#[test]
fn a_commit_with_a_staged_venv_fails_with_the_grouped_fix() {
    let ctx = TestContext::new();
    config(&ctx, "");
    ctx.write("a.txt", "a\n");
    ctx.commit_all("base");
    install(&ctx);
    make_venv(&ctx, "venv-3.11", false);
    ctx.write("b.txt", "b\n");
    ctx.git(["add", "-A"]);
    let head = ctx.git(["rev-parse", "HEAD"]);
    let out = commit(&ctx, &["-q", "-m", "with a venv"]);
    assert!(!out.status.success(), "{}", show(&out));
    let all = show(&out);
    assert!(
        all.contains("  venv-3.11/  (") && all.contains("files, virtual environment)"),
        "{all}"
    );
    assert!(all.contains("git rm --cached -r -- venv-3.11\n"), "{all}");
    assert!(
        !all.contains("venv-3.11/pyvenv.cfg"),
        "not listed one by one: {all}"
    );
    assert_eq!(ctx.git(["rev-parse", "HEAD"]), head, "nothing committed");
}

#[test]
fn five_thousand_junk_files_are_grouped_fast_and_unstaged() {
    let ctx = TestContext::new();
    ctx.write("hephaestus.toml", "");
    // 5,000 cache files in 250 packages, 2,000 clean files beside them.
    for p in 0..250 {
        for m in 0..20 {
            ctx.write(format!("src/pkg{p}/__pycache__/m{m}.cpython-311.pyc"), "");
        }
        for m in 0..8 {
            ctx.write(format!("src/pkg{p}/m{m}.py"), "");
        }
    }
    ctx.git(["add", "-A"]);
    assert_eq!(staged(&ctx).len(), 7_001);

    let started = Instant::now();
    let out = check_staged(&ctx, &[]);
    let check = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("cleanup: 5,000 junk paths are about to be committed, in 250 places:\n"),
        "{err}"
    );
    assert!(err.contains("\n  src/pkg0/__pycache__/  (20 files, python-cache)\n"));
    assert!(
        err.contains("\n  … and 230 more places (4,600 paths)\n"),
        "{err}"
    );
    assert!(
        err.contains("(210 places left out of that command: run the check again after it)"),
        "{err}"
    );
    for line in err.lines() {
        assert!(line.chars().count() <= 100, "{line:?}");
    }
    assert!(err.lines().count() < 50, "{err}");

    let started = Instant::now();
    let out = check_staged(&ctx, &["--unstage"]);
    let unstage = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let left = staged(&ctx);
    assert_eq!(left.len(), 2_001, "only the clean files stay staged");
    assert!(
        left.iter()
            .all(|p| !p.windows(11).any(|w| w == b"__pycache__"))
    );
    eprintln!("7,001 staged paths: check {check:?}, unstage {unstage:?}");
    // Generous bounds for a loaded debug build; a quadratic pass over
    // 5,000 paths would still fit, the unit test with 200,000 would not.
    assert!(check.as_secs() < 20, "check took {check:?}");
    assert!(unstage.as_secs() < 30, "unstage took {unstage:?}");
}

#[test]
fn quoted_paths_survive_the_printed_fix() {
    let ctx = TestContext::new();
    ctx.write("hephaestus.toml", "");
    let names = [
        "it's here/__pycache__/a.pyc",
        "a \"quoted\" dir/.DS_Store",
        "sp ace/-dash/__pycache__/b.pyc",
        "glob[1]*/__pycache__/c.pyc",
        "keep me.py",
    ];
    for n in names {
        ctx.write(n, "x");
    }
    ctx.git(["add", "-A"]);
    let out = check_staged(&ctx, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let err = stderr(&out);
    let fix = fix_command(&err);
    assert!(fix.contains("':(literal)glob[1]*/__pycache__'"), "{fix}");
    run_sh(&ctx, &fix);
    assert_eq!(
        staged(&ctx),
        [b"hephaestus.toml".to_vec(), b"keep me.py".to_vec()]
    );
    for n in names {
        assert!(ctx.root.join(n).exists(), "{n} stays on disk");
    }
}
