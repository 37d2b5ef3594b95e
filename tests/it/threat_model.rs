//! Mitigations from docs/adr/0001-stride-threat-model.md that no feature
//! module pins on its own: hostile file names reach steps as arguments
//! and never as code, and git writes treat names as literal paths.

use crate::common::{TestContext, show};

/// Names a shell or a pathspec would treat specially.
const HOSTILE: &[&str] = &[
    "$(touch pwned-subst).txt",
    "`touch pwned-tick`.txt",
    "x; touch pwned-semi.txt",
    "a b.txt",
    "[ab].txt",
    "*.txt",
    "-n.txt",
    "line\nbreak.txt",
];

#[test]
fn hostile_file_names_reach_steps_as_arguments_never_as_code() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        r#"[guard-rails]
presets = []

[[guard-rails.steps]]
name = "argv"
run = "sh -c 'for f; do printf \"%s\\0\" \"$f\"; done >> ../argv.out' step"
files = ["*.txt"]

[[guard-rails.steps]]
name = "shell"
run = "f() { for x; do printf '%s\\0' \"$x\"; done >> ../shell.out; }; f"
shell = true
files = ["*.txt"]
"#,
    );
    for name in HOSTILE {
        ctx.write(name, "x\n");
    }
    ctx.git(["add", "--", "."]);
    let out = ctx.run(["hook", "run", "pre-commit"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let mut expected: Vec<&[u8]> = HOSTILE.iter().map(|n| n.as_bytes()).collect();
    expected.sort();
    for file in ["argv.out", "shell.out"] {
        let got = std::fs::read(ctx.base.join(file)).unwrap();
        let mut got: Vec<&[u8]> = got.split(|b| *b == 0).filter(|s| !s.is_empty()).collect();
        got.sort();
        assert_eq!(got, expected, "{file}: each name arrives as one argument");
    }
    for entry in std::fs::read_dir(&ctx.root).unwrap() {
        let name = entry.unwrap().file_name();
        assert!(
            !name.to_string_lossy().starts_with("pwned"),
            "a file name was executed: {name:?}"
        );
    }
}

#[test]
fn restage_adds_exactly_the_fixed_path_even_when_it_looks_like_a_glob() {
    let ctx = TestContext::new();
    ctx.write(
        "hephaestus.toml",
        r#"[guard-rails]
presets = []

[[guard-rails.steps]]
name = "fixer"
run = ["sh", "-c", "for f; do echo fixed >> \"$f\"; done", "fix"]
files = ["*.txt"]
fix = true
restage = true
"#,
    );
    ctx.write("[ab].txt", "one\n");
    ctx.git(["add", "--", "hephaestus.toml", "[ab].txt"]);
    // Untracked files a glob `[ab].txt` would match: they must stay untracked.
    ctx.write("a.txt", "untracked\n");
    ctx.write("b.txt", "untracked\n");
    let out = ctx.run(["hook", "run", "pre-commit"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let staged = ctx.git(["diff", "--cached", "--name-only", "-z"]);
    let mut staged: Vec<String> = staged
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    staged.sort();
    assert_eq!(
        staged,
        ["[ab].txt", "hephaestus.toml"],
        "nothing else is staged"
    );
    let blob = ctx.git(["show", ":[ab].txt"]);
    assert_eq!(blob, b"one\nfixed\n", "the fix is staged");
    assert_eq!(ctx.read("a.txt"), b"untracked\n");
}
