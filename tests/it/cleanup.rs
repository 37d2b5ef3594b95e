//! `hephaestus cleanup`: every category, every defect of the old toolkit
//! as a regression test, symlinks and races, odd names, the TTY
//! confirmation paths (through a real pseudo-terminal), the audit
//! manifest, undo, and the scoped `--check-paths` hook entry.

use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hephaestus::cleanup::manifest::{Manifest, Status};
use hephaestus::cleanup::plan::{self, PlanSettings};
use hephaestus::cleanup::quarantine::{self, Quarantine, RunId};
use hephaestus::cleanup::{Categories, RuleSet};
use sha2::{Digest, Sha256};

use crate::common::{TestContext, show, stderr, stdout};

fn exists(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok()
}

fn manifests(ctx: &TestContext) -> Vec<PathBuf> {
    let dir = ctx.root.join(".hephaestus/audit");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn only_manifest(ctx: &TestContext) -> Manifest {
    let m = manifests(ctx);
    assert_eq!(m.len(), 1, "one manifest expected: {m:?}");
    Manifest::read(&m[0]).expect("manifest parses")
}

/// Create empty files (and their directories) under the work tree.
fn touch(ctx: &TestContext, paths: &[&str]) {
    for p in paths {
        ctx.write(p, b"");
    }
}

// ---------------------------------------------------------------- categories

#[test]
fn macos_metadata_is_always_cleaned_and_icons_survives() {
    let ctx = TestContext::new();
    touch(
        &ctx,
        &[
            ".DS_Store",
            "a/._photo.jpg",
            "a/Icon\r",
            "a/Icons",
            "a/Icon",
            ".Spotlight-V100/store.db",
            "__MACOSX/x",
            "keep.py",
            "a/__pycache__/m.pyc",
        ],
    );
    let out = ctx.run(["cleanup", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    for gone in [
        ".DS_Store",
        "a/._photo.jpg",
        "a/Icon\r",
        ".Spotlight-V100",
        "__MACOSX",
    ] {
        assert!(
            !exists(&ctx.root.join(gone)),
            "{gone} removed\n{}",
            show(&out)
        );
    }
    // The old `Icon?` glob took `Icons`; the rule is the literal `Icon\r`.
    for kept in ["a/Icons", "a/Icon", "keep.py", "a/__pycache__/m.pyc"] {
        assert!(exists(&ctx.root.join(kept)), "{kept} kept\n{}", show(&out));
    }
}

#[test]
fn python_cache_category() {
    let ctx = TestContext::new();
    touch(
        &ctx,
        &[
            "p/__pycache__/m.cpython-311.pyc",
            "p/old.pyc",
            "p/opt.pyo",
            "p/m.py",
            "build/x",
        ],
    );
    let out = ctx.run(["cleanup", "--python-cache", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    for gone in ["p/__pycache__", "p/old.pyc", "p/opt.pyo"] {
        assert!(!exists(&ctx.root.join(gone)), "{gone}");
    }
    assert!(exists(&ctx.root.join("p/m.py")));
    assert!(
        exists(&ctx.root.join("build/x")),
        "build needs --build-artifacts"
    );
}

#[test]
fn build_artifacts_category() {
    let ctx = TestContext::new();
    touch(
        &ctx,
        &[
            "build/lib/x.o",
            "web/dist/app.js",
            "pkg.egg-info/PKG-INFO",
            ".pytest_cache/v",
            ".mypy_cache/x",
            ".ruff_cache/x",
            ".tox/py/x",
            ".coverage",
            "coverage.xml",
            "htmlcov/index.html",
            "nb/.ipynb_checkpoints/x",
            ".turbo/x",
            ".parcel-cache/x",
            ".eslintcache",
            "rust/Cargo.toml",
            "rust/target/debug/x",
            "notrust/target/keep",
            "scripts/build",
            "node_modules/left/index.js",
        ],
    );
    let out = ctx.run(["cleanup", "--build-artifacts", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    for gone in [
        "build",
        "web/dist",
        "pkg.egg-info",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".tox",
        ".coverage",
        "coverage.xml",
        "htmlcov",
        "nb/.ipynb_checkpoints",
        ".turbo",
        ".parcel-cache",
        ".eslintcache",
        "rust/target",
    ] {
        assert!(
            !exists(&ctx.root.join(gone)),
            "{gone} removed\n{}",
            show(&out)
        );
    }
    // `target` only beside a Cargo.toml; a *file* named build is a script.
    for kept in [
        "notrust/target/keep",
        "scripts/build",
        "rust/Cargo.toml",
        "node_modules/left/index.js",
    ] {
        assert!(exists(&ctx.root.join(kept)), "{kept} kept");
    }
}

#[test]
fn node_modules_category_and_deep_clean() {
    let ctx = TestContext::new();
    touch(
        &ctx,
        &[
            "web/node_modules/dep/index.js",
            "web/src/a.js",
            "x/__pycache__/a.pyc",
        ],
    );
    let out = ctx.run(["cleanup", "--node-modules", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(!exists(&ctx.root.join("web/node_modules")));
    assert!(exists(&ctx.root.join("x/__pycache__/a.pyc")));
    assert!(exists(&ctx.root.join("web/src/a.js")));
    let out = ctx.run(["cleanup", "--deep-clean", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(!exists(&ctx.root.join("x/__pycache__")));
}

// ------------------------------------------------- regressions of the old toolkit

#[test]
fn git_refs_named_build_or_dist_survive_deep_clean() {
    let ctx = TestContext::new();
    ctx.write("f.txt", "x");
    ctx.commit_all("init");
    ctx.git(["branch", "build"]);
    ctx.git(["branch", "dist"]);
    ctx.write(".git/.DS_Store", "meta");
    ctx.write(".git/info/__pycache__/x.pyc", "x");
    ctx.write("sub/__MACOSX/.DS_Store", "quarantined");
    let out = ctx.run(["cleanup", "--deep-clean", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(!exists(&ctx.root.join("sub/__MACOSX")));
    assert!(ctx.root.join(".git/refs/heads/build").is_file());
    assert!(ctx.root.join(".git/refs/heads/dist").is_file());
    assert!(
        ctx.root.join(".git/.DS_Store").is_file(),
        "no --include-git"
    );
    // With --include-git only macOS metadata files inside .git may go.
    let out = ctx.run(["cleanup", "--deep-clean", "--include-git", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(!exists(&ctx.root.join(".git/.DS_Store")));
    assert!(ctx.root.join(".git/refs/heads/build").is_file());
    assert!(ctx.root.join(".git/info/__pycache__/x.pyc").is_file());
    ctx.git(["rev-parse", "--verify", "refs/heads/build"]);
    ctx.git(["fsck", "--no-progress"]);
    // The quarantine under .git/hephaestus is not cleaned by --include-git:
    // the first run can still be undone.
    let first = manifests(&ctx)[0].clone();
    let out = ctx.run([OsStr::new("cleanup"), OsStr::new("undo"), first.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(
        std::fs::read(ctx.root.join("sub/__MACOSX/.DS_Store")).unwrap(),
        b"quarantined"
    );
}

#[test]
fn dist_inside_node_modules_survives_build_artifacts() {
    let ctx = TestContext::new();
    touch(
        &ctx,
        &[
            "node_modules/x/dist/index.js",
            "node_modules/x/build/a.node",
            "dist/app.js",
        ],
    );
    let out = ctx.run(["cleanup", "--build-artifacts", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(ctx.root.join("node_modules/x/dist/index.js").is_file());
    assert!(ctx.root.join("node_modules/x/build/a.node").is_file());
    assert!(!exists(&ctx.root.join("dist")));
}

#[test]
fn site_packages_survives_unless_include_venv() {
    let ctx = TestContext::new();
    let sp = ".venv/lib/python3.11/site-packages/foo";
    touch(
        &ctx,
        &[
            &format!("{sp}/build/x.py"),
            &format!("{sp}/__pycache__/a.pyc"),
        ],
    );
    let out = ctx.run(["cleanup", "--deep-clean", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(ctx.root.join(sp).join("build/x.py").is_file());
    assert!(ctx.root.join(sp).join("__pycache__/a.pyc").is_file());
    let out = ctx.run(["cleanup", "--deep-clean", "--include-venv", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(!exists(&ctx.root.join(sp).join("build")));
    assert!(!exists(&ctx.root.join(sp).join("__pycache__")));
}

#[test]
fn system_paths_are_refused_cleanly() {
    let ctx = TestContext::new();
    for root in ["/usr/local", "/", "/etc", "/var/tmp", "/usr/../usr/lib"] {
        let out = ctx
            .heph()
            .env("RUST_BACKTRACE", "1")
            .args(["cleanup", root, "--dry-run"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{root}: {}", show(&out));
        let err = stderr(&out);
        assert!(err.starts_with("error: refusing to clean"), "{err}");
        assert!(
            !err.contains("panicked") && !err.contains("backtrace"),
            "{err}"
        );
    }
    // The home directory itself (HOME is the test's private home).
    let out = ctx.run([
        OsStr::new("cleanup"),
        ctx.home.as_os_str(),
        OsStr::new("--dry-run"),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(stderr(&out).contains("home directory"), "{}", show(&out));
    // A symlink to a system directory is judged by its target.
    std::os::unix::fs::symlink("/etc", ctx.base.join("etc-link")).unwrap();
    let out = ctx.run([
        OsStr::new("cleanup"),
        ctx.base.join("etc-link").as_os_str(),
        OsStr::new("--yes"),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    // An extra path is checked the same way.
    let out = ctx.run(["cleanup", "--extra-path", "/usr/local", "--dry-run"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
}

#[test]
fn outside_a_git_repository_works_with_a_notice() {
    let ctx = TestContext::new();
    let dir = ctx.base.join("plain");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/.DS_Store"), "x").unwrap();
    std::fs::write(dir.join("keep.txt"), "x").unwrap();
    let out = ctx
        .heph()
        .current_dir(&dir)
        .args(["cleanup", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        stderr(&out).contains("not inside a git repository"),
        "{}",
        show(&out)
    );
    assert!(!exists(&dir.join("sub/.DS_Store")));
    assert!(dir.join("keep.txt").is_file());
    // Quarantine and audit live in .hephaestus/ there, and undo finds them.
    let q = std::fs::read_dir(dir.join(".hephaestus/quarantine"))
        .unwrap()
        .count();
    assert_eq!(q, 1);
    let out = ctx
        .heph()
        .current_dir(&dir)
        .args(["cleanup", "undo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(std::fs::read(dir.join("sub/.DS_Store")).unwrap(), b"x");
}

// ------------------------------------------------------------ symlinks, races

#[test]
fn symlinks_are_never_followed() {
    let ctx = TestContext::new();
    let outside = ctx.base.join("outside");
    std::fs::create_dir_all(outside.join("__pycache__")).unwrap();
    std::fs::write(outside.join("__pycache__/precious.pyc"), "keep").unwrap();
    std::fs::write(outside.join(".DS_Store"), "keep").unwrap();
    // A junk-named link to outside is removed as a link; a plain link to a
    // directory full of junk is not descended.
    std::os::unix::fs::symlink(&outside, ctx.root.join("build")).unwrap();
    std::os::unix::fs::symlink(&outside, ctx.root.join("elsewhere")).unwrap();
    // Loops.
    std::fs::create_dir_all(ctx.root.join("loop")).unwrap();
    std::os::unix::fs::symlink("..", ctx.root.join("loop/up")).unwrap();
    std::os::unix::fs::symlink("self", ctx.root.join("self")).unwrap();
    let out = ctx.run(["cleanup", "--deep-clean", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(!exists(&ctx.root.join("build")), "the link itself goes");
    assert!(exists(&ctx.root.join("elsewhere")));
    assert_eq!(
        std::fs::read(outside.join("__pycache__/precious.pyc")).unwrap(),
        b"keep"
    );
    assert_eq!(std::fs::read(outside.join(".DS_Store")).unwrap(), b"keep");
    let m = only_manifest(&ctx);
    assert_eq!(m.entries.len(), 1, "{m:?}");
    assert_eq!(m.entries[0].kind, hephaestus::cleanup::EntryKind::Symlink);
    // Undo puts the link back as a link.
    let out = ctx.run(["cleanup", "undo"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(std::fs::read_link(ctx.root.join("build")).unwrap(), outside);
}

/// Replace a file with a new one (a new inode: written beside, renamed
/// over, so the old inode number cannot be reused for it).
fn replace_file(path: &Path, content: &[u8]) {
    let tmp = path.with_extension("replacement");
    std::fs::write(&tmp, content).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn rules_all() -> RuleSet {
    RuleSet::new(Categories::all(), false, false, None, None)
}

fn plan_settings(ctx: &TestContext) -> PlanSettings {
    PlanSettings {
        root: ctx.root.clone(),
        extra_paths: Vec::new(),
        cwd: ctx.root.clone(),
        rules: rules_all(),
        max_depth: None,
        home: Some(ctx.home.clone()),
    }
}

#[test]
fn directory_swapped_for_a_symlink_after_preview_cannot_redirect_deletion() {
    let ctx = TestContext::new();
    ctx.write("sub/__pycache__/mine.pyc", "junk");
    ctx.write("sub/.DS_Store", "junk");
    let outside = ctx.base.join("outside");
    std::fs::create_dir_all(outside.join("__pycache__")).unwrap();
    std::fs::write(outside.join("__pycache__/precious.pyc"), "keep").unwrap();
    std::fs::write(outside.join(".DS_Store"), "keep").unwrap();

    let plan = plan::plan(&plan_settings(&ctx)).expect("plan");
    assert_eq!(plan.items.len(), 2, "{plan:?}");
    // The attack: between preview and deletion, `sub` becomes a symlink
    // to a directory outside the root with the same names in it.
    std::fs::rename(ctx.root.join("sub"), ctx.root.join("sub.moved")).unwrap();
    std::os::unix::fs::symlink(&outside, ctx.root.join("sub")).unwrap();

    for permanent in [false, true] {
        let q = (!permanent).then(|| {
            Quarantine::create(&ctx.base.join("q"), &RunId::new().id).expect("quarantine")
        });
        let entries = quarantine::execute(&plan, q.as_ref(), || {});
        assert!(
            entries.iter().all(|e| e.status == Status::Failed),
            "{entries:?}"
        );
        assert!(
            entries.iter().all(|e| e
                .error
                .as_deref()
                .unwrap_or("")
                .contains("changed since the preview")),
            "{entries:?}"
        );
        assert_eq!(
            std::fs::read(outside.join("__pycache__/precious.pyc")).unwrap(),
            b"keep"
        );
        assert_eq!(std::fs::read(outside.join(".DS_Store")).unwrap(), b"keep");
    }
    // A file replaced by another file (same name, new inode) is left alone too.
    std::fs::remove_file(ctx.root.join("sub")).unwrap();
    std::fs::rename(ctx.root.join("sub.moved"), ctx.root.join("sub")).unwrap();
    replace_file(&ctx.root.join("sub/.DS_Store"), b"new");
    let entries = quarantine::execute(&plan, None, || {});
    let by_name = |n: &str| entries.iter().find(|e| e.path.0.ends_with(n)).unwrap();
    assert_eq!(by_name(".DS_Store").status, Status::Failed);
    assert_eq!(by_name("__pycache__").status, Status::Deleted);
    assert_eq!(
        std::fs::read(ctx.root.join("sub/.DS_Store")).unwrap(),
        b"new"
    );
}

#[test]
fn unreadable_directory_does_not_crash() {
    let ctx = TestContext::new();
    ctx.write("locked/.DS_Store", "x");
    ctx.write("open/.DS_Store", "x");
    let locked = ctx.root.join("locked");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let out = ctx.run(["cleanup", "--yes"]);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    // As root permissions are ignored and it is cleaned; otherwise it is a
    // warning. Either way: no crash, the readable junk is gone.
    let code = out.status.code();
    assert!(code == Some(0) || code == Some(1), "{}", show(&out));
    assert!(!stderr(&out).contains("panicked"), "{}", show(&out));
    assert!(!exists(&ctx.root.join("open/.DS_Store")));
}

#[test]
fn names_with_newlines_and_invalid_utf8() {
    let ctx = TestContext::new();
    let weird = [
        OsStr::from_bytes(b"._new\nline"),
        OsStr::from_bytes(b"bad\xff.pyc"),
        OsStr::from_bytes(b"sp ace/.DS_Store"),
    ];
    for w in &weird {
        let p = ctx.root.join(w);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, w.as_bytes()).unwrap();
    }
    let out = ctx.run(["cleanup", "--python-cache", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let table = stdout(&out);
    assert!(table.contains("._new\\nline"), "{table}");
    assert!(table.contains("bad\\xff.pyc"), "{table}");
    assert!(table.contains("3 paths"), "{table}");
    let out = ctx.run(["cleanup", "--python-cache", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    for w in &weird {
        assert!(!exists(&ctx.root.join(w)));
    }
    let out = ctx.run(["cleanup", "undo"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    for w in &weird {
        assert_eq!(std::fs::read(ctx.root.join(w)).unwrap(), w.as_bytes());
    }
}

// ---------------------------------------------------------------- extra paths

#[test]
fn extra_paths_inside_and_outside_the_root() {
    let ctx = TestContext::new();
    ctx.write(".git/modules/x/.DS_Store", "x");
    ctx.write("inner/.DS_Store", "x");
    let outside = ctx.base.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join(".DS_Store"), "x").unwrap();
    std::fs::write(outside.join("keep"), "x").unwrap();
    // Inside the root: no typed CONFIRM needed; missing and .git paths
    // are skipped with a reason.
    let out = ctx.run([
        "cleanup",
        "--extra-path",
        "inner",
        "--extra-path",
        "missing",
        "--extra-path",
        ".git/modules",
        "--yes",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(!exists(&ctx.root.join("inner/.DS_Store")));
    assert!(exists(&ctx.root.join(".git/modules/x/.DS_Store")));
    let m = only_manifest(&ctx);
    let reasons: Vec<&str> = m.skipped_roots.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(m.skipped_roots.len(), 2, "{reasons:?}");
    assert!(
        reasons.iter().any(|r| r.contains("cannot resolve")),
        "{reasons:?}"
    );
    assert!(reasons.iter().any(|r| r.contains(".git")), "{reasons:?}");
    // Outside the root: without a terminal it aborts even with a plan.
    let out = ctx.run([
        OsStr::new("cleanup"),
        OsStr::new("--extra-path"),
        outside.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stdout(&out).contains("outside root"), "{}", show(&out));
    assert!(outside.join(".DS_Store").exists());
    let out = ctx.run([
        OsStr::new("cleanup"),
        OsStr::new("--extra-path"),
        outside.as_os_str(),
        OsStr::new("--yes"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(!outside.join(".DS_Store").exists());
    assert!(outside.join("keep").exists());
}

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
fn run_on_tty(
    ctx: &TestContext,
    args: &[&OsStr],
    prompt: &str,
    meanwhile: impl FnOnce(),
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
    let mut child = ctx
        .heph()
        .args(args)
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
    meanwhile();
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
    for wrong in [&b"y\n"[..], b"confirm\n", b"\n"] {
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
        err.contains("git rm --cached -- .DS_Store \"'it'\\''s odd/._x'\" pkg/__pycache__/m.pyc")
            || err
                .contains("git rm --cached -- .DS_Store 'it'\\''s odd/._x' pkg/__pycache__/m.pyc"),
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

#[test]
fn quarantine_on_another_filesystem_copies_and_undo_copies_back() {
    use std::os::unix::fs::MetadataExt;
    let ctx = TestContext::new();
    let shm = Path::new("/dev/shm");
    let dev = |p: &Path| std::fs::metadata(p).map(|m| m.dev()).ok();
    if dev(shm).is_none() || dev(shm) == dev(&ctx.root) {
        eprintln!("skipped: /dev/shm is not a separate filesystem here");
        return;
    }
    ctx.write("a/build/bin/tool", "#!/bin/sh\n");
    std::fs::set_permissions(
        ctx.root.join("a/build/bin/tool"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    std::os::unix::fs::symlink("bin/tool", ctx.root.join("a/build/link")).unwrap();
    ctx.write("a/.DS_Store", "meta");
    let base = tempfile::Builder::new()
        .prefix("heph-q")
        .tempdir_in(shm)
        .unwrap();
    let plan = plan::plan(&plan_settings(&ctx)).expect("plan");
    let run = RunId::new();
    let q = Quarantine::create(base.path(), &run.id).expect("quarantine");
    let entries = quarantine::execute(&plan, Some(&q), || {});
    assert!(
        entries.iter().all(|e| e.status == Status::Quarantined),
        "{entries:?}"
    );
    assert!(!exists(&ctx.root.join("a/build")) && !exists(&ctx.root.join("a/.DS_Store")));
    let mut m = Manifest::for_run(&plan, Default::default(), &run, Some(&q.dir), entries);
    let report = quarantine::undo(&mut m, "now").expect("undo");
    assert_eq!(report.restored.len(), 2, "{report:?}");
    assert!(report.errors.is_empty(), "{report:?}");
    assert!(m.undone);
    assert_eq!(
        std::fs::read(ctx.root.join("a/build/bin/tool")).unwrap(),
        b"#!/bin/sh\n"
    );
    let mode = std::fs::metadata(ctx.root.join("a/build/bin/tool"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o755);
    assert_eq!(
        std::fs::read_link(ctx.root.join("a/build/link")).unwrap(),
        Path::new("bin/tool")
    );
    assert_eq!(
        std::fs::read(ctx.root.join("a/.DS_Store")).unwrap(),
        b"meta"
    );
}
