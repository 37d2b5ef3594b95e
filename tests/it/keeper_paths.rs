//! Where the keeper writes, and what it leaves behind: never through a
//! symlink or over an untracked entry in the way, read-only files as a
//! normal user, the index exactly as staged after a restage conflict,
//! git's own message when the index is locked, and no backups left in
//! the object database.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use crate::common::keeper::{commit, config, install, snapshot, step};
use crate::common::{TestContext, pin_env, show, stderr, stdout};

/// The outside directory's entries, names and contents.
fn listing(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let data = std::fs::read(e.path()).unwrap_or_default();
            (e.file_name().to_string_lossy().into_owned(), data)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_directory_replaced_by_a_symlink_is_never_written_through() {
    for attributes in [false, true] {
        let ctx = TestContext::new();
        config(&ctx, &step("check", "true", ""));
        if attributes {
            // A tracked .gitattributes makes git's filters possible.
            ctx.write(".gitattributes", "*.txt text\n");
        }
        ctx.write("d/f.txt", "tracked in d\n");
        ctx.write("d/g.txt", "also tracked\n");
        ctx.write("other.txt", "other\n");
        ctx.commit_all("base");
        install(&ctx);
        ctx.write("other.txt", "other staged\n");
        ctx.git(["add", "other.txt"]);
        ctx.write("other.txt", "other staged\nand unstaged\n");
        let outside = ctx.base.join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("keep.txt"), "outside the repository\n").unwrap();
        std::fs::remove_dir_all(ctx.root.join("d")).unwrap();
        std::os::unix::fs::symlink(&outside, ctx.root.join("d")).unwrap();
        let before = listing(&outside);

        let out = commit(&ctx, &["-q", "-m", "msg"]);
        assert!(
            out.status.success(),
            "attributes={attributes}: {}",
            show(&out)
        );
        assert_eq!(listing(&outside), before, "nothing written outside");
        assert!(
            std::fs::symlink_metadata(ctx.root.join("d"))
                .unwrap()
                .file_type()
                .is_symlink(),
            "the user's symlink is still a symlink"
        );
        let err = stderr(&out);
        assert!(
            err.contains("d is a symbolic link") && err.contains("d/f.txt was left alone"),
            "attributes={attributes}: {err}"
        );
        assert_eq!(ctx.read("other.txt"), b"other staged\nand unstaged\n");
        assert_eq!(ctx.git(["show", "HEAD:other.txt"]), b"other staged\n");
        assert!(!ctx.root.join(".git/hephaestus/keeper.json").exists());
    }
}

#[test]
fn an_untracked_file_where_a_directory_was_is_left_alone() {
    let ctx = TestContext::new();
    config(&ctx, &step("check", "true", ""));
    ctx.write("d/f.txt", "tracked\n");
    ctx.write("other.txt", "other\n");
    ctx.commit_all("base");
    install(&ctx);
    ctx.write("other.txt", "staged\n");
    ctx.git(["add", "other.txt"]);
    std::fs::remove_dir_all(ctx.root.join("d")).unwrap();
    ctx.write("d", "an untracked file in the way\n");
    let before = snapshot(&ctx);
    let out = commit(&ctx, &["-q", "-m", "msg"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(stderr(&out).contains("d is a file"), "{}", show(&out));
    let after = snapshot(&ctx);
    assert_eq!(
        after.files, before.files,
        "the file in the way is untouched"
    );
}

#[test]
fn restage_conflict_leaves_the_index_exactly_as_staged() {
    let ctx = TestContext::new();
    config(
        &ctx,
        &step(
            "rewrite",
            "for f in \"$@\"; do printf 'rewritten\\n' > \"$f\"; done",
            "files = [\"*.py\"]\nfix = true\nrestage = true",
        ),
    );
    ctx.write("text.py", "one\ntwo\nthree\n");
    ctx.commit_all("base");
    install(&ctx);
    ctx.write("text.py", "ONE staged\ntwo\nthree\n");
    ctx.git(["add", "text.py"]);
    ctx.write("text.py", "ONE staged\ntwo\nthree unstaged\n");
    let before = snapshot(&ctx);
    let out = commit(&ctx, &["-q", "-m", "msg"]);
    assert!(!out.status.success(), "{}", show(&out));
    let err = stderr(&out);
    assert!(
        err.contains("conflicted with your unstaged changes")
            && err.contains("the index entries of text.py are back as you staged them"),
        "{err}"
    );
    assert_eq!(
        snapshot(&ctx),
        before,
        "work tree and index exactly as before the commit"
    );
    assert_eq!(ctx.git(["diff", "--cached", "--name-only"]), b"text.py\n");
    assert_eq!(ctx.git(["show", ":text.py"]), b"ONE staged\ntwo\nthree\n");
}

#[test]
fn a_locked_index_shows_gits_own_message_not_a_broken_pipe() {
    let ctx = TestContext::new();
    // Enough long names that the list of paths fills the pipe to git.
    let names: Vec<String> = (0..1500)
        .map(|i| format!("some/rather/long/directory/name/for/file-number-{i:05}.py"))
        .collect();
    config(
        &ctx,
        &step(
            "fixer",
            "for f in \"$@\"; do echo '# fixed' >> \"$f\"; done; touch .git/index.lock",
            "files = [\"*.py\"]\nfix = true\nrestage = true",
        ),
    );
    for n in &names {
        ctx.write(n, "x = 1\n");
    }
    ctx.commit_all("base");
    install(&ctx);
    for n in &names {
        ctx.write(n, "x = 2\n");
    }
    ctx.git(["add", "-A"]);
    let out = commit(&ctx, &["-q", "-m", "msg"]);
    std::fs::remove_file(ctx.root.join(".git/index.lock")).unwrap();
    assert!(!out.status.success(), "{}", show(&out));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        text.contains("could not re-stage the fixed files"),
        "{text}"
    );
    assert!(
        text.contains("index.lock") && text.contains("File exists"),
        "git's own message: {text}"
    );
    assert!(!text.contains("Broken pipe"), "{text}");
}

#[test]
fn large_unstaged_files_leave_no_backups_behind() {
    let ctx = TestContext::new();
    config(&ctx, &step("check", "true", ""));
    ctx.write("big.bin", b"small at first\n");
    ctx.write("a.txt", "a\n");
    ctx.commit_all("base");
    install(&ctx);
    // 9 MiB that do not compress: bigger than what the patch inlines.
    let mut big = Vec::with_capacity(9 << 20);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while big.len() < 9 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        big.extend_from_slice(&x.to_le_bytes());
    }
    ctx.write("big.bin", &big);
    let objects_before = largest_object(&ctx.root.join(".git/objects"));
    for round in 0..3 {
        ctx.write("a.txt", format!("a {round}\n"));
        ctx.git(["add", "a.txt"]);
        let out = commit(&ctx, &["-q", "-m", &format!("round {round}")]);
        assert!(out.status.success(), "{}", show(&out));
        assert_eq!(ctx.read("big.bin"), big, "the large file is back exactly");
    }
    let largest = largest_object(&ctx.root.join(".git/objects"));
    assert!(
        largest < 1 << 20,
        "no backup in the object database (largest object {largest} bytes, before {objects_before})"
    );
    let left: Vec<_> = std::fs::read_dir(ctx.root.join(".git/hephaestus"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, vec!["keeper.lock"]);
}

fn largest_object(dir: &Path) -> u64 {
    let mut max = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let meta = e.metadata().unwrap();
        max = max.max(if meta.is_dir() {
            largest_object(&e.path())
        } else {
            meta.len()
        });
    }
    max
}

/// A command that runs as an ordinary user: directly when the tests do
/// not run as root, else through `setpriv` as `nobody` (the repository
/// must then belong to that user).
fn as_user(ctx: &TestContext, program: &OsStr) -> Command {
    // SAFETY: getuid has no preconditions.
    let mut cmd = if unsafe { libc::getuid() } == 0 {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(program);
        c
    } else {
        Command::new(program)
    };
    pin_env(&mut cmd, &ctx.home);
    cmd.current_dir(&ctx.root);
    cmd
}

/// Hand the test directory to the user `as_user` runs as.
fn give_to_user(ctx: &TestContext) {
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } != 0 {
        return;
    }
    // `nobody` must be able to walk to the repository and to the binary:
    // a checkout or temp dir under a 0700 directory (root's `mktemp -d`)
    // would fail every command as "Permission denied", so say so.
    for path in [
        ctx.base.as_path(),
        Path::new(env!("CARGO_BIN_EXE_hephaestus")),
    ] {
        for dir in path.ancestors().skip(1) {
            let mode = std::fs::metadata(dir).map_or(0, |m| m.permissions().mode());
            assert!(
                mode & 0o001 != 0,
                "the read-only tests run git as the ordinary user `nobody`, who cannot \
                 enter {} (mode {:o}): run the tests from a checkout (and TMPDIR) that \
                 others may traverse (chmod o+x)",
                dir.display(),
                mode & 0o7777
            );
        }
    }
    let out = Command::new("chown")
        .args(["-R", "65534:65534"])
        .arg(&ctx.base)
        .output()
        .expect("chown");
    assert!(out.status.success(), "{}", show(&out));
}

fn user_git(ctx: &TestContext, args: &[&str]) -> Output {
    as_user(ctx, OsStr::new("git")).args(args).output().expect(
        "running git as an ordinary user needs `setpriv` (util-linux) when the tests run as root",
    )
}

fn read_only_repo() -> TestContext {
    let ctx = TestContext::new();
    // The repository belongs to the ordinary user; git run by the test
    // itself (root) must still read it.
    ctx.git(["config", "--global", "safe.directory", "*"]);
    config(&ctx, &step("check", "true", ""));
    ctx.write("ro.txt", "one\ntwo\n");
    ctx.write("locked/f.txt", "one\ntwo\n");
    ctx.write("other.txt", "other\n");
    ctx.commit_all("base");
    give_to_user(&ctx);
    let out = as_user(&ctx, OsStr::new(env!("CARGO_BIN_EXE_hephaestus")))
        .args(["hook", "install"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    ctx
}

#[test]
fn a_read_only_file_with_unstaged_changes_is_handled_as_a_normal_user() {
    let ctx = read_only_repo();
    let staged = "one staged\ntwo\n";
    let unstaged = "one staged\ntwo unstaged\n";
    std::fs::write(ctx.root.join("ro.txt"), staged).unwrap();
    assert!(user_git(&ctx, &["add", "ro.txt"]).status.success());
    std::fs::write(ctx.root.join("ro.txt"), unstaged).unwrap();
    std::fs::set_permissions(
        ctx.root.join("ro.txt"),
        std::fs::Permissions::from_mode(0o444),
    )
    .unwrap();
    let out = user_git(&ctx, &["commit", "-q", "-m", "msg"]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(ctx.read("ro.txt"), unstaged.as_bytes());
    let mode = std::fs::metadata(ctx.root.join("ro.txt"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o444, "still read-only");
    assert_eq!(ctx.git(["show", "HEAD:ro.txt"]), staged.as_bytes());
}

#[test]
fn a_read_only_directory_is_refused_before_anything_changes() {
    let ctx = read_only_repo();
    std::fs::write(ctx.root.join("locked/f.txt"), "one staged\ntwo\n").unwrap();
    assert!(user_git(&ctx, &["add", "locked/f.txt"]).status.success());
    std::fs::write(ctx.root.join("locked/f.txt"), "one staged\ntwo unstaged\n").unwrap();
    std::fs::set_permissions(
        ctx.root.join("locked"),
        std::fs::Permissions::from_mode(0o555),
    )
    .unwrap();
    let before = snapshot(&ctx);
    let out = user_git(&ctx, &["commit", "-q", "-m", "msg"]);
    assert!(!out.status.success(), "{}", show(&out));
    let err = stderr(&out);
    assert!(
        err.contains("locked/f.txt")
            && err.contains("is not writable")
            && err.contains("nothing was changed")
            && err.contains("chmod u+w"),
        "{err}"
    );
    assert_eq!(snapshot(&ctx), before);
    assert!(!ctx.root.join(".git/hephaestus/keeper.json").exists());
    // Not wedged: once the directory is writable the commit goes through.
    std::fs::set_permissions(
        ctx.root.join("locked"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let out = user_git(&ctx, &["commit", "-q", "-m", "msg"]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(ctx.read("locked/f.txt"), b"one staged\ntwo unstaged\n");
}

#[test]
fn a_fixer_edit_to_a_file_it_was_not_given_is_still_merged() {
    let ctx = TestContext::new();
    config(
        &ctx,
        &step(
            "fix-other",
            "sed -i 's/^one$/one (fixed)/' text.py",
            "files = [\"new.py\"]\nfix = true",
        ),
    );
    ctx.write("text.py", "one\ntwo\nthree\nfour\nfive\n");
    ctx.commit_all("base");
    install(&ctx);
    ctx.write("text.py", "one\ntwo\nTHREE staged\nfour\nfive\n");
    ctx.write("new.py", "x = 1\n");
    ctx.git(["add", "-A"]);
    ctx.write("text.py", "one\ntwo\nTHREE staged\nfour\nfive unstaged\n");
    let out = commit(&ctx, &["-q", "-m", "msg"]);
    assert!(
        !out.status.success(),
        "the fixer modified a file: {}",
        show(&out)
    );
    assert!(
        stdout(&out).contains("text.py") || stderr(&out).contains("text.py"),
        "{}",
        show(&out)
    );
    assert_eq!(
        ctx.read("text.py"),
        b"one (fixed)\ntwo\nTHREE staged\nfour\nfive unstaged\n",
        "the fix and the unstaged change are both kept"
    );
    assert!(!ctx.root.join(".git/hephaestus/kept").exists());
}
