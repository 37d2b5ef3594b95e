//! `TestContext`: a temp dir with a fresh git repository, a private HOME
//! and pinned git configuration (fixed identity, no signing, no autocrlf,
//! no system config), and helpers to run `git` and `hephaestus` in it.

pub mod keeper;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct TestContext {
    _dir: tempfile::TempDir,
    /// The repository's work tree.
    pub root: PathBuf,
    /// A private HOME with the pinned global git config.
    pub home: PathBuf,
    /// The temp dir itself (siblings of the repository go here).
    pub base: PathBuf,
}

/// Environment every git and hephaestus process in the tests gets.
pub fn pin_env(cmd: &mut Command, home: &Path) {
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_GLOBAL", home.join(".gitconfig"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .env("NO_COLOR", "1")
        .env("LC_ALL", "C")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_COMMON_DIR")
        .env_remove("HEPHAESTUS")
        .env_remove("HEPHAESTUS_CONFIG")
        .env_remove("HEPHAESTUS_COLOR")
        .env_remove("SKIP")
        .env_remove("HEPHAESTUS_SKIP")
        .env_remove("SSL_CERT_FILE")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env_remove("RUST_BACKTRACE");
}

impl TestContext {
    /// A new repository on branch `main` with no commits.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("heph-test")
            .tempdir()
            .expect("temp dir");
        let base = dir.path().canonicalize().expect("canonical temp dir");
        let root = base.join("repo");
        let home = base.join("home");
        std::fs::create_dir_all(&root).expect("repo dir");
        std::fs::create_dir_all(&home).expect("home dir");
        std::fs::write(
            home.join(".gitconfig"),
            "[user]\n\tname = Test\n\temail = test@example.com\n[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n\
             [init]\n\tdefaultBranch = main\n[core]\n\tautocrlf = false\n[protocol \"file\"]\n\tallow = always\n\
             [advice]\n\tdetachedHead = false\n",
        )
        .expect("gitconfig");
        let ctx = TestContext {
            _dir: dir,
            root,
            home,
            base,
        };
        ctx.git(["init", "-q"]);
        ctx
    }

    /// A `git` command in the work tree with the pinned environment.
    pub fn git_cmd(&self) -> Command {
        let mut cmd = Command::new("git");
        pin_env(&mut cmd, &self.home);
        cmd.current_dir(&self.root);
        cmd
    }

    /// Run git; panic with its output if it fails. Returns stdout bytes.
    pub fn git<I, S>(&self, args: I) -> Vec<u8>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let out = self.git_cmd().args(&args).output().expect("spawn git");
        assert!(
            out.status.success(),
            "git {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// The `hephaestus` binary under test, in the work tree, pinned env.
    pub fn heph(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hephaestus"));
        pin_env(&mut cmd, &self.home);
        cmd.current_dir(&self.root);
        cmd
    }

    /// Run hephaestus with `args`; return the output (no assertion).
    pub fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.heph().args(args).output().expect("spawn hephaestus")
    }

    /// Write a file (creating parent directories) relative to the work tree.
    pub fn write(&self, rel: impl AsRef<Path>, content: impl AsRef<[u8]>) {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("parent dirs");
        }
        std::fs::write(&path, content).expect("write file");
    }

    /// Read a file relative to the work tree.
    pub fn read(&self, rel: impl AsRef<Path>) -> Vec<u8> {
        std::fs::read(self.root.join(rel)).expect("read file")
    }

    /// An empty bare repository beside the work tree (`remote.git`), added
    /// as the remote `origin`, for tests that really push.
    pub fn add_bare_origin(&self) {
        let bare = self.base.join("remote.git");
        self.git([
            "init",
            "-q",
            "--bare",
            bare.to_str().expect("utf-8 temp path"),
        ]);
        self.git([
            "remote",
            "add",
            "origin",
            bare.to_str().expect("utf-8 temp path"),
        ]);
    }

    /// `git add -A && git commit -m msg`.
    pub fn commit_all(&self, msg: &str) {
        self.git(["add", "-A"]);
        self.git(["commit", "-q", "--allow-empty", "-m", msg]);
    }
}

/// Split NUL-terminated output (`-z`) into sorted byte paths.
pub fn zsplit(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = bytes
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| s.to_vec())
        .collect();
    v.sort();
    v
}

/// stdout and stderr of a process as text, for assertion messages.
pub fn show(out: &Output) -> String {
    format!(
        "status: {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// stdout of a process as a JSON document (fails with the output shown).
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", show(out)))
}

/// Snapshot settings for output from `ctx`: its paths become `[ROOT]`,
/// `[BASE]` and `[HOME]`, any other temp path `[TMP]`, and durations
/// (`1.23s`, `12.5 ms`, `"duration_ms": 17`) `[DURATION]`, so a snapshot
/// does not depend on where or how fast the test ran.
pub fn snapshot_settings(ctx: &TestContext) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    let escaped = |p: &Path| regex::escape(&p.to_string_lossy());
    settings.add_filter(&escaped(&ctx.root), "[ROOT]");
    settings.add_filter(&escaped(&ctx.home), "[HOME]");
    settings.add_filter(&escaped(&ctx.base), "[BASE]");
    settings.add_filter(&escaped(&std::env::temp_dir()), "[TMP]");
    settings.add_filter(r"\b\d+(\.\d+)?\s?(ms|s)\b", "[DURATION]");
    settings.add_filter(r#""duration_ms": \d+"#, r#""duration_ms": "[DURATION]""#);
    settings
}

/// A venv with `packages` (pinned requirement strings) installed from PyPI,
/// made once under the target directory as `<prefix>-<packages>` (or
/// `<prefix>-<hash>` when that name would be too long). Built in place
/// under an exclusive lock, because console scripts name their
/// interpreter by absolute path (a venv built beside and renamed would
/// run none of them); `installed` is written last, and a venv without it
/// is built again. A failure to make it fails the test (never a skip).
pub fn pinned_venv(prefix: &str, packages: &[&str]) -> PathBuf {
    use std::os::fd::AsRawFd;
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let mut name = format!("{prefix}-{}", packages.join("-").replace(['=', '.'], "_"));
    if name.len() > 120 {
        use sha2::Digest;
        let hash = hex::encode(sha2::Sha256::digest(packages.join("\n")));
        name = format!("{prefix}-{}", &hash[..16]);
    }
    let venv = base.join(&name);
    let lock = std::fs::File::create(base.join(format!("{name}.lock"))).expect("venv lock file");
    // SAFETY: flock on a descriptor this function owns; released on drop.
    let locked = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
    assert_eq!(locked, 0, "locking {name}.lock");
    if venv.join("installed").exists() {
        return venv;
    }
    let _ = std::fs::remove_dir_all(&venv);
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .expect("spawn python3");
    assert!(
        made.status.success(),
        "python3 -m venv failed: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    let pip = Command::new(venv.join("bin/python"))
        .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
        .args(packages)
        .output()
        .expect("spawn pip");
    assert!(
        pip.status.success(),
        "installing {} from PyPI failed:\n{}",
        packages.join(" "),
        String::from_utf8_lossy(&pip.stderr)
    );
    std::fs::write(venv.join("installed"), packages.join("\n")).expect("write installed");
    venv
}

/// The corpus of real projects tests/corpus/fetch.sh downloads
/// (`target/corpus`, or `HEPHAESTUS_CORPUS`). Each of `needs` (paths in
/// it) must exist: else the test fails saying how to make it.
pub fn corpus_cache(needs: &[&str]) -> PathBuf {
    let dir = std::env::var_os("HEPHAESTUS_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/corpus"));
    for need in needs {
        assert!(
            dir.join(need).exists(),
            "{} is missing: run tests/corpus/fetch.sh first (it downloads the corpus into \
             target/corpus; set HEPHAESTUS_CORPUS to use another copy)",
            dir.join(need).display()
        );
    }
    dir
}

/// The real `CARGO_HOME` and `RUSTUP_HOME`, for commands that run cargo
/// with the tests' private HOME.
pub fn toolchain_homes() -> (PathBuf, PathBuf) {
    let real_home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let home = |var: &str, default: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .unwrap_or_else(|| real_home.join(default))
    };
    (home("CARGO_HOME", ".cargo"), home("RUSTUP_HOME", ".rustup"))
}
