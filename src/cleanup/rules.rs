//! The cleanup rules: which names are junk, in which category, and where
//! the walk must not look. One decision function, [`RuleSet::decide`],
//! serves both the full walk and the scoped (hook) check, so a path is junk
//! in a hook exactly when the full cleanup would have removed it.
//!
//! Matching is by the entry's own name (bytes, no UTF-8 assumption) and
//! its kind as read from the directory (no `stat`), which keeps the walk
//! cheap. Context that only matters for a match (is it inside
//! `node_modules`? inside `.git`? does a `target` directory sit beside a
//! `Cargo.toml`?) is computed lazily, only when a name matched.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::glob::PathMatcher;
use crate::config::model::CleanupCategory;

/// A rule category. macOS metadata is always on in a full cleanup.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// `.DS_Store`, `._*`, `Icon\r`, `.Spotlight-V100`, …
    Macos,
    /// `__pycache__`, `*.pyc`, `*.pyo`.
    PythonCache,
    /// `build`, `dist`, `*.egg-info`, tool caches, `target` (Cargo), …
    BuildArtifacts,
    /// `node_modules`.
    NodeModules,
    /// `[cleanup] extra_patterns`.
    Extra,
}

impl From<CleanupCategory> for Category {
    /// The rule category a `[cleanup] categories` entry names.
    fn from(c: CleanupCategory) -> Category {
        match c {
            CleanupCategory::Macos => Category::Macos,
            CleanupCategory::PythonCache => Category::PythonCache,
            CleanupCategory::BuildArtifacts => Category::BuildArtifacts,
            CleanupCategory::NodeModules => Category::NodeModules,
        }
    }
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Macos => "macos",
            Category::PythonCache => "python-cache",
            Category::BuildArtifacts => "build-artifacts",
            Category::NodeModules => "node-modules",
            Category::Extra => "extra",
        }
    }
}

/// What a directory entry is, as read from the directory (never followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Other,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::File => "file",
            EntryKind::Dir => "dir",
            EntryKind::Symlink => "symlink",
            EntryKind::Other => "other",
        }
    }

    /// The kind of an object from its `stat` type.
    pub fn from_raw(ft: rustix::fs::FileType) -> Self {
        use rustix::fs::FileType;
        match ft {
            FileType::Symlink => EntryKind::Symlink,
            FileType::Directory => EntryKind::Dir,
            FileType::RegularFile => EntryKind::File,
            _ => EntryKind::Other,
        }
    }

    pub fn from_file_type(ft: std::fs::FileType) -> Self {
        if ft.is_symlink() {
            EntryKind::Symlink
        } else if ft.is_dir() {
            EntryKind::Dir
        } else if ft.is_file() {
            EntryKind::File
        } else {
            EntryKind::Other
        }
    }
}

/// Which optional categories are on (macOS metadata always is).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Categories {
    pub python_cache: bool,
    pub build_artifacts: bool,
    pub node_modules: bool,
}

impl Categories {
    /// Every category (`--deep-clean`).
    pub fn all() -> Self {
        Self {
            python_cache: true,
            build_artifacts: true,
            node_modules: true,
        }
    }

    /// The categories named in a list (macOS is implied).
    pub fn from_list(list: &[Category]) -> Self {
        Self {
            python_cache: list.contains(&Category::PythonCache),
            build_artifacts: list.contains(&Category::BuildArtifacts),
            node_modules: list.contains(&Category::NodeModules),
        }
    }

    pub fn enabled(&self, category: Category) -> bool {
        match category {
            Category::Macos | Category::Extra => true,
            Category::PythonCache => self.python_cache,
            Category::BuildArtifacts => self.build_artifacts,
            Category::NodeModules => self.node_modules,
        }
    }
}

/// Which kinds of entry a built-in name rule applies to. Symlinks match
/// both (they are removed as links, never followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Dir,
    File,
    Any,
}

impl Shape {
    fn admits(self, kind: EntryKind) -> bool {
        matches!(
            (self, kind),
            (Shape::Any, _)
                | (_, EntryKind::Symlink)
                | (Shape::Dir, EntryKind::Dir)
                | (Shape::File, EntryKind::File | EntryKind::Other)
        )
    }
}

/// The built-in rule a name matches, before any context is considered.
/// `Icon\r` is the literal name (the old toolkit's `Icon?` glob also took
/// `Icons`); `target` is only a candidate (it needs a `Cargo.toml` beside).
fn builtin(name: &[u8]) -> Option<(Category, Shape)> {
    use Category::*;
    let exact = match name {
        b".DS_Store"
        | b"Icon\r"
        | b".apdisk"
        | b".AppleDouble"
        | b".AppleDesktop"
        | b".AppleDB"
        | b"__MACOSX"
        | b".DocumentRevisions-V100"
        | b".Spotlight-V100"
        | b".Trashes"
        | b".fseventsd"
        | b".TemporaryItems" => Some((Macos, Shape::Any)),
        b"__pycache__" => Some((PythonCache, Shape::Dir)),
        b"build"
        | b"dist"
        | b".pytest_cache"
        | b".mypy_cache"
        | b".ruff_cache"
        | b".tox"
        | b"htmlcov"
        | b".ipynb_checkpoints"
        | b"target"
        | b".turbo"
        | b".parcel-cache" => Some((BuildArtifacts, Shape::Dir)),
        b".coverage" | b"coverage.xml" | b".eslintcache" => Some((BuildArtifacts, Shape::File)),
        b"node_modules" => Some((NodeModules, Shape::Dir)),
        _ => None,
    };
    if exact.is_some() {
        return exact;
    }
    if name.len() > 2 && name.starts_with(b"._") {
        return Some((Macos, Shape::File));
    }
    if name.ends_with(b".pyc") || name.ends_with(b".pyo") {
        return Some((PythonCache, Shape::File));
    }
    if name.len() > b".egg-info".len() && name.ends_with(b".egg-info") {
        return Some((BuildArtifacts, Shape::Any));
    }
    None
}

/// Names of directories holding installed Python packages.
fn is_site_packages(name: &[u8]) -> bool {
    name == b"site-packages" || name == b"dist-packages"
}

/// Why the walk did not look inside a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PruneReason {
    GitInternals,
    SitePackages,
    OwnState,
}

impl PruneReason {
    pub fn as_str(self) -> &'static str {
        match self {
            PruneReason::GitInternals => "git internals are never cleaned (see --include-git)",
            PruneReason::SitePackages => {
                "a virtual environment's site-packages is protected (see --include-venv)"
            }
            PruneReason::OwnState => "hephaestus's own state (quarantine and audit manifests)",
        }
    }
}

/// The outcome for one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Remove this entry (and, for a directory, everything in it).
    Junk(Category),
    /// Not junk; look inside if it is a directory.
    Descend,
    /// Not junk and never look inside.
    Prune(PruneReason),
}

/// Where an entry sits, from its ancestors' names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ancestry {
    pub in_git: bool,
    pub in_node_modules: bool,
}

impl Ancestry {
    /// From the components of the path above the entry (relative to the
    /// scan root).
    pub fn of<'a>(parents: impl Iterator<Item = &'a [u8]>) -> Self {
        let mut a = Ancestry::default();
        for c in parents {
            a.in_git |= c == b".git";
            a.in_node_modules |= c == b"node_modules";
        }
        a
    }
}

/// Everything the decision needs besides the entry itself.
pub struct Entry<'a> {
    /// The entry's name.
    pub name: &'a [u8],
    pub kind: EntryKind,
    /// Path relative to the scan root (for the config globs), '/'-separated.
    pub rel: &'a [u8],
    /// The directory holding the entry on disk (for the `Cargo.toml` test).
    pub parent_dir: &'a Path,
}

/// The compiled rules for one run.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub categories: Categories,
    pub include_git: bool,
    pub include_venv: bool,
    extra: Option<PathMatcher>,
    exclude: Option<PathMatcher>,
}

impl RuleSet {
    pub fn new(
        categories: Categories,
        include_git: bool,
        include_venv: bool,
        extra: Option<PathMatcher>,
        exclude: Option<PathMatcher>,
    ) -> Self {
        Self {
            categories,
            include_git,
            include_venv,
            extra,
            exclude,
        }
    }

    /// Could an entry with this name be junk at all? Without configured
    /// patterns only the built-in names can, whatever the context; a
    /// path none of whose components is such a name needs no further look
    /// (no `lstat`, no ancestry).
    pub fn could_match(&self, name: &[u8]) -> bool {
        self.extra.is_some() || builtin(name).is_some()
    }

    /// Is this path excluded by `[cleanup] exclude`?
    pub fn excluded(&self, rel: &[u8]) -> bool {
        self.exclude.as_ref().is_some_and(|m| m.matches(rel))
    }

    /// Decide one entry. `ancestry` is called only when a name matched (or
    /// for a `hephaestus` directory with --include-git).
    pub fn decide(&self, entry: &Entry<'_>, ancestry: impl Fn() -> Ancestry) -> Decision {
        let name = entry.name;
        if entry.kind == EntryKind::Dir {
            if name == b".git" {
                return if self.include_git {
                    Decision::Descend
                } else {
                    Decision::Prune(PruneReason::GitInternals)
                };
            }
            if is_site_packages(name) && !self.include_venv {
                return Decision::Prune(PruneReason::SitePackages);
            }
            if name == b".hephaestus" {
                return Decision::Prune(PruneReason::OwnState);
            }
            // The quarantine lives in `<git dir>/hephaestus/`; with
            // --include-git the walk must not clean its own quarantine.
            if name == b"hephaestus" && self.include_git && ancestry().in_git {
                return Decision::Prune(PruneReason::OwnState);
            }
        }
        if name == b".git" {
            // A gitfile (worktree or submodule link) or a symlink: never junk.
            return Decision::Descend;
        }
        let mut hit = builtin(name)
            .filter(|(cat, shape)| self.categories.enabled(*cat) && shape.admits(entry.kind))
            .map(|(cat, _)| cat);
        if hit.is_none() && self.extra.as_ref().is_some_and(|m| m.matches(entry.rel)) {
            hit = Some(Category::Extra);
        }
        let Some(category) = hit else {
            return Decision::Descend;
        };
        if self.excluded(entry.rel) {
            return Decision::Descend;
        }
        let anc = ancestry();
        if anc.in_git {
            // Inside .git (only reached with --include-git): macOS metadata
            // files only; refs, objects, the index and hooks never.
            let file_like = matches!(entry.kind, EntryKind::File | EntryKind::Symlink);
            return if category == Category::Macos && file_like {
                Decision::Junk(category)
            } else {
                Decision::Descend
            };
        }
        if category == Category::BuildArtifacts && anc.in_node_modules {
            // A package's own build/dist is part of the package.
            return Decision::Descend;
        }
        if name == b"target"
            && category == Category::BuildArtifacts
            && !entry.parent_dir.join("Cargo.toml").is_file()
        {
            return Decision::Descend;
        }
        Decision::Junk(category)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(c: Categories) -> RuleSet {
        RuleSet::new(c, false, false, None, None)
    }

    fn d(r: &RuleSet, name: &[u8], kind: EntryKind, anc: Ancestry) -> Decision {
        let e = Entry {
            name,
            kind,
            rel: name,
            parent_dir: Path::new("/nonexistent-hephaestus-test"),
        };
        r.decide(&e, || anc)
    }

    #[test]
    fn icon_is_literal_and_icons_is_kept() {
        let r = rules(Categories::default());
        let none = Ancestry::default();
        assert_eq!(
            d(&r, b"Icon\r", EntryKind::File, none),
            Decision::Junk(Category::Macos)
        );
        assert_eq!(d(&r, b"Icons", EntryKind::File, none), Decision::Descend);
        assert_eq!(d(&r, b"Icon", EntryKind::File, none), Decision::Descend);
        assert_eq!(d(&r, b"._", EntryKind::File, none), Decision::Descend);
        assert_eq!(
            d(&r, b"._x", EntryKind::File, none),
            Decision::Junk(Category::Macos)
        );
    }

    #[test]
    fn categories_gate_rules_and_shapes_matter() {
        let none = Ancestry::default();
        let off = rules(Categories::default());
        assert_eq!(d(&off, b"build", EntryKind::Dir, none), Decision::Descend);
        let on = rules(Categories::all());
        assert_eq!(
            d(&on, b"build", EntryKind::Dir, none),
            Decision::Junk(Category::BuildArtifacts)
        );
        // A file called `build` (a script) is not a build directory.
        assert_eq!(d(&on, b"build", EntryKind::File, none), Decision::Descend);
        assert_eq!(
            d(&on, b"x.pyc", EntryKind::File, none),
            Decision::Junk(Category::PythonCache)
        );
        assert_eq!(d(&on, b".pyc.d", EntryKind::Dir, none), Decision::Descend);
        // `target` without a Cargo.toml beside it is kept.
        assert_eq!(d(&on, b"target", EntryKind::Dir, none), Decision::Descend);
    }

    #[test]
    fn git_node_modules_and_site_packages_context() {
        let on = rules(Categories::all());
        let git = Ancestry {
            in_git: true,
            in_node_modules: false,
        };
        let nm = Ancestry {
            in_git: false,
            in_node_modules: true,
        };
        assert_eq!(
            d(&on, b".git", EntryKind::Dir, Ancestry::default()),
            Decision::Prune(PruneReason::GitInternals)
        );
        assert_eq!(d(&on, b"build", EntryKind::File, git), Decision::Descend);
        assert_eq!(d(&on, b"dist", EntryKind::Dir, nm), Decision::Descend);
        assert_eq!(
            d(&on, b"__pycache__", EntryKind::Dir, nm),
            Decision::Junk(Category::PythonCache)
        );
        assert_eq!(
            d(&on, b"site-packages", EntryKind::Dir, Ancestry::default()),
            Decision::Prune(PruneReason::SitePackages)
        );
        let with_git = RuleSet::new(Categories::all(), true, true, None, None);
        assert_eq!(
            d(&with_git, b"build", EntryKind::Dir, git),
            Decision::Descend
        );
        assert_eq!(
            d(&with_git, b".DS_Store", EntryKind::File, git),
            Decision::Junk(Category::Macos)
        );
        assert_eq!(
            d(
                &with_git,
                b"site-packages",
                EntryKind::Dir,
                Ancestry::default()
            ),
            Decision::Descend
        );
    }
}
