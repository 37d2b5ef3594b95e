//! The PEP 508 marker environment of a virtual environment, without
//! running its interpreter: the Python version and implementation come
//! from `pyvenv.cfg`, the platform values from the host (a venv's tools run
//! here), as Python's `platform` and `sys` modules would report them.

use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder};

use super::PythonInfo;

/// The marker environment for `python` running on this host.
pub(super) fn for_host(python: &PythonInfo) -> Option<MarkerEnvironment> {
    let host = Host::current();
    let release = python.version.release();
    let python_version = format!(
        "{}.{}",
        release.first().copied().unwrap_or(3),
        release.get(1).copied().unwrap_or(0)
    );
    let full = python.version.to_string();
    let implementation_name = python.implementation.to_ascii_lowercase();
    MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: &implementation_name,
        implementation_version: &full,
        os_name: if cfg!(windows) { "nt" } else { "posix" },
        platform_machine: &host.machine,
        platform_python_implementation: &python.implementation,
        platform_release: &host.release,
        platform_system: &host.system,
        platform_version: &host.version,
        python_full_version: &full,
        python_version: &python_version,
        sys_platform: &host.sys_platform,
    })
    .ok()
}

/// `uname` values, in Python's spelling.
struct Host {
    /// `platform.system()`: `Linux`, `Darwin`, `Windows`, `FreeBSD`.
    system: String,
    /// `platform.release()`.
    release: String,
    /// `platform.version()`.
    version: String,
    /// `platform.machine()`: `x86_64`, `aarch64` (Linux), `arm64` (macOS).
    machine: String,
    /// `sys.platform`: `linux`, `darwin`, `win32`, `freebsd14`.
    sys_platform: String,
}

impl Host {
    #[cfg(unix)]
    fn current() -> Host {
        let uts = uname();
        let system = uts
            .as_ref()
            .map(|u| u.0.clone())
            .unwrap_or_else(|| fallback_system().to_string());
        let release = uts.as_ref().map(|u| u.1.clone()).unwrap_or_default();
        let sys_platform = match system.as_str() {
            "Linux" => "linux".to_string(),
            "Darwin" => "darwin".to_string(),
            // FreeBSD and friends: the name and the major release.
            other => format!(
                "{}{}",
                other.to_ascii_lowercase(),
                release.split('.').next().unwrap_or("")
            ),
        };
        Host {
            system,
            release,
            version: uts.as_ref().map(|u| u.2.clone()).unwrap_or_default(),
            machine: uts
                .map(|u| u.3)
                .unwrap_or_else(|| std::env::consts::ARCH.to_string()),
            sys_platform,
        }
    }

    #[cfg(not(unix))]
    fn current() -> Host {
        Host {
            system: fallback_system().to_string(),
            release: String::new(),
            version: String::new(),
            machine: match std::env::consts::ARCH {
                "x86_64" => "AMD64".to_string(),
                "aarch64" => "ARM64".to_string(),
                other => other.to_string(),
            },
            sys_platform: "win32".to_string(),
        }
    }
}

fn fallback_system() -> &'static str {
    match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "Darwin",
        "windows" => "Windows",
        "freebsd" => "FreeBSD",
        other => other,
    }
}

/// `(sysname, release, version, machine)` from uname(2).
#[cfg(unix)]
fn uname() -> Option<(String, String, String, String)> {
    // SAFETY: `utsname` is plain old data, so an all-zero value is valid;
    // uname(2) only writes NUL-terminated strings into the buffer we own.
    let uts = unsafe {
        let mut uts: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut uts) != 0 {
            return None;
        }
        uts
    };
    let field = |raw: &[libc::c_char]| {
        let bytes: Vec<u8> = raw
            .iter()
            .take_while(|c| **c != 0)
            .map(|c| *c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Some((
        field(&uts.sysname),
        field(&uts.release),
        field(&uts.version),
        field(&uts.machine),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_markers_name_this_platform() {
        let python = PythonInfo {
            version: "3.12.1".parse().unwrap(),
            implementation: "CPython".to_string(),
        };
        let env = for_host(&python).unwrap();
        assert_eq!(env.python_version().to_string(), "3.12");
        assert_eq!(env.python_full_version().to_string(), "3.12.1");
        assert_eq!(env.implementation_name(), "cpython");
        if cfg!(target_os = "linux") {
            assert_eq!(env.sys_platform(), "linux");
            assert_eq!(env.platform_system(), "Linux");
            assert_eq!(env.os_name(), "posix");
        }
        if cfg!(target_os = "macos") {
            assert_eq!(env.sys_platform(), "darwin");
        }
        assert!(!env.platform_machine().is_empty());
    }
}
