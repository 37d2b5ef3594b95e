//! The layering stated in `src/lib.rs` holds: every `crate::<module>`
//! reference in a module's code (comments and unit tests aside) names a
//! module earlier in the order below, so there are no import circles
//! between top-level modules. A new top-level module must be placed here.

use std::collections::BTreeSet;
use std::path::Path;

/// Top-level modules, each allowed to use only the ones before it (the
/// layers of `src/lib.rs`, in order).
const ORDER: &[&str] = &[
    // 1. leaves
    "exit",
    "color",
    "printer",
    "error",
    "versions",
    "pyenv",
    "process",
    "filetypes", // 2.
    "git",
    "tools",
    "hygiene", // 3.
    "config",  // 4. domains
    "cleanup",
    "drift",
    "release",
    "migrate",  // 5.
    "steps",    // 6.
    "run",      // 7.
    "hooks",    // 8.
    "project",  // 9.
    "commands", // 10.
    "cli",
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without comments and without its unit tests.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or(text);
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules `code` refers to as `crate::name`, including
/// `use crate::{a, b::c}`.
fn references(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let word = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let w = word(part.trim());
                if !w.is_empty() {
                    out.insert(w);
                }
            }
        } else {
            out.insert(word(rest));
        }
    }
    out
}

#[test]
fn modules_only_use_modules_of_earlier_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let rank = |m: &str| ORDER.iter().position(|o| *o == m);
    let mut problems = Vec::new();
    let mut checked = 0;
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let Some(own) = rank(&top) else {
            problems.push(format!(
                "src/{}: module `{top}` is not in the layering",
                rel.display()
            ));
            continue;
        };
        for used in references(&code(&std::fs::read_to_string(file).unwrap())) {
            if used == top {
                continue;
            }
            checked += 1;
            match rank(&used) {
                Some(r) if r < own => {}
                Some(_) => problems.push(format!(
                    "src/{}: `{top}` uses `{used}`, which is not in an earlier layer",
                    rel.display()
                )),
                None => problems.push(format!(
                    "src/{}: uses `crate::{used}`, which is not in the layering",
                    rel.display()
                )),
            }
        }
    }
    assert!(checked > 100, "only {checked} references found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_order_is_the_one_lib_rs_states() {
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let docs: String = lib
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .collect::<Vec<_>>()
        .join("\n");
    // Each module is named in backticks in the layer list, in this order.
    let mut at = 0;
    for m in ORDER {
        let needle = format!("`{m}`");
        match docs[at..].find(&needle) {
            Some(i) => at += i + needle.len(),
            None => panic!("src/lib.rs does not list `{m}` after the modules before it"),
        }
    }
}
