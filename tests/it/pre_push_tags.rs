//! Pushing tags through the installed pre-push hook: annotated and
//! lightweight tags, `--follow-tags`, tag deletion and tags of trees and
//! blobs all go through, and the steps get the files of the commits the
//! push sends (none when it sends no commit).

use crate::common::keeper::{config, install, step};
use crate::common::{TestContext, show};

fn push(ctx: &TestContext, args: &[&str]) -> Vec<String> {
    let record = ctx.base.join("pushed.txt");
    let _ = std::fs::remove_file(&record);
    let out = ctx.git_cmd().arg("push").args(args).output().unwrap();
    assert!(out.status.success(), "git push {args:?}: {}", show(&out));
    let mut files: Vec<String> = std::fs::read_to_string(&record)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    files.sort();
    files
}

#[test]
fn pushing_tags_checks_the_files_of_the_commits_pushed() {
    let ctx = TestContext::new();
    ctx.add_bare_origin();
    config(
        &ctx,
        &step(
            "record",
            "printf '%s\\n' \"$@\" >> ../pushed.txt",
            "stages = [\"pre-push\"]",
        ),
    );
    ctx.write("a.txt", "a\n");
    ctx.commit_all("root");
    install(&ctx);
    assert_eq!(
        push(&ctx, &["-q", "origin", "main"]),
        vec!["a.txt", "hephaestus.toml"]
    );

    // A new annotated tag on a new commit: that commit's files.
    ctx.write("t.txt", "tagged\n");
    ctx.commit_all("for v1");
    ctx.git(["tag", "-a", "v1", "-m", "version 1"]);
    assert_eq!(push(&ctx, &["-q", "origin", "v1"]), vec!["t.txt"]);

    // The branch catches up: what changed since the remote's main.
    assert_eq!(push(&ctx, &["-q", "origin", "main"]), vec!["t.txt"]);

    // A lightweight tag of a pushed commit sends no commit.
    ctx.git(["tag", "light"]);
    assert_eq!(push(&ctx, &["-q", "origin", "light"]), Vec::<String>::new());

    // --follow-tags: the branch's new commit and its annotated tag.
    ctx.write("u.txt", "u\n");
    ctx.commit_all("for v2");
    ctx.git(["tag", "-a", "v2", "-m", "version 2"]);
    assert_eq!(
        push(&ctx, &["-q", "--follow-tags", "origin", "main"]),
        vec!["u.txt"]
    );

    // Moving an annotated tag to a new commit: what changed since the
    // commit it named on the remote.
    ctx.write("w.txt", "w\n");
    ctx.commit_all("for v1 again");
    ctx.git(["tag", "-f", "-a", "v1", "-m", "version 1, moved"]);
    assert_eq!(
        push(&ctx, &["-q", "-f", "origin", "v1"]),
        vec!["u.txt", "w.txt"]
    );

    // Tags of a tree and of a blob send no commit.
    let tree = String::from_utf8(ctx.git(["rev-parse", "HEAD^{tree}"])).unwrap();
    ctx.git(["tag", "-a", "tree-tag", "-m", "a tree", tree.trim()]);
    let blob = String::from_utf8(ctx.git(["rev-parse", "HEAD:a.txt"])).unwrap();
    ctx.git(["tag", "blob-tag", blob.trim()]);
    assert_eq!(
        push(&ctx, &["-q", "origin", "tree-tag", "blob-tag"]),
        Vec::<String>::new()
    );

    // Deleting tags.
    assert_eq!(
        push(&ctx, &["-q", "--delete", "origin", "v1", "light"]),
        Vec::<String>::new()
    );
}
