//! The corpus of real projects, end to end (issue 13): each project as
//! its registry archive ships it (tests/corpus: sdists from PyPI, a crate
//! from crates.io, with the tool versions the project pins), taken through
//! what a new user does: `hephaestus init`, `hephaestus hook install`, a
//! partially staged realistic change committed with `git commit`, every
//! seeded lint / format / type defect caught at commit time, a seeded test
//! defect caught at `git push`, clean changes passing, and nothing of the
//! user's work lost (staged and unstaged bytes checked after every step).
//!
//! The seeds and partial changes are tests/corpus/seeds.toml, each tried by
//! hand against the project's own commands (tests/corpus/verify.py); a
//! seed must fail the hook exactly when the project's own configuration
//! flags it (`rc != 0`, or its tool would rewrite the file).
//!
//! These tests are ignored in the README's offline `cargo test`: they need
//! `tests/corpus/fetch.sh` to have filled `target/corpus` (or
//! `HEPHAESTUS_CORPUS`); `.ci/run` does that, and a missing corpus fails
//! them with that instruction. One test per project, so the project's venv
//! serves one checkout at a time (tests/corpus/README.md).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;

use crate::common::{TestContext, corpus_cache, show, stderr, stdout, toolchain_homes};

#[derive(Debug, Deserialize)]
struct Seeds {
    seed: Vec<Seed>,
    partial: Vec<Partial>,
}

#[derive(Debug, Deserialize, Clone)]
struct Edit {
    file: String,
    old: String,
    new: String,
}

#[derive(Debug, Deserialize, Clone)]
struct Seed {
    project: String,
    kind: String,
    run: String,
    rc: i32,
    #[serde(default)]
    modifies: bool,
    edits: Vec<Edit>,
}

#[derive(Debug, Deserialize, Clone)]
struct Partial {
    project: String,
    run: String,
    staged: Vec<Edit>,
    unstaged: Vec<Edit>,
    rc_staged: i32,
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn seeds() -> Seeds {
    let path = manifest_dir().join("tests/corpus/seeds.toml");
    let text = std::fs::read_to_string(&path).expect("read seeds.toml");
    toml::from_str(&text).expect("seeds.toml parses")
}

/// The commands of the hook's pre-commit stage; anything else (test
/// runners) runs on pre-push.
fn runs_at_commit(run: &str) -> bool {
    !(run.starts_with("pytest")
        || run.starts_with("cargo test")
        || run.starts_with("python -m unittest"))
}

/// One checkout of a corpus project in a temp dir, with a private HOME
/// and pinned git configuration, the project's venv as `.venv`.
struct Project {
    ctx: TestContext,
    name: String,
    cache: PathBuf,
    /// The bare repository the checkout was "cloned" from.
    remote: PathBuf,
    /// The real toolchain homes (HOME is private in the tests).
    cargo_home: PathBuf,
    rustup_home: PathBuf,
}

impl Project {
    fn checkout(name: &str) -> Project {
        let cache = corpus_cache(&[&format!("src/{name}")]);
        let (cargo_home, rustup_home) = toolchain_homes();
        let ctx = TestContext::new();
        std::fs::remove_dir_all(&ctx.root).expect("remove the empty repository");
        let out = Command::new("bash")
            .arg(manifest_dir().join("tests/corpus/checkout.sh"))
            .arg("--cache")
            .arg(&cache)
            .arg(name)
            .arg(&ctx.root)
            .output()
            .expect("spawn checkout.sh");
        assert!(out.status.success(), "checkout.sh {name}: {}", show(&out));
        let printed = PathBuf::from(stdout(&out).trim());
        if printed != ctx.root {
            // The project's environment where uv and a new user keep it.
            std::os::unix::fs::symlink(&printed, ctx.root.join(".venv")).expect("link .venv");
        }
        let remote = ctx.base.join("remote.git");
        let p = Project {
            name: name.to_string(),
            cache,
            remote,
            cargo_home,
            rustup_home,
            ctx,
        };
        // The project is on its remote already, as a clone has it: a
        // push sends only the user's new commits.
        let out = Command::new("git")
            .args(["init", "-q", "--bare"])
            .arg(&p.remote)
            .output()
            .expect("git init --bare");
        assert!(out.status.success(), "{}", show(&out));
        p.git_ok(&["remote", "add", "origin", &p.remote.to_string_lossy()]);
        p.git_ok(&["push", "-q", "origin", "main"]);
        p.git_ok(&["branch", "-q", "--set-upstream-to", "origin/main"]);
        p
    }

    fn env(&self, cmd: &mut Command) {
        cmd.env_remove("VIRTUAL_ENV")
            .env("CARGO_HOME", &self.cargo_home)
            .env("RUSTUP_HOME", &self.rustup_home)
            .env("CARGO_NET_OFFLINE", "true")
            .env(
                "CARGO_TARGET_DIR",
                self.cache.join("cargo-target").join(&self.name),
            )
            .env("PIP_NO_INDEX", "1");
    }

    fn git(&self, args: &[&str]) -> Output {
        let mut cmd = self.ctx.git_cmd();
        self.env(&mut cmd);
        cmd.args(args).output().expect("spawn git")
    }

    fn git_ok(&self, args: &[&str]) -> Vec<u8> {
        let out = self.git(args);
        assert!(out.status.success(), "git {args:?}: {}", show(&out));
        out.stdout
    }

    fn heph(&self, args: &[&str]) -> Output {
        let mut cmd = self.ctx.heph();
        self.env(&mut cmd);
        cmd.args(args).output().expect("spawn hephaestus")
    }

    fn read(&self, rel: &str) -> Vec<u8> {
        self.ctx.read(rel)
    }

    fn head(&self) -> Vec<u8> {
        self.git_ok(&["rev-parse", "HEAD"])
    }

    fn apply(&self, edits: &[Edit]) {
        for e in edits {
            let path = self.ctx.root.join(&e.file);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            assert_eq!(
                text.matches(&e.old).count(),
                1,
                "{}: the seed's `old` must occur once",
                e.file
            );
            std::fs::write(&path, text.replacen(&e.old, &e.new, 1)).expect("write seed");
        }
    }

    fn add(&self, edits: &[Edit]) {
        for e in edits {
            self.git_ok(&["add", "--", &e.file]);
        }
    }

    /// Back to the commit that adopted hephaestus (`main` on the
    /// remote is the untouched project), keeping the ignored `.venv` link
    /// and caches.
    fn reset(&self) {
        // mypy's cache takes a file of the same size and whole-second
        // modification time for unchanged: a seed and its undoing within
        // one second would hand mypy a stale result no user could meet.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        self.git_ok(&["reset", "-q", "--hard", "adopted"]);
        self.git_ok(&["clean", "-qfd"]);
    }

    fn files_of(edits: &[Edit]) -> Vec<String> {
        let mut files: Vec<String> = edits.iter().map(|e| e.file.clone()).collect();
        files.sort();
        files.dedup();
        files
    }

    fn bytes(&self, files: &[String]) -> BTreeMap<String, (Vec<u8>, Vec<u8>)> {
        files
            .iter()
            .map(|f| {
                let staged = self.git_ok(&["show", &format!(":{f}")]);
                (f.clone(), (staged, self.read(f)))
            })
            .collect()
    }
}

fn text(out: &Output) -> String {
    format!("{}{}", stdout(out), stderr(out))
}

/// `init` picks the project's preset, `hook install` installs the hooks,
/// and committing the config goes through them.
fn adopt(p: &Project, preset: &str) {
    let out = p.heph(&["init"]);
    assert!(out.status.success(), "{}: init: {}", p.name, show(&out));
    let config = String::from_utf8(p.read("hephaestus.toml")).expect("utf-8 config");
    assert!(
        config.contains(&format!("presets = [\"{preset}\"]")),
        "{}: init chose {config}",
        p.name
    );
    let out = p.heph(&["hook", "install"]);
    assert!(
        out.status.success(),
        "{}: hook install: {}",
        p.name,
        show(&out)
    );
    assert!(p.ctx.root.join(".git/hooks/pre-commit").is_file());
    assert!(p.ctx.root.join(".git/hooks/pre-push").is_file());
    p.git_ok(&["add", "hephaestus.toml"]);
    let out = p.git(&["commit", "-qm", "adopt hephaestus"]);
    assert!(
        out.status.success(),
        "{}: committing the config: {}",
        p.name,
        show(&out)
    );
    let out = p.git(&["status", "--porcelain"]);
    assert!(
        stdout(&out).is_empty(),
        "{}: dirty after init: {}",
        p.name,
        stdout(&out)
    );
    p.git_ok(&["tag", "adopted"]);
}

/// The partially staged change: the commit judges the staged content
/// alone, and the unstaged edits survive byte for byte.
fn partial(p: &Project, change: &Partial) {
    p.reset();
    p.apply(&change.staged);
    p.add(&change.staged);
    p.apply(&change.unstaged);
    let files = Project::files_of(&[change.staged.clone(), change.unstaged.clone()].concat());
    let before = p.bytes(&files);
    let head = p.head();
    let out = p.git(&["commit", "-qm", "partial change"]);
    let expect_pass = change.rc_staged == 0 || !runs_at_commit(&change.run);
    assert_eq!(
        out.status.success(),
        expect_pass,
        "{}: the partial change (`{}` gives {} on the staged content): {}",
        p.name,
        change.run,
        change.rc_staged,
        text(&out)
    );
    for (file, (staged, worktree)) in &before {
        assert_eq!(
            &p.read(file),
            worktree,
            "{}: unstaged edits to {file} lost",
            p.name
        );
        let rev = if expect_pass {
            format!("HEAD:{file}")
        } else {
            format!(":{file}")
        };
        assert_eq!(
            &p.git_ok(&["show", &rev]),
            staged,
            "{}: {rev} is not what was staged",
            p.name
        );
    }
    if !expect_pass {
        assert_eq!(p.head(), head, "{}: a failed commit moved HEAD", p.name);
    }
}

/// A seeded defect staged and committed: the commit fails, names the
/// file, and leaves the staged content staged; a seed the project's
/// configuration accepts commits.
fn seed_at_commit(p: &Project, seed: &Seed) {
    p.reset();
    p.apply(&seed.edits);
    p.add(&seed.edits);
    let files = Project::files_of(&seed.edits);
    let before = p.bytes(&files);
    let head = p.head();
    let out = p.git(&["commit", "-qm", "seeded"]);
    let flagged = seed.rc != 0 || seed.modifies;
    let what = format!(
        "{}: {} seed (`{}` gives {}{})",
        p.name,
        seed.kind,
        seed.run,
        seed.rc,
        if seed.modifies { ", rewrites" } else { "" }
    );
    assert_eq!(out.status.success(), !flagged, "{what}: {}", text(&out));
    if flagged {
        assert_eq!(p.head(), head, "{what}: HEAD moved");
        let said = text(&out);
        for file in &files {
            let base = Path::new(file).file_name().unwrap().to_string_lossy();
            assert!(said.contains(&*base), "{what}: {file} not named: {said}");
            assert_eq!(
                p.git_ok(&["show", &format!(":{file}")]),
                before[file].0,
                "{what}: the staged {file} changed"
            );
        }
    } else {
        for file in &files {
            assert_eq!(
                p.git_ok(&["show", &format!("HEAD:{file}")]),
                before[file].0,
                "{what}: HEAD has not the staged {file}"
            );
        }
    }
}

/// The pushes, each a new branch: a clean change (the partial change's
/// clean side) pushes, with the test suite passing through the hook; a
/// seeded test defect does not reach the remote.
fn pushes(p: &Project, clean: &Partial, test_seed: Option<&Seed>, runner: &str) {
    p.reset();
    p.apply(&clean.staged);
    if clean.rc_staged != 0 {
        p.apply(&clean.unstaged);
    }
    p.git_ok(&["add", "-u"]);
    if p.git(&["diff", "--cached", "--quiet"]).status.success() {
        // The partial change undoes itself (strsim's staged bug and its
        // unstaged fix): a comment is the clean change.
        let file = &clean.staged[0].file;
        let comment = if file.ends_with(".rs") { "//" } else { "#" };
        let mut body = format!("{comment} A clean change.\n").into_bytes();
        body.extend_from_slice(&p.read(file));
        p.ctx.write(file, body);
        p.git_ok(&["add", "-u"]);
    }
    let out = p.git(&["commit", "-qm", "a clean change"]);
    assert!(
        out.status.success(),
        "{}: clean commit: {}",
        p.name,
        text(&out)
    );
    let out = p.git(&["push", "-q", "origin", "HEAD:refs/heads/clean"]);
    assert!(
        out.status.success(),
        "{}: clean push: {}",
        p.name,
        text(&out)
    );
    assert!(
        text(&out).contains(runner),
        "{}: the push ran {runner}: {}",
        p.name,
        text(&out)
    );
    let Some(seed) = test_seed else { return };
    p.reset();
    p.apply(&seed.edits);
    p.add(&seed.edits);
    let out = p.git(&["commit", "-qm", "seeded test defect"]);
    assert!(
        out.status.success(),
        "{}: the test seed passes the commit stage: {}",
        p.name,
        text(&out)
    );
    let out = p.git(&["push", "-q", "origin", "HEAD:refs/heads/seeded"]);
    assert!(
        !out.status.success(),
        "{}: the test seed (`{}`) must stop the push: {}",
        p.name,
        seed.run,
        text(&out)
    );
    assert!(
        text(&out).contains(runner),
        "{}: the failed step is named: {}",
        p.name,
        text(&out)
    );
    let remote = Command::new("git")
        .arg("--git-dir")
        .arg(&p.remote)
        .args(["rev-parse", "--verify", "-q", "refs/heads/seeded"])
        .output()
        .expect("rev-parse remote");
    assert!(
        !remote.status.success(),
        "{}: the defect reached the remote",
        p.name
    );
}

/// The whole journey for one project.
fn journey(name: &str, preset: &str, runner: Option<&str>) {
    let p = Project::checkout(name);
    adopt(&p, preset);
    let all = seeds();
    let mine: Vec<&Seed> = all.seed.iter().filter(|s| s.project == name).collect();
    assert!(!mine.is_empty(), "{name}: no seeds");
    let changes: Vec<&Partial> = all.partial.iter().filter(|c| c.project == name).collect();
    assert!(!changes.is_empty(), "{name}: no partially staged change");
    for change in &changes {
        partial(&p, change);
    }
    for seed in mine.iter().filter(|s| runs_at_commit(&s.run)) {
        seed_at_commit(&p, seed);
    }
    if let Some(runner) = runner {
        let test_seed = mine.iter().find(|s| s.kind == "test").copied();
        pushes(&p, changes[0], test_seed, runner);
    }
}

#[test]
#[ignore = "needs the corpus (tests/corpus/fetch.sh); .ci/run fetches it"]
fn click_fits_unmodified() {
    journey("click", "python", Some("pytest"));
}

#[test]
#[ignore = "needs the corpus (tests/corpus/fetch.sh); .ci/run fetches it"]
fn itsdangerous_fits_unmodified() {
    journey("itsdangerous", "python", Some("pytest"));
}

#[test]
#[ignore = "needs the corpus (tests/corpus/fetch.sh); .ci/run fetches it"]
fn attrs_fits_unmodified() {
    // attrs' own suite has one failure on CPython 3.11 (tests/corpus
    // README: known_issues), so its push is not tried.
    journey("attrs", "python", None);
}

#[test]
#[ignore = "needs the corpus (tests/corpus/fetch.sh); .ci/run fetches it"]
fn hupper_fits_unmodified() {
    journey("hupper", "python", Some("pytest"));
}

#[test]
#[ignore = "needs the corpus (tests/corpus/fetch.sh); .ci/run fetches it"]
fn more_itertools_fits_unmodified() {
    journey("more-itertools", "python", Some("unittest"));
}

#[test]
#[ignore = "needs the corpus (tests/corpus/fetch.sh); .ci/run fetches it"]
fn strsim_fits_unmodified() {
    journey("strsim", "rust", Some("cargo test"));
}
