//! Sigstore, end to end: installs of a corpus artifact with its real
//! bundle through the loopback server, and every case of the corpus
//! (tests/data/sigstore/cases.json; provenance and licence in the README
//! beside it) through the library API and through `hephaestus release
//! verify`. Each case is reported by name.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::json;
use crate::common::{TestContext, show, stderr};
use crate::release::{Fixture, sha256};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sigstore");
const BEACON: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

fn corpus(rel: &str) -> PathBuf {
    Path::new(CORPUS).join(rel)
}

/// Publish conformance/a.txt with a bundle and a correct SHA256SUMS.
fn publish_signed(f: &Fixture, bundle: &str) -> Vec<String> {
    let artifact = std::fs::read(corpus("conformance/a.txt")).expect("a.txt");
    let bundle = std::fs::read(corpus(bundle)).expect("bundle");
    let sums = format!("{}  a.txt\n", sha256(&artifact));
    f.publish(&[
        ("a.txt", &artifact),
        ("a.txt.sigstore.json", &bundle),
        ("SHA256SUMS", sums.as_bytes()),
    ])
}

fn signed_install(f: &Fixture, identity: &str, issuer: &str) -> Output {
    let root = corpus("trusted_root/production.json").display().to_string();
    f.install(&[
        "--asset-pattern",
        "a.txt",
        "--require-sigstore",
        "--sigstore-identity",
        identity,
        "--sigstore-issuer",
        issuer,
        "--trusted-root",
        &root,
        "--format",
        "json",
    ])
}

#[test]
fn installs_a_sigstore_signed_asset() {
    let f = Fixture::new();
    publish_signed(&f, "conformance/happy-path-v0.3/bundle.sigstore.json");
    let out = signed_install(
        &f,
        "https://github.com/sigstore-conformance/*/.github/workflows/*",
        GITHUB_ISSUER,
    );
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let report = json(&out);
    let sig = &report["verification"]["sigstore"];
    assert_eq!(sig["identity"], BEACON);
    assert_eq!(sig["issuer"], GITHUB_ISSUER);
    assert_eq!(sig["bundle_version"], "0.3");
    // A bare file is installed under the repository's name.
    assert_eq!(
        std::fs::read(f.bin.join("tool")).expect("installed"),
        std::fs::read(corpus("conformance/a.txt")).expect("a.txt")
    );
}

#[test]
fn sigstore_failures_fail_closed() {
    // A bundle that does not verify.
    let f = Fixture::new();
    let paths = publish_signed(
        &f,
        "conformance/signature-mismatch_fail/bundle.sigstore.json",
    );
    let out = signed_install(&f, BEACON, GITHUB_ISSUER);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains("Sigstore verification failed"),
        "{}",
        show(&out)
    );
    assert!(!f.bin.exists() && f.cached_entries().is_empty());
    assert_eq!(f.server.count(&paths[0]), 1);

    // A valid bundle from someone else: the default policy trusts only
    // acme/tool's workflows.
    let f = Fixture::new();
    publish_signed(&f, "conformance/happy-path-v0.3/bundle.sigstore.json");
    let root = corpus("trusted_root/production.json").display().to_string();
    let out = f.install(&["--asset-pattern", "a.txt", "--trusted-root", &root]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains("matches no trusted identity"),
        "{}",
        show(&out)
    );
    assert!(!f.bin.exists());

    // Wrong issuer.
    let out = signed_install(&f, BEACON, "https://accounts.google.com");
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(!f.bin.exists());

    // No bundle but --require-sigstore: fails before the download.
    let f = Fixture::new();
    let paths = f.publish_tool();
    let out = f.install(&["--require-sigstore"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains("Sigstore bundle required"),
        "{}",
        show(&out)
    );
    assert_eq!(f.server.count(&paths[0]), 0);
}

/// The default signer is the repository's release workflow on a tag. The
/// corpus bundle is signed by the beacon repository's own workflow, but
/// another one (`extremely-dangerous-oidc-beacon.yml`) on a branch
/// (`refs/heads/main`): the old default (any workflow, any ref) accepted
/// it; the default now refuses it and says what it expected.
#[test]
fn the_default_signer_is_the_release_workflow_on_a_tag() {
    let f = Fixture::for_repo("sigstore-conformance/extremely-dangerous-public-oidc-beacon");
    publish_signed(&f, "conformance/happy-path-v0.3/bundle.sigstore.json");
    let root = corpus("trusted_root/production.json").display().to_string();
    let out = f.install(&["--asset-pattern", "a.txt", "--trusted-root", &root]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains(BEACON), "{}", show(&out));
    assert!(
        err.contains("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/release.yml@refs/tags/*"),
        "{}",
        show(&out)
    );
    assert!(!f.bin.exists());
    // Naming that workflow and ref explicitly trusts it.
    let out = signed_install(&f, BEACON, GITHUB_ISSUER);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
}

struct Case {
    name: String,
    artifact: PathBuf,
    bundle: PathBuf,
    trusted_root: PathBuf,
    identity: String,
    issuer: String,
    pass: bool,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(corpus("cases.json")).expect("cases.json");
    let list: Vec<serde_json::Value> = serde_json::from_str(&text).expect("cases");
    assert_eq!(list.len(), 25, "the corpus has 25 cases");
    list.iter()
        .map(|c| {
            let s = |k: &str| {
                c[k].as_str()
                    .unwrap_or_else(|| panic!("{k} in {c}"))
                    .to_string()
            };
            Case {
                name: s("name"),
                artifact: corpus(&s("artifact")),
                bundle: corpus(&s("bundle")),
                trusted_root: corpus(&s("trusted_root")),
                identity: s("identity"),
                issuer: s("issuer"),
                pass: s("expect") == "pass",
            }
        })
        .collect()
}

#[test]
fn sigstore_corpus_through_the_library() {
    use hephaestus::release::sigstore::{IdentityPolicy, SigstoreVerifier, load_trusted_root};
    let mut wrong = Vec::new();
    for case in cases() {
        let outcome = load_trusted_root(Some(&case.trusted_root))
            .and_then(|root| SigstoreVerifier::new(&root, &case.trusted_root))
            .and_then(|verifier| {
                let policy =
                    IdentityPolicy::new(std::slice::from_ref(&case.identity), &case.issuer)?;
                verifier.verify_files(&case.artifact, &case.bundle, &policy)
            });
        let verdict = match &outcome {
            Ok(v) => format!("verified ({})", v.identity),
            Err(e) => format!("rejected: {e}"),
        };
        eprintln!(
            "{:<55} expect {:<4} {verdict}",
            case.name,
            if case.pass { "pass" } else { "fail" }
        );
        if outcome.is_ok() != case.pass {
            wrong.push(format!("{}: {verdict}", case.name));
        }
    }
    assert!(
        wrong.is_empty(),
        "cases with the wrong result:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn sigstore_corpus_through_release_verify() {
    let ctx = TestContext::new();
    let mut wrong = Vec::new();
    for case in cases() {
        let out = ctx.run([
            "release".as_ref(),
            "verify".as_ref(),
            case.artifact.as_os_str(),
            "--bundle".as_ref(),
            case.bundle.as_os_str(),
            "--trusted-root".as_ref(),
            case.trusted_root.as_os_str(),
            "--sigstore-identity".as_ref(),
            case.identity.as_ref(),
            "--sigstore-issuer".as_ref(),
            case.issuer.as_ref(),
        ] as [&std::ffi::OsStr; 11]);
        let expected = if case.pass { Some(0) } else { Some(1) };
        if out.status.code() != expected {
            wrong.push(format!("{}:\n{}", case.name, show(&out)));
        }
    }
    assert!(
        wrong.is_empty(),
        "cases with the wrong result:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn release_verify_checks_a_manifest_offline() {
    let ctx = TestContext::new();
    ctx.write("dist/tool.tar.gz", b"payload");
    ctx.write(
        "dist/SHA256SUMS",
        format!("{}  tool.tar.gz\n", sha256(b"payload")),
    );
    let out = ctx.run([
        "release",
        "verify",
        "dist/tool.tar.gz",
        "--manifest",
        "dist/SHA256SUMS",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(json(&out)["checksum"]["line"], 1);
    ctx.write("dist/tool.tar.gz", b"tampered");
    let out = ctx.run([
        "release",
        "verify",
        "dist/tool.tar.gz",
        "--manifest",
        "dist/SHA256SUMS",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stderr(&out).contains("SHA-256 mismatch"), "{}", show(&out));
    let out = ctx.run([
        "release",
        "verify",
        "dist/tool.tar.gz",
        "--bundle",
        "x.json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a bundle needs a signer: {}",
        show(&out)
    );
}
