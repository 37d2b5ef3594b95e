//! `.pre-commit-config.yaml` read into plain structs: the top-level keys,
//! the repositories and their hooks, with the line of each hook so the
//! report can point at it. Shapes pre-commit itself refuses (a `repos`
//! that is not a list, a hook without `id`) are errors naming the line;
//! keys hephaestus has no use for are kept so the report can name them.

use super::yaml::{Node, Value};

/// The file's top level.
#[derive(Debug, Clone, Default)]
pub struct PreCommitConfig {
    pub repos: Vec<Repo>,
    /// Top-level `files` (a Python regex).
    pub files: Option<String>,
    /// Top-level `exclude` (a Python regex).
    pub exclude: Option<String>,
    pub default_stages: Option<Vec<String>>,
    pub default_install_hook_types: Option<Vec<String>>,
    pub fail_fast: Option<bool>,
    /// Top-level keys with no counterpart (`ci`, `default_language_version`,
    /// `minimum_pre_commit_version`, …).
    pub ignored: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Repo {
    /// `local`, `meta`, or a URL.
    pub url: String,
    pub rev: Option<String>,
    pub hooks: Vec<Hook>,
}

/// One hook entry, as written (unset keys are `None`).
#[derive(Debug, Clone, Default)]
pub struct Hook {
    pub line: usize,
    pub id: String,
    pub alias: Option<String>,
    pub name: Option<String>,
    pub entry: Option<String>,
    pub language: Option<String>,
    pub args: Option<Vec<String>>,
    pub files: Option<String>,
    pub exclude: Option<String>,
    pub types: Option<Vec<String>>,
    pub types_or: Option<Vec<String>>,
    pub exclude_types: Option<Vec<String>>,
    pub stages: Option<Vec<String>>,
    pub pass_filenames: Option<bool>,
    pub always_run: Option<bool>,
    pub require_serial: Option<bool>,
    pub additional_dependencies: Vec<String>,
    /// Keys with no counterpart (`verbose`, `log_file`, `language_version`,
    /// `description`, `minimum_pre_commit_version`, …).
    pub ignored: Vec<String>,
}

/// Read the file's text.
pub fn parse(text: &str) -> Result<PreCommitConfig, String> {
    let Some(root) = super::yaml::parse(text)? else {
        return Err("the file is empty".to_string());
    };
    let Value::Map(pairs) = &root.value else {
        return Err(format!(
            "line {}: the top level must be a mapping with `repos`",
            root.line
        ));
    };
    let mut config = PreCommitConfig::default();
    let mut saw_repos = false;
    for (key, value) in pairs {
        match key.as_str() {
            "repos" => {
                saw_repos = true;
                let items = value
                    .as_seq()
                    .ok_or_else(|| format!("line {}: `repos` must be a list", value.line))?;
                for item in items {
                    config.repos.push(repo(item)?);
                }
            }
            "files" => config.files = Some(string(value, "files")?),
            "exclude" => config.exclude = Some(string(value, "exclude")?),
            "default_stages" => config.default_stages = Some(strings(value, "default_stages")?),
            "default_install_hook_types" => {
                config.default_install_hook_types =
                    Some(strings(value, "default_install_hook_types")?)
            }
            "fail_fast" => config.fail_fast = Some(boolean(value, "fail_fast")?),
            other => config.ignored.push(other.to_string()),
        }
    }
    if !saw_repos {
        return Err("there is no `repos` list".to_string());
    }
    Ok(config)
}

fn repo(node: &Node) -> Result<Repo, String> {
    let line = node.line;
    let url = node
        .get("repo")
        .ok_or_else(|| format!("line {line}: a repository needs `repo`"))?;
    let url = string(url, "repo")?;
    let rev = node.get("rev").map(|r| string(r, "rev")).transpose()?;
    let hooks = node
        .get("hooks")
        .and_then(Node::as_seq)
        .ok_or_else(|| format!("line {line}: the repository {url} needs a `hooks` list"))?;
    Ok(Repo {
        url,
        rev,
        hooks: hooks.iter().map(hook).collect::<Result<_, _>>()?,
    })
}

fn hook(node: &Node) -> Result<Hook, String> {
    let Some(pairs) = node.as_map() else {
        return Err(format!(
            "line {}: a hook must be a mapping with `id`",
            node.line
        ));
    };
    let mut hook = Hook {
        line: node.line,
        ..Hook::default()
    };
    let mut has_id = false;
    for (key, value) in pairs {
        let key = key.as_str();
        match key {
            "id" => {
                hook.id = string(value, key)?;
                has_id = true;
            }
            "alias" => hook.alias = Some(string(value, key)?),
            "name" => hook.name = Some(string(value, key)?),
            "entry" => hook.entry = Some(string(value, key)?),
            "language" => hook.language = Some(string(value, key)?),
            "args" => hook.args = Some(strings(value, key)?),
            "files" => hook.files = Some(string(value, key)?),
            "exclude" => hook.exclude = Some(string(value, key)?),
            "types" => hook.types = Some(strings(value, key)?),
            "types_or" => hook.types_or = Some(strings(value, key)?),
            "exclude_types" => hook.exclude_types = Some(strings(value, key)?),
            "stages" => hook.stages = Some(strings(value, key)?),
            "pass_filenames" => hook.pass_filenames = Some(boolean(value, key)?),
            "always_run" => hook.always_run = Some(boolean(value, key)?),
            "require_serial" => hook.require_serial = Some(boolean(value, key)?),
            "additional_dependencies" => hook.additional_dependencies = strings(value, key)?,
            other => hook.ignored.push(other.to_string()),
        }
    }
    if !has_id {
        return Err(format!("line {}: a hook needs an `id`", node.line));
    }
    Ok(hook)
}

fn string(node: &Node, key: &str) -> Result<String, String> {
    node.as_str()
        .map(String::from)
        .ok_or_else(|| format!("line {}: `{key}` must be a string", node.line))
}

fn strings(node: &Node, key: &str) -> Result<Vec<String>, String> {
    if node.is_null() {
        return Ok(Vec::new());
    }
    let items = node
        .as_seq()
        .ok_or_else(|| format!("line {}: `{key}` must be a list", node.line))?;
    items.iter().map(|item| string(item, key)).collect()
}

fn boolean(node: &Node, key: &str) -> Result<bool, String> {
    node.as_bool()
        .ok_or_else(|| format!("line {}: `{key}` must be true or false", node.line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_top_level_repos_and_hooks() {
        let c = parse(
            "files: ^src/\nexclude: ^vendor/\ndefault_stages: [pre-commit]\nfail_fast: true\nci: {skip: [x]}\nrepos:\n- repo: local\n  hooks:\n  - id: t\n    entry: t --x\n    language: system\n    args: [a, '1']\n    pass_filenames: false\n    verbose: true\n",
        )
        .unwrap();
        assert_eq!(c.files.as_deref(), Some("^src/"));
        assert_eq!(c.exclude.as_deref(), Some("^vendor/"));
        assert_eq!(c.fail_fast, Some(true));
        assert_eq!(c.ignored, ["ci"]);
        let h = &c.repos[0].hooks[0];
        assert_eq!(h.line, 9);
        assert_eq!(h.entry.as_deref(), Some("t --x"));
        assert_eq!(
            h.args.as_deref(),
            Some(&["a".to_string(), "1".to_string()][..])
        );
        assert_eq!(h.pass_filenames, Some(false));
        assert_eq!(h.ignored, ["verbose"]);
    }

    #[test]
    fn shape_errors_name_the_line() {
        assert!(parse("repos: 3\n").unwrap_err().contains("line 1"));
        assert!(
            parse("repos:\n- repo: local\n  hooks:\n  - name: x\n")
                .unwrap_err()
                .contains("needs an `id`")
        );
        assert!(
            parse("repos:\n- repo: local\n  hooks:\n  - id: x\n    pass_filenames: maybe\n")
                .unwrap_err()
                .contains("true or false")
        );
        assert!(parse("").unwrap_err().contains("empty"));
        assert!(parse("a: 1\n").unwrap_err().contains("repos"));
    }
}
