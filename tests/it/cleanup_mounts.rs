//! Cleanup across filesystems and mounts (Linux).
//!
//! A quarantine on another filesystem keeps owner, group, mode, hard links
//! and times, or drops setuid/setgid when the owner cannot be kept; the
//! walk and every removal stay off mount points; the refusals see through
//! bind mounts. The mount tests need root: they run hephaestus inside a
//! private mount namespace (`unshare --mount --propagation private`), so
//! a crashed test leaves no mount behind. `cargo test` skips them
//! visibly (ignored); `.ci/run` runs them as root with `--include-ignored`.

use std::ffi::OsStr;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use crate::cleanup::{exists, only_manifest};
use crate::cleanup_flow::command_on_tty;
use crate::common::{TestContext, pin_env, show, stderr};

fn require_root() {
    assert!(
        rustix::process::geteuid().is_root(),
        "this test needs root (mount namespaces, chown): run `cargo test --locked -- --include-ignored` as root, as .ci/run does"
    );
}

/// Run `script` (`sh -eu`) in the work tree inside a private mount
/// namespace, with `$HEPH` (the binary), `$BASE` and `$ROOT` set.
fn in_namespace(ctx: &TestContext, script: &str) -> Output {
    let mut cmd = Command::new("unshare");
    pin_env(&mut cmd, &ctx.home);
    cmd.current_dir(&ctx.root)
        .env("HEPH", env!("CARGO_BIN_EXE_hephaestus"))
        .env("BASE", &ctx.base)
        .env("ROOT", &ctx.root)
        .args(["--mount", "--propagation", "private", "sh", "-euc", script]);
    let out = cmd.output().expect("spawn unshare");
    assert!(
        out.status.success(),
        "the namespace script failed:\n{}",
        show(&out)
    );
    out
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Set a file's or directory's modification time.
fn set_mtime(p: &Path, secs: u64) {
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    std::fs::File::open(p).unwrap().set_modified(t).unwrap();
}

/// Set a symlink's own times (not its target's).
fn set_link_mtime(p: &Path, secs: i64) {
    let ts = rustix::fs::Timespec {
        tv_sec: secs,
        tv_nsec: 0,
    };
    rustix::fs::utimensat(
        rustix::fs::CWD,
        p,
        &rustix::fs::Timestamps {
            last_access: ts,
            last_modification: ts,
        },
        rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
    )
    .unwrap();
}

fn meta(p: &Path) -> std::fs::Metadata {
    std::fs::symlink_metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A tree with what a plain copy loses: hard links (inside one entry and
/// across two entries), a symlink and a directory with their own times.
fn tree_with_links_and_times(ctx: &TestContext) {
    ctx.write("build/bin/tool", "#!/bin/sh\n");
    let tool = ctx.root.join("build/bin/tool");
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o750)).unwrap();
    std::fs::hard_link(&tool, ctx.root.join("build/tool-again")).unwrap();
    std::os::unix::fs::symlink("bin/tool", ctx.root.join("build/link")).unwrap();
    ctx.write("a/.DS_Store", "meta");
    std::fs::create_dir_all(ctx.root.join("b")).unwrap();
    std::fs::hard_link(ctx.root.join("a/.DS_Store"), ctx.root.join("b/.DS_Store")).unwrap();
    set_mtime(&tool, 1_000_000_000);
    set_link_mtime(&ctx.root.join("build/link"), 1_100_000_000);
    set_mtime(&ctx.root.join("build/bin"), 1_200_000_000);
    set_mtime(&ctx.root.join("build"), 1_300_000_000);
}

/// The tree of [`tree_with_links_and_times`] is back as it was.
fn assert_links_and_times_kept(ctx: &TestContext) {
    let tool = meta(&ctx.root.join("build/bin/tool"));
    assert_eq!(read(&ctx.root.join("build/bin/tool")), "#!/bin/sh\n");
    assert_eq!(tool.mode() & 0o7777, 0o750);
    assert_eq!(tool.mtime(), 1_000_000_000, "file mtime");
    assert_eq!(tool.nlink(), 2, "the hard link is kept");
    assert_eq!(tool.ino(), meta(&ctx.root.join("build/tool-again")).ino());
    let link = meta(&ctx.root.join("build/link"));
    assert!(link.file_type().is_symlink());
    assert_eq!(
        std::fs::read_link(ctx.root.join("build/link")).unwrap(),
        Path::new("bin/tool")
    );
    assert_eq!(link.mtime(), 1_100_000_000, "symlink mtime");
    assert_eq!(meta(&ctx.root.join("build/bin")).mtime(), 1_200_000_000);
    assert_eq!(meta(&ctx.root.join("build")).mtime(), 1_300_000_000);
    assert_eq!(
        meta(&ctx.root.join("a/.DS_Store")).ino(),
        meta(&ctx.root.join("b/.DS_Store")).ino(),
        "two entries linked to each other stay linked"
    );
}

#[test]
fn quarantine_on_another_filesystem_keeps_links_modes_and_times() {
    // Unprivileged: the git dir (and so the quarantine) on /dev/shm.
    let ctx = TestContext::new();
    let shm = Path::new("/dev/shm");
    let dev = |p: &Path| std::fs::metadata(p).map(|m| m.dev()).ok();
    assert!(
        dev(shm).is_some() && dev(shm) != dev(&ctx.root),
        "this test needs /dev/shm to be a filesystem (tmpfs) other than the temp dir's"
    );
    let git_dir = tempfile::Builder::new()
        .prefix("heph-gitdir")
        .tempdir_in(shm)
        .unwrap();
    let git_dir = git_dir.path().join("git");
    // A fresh repository whose git dir lives on the other filesystem.
    std::fs::remove_dir_all(ctx.root.join(".git")).unwrap();
    ctx.git([
        OsStr::new("init"),
        OsStr::new("-q"),
        OsStr::new("--separate-git-dir"),
        git_dir.as_os_str(),
    ]);
    tree_with_links_and_times(&ctx);
    let out = ctx.run(["cleanup", "--deep-clean", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(!exists(&ctx.root.join("build")) && !exists(&ctx.root.join("a/.DS_Store")));
    let m = only_manifest(&ctx);
    let q = m.quarantine.clone().unwrap().0;
    assert!(q.starts_with(git_dir.canonicalize().unwrap()), "{q:?}");
    let build = m
        .entries
        .iter()
        .find(|e| e.path.0.ends_with("build"))
        .unwrap();
    let in_q = q.join(build.quarantined_as.as_ref().unwrap());
    assert_eq!(
        meta(&in_q.join("bin/tool")).nlink(),
        2,
        "linked in the quarantine too"
    );
    assert_eq!(meta(&in_q.join("link")).mtime(), 1_100_000_000);

    let out = ctx.run(["cleanup", "undo"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_links_and_times_kept(&ctx);
    let me = rustix::process::geteuid().as_raw();
    assert_eq!(meta(&ctx.root.join("build/bin/tool")).uid(), me);
    assert!(only_manifest(&ctx).undone);
    assert!(!exists(&q), "the quarantine is gone once undone");
}

#[test]
#[ignore = "needs root for mount namespaces; .ci/run runs ignored tests as root"]
fn root_keeps_owners_and_setuid_across_filesystems() {
    require_root();
    let ctx = TestContext::new();
    tree_with_links_and_times(&ctx);
    // A user's setuid program, a setgid directory and a user's symlink.
    ctx.write("build/su-tool", "#!/bin/sh\n");
    let su = ctx.root.join("build/su-tool");
    std::os::unix::fs::chown(&su, Some(65534), Some(65534)).unwrap();
    std::fs::set_permissions(&su, std::fs::Permissions::from_mode(0o4755)).unwrap();
    ctx.write("build/shared/f", "x");
    let shared = ctx.root.join("build/shared");
    std::os::unix::fs::chown(&shared, Some(1000), Some(1000)).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o2750)).unwrap();
    std::os::unix::fs::lchown(ctx.root.join("build/link"), Some(1000), Some(1000)).unwrap();
    set_mtime(&su, 1_400_000_000);
    set_mtime(&shared, 1_500_000_000);
    set_mtime(&ctx.root.join("build"), 1_300_000_000);

    let out = in_namespace(
        &ctx,
        r#"
        mkdir -p .git/hephaestus
        mount -t tmpfs -o mode=0700 tmpfs .git/hephaestus
        "$HEPH" cleanup --deep-clean --yes >"$BASE/run.out" 2>&1 || { cat "$BASE/run.out"; exit 1; }
        test ! -e build
        find .git/hephaestus/quarantine -name su-tool -exec stat -c '%u %g %a' {} + >"$BASE/in-quarantine"
        "$HEPH" cleanup undo >"$BASE/undo.out" 2>&1 || { cat "$BASE/undo.out"; exit 1; }
        "#,
    );
    assert_eq!(
        read(&ctx.base.join("in-quarantine")).trim(),
        "65534 65534 4755",
        "{}",
        show(&out)
    );
    let su = meta(&su);
    assert_eq!((su.uid(), su.gid()), (65534, 65534), "owner kept");
    assert_eq!(su.mode() & 0o7777, 0o4755, "mode kept with its owner");
    assert_eq!(su.mtime(), 1_400_000_000);
    let shared = meta(&shared);
    assert_eq!((shared.uid(), shared.gid()), (1000, 1000));
    assert_eq!(shared.mode() & 0o7777, 0o2750);
    assert_eq!(shared.mtime(), 1_500_000_000);
    let link = meta(&ctx.root.join("build/link"));
    assert_eq!((link.uid(), link.gid()), (1000, 1000), "symlink owner kept");
    assert_links_and_times_kept(&ctx);
    assert!(only_manifest(&ctx).undone);
}

#[test]
#[ignore = "needs root for mount namespaces; .ci/run runs ignored tests as root"]
fn a_user_who_cannot_keep_the_owner_drops_setuid_and_setgid() {
    require_root();
    let ctx = TestContext::new();
    ctx.write("build/su-tool", "#!/bin/sh\n");
    ctx.write("build/sg-tool", "#!/bin/sh\n");
    ctx.write("build/mine", "#!/bin/sh\n");
    // Everything belongs to user 1000, except a root-owned setuid program
    // and a setgid program of group root.
    let chown_r = Command::new("chown")
        .args(["-R", "1000:1000"])
        .arg(&ctx.root)
        .status()
        .unwrap();
    assert!(chown_r.success());
    std::fs::set_permissions(&ctx.base, std::fs::Permissions::from_mode(0o755)).unwrap();
    let su = ctx.root.join("build/su-tool");
    std::os::unix::fs::chown(&su, Some(0), Some(0)).unwrap();
    std::fs::set_permissions(&su, std::fs::Permissions::from_mode(0o4755)).unwrap();
    let sg = ctx.root.join("build/sg-tool");
    std::os::unix::fs::chown(&sg, Some(1000), Some(0)).unwrap();
    std::fs::set_permissions(&sg, std::fs::Permissions::from_mode(0o2755)).unwrap();
    let mine = ctx.root.join("build/mine");
    std::fs::set_permissions(&mine, std::fs::Permissions::from_mode(0o4750)).unwrap();

    in_namespace(
        &ctx,
        r#"
        mkdir -p .git/hephaestus
        chown 1000:1000 .git/hephaestus
        mount -t tmpfs -o mode=0700,uid=1000,gid=1000 tmpfs .git/hephaestus
        as_user() { setpriv --reuid=1000 --regid=1000 --clear-groups -- "$@"; }
        as_user "$HEPH" cleanup --build-artifacts --yes >"$BASE/run.out" 2>&1 || { cat "$BASE/run.out"; exit 1; }
        find .git/hephaestus/quarantine -name '*-tool' -exec stat -c '%n %u %g %a' {} + | sed 's|.*/||' | sort >"$BASE/in-quarantine"
        as_user "$HEPH" cleanup undo >"$BASE/undo.out" 2>&1 || { cat "$BASE/undo.out"; exit 1; }
        "#,
    );
    assert_eq!(
        read(&ctx.base.join("in-quarantine")),
        "sg-tool 1000 1000 755\nsu-tool 1000 1000 755\n",
        "the copies belong to the user, so their setuid/setgid bits are gone"
    );
    let (su, sg, mine) = (meta(&su), meta(&sg), meta(&mine));
    assert_eq!(
        (su.uid(), su.mode() & 0o7777),
        (1000, 0o755),
        "no setuid for the wrong owner"
    );
    assert_eq!(
        (sg.gid(), sg.mode() & 0o7777),
        (1000, 0o755),
        "no setgid for the wrong group"
    );
    assert_eq!(
        (mine.uid(), mine.mode() & 0o7777),
        (1000, 0o4750),
        "the user's own setuid bit is kept"
    );
}

#[test]
#[ignore = "needs root for mount namespaces; .ci/run runs ignored tests as root"]
fn the_walk_and_every_removal_stay_off_mount_points() {
    require_root();
    let ctx = TestContext::new();
    // Mount sources on the same filesystem as the tree: only mount ids
    // tell a bind mount apart.
    for (dir, files) in [
        (
            "store",
            &["dep/index.js", ".DS_Store", "__pycache__/s.pyc"][..],
        ),
        ("other", &[".DS_Store", "__pycache__/o.pyc"]),
        ("precious", &["cache.bin"]),
    ] {
        for f in files {
            let p = ctx.base.join(dir).join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "keep").unwrap();
        }
    }
    for d in ["web/node_modules", "sub", "build/cache", "tmp"] {
        std::fs::create_dir_all(ctx.root.join(d)).unwrap();
    }
    ctx.write("build/x.o", "o");
    ctx.write("keep/a.py", "x = 1\n");
    in_namespace(
        &ctx,
        r#"
        mount --bind "$BASE/store" web/node_modules
        mount --bind "$BASE/other" sub
        mount --bind "$BASE/precious" build/cache
        mount -t tmpfs tmpfs tmp
        echo junk >tmp/.DS_Store
        for mode in permanent quarantine; do
          echo junk >.DS_Store
          mkdir -p keep/__pycache__ && echo k >keep/__pycache__/k.pyc
          flag=; [ "$mode" = permanent ] && flag=--permanent
          "$HEPH" cleanup --deep-clean --yes $flag >"$BASE/$mode.out" 2>"$BASE/$mode.err" || { cat "$BASE/$mode.err"; exit 1; }
          test ! -e .DS_Store && test ! -e keep/__pycache__
          test -f tmp/.DS_Store
        done
        "$HEPH" cleanup undo >"$BASE/undo.out" 2>&1 || { cat "$BASE/undo.out"; exit 1; }
        test -f .DS_Store && test -f keep/__pycache__/k.pyc
        "#,
    );
    for mode in ["permanent", "quarantine"] {
        let err = read(&ctx.base.join(format!("{mode}.err")));
        for (path, says) in [
            ("web/node_modules", "a mount point; left alone"),
            ("sub", "a mount point; not entered"),
            ("tmp", "a mount point; not entered"),
            ("build", "holds the mount point"),
        ] {
            assert!(
                err.contains(&format!("{}: {says}", ctx.root.join(path).display())),
                "{mode}: {path} {says}:\n{err}"
            );
        }
        assert!(
            read(&ctx.base.join(format!("{mode}.err"))).contains("of 2 paths"),
            "{err}"
        );
    }
    for (dir, files) in [
        (
            "store",
            &["dep/index.js", ".DS_Store", "__pycache__/s.pyc"][..],
        ),
        ("other", &[".DS_Store", "__pycache__/o.pyc"]),
        ("precious", &["cache.bin"]),
    ] {
        for f in files {
            assert_eq!(
                read(&ctx.base.join(dir).join(f)),
                "keep",
                "{dir}/{f} untouched"
            );
        }
    }
    assert_eq!(
        read(&ctx.root.join("build/x.o")),
        "o",
        "a match holding a mount is left whole"
    );
}

#[test]
#[ignore = "needs root for mount namespaces; .ci/run runs ignored tests as root"]
fn a_mount_that_appears_after_the_preview_is_never_emptied() {
    require_root();
    let ctx = TestContext::new();
    ctx.write("build/a/x.o", "o");
    std::fs::create_dir_all(ctx.root.join("build/a/cache")).unwrap();
    let precious = ctx.base.join("precious");
    std::fs::create_dir_all(&precious).unwrap();
    std::fs::write(precious.join("data"), "keep").unwrap();
    let mut cmd = Command::new("unshare");
    pin_env(&mut cmd, &ctx.home);
    cmd.current_dir(&ctx.root)
        .args(["--mount", "--propagation", "private"])
        .arg(env!("CARGO_BIN_EXE_hephaestus"))
        .args(["cleanup", "--build-artifacts", "--permanent"]);
    // While the prompt waits, something is bind-mounted inside `build`.
    let (code, out, err) = command_on_tty(
        cmd,
        "[y/N]",
        |pid| {
            let status = Command::new("nsenter")
                .args([
                    "--target",
                    &pid.to_string(),
                    "--mount",
                    "--",
                    "mount",
                    "--bind",
                ])
                .arg(&precious)
                .arg(ctx.root.join("build/a/cache"))
                .status()
                .unwrap();
            assert!(status.success(), "nsenter mount");
        },
        b"y\n",
    );
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(err.contains("is a mount point"), "{err}");
    assert_eq!(read(&precious.join("data")), "keep");
}

#[test]
#[ignore = "needs root for mount namespaces; .ci/run runs ignored tests as root"]
fn bind_mount_aliases_of_home_and_system_directories_are_refused() {
    require_root();
    let ctx = TestContext::new();
    for d in ["alias-home", "alias-base", "alias-usr", "alias-share"] {
        std::fs::create_dir_all(ctx.root.join(d)).unwrap();
    }
    in_namespace(
        &ctx,
        r#"
        mount --bind "$HOME" alias-home
        mount --bind "$BASE" alias-base
        mount --bind /usr alias-usr
        mount --bind /usr/share alias-share
        check() {
          name=$1; shift
          code=0; "$HEPH" "$@" >"$BASE/$name.out" 2>"$BASE/$name.err" || code=$?
          echo "$code" >"$BASE/$name.code"
        }
        check home cleanup alias-home --dry-run
        check base cleanup alias-base --dry-run
        check usr cleanup alias-usr --dry-run
        check usr-local cleanup alias-usr/local --dry-run
        check share cleanup alias-share --dry-run
        check extra cleanup --extra-path alias-share --dry-run
        "#,
    );
    for (name, says) in [
        ("home", "it is your home directory"),
        ("base", "it contains your home directory"),
        ("usr", "it is /usr under another name"),
        ("usr-local", "under the system directory /usr"),
        ("share", "under the system directory /usr"),
        ("extra", "under the system directory /usr"),
    ] {
        let err = read(&ctx.base.join(format!("{name}.err")));
        assert_eq!(
            read(&ctx.base.join(format!("{name}.code"))).trim(),
            "2",
            "{name}: {err}"
        );
        assert!(
            err.contains("refusing to clean") && err.contains(says),
            "{name}: {err}"
        );
    }
    // Without the mounts they are ordinary (empty) directories.
    let out = ctx.run(["cleanup", "alias-usr", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(!stderr(&out).contains("refusing"), "{}", show(&out));
}
