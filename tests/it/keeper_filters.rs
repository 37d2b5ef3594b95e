//! Fixer edits on partially staged files merge with the user's unstaged
//! changes under git's filters as they do without: the merge happens in
//! the work-tree form (CRLF from `core.autocrlf` or `eol=crlf`, a
//! clean/smudge filter), so only real conflicts are conflicts.

use crate::common::keeper::{commit, config, install, step};
use crate::common::{TestContext, show, stderr};

/// Run the scenario with `setup` adding the filter, and the work-tree
/// form of a line given by `wt`.
fn merge_under(setup: impl Fn(&TestContext), wt: impl Fn(&str) -> String) {
    let ctx = TestContext::new();
    setup(&ctx);
    config(
        &ctx,
        &step(
            "fix-first-line",
            "for f in \"$@\"; do sed -i 's/^one/one fixed/' \"$f\"; done",
            "files = [\"*.txt\"]\nfix = true\nrestage = true",
        ),
    );
    let text = |lines: &[&str]| lines.iter().map(|l| wt(l)).collect::<String>();
    ctx.write("notes.txt", text(&["one", "two", "three", "four", "five"]));
    ctx.commit_all("base");
    install(&ctx);
    ctx.write(
        "notes.txt",
        text(&["one", "two", "THREE staged", "four", "five"]),
    );
    ctx.git(["add", "notes.txt"]);
    ctx.write(
        "notes.txt",
        text(&["one", "two", "THREE staged", "four", "five unstaged"]),
    );
    let out = commit(&ctx, &["-q", "-m", "msg"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(!stderr(&out).contains("conflicted"), "{}", show(&out));
    assert_eq!(
        String::from_utf8(ctx.read("notes.txt")).unwrap(),
        text(&["one fixed", "two", "THREE staged", "four", "five unstaged"]),
        "the fix and the unstaged change are both in the work tree"
    );
    let committed = String::from_utf8(ctx.git(["show", "HEAD:notes.txt"])).unwrap();
    assert!(
        committed.contains("one fixed") && committed.contains("THREE staged"),
        "{committed}"
    );
    assert!(!committed.contains("unstaged"), "{committed}");
}

#[test]
fn fixer_edits_merge_under_core_autocrlf() {
    merge_under(
        |ctx| {
            ctx.git(["config", "core.autocrlf", "true"]);
        },
        |l| format!("{l}\r\n"),
    );
}

#[test]
fn fixer_edits_merge_under_eol_crlf() {
    merge_under(
        |ctx| ctx.write(".gitattributes", "*.txt text eol=crlf\n"),
        |l| format!("{l}\r\n"),
    );
}

#[test]
fn fixer_edits_merge_under_a_clean_smudge_filter() {
    merge_under(
        |ctx| {
            ctx.write(".gitattributes", "*.txt filter=mark\n");
            ctx.git(["config", "filter.mark.smudge", "sed -e 's/$/ ;/'"]);
            ctx.git(["config", "filter.mark.clean", "sed -e 's/ ;$//'"]);
        },
        |l| format!("{l} ;\n"),
    );
}
