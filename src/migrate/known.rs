//! What the migration knows about hooks from remote repositories: the
//! well-known tool mirrors (each hook's command, file selection, default
//! arguments and whether it rewrites files, as their `.pre-commit-hooks.yaml`
//! declares them) and the console scripts of `pre-commit-hooks` that have
//! no built-in. Facts about other projects' manifests, not code.

/// A tool hook hephaestus can run from the project's environment.
#[derive(Debug, Clone, Copy)]
pub struct ToolHook {
    /// `owner/name` of the repositories that publish it, lower case.
    pub repos: &'static [&'static str],
    pub id: &'static str,
    /// The command (`entry`), split.
    pub run: &'static [&'static str],
    pub types: &'static [&'static str],
    pub types_or: &'static [&'static str],
    /// A `files` regex of the manifest.
    pub files: Option<&'static str>,
    /// The manifest's `args`, used when the hook entry gives none.
    pub args: &'static [&'static str],
    /// The tool may rewrite files.
    pub fix: bool,
    pub require_serial: bool,
    /// The PyPI package that provides the command.
    pub package: &'static str,
}

const RUFF: &[&str] = &["astral-sh/ruff-pre-commit", "charliermarsh/ruff-pre-commit"];
const BLACK: &[&str] = &["psf/black", "psf/black-pre-commit-mirror"];
const PY: &[&str] = &["python", "pyi"];

const fn tool(
    repos: &'static [&'static str],
    id: &'static str,
    run: &'static [&'static str],
    package: &'static str,
) -> ToolHook {
    ToolHook {
        repos,
        id,
        run,
        types: &[],
        types_or: &[],
        files: None,
        args: &[],
        fix: false,
        require_serial: false,
        package,
    }
}

pub const TOOLS: &[ToolHook] = &[
    ToolHook {
        types_or: &["python", "pyi", "jupyter"],
        require_serial: true,
        // `ruff check` rewrites files with --fix or `fix = true` in its
        // configuration.
        fix: true,
        ..tool(
            RUFF,
            "ruff-check",
            &["ruff", "check", "--force-exclude"],
            "ruff",
        )
    },
    ToolHook {
        types_or: &["python", "pyi", "jupyter"],
        require_serial: true,
        fix: true,
        ..tool(RUFF, "ruff", &["ruff", "check", "--force-exclude"], "ruff")
    },
    ToolHook {
        types_or: &["python", "pyi", "jupyter"],
        require_serial: true,
        fix: true,
        ..tool(
            RUFF,
            "ruff-format",
            &["ruff", "format", "--force-exclude"],
            "ruff",
        )
    },
    ToolHook {
        types_or: PY,
        require_serial: true,
        fix: true,
        ..tool(BLACK, "black", &["black"], "black")
    },
    ToolHook {
        types_or: &["python", "pyi", "jupyter"],
        require_serial: true,
        fix: true,
        ..tool(BLACK, "black-jupyter", &["black"], "black[jupyter]")
    },
    ToolHook {
        types_or: PY,
        require_serial: true,
        args: &["--ignore-missing-imports", "--scroll-output"],
        ..tool(&["pre-commit/mirrors-mypy"], "mypy", &["mypy"], "mypy")
    },
    ToolHook {
        types: &["text"],
        ..tool(
            &["codespell-project/codespell"],
            "codespell",
            &["codespell"],
            "codespell",
        )
    },
    ToolHook {
        types_or: &["cython", "pyi", "python"],
        args: &["--filter-files"],
        require_serial: true,
        fix: true,
        ..tool(
            &["pycqa/isort", "timothycrosley/isort"],
            "isort",
            &["isort"],
            "isort",
        )
    },
    ToolHook {
        types: &["python"],
        require_serial: true,
        ..tool(&["pycqa/flake8"], "flake8", &["flake8"], "flake8")
    },
    ToolHook {
        types_or: PY,
        fix: true,
        ..tool(
            &["asottile/pyupgrade"],
            "pyupgrade",
            &["pyupgrade"],
            "pyupgrade",
        )
    },
    ToolHook {
        types: &["python"],
        require_serial: true,
        args: &[
            "--in-place",
            "--expand-star-imports",
            "--remove-duplicate-keys",
            "--remove-unused-variables",
        ],
        fix: true,
        ..tool(
            &["pycqa/autoflake", "myint/autoflake"],
            "autoflake",
            &["autoflake"],
            "autoflake",
        )
    },
    ToolHook {
        types: &["python"],
        ..tool(&["pycqa/bandit"], "bandit", &["bandit"], "bandit")
    },
    ToolHook {
        types: &["file", "yaml"],
        ..tool(
            &["adrienverge/yamllint"],
            "yamllint",
            &["yamllint"],
            "yamllint",
        )
    },
    ToolHook {
        files: Some("pyproject.toml"),
        ..tool(
            &["abravalheri/validate-pyproject"],
            "validate-pyproject",
            &["validate-pyproject"],
            "validate-pyproject[all]",
        )
    },
    ToolHook {
        files: Some("(^|/)pyproject\\.toml$"),
        fix: true,
        ..tool(
            &["tox-dev/pyproject-fmt"],
            "pyproject-fmt",
            &["pyproject-fmt"],
            "pyproject-fmt",
        )
    },
    ToolHook {
        types: &["python"],
        require_serial: true,
        ..tool(
            &["econchick/interrogate"],
            "interrogate",
            &["interrogate"],
            "interrogate",
        )
    },
    ToolHook {
        types: &["markdown"],
        fix: true,
        ..tool(
            &["executablebooks/mdformat"],
            "mdformat",
            &["mdformat"],
            "mdformat",
        )
    },
    ToolHook {
        files: Some("\\.(rst|md|markdown|py|tex)$"),
        fix: true,
        ..tool(
            &["asottile/blacken-docs", "adamchainz/blacken-docs"],
            "blacken-docs",
            &["blacken-docs"],
            "blacken-docs",
        )
    },
];

/// The repository names hooks come from that are the reference of the
/// built-in checks.
pub const PRE_COMMIT_HOOKS: &str = "pre-commit/pre-commit-hooks";

/// A `pre-commit-hooks` id without a built-in: the console script that
/// runs it (from the `pre-commit-hooks` package in the project's
/// environment), its `types`, its `files` regex, whether it rewrites.
pub type Script = (
    &'static str,
    &'static str,
    &'static [&'static str],
    Option<&'static str>,
    bool,
);

/// The `pre-commit-hooks` ids without a built-in.
pub const PRE_COMMIT_HOOKS_SCRIPTS: &[Script] = &[
    ("check-ast", "check-ast", &["python"], None, false),
    (
        "check-builtin-literals",
        "check-builtin-literals",
        &["python"],
        None,
        false,
    ),
    (
        "check-docstring-first",
        "check-docstring-first",
        &["python"],
        None,
        false,
    ),
    (
        "check-vcs-permalinks",
        "check-vcs-permalinks",
        &["text"],
        None,
        false,
    ),
    (
        "debug-statements",
        "debug-statement-hook",
        &["python"],
        None,
        false,
    ),
    (
        "detect-aws-credentials",
        "detect-aws-credentials",
        &["text"],
        None,
        false,
    ),
    (
        "double-quote-string-fixer",
        "double-quote-string-fixer",
        &["python"],
        None,
        true,
    ),
    (
        "file-contents-sorter",
        "file-contents-sorter",
        &[],
        Some("^$"),
        true,
    ),
    (
        "name-tests-test",
        "name-tests-test",
        &[],
        Some("(^|/)tests/.+\\.py$"),
        false,
    ),
    (
        "pretty-format-json",
        "pretty-format-json",
        &["json"],
        None,
        true,
    ),
    (
        "requirements-txt-fixer",
        "requirements-txt-fixer",
        &[],
        Some("requirements.*\\.txt$"),
        true,
    ),
    (
        "sort-simple-yaml",
        "sort-simple-yaml",
        &[],
        Some("^$"),
        true,
    ),
];

/// `pre-commit-hooks` ids that are gone, with what replaced them.
pub const PRE_COMMIT_HOOKS_REMOVED: &[(&str, &str)] = &[
    (
        "autopep8-wrapper",
        "removed from pre-commit-hooks; use autopep8 from the project's environment",
    ),
    (
        "flake8",
        "removed from pre-commit-hooks; use the pycqa/flake8 hook",
    ),
    (
        "pyflakes",
        "removed from pre-commit-hooks; use the pycqa/flake8 hook",
    ),
    (
        "fix-encoding-pragma",
        "removed from pre-commit-hooks (pyupgrade removes the pragmas)",
    ),
    (
        "check-byte-order-marker",
        "deprecated in pre-commit-hooks; use fix-byte-order-marker (a built-in)",
    ),
];

/// The repository of the well-known `language: pygrep` hooks.
pub const PYGREP_HOOKS: &str = "pre-commit/pygrep-hooks";

/// A `pre-commit/pygrep-hooks` hook: id, `entry` (the Python regex),
/// `types`, as its `.pre-commit-hooks.yaml` declares them (v1.10.0).
pub type Pygrep = (&'static str, &'static str, &'static [&'static str]);

/// The hooks of `pre-commit/pygrep-hooks` v1.10.0.
pub const PYGREP: &[Pygrep] = &[
    ("python-check-blanket-noqa", "(?i)# noqa(?!: )", &["python"]),
    (
        "python-check-blanket-type-ignore",
        r"# type:? *ignore(?!\[|\w)",
        &["python"],
    ),
    (
        "python-check-mock-methods",
        "(?x)(\n    assert .*\\.(\n        not_called|\n        called_\n    )|\n    # ''.join(rf'(?<!\\b{s})' for s in dir(mock) if s.endswith('Mock')))\n    (?<!\\bAsyncMock)(?<!\\bMagicMock)(?<!\\bMock)(?<!\\bNonCallableMagicMock)(?<!\\bNonCallableMock)(?<!\\bPropertyMock)\n    \\.assert_(\n        any_call|\n        called|\n        called_once|\n        called_once_with|\n        called_with|\n        has_calls|\n        not_called\n    )($|[^(\\w])\n)\n",
        &["python"],
    ),
    ("python-no-eval", r"\beval\(", &["python"]),
    ("python-no-log-warn", r"(?<!warnings)\.warn\(", &["python"]),
    (
        "python-use-type-annotations",
        r"# type(?!: *ignore([^a-zA-Z0-9]|$))",
        &["python"],
    ),
    (
        "rst-backticks",
        r"^(?!    ).*(^| )`[^`]+`([^_]|$)",
        &["rst"],
    ),
    (
        "rst-directive-colons",
        r"^\s*\.\. [a-z]+(| | :):$",
        &["rst"],
    ),
    ("rst-inline-touching-normal", r"\w``\w", &["rst"]),
    ("text-unicode-replacement-char", "\u{FFFD}", &["text"]),
];

/// Patterns of [`PYGREP`] that use look-around, rewritten without it so
/// that they match exactly the same lines (line by line, which is how
/// these hooks run: without `--multiline`). `tests/it/migrate_roundtrip.rs`
/// checks each against Python's `re` on the pygrep-hooks test strings.
pub const PYGREP_EQUIVALENTS: &[(&str, &str)] = &[
    ("(?i)# noqa(?!: )", "(?i)# noqa(?:[^:]|:[^ ]|:?$)"),
    (
        r"# type:? *ignore(?!\[|\w)",
        r"# type:? *ignore(?:[^\[\w]|$)",
    ),
    (
        r"^(?!    ).*(^| )`[^`]+`([^_]|$)",
        r"^(?:[^\n]{0,2}|(?:[^ \n][^\n]{2}| [^ \n][^\n]|  [^ \n]|   [^ \n])[^\n]*)(^| )`[^`]+`([^_]|$)",
    ),
];

/// Repositories known not to convert, with why.
pub const NOT_CONVERTIBLE: &[(&str, &str)] = &[
    (
        "pre-commit/mirrors-prettier",
        "prettier is a node tool pre-commit installs with npm; install it in the project (npm) and add a `run` step",
    ),
    (
        "rbubley/mirrors-prettier",
        "prettier is a node tool pre-commit installs with npm; install it in the project (npm) and add a `run` step",
    ),
    (
        "pre-commit/mirrors-eslint",
        "eslint is a node tool pre-commit installs with npm; install it in the project (npm) and add a `run` step",
    ),
];

/// `owner/name` of a repository URL, lower case (`https://github.com/PyCQA/isort.git` → `pycqa/isort`).
pub fn repo_key(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    let url = url.strip_suffix(".git").unwrap_or(url);
    let path = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest.split_once('/').map_or("", |(_, p)| p));
    let path = path
        .rsplit_once(':')
        .map_or(path, |(host, p)| if host.contains('@') { p } else { path });
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let n = parts.len();
    if n >= 2 {
        format!("{}/{}", parts[n - 2], parts[n - 1]).to_lowercase()
    } else {
        path.to_lowercase()
    }
}

/// The tool hook of a repository and hook id.
pub fn tool_hook(repo: &str, id: &str) -> Option<&'static ToolHook> {
    let key = repo_key(repo);
    TOOLS
        .iter()
        .find(|t| t.id == id && t.repos.contains(&key.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_keys() {
        assert_eq!(
            repo_key("https://github.com/PyCQA/isort.git"),
            "pycqa/isort"
        );
        assert_eq!(
            repo_key("https://github.com/astral-sh/ruff-pre-commit/"),
            "astral-sh/ruff-pre-commit"
        );
        assert_eq!(repo_key("git@github.com:psf/black.git"), "psf/black");
        assert_eq!(repo_key("https://gitlab.com/pycqa/flake8"), "pycqa/flake8");
    }

    #[test]
    fn tools_are_found_by_repository_and_id() {
        assert_eq!(
            tool_hook("https://github.com/psf/black-pre-commit-mirror", "black")
                .unwrap()
                .run,
            ["black"]
        );
        assert!(tool_hook("https://github.com/psf/black", "ruff").is_none());
        for t in TOOLS {
            for tag in t.types.iter().chain(t.types_or) {
                assert!(crate::filetypes::is_known_tag(tag), "{}: {tag}", t.id);
            }
            if let Some(files) = t.files {
                crate::config::filter::PyRegex::new(files).unwrap();
            }
        }
    }
}
