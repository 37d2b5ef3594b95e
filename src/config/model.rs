//! The configuration file's shape, as serde types that mirror
//! `hephaestus.toml` (or `[tool.hephaestus]` in `pyproject.toml`) key for
//! key. Validation that can happen while parsing (globs, hook types,
//! durations) happens here, so every error carries the file's line.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::config::filter::{FileTag, PyRegex, StepFilter};
use crate::git::HookType;
use crate::hygiene::CheckId;

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub hooks: HooksConfig,
    #[serde(default, rename = "guard-rails")]
    pub guard_rails: GuardRailsConfig,
    #[serde(default)]
    pub cleanup: CleanupConfig,
    #[serde(default)]
    pub drift: DriftConfig,
    #[serde(default)]
    pub release: ReleaseConfig,
}

/// `[hooks]`: which git hooks `hook install` writes and how `hook run`
/// behaves.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HooksConfig {
    /// Hook types installed by `hook install` without `--hook-type`
    /// (default: pre-commit and pre-push).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install: Option<Vec<HookType>>,
}

/// `[guard-rails]`: the step pipeline.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GuardRailsConfig {
    /// `["auto"]` (detect), named presets, or `[]` for none.
    #[serde(default = "default_presets")]
    pub presets: Vec<crate::config::Preset>,
    /// Stop at the first failing step.
    #[serde(default)]
    pub fail_fast: bool,
    /// A Python regex every path must match for the user steps
    /// (pre-commit's top-level `files`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files_regex: Option<PyRegex>,
    /// A Python regex no path of the user steps may match (pre-commit's
    /// top-level `exclude`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_regex: Option<PyRegex>,
    /// User steps: added after the preset steps, or replacing a preset step
    /// of the same name.
    #[serde(default)]
    pub steps: Vec<StepConfig>,
    /// Preset steps turned off, by name (`["mypy", "pytest"]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disable: Vec<String>,
}

impl Default for GuardRailsConfig {
    fn default() -> Self {
        Self {
            presets: default_presets(),
            fail_fast: false,
            files_regex: None,
            exclude_regex: None,
            steps: Vec::new(),
            disable: Vec::new(),
        }
    }
}

fn default_presets() -> Vec<crate::config::Preset> {
    vec![crate::config::Preset::Auto]
}

/// `[[guard-rails.steps]]`: one step, as the step engine takes it. Read
/// from (and written as) [`StepToml`], the keys as the file has them, and
/// checked on the way ([`StepConfig::try_from`]).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(try_from = "StepToml", into = "StepToml")]
pub struct StepConfig {
    pub name: String,
    /// The argv to run; a string is split shell-style (no shell is spawned
    /// unless `shell = true`). Empty for a built-in step, which runs in
    /// process ([`crate::hygiene::run`]).
    pub run: CommandLine,
    /// `check`: the command's check-only form (written like `run`), run on
    /// pre-push instead of `run` and never as a fixer.
    pub check: Option<CommandLine>,
    /// A built-in check instead of a command (`builtin = "check-yaml"`).
    pub builtin: Option<BuiltinStep>,
    pub shell: bool,
    pub files: Vec<GlobPattern>,
    pub exclude: Vec<GlobPattern>,
    /// Unset: true (a built-in check without files: false), or the
    /// replaced preset step's.
    pub pass_files: Option<bool>,
    /// Unset: `files`, or the replaced preset step's.
    pub scope: Option<Scope>,
    /// Hook types the step runs in (default: all).
    pub stages: Option<Vec<HookType>>,
    pub fix: bool,
    pub restage: bool,
    pub timeout: Option<Seconds>,
    pub env: BTreeMap<String, String>,
    pub require_serial: bool,
    /// `files_regex`: a Python regex the path must match.
    pub files_regex: Option<PyRegex>,
    /// `exclude_regex`: a Python regex the path must not match.
    pub exclude_regex: Option<PyRegex>,
    /// `types`: tags a file must all have. For a built-in step without the
    /// key, the check's own (`CheckId::default_filter`).
    pub types: Vec<FileTag>,
    /// `types_or`: tags of which a file must have one.
    pub types_or: Vec<FileTag>,
    /// `exclude_types`: tags a file must have none of.
    pub exclude_types: Vec<FileTag>,
    /// `always_run`: run even when no file matches.
    pub always_run: bool,
}

/// A built-in check and its options, validated when the file is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltinStep {
    pub id: CheckId,
    /// Options in pre-commit-hooks syntax (`--maxkb=1000`).
    pub args: Vec<String>,
}

impl BuiltinStep {
    /// The check to hand to [`crate::hygiene::run`].
    pub fn spec(&self) -> crate::hygiene::CheckSpec {
        crate::hygiene::CheckSpec {
            id: self.id,
            args: self.args.clone(),
        }
    }
}

impl StepConfig {
    /// Which files the step is for beyond its globs: its regexes and type
    /// keys, with the `[guard-rails]` regexes (`top`) in front.
    pub fn filter(&self, top: &GuardRailsConfig) -> StepFilter {
        StepFilter {
            files: top
                .files_regex
                .iter()
                .chain(&self.files_regex)
                .cloned()
                .collect(),
            exclude: top
                .exclude_regex
                .iter()
                .chain(&self.exclude_regex)
                .cloned()
                .collect(),
            types: self.types.clone(),
            types_or: self.types_or.clone(),
            exclude_types: self.exclude_types.clone(),
        }
    }
}

/// `[[guard-rails.steps]]` key for key, as written in the file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StepToml {
    /// Optional for a built-in step (its check id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<CommandLine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<CommandLine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub builtin: Option<CheckIdKey>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default)]
    pub shell: bool,
    #[serde(default)]
    pub files: Vec<GlobPattern>,
    #[serde(default)]
    pub exclude: Vec<GlobPattern>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files_regex: Option<PyRegex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_regex: Option<PyRegex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub types: Option<Vec<FileTag>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types_or: Vec<FileTag>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_types: Vec<FileTag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_files: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub always_run: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// Hook types the step runs in (default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stages: Option<Vec<HookType>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<bool>,
    #[serde(default)]
    pub restage: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Seconds>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub require_serial: bool,
}

/// `builtin = "<check id>"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckIdKey(pub CheckId);

impl<'de> Deserialize<'de> for CheckIdKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        raw.parse::<CheckId>()
            .map(CheckIdKey)
            .map_err(|e| serde::de::Error::custom(format!("{e} (docs/builtins.md lists them)")))
    }
}

impl Serialize for CheckIdKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.as_str().serialize(s)
    }
}

impl TryFrom<StepToml> for StepConfig {
    type Error = String;

    fn try_from(t: StepToml) -> Result<StepConfig, String> {
        let builtin = match t.builtin {
            Some(CheckIdKey(id)) => {
                crate::hygiene::args::parse(id, &t.args)
                    .map_err(|e| format!("`args`: {e}; {}", e.hint()))?;
                Some(BuiltinStep { id, args: t.args })
            }
            None if !t.args.is_empty() => {
                return Err(
                    "`args` goes with `builtin`; for a command, put the arguments in `run`"
                        .to_string(),
                );
            }
            None => None,
        };
        let defaults = builtin.as_ref().map(|b| b.id.default_filter());
        let no_files = defaults == Some(crate::hygiene::FileFilter::NoFiles);
        let run = match (&builtin, t.run) {
            (Some(_), Some(_)) => {
                return Err(
                    "a step has `run` (a command) or `builtin` (a built-in check), not both"
                        .to_string(),
                );
            }
            (Some(_), None) => {
                if t.shell {
                    return Err("`shell` does not apply to a `builtin` step".to_string());
                }
                CommandLine::Argv(Vec::new())
            }
            (None, Some(run)) => run,
            (None, None) => {
                return Err("a step needs `run` (the command) or `builtin` (a built-in check, see docs/builtins.md)".to_string());
            }
        };
        if builtin.is_some() && t.check.is_some() {
            return Err(
                "`check` goes with `run`; a `builtin` check never writes on pre-push anyway"
                    .to_string(),
            );
        }
        let name = match (t.name, &builtin) {
            (Some(n), _) => n,
            (None, Some(b)) => b.id.as_str().to_string(),
            (None, None) => return Err("missing field `name`".to_string()),
        };
        let types = match (t.types, defaults) {
            (Some(types), _) => types,
            (None, Some(crate::hygiene::FileFilter::Types(tags))) => {
                tags.iter().map(|t| FileTag(t.to_string())).collect()
            }
            (None, _) => Vec::new(),
        };
        let step = StepConfig {
            name,
            run,
            check: t.check,
            fix: t
                .fix
                .unwrap_or_else(|| builtin.as_ref().is_some_and(|b| b.id.is_fixer())),
            pass_files: t.pass_files.or(no_files.then_some(false)),
            always_run: t.always_run.unwrap_or(no_files),
            builtin,
            shell: t.shell,
            files: t.files,
            exclude: t.exclude,
            scope: t.scope,
            stages: t.stages,
            restage: t.restage,
            timeout: t.timeout,
            env: t.env,
            require_serial: t.require_serial,
            files_regex: t.files_regex,
            exclude_regex: t.exclude_regex,
            types,
            types_or: t.types_or,
            exclude_types: t.exclude_types,
        };
        Ok(step)
    }
}

impl From<StepConfig> for StepToml {
    fn from(c: StepConfig) -> StepToml {
        let (run, builtin, args) = match c.builtin {
            Some(b) => (None, Some(CheckIdKey(b.id)), b.args),
            None => (Some(c.run), None, Vec::new()),
        };
        StepToml {
            name: Some(c.name),
            run,
            check: c.check,
            builtin,
            args,
            shell: c.shell,
            files: c.files,
            exclude: c.exclude,
            files_regex: c.files_regex,
            exclude_regex: c.exclude_regex,
            types: (!c.types.is_empty()).then_some(c.types),
            types_or: c.types_or,
            exclude_types: c.exclude_types,
            pass_files: c.pass_files,
            always_run: c.always_run.then_some(true),
            scope: c.scope,
            stages: c.stages,
            fix: Some(c.fix),
            restage: c.restage,
            timeout: c.timeout,
            env: c.env,
            require_serial: c.require_serial,
        }
    }
}

/// `scope = "files" | "project"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Run on the matching changed files.
    #[default]
    Files,
    /// Run once, without file arguments, if any matching file changed.
    Project,
}

/// `[cleanup]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CleanupConfig {
    /// What a hook does with junk paths about to be committed or pushed.
    #[serde(default)]
    pub hook: CleanupHookMode,
    /// Extra name patterns treated as junk.
    #[serde(default)]
    pub extra_patterns: Vec<GlobPattern>,
    /// Patterns never treated as junk.
    #[serde(default)]
    pub exclude: Vec<GlobPattern>,
    /// Categories a hook treats as junk (default: all of them). macOS
    /// metadata is always junk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook_categories: Option<Vec<CleanupCategory>>,
}

/// `[cleanup] hook_categories = ["python-cache", …]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CleanupCategory {
    Macos,
    PythonCache,
    BuildArtifacts,
    NodeModules,
}

/// `[cleanup] hook = "fail" | "unstage"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CleanupHookMode {
    /// Fail the hook and print the `git rm --cached` command.
    #[default]
    Fail,
    /// Unstage the junk paths (never delete them) and go on.
    Unstage,
}

/// `[drift]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DriftConfig {
    /// Declared tools: `ruff = "0.14.0"`, `mypy = ">=1.18,<2"`, or a table
    /// `{ version = "...", command = [...], pattern = "...", install = [...] }`.
    /// When empty, the dev tools of `pyproject.toml` are checked instead.
    /// Spanned so the table keeps the file's order.
    #[serde(default)]
    pub tools: BTreeMap<String, toml::Spanned<DriftTool>>,
    /// How long one version probe may run (default 10s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Seconds>,
    /// The `[dependency-groups]` of `pyproject.toml` whose packages count
    /// (`["*"]`: all). Unset: the groups named like dev tools (dev, lint,
    /// test, typing, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<PackageListName>>,
    /// The `[project.optional-dependencies]` extras whose packages count
    /// (`["*"]`: all). Unset: the extras named like dev tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extras: Option<Vec<PackageListName>>,
    /// Requirements files (relative to the project root) whose packages
    /// count too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<String>,
}

/// A group or extra name in `[drift] groups`/`extras`: a valid PEP 508
/// name, or `*` for all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageListName(pub String);

impl<'de> Deserialize<'de> for PackageListName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        if raw.trim() != "*" {
            crate::versions::normalize_name(&raw).map_err(|_| {
                serde::de::Error::custom(format!(
                    "{raw:?} is not a group or extra name (letters, digits, `-`, `_`, `.`; or \"*\" for all)"
                ))
            })?;
        }
        Ok(PackageListName(raw))
    }
}

impl Serialize for PackageListName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// One `[drift.tools]` entry: a version string or a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum DriftTool {
    /// `ruff = "0.14.0"` (a pin) or `mypy = ">=1.18,<2"` (a specifier).
    Version(String),
    /// `ruff = { version = "0.14.0", command = [...], pattern = "..." }`.
    Table(DriftToolTable),
}

impl DriftTool {
    /// The declared version or specifier text.
    pub fn version(&self) -> &str {
        match self {
            DriftTool::Version(v) => v,
            DriftTool::Table(t) => &t.version,
        }
    }
}

/// The table form of a `[drift.tools]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DriftToolTable {
    /// A pin (`0.14.0`, `==0.14.0`), a PEP 440 specifier, or `*` (any).
    pub version: String,
    /// The probe argv (default `[<tool>, "--version"]`); the program is
    /// resolved like guard-rails tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// A regex whose first capture group is the version in the probe's
    /// output (default: the first PEP 440 version-looking token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// The remediation argv (default: pip/uv, or rustup for rustc/cargo).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install: Option<Vec<String>>,
}

impl<'de> Deserialize<'de> for DriftTool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = DriftTool;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a version string or a table with `version`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DriftTool, E> {
                crate::versions::parse_expectation(v).map_err(E::custom)?;
                Ok(DriftTool::Version(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<DriftTool, A::Error> {
                use serde::de::Error;
                let table =
                    DriftToolTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                crate::versions::parse_expectation(&table.version).map_err(A::Error::custom)?;
                if let Some(command) = &table.command
                    && command.first().is_none_or(|p| p.trim().is_empty())
                {
                    return Err(A::Error::custom("`command` needs a program"));
                }
                if let Some(install) = &table.install
                    && install.first().is_none_or(|p| p.trim().is_empty())
                {
                    return Err(A::Error::custom("`install` needs a program"));
                }
                if let Some(pattern) = &table.pattern {
                    crate::versions::compile_pattern(pattern).map_err(A::Error::custom)?;
                }
                Ok(DriftTool::Table(table))
            }
        }
        d.deserialize_any(V)
    }
}

/// `[release]`: defaults for `release install` / `release verify`. Every
/// key is overridden by its flag. Relative paths are relative to the
/// project root; `~/` means the home directory. There is deliberately no
/// `allow_unsigned` key: skipping checksums is a per-run decision.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseConfig {
    /// `OWNER/REPO` to install from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Which release asset to install (default: this OS/arch, else a
    /// wheelhouse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset_pattern: Option<GlobPattern>,
    /// Which asset is the SHA-256 manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_pattern: Option<GlobPattern>,
    /// Which asset is the Sigstore bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigstore_pattern: Option<GlobPattern>,
    /// Where binaries go (default `~/.local/bin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin_dir: Option<String>,
    /// Where an archive's whole tree is unpacked (default: not kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// The Python that installs a wheelhouse (default `python3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<String>,
    /// The GitHub API base URL (default `https://api.github.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    /// Network timeout (default 30 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Seconds>,
    /// Retries after the first attempt (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
    /// Overall time limit for the downloads (default 30 min).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Seconds>,
    /// The largest download, and the most an archive may unpack to
    /// (default 2 GiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size: Option<ByteSize>,
    /// Fail when the release has no Sigstore bundle.
    #[serde(default)]
    pub require_sigstore: bool,
    /// Trusted signer identities (certificate SAN, exact or glob).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sigstore_identities: Vec<String>,
    /// The OIDC issuer the signer must come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigstore_issuer: Option<String>,
    /// A Sigstore trusted root JSON replacing the embedded public-good one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_root: Option<String>,
    /// Extra trusted CA certificates (PEM) for HTTPS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_bundle: Option<String>,
}

/// A command as argv, from a TOML list or a shell-style string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLine {
    Argv(Vec<String>),
    Line(String),
}

impl<'de> Deserialize<'de> for CommandLine {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Argv(Vec<String>),
            Line(String),
        }
        match Raw::deserialize(d).map_err(|_| {
            serde::de::Error::custom("expected a list of strings or a string for the command")
        })? {
            Raw::Argv(v) if v.is_empty() => {
                Err(serde::de::Error::custom("the command list is empty"))
            }
            Raw::Argv(v) => Ok(CommandLine::Argv(v)),
            Raw::Line(s) if s.trim().is_empty() => {
                Err(serde::de::Error::custom("the command string is empty"))
            }
            Raw::Line(s) => {
                if shlex::split(&s).is_none() {
                    return Err(serde::de::Error::custom(format!(
                        "cannot split {s:?} into arguments (unbalanced quotes)"
                    )));
                }
                Ok(CommandLine::Line(s))
            }
        }
    }
}

impl Serialize for CommandLine {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            CommandLine::Argv(v) => v.serialize(s),
            CommandLine::Line(l) => l.serialize(s),
        }
    }
}

/// A glob pattern checked when the file is read (gitignore-style: a
/// pattern without `/` matches in any directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobPattern(pub String);

impl GlobPattern {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GlobPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for GlobPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        crate::config::glob::validate(&raw).map_err(serde::de::Error::custom)?;
        Ok(GlobPattern(raw))
    }
}

impl Serialize for GlobPattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// A duration in seconds: `30`, `2.5`, or a string `"30s"`, `"2m"`, `"500ms"`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seconds(pub Duration);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(u64),
            Float(f64),
            Text(String),
        }
        let bad = || {
            serde::de::Error::custom(
                "expected seconds as a number or a string like \"30s\", \"2m\", \"500ms\"",
            )
        };
        let secs = match Raw::deserialize(d).map_err(|_| bad())? {
            Raw::Int(n) => n as f64,
            Raw::Float(f) => f,
            Raw::Text(t) => parse_duration(&t).ok_or_else(bad)?,
        };
        if !secs.is_finite() || secs <= 0.0 {
            return Err(serde::de::Error::custom(
                "a timeout must be a positive number of seconds",
            ));
        }
        Ok(Seconds(Duration::from_secs_f64(secs)))
    }
}

impl Serialize for Seconds {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.as_secs_f64().serialize(s)
    }
}

/// A size in bytes: a number, or a string `"500MiB"`, `"2GB"`, `"1G"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(u64),
            Text(String),
        }
        let bad = || {
            serde::de::Error::custom(
                "expected a positive size: bytes, or a string like \"500MiB\", \"2GiB\", \"1GB\"",
            )
        };
        let bytes = match Raw::deserialize(d).map_err(|_| bad())? {
            Raw::Int(n) => n,
            Raw::Text(t) => parse_size(&t).ok_or_else(bad)?,
        };
        if bytes == 0 {
            return Err(bad());
        }
        Ok(ByteSize(bytes))
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// Parse a size: a number of bytes with an optional unit, case-insensitive:
/// `B`; `KB`, `MB`, `GB`, `TB` (powers of 1000); `KiB`, `MiB`, `GiB`, `TiB`
/// and the short `K`, `M`, `G`, `T` (powers of 1024). Fractions are allowed
/// (`1.5GiB`).
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        _ => return None,
    };
    let value: f64 = num.parse().ok()?;
    let bytes = value * mult as f64;
    (bytes.is_finite() && bytes >= 0.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

/// Parse `"30s"`, `"2m"`, `"1h"`, `"500ms"` or a bare number into seconds.
pub fn parse_duration(text: &str) -> Option<f64> {
    let t = text.trim();
    let (num, mult) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (t, 1.0)
    };
    num.trim().parse::<f64>().ok().map(|v| v * mult)
}

#[cfg(test)]
mod size_tests {
    use super::parse_size;

    #[test]
    fn sizes_with_and_without_units() {
        assert_eq!(parse_size("1024"), Some(1024));
        assert_eq!(parse_size("2GiB"), Some(2 << 30));
        assert_eq!(parse_size("2g"), Some(2 << 30));
        assert_eq!(parse_size("500 MB"), Some(500_000_000));
        assert_eq!(parse_size("1.5KiB"), Some(1536));
        assert_eq!(parse_size("10b"), Some(10));
        for bad in ["", "GiB", "-1", "2 parsecs", "1e9", "99999999999TB"] {
            assert_eq!(parse_size(bad), None, "{bad:?}");
        }
    }
}
