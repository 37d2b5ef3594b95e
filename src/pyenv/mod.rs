//! The project's Python environment, read from the file system: where it
//! is, which Python it runs, and (in [`dists`]) which distributions are
//! installed in it, with their versions and the commands they install.
//!
//! The environment is the one `uv run` would use, looked for in this order:
//! a uv project's environment (`UV_PROJECT_ENVIRONMENT`, else `.venv`, when
//! `uv.lock` exists), the project's `.venv`, then the active virtualenv
//! (`VIRTUAL_ENV`). A directory counts only when it has a `pyvenv.cfg`.
//! Everything is read from files: `pyvenv.cfg` for the Python version and
//! implementation, `lib/python*/site-packages` for the distributions. No
//! interpreter runs. When none of these exists, a caller may ask an
//! interpreter once for the same facts ([`InterpreterFacts`], the one
//! process this module describes but never starts).
//!
//! The PEP 508 marker environment ([`PythonEnv::markers`]) combines the
//! environment's Python with the host's platform, which is where the
//! environment's tools run.
//!
//! [`toolcfg`] reads the project's own tool configuration and decides how
//! the python preset runs each tool in this environment.

pub mod dists;
mod markers;
pub mod toolcfg;

use std::path::{Path, PathBuf};

use pep440_rs::Version;
use pep508_rs::MarkerEnvironment;
use serde::Serialize;

/// How the environment was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnvKind {
    /// A uv project's environment (`uv.lock` exists).
    UvProject,
    /// `<root>/.venv`.
    Venv,
    /// The virtualenv named by `VIRTUAL_ENV`.
    Active,
    /// An interpreter on `PATH` (no virtual environment).
    Interpreter,
}

impl EnvKind {
    /// Words for messages: "uv project", "venv", "active venv", "interpreter".
    pub fn describe(self) -> &'static str {
        match self {
            EnvKind::UvProject => "uv project environment",
            EnvKind::Venv => "venv",
            EnvKind::Active => "active venv (VIRTUAL_ENV)",
            EnvKind::Interpreter => "interpreter on PATH",
        }
    }
}

/// What the process environment says about where to look (read once by
/// the caller, so tests and settings decide, not this module).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvHints {
    /// `VIRTUAL_ENV`.
    pub virtual_env: Option<PathBuf>,
    /// `UV_PROJECT_ENVIRONMENT` (relative paths are relative to the root).
    pub uv_project_environment: Option<PathBuf>,
}

impl EnvHints {
    /// The hints from this process's environment.
    pub fn from_process() -> Self {
        let non_empty = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        EnvHints {
            virtual_env: non_empty("VIRTUAL_ENV"),
            uv_project_environment: non_empty("UV_PROJECT_ENVIRONMENT"),
        }
    }
}

/// A Python version with its implementation, as far as it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PythonInfo {
    /// `3.12.1` (or only `3.12` when read from a `lib/python3.12` name).
    pub version: Version,
    /// `CPython`, `PyPy`, … (`platform.python_implementation()`).
    pub implementation: String,
}

/// A Python environment and where its distributions live.
#[derive(Debug, Clone)]
pub struct PythonEnv {
    pub kind: EnvKind,
    /// The environment's directory (`sys.prefix`).
    pub prefix: PathBuf,
    /// Where distributions are installed, in import order.
    pub site_packages: Vec<PathBuf>,
    /// The Python it runs, when `pyvenv.cfg` or the layout tells.
    pub python: Option<PythonInfo>,
    /// The interpreter that owns it (`bin/python`), when it exists.
    pub interpreter: Option<PathBuf>,
    /// The exact marker environment reported by an interpreter; venvs
    /// build theirs from `python` and the host.
    reported_markers: Option<MarkerEnvironment>,
}

impl PythonEnv {
    /// The PEP 508 marker environment the environment's tools run in, or
    /// `None` when its Python version is unknown.
    pub fn markers(&self) -> Option<MarkerEnvironment> {
        if let Some(m) = &self.reported_markers {
            return Some(m.clone());
        }
        markers::for_host(self.python.as_ref()?)
    }

    /// "`.venv` (uv project environment, CPython 3.12.1)", with the prefix
    /// shown relative to `root` when inside it.
    pub fn describe(&self, root: &Path) -> String {
        let python = self
            .python
            .as_ref()
            .map(|p| format!(", {} {}", p.implementation, p.version))
            .unwrap_or_default();
        format!(
            "{} ({}{python})",
            shown_path(&self.prefix, root),
            self.kind.describe()
        )
    }
}

/// `path` relative to `root` when it is inside it, else as it is.
pub fn shown_path(path: &Path, root: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
        Ok(rel) => rel.display().to_string(),
        Err(_) => path.display().to_string(),
    }
}

/// The project's environment (see the module docs), or `None` when no
/// candidate directory has a `pyvenv.cfg`.
pub fn find(root: &Path, hints: &EnvHints) -> Option<PythonEnv> {
    let mut candidates: Vec<(EnvKind, PathBuf)> = Vec::new();
    if root.join("uv.lock").is_file() {
        let dir = match &hints.uv_project_environment {
            Some(p) => root.join(p),
            None => root.join(".venv"),
        };
        candidates.push((EnvKind::UvProject, dir));
    }
    candidates.push((EnvKind::Venv, root.join(".venv")));
    if let Some(active) = &hints.virtual_env {
        candidates.push((EnvKind::Active, root.join(active)));
    }
    candidates
        .into_iter()
        .find_map(|(kind, dir)| from_venv_dir(kind, &dir))
}

/// Read a virtual environment directory (`None` without `pyvenv.cfg`).
pub fn from_venv_dir(kind: EnvKind, dir: &Path) -> Option<PythonEnv> {
    let cfg = std::fs::read_to_string(dir.join("pyvenv.cfg")).ok()?;
    let cfg = PyvenvCfg::parse(&cfg);
    let own = venv_site_packages(dir);
    let mut python = cfg.python();
    if python.is_none() {
        // No version in pyvenv.cfg: `lib/python3.12` says the minor.
        python = own.iter().find_map(|sp| python_from_lib_dir(sp));
    }
    let mut site_packages = own;
    if cfg.include_system_site_packages
        && let Some(home) = &cfg.home
        && let Some(python) = &python
    {
        // The base interpreter's prefix is the parent of its `bin`.
        let (major, minor) = major_minor(&python.version);
        if let Some(user) = user_site(major, minor) {
            site_packages.push(user);
        }
        if let Some(base) = Path::new(home).parent() {
            for lib in ["lib", "lib64"] {
                let sp = base
                    .join(lib)
                    .join(format!("python{major}.{minor}"))
                    .join("site-packages");
                if sp.is_dir() && !site_packages.contains(&sp) {
                    site_packages.push(sp);
                }
            }
        }
    }
    let bin = if cfg!(windows) { "Scripts" } else { "bin" };
    let interpreter = ["python", "python3", "python.exe"]
        .iter()
        .map(|n| dir.join(bin).join(n))
        .find(|p| p.is_file());
    Some(PythonEnv {
        kind,
        prefix: dir.to_path_buf(),
        site_packages,
        python,
        interpreter,
        reported_markers: None,
    })
}

/// `lib/python3.X/site-packages` (and PyPy's `lib/pypy3.X`), or Windows'
/// `Lib/site-packages`; `lib64` is usually a link to `lib` and is read
/// only when it is a directory of its own.
fn venv_site_packages(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for lib in ["lib", "lib64"] {
        let lib_dir = dir.join(lib);
        if lib == "lib64" && std::fs::symlink_metadata(&lib_dir).is_ok_and(|m| m.is_symlink()) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&lib_dir) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.starts_with("python") || name.starts_with("pypy")
            })
            .map(|e| e.path().join("site-packages"))
            .filter(|p| p.is_dir())
            .collect();
        found.sort();
        for sp in found {
            if !out
                .iter()
                .any(|o: &PathBuf| same_dir(o, &sp).unwrap_or(false))
            {
                out.push(sp);
            }
        }
    }
    let windows = dir.join("Lib").join("site-packages");
    if out.is_empty() && windows.is_dir() {
        out.push(windows);
    }
    out
}

fn same_dir(a: &Path, b: &Path) -> Option<bool> {
    Some(std::fs::canonicalize(a).ok()? == std::fs::canonicalize(b).ok()?)
}

/// `3.12` from `.../lib/python3.12/site-packages` (`PyPy` for `pypy3.10`).
fn python_from_lib_dir(site_packages: &Path) -> Option<PythonInfo> {
    let name = site_packages.parent()?.file_name()?.to_str()?;
    let (implementation, rest) = if let Some(r) = name.strip_prefix("pypy") {
        ("PyPy", r)
    } else {
        ("CPython", name.strip_prefix("python")?)
    };
    let rest = rest.trim_end_matches('t'); // free-threaded `python3.13t`
    let version = rest.parse::<Version>().ok()?;
    Some(PythonInfo {
        version,
        implementation: implementation.to_string(),
    })
}

fn major_minor(v: &Version) -> (u64, u64) {
    let r = v.release();
    (
        r.first().copied().unwrap_or(3),
        r.get(1).copied().unwrap_or(0),
    )
}

/// `~/.local/lib/pythonX.Y/site-packages` when it exists (POSIX user
/// site; `PYTHONUSERBASE` moves it).
fn user_site(major: u64, minor: u64) -> Option<PathBuf> {
    let base = std::env::var_os("PYTHONUSERBASE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local")))?;
    let sp = base
        .join("lib")
        .join(format!("python{major}.{minor}"))
        .join("site-packages");
    sp.is_dir().then_some(sp)
}

/// The keys of `pyvenv.cfg` that matter here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct PyvenvCfg {
    home: Option<String>,
    /// `version` (venv, virtualenv) or `version_info` (uv, virtualenv).
    version: Option<String>,
    /// `implementation` (uv, virtualenv): `CPython`, `PyPy`.
    implementation: Option<String>,
    include_system_site_packages: bool,
}

impl PyvenvCfg {
    fn parse(text: &str) -> Self {
        let mut cfg = PyvenvCfg::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = value.trim().to_string();
            match key.trim().to_ascii_lowercase().as_str() {
                "home" => cfg.home = Some(value),
                "version" | "version_info" if cfg.version.is_none() => cfg.version = Some(value),
                "implementation" => cfg.implementation = Some(value),
                "include-system-site-packages" => {
                    cfg.include_system_site_packages = value.eq_ignore_ascii_case("true");
                }
                _ => {}
            }
        }
        cfg
    }

    fn python(&self) -> Option<PythonInfo> {
        let version = parse_python_version(self.version.as_deref()?)?;
        let implementation = match self.implementation.as_deref() {
            Some(i) if i.eq_ignore_ascii_case("pypy") => "PyPy".to_string(),
            Some(i) if i.eq_ignore_ascii_case("cpython") => "CPython".to_string(),
            Some(i) if !i.is_empty() => i.to_string(),
            _ => "CPython".to_string(),
        };
        Some(PythonInfo {
            version,
            implementation,
        })
    }
}

/// `3.12.1`, or virtualenv's `sys.version_info` form `3.13.0.candidate.1`
/// (`3.13.0rc1`), `3.12.1.final.0` (`3.12.1`).
fn parse_python_version(text: &str) -> Option<Version> {
    let parts: Vec<&str> = text.trim().split('.').collect();
    if parts.len() == 5 && parts[..3].iter().all(|p| p.parse::<u64>().is_ok()) {
        let base = parts[..3].join(".");
        let pre = match parts[3] {
            "final" => String::new(),
            "candidate" => format!("rc{}", parts[4]),
            "beta" => format!("b{}", parts[4]),
            "alpha" => format!("a{}", parts[4]),
            _ => return None,
        };
        return format!("{base}{pre}").parse().ok();
    }
    text.trim().parse().ok()
}

/// What an interpreter says about itself: the script to run (`python -c
/// SCRIPT`, printing one JSON object) and its parsed answer.
#[derive(Debug, Clone)]
pub struct InterpreterFacts {
    pub prefix: PathBuf,
    pub site_packages: Vec<PathBuf>,
    pub python: PythonInfo,
    pub markers: MarkerEnvironment,
}

impl InterpreterFacts {
    /// Prints `sys.prefix`, the `site-packages`/`dist-packages` entries of
    /// `sys.path` (user site included), and the PEP 508 marker values.
    /// Meant for `python -I -c SCRIPT`: isolated mode keeps the current
    /// directory off `sys.path`, so a project's own `json.py` cannot run.
    pub const SCRIPT: &'static str = r#"import json, os, platform, sys
impl = sys.implementation
def fmt(v):
    s = "%d.%d.%d" % (v.major, v.minor, v.micro)
    if v.releaselevel != "final":
        s += {"alpha": "a", "beta": "b", "candidate": "rc"}.get(v.releaselevel, "") + str(v.serial)
    return s
paths = [p for p in sys.path if os.path.basename(p.rstrip("/\\")) in ("site-packages", "dist-packages") and os.path.isdir(p)]
# Run with -I (no current directory or PYTHON* variables on the path), which
# also leaves out the user site: add it back where Python would have it.
import site
user = site.getusersitepackages()
if sys.prefix == sys.base_prefix and not os.environ.get("PYTHONNOUSERSITE") and os.path.isdir(user) and user not in paths:
    paths.insert(0, user)
print(json.dumps({
    "prefix": sys.prefix,
    "site_packages": paths,
    "implementation_name": impl.name,
    "implementation_version": fmt(impl.version),
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_python_implementation": platform.python_implementation(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}))
"#;

    /// Parse the script's output; `None` when it is not what the script
    /// prints (another program answered).
    pub fn parse(stdout: &str) -> Option<Self> {
        #[derive(serde::Deserialize)]
        struct Raw {
            prefix: PathBuf,
            site_packages: Vec<PathBuf>,
            implementation_name: String,
            implementation_version: String,
            os_name: String,
            platform_machine: String,
            platform_python_implementation: String,
            platform_release: String,
            platform_system: String,
            platform_version: String,
            python_full_version: String,
            python_version: String,
            sys_platform: String,
        }
        let line = stdout
            .lines()
            .rev()
            .find(|l| l.trim_start().starts_with('{'))?;
        let raw: Raw = serde_json::from_str(line).ok()?;
        let markers = MarkerEnvironment::try_from(pep508_rs::MarkerEnvironmentBuilder {
            implementation_name: &raw.implementation_name,
            implementation_version: &raw.implementation_version,
            os_name: &raw.os_name,
            platform_machine: &raw.platform_machine,
            platform_python_implementation: &raw.platform_python_implementation,
            platform_release: &raw.platform_release,
            platform_system: &raw.platform_system,
            platform_version: &raw.platform_version,
            python_full_version: &raw.python_full_version,
            python_version: &raw.python_version,
            sys_platform: &raw.sys_platform,
        })
        .ok()?;
        Some(InterpreterFacts {
            prefix: raw.prefix,
            site_packages: raw.site_packages,
            python: PythonInfo {
                version: raw.python_full_version.parse().ok()?,
                implementation: raw.platform_python_implementation,
            },
            markers,
        })
    }

    /// The environment these facts describe; `interpreter` is the program
    /// that answered.
    pub fn into_env(self, interpreter: PathBuf) -> PythonEnv {
        PythonEnv {
            kind: EnvKind::Interpreter,
            prefix: self.prefix,
            site_packages: self.site_packages,
            python: Some(self.python),
            interpreter: Some(interpreter),
            reported_markers: Some(self.markers),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn venv(dir: &Path, cfg: &str, lib: &str) -> PathBuf {
        std::fs::create_dir_all(dir.join("lib").join(lib).join("site-packages")).unwrap();
        std::fs::write(dir.join("pyvenv.cfg"), cfg).unwrap();
        dir.to_path_buf()
    }

    #[test]
    fn pyvenv_cfg_versions() {
        assert_eq!(
            parse_python_version("3.12.1").unwrap().to_string(),
            "3.12.1"
        );
        assert_eq!(
            parse_python_version("3.13.0.candidate.1")
                .unwrap()
                .to_string(),
            "3.13.0rc1"
        );
        assert_eq!(
            parse_python_version("3.11.7.final.0").unwrap().to_string(),
            "3.11.7"
        );
        assert!(parse_python_version("banana").is_none());
        let cfg = PyvenvCfg::parse(
            "home = /usr/bin\nimplementation = PyPy\nversion_info = 3.10.14\ninclude-system-site-packages = TRUE\n",
        );
        assert_eq!(cfg.home.as_deref(), Some("/usr/bin"));
        assert!(cfg.include_system_site_packages);
        let python = cfg.python().unwrap();
        assert_eq!(python.implementation, "PyPy");
        assert_eq!(python.version.to_string(), "3.10.14");
    }

    #[test]
    fn uv_project_env_wins_then_dot_venv_then_virtual_env() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("proj");
        let active = venv(
            &dir.path().join("active"),
            "version = 3.10.1\n",
            "python3.10",
        );
        let hints = EnvHints {
            virtual_env: Some(active.clone()),
            uv_project_environment: Some(PathBuf::from("envs/uv")),
        };
        std::fs::create_dir_all(&root).unwrap();
        let env = find(&root, &hints).unwrap();
        assert_eq!(env.kind, EnvKind::Active);
        assert_eq!(env.prefix, active);
        assert_eq!(env.python.as_ref().unwrap().version.to_string(), "3.10.1");

        // A `.venv` without pyvenv.cfg is not an environment.
        std::fs::create_dir_all(root.join(".venv/bin")).unwrap();
        assert_eq!(find(&root, &hints).unwrap().kind, EnvKind::Active);
        venv(&root.join(".venv"), "version = 3.12.2\n", "python3.12");
        assert_eq!(find(&root, &hints).unwrap().kind, EnvKind::Venv);

        // uv.lock: UV_PROJECT_ENVIRONMENT, relative to the root.
        std::fs::write(root.join("uv.lock"), "").unwrap();
        venv(
            &root.join("envs/uv"),
            "version_info = 3.13.0\n",
            "python3.13",
        );
        let env = find(&root, &hints).unwrap();
        assert_eq!(env.kind, EnvKind::UvProject);
        assert_eq!(env.prefix, root.join("envs/uv"));
        assert_eq!(
            env.site_packages,
            [root.join("envs/uv/lib/python3.13/site-packages")]
        );
        assert_eq!(
            env.describe(&root),
            "envs/uv (uv project environment, CPython 3.13.0)"
        );
    }

    #[test]
    fn version_from_the_lib_dir_when_the_cfg_has_none() {
        let dir = tempfile::tempdir().unwrap();
        let v = venv(dir.path(), "home = /x/bin\n", "pypy3.10");
        let env = from_venv_dir(EnvKind::Venv, &v).unwrap();
        let python = env.python.unwrap();
        assert_eq!(python.version.to_string(), "3.10");
        assert_eq!(python.implementation, "PyPy");
    }

    #[test]
    fn interpreter_facts_parse() {
        let out = r##"{"prefix": "/usr", "site_packages": ["/usr/lib/python3/dist-packages"], "implementation_name": "cpython", "implementation_version": "3.12.3", "os_name": "posix", "platform_machine": "x86_64", "platform_python_implementation": "CPython", "platform_release": "6.1", "platform_system": "Linux", "platform_version": "#1", "python_full_version": "3.12.3", "python_version": "3.12", "sys_platform": "linux"}"##;
        let facts = InterpreterFacts::parse(out).unwrap();
        assert_eq!(facts.python.version.to_string(), "3.12.3");
        let env = facts.into_env(PathBuf::from("/usr/bin/python3"));
        assert_eq!(env.kind, EnvKind::Interpreter);
        assert_eq!(env.markers().unwrap().python_version().to_string(), "3.12");
        assert!(InterpreterFacts::parse("Python 3.12.3").is_none());
    }
}
