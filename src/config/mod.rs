//! Finding, reading and validating the configuration, once.
//!
//! The file is `hephaestus.toml` at the project root or `[tool.hephaestus]`
//! in `pyproject.toml`; both at once is an error that names both, and no
//! file at all is valid (presets are detected). Parse errors name the file,
//! the line and the key path, with a "did you mean" hint for near misses.

pub mod filter;
pub mod glob;
pub mod model;
pub mod preset_names;

use std::path::{Path, PathBuf};

pub use model::Config;
pub use preset_names::Preset;

use crate::error::Classify;
use crate::exit::ExitStatus;

/// The name of the stand-alone configuration file.
pub const CONFIG_FILE: &str = "hephaestus.toml";
/// The Python project file that may carry `[tool.hephaestus]`.
pub const PYPROJECT_FILE: &str = "pyproject.toml";

/// A configuration problem; always a usage error (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("both {} and {} ([tool.hephaestus]) configure hephaestus", toml.display(), pyproject.display())]
    Both { toml: PathBuf, pyproject: PathBuf },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Parse(Box<ParseError>),
}

/// A parse or validation error at a place in the file.
#[derive(Debug)]
pub struct ParseError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub key: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}{}: {}{}",
            self.path.display(),
            position(self.line, self.column),
            key_prefix(&self.key),
            self.message
        )
    }
}

fn position(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

fn key_prefix(key: &Option<String>) -> String {
    key.as_ref()
        .map(|k| format!("key `{k}`: "))
        .unwrap_or_default()
}

impl Classify for ConfigError {
    fn status(&self) -> ExitStatus {
        ExitStatus::Usage
    }
    fn hint(&self) -> Option<String> {
        match self {
            ConfigError::Both { .. } => Some(
                "keep one: move the settings into hephaestus.toml and delete [tool.hephaestus], or the other way round"
                    .to_string(),
            ),
            ConfigError::Read { .. } => None,
            ConfigError::Parse(e) => e.hint.clone(),
        }
    }
}

/// Where the effective configuration came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Source {
    /// No file: defaults and detected presets.
    Defaults,
    /// A `hephaestus.toml` (or a file given with `--config`).
    File { path: PathBuf },
    /// `[tool.hephaestus]` in a `pyproject.toml`.
    Pyproject { path: PathBuf },
}

/// The configuration as loaded, with where it came from and the project
/// root it applies to.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub source: Source,
    pub root: PathBuf,
}

impl Loaded {
    /// The presets in effect: `auto` replaced by what the project looks like.
    pub fn effective_presets(&self) -> Vec<Preset> {
        preset_names::resolve(&self.config.guard_rails.presets, &self.root)
    }
}

/// Load the configuration for the project at `root`, or from `explicit`
/// when `--config` was given.
pub fn load(root: &Path, explicit: Option<&Path>) -> Result<Loaded, ConfigError> {
    if let Some(path) = explicit {
        let text = read(path)?;
        let is_pyproject = path.file_name().is_some_and(|n| n == PYPROJECT_FILE);
        let (config, source) = if is_pyproject {
            let config = parse_pyproject(path, &text)?.unwrap_or_default();
            (
                config,
                Source::Pyproject {
                    path: path.to_path_buf(),
                },
            )
        } else {
            (
                parse_toml(path, &text)?,
                Source::File {
                    path: path.to_path_buf(),
                },
            )
        };
        return Ok(Loaded {
            config,
            source,
            root: root.to_path_buf(),
        });
    }

    let toml_path = root.join(CONFIG_FILE);
    let pyproject_path = root.join(PYPROJECT_FILE);
    let from_toml = if toml_path.is_file() {
        Some(parse_toml(&toml_path, &read(&toml_path)?)?)
    } else {
        None
    };
    let from_pyproject = if pyproject_path.is_file() {
        let text = read(&pyproject_path)?;
        if may_configure_hephaestus(&text) {
            parse_pyproject(&pyproject_path, &text)?
        } else {
            None
        }
    } else {
        None
    };
    let (config, source) = match (from_toml, from_pyproject) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::Both {
                toml: toml_path,
                pyproject: pyproject_path,
            });
        }
        (Some(c), None) => (c, Source::File { path: toml_path }),
        (None, Some(c)) => (
            c,
            Source::Pyproject {
                path: pyproject_path,
            },
        ),
        (None, None) => (Config::default(), Source::Defaults),
    };
    Ok(Loaded {
        config,
        source,
        root: root.to_path_buf(),
    })
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Whether a `pyproject.toml` may hold `[tool.hephaestus]`: it spells the
/// key (bare or quoted), or has a quoted key with escapes. One that cannot
/// is not parsed here: the project's own tool settings in it are read
/// where they are used, and the parse costs a hook run.
fn may_configure_hephaestus(text: &str) -> bool {
    text.contains("hephaestus") || text.contains("\\u") || text.contains("\\U")
}

/// Parse a `hephaestus.toml`.
pub fn parse_toml(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let de = toml::Deserializer::parse(text).map_err(|e| toml_error(path, text, &e, None))?;
    let config: Config = serde_path_to_error::deserialize(de)
        .map_err(|e| toml_error(path, text, e.inner(), Some(e.path().to_string())))?;
    validate(path, &config)?;
    Ok(config)
}

/// Parse `[tool.hephaestus]` out of a `pyproject.toml`; `None` when the
/// table is absent.
pub fn parse_pyproject(path: &Path, text: &str) -> Result<Option<Config>, ConfigError> {
    #[derive(serde::Deserialize)]
    struct Pyproject {
        tool: Option<Tool>,
    }
    #[derive(serde::Deserialize)]
    struct Tool {
        hephaestus: Option<Config>,
    }
    let de = toml::Deserializer::parse(text).map_err(|e| toml_error(path, text, &e, None))?;
    let doc: Pyproject = serde_path_to_error::deserialize(de)
        .map_err(|e| toml_error(path, text, e.inner(), Some(e.path().to_string())))?;
    let config = doc.tool.and_then(|t| t.hephaestus);
    if let Some(c) = &config {
        validate(path, c)?;
    }
    Ok(config)
}

/// Checks that need the whole file: unique step names.
fn validate(path: &Path, config: &Config) -> Result<(), ConfigError> {
    let mut seen = std::collections::HashSet::new();
    for (i, step) in config.guard_rails.steps.iter().enumerate() {
        if step.name.trim().is_empty() {
            return Err(ConfigError::Parse(Box::new(ParseError {
                path: path.to_path_buf(),
                line: None,
                column: None,
                key: Some(format!("guard-rails.steps[{i}].name")),
                message: "a step needs a non-empty name".to_string(),
                hint: None,
            })));
        }
        if !seen.insert(step.name.as_str()) {
            return Err(ConfigError::Parse(Box::new(ParseError {
                path: path.to_path_buf(),
                line: None,
                column: None,
                key: Some(format!("guard-rails.steps[{i}].name")),
                message: format!("a step named {:?} is defined twice", step.name),
                hint: Some("give each step a unique name".to_string()),
            })));
        }
        if step.restage && !step.fix {
            return Err(ConfigError::Parse(Box::new(ParseError {
                path: path.to_path_buf(),
                line: None,
                column: None,
                key: Some(format!("guard-rails.steps[{i}].restage")),
                message: "restage = true only makes sense for a step with fix = true".to_string(),
                hint: Some("add fix = true, or remove restage".to_string()),
            })));
        }
    }
    Ok(())
}

/// Turn a toml/serde error into one that names the file, line, key, and a
/// near-miss suggestion.
fn toml_error(path: &Path, text: &str, err: &toml::de::Error, key: Option<String>) -> ConfigError {
    let (line, column) = match err.span() {
        Some(span) => {
            let (l, c) = line_col(text, span.start);
            (Some(l), Some(c))
        }
        None => (None, None),
    };
    let message = err.message().trim().to_string();
    let hint = did_you_mean(&message);
    // `toml::Spanned` fields (used to keep `[drift.tools]` in file order)
    // are an implementation detail, not part of the key the user wrote.
    let key = key
        .map(|k| k.replace(".$__serde_spanned_private_value", ""))
        .filter(|k| !k.is_empty() && k != ".");
    ConfigError::Parse(Box::new(ParseError {
        path: path.to_path_buf(),
        line,
        column,
        key,
        message,
        hint,
    }))
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, column)
}

/// serde reports unknown keys and variants as
/// "unknown field `x`, expected one of `a`, `b`"; suggest the closest.
fn did_you_mean(message: &str) -> Option<String> {
    let ticks: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let (unknown, candidates) = ticks.split_first()?;
    if !(message.starts_with("unknown field") || message.starts_with("unknown variant")) {
        return None;
    }
    let best = candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(unknown, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, c)) => Some(format!("did you mean `{c}`?")),
        None if !candidates.is_empty() => Some(format!(
            "valid here: {}",
            candidates
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestion_for_near_miss() {
        let hint =
            did_you_mean("unknown field `pass_file`, expected one of `name`, `run`, `pass_files`");
        assert_eq!(hint.as_deref(), Some("did you mean `pass_files`?"));
        let hint = did_you_mean("unknown field `zzz`, expected `name` or `run`");
        assert_eq!(hint.as_deref(), Some("valid here: `name`, `run`"));
    }

    #[test]
    fn a_pyproject_that_cannot_configure_hephaestus_is_not_parsed() {
        let dir = tempfile::tempdir().unwrap();
        let py = dir.path().join(PYPROJECT_FILE);
        // Not TOML, and no hephaestus: the defaults, without an error.
        std::fs::write(&py, "[project\nname = \"x\"\n").unwrap();
        let loaded = load(dir.path(), None).unwrap();
        assert!(matches!(loaded.source, Source::Defaults));
        // Spelt with an escape, the table is still found (and parsed).
        std::fs::write(
            &py,
            "[tool.\"hephaest\\u0075s\".guard-rails]\nfail_fast = true\n",
        )
        .unwrap();
        let loaded = load(dir.path(), None).unwrap();
        assert!(matches!(loaded.source, Source::Pyproject { .. }));
        assert!(loaded.config.guard_rails.fail_fast);
        // Spelt plainly but broken, it is an error that names the file.
        std::fs::write(&py, "[tool.hephaestus\n").unwrap();
        let err = load(dir.path(), None).unwrap_err().to_string();
        assert!(err.contains("pyproject.toml"), "{err}");
    }

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_col("a\nbc\n", 3), (2, 2));
        assert_eq!(line_col("abc", 0), (1, 1));
    }
}
