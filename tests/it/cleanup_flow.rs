//! `hephaestus cleanup` from the preview on: the TTY confirmation paths
//! (through a real pseudo-terminal), the audit manifest, undo, and the
//! scoped `--check-paths` hook entry.

use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hephaestus::cleanup::manifest::{Manifest, Status};
use sha2::{Digest, Sha256};

use crate::cleanup::{exists, manifests, only_manifest, replace_file, touch};
use crate::common::{TestContext, show, stderr};

// ------------------------------------------------------------ confirmation

#[test]
fn no_terminal_and_no_yes_aborts_without_deleting() {
    let ctx = TestContext::new();
    ctx.write(".DS_Store", "x");
    let out = ctx
        .heph()
        .args(["cleanup"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stderr(&out).contains("no terminal"), "{}", show(&out));
    assert!(stderr(&out).contains("--yes"), "{}", show(&out));
    assert!(exists(&ctx.root.join(".DS_Store")));
    assert!(manifests(&ctx).is_empty());
}

/// Run hephaestus with stdin on a real pseudo-terminal: wait for `prompt`
/// on stderr, call `meanwhile`, type `answer`, and collect the outcome.
pub(crate) fn run_on_tty(
    ctx: &TestContext,
    args: &[&OsStr],
    prompt: &str,
    meanwhile: impl FnOnce(),
    answer: &[u8],
) -> (Option<i32>, String, String) {
    let mut cmd = ctx.heph();
    cmd.args(args);
    command_on_tty(cmd, prompt, |_| meanwhile(), answer)
}

/// [`run_on_tty`] for any command; `meanwhile` gets the child's pid.
pub(crate) fn command_on_tty(
    mut cmd: std::process::Command,
    prompt: &str,
    meanwhile: impl FnOnce(u32),
    answer: &[u8],
) -> (Option<i32>, String, String) {
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
    grantpt(&master).expect("grantpt");
    unlockpt(&master).expect("unlockpt");
    let name = ptsname(&master, Vec::new()).expect("ptsname");
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(OsStr::from_bytes(name.to_bytes()))
        .expect("open slave");
    let mut child = cmd
        .stdin(Stdio::from(slave))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut err = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match err.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send(buf[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !String::from_utf8_lossy(&seen).contains(prompt) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(chunk) => seen.extend(chunk),
            Err(_) => panic!(
                "no prompt {prompt:?}; stderr so far: {}",
                String::from_utf8_lossy(&seen)
            ),
        }
    }
    meanwhile(child.id());
    rustix::io::write(&master, answer).expect("type the answer");
    let out = child.wait_with_output().expect("wait");
    reader.join().unwrap();
    while let Ok(chunk) = rx.try_recv() {
        seen.extend(chunk);
    }
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&seen).into_owned(),
    )
}

#[test]
fn tty_y_deletes_inside_the_root_and_anything_else_aborts() {
    let ctx = TestContext::new();
    ctx.write(".DS_Store", "x");
    let args = [OsStr::new("cleanup")];
    let (code, out, err) = run_on_tty(&ctx, &args, "[y/N]", || {}, b"n\n");
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(err.contains("aborted; nothing was deleted"), "{err}");
    assert!(exists(&ctx.root.join(".DS_Store")));
    let (code, out, err) = run_on_tty(&ctx, &args, "[y/N]", || {}, b"y\n");
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.contains(".DS_Store"),
        "preview before the prompt: {out}"
    );
    assert!(!exists(&ctx.root.join(".DS_Store")));
}

#[test]
fn tty_outside_the_root_needs_typed_confirm() {
    let ctx = TestContext::new();
    let outside = ctx.base.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join(".DS_Store"), "x").unwrap();
    let args = [
        OsStr::new("cleanup"),
        OsStr::new("--extra-path"),
        outside.as_os_str(),
    ];
    // Exactly CONFIRM: not with spaces around it, not in another case.
    for wrong in [
        &b"y\n"[..],
        b"confirm\n",
        b"\n",
        b" CONFIRM \n",
        b"CONFIRM \n",
        b"\tCONFIRM\n",
    ] {
        let (code, out, err) = run_on_tty(&ctx, &args, "Type CONFIRM", || {}, wrong);
        assert_eq!(code, Some(1), "{out}\n{err}");
        assert!(outside.join(".DS_Store").exists());
    }
    let (code, out, err) = run_on_tty(&ctx, &args, "Type CONFIRM", || {}, b"CONFIRM\n");
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(!outside.join(".DS_Store").exists());
}

#[test]
fn partial_failure_is_reported_audited_and_undo_restores_the_rest() {
    let ctx = TestContext::new();
    ctx.write("a/.DS_Store", "a");
    ctx.write("b/.DS_Store", "b");
    ctx.write("c/__pycache__/x.pyc", "c");
    let outside = ctx.base.join("outside");
    std::fs::create_dir_all(outside.join("__pycache__")).unwrap();
    std::fs::write(outside.join("__pycache__/x.pyc"), "keep").unwrap();
    let args = [OsStr::new("cleanup"), OsStr::new("--python-cache")];
    // While the prompt waits: b/.DS_Store is replaced by a new file and
    // `c` by a symlink to a directory outside; both must be left alone.
    let (code, out, err) = run_on_tty(
        &ctx,
        &args,
        "[y/N]",
        || {
            replace_file(&ctx.root.join("b/.DS_Store"), b"new");
            std::fs::rename(ctx.root.join("c"), ctx.root.join("c.moved")).unwrap();
            std::os::unix::fs::symlink(&outside, ctx.root.join("c")).unwrap();
        },
        b"y\n",
    );
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(err.contains("changed since the preview"), "{err}");
    assert!(!exists(&ctx.root.join("a/.DS_Store")));
    assert_eq!(std::fs::read(ctx.root.join("b/.DS_Store")).unwrap(), b"new");
    assert_eq!(
        std::fs::read(outside.join("__pycache__/x.pyc")).unwrap(),
        b"keep"
    );
    let m = only_manifest(&ctx);
    assert_eq!((m.totals.removed, m.totals.failed), (1, 2), "{m:?}");
    assert_eq!(m.errors.len(), 2);
    let out = ctx.run(["cleanup", "undo"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(std::fs::read(ctx.root.join("a/.DS_Store")).unwrap(), b"a");
    assert_eq!(std::fs::read(ctx.root.join("b/.DS_Store")).unwrap(), b"new");
    let m = only_manifest(&ctx);
    assert!(m.undone);
    assert_eq!(m.undo.len(), 1);
    assert_eq!(m.undo[0].restored, 1);
}

// ------------------------------------------------------------ manifest, undo

#[test]
fn manifest_records_the_run() {
    let ctx = TestContext::new();
    ctx.write("pkg/old.pyc", "bytecode");
    ctx.write("build/a/b.o", "12345");
    ctx.write("build/c.o", "678");
    let out = ctx.run([
        "cleanup",
        "--python-cache",
        "--build-artifacts",
        "--extra-path",
        "nope",
        "--yes",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let path = &manifests(&ctx)[0];
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with("cleanup-") && name.ends_with("Z.json"),
        "{name}"
    );
    let raw: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(raw["version"], 1);
    assert_eq!(raw["root"], ctx.root.to_str().unwrap());
    assert_eq!(raw["options"]["python_cache"], true);
    assert_eq!(raw["options"]["node_modules"], false);
    assert_eq!(raw["options"]["permanent"], false);
    assert_eq!(
        raw["skipped_roots"][0]["path"],
        ctx.root.join("nope").to_str().unwrap()
    );
    let m = only_manifest(&ctx);
    assert!(!m.run_id.is_empty());
    let q = m.quarantine.as_ref().expect("quarantine").0.clone();
    assert!(
        q.starts_with(ctx.root.join(".git/hephaestus/quarantine")),
        "{q:?}"
    );
    assert_eq!(m.entries.len(), 2);
    let build = m
        .entries
        .iter()
        .find(|e| e.path.0.ends_with("build"))
        .unwrap();
    assert_eq!((build.size, build.files), (8, 2));
    assert!(build.sha256.is_none());
    let pyc = m
        .entries
        .iter()
        .find(|e| e.path.0.ends_with("old.pyc"))
        .unwrap();
    assert_eq!(pyc.size, 8);
    assert_eq!(
        pyc.sha256.as_deref(),
        Some(hex::encode(Sha256::digest(b"bytecode")).as_str())
    );
    assert_eq!(pyc.status, Status::Quarantined);
    let qname = pyc.quarantined_as.as_ref().unwrap();
    assert_eq!(std::fs::read(q.join(qname)).unwrap(), b"bytecode");
    // An explicit manifest path is honoured.
    ctx.write(".DS_Store", "x");
    let out = ctx.run(["cleanup", "--yes", "--audit-manifest", "audit.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(Manifest::read(&ctx.root.join("audit.json")).is_ok());
}

#[test]
fn undo_restores_bytes_and_mode_and_refuses_to_overwrite() {
    let ctx = TestContext::new();
    ctx.write("tool/build/run.sh", "#!/bin/sh\necho hi\n");
    ctx.write("x/.DS_Store", "one");
    ctx.write("y/.DS_Store", "two");
    let script = ctx.root.join("tool/build/run.sh");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o751)).unwrap();
    std::fs::set_permissions(
        ctx.root.join("tool/build"),
        std::fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    let out = ctx.run(["cleanup", "--build-artifacts", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(!exists(&ctx.root.join("tool/build")));
    // Something is at one of the paths again.
    std::fs::write(ctx.root.join("y/.DS_Store"), "newer").unwrap();
    let out = ctx.run(["cleanup", "undo"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stderr(&out).contains("exists again"), "{}", show(&out));
    assert_eq!(
        std::fs::read(ctx.root.join("y/.DS_Store")).unwrap(),
        b"newer"
    );
    assert_eq!(std::fs::read(&script).unwrap(), b"#!/bin/sh\necho hi\n");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode(&script), 0o751);
    assert_eq!(mode(&ctx.root.join("tool/build")), 0o700);
    assert_eq!(std::fs::read(ctx.root.join("x/.DS_Store")).unwrap(), b"one");
    let m = only_manifest(&ctx);
    assert!(!m.undone);
    assert_eq!(m.restorable(), 1);
    // Move the conflict away and undo again: finished.
    std::fs::remove_file(ctx.root.join("y/.DS_Store")).unwrap();
    let out = ctx.run(["cleanup", "undo"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(std::fs::read(ctx.root.join("y/.DS_Store")).unwrap(), b"two");
    let m = only_manifest(&ctx);
    assert!(m.undone);
    assert_eq!(m.undo.len(), 2);
    let out = ctx.run(["cleanup", "undo"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stderr(&out).contains("nothing to undo"), "{}", show(&out));
}

#[test]
fn permanent_deletes_and_cannot_be_undone() {
    let ctx = TestContext::new();
    ctx.write("d/build/x", "x");
    let out = ctx.run(["cleanup", "--build-artifacts", "--permanent", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(!exists(&ctx.root.join("d/build")));
    assert!(!exists(&ctx.root.join(".git/hephaestus")));
    let m = only_manifest(&ctx);
    assert!(m.quarantine.is_none());
    assert_eq!(m.entries[0].status, Status::Deleted);
    let path = manifests(&ctx)[0].clone();
    let out = ctx.run([OsStr::new("cleanup"), OsStr::new("undo"), path.as_os_str()]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stderr(&out).contains("--permanent"), "{}", show(&out));
}

#[test]
fn dry_run_json_and_max_depth() {
    let ctx = TestContext::new();
    ctx.write(".DS_Store", "x");
    ctx.write("a/b/c/.DS_Store", "x");
    let out = ctx.run([
        "cleanup",
        "--dry-run",
        "--format",
        "json",
        "--max-depth",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["dry_run"], true);
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{v}");
    assert_eq!(
        entries[0]["path"],
        ctx.root.join(".DS_Store").to_str().unwrap()
    );
    assert_eq!(entries[0]["kind"], "file");
    assert!(
        exists(&ctx.root.join(".DS_Store")),
        "dry run deletes nothing"
    );
    assert!(manifests(&ctx).is_empty());
}

#[test]
fn config_extra_patterns_and_exclude() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        "[cleanup]\nextra_patterns = [\"*.log\", \"tmp\"]\nexclude = [\"keep/.DS_Store\", \"vendor\"]\n",
    );
    touch(
        &ctx,
        &[
            "a.log",
            "x/tmp/y",
            "keep/.DS_Store",
            "vendor/.DS_Store",
            "z/.DS_Store",
        ],
    );
    let out = ctx.run(["cleanup", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(!exists(&ctx.root.join("a.log")));
    assert!(!exists(&ctx.root.join("x/tmp")));
    assert!(!exists(&ctx.root.join("z/.DS_Store")));
    assert!(exists(&ctx.root.join("keep/.DS_Store")));
    assert!(exists(&ctx.root.join("vendor/.DS_Store")));
}

// ------------------------------------------------------------ scoped (hooks)

#[test]
fn check_paths_fails_on_staged_junk_with_the_fix() {
    let ctx = TestContext::new();
    touch(
        &ctx,
        &[
            "src/app.py",
            ".DS_Store",
            "pkg/__pycache__/m.pyc",
            "it's odd/._x",
        ],
    );
    ctx.git(["add", "-A"]);
    let files = ctx.git(["diff", "--cached", "--name-only", "-z"]);
    let mut args: Vec<&OsStr> = vec![OsStr::new("cleanup"), OsStr::new("--check-paths")];
    args.extend(
        files
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(OsStr::from_bytes),
    );
    let out = ctx.run(&args);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains("3 junk paths"), "{err}");
    assert!(
        err.contains("git rm --cached -r -- .DS_Store 'it'\\''s odd/._x' pkg/__pycache__\n"),
        "{err}"
    );
    assert!(
        err.contains("  pkg/__pycache__/  (1 file, python-cache)\n"),
        "{err}"
    );
    assert!(!err.contains("src/app.py"), "{err}");
    // Nothing was deleted or unstaged.
    assert!(ctx.root.join(".DS_Store").exists());
    let staged = String::from_utf8(ctx.git(["diff", "--cached", "--name-only"])).unwrap();
    assert!(staged.contains(".DS_Store"));
    // The printed fix works.
    let fix = err
        .lines()
        .find(|l| l.trim_start().starts_with("git rm"))
        .unwrap()
        .trim()
        .to_string();
    let st = std::process::Command::new("sh")
        .arg("-c")
        .arg(&fix)
        .current_dir(&ctx.root)
        .env("GIT_CONFIG_GLOBAL", ctx.home.join(".gitconfig"))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    let staged = String::from_utf8(ctx.git(["diff", "--cached", "--name-only"])).unwrap();
    assert_eq!(staged.trim(), "src/app.py");
    // A clean set passes.
    let out = ctx.run(["cleanup", "--check-paths", "src/app.py"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let out = ctx.run(["cleanup", "--check-paths"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
}

#[test]
fn check_paths_unstage_keeps_files_on_disk() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        "[cleanup]\nhook = \"unstage\"\nhook_categories = [\"macos\"]\n",
    );
    touch(
        &ctx,
        &["a.py", ".DS_Store", "x/__pycache__/y.pyc", "odd[1]*.pyc"],
    );
    ctx.git(["add", "-A"]);
    let out = ctx.run([
        "cleanup",
        "--check-paths",
        "a.py",
        ".DS_Store",
        "x/__pycache__/y.pyc",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        stderr(&out).contains("unstaged 1 junk path"),
        "{}",
        show(&out)
    );
    assert!(ctx.root.join(".DS_Store").exists(), "never deleted");
    let staged = String::from_utf8(ctx.git(["diff", "--cached", "--name-only"])).unwrap();
    assert!(!staged.contains(".DS_Store"), "{staged}");
    assert!(
        staged.contains("x/__pycache__/y.pyc"),
        "python-cache is off in config: {staged}"
    );
    // --unstage on the command line, with a glob-looking name taken literally.
    let out = ctx.run([
        "cleanup",
        "--check-paths",
        "odd[1]*.pyc",
        "a.py",
        "--python-cache",
        "--unstage",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let staged = String::from_utf8(ctx.git(["diff", "--cached", "--name-only"])).unwrap();
    assert!(!staged.contains("odd[1]*.pyc"), "{staged}");
    assert!(staged.contains("a.py"), "{staged}");
}

#[test]
fn scoped_check_library_api() {
    use hephaestus::cleanup::{ScopedSettings, scoped_check};
    use hephaestus::config::model::CleanupConfig;
    use hephaestus::git::BString;
    let ctx = TestContext::new();
    ctx.write("rs/Cargo.toml", "[package]\n");
    let settings = ScopedSettings::from_config(&CleanupConfig::default()).unwrap();
    let paths: Vec<BString> = [
        "rs/target/debug/x",
        "other/target/x",
        "node_modules/a/b.js",
        "ok.txt",
        "docs/Icons",
        "lib/Icon\r",
    ]
    .iter()
    .map(|p| BString::from(*p))
    .collect();
    let hits = scoped_check(&ctx.root, &paths, &settings);
    let got: Vec<String> = hits.iter().map(|h| h.path.to_string()).collect();
    assert_eq!(
        got,
        ["rs/target/debug/x", "node_modules/a/b.js", "lib/Icon\r"]
    );
    assert_eq!(hits[0].matched, "rs/target");
}
