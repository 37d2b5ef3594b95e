//! `release install` against a hostile or broken server and hostile
//! archives (issue 12, points 6-9), end to end through the loopback HTTPS
//! server with archives built here: link chains out of the archive, a
//! member replaced by a link, decompression bombs, an install that fails
//! halfway, unbounded and trickling downloads, the overall deadline,
//! leftovers of a killed run, credentials and tokens in redirect URLs,
//! and characters that hide or reorder text.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::common::{show, stderr, stdout};
use crate::release::{Fixture, TOOL, list, sha256, targz, tool_archive};
use crate::release_server::Reply;

const NAME: &str = "tool-1.0-x86_64-linux.tar.gz";

/// Publish `archive` as `name` with a correct SHA256SUMS.
fn publish_archive(f: &Fixture, name: &str, archive: &[u8]) -> Vec<String> {
    let sums = format!("{}  {name}\n", sha256(archive));
    f.publish(&[(name, archive), ("SHA256SUMS", sums.as_bytes())])
}

fn zip_archive(entries: &[(&str, &[u8], Option<&str>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data, link) in entries {
        let opts = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
        match link {
            Some(target) => w.add_symlink(*name, *target, opts).expect("symlink"),
            None => {
                w.start_file(*name, opts).expect("start file");
                w.write_all(data).expect("write");
            }
        }
    }
    w.finish().expect("zip").into_inner()
}

/// Entries of the fixture's temp dir that are not the test's own.
fn leftovers(f: &Fixture) -> Vec<String> {
    let mut found = Vec::new();
    for dir in [f.ctx.base.clone(), f.bin.clone(), f.cache_dir().join("tmp")] {
        for name in list(&dir) {
            if name.starts_with(".hephaestus") {
                found.push(format!("{}/{name}", dir.display()));
            }
        }
    }
    found
}

/// `a/l1 -> ..` is harmless as text; a link through `a/l1/` ten times and
/// then `../` twenty times climbs out of the directory once followed. With
/// `tool` listed first as an executable and again as that link, the old
/// installer copied the outside file into the bin dir as a 0755 `tool`.
#[test]
fn a_link_chain_out_of_the_archive_installs_nothing() {
    let f = Fixture::new();
    let secret = f.ctx.base.join("secret");
    std::fs::write(&secret, b"private key").expect("secret");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let rel = secret.to_string_lossy().trim_start_matches('/').to_string();
    let chain = format!("{}{}{rel}", "a/l1/".repeat(10), "../".repeat(20));
    let tar = targz(&[
        ("tool", TOOL, 0o755, None),
        ("a/l1", b"", 0o777, Some("..")),
        ("tool", b"", 0o777, Some(&chain)),
    ]);
    let zip = zip_archive(&[
        ("bin/real", TOOL, None),
        ("a/l1", b"", Some("..")),
        ("tool", b"", Some(&chain)),
    ]);
    for (name, archive) in [(NAME, tar), ("tool-1.0-x86_64-linux.zip", zip)] {
        let f = Fixture::new();
        publish_archive(&f, name, &archive);
        let out = f.install(&["--asset-pattern", name]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", show(&out));
        assert!(
            stderr(&out).contains("points outside the archive"),
            "{name}: {}",
            show(&out)
        );
        assert!(!f.bin.exists(), "{name}: something was installed");
        assert!(leftovers(&f).is_empty(), "{name}: {:?}", leftovers(&f));
    }
    assert_eq!(std::fs::read(&secret).expect("secret"), b"private key");
}

/// A member replaced by a later one is judged by what it finally is: a
/// file that became a link is not an executable to install, and nothing
/// is read through the link.
#[test]
fn a_member_replaced_by_a_link_is_never_installed_from_its_stale_path() {
    let f = Fixture::new();
    let archive = targz(&[
        ("pkg/tool", TOOL, 0o755, None),
        ("pkg/real", b"#!/bin/sh\necho real\n", 0o755, None),
        ("pkg/tool", b"", 0o777, Some("real")),
    ]);
    publish_archive(&f, NAME, &archive);
    let dest = f.ctx.base.join("dest");
    let out = f.install(&["--destination", &dest.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(list(&f.bin), ["real"], "{}", show(&out));
    assert!(dest.join("pkg/tool").is_symlink());
    assert_eq!(
        std::fs::read(f.bin.join("real")).expect("real"),
        b"#!/bin/sh\necho real\n"
    );
}

/// A 64 MiB file of zeros compresses to a few dozen KiB: with a 16 MiB
/// budget (the flag, or `[release] max_size`) it is refused while it
/// unpacks, and nothing stays on disk.
#[test]
fn decompression_bombs_are_refused_within_the_budget() {
    let zeros = vec![0u8; 64 << 20];
    let tar = targz(&[("bin/tool", &zeros, 0o755, None)]);
    let zip = zip_archive(&[("bin/tool", &zeros, None)]);
    assert!(tar.len() < 1 << 20 && zip.len() < 1 << 20);
    for (name, archive, how) in [
        (NAME, &tar, "flag"),
        ("tool-1.0-x86_64-linux.zip", &zip, "flag"),
        (NAME, &tar, "config"),
    ] {
        let f = Fixture::new();
        publish_archive(&f, name, archive);
        let out = if how == "flag" {
            f.install(&["--asset-pattern", name, "--max-size", "16MiB"])
        } else {
            f.ctx
                .write("hephaestus.toml", "[release]\nmax_size = \"16MiB\"\n");
            f.install(&["--asset-pattern", name])
        };
        assert_eq!(out.status.code(), Some(1), "{name} ({how}): {}", show(&out));
        assert!(
            stderr(&out).contains("unpacks to more than 16 MiB (--max-size)"),
            "{name} ({how}): {}",
            show(&out)
        );
        assert!(!f.bin.exists());
        assert!(leftovers(&f).is_empty(), "{:?}", leftovers(&f));
    }
}

/// `tool` installs, then `tool2` cannot (a directory is in the way): the
/// old `tool` and the old destination tree are put back, the message says
/// so, and no temp file or backup remains.
#[test]
fn an_install_that_fails_halfway_is_rolled_back_completely() {
    let f = Fixture::new();
    let archive = targz(&[
        ("pkg/bin/tool", TOOL, 0o755, None),
        ("pkg/bin/tool2", TOOL, 0o755, None),
    ]);
    publish_archive(&f, NAME, &archive);
    std::fs::create_dir_all(f.bin.join("tool2")).expect("tool2 dir");
    std::fs::write(f.bin.join("tool2/keep"), b"x").expect("keep");
    std::fs::write(f.bin.join("tool"), b"old tool").expect("old tool");
    let dest = f.ctx.base.join("dest");
    std::fs::create_dir_all(&dest).expect("dest");
    std::fs::write(dest.join("old"), b"old tree").expect("old tree");
    let out = f.install(&["--destination", &dest.display().to_string()]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains("a directory is in the way"), "{}", show(&out));
    assert!(
        err.contains("every change was rolled back, nothing was installed"),
        "{}",
        show(&out)
    );
    assert_eq!(
        std::fs::read(f.bin.join("tool")).expect("tool"),
        b"old tool"
    );
    assert_eq!(list(&f.bin), ["tool", "tool2"]);
    assert_eq!(list(&dest), ["old"]);
    assert!(stdout(&out).is_empty(), "nothing is reported installed");
    assert!(leftovers(&f).is_empty(), "{:?}", leftovers(&f));
}

/// Without a `size` in the release JSON the download is still bounded by
/// `--max-size`; with one larger than the budget nothing is downloaded.
#[test]
fn downloads_are_bounded_with_or_without_an_announced_size() {
    let f = Fixture::new();
    let archive = tool_archive();
    let sums = format!("{}  {NAME}\n", sha256(&archive));
    let paths = f.publish_with(&[(NAME, &archive), ("SHA256SUMS", sums.as_bytes())], false);
    f.server
        .route(&paths[0], vec![Reply::Endless { max: 64 << 20 }]);
    let out = f.install(&["--max-size", "1MiB", "--max-retries", "0"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains("the response is too large (more than the limit of 1048576 bytes)"),
        "{}",
        show(&out)
    );
    assert!(!f.bin.exists() && f.cached_entries().is_empty());
    assert!(leftovers(&f).is_empty(), "{:?}", leftovers(&f));

    let f = Fixture::new();
    let big = vec![7u8; 2 << 20];
    let paths = publish_archive(&f, NAME, &big);
    let out = f.install(&["--max-size", "1MiB"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains("is 2 MiB, more than the 1 MiB budget"),
        "{}",
        show(&out)
    );
    assert_eq!(f.server.count(&paths[0]), 0, "downloaded anyway");
}

/// A byte every 200 ms never trips a per-read timeout; the body must
/// still average 1 KiB/s over each `--timeout` window.
#[test]
fn a_trickling_body_is_cut_off() {
    let f = Fixture::new();
    let paths = f.publish_tool();
    f.server.route(
        &paths[0],
        vec![Reply::Trickle {
            len: tool_archive().len(),
            every: Duration::from_millis(200),
        }],
    );
    let out = f.install(&["--timeout", "1", "--max-retries", "0"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains("the body is too slow"),
        "{}",
        show(&out)
    );
    assert!(!f.bin.exists());
    assert!(leftovers(&f).is_empty(), "{:?}", leftovers(&f));
}

/// A server that never answers, with a long `--timeout` and many retries:
/// `--deadline` ends it all the same.
#[test]
fn the_overall_deadline_ends_retries_and_waits() {
    let f = Fixture::new();
    let paths = f.publish_tool();
    f.server
        .route(&paths[0], vec![Reply::Hang(Duration::from_secs(60))]);
    let out = f.install(&["--timeout", "30", "--max-retries", "10", "--deadline", "2"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains("the --deadline of 2s passed"),
        "{}",
        show(&out)
    );
    assert_eq!(f.server.count(&paths[0]), 1, "no retry after the deadline");
    assert!(leftovers(&f).is_empty(), "{:?}", leftovers(&f));
}

fn age(path: &Path) {
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    let file = if path.is_dir() {
        std::fs::File::open(path)
    } else {
        std::fs::File::options().write(true).open(path)
    }
    .expect("open to age");
    file.set_modified(hour_ago).expect("set mtime");
}

/// A run killed mid-download (SIGKILL: no cleanup runs) leaves its temp
/// files; the next run removes them once they are stale and unlocked.
#[test]
fn leftovers_of_a_killed_run_are_removed_by_the_next_one() {
    let f = Fixture::new();
    let archive = tool_archive();
    let sums = format!("{}  {NAME}\n", sha256(&archive));
    let paths = f.publish_with(&[(NAME, &archive), ("SHA256SUMS", sums.as_bytes())], false);
    f.server.route(
        &paths[0],
        vec![Reply::Trickle {
            len: 1_000_000,
            every: Duration::from_millis(20),
        }],
    );
    let tmp = f.cache_dir().join("tmp");
    let mut child = f
        .install_cmd(&["--timeout", "30"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let started = std::time::Instant::now();
    let downloading = loop {
        let partial = list(&tmp).into_iter().find(|n| {
            n.starts_with(".hephaestus-tmp-")
                && std::fs::metadata(tmp.join(n)).is_ok_and(|m| m.is_file() && m.len() > 0)
        });
        if let Some(name) = partial {
            break name;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the download never started: {:?}",
            list(&tmp)
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    let left = list(&tmp);
    assert!(left.contains(&downloading), "{left:?}");
    for name in &left {
        age(&tmp.join(name));
    }
    f.server.route(&paths[0], vec![Reply::Ok(tool_archive())]);
    let out = f.install(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        stderr(&out).contains(&format!("Removed {} temp ", left.len())),
        "{}",
        show(&out)
    );
    assert!(list(&tmp).is_empty(), "{:?}", list(&tmp));
    assert_eq!(list(&f.bin), ["tool"]);
}

/// Credentials and signed query strings in a redirect's URL never reach
/// the output, in errors or in `-v` lines.
#[test]
fn redirect_urls_are_redacted_in_every_message() {
    let f = Fixture::new();
    let paths = f.publish_tool();
    let asset_api = format!("/repos/{}/releases/assets/0", f.repo);
    let with_credentials = format!(
        "https://user:hunter2@localhost:{}{}?X-Amz-Signature=sekrit",
        f.server.port, paths[0]
    );
    f.server
        .route(&asset_api, vec![Reply::Redirect(with_credentials)]);
    let out = f.install(&["-v"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        !all.contains("hunter2") && !all.contains("sekrit"),
        "{}",
        show(&out)
    );
    assert!(all.contains("***@localhost"), "{}", show(&out));
    assert_eq!(f.server.count(&paths[0]), 0);

    let signed = format!(
        "https://localhost:{}/gone?X-Amz-Signature=sekrit",
        f.server.port
    );
    f.server.route(&asset_api, vec![Reply::Redirect(signed)]);
    let out = f.install(&["-v", "--max-retries", "0"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!all.contains("sekrit"), "{}", show(&out));
    assert!(all.contains("/gone?…: HTTP 404"), "{}", show(&out));
    assert!(all.contains("redirect 302 to"), "{}", show(&out));
}

/// A right-to-left override (U+202E) in `tool<RLO>zg.rat.tar.gz` makes it
/// display as another name; such names are refused, and shown escaped
/// wherever they appear (terminal escape sequences too).
#[test]
fn hostile_characters_are_escaped_when_shown() {
    let f = Fixture::new();
    let archive = tool_archive();
    let name = "tool\u{202e}zg.rat.tar.gz";
    publish_archive(&f, name, &archive);
    let out = f.install(&["--asset-pattern", "tool*"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains("tool\\u{202e}zg.rat.tar.gz"), "{}", show(&out));
    assert!(!err.contains('\u{202e}'), "shown raw: {}", show(&out));

    let out = f.install(&["--asset-pattern", "nothing-matches"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let err = stderr(&out);
    assert!(
        err.contains("\\u{202e}") && !err.contains('\u{202e}'),
        "{err}"
    );

    let f = Fixture::new();
    let archive = targz(&[("bin/to\u{1b}[2Jol", TOOL, 0o755, None)]);
    publish_archive(&f, NAME, &archive);
    let out = f.install(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains("to\\u{1b}[2Jol"), "{}", show(&out));
    assert!(
        !err.contains('\u{1b}'),
        "an escape sequence reached the terminal"
    );
}
