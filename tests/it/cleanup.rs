//! `hephaestus cleanup`: every category, every defect of the old toolkit
//! as a regression test, symlinks and races, odd names and extra paths.
//! The confirmation, the manifest, undo and the hook entry are in
//! `cleanup_flow`; hostile input in `cleanup_trust`; filesystems and
//! mounts in `cleanup_mounts`.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use hephaestus::cleanup::manifest::{Manifest, Status};
use hephaestus::cleanup::plan::{self, PlanSettings};
use hephaestus::cleanup::quarantine::{self, Quarantine, RunId};
use hephaestus::cleanup::state;
use hephaestus::cleanup::{Categories, RuleSet};

use crate::common::{TestContext, show, stderr, stdout};

pub(crate) fn exists(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok()
}

pub(crate) fn manifests(ctx: &TestContext) -> Vec<PathBuf> {
    let dir = ctx.root.join(".hephaestus/audit");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

pub(crate) fn only_manifest(ctx: &TestContext) -> Manifest {
    let m = manifests(ctx);
    assert_eq!(m.len(), 1, "one manifest expected: {m:?}");
    Manifest::read(&m[0]).expect("manifest parses")
}

/// Create empty files (and their directories) under the work tree.
pub(crate) fn touch(ctx: &TestContext, paths: &[&str]) {
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
pub(crate) fn replace_file(path: &Path, content: &[u8]) {
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
            let base = state::open_chain(&ctx.base, &["q"], state::Create::Yes(0o700))
                .expect("quarantine base")
                .expect("created");
            Quarantine::create(&base, &RunId::new().id).expect("quarantine")
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
