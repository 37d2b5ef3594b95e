//! Preset names (`[guard-rails] presets`) and the detection behind
//! `presets = ["auto"]` (a Python project has `pyproject.toml` or
//! `setup.py`; a Rust project has `Cargo.toml`).

use std::path::Path;

/// A preset name as written in `[guard-rails] presets`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// Detect from the project's files.
    Auto,
    Python,
    Rust,
}

impl Preset {
    pub fn name(self) -> &'static str {
        match self {
            Preset::Auto => "auto",
            Preset::Python => "python",
            Preset::Rust => "rust",
        }
    }
}

/// The presets a project at `root` looks like it needs.
pub fn detect(root: &Path) -> Vec<Preset> {
    let mut found = Vec::new();
    if root.join("pyproject.toml").is_file() || root.join("setup.py").is_file() {
        found.push(Preset::Python);
    }
    if root.join("Cargo.toml").is_file() {
        found.push(Preset::Rust);
    }
    found
}

/// Replace `auto` with the detected presets, keeping order and no repeats.
pub fn resolve(configured: &[Preset], root: &Path) -> Vec<Preset> {
    let mut out: Vec<Preset> = Vec::new();
    for p in configured {
        let expanded = if *p == Preset::Auto {
            detect(root)
        } else {
            vec![*p]
        };
        for e in expanded {
            if !out.contains(&e) {
                out.push(e);
            }
        }
    }
    out
}
