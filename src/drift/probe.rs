//! Asking a tool its version: run `<tool> --version` (resolved like a
//! guard-rails tool), with a timeout, and find the version in whatever it
//! printed. Only for what the environment's metadata cannot answer
//! ([`super::installed`]): Rust tools, tools with their own `command` or
//! `pattern`, and Python tools not installed in the project's environment.
//!
//! A probe never hangs the check: it runs through the one process runner
//! ([`crate::process`]) in its own process group, and the whole group is
//! stopped when the timeout fires (a wrapper script that forks `sleep`
//! cannot keep the pipes open). Output is read from both
//! streams (some tools print their version on stderr), capped at 64 KiB.
//! A non-zero exit status does not discard a version that was printed:
//! the version is what is installed, and some tools exit 1 on `--version`;
//! the exit code is kept in the report. "Not installed" is a program that
//! cannot be spawned, a shell's 127, `uv run` failing to spawn it, or
//! rustup saying the toolchain is not installed.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;
use std::str::FromStr;
use std::sync::LazyLock;
use std::time::Duration;

use pep440_rs::Version;
use regex::Regex;

use super::declared::{DeclaredTool, ToolKind};
use crate::process::{self, Capture, Exit, Streams};
use crate::pyenv::PythonEnv;
use crate::tools::{self, Via};

/// The most output kept from one stream.
const OUTPUT_CAP: usize = 64 * 1024;

/// The first PEP 440-looking version in a banner: `0.14.5`, `1.18.2`,
/// `2.1.0+cu121`, `1.96.0-beta.3`, `v2.0.0rc1`.
static VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:^|[^0-9a-z.])v?((?:\d+!)?\d+(?:\.\d+)+(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview|post|rev|r|dev)[-_.]?\d*)*(?:\+[a-z0-9]+(?:\.[a-z0-9]+)*)?)",
    )
    .expect("static regex")
});

/// The numeric core of a version (`1.97.0` of `1.97.0-nightly`).
static CORE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d+(?:\.\d+)+").expect("static regex"));

/// A version found in a probe's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub version: Version,
    /// The version as printed (`1.96.0-beta.3`).
    pub text: String,
    /// The whitespace-separated word around it (`1.97.0-nightly`), which
    /// carries a Rust channel.
    pub word: String,
}

/// Find the version in `output` with the tool's pattern, or the default
/// scan.
pub fn find_version(output: &str, pattern: Option<&Regex>) -> Option<Found> {
    match pattern {
        Some(re) => {
            let caps = re.captures(output)?;
            let m = caps.get(1).or_else(|| caps.get(0))?;
            let version = parse_lenient(m.as_str())
                .or_else(|| find_version(m.as_str(), None).map(|f| f.version))?;
            Some(Found {
                version,
                text: m.as_str().trim().to_string(),
                word: word_around(output, m.start(), m.end()),
            })
        }
        None => VERSION.captures_iter(output).find_map(|caps| {
            let m = caps.get(1)?;
            let version = parse_lenient(m.as_str())?;
            Some(Found {
                version,
                text: m.as_str().to_string(),
                word: word_around(output, m.start(), m.end()),
            })
        }),
    }
}

/// PEP 440 parse, falling back to the numeric core.
fn parse_lenient(text: &str) -> Option<Version> {
    let t = text.trim();
    Version::from_str(t).ok().or_else(|| {
        CORE.find(t)
            .and_then(|m| Version::from_str(m.as_str()).ok())
    })
}

fn word_around(text: &str, start: usize, end: usize) -> String {
    let begin = text[..start]
        .rfind(char::is_whitespace)
        .map_or(0, |i| i + 1);
    let finish = text[end..]
        .find(char::is_whitespace)
        .map_or(text.len(), |i| end + i);
    text[begin..finish].to_string()
}

/// What a probe found out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A version was printed (whatever the exit status).
    Found {
        found: Found,
        exit_code: Option<i32>,
        /// `command` (the tool's own output) or `metadata` (the Python
        /// package metadata, for distributions without that command).
        source: &'static str,
    },
    /// The program is not installed.
    NotFound { detail: String },
    /// It ran but gave no version, or timed out.
    Failed {
        /// Short, for the table: "timed out", "no version in output".
        short: String,
        detail: String,
        exit_code: Option<i32>,
    },
}

/// One probe's result and the command that produced it.
#[derive(Debug, Clone)]
pub struct Probe {
    pub outcome: Outcome,
    /// The probe command as shown to the user.
    pub command: Vec<String>,
}

/// Where and how long probes run.
#[derive(Debug, Clone, Copy)]
pub struct ProbeSettings<'a> {
    /// The project root: probes run here.
    pub root: &'a Path,
    /// The time limit of one probe.
    pub timeout: Duration,
    /// The project's Python environment, when one was found. A Python
    /// tool probed although an environment exists is not installed in it,
    /// so it is looked for outside (the `.venv/bin` and `PATH`, never
    /// `uv run`, which would only look in the same environment).
    pub env: Option<&'a PythonEnv>,
}

/// Run the probes of all tools in parallel: a few workers per core (the
/// probes mostly wait on their child), each taking the next tool, results
/// in the tools' order.
pub fn probe_all(settings: &ProbeSettings<'_>, tools: &[&DeclaredTool]) -> Vec<Probe> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let workers = (cores * 4).clamp(4, 32).min(tools.len());
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Probe>>> = Mutex::new(vec![None; tools.len()]);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(tool) = tools.get(i) else { break };
                    let p = probe(settings, tool);
                    if let Ok(mut r) = results.lock() {
                        r[i] = Some(p);
                    }
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results
        .into_iter()
        .zip(tools)
        .map(|(p, tool)| {
            p.unwrap_or_else(|| Probe {
                outcome: Outcome::Failed {
                    short: "probe crashed".to_string(),
                    detail: format!("the probe for {} did not complete", tool.name),
                    exit_code: None,
                },
                command: Vec::new(),
            })
        })
        .collect()
}

/// Probe one tool: run its command.
pub fn probe(settings: &ProbeSettings<'_>, tool: &DeclaredTool) -> Probe {
    let root = settings.root;
    let argv: Vec<String> = match &tool.command {
        Some(cmd) => cmd.clone(),
        None => vec![tool.name.clone(), "--version".to_string()],
    };
    let Some((program, args)) = argv.split_first() else {
        // The configuration rejects an empty `command`; stay total anyway.
        return Probe {
            outcome: Outcome::Failed {
                short: "no command".to_string(),
                detail: format!("the probe command of {} is empty", tool.name),
                exit_code: None,
            },
            command: Vec::new(),
        };
    };
    let default_python = tool.kind == ToolKind::Python && tool.command.is_none();
    let resolved = match (&tool.kind, settings.env) {
        (ToolKind::Rust, _) => tools::resolve_on_path(program),
        (ToolKind::Python, Some(_)) if default_python => outside_env(root, program),
        (ToolKind::Python, _) => tools::resolve(root, program),
    };
    if default_python && !resolved.is_found() {
        return Probe {
            outcome: Outcome::NotFound {
                detail: match settings.env {
                    Some(env) => format!(
                        "{}: not installed in {}, and no `{program}` command on PATH",
                        tool.name,
                        env.describe(root)
                    ),
                    None => format!(
                        "{}: no `{program}` command in .venv/bin or on PATH, and no Python environment to read (.venv, VIRTUAL_ENV, python3 on PATH)",
                        tool.name
                    ),
                },
            },
            command: vec![program.clone(), "--version".to_string()],
        };
    }
    let via_uv = matches!(resolved.via, Via::Uv { .. });
    let mut full = resolved.argv_with_uv_flags(&["--no-sync"]);
    full.extend(args.iter().map(OsString::from));
    let shown = display_argv(&full, root);
    let mut cmd = tools::command_from(&full, root);
    if tool.kind == ToolKind::Rust {
        // A probe must not download a toolchain (rustup ≥ 1.28.1 installs
        // a missing rust-toolchain.toml channel on first use).
        cmd.env("RUSTUP_AUTO_INSTALL", "0");
    }
    Probe {
        outcome: interpret(ask(cmd, settings.timeout), tool, via_uv, settings.timeout),
        command: shown,
    }
}

/// `<root>/.venv/bin/<program>`, else `<program>` on `PATH`: where a
/// Python tool missing from the project's environment may still be.
fn outside_env(root: &Path, program: &str) -> tools::Resolved {
    let via = match tools::venv_program(root, program) {
        Some(path) => Via::Venv { path },
        None => tools::resolve_on_path(program).via,
    };
    tools::Resolved {
        program: program.to_string(),
        via,
    }
}

/// Show an argv with paths inside the project made relative to it.
pub fn display_argv(argv: &[OsString], root: &Path) -> Vec<String> {
    argv.iter()
        .map(|a| {
            let p = Path::new(a);
            match p.strip_prefix(root) {
                Ok(rel) if p.is_absolute() => rel.to_string_lossy().into_owned(),
                _ => a.to_string_lossy().into_owned(),
            }
        })
        .collect()
}

/// What running a probe produced.
#[derive(Debug)]
pub struct RawOutput {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: Option<i32>,
}

/// Why a probe produced no output.
#[derive(Debug)]
pub enum RunError {
    /// The program does not exist (the system's message).
    NotFound(String),
    /// It could not be started for another reason.
    Spawn(String),
    /// It ran longer than the timeout and was stopped.
    TimedOut,
}

/// Run `cmd` with no stdin through the one process runner
/// ([`crate::process`]), capturing both streams (each capped), stopping
/// its process group when `timeout` passes.
pub fn ask(cmd: Command, timeout: Duration) -> Result<RawOutput, RunError> {
    let out = process::capture(
        cmd,
        &Capture {
            timeout: Some(timeout),
            streams: Streams::Separate,
            cap: Some(OUTPUT_CAP),
            children: None,
        },
    );
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let exit_code = match out.exit {
        Exit::Code(c) => Some(c),
        Exit::Signal(_) => None,
        Exit::TimedOut => return Err(RunError::TimedOut),
        Exit::NotFound(e) => return Err(RunError::NotFound(e)),
        Exit::SpawnFailed(e) => return Err(RunError::Spawn(e)),
    };
    Ok(RawOutput {
        stdout: text(&out.stdout),
        stderr: text(&out.stderr),
        exit_code,
    })
}

/// Turn a run into an outcome (see the module docs for "not installed").
fn interpret(
    result: Result<RawOutput, RunError>,
    tool: &DeclaredTool,
    via_uv: bool,
    timeout: Duration,
) -> Outcome {
    let raw = match result {
        Ok(raw) => raw,
        Err(RunError::NotFound(e)) => {
            return Outcome::NotFound {
                detail: format!("{}: {e}", tool.name),
            };
        }
        Err(RunError::Spawn(e)) => {
            return Outcome::Failed {
                short: "cannot run".to_string(),
                detail: format!("cannot run the probe for {}: {e}", tool.name),
                exit_code: None,
            };
        }
        Err(RunError::TimedOut) => {
            return Outcome::Failed {
                short: "timed out".to_string(),
                detail: format!(
                    "the version probe for {} did not finish within {}s and was killed",
                    tool.name,
                    timeout.as_secs_f64()
                ),
                exit_code: None,
            };
        }
    };
    let failed = raw.exit_code != Some(0);
    let not_installed = failed
        && (raw.exit_code == Some(127)
            || (via_uv && raw.stderr.contains("Failed to spawn"))
            || (tool.kind == ToolKind::Rust && raw.stderr.contains("is not installed")));
    if not_installed {
        return Outcome::NotFound {
            detail: first_line(&raw.stderr),
        };
    }
    let combined = format!("{}\n{}", raw.stdout, raw.stderr);
    match find_version(&combined, tool.pattern.as_ref()) {
        Some(found) => Outcome::Found {
            found,
            exit_code: raw.exit_code,
            source: "command",
        },
        None => Outcome::Failed {
            short: "no version".to_string(),
            detail: format!(
                "no version in the output of the probe for {}{}: {:?}",
                tool.name,
                match raw.exit_code {
                    Some(0) => String::new(),
                    Some(c) => format!(" (exit {c})"),
                    None => " (killed by a signal)".to_string(),
                },
                first_line(&combined)
            ),
            exit_code: raw.exit_code,
        },
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    line.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(output: &str) -> Option<String> {
        find_version(output, None).map(|f| f.version.to_string())
    }

    #[test]
    fn banners() {
        assert_eq!(v("ruff 0.14.5\n").as_deref(), Some("0.14.5"));
        assert_eq!(v("mypy 1.18.2 (compiled: yes)").as_deref(), Some("1.18.2"));
        assert_eq!(v("pip-audit 2.9.0").as_deref(), Some("2.9.0"));
        assert_eq!(
            v("rustc 1.95.0 (59807616e 2026-04-14)").as_deref(),
            Some("1.95.0")
        );
        assert_eq!(
            v("black, 25.9.0 (compiled: yes)\nPython (CPython) 3.11.7").as_deref(),
            Some("25.9.0")
        );
        assert_eq!(v("tool v2.0.0rc1").as_deref(), Some("2.0.0rc1"));
        assert_eq!(v("torch 2.1.0+cu121").as_deref(), Some("2.1.0+cu121"));
        assert_eq!(v("python3 says nothing").as_deref(), None);
        assert_eq!(v("os error 2").as_deref(), None);
        let nightly = find_version("rustc 1.97.0-nightly (abc 2026-05-01)", None).unwrap();
        assert_eq!(nightly.version.to_string(), "1.97.0");
        assert_eq!(nightly.word, "1.97.0-nightly");
        let beta = find_version("cargo 1.96.0-beta.3 (abc)", None).unwrap();
        assert_eq!(beta.word, "1.96.0-beta.3");
    }

    #[test]
    fn custom_pattern_uses_its_group() {
        let re = crate::versions::compile_pattern(r"version: (\S+)").unwrap();
        let f = find_version("x 9.9.9\nversion: 1.2.3\n", Some(&re)).unwrap();
        assert_eq!(f.version.to_string(), "1.2.3");
    }
}
