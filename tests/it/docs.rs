//! The reference docs stay in step with the code: every configuration key
//! (from the serde definitions themselves) is in docs/configuration.md,
//! and every command, argument and long flag of the real clap tree is in
//! docs/cli.md. Adding a key or a flag without documenting it fails here.

use std::collections::BTreeSet;

use serde::Deserialize;

fn doc(name: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/").to_string() + name;
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The field names serde expects for `T`: the derived `Deserialize` hands
/// them to `deserialize_struct`, which this deserializer records and then
/// refuses (so nothing else is needed to read them).
fn fields_of<'de, T: Deserialize<'de>>() -> Vec<&'static str> {
    use serde::de::{self, Visitor};
    struct Probe<'a>(&'a mut Vec<&'static str>);
    impl<'de> de::Deserializer<'de> for Probe<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Self::Error> {
            self.0.extend_from_slice(fields);
            Err(de::Error::custom("fields recorded"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }
    let mut fields = Vec::new();
    let _ = T::deserialize(Probe(&mut fields));
    assert!(
        !fields.is_empty(),
        "no fields recorded for {}",
        std::any::type_name::<T>()
    );
    fields
}

/// Every `(prefix, field)` of the configuration types, as the key paths
/// docs/configuration.md writes them.
fn config_key_paths() -> Vec<String> {
    use hephaestus::config::model::*;
    let mut keys: Vec<String> = fields_of::<Config>()
        .into_iter()
        .map(|section| format!("[{section}]"))
        .collect();
    let sections: [(&str, Vec<&str>); 7] = [
        ("hooks", fields_of::<HooksConfig>()),
        ("guard-rails", fields_of::<GuardRailsConfig>()),
        ("guard-rails.steps[]", fields_of::<StepConfig>()),
        ("cleanup", fields_of::<CleanupConfig>()),
        ("drift", fields_of::<DriftConfig>()),
        ("drift.tools.<name>", fields_of::<DriftToolTable>()),
        ("release", fields_of::<ReleaseConfig>()),
    ];
    for (prefix, fields) in sections {
        keys.extend(fields.into_iter().map(|f| format!("{prefix}.{f}")));
    }
    keys
}

#[test]
fn every_config_key_is_in_configuration_md() {
    let text = doc("configuration.md");
    let missing: Vec<String> = config_key_paths()
        .into_iter()
        .filter(|k| !text.contains(&format!("`{k}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/configuration.md does not document: {missing:?}"
    );
}

/// The dotted key paths of a parsed table; array-of-tables elements add
/// `[]`, `drift.tools` entries are `<name>`, and `env` values are free-form.
fn dotted_paths(table: &toml::Table, prefix: &str, out: &mut BTreeSet<String>) {
    for (key, value) in table {
        let key = if prefix == "drift.tools" {
            "<name>"
        } else {
            key.as_str()
        };
        let path = if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        };
        out.insert(path.clone());
        if path.ends_with(".env") {
            continue;
        }
        match value {
            toml::Value::Table(t) => dotted_paths(t, &path, out),
            toml::Value::Array(items) => {
                for item in items {
                    if let toml::Value::Table(t) = item {
                        dotted_paths(t, &format!("{path}[]"), out);
                    }
                }
            }
            _ => {}
        }
    }
}

#[test]
fn the_complete_example_loads_and_each_of_its_keys_is_documented() {
    let text = doc("configuration.md");
    let example = text
        .split("## A complete example")
        .nth(1)
        .and_then(|rest| rest.split("```toml\n").nth(1))
        .and_then(|block| block.split("```").next())
        .expect("docs/configuration.md has a complete example in a toml block");
    let config: hephaestus::config::Config =
        hephaestus::config::parse_toml(std::path::Path::new("example.toml"), example)
            .unwrap_or_else(|e| panic!("the complete example does not load: {e}"));
    let table = toml::Table::try_from(&config).expect("serialize the example");
    let mut paths = BTreeSet::new();
    dotted_paths(&table, "", &mut paths);
    let top: Vec<&str> = table.keys().map(|k| k.as_str()).collect();
    for section in &top {
        paths.remove(*section);
    }
    let undocumented: Vec<&String> = paths
        .iter()
        .filter(|p| !text.contains(&format!("`{p}`")))
        .collect();
    assert!(
        undocumented.is_empty(),
        "keys of the example without a row: {undocumented:?}"
    );
}

/// The section of docs/cli.md for a command: from its heading (a line
/// starting with `#` that names "`hephaestus <path>`") to the next heading
/// that names a command.
fn cli_section<'a>(text: &'a str, path: &str) -> Option<&'a str> {
    let needle = format!("`hephaestus {path}`");
    let mut start = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let is_heading = line.starts_with('#');
        if let Some(s) = start {
            if is_heading && line.contains("`hephaestus ") {
                return Some(&text[s..offset]);
            }
        } else if is_heading && line.contains(&needle) {
            start = Some(offset);
        }
        offset += line.len();
    }
    start.map(|s| &text[s..])
}

/// Does `section` mention `--flag` as a whole flag (not a prefix of a longer one)?
fn mentions_flag(section: &str, long: &str) -> bool {
    let needle = format!("--{long}");
    section.match_indices(&needle).any(|(i, _)| {
        let next = section[i + needle.len()..].chars().next();
        !matches!(next, Some(c) if c.is_ascii_alphanumeric() || c == '-' || c == '_')
    })
}

/// Every visible subcommand with its path (`hook run`), depth first.
fn walk_commands(cmd: &clap::Command, prefix: &str, out: &mut Vec<(String, clap::Command)>) {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        if sub.get_name() == "help" {
            continue;
        }
        let path = if prefix.is_empty() {
            sub.get_name().to_string()
        } else {
            format!("{prefix} {}", sub.get_name())
        };
        out.push((path.clone(), sub.clone()));
        walk_commands(sub, &path, out);
    }
}

#[test]
fn every_command_argument_and_flag_is_in_cli_md() {
    use clap::CommandFactory;
    let text = doc("cli.md");
    let root = hephaestus::cli::Cli::command();
    let mut problems = Vec::new();

    let global = text
        .split("## Global options")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap_or_default();
    for arg in root.get_arguments().filter(|a| !a.is_hide_set()) {
        if let Some(long) = arg.get_long()
            && !mentions_flag(global, long)
        {
            problems.push(format!(
                "global option --{long} (section \"## Global options\")"
            ));
        }
    }

    let mut commands = Vec::new();
    walk_commands(&root, "", &mut commands);
    assert!(commands.len() > 10, "the command tree looks empty");
    for (path, cmd) in &commands {
        let Some(section) = cli_section(&text, path) else {
            problems.push(format!("command `hephaestus {path}` has no heading"));
            continue;
        };
        for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            if arg.is_global_set() {
                continue;
            }
            if let Some(long) = arg.get_long() {
                if !mentions_flag(section, long) {
                    problems.push(format!("`hephaestus {path}`: --{long}"));
                }
            } else if arg.is_positional() {
                let name = arg
                    .get_value_names()
                    .and_then(|v| v.first())
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| arg.get_id().as_str().to_uppercase());
                if !section.contains(&name) {
                    problems.push(format!("`hephaestus {path}`: argument {name}"));
                }
            } else if let Some(short) = arg.get_short()
                && !section.contains(&format!("`-{short}"))
            {
                problems.push(format!("`hephaestus {path}`: -{short}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "docs/cli.md is missing:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn cli_md_documents_every_exit_code() {
    let text = doc("cli.md");
    let section = text
        .split("## Exit codes")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("docs/cli.md has an Exit codes section");
    use hephaestus::exit::ExitStatus::*;
    for status in [Success, Failure, Usage, Internal, Interrupted] {
        assert!(
            section.contains(&format!("| {} |", status.code())),
            "exit code {} ({status:?}) is not documented",
            status.code()
        );
    }
}

/// Files that arrive with the cleanup branch; pointers into them are
/// checked once they exist.
const PENDING: &[&str] = &[
    "src/cleanup/",
    "src/commands/cleanup.rs",
    "tests/it/cleanup.rs",
];

#[test]
fn adr_pointers_name_real_functions_and_tests() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = doc("adr/0001-stride-threat-model.md");
    let mut checked = 0;
    let mut problems = Vec::new();
    for pointer in text.split('`').skip(1).step_by(2) {
        let Some((file, item)) = pointer.split_once("::") else {
            continue;
        };
        if !(file.starts_with("src/") || file.starts_with("tests/")) || !file.ends_with(".rs") {
            continue;
        }
        let name = item.rsplit("::").next().unwrap_or(item);
        let source = match std::fs::read_to_string(root.join(file)) {
            Ok(s) => s,
            Err(_) if PENDING.iter().any(|p| file.starts_with(p)) => continue,
            Err(e) => {
                problems.push(format!("{pointer}: {e}"));
                continue;
            }
        };
        checked += 1;
        let defines = source.match_indices(&format!("fn {name}")).any(|(i, m)| {
            let next = source[i + m.len()..].chars().next();
            matches!(next, Some('(') | Some('<'))
        });
        if !defines {
            problems.push(format!("{pointer}: no `fn {name}` in {file}"));
        }
    }
    assert!(
        checked >= 60,
        "only {checked} pointers found; did the format change?"
    );
    assert!(
        problems.is_empty(),
        "broken pointers in docs/adr/0001:\n  {}",
        problems.join("\n  ")
    );
}

/// Docs that arrive with another branch; links to them are checked once
/// they exist.
const PENDING_DOCS: &[&str] = &["docs/cleanup.md"];

#[test]
fn relative_links_in_the_docs_resolve_and_the_index_lists_every_page() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = vec![root.join("README.md"), root.join("SECURITY.md")];
    for dir in ["docs", "docs/adr"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "md") {
                pages.push(path);
            }
        }
    }
    let mut broken = Vec::new();
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        for (i, _) in text.match_indices("](") {
            let rest = &text[i + 2..];
            let Some(end) = rest.find(')') else { continue };
            let target = rest[..end].split('#').next().unwrap_or("");
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let resolved = page.parent().unwrap().join(target);
            if resolved.exists() {
                continue;
            }
            let rel = resolved
                .canonicalize()
                .ok()
                .or_else(|| {
                    let parent = resolved.parent()?.canonicalize().ok()?;
                    Some(parent.join(resolved.file_name()?))
                })
                .and_then(|p| p.strip_prefix(root).ok().map(|p| p.to_path_buf()));
            let pending = rel
                .as_ref()
                .is_some_and(|r| PENDING_DOCS.iter().any(|d| r == std::path::Path::new(d)));
            if !pending {
                broken.push(format!("{}: {target}", page.display()));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "broken links:\n  {}",
        broken.join("\n  ")
    );

    let index = doc("README.md");
    for page in pages.iter().filter(|p| p.starts_with(root.join("docs"))) {
        let rel = page.strip_prefix(root.join("docs")).unwrap();
        if rel == std::path::Path::new("README.md") {
            continue;
        }
        let rel = rel.to_string_lossy();
        assert!(
            index.contains(&format!("]({rel})")),
            "docs/README.md does not link {rel}"
        );
    }
}
