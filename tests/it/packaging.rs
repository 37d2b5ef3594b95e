//! What a user installs and what CI runs, checked against each other: the
//! package name every install hint uses, the `cargo binstall` metadata
//! against the assets the release workflow builds, and the workflows'
//! actions pinned by commit, on Unix runners only.

use std::path::PathBuf;

fn repo_file(rel: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn cargo_toml() -> toml::Table {
    toml::from_str(&repo_file("Cargo.toml")).expect("Cargo.toml parses")
}

const PACKAGE: &str = "hephaestus-hooks";

#[test]
fn the_package_ships_the_hephaestus_binary_and_library() {
    let manifest = cargo_toml();
    assert_eq!(manifest["package"]["name"].as_str(), Some(PACKAGE));
    assert_eq!(manifest["lib"]["name"].as_str(), Some("hephaestus"));
    let bins = manifest["bin"].as_array().expect("[[bin]]");
    assert_eq!(bins.len(), 1);
    assert_eq!(bins[0]["name"].as_str(), Some("hephaestus"));
}

/// The targets of the release workflow's build matrix.
fn release_targets(workflow: &str) -> Vec<String> {
    workflow
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- target: "))
        .map(|t| t.trim().to_string())
        .collect()
}

#[test]
fn binstall_metadata_names_the_assets_the_release_workflow_publishes() {
    let manifest = cargo_toml();
    let binstall = manifest["package"]["metadata"]["binstall"]
        .as_table()
        .expect("[package.metadata.binstall]");
    let pkg_url = binstall["pkg-url"].as_str().expect("pkg-url");
    assert_eq!(binstall["pkg-fmt"].as_str(), Some("tgz"));
    assert_eq!(binstall["bin-dir"].as_str(), Some("{ bin }{ binary-ext }"));
    let repository = manifest["package"]["repository"].as_str().unwrap();
    let version = manifest["package"]["version"].as_str().unwrap();

    let workflow = repo_file(".github/workflows/release.yml");
    // The archive holds the binary at its root, named as bin-dir says.
    assert!(
        workflow.contains(r#"tar -C "$out" -czf "dist/hephaestus-$TARGET.tar.gz" hephaestus"#),
        "release.yml packages hephaestus-<target>.tar.gz with hephaestus at the root"
    );
    // Releases are tagged v<version> (the workflow checks it).
    assert!(workflow.contains(r#"if [ "$TAG" != "v$version" ]; then"#));
    let targets = release_targets(&workflow);
    assert!(targets.len() >= 4, "{targets:?}");
    for target in &targets {
        let url = pkg_url
            .replace("{ repo }", repository)
            .replace("{ version }", version)
            .replace("{ target }", target);
        assert_eq!(
            url,
            format!("{repository}/releases/download/v{version}/hephaestus-{target}.tar.gz"),
            "binstall's URL for {target}"
        );
    }
}

#[test]
fn workflows_pin_actions_by_commit_and_run_on_unix() {
    for name in ["ci.yml", "release.yml"] {
        let workflow = repo_file(&format!(".github/workflows/{name}"));
        for line in workflow.lines() {
            let line = line.trim().trim_start_matches("- ");
            let Some(action) = line.strip_prefix("uses: ") else {
                continue;
            };
            if action.starts_with("./") {
                continue; // a workflow of this repository
            }
            let (reference, comment) = action
                .split_once(" # ")
                .unwrap_or_else(|| panic!("{name}: `{action}` has no `# tag` comment"));
            let (_, sha) = reference
                .split_once('@')
                .unwrap_or_else(|| panic!("{name}: `{action}` is not pinned"));
            assert!(
                sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
                "{name}: `{action}` is not pinned by a full commit SHA"
            );
            assert!(!comment.trim().is_empty(), "{name}: `{action}`");
        }
        for line in workflow.lines() {
            let line = line.trim();
            assert!(
                !(line.contains("windows-") || line.contains("-windows")),
                "{name}: Windows is not supported: {line}"
            );
        }
    }
}

#[test]
fn every_install_hint_names_the_package() {
    let mut files = vec![
        "README.md".to_string(),
        "hooks/shim.sh".to_string(),
        "SECURITY.md".to_string(),
    ];
    for entry in std::fs::read_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs")).unwrap()
    {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(format!(
                "docs/{}",
                path.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    let mut hints = 0;
    for file in &files {
        let text = repo_file(file);
        for (at, _) in text.match_indices("cargo install") {
            let rest = &text[at..];
            let command: String = rest.chars().take_while(|c| !"\n`)".contains(*c)).collect();
            if command.trim() == "cargo install"
                || command.contains("--path")
                || command.contains("cargo-")
            {
                continue; // the tool named, from a clone, or another tool
            }
            hints += 1;
            assert!(
                command.contains(PACKAGE),
                "{file}: `{command}` does not name the package {PACKAGE}"
            );
        }
        for (at, _) in text.match_indices("cargo binstall") {
            let command: String = text[at..]
                .chars()
                .take_while(|c| !"\n`)".contains(*c))
                .collect();
            hints += 1;
            assert!(command.contains(PACKAGE), "{file}: `{command}`");
        }
    }
    assert!(hints >= 2, "the README and the shim give install hints");
}

/// What `cargo package` would publish: the code, the shim it embeds, the
/// docs and both licence texts; never the tests, their data, the benches
/// or the CI scripts (Cargo.toml `exclude`).
#[test]
fn the_published_crate_holds_the_code_and_licences_not_the_tests() {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["package", "--list", "--allow-dirty", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo package --list");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "cargo package --list failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files: Vec<&str> = stdout.lines().collect();
    for needed in [
        "src/main.rs",
        "src/lib.rs",
        "hooks/shim.sh",
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "README.md",
        "Cargo.lock",
    ] {
        assert!(
            files.contains(&needed),
            "{needed} missing from the package: {files:?}"
        );
    }
    for excluded in ["tests/", "bench/", ".ci/", ".github/"] {
        let leaked: Vec<_> = files.iter().filter(|f| f.starts_with(excluded)).collect();
        assert!(leaked.is_empty(), "{excluded} is published: {leaked:?}");
    }
}
