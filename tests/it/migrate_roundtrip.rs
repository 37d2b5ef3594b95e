//! The round trip of `hephaestus init --from-pre-commit` on the six real
//! `.pre-commit-config.yaml` files of the corpus (tests/corpus/README.md):
//! the ORIGINAL file runs through the real `pre-commit`, the converted
//! `hephaestus.toml` through `hephaestus hook run pre-commit`, each on its
//! own clone of a real project checkout (attrs, codespell) with the same
//! realistic changes staged (trailing whitespace, a missing final newline,
//! broken YAML and TOML, a merge-conflict marker, a large binary, Python
//! lint and format errors, a typo, rst with single backticks) and one
//! unstaged edit; then every hook's pass/fail/skip, the exit code, every
//! file's bytes and the index must be the same on both sides.
//!
//! pre-commit cannot clone the hooks' repositories here (only the package
//! registries are reachable), so its side gets the config rewritten into
//! `repo: local` hooks: each hook is its repository's manifest entry
//! ([`MANIFESTS`], copied from the repositories' `.pre-commit-hooks.yaml`)
//! overlaid with the config's keys, as pre-commit does, with
//! `language: system` instead of `python` so that it runs the console
//! scripts of the pinned packages ([`TOOLS`]) both sides find first on
//! `PATH`. Hooks the conversion lists as not converted are left out of both
//! sides (the unit tests and tests/it/migrate.rs check that listing).
//!
//! That test is ignored in the README's offline `cargo test`: it needs the
//! corpus that `tests/corpus/fetch.sh` downloads (into `target/corpus`, or
//! `HEPHAESTUS_CORPUS`) and a venv from PyPI; `.ci/run` runs it. It fails,
//! never skips, when either is missing.
//!
//! The second test (offline, needs `python3`) runs pre-commit's pygrep
//! logic with Python's `re` against the `pygrep` built-in on probe lines:
//! the steps the conversion writes for the pygrep-hooks ids (including the
//! three look-around patterns it rewrites) and a set of translated
//! spellings, with every flag combination; the output must be identical.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{TestContext, pin_env, show, stderr, stdout};

/// The tools both sides run: pre-commit itself, the reference of the
/// built-ins, and the versions the corpus configs pin (one version where
/// they pin several).
const TOOLS: &[&str] = &[
    "pre-commit==4.7.0",
    "pre-commit-hooks==6.0.0",
    "ruff==0.15.6",
    "codespell==2.4.2",
    "interrogate==1.7.0",
    "validate-pyproject[all]==0.25",
    "mypy==2.4.0",
    "pyupgrade==3.22.0",
    "autoflake==2.3.1",
    "blacken-docs==1.20.0",
    "black==24.2.0",
    "yamllint==1.38.0",
    "mdformat==1.0.0",
    "pyproject-fmt==2.30.1",
    "restructuredtext-lint==1.4.0",
    "pygments==2.19.2",
];

/// The manifest entries of the hooks the corpus configs use, as their
/// repositories' `.pre-commit-hooks.yaml` declare them (pre-commit-hooks
/// v6.0.0 and pygrep-hooks v1.10.0 as published; the tool mirrors at the
/// revs the configs pin).
const MANIFESTS: &str = r#"
pre-commit/pre-commit-hooks:
- {id: check-ast, entry: check-ast, language: python, types: [python]}
- {id: check-builtin-literals, entry: check-builtin-literals, language: python, types: [python]}
- {id: check-case-conflict, entry: check-case-conflict, language: python}
- {id: check-docstring-first, entry: check-docstring-first, language: python, types: [python]}
- {id: check-executables-have-shebangs, entry: check-executables-have-shebangs, language: python, types: [text, executable], stages: [commit, push, manual]}
- {id: check-json, entry: check-json, language: python, types: [json]}
- {id: check-merge-conflict, entry: check-merge-conflict, language: python, types: [text]}
- {id: check-shebang-scripts-are-executable, entry: check-shebang-scripts-are-executable, language: python, types: [text], stages: [commit, push, manual]}
- {id: check-toml, entry: check-toml, language: python, types: [toml]}
- {id: check-yaml, entry: check-yaml, language: python, types: [yaml]}
- {id: debug-statements, entry: debug-statement-hook, language: python, types: [python]}
- {id: end-of-file-fixer, entry: end-of-file-fixer, language: python, types: [text], stages: [commit, push, manual]}
- {id: file-contents-sorter, entry: file-contents-sorter, language: python, files: '^$'}
- {id: fix-byte-order-marker, entry: fix-byte-order-marker, language: python, types: [text]}
- {id: mixed-line-ending, entry: mixed-line-ending, language: python, types: [text]}
- {id: no-commit-to-branch, entry: no-commit-to-branch, language: python, pass_filenames: false, always_run: true}
- {id: trailing-whitespace, entry: trailing-whitespace-fixer, language: python, types: [text], stages: [commit, push, manual]}
pre-commit/pygrep-hooks:
- {id: rst-backticks, entry: '^(?!    ).*(^| )`[^`]+`([^_]|$)', language: pygrep, types: [rst]}
astral-sh/ruff-pre-commit:
- {id: ruff-check, entry: ruff check --force-exclude, language: python, types_or: [python, pyi, jupyter], args: [], require_serial: true}
- {id: ruff, entry: ruff check --force-exclude, language: python, types_or: [python, pyi, jupyter], args: [], require_serial: true}
- {id: ruff-format, entry: ruff format --force-exclude, language: python, types_or: [python, pyi, jupyter], args: [], require_serial: true}
econchick/interrogate:
- {id: interrogate, entry: interrogate, language: python, types: [python], require_serial: true}
codespell-project/codespell:
- {id: codespell, entry: codespell, language: python, types: [text]}
abravalheri/validate-pyproject:
- {id: validate-pyproject, entry: validate-pyproject, language: python, files: pyproject.toml}
pre-commit/mirrors-mypy:
- {id: mypy, entry: mypy, language: python, types_or: [python, pyi], args: [--ignore-missing-imports, --scroll-output], require_serial: true}
tox-dev/pyproject-fmt:
- {id: pyproject-fmt, entry: pyproject-fmt, language: python, files: '(^|/)pyproject\.toml$'}
pycqa/autoflake:
- {id: autoflake, entry: autoflake, language: python, types: [python], require_serial: true, args: [--in-place, --expand-star-imports, --remove-duplicate-keys, --remove-unused-variables]}
asottile/pyupgrade:
- {id: pyupgrade, entry: pyupgrade, language: python, types_or: [python, pyi]}
asottile/blacken-docs:
- {id: blacken-docs, entry: blacken-docs, language: python, files: '\.(rst|md|markdown|py|tex)$'}
adrienverge/yamllint:
- {id: yamllint, entry: yamllint, language: python, types: [file, yaml]}
executablebooks/mdformat:
- {id: mdformat, entry: mdformat, language: python, types: [markdown]}
"#;

/// The config rewritten for pre-commit without network: argv[1] the
/// original, argv[2] the manifests, argv[3] JSON `[[url, id, step], …]` of
/// the converted hooks, argv[4] the output.
const LOCALIZE: &str = r#"
import json, sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
manifests = yaml.safe_load(open(sys.argv[2]))
converted = json.loads(open(sys.argv[3]).read())
def key(url):
    url = url.rstrip('/')
    if url.endswith('.git'):
        url = url[:-4]
    return '/'.join(url.split('/')[-2:]).lower()
hooks = []
for repo in config['repos']:
    url = repo['repo']
    for hook in repo['hooks']:
        step = [s for u, i, s in converted if u == url and i == hook['id']]
        if not step:
            continue
        if url == 'local':
            h = dict(hook)
        else:
            [m] = [m for m in manifests[key(url)] if m['id'] == hook['id']]
            h = {**m, **hook}
        h.pop('additional_dependencies', None)
        h.pop('language_version', None)
        if h['language'] == 'python':
            h['language'] = 'system'
        h['name'] = step.pop(0)
        converted = [c for c in converted if not (c[0] == url and c[1] == hook['id'] and c[2] == h['name'])]
        hooks.append(h)
out = {k: v for k, v in config.items() if k not in ('repos', 'ci')}
out['repos'] = [{'repo': 'local', 'hooks': hooks}]
yaml.safe_dump(out, open(sys.argv[4], 'w'), sort_keys=False)
"#;

/// The corpus fetch.sh made, or a failure saying how to make it.
fn corpus() -> PathBuf {
    crate::common::corpus_cache(&[
        "pre-commit-configs/attrs.yaml",
        "pre-commit-configs/codespell.yaml",
        "pre-commit-configs/pluggy.yaml",
        "pre-commit-configs/structlog.yaml",
        "pre-commit-configs/iniconfig.yaml",
        "pre-commit-configs/python-dotenv.yaml",
        "work/attrs/.git",
        "work/codespell/.git",
    ])
}

/// The venv of [`TOOLS`], made once under the target directory.
fn tools() -> PathBuf {
    crate::common::pinned_venv("migrate-roundtrip", TOOLS)
}

/// A directory with only what both sides may run besides the venv: git and
/// sh (so that no `uv` on the machine turns `run` steps into `uv run`).
fn system_bin(base: &Path) -> PathBuf {
    let bin = base.join("system-bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["git", "sh"] {
        let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .map(|d| d.join(tool))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("{tool} is not on PATH"));
        std::os::unix::fs::symlink(found, bin.join(tool)).unwrap();
    }
    bin
}

fn run(cmd: &mut Command, home: &Path, path: &str) -> Output {
    pin_env(cmd, home);
    cmd.env("PATH", path)
        .env_remove("VIRTUAL_ENV")
        .env_remove("PRE_COMMIT")
        .env("PRE_COMMIT_HOME", home.join("pre-commit-cache"))
        .output()
        .expect("spawn")
}

fn clone(from: &Path, to: &Path, home: &Path, path: &str) {
    let out = run(
        Command::new("git")
            .args(["clone", "-q", "--no-hardlinks"])
            .arg(from)
            .arg(to),
        home,
        path,
    );
    assert!(out.status.success(), "git clone: {}", show(&out));
    std::fs::copy(from.join(".git/info/exclude"), to.join(".git/info/exclude")).unwrap();
}

fn edit(root: &Path, rel: &str, f: impl FnOnce(Vec<u8>) -> Vec<u8>) {
    let path = root.join(rel);
    let old = std::fs::read(&path).unwrap_or_default();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(&path, f(old)).unwrap();
}

/// The same realistic changes on either side: staged, plus one unstaged
/// edit of a tracked file.
fn change(root: &Path, home: &Path, path: &str) {
    let py = if root.join("src/attr/_config.py").exists() {
        "src/attr/_config.py"
    } else {
        "codespell_lib/_spellchecker.py"
    };
    edit(root, py, |mut b| {
        // An unused import (ruff F401, fixed by --fix), a line ruff format
        // rewrites, trailing whitespace.
        let mut head = b"import os  \n".to_vec();
        head.append(&mut b);
        head.extend_from_slice(b"\nx = {  'a':1 }   \n");
        head
    });
    edit(root, "README.md", |mut b| {
        // A typo for codespell, trailing whitespace, no final newline.
        b.extend_from_slice(b"\nThis is teh end.   \nlast line");
        b
    });
    edit(root, "conf/broken.yaml", |_| b"a: [1, 2\nb: c\n".to_vec());
    edit(root, "conf/dup.yaml", |_| b"a: 1\na: 2\n".to_vec());
    edit(root, "conf/broken.toml", |_| b"a = = 1\n".to_vec());
    edit(root, "conf/data.json", |_| {
        b"{\"a\": 1, \"a\": 2}\n".to_vec()
    });
    edit(root, "conf/notes.txt", |_| {
        b"<<<<<<< HEAD\nmine\n=======\ntheirs\n>>>>>>> other\n".to_vec()
    });
    edit(root, "conf/crlf.txt", |_| b"one\r\ntwo\nthree\r\n".to_vec());
    edit(root, "docs/single.rst", |_| {
        b"Use `code` here.\n\n    `indented` literal\n   `three` spaces\nOK ``double``.\n".to_vec()
    });
    edit(root, "data/big.bin", |_| {
        (0..600_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect()
    });
    let out = run(
        Command::new("git").arg("-C").arg(root).args(["add", "-A"]),
        home,
        path,
    );
    assert!(out.status.success(), "git add: {}", show(&out));
    edit(root, "LICENSE", |mut b| {
        b.extend_from_slice(b"\nan unstaged edit\n");
        b
    });
}

/// Every file's bytes outside `.git` and the tools' caches.
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            if matches!(
                name.as_str(),
                ".git" | ".mypy_cache" | ".ruff_cache" | "__pycache__" | ".pytest_cache"
            ) {
                continue;
            }
            let path = entry.path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                walk(root, &path, out);
            } else if kind.is_symlink() {
                out.insert(
                    rel,
                    std::fs::read_link(&path)
                        .unwrap()
                        .into_os_string()
                        .into_encoded_bytes(),
                );
            } else {
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// pre-commit's `name....Passed` lines: step name → passed/failed/skipped.
fn precommit_statuses(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        for (suffix, status) in [
            ("Passed", "passed"),
            ("Failed", "failed"),
            ("Skipped", "skipped"),
        ] {
            let Some(head) = line.strip_suffix(suffix) else {
                continue;
            };
            let head = head
                .strip_suffix("(no files to check)")
                .unwrap_or(head)
                .trim_end_matches('.');
            if !head.is_empty() && head.len() + 3 <= line.len() {
                out.insert(head.to_string(), status.to_string());
            }
        }
    }
    out
}

/// `init --from-pre-commit` of `config`: the TOML and `[url, id, step]`
/// of each converted hook.
fn convert(config: &Path) -> (String, Vec<(String, String, String)>) {
    let ctx = TestContext::new();
    std::fs::copy(config, ctx.root.join(".pre-commit-config.yaml")).unwrap();
    let out = ctx.run(["init", "--from-pre-commit"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", show(&out));
    let mut converted = Vec::new();
    for line in stderr(&out).lines() {
        let Some((hook, step)) = line.trim_start().split_once(" -> step ") else {
            continue;
        };
        let hook = hook.rsplit_once(" (line ").unwrap().0;
        let (url, id) = hook.rsplit_once(' ').unwrap();
        converted.push((
            url.to_string(),
            id.to_string(),
            step.trim_matches('"').to_string(),
        ));
    }
    let toml = String::from_utf8(ctx.read("hephaestus.toml")).unwrap();
    (toml, converted)
}

/// One config on one project: both sides, compared.
fn round_trip(corpus: &Path, venv: &Path, name: &str, project: &str) -> usize {
    let config = corpus.join(format!("pre-commit-configs/{name}.yaml"));
    let (toml, converted) = convert(&config);
    assert!(!converted.is_empty(), "{name}: nothing converted");

    let ctx = TestContext::new();
    let path = format!(
        "{}:{}",
        venv.join("bin").display(),
        system_bin(&ctx.base).display()
    );
    let theirs = ctx.base.join("pre-commit");
    let ours = ctx.base.join("hephaestus");
    let source = corpus.join("work").join(project);
    clone(&source, &theirs, &ctx.home, &path);
    clone(&source, &ours, &ctx.home, &path);
    // Same name, same content in both clones' parents.
    let manifests = ctx.base.join("manifests.yaml");
    std::fs::write(&manifests, MANIFESTS).unwrap();
    let list = ctx.base.join("converted.json");
    std::fs::write(
        &list,
        serde_json::to_string(
            &converted
                .iter()
                .map(|(u, i, s)| [u, i, s])
                .collect::<Vec<_>>(),
        )
        .unwrap(),
    )
    .unwrap();
    let local = ctx.base.join("local-pre-commit-config.yaml");
    let out = run(
        Command::new(venv.join("bin/python"))
            .args(["-c", LOCALIZE])
            .arg(&config)
            .arg(&manifests)
            .arg(&list)
            .arg(&local),
        &ctx.home,
        &path,
    );
    assert!(
        out.status.success(),
        "{name}: rewriting the config: {}",
        show(&out)
    );
    let heph_toml = ctx.base.join("hephaestus.toml");
    std::fs::write(&heph_toml, &toml).unwrap();

    change(&theirs, &ctx.home, &path);
    change(&ours, &ctx.home, &path);
    assert_eq!(
        files(&theirs),
        files(&ours),
        "{name}: the clones differ before the run"
    );

    let pc = run(
        Command::new(venv.join("bin/pre-commit"))
            .current_dir(&theirs)
            .args(["run", "--color", "never", "--config"])
            .arg(&local),
        &ctx.home,
        &path,
    );
    let heph = run(
        Command::new(env!("CARGO_BIN_EXE_hephaestus"))
            .current_dir(&ours)
            .arg("--config")
            .arg(&heph_toml)
            .args(["hook", "run", "pre-commit", "--format", "json"]),
        &ctx.home,
        &path,
    );
    let context = || {
        format!(
            "{name} on {project}\n--- pre-commit config:\n{}\n--- pre-commit:\n{}\n--- hephaestus.toml:\n{toml}\n--- hephaestus:\n{}",
            std::fs::read_to_string(&local).unwrap(),
            show(&pc),
            show(&heph)
        )
    };
    assert!(
        !stdout(&pc).contains("An unexpected error") && pc.status.code().is_some_and(|c| c <= 1),
        "pre-commit did not run: {}",
        context()
    );
    let theirs_status = precommit_statuses(&stdout(&pc));
    let report: serde_json::Value = serde_json::from_str(&stdout(&heph))
        .unwrap_or_else(|e| panic!("hephaestus JSON: {e}\n{}", context()));
    let mut ours_status: BTreeMap<String, String> = BTreeMap::new();
    for s in report["steps"].as_array().unwrap() {
        let step = s["name"].as_str().unwrap().to_string();
        let status = s["status"].as_str().unwrap().to_string();
        if converted.iter().any(|(_, _, c)| *c == step) {
            ours_status.insert(step, status);
        } else {
            // The built-in scoped cleanup heads every pipeline; on these
            // changes it must find nothing to do.
            assert!(
                status == "passed" && s["modified_files"].as_array().unwrap().is_empty(),
                "{name}: step {step} is not from the config and did something\n{}",
                context()
            );
        }
    }
    assert_eq!(
        theirs_status.len(),
        converted.len(),
        "pre-commit ran another set of hooks: {theirs_status:?}\n{}",
        context()
    );
    assert_eq!(theirs_status, ours_status, "per hook\n{}", context());
    assert_eq!(
        pc.status.code(),
        heph.status.code(),
        "exit codes\n{}",
        context()
    );
    let (a, b) = (files(&theirs), files(&ours));
    for (rel, bytes) in &a {
        assert!(
            b.get(rel) == Some(bytes),
            "{rel} differs after the run (pre-commit {} bytes, hephaestus {:?} bytes)\n{}",
            bytes.len(),
            b.get(rel).map(Vec::len),
            context()
        );
    }
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "file lists\n{}",
        context()
    );
    let index = |root: &Path| {
        let out = run(
            Command::new("git")
                .arg("-C")
                .arg(root)
                .args(["ls-files", "-s"]),
            &ctx.home,
            &path,
        );
        stdout(&out)
    };
    assert_eq!(index(&theirs), index(&ours), "the index\n{}", context());
    // Something must have happened, or the comparison proves little.
    assert!(
        theirs_status.values().any(|s| s == "failed"),
        "{name}: no hook failed on the changes\n{}",
        context()
    );
    eprintln!("{name} on {project}: {theirs_status:?}");
    converted.len()
}

#[test]
#[ignore = "needs the corpus (tests/corpus/fetch.sh) and PyPI; bash .ci/run runs it"]
fn converted_configs_pass_and_fail_and_fix_as_pre_commit_does() {
    let corpus = corpus();
    let venv = tools();
    let mut hooks = 0;
    for (name, project) in [
        ("attrs", "attrs"),
        ("codespell", "codespell"),
        ("structlog", "attrs"),
        ("iniconfig", "attrs"),
        ("pluggy", "attrs"),
        ("python-dotenv", "attrs"),
    ] {
        hooks += round_trip(&corpus, &venv, name, project);
    }
    assert!(hooks >= 40, "only {hooks} hooks compared");
}

/// pre-commit's `pre_commit/languages/pygrep.py` `main` (4.x), trimmed to
/// what the comparison needs: argv[1:] are the flags, the pattern, the
/// files.
const PYGREP: &str = r#"
import argparse, re, sys
def by_line(p, f):
    r = 0
    with open(f, 'rb') as fh:
        for n, line in enumerate(fh, start=1):
            if p.search(line):
                r = 1
                sys.stdout.buffer.write(f'{f}:{n}:'.encode() + line.rstrip(b'\r\n') + b'\n')
    return r
def at_once(p, f):
    c = open(f, 'rb').read()
    m = p.search(c)
    if not m:
        return 0
    n = c[:m.start()].count(b'\n')
    parts = m[0].split(b'\n')
    parts[0] = c.split(b'\n')[n]
    sys.stdout.buffer.write(f'{f}:{n + 1}:'.encode() + b'\n'.join(parts) + b'\n')
    return 1
def by_line_negated(p, f):
    with open(f, 'rb') as fh:
        for line in fh:
            if p.search(line):
                return 0
    print(f)
    return 1
def at_once_negated(p, f):
    if p.search(open(f, 'rb').read()):
        return 0
    print(f)
    return 1
a = argparse.ArgumentParser()
a.add_argument('-i', '--ignore-case', action='store_true')
a.add_argument('--multiline', action='store_true')
a.add_argument('--negate', action='store_true')
a.add_argument('pattern')
a.add_argument('filenames', nargs='*')
args = a.parse_args()
flags = re.IGNORECASE if args.ignore_case else 0
if args.multiline:
    flags |= re.MULTILINE | re.DOTALL
p = re.compile(args.pattern.encode(), flags)
fn = {(True, True): at_once_negated, (True, False): at_once,
      (False, True): by_line_negated, (False, False): by_line}[(args.multiline, args.negate)]
r = 0
for f in args.filenames:
    r |= fn(p, f)
sys.stdout.flush()
sys.exit(r)
"#;

/// pygrep-hooks v1.10.0's hooks: id and `entry`, as its
/// `.pre-commit-hooks.yaml` has them.
const PYGREP_HOOKS: &[(&str, &str)] = &[
    ("python-check-blanket-noqa", "(?i)# noqa(?!: )"),
    (
        "python-check-blanket-type-ignore",
        r"# type:? *ignore(?!\[|\w)",
    ),
    (
        "python-check-mock-methods",
        "(?x)(assert .*\\.(not_called|called_)|(?<!\\bMock)\\.assert_called)",
    ),
    ("python-no-eval", r"\beval\("),
    ("python-no-log-warn", r"(?<!warnings)\.warn\("),
    (
        "python-use-type-annotations",
        r"# type(?!: *ignore([^a-zA-Z0-9]|$))",
    ),
    ("rst-backticks", r"^(?!    ).*(^| )`[^`]+`([^_]|$)"),
    ("rst-directive-colons", r"^\s*\.\. [a-z]+(| | :):$"),
    ("rst-inline-touching-normal", r"\w``\w"),
    ("text-unicode-replacement-char", "\u{FFFD}"),
];

/// Lines for the pygrep comparison: pygrep-hooks' own test strings for
/// the hooks with rewritten patterns, and the corners of the rewrites and
/// the translation.
const PROBES: &[&str] = &[
    "# noqa",
    "# NOQA",
    "# noqa:F401",
    "# noqa:F401,W203",
    "# noqa: F401",
    "# noqa: F401, W203",
    "x = 1  # noqa:",
    "x = 1  # noqa: ",
    "x = 1  # type: ignore",
    "x = 1  # type ignore",
    "x = 1  # type:ignore",
    "x = 1  # type ignore  # noqa",
    "x = 1  # type: ignore[attr-defined]",
    "x = 1  # type: ignore[type-mismatch]  # noqa",
    "x = 1  # type: Union[int, str]",
    "x = 1  # type: ignoreme",
    "`[code]`",
    "i like `_kitty`",
    "i like `_`",
    "`a`",
    " `indented` literal block",
    "> quoted `literal` block",
    " ``[code]``",
    "i like _`kitty`",
    "i like `kitty`_",
    "``b``",
    "    indented `literal` block",
    "    `four`",
    "   `three`",
    "  `two`",
    "   x `three then text`",
    "    x `four then text`",
    "\tx `tab`",
    "end with `tick`",
    "eval(\"3 + 4\")",
    "literal_eval(\"{1: 2}\")",
    ".. warning:",
    "    .. warning ::",
    ".. code:: python",
    "``inline``normal",
    "normal ``inline`` normal",
    "caf\u{e9} \u{FFFD} ABC abc_123",
    "a{b} a{2} aa {,2}",
    "tab\there",
    "crlf line\r",
    "",
];

#[test]
fn pygrep_matches_what_pre_commits_pygrep_matches() {
    let ctx = TestContext::new();
    let mut text = PROBES.join("\n");
    text.push_str("\nno final newline `x`");
    ctx.write("probe.txt", &text);
    ctx.write("empty.txt", "");
    ctx.write("bytes.bin", b"\xff\xfe eval( \x00\n");
    let files = ["probe.txt", "empty.txt", "bytes.bin"];
    // (flags, the pattern pre-commit runs, the args hephaestus runs)
    let mut cases: Vec<(Vec<String>, String, Vec<String>)> = Vec::new();
    // Every pygrep-hooks hook the conversion converts: pre-commit runs the
    // manifest's entry, hephaestus the step `init --from-pre-commit` wrote.
    let mut yaml = String::from(
        "repos:\n- repo: https://github.com/pre-commit/pygrep-hooks\n  rev: v1.10.0\n  hooks:\n",
    );
    for (id, _) in PYGREP_HOOKS {
        yaml.push_str(&format!("  - id: {id}\n"));
    }
    let conv = TestContext::new();
    conv.write(".pre-commit-config.yaml", &yaml);
    let out = conv.run(["init", "--from-pre-commit"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let written: toml::Table =
        toml::from_str(&String::from_utf8(conv.read("hephaestus.toml")).unwrap()).unwrap();
    let mut converted = Vec::new();
    for step in written["guard-rails"]["steps"].as_array().unwrap() {
        let name = step["name"].as_str().unwrap();
        assert_eq!(step["builtin"].as_str(), Some("pygrep"), "{name}");
        let args: Vec<String> = step["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        let entry = PYGREP_HOOKS.iter().find(|(id, _)| *id == name).unwrap().1;
        converted.push(name.to_string());
        for flags in [vec![], vec!["--negate".to_string()], vec!["-i".to_string()]] {
            let mut ours = flags.clone();
            ours.extend(args.iter().cloned());
            cases.push((flags, entry.to_string(), ours));
        }
    }
    // The three look-around ones rewritten, and the four plain ones.
    for id in [
        "python-check-blanket-noqa",
        "python-check-blanket-type-ignore",
        "rst-backticks",
        "python-no-eval",
        "rst-directive-colons",
        "rst-inline-touching-normal",
        "text-unicode-replacement-char",
    ] {
        assert!(
            converted.iter().any(|c| c == id),
            "{id} not converted: {converted:?}\n{}",
            show(&out)
        );
    }
    for id in [
        "python-check-mock-methods",
        "python-no-log-warn",
        "python-use-type-annotations",
    ] {
        assert!(
            stderr(&out).contains(&format!(
                "not converted: https://github.com/pre-commit/pygrep-hooks {id} (line"
            )),
            "{id}: {}",
            show(&out)
        );
    }
    for p in [
        r"\w+_\d",
        r"(?i)ABC",
        r"a{,2}",
        r"a{b}",
        r"[^\w\s]",
        r"\bx\b",
        r"e$",
        r"e\Z",
        r"^$",
        "caf\u{e9}+",
        "[\u{e9}]",
        r"\x00|\xff",
        r"`.*`",
        r"(?s).",
    ] {
        for flags in [
            &[][..],
            &["--multiline"],
            &["--multiline", "--negate"],
            &["--negate"],
        ] {
            let flags: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
            let mut ours = flags.clone();
            ours.push(p.to_string());
            cases.push((flags, p.to_string(), ours));
        }
    }
    for (flags, theirs, ours) in &cases {
        let reference = Command::new("python3")
            .current_dir(&ctx.root)
            .args(["-c", PYGREP])
            .args(flags)
            .arg(theirs)
            .args(files)
            .output()
            .expect("python3 is needed to run pre-commit's pygrep");
        let mut builtin = vec!["builtin".to_string(), "pygrep".to_string()];
        builtin.extend(ours.iter().cloned());
        builtin.extend(files.iter().map(|f| f.to_string()));
        let got = ctx.run(&builtin);
        assert_eq!(
            (got.status.code(), stdout(&got)),
            (reference.status.code(), stdout(&reference)),
            "{flags:?} {theirs:?} (hephaestus runs {ours:?})\n{}",
            show(&got)
        );
    }
}
