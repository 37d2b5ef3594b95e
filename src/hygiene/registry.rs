//! The list of built-in checks: their ids (the `pre-commit-hooks` hook
//! ids), whether they fix files, which files pre-commit would hand them
//! (their `types`/`files` in the reference's `.pre-commit-hooks.yaml`), and
//! the dispatch from parsed options to the code that runs them.

use std::fmt;
use std::path::PathBuf;

use super::args::{Options, Parsed};
use super::{Context, HygieneError, Outcome, content, fixers, gitstate, pygrep, syntax};

macro_rules! checks {
    ($( $variant:ident = $id:literal, fixer: $fixer:literal, filter: $filter:expr, $about:literal; )*) => {
        /// A built-in check, named by its `pre-commit-hooks` hook id.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum CheckId { $( $variant, )* }

        impl CheckId {
            /// Every check, in the order of docs/builtins.md.
            pub const ALL: &'static [CheckId] = &[ $( CheckId::$variant, )* ];

            /// The hook id (`trailing-whitespace`).
            pub fn as_str(self) -> &'static str {
                match self { $( CheckId::$variant => $id, )* }
            }

            /// Whether the check rewrites files.
            pub fn is_fixer(self) -> bool {
                match self { $( CheckId::$variant => $fixer, )* }
            }

            /// Which files pre-commit hands the check by default.
            pub fn default_filter(self) -> FileFilter {
                match self { $( CheckId::$variant => $filter, )* }
            }

            /// One line on what it does.
            pub fn about(self) -> &'static str {
                match self { $( CheckId::$variant => $about, )* }
            }
        }
    };
}

/// The files a check is meant for, as the reference declares them (for the
/// step engine's default `files`; the `builtin` command checks whatever it
/// is given, as the console scripts do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFilter {
    /// Every staged file.
    Any,
    /// Files of these identify tags (`text`, `yaml`, `executable`, …), all
    /// of which must apply.
    Types(&'static [&'static str]),
    /// Not given files at all (`pass_filenames: false`, `always_run`).
    NoFiles,
}

checks! {
    TrailingWhitespace = "trailing-whitespace", fixer: true, filter: FileFilter::Types(&["text"]),
        "trims trailing whitespace";
    EndOfFileFixer = "end-of-file-fixer", fixer: true, filter: FileFilter::Types(&["text"]),
        "makes a file end in exactly one newline (or be empty)";
    MixedLineEnding = "mixed-line-ending", fixer: true, filter: FileFilter::Types(&["text"]),
        "replaces or reports mixed line endings";
    FixByteOrderMarker = "fix-byte-order-marker", fixer: true, filter: FileFilter::Types(&["text"]),
        "removes a UTF-8 byte-order marker";
    CheckYaml = "check-yaml", fixer: false, filter: FileFilter::Types(&["yaml"]),
        "checks YAML files load (safe loader, duplicate keys are errors)";
    CheckJson = "check-json", fixer: false, filter: FileFilter::Types(&["json"]),
        "checks JSON files parse, without duplicate keys";
    CheckToml = "check-toml", fixer: false, filter: FileFilter::Types(&["toml"]),
        "checks TOML files parse (TOML 1.0)";
    CheckXml = "check-xml", fixer: false, filter: FileFilter::Types(&["xml"]),
        "checks XML files are well-formed";
    CheckMergeConflict = "check-merge-conflict", fixer: false, filter: FileFilter::Types(&["text"]),
        "during a merge or rebase, finds conflict markers";
    CheckAddedLargeFiles = "check-added-large-files", fixer: false, filter: FileFilter::Any,
        "rejects added files larger than --maxkb (500 KB)";
    CheckCaseConflict = "check-case-conflict", fixer: false, filter: FileFilter::Any,
        "finds names that collide on a case-insensitive file system";
    CheckIllegalWindowsNames = "check-illegal-windows-names", fixer: false, filter: FileFilter::Any,
        "rejects names Windows cannot check out";
    CheckSymlinks = "check-symlinks", fixer: false, filter: FileFilter::Types(&["symlink"]),
        "finds symbolic links that point nowhere";
    DestroyedSymlinks = "destroyed-symlinks", fixer: false, filter: FileFilter::Types(&["file"]),
        "finds symbolic links turned into plain files holding the target";
    CheckExecutablesHaveShebangs = "check-executables-have-shebangs", fixer: false,
        filter: FileFilter::Types(&["text", "executable"]),
        "checks executable files start with #!";
    CheckShebangScriptsAreExecutable = "check-shebang-scripts-are-executable", fixer: false,
        filter: FileFilter::Types(&["text"]),
        "checks files starting with #! are executable in the index";
    DetectPrivateKey = "detect-private-key", fixer: false, filter: FileFilter::Types(&["text"]),
        "finds private keys";
    NoCommitToBranch = "no-commit-to-branch", fixer: false, filter: FileFilter::NoFiles,
        "refuses commits to protected branches (main, master)";
    ForbidNewSubmodules = "forbid-new-submodules", fixer: false, filter: FileFilter::Types(&["directory"]),
        "refuses newly added submodules";
    Pygrep = "pygrep", fixer: false, filter: FileFilter::Types(&["file"]),
        "searches files for a Python regex (pre-commit's language: pygrep)";
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for CheckId {
    type Err = String;

    /// A hook id, or the console script's name where it differs
    /// (`trailing-whitespace-fixer`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "trailing-whitespace-fixer" {
            return Ok(CheckId::TrailingWhitespace);
        }
        CheckId::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                let near = CheckId::ALL
                    .iter()
                    .map(|c| (strsim::jaro_winkler(c.as_str(), s), c.as_str()))
                    .filter(|(score, _)| *score > 0.8)
                    .max_by(|a, b| a.0.total_cmp(&b.0));
                match near {
                    Some((_, id)) => format!("unknown built-in check {s:?}; did you mean {id:?}?"),
                    None => format!("unknown built-in check {s:?}"),
                }
            })
    }
}

/// Run parsed options over the context's files plus any given as
/// arguments (argparse reads file names among the options too).
pub(super) fn dispatch(parsed: &Parsed, ctx: &Context) -> Result<Outcome, HygieneError> {
    let mut files: Vec<PathBuf> = parsed.files.iter().map(PathBuf::from).collect();
    files.extend(ctx.files.iter().cloned());
    let ctx = Context {
        files,
        ..ctx.clone()
    };
    let ctx = &ctx;
    Ok(match &parsed.options {
        Options::TrailingWhitespace {
            markdown,
            chars,
            no_markdown_given,
        } => fixers::trailing_whitespace(ctx, markdown, chars.as_deref(), *no_markdown_given),
        Options::EndOfFile => fixers::end_of_file(ctx),
        Options::MixedLineEnding { fix } => fixers::mixed_line_ending(ctx, *fix),
        Options::ByteOrderMarker => fixers::byte_order_marker(ctx),
        Options::Yaml { multi, unsafe_ } => {
            syntax::run(ctx, syntax::Syntax::yaml(*multi, *unsafe_))
        }
        Options::Json => syntax::run(ctx, syntax::Syntax::Json),
        Options::Toml => syntax::run(ctx, syntax::Syntax::Toml),
        Options::Xml => syntax::run(ctx, syntax::Syntax::Xml),
        Options::MergeConflict { assume_in_merge } => {
            content::merge_conflict(ctx, *assume_in_merge)?
        }
        Options::LargeFiles { maxkb, enforce_all } => {
            gitstate::large_files(ctx, *maxkb, *enforce_all)?
        }
        Options::CaseConflict => gitstate::case_conflict(ctx)?,
        Options::IllegalWindowsNames => content::illegal_windows_names(ctx),
        Options::Symlinks => content::broken_symlinks(ctx),
        Options::DestroyedSymlinks => gitstate::destroyed_symlinks(ctx)?,
        Options::ExecutablesHaveShebangs => gitstate::executables_have_shebangs(ctx)?,
        Options::ShebangScriptsAreExecutable => gitstate::shebang_scripts_are_executable(ctx)?,
        Options::PrivateKey => content::private_key(ctx),
        Options::NoCommitToBranch { branches, patterns } => {
            gitstate::no_commit_to_branch(ctx, branches, patterns)?
        }
        Options::ForbidNewSubmodules => gitstate::forbid_new_submodules(ctx)?,
        Options::Pygrep {
            pattern,
            ignore_case,
            multiline,
            negate,
        } => {
            let regex = pygrep::compile(pattern, *ignore_case, *multiline).map_err(|message| {
                super::ArgsError {
                    check: CheckId::Pygrep,
                    message,
                }
            })?;
            pygrep::run(ctx, &regex, *multiline, *negate)
        }
    })
}
