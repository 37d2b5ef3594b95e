//! `hephaestus release install` end to end against a real HTTPS server on
//! loopback (tests/it/release_server.rs): downloads, retries, token
//! scoping, manifests, archives, installs. All offline. Sigstore cases are
//! in release_sigstore.rs.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::common::{TestContext, json, show, stderr, stdout};
use crate::release_server::{Reply, TestServer};

const TOKEN: &str = "ghp_testtoken_never_leak_0123456789";
const REPO: &str = "acme/tool";

pub(crate) fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A gzip'd tar; names are written raw so tests can build hostile archives.
/// A link target longer than the header's 100 bytes goes in a GNU
/// long-link record first.
pub(crate) fn targz(entries: &[(&str, &[u8], u32, Option<&str>)]) -> Vec<u8> {
    let enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(enc);
    for (name, data, mode, link) in entries {
        if let Some(link) = link.filter(|l| l.len() > 100) {
            let mut long = tar::Header::new_gnu();
            long.set_entry_type(tar::EntryType::GNULongLink);
            long.set_size(link.len() as u64 + 1);
            let old = long.as_old_mut();
            old.name.fill(0);
            old.name[..13].copy_from_slice(b"././@LongLink");
            long.set_cksum();
            let mut data = link.as_bytes().to_vec();
            data.push(0);
            builder.append(&long, data.as_slice()).expect("long link");
        }
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(if link.is_some() {
            tar::EntryType::Symlink
        } else {
            tar::EntryType::Regular
        });
        h.set_size(data.len() as u64);
        h.set_mode(*mode);
        let old = h.as_old_mut();
        old.name.fill(0);
        old.name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(link) = link {
            let short = &link.as_bytes()[..link.len().min(100)];
            old.linkname.fill(0);
            old.linkname[..short.len()].copy_from_slice(short);
        }
        h.set_cksum();
        builder.append(&h, *data).expect("append");
    }
    builder.into_inner().expect("tar").finish().expect("gzip")
}

pub(crate) const TOOL: &[u8] = b"#!/bin/sh\necho tool 1.0\n";

pub(crate) fn tool_archive() -> Vec<u8> {
    targz(&[
        ("tool-1.0/bin/tool", TOOL, 0o755, None),
        ("tool-1.0/README.md", b"# tool\n", 0o644, None),
    ])
}

pub(crate) struct Fixture {
    pub(crate) ctx: TestContext,
    pub(crate) server: TestServer,
    pub(crate) bin: PathBuf,
    /// `OWNER/REPO` the release is published for.
    pub(crate) repo: &'static str,
    /// The release JSON last published.
    release: std::cell::RefCell<Vec<u8>>,
}

impl Fixture {
    pub(crate) fn new() -> Self {
        Self::for_repo(REPO)
    }

    pub(crate) fn for_repo(repo: &'static str) -> Self {
        let ctx = TestContext::new();
        let bin = ctx.base.join("bin");
        Self {
            ctx,
            server: TestServer::start(),
            bin,
            repo,
            release: std::cell::RefCell::default(),
        }
    }

    /// Publish release `v1.0` (also the latest) with these assets. Each is
    /// served like GitHub: the API asset URL on 127.0.0.1 redirects to
    /// `/dl/N` on localhost. Returns the download paths.
    pub(crate) fn publish(&self, assets: &[(&str, &[u8])]) -> Vec<String> {
        self.publish_with(assets, true)
    }

    /// [`Fixture::publish`], with or without each asset's `size` in the
    /// release JSON.
    pub(crate) fn publish_with(&self, assets: &[(&str, &[u8])], sized: bool) -> Vec<String> {
        let repo = self.repo;
        let mut json_assets = Vec::new();
        let mut paths = Vec::new();
        for (i, (name, body)) in assets.iter().enumerate() {
            let api_path = format!("/repos/{repo}/releases/assets/{i}");
            let dl = format!("/dl/{i}");
            self.server
                .route(&api_path, vec![Reply::Redirect(self.server.other_url(&dl))]);
            self.server.route(&dl, vec![Reply::Ok(body.to_vec())]);
            let mut asset = serde_json::json!({
                "name": name,
                "url": format!("{}{api_path}", self.server.api_url()),
                "browser_download_url": self.server.other_url(&dl),
            });
            if sized {
                asset["size"] = body.len().into();
            }
            json_assets.push(asset);
            paths.push(dl);
        }
        let release = serde_json::json!({
            "tag_name": "v1.0",
            "name": "v1.0",
            "draft": false,
            "prerelease": false,
            "assets": json_assets,
        })
        .to_string()
        .into_bytes();
        *self.release.borrow_mut() = release.clone();
        self.server.route(
            &format!("/repos/{repo}/releases/latest"),
            vec![Reply::Ok(release.clone())],
        );
        self.server.route(
            &format!("/repos/{repo}/releases/tags/v1.0"),
            vec![Reply::Ok(release)],
        );
        paths
    }

    /// Publish the tool archive with a correct SHA256SUMS.
    pub(crate) fn publish_tool(&self) -> Vec<String> {
        let archive = tool_archive();
        let sums = format!("{}  tool-1.0-x86_64-linux.tar.gz\n", sha256(&archive));
        self.publish(&[
            ("tool-1.0-x86_64-linux.tar.gz", &archive),
            ("SHA256SUMS", sums.as_bytes()),
        ])
    }

    pub(crate) fn install(&self, extra: &[&str]) -> Output {
        self.install_cmd(extra)
            .output()
            .map(|out| self.no_token_leak(out))
            .expect("spawn hephaestus")
    }

    /// The `release install` command with the fixture's defaults (a flag
    /// in `extra` replaces its default), not yet run.
    pub(crate) fn install_cmd(&self, extra: &[&str]) -> std::process::Command {
        let api_url = self.server.api_url();
        let ca = self.server.ca_file.display().to_string();
        let bin = self.bin.display().to_string();
        let defaults = [
            ("--repository", self.repo),
            ("--api-url", api_url.as_str()),
            ("--ca-bundle", ca.as_str()),
            ("--bin-dir", bin.as_str()),
            ("--timeout", "2"),
            ("--asset-pattern", "*.tar.gz"),
        ];
        let mut args = vec!["release", "install"];
        for (flag, value) in defaults {
            // A flag the test passes itself replaces the default.
            if !extra.contains(&flag) {
                args.extend([flag, value]);
            }
        }
        args.extend_from_slice(extra);
        let mut cmd = self.ctx.heph();
        cmd.args(&args)
            .env("GITHUB_TOKEN", TOKEN)
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy");
        cmd
    }

    /// `out`, after checking the token appears nowhere in it.
    pub(crate) fn no_token_leak(&self, out: Output) -> Output {
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!all.contains(TOKEN), "the token leaked:\n{}", show(&out));
        out
    }

    pub(crate) fn cache_dir(&self) -> PathBuf {
        self.ctx.home.join(".cache/hephaestus/release")
    }

    pub(crate) fn cached_entries(&self) -> Vec<String> {
        list(&self.cache_dir().join("sha256"))
    }
}

pub(crate) fn list(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn installs_verified_binary_token_only_to_api_host_and_reuses_cache() {
    let f = Fixture::new();
    let paths = f.publish_tool();
    let out = f.install(&["--format", "json", "-v"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let tool = f.bin.join("tool");
    assert_eq!(std::fs::read(&tool).expect("installed"), TOOL);
    let mode = std::fs::metadata(&tool).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o755);
    assert_eq!(list(&f.bin), vec!["tool"], "no temp files left in bin dir");
    let report = json(&out);
    assert_eq!(report["asset"], "tool-1.0-x86_64-linux.tar.gz");
    assert_eq!(report["cached"], false);
    assert_eq!(report["verification"]["checksum"]["manifest"], "SHA256SUMS");
    assert_eq!(report["sha256"], sha256(&tool_archive()));

    // Token: present on every API-host request, absent on the other host.
    let requests = f.server.requests();
    let api_host = format!("127.0.0.1:{}", f.server.port);
    let api: Vec<_> = requests.iter().filter(|r| r.host == api_host).collect();
    let other: Vec<_> = requests.iter().filter(|r| r.host != api_host).collect();
    assert!(!api.is_empty() && !other.is_empty(), "{requests:?}");
    for r in &api {
        assert_eq!(
            r.authorization.as_deref(),
            Some(format!("Bearer {TOKEN}").as_str()),
            "{r:?}"
        );
    }
    for r in &other {
        assert_eq!(r.authorization, None, "token sent to {}: {r:?}", r.host);
    }
    let asset_api = requests
        .iter()
        .find(|r| r.path == format!("/repos/{REPO}/releases/assets/0"))
        .expect("asset API request");
    assert_eq!(
        asset_api.accept.as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(f.server.count(&paths[0]), 1);

    // Second install: from the cache, not downloaded again.
    std::fs::remove_file(&tool).expect("rm");
    let again = f.install(&["--format", "json"]);
    assert_eq!(again.status.code(), Some(0), "{}", show(&again));
    assert_eq!(json(&again)["cached"], true);
    assert_eq!(
        f.server.count(&paths[0]),
        1,
        "the asset was downloaded twice"
    );
    assert_eq!(std::fs::read(&tool).expect("reinstalled"), TOOL);
    assert_eq!(f.cached_entries(), vec![sha256(&tool_archive())]);
}

#[test]
fn retries_5xx_and_429_with_retry_after() {
    let f = Fixture::new();
    let paths = f.publish_tool();
    let latest = format!("/repos/{REPO}/releases/latest");
    let body = f.release.borrow().clone();
    f.server.route(
        &latest,
        vec![Reply::TooMany { retry_after: 1 }, Reply::Ok(body)],
    );
    let archive = tool_archive();
    f.server.route(
        &paths[0],
        vec![Reply::Status(503), Reply::Status(500), Reply::Ok(archive)],
    );
    let out = f.install(&["--max-retries", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(f.server.count(&latest), 2);
    assert_eq!(f.server.count(&paths[0]), 3);
    let err = stderr(&out);
    assert!(err.contains("HTTP 429; retrying in 1.0s"), "{}", show(&out));
    assert!(err.contains("HTTP 503"), "{}", show(&out));
    assert!(f.bin.join("tool").is_file());
}

#[test]
fn body_cut_short_and_timeouts_are_retried() {
    let f = Fixture::new();
    let paths = f.publish_tool();
    let archive = tool_archive();
    f.server.route(
        &paths[0],
        vec![
            Reply::Truncated {
                body: archive.clone(),
                sent: archive.len() / 2,
            },
            Reply::Hang(Duration::from_secs(4)),
            Reply::Ok(archive),
        ],
    );
    let out = f.install(&["--timeout", "1", "--max-retries", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(f.server.count(&paths[0]), 3, "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains("cut short"), "{}", show(&out));
    assert!(f.bin.join("tool").is_file());
}

#[test]
fn gives_up_after_max_retries_leaving_nothing() {
    let f = Fixture::new();
    let paths = f.publish_tool();
    f.server.route(&paths[0], vec![Reply::Status(502)]);
    let out = f.install(&["--max-retries", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains("gave up after 2 attempts"),
        "{}",
        show(&out)
    );
    assert_eq!(f.server.count(&paths[0]), 2);
    assert!(!f.bin.exists());
    assert!(f.cached_entries().is_empty());
    assert!(
        list(&f.cache_dir().join("tmp")).is_empty(),
        "partial download left"
    );
}

#[test]
fn wrong_checksum_fails_closed() {
    let f = Fixture::new();
    let archive = tool_archive();
    let sums = format!(
        "{}  tool-1.0-x86_64-linux.tar.gz\n",
        sha256(b"something else")
    );
    f.publish(&[
        ("tool-1.0-x86_64-linux.tar.gz", &archive),
        ("SHA256SUMS", sums.as_bytes()),
    ]);
    let out = f.install(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stderr(&out).contains("SHA-256 mismatch"), "{}", show(&out));
    assert!(!f.bin.exists(), "nothing installed");
    assert!(f.cached_entries().is_empty(), "unverified file cached");
    assert!(list(&f.cache_dir().join("tmp")).is_empty());
    // --allow-unsigned does not excuse a mismatch.
    let out = f.install(&["--allow-unsigned"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
}

#[test]
fn missing_manifest_fails_unless_allow_unsigned() {
    let f = Fixture::new();
    let archive = tool_archive();
    let paths = f.publish(&[("tool-1.0-x86_64-linux.tar.gz", &archive)]);
    let out = f.install(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains("no SHA-256 manifest"),
        "{}",
        show(&out)
    );
    assert_eq!(f.server.count(&paths[0]), 0, "downloaded before failing");
    assert!(!f.bin.exists());
    let out = f.install(&["--allow-unsigned"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        stderr(&out).contains("without a checksum"),
        "{}",
        show(&out)
    );
    assert!(f.bin.join("tool").is_file());
}

#[test]
fn conflicting_or_malformed_manifest_is_an_error_with_its_line() {
    let f = Fixture::new();
    let archive = tool_archive();
    let name = "tool-1.0-x86_64-linux.tar.gz";
    let sums = format!(
        "# sums\n{}  {name}\n{}  {name}\n",
        sha256(&archive),
        sha256(b"other")
    );
    let paths = f.publish(&[(name, &archive), ("SHA256SUMS", sums.as_bytes())]);
    let out = f.install(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let err = stderr(&out);
    assert!(
        err.contains("SHA256SUMS line 3: conflicting SHA-256"),
        "{}",
        show(&out)
    );
    assert_eq!(f.server.count(&paths[0]), 0);

    let bad = format!("{}  {name}\nthis is not a checksum\n", sha256(&archive));
    f.server.route(&paths[1], vec![Reply::Ok(bad.into_bytes())]);
    let out = f.install(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains("SHA256SUMS line 2:"),
        "{}",
        show(&out)
    );
    assert!(!f.bin.exists());
}

#[test]
fn hostile_asset_name_is_refused() {
    let f = Fixture::new();
    let body = b"#!/bin/sh\n".to_vec();
    let sums = format!("{}  ../../x\n", sha256(&body));
    let paths = f.publish(&[("../../x", &body), ("SHA256SUMS", sums.as_bytes())]);
    let out = f.install(&["--asset-pattern", "*x", "--allow-unsigned"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains("refusing asset name"),
        "{}",
        show(&out)
    );
    assert_eq!(f.server.count(&paths[0]), 0);
    assert!(!f.ctx.base.join("x").exists() && !f.bin.exists());
}

#[test]
fn archive_escapes_are_refused_and_nothing_is_installed() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "dotdot",
            targz(&[
                ("bin/tool", TOOL, 0o755, None),
                ("../../evil", b"x", 0o644, None),
            ]),
        ),
        (
            "absolute",
            targz(&[
                ("bin/tool", TOOL, 0o755, None),
                ("/tmp/heph-evil", b"x", 0o644, None),
            ]),
        ),
        (
            "symlink",
            targz(&[
                ("bin/tool", TOOL, 0o755, None),
                ("bin/evil", b"", 0o777, Some("../../../evil")),
            ]),
        ),
    ];
    for (what, archive) in cases {
        let f = Fixture::new();
        let name = "tool-1.0-x86_64-linux.tar.gz";
        let sums = format!("{}  {name}\n", sha256(&archive));
        f.publish(&[(name, &archive), ("SHA256SUMS", sums.as_bytes())]);
        let dest = f.ctx.base.join("dest");
        let out = f.install(&["--destination", &dest.display().to_string()]);
        assert_eq!(out.status.code(), Some(1), "{what}: {}", show(&out));
        assert!(
            stderr(&out).contains("refusing member"),
            "{what}: {}",
            show(&out)
        );
        assert!(!f.bin.exists(), "{what}: binary installed");
        assert!(!dest.exists(), "{what}: destination created");
        assert!(!f.ctx.base.join("evil").exists() && !f.ctx.home.join("evil").exists());
        assert_eq!(list(&f.ctx.base), vec!["home", "repo"], "{what}: leftovers");
    }
}

#[test]
fn http_urls_and_redirects_to_http_are_refused() {
    let f = Fixture::new();
    let paths = f.publish_tool();
    let out = f.install(&["--api-url", "http://127.0.0.1:1"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        stderr(&out).contains("refusing plain http://"),
        "{}",
        show(&out)
    );

    f.server.route(
        &format!("/repos/{REPO}/releases/assets/0"),
        vec![Reply::Redirect(format!(
            "http://localhost:{}{}",
            f.server.port, paths[0]
        ))],
    );
    let out = f.install(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains("refusing plain http://"),
        "{}",
        show(&out)
    );
    assert_eq!(f.server.count(&paths[0]), 0);
    assert!(!f.bin.exists());
}

#[test]
fn untrusted_server_certificate_is_refused_and_never_retried() {
    let f = Fixture::new();
    f.publish_tool();
    let out = f
        .ctx
        .heph()
        .args(["release", "install", "--repository", REPO, "--api-url"])
        .arg(f.server.api_url())
        .args(["--max-retries", "3", "--allow-unsigned"])
        .output()
        .expect("spawn");
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        f.server.requests().is_empty(),
        "request sent over untrusted TLS"
    );
    let err = stderr(&out);
    assert!(
        err.contains("TLS: invalid peer certificate"),
        "{}",
        show(&out)
    );
    assert!(err.contains("--ca-bundle"), "the hint names the fix: {err}");
    assert!(
        !err.contains("retrying"),
        "a certificate error was retried: {err}"
    );
    assert_eq!(f.server.connections(), 1, "one handshake, no retries");
}

#[test]
fn dry_run_downloads_nothing() {
    let f = Fixture::new();
    let paths = f.publish_tool();
    let out = f.install(&["--dry-run", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let plan = json(&out);
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["manifest"], "SHA256SUMS");
    assert_eq!(f.server.count(&paths[0]) + f.server.count(&paths[1]), 0);
    assert!(!f.bin.exists());
}

#[test]
fn usage_errors_exit_2() {
    let f = Fixture::new();
    for args in [
        vec!["--allow-unsigned", "--require-sigstore"],
        vec!["--timeout", "soon"],
        vec!["--sigstore-identity", "someone"],
    ] {
        let out = f.install(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", show(&out));
    }
    let out = f
        .ctx
        .run(["release", "install", "--repository", "not-a-repo"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(f.server.requests().is_empty());
}

#[test]
fn wheelhouse_is_pip_installed_as_argv() {
    let f = Fixture::new();
    let archive = targz(&[
        ("wheelhouse/pkg-1.0-py3-none-any.whl", b"wheel", 0o644, None),
        ("wheelhouse/dep-2.0-py3-none-any.whl", b"wheel", 0o644, None),
    ]);
    let name = "proj-1.0-wheelhouse.tar.gz";
    let sums = format!("{}  {name}\n", sha256(&archive));
    f.publish(&[(name, &archive), ("SHA256SUMS", sums.as_bytes())]);
    let log = f.ctx.base.join("pip-argv");
    let python = f.ctx.base.join("fake-python");
    std::fs::write(
        &python,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> '{}'; done\necho pip says hi\n",
            log.display()
        ),
    )
    .expect("fake python");
    std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let out = f.install(&[
        "--asset-pattern",
        "*wheelhouse*",
        "--python",
        &python.display().to_string(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let report = json(&out);
    assert_eq!(
        report["installed"]["wheels"].as_array().map(Vec::len),
        Some(2)
    );
    assert!(
        stderr(&out).contains("pip says hi"),
        "pip output belongs on stderr"
    );
    let argv = std::fs::read_to_string(&log).expect("pip ran");
    let argv: Vec<&str> = argv.lines().collect();
    assert_eq!(
        &argv[..5],
        ["-m", "pip", "install", "--no-index", "--find-links"]
    );
    assert!(argv[5].ends_with("/wheelhouse"), "{argv:?}");
    assert_eq!(argv.len(), 8, "{argv:?}");
    assert!(argv[6..].iter().all(|w| w.ends_with(".whl")), "{argv:?}");

    // pip failing is a failure, and nothing stays behind.
    std::fs::write(&python, "#!/bin/sh\nexit 1\n").expect("failing python");
    let out = f.install(&[
        "--asset-pattern",
        "*wheelhouse*",
        "--python",
        &python.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
}

#[test]
fn a_body_larger_than_the_announced_size_is_refused() {
    let f = Fixture::new();
    let paths = f.publish_tool();
    let mut bigger = tool_archive();
    bigger.extend_from_slice(&[0u8; 4096]);
    f.server.route(&paths[0], vec![Reply::Ok(bigger)]);
    let out = f.install(&["--max-retries", "0"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stderr(&out).contains("too large"), "{}", show(&out));
    assert!(!f.bin.exists() && f.cached_entries().is_empty());
}

#[test]
fn repository_and_settings_come_from_env_and_config() {
    let f = Fixture::new();
    f.publish_tool();
    f.ctx.write(
        "hephaestus.toml",
        format!(
            "[release]\nrepository = \"acme/tool\"\napi_url = \"{}\"\nca_bundle = \"{}\"\nasset_pattern = \"*.tar.gz\"\n",
            f.server.api_url(),
            f.server.ca_file.display()
        ),
    );
    let out = f
        .ctx
        .run(["release", "install", "--dry-run", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(json(&out)["repository"], "acme/tool");
    // The environment beats the config file.
    let out = f
        .ctx
        .heph()
        .args(["release", "install", "--dry-run"])
        .env("HEPHAESTUS_RELEASE_REPOSITORY", "other/repo")
        .output()
        .expect("spawn");
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains("/repos/other/repo/releases/latest"),
        "{}",
        show(&out)
    );
    // Unknown keys are still rejected.
    f.ctx
        .write("hephaestus.toml", "[release]\nallow_unsigned = true\n");
    let out = f.ctx.run(["release", "install", "--dry-run"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
}
