//! `hephaestus builtin <ID> [ARGS]...`: run one built-in hygiene check the
//! way its `pre-commit-hooks` console script runs (same options, same file
//! arguments, exit 0 when clean and 1 when it failed or fixed something).
//! `--list` prints the checks.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::commands::Context;
use crate::config::filter::{FileTag, PyRegex, StepFilter};
use crate::error::UserError;
use crate::exit::ExitStatus;
use crate::hygiene::{self, CheckId, CheckSpec};

#[derive(Debug, clap::Args)]
pub struct BuiltinArgs {
    /// Print every built-in check with what it does, and exit.
    #[arg(long, conflicts_with = "command")]
    pub list: bool,
    /// Check only the files (given after `--`) whose path this Python regex
    /// finds, as pre-commit's `files` (repeatable: all must match).
    #[arg(long, value_name = "REGEX")]
    pub files_regex: Vec<String>,
    /// Skip the files whose path this Python regex finds (pre-commit's
    /// `exclude`; repeatable).
    #[arg(long, value_name = "REGEX")]
    pub exclude_regex: Vec<String>,
    /// Check only files with this identify tag (pre-commit's `types`;
    /// repeatable: all must apply).
    #[arg(long, value_name = "TAG")]
    pub types: Vec<String>,
    /// Check only files with one of these tags (pre-commit's `types_or`).
    #[arg(long, value_name = "TAG")]
    pub types_or: Vec<String>,
    /// Skip files with any of these tags (pre-commit's `exclude_types`).
    #[arg(long, value_name = "TAG")]
    pub exclude_types: Vec<String>,
    /// The check (a pre-commit-hooks hook id such as `trailing-whitespace`),
    /// then its options and the files to check, as its pre-commit-hooks
    /// console script takes them (`--maxkb=100 big.bin`). Everything after
    /// the id is the check's, `--help` and `--` included.
    #[arg(
        value_names = ["ID", "ARGS"],
        required_unless_present = "list",
        num_args = 1..,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<OsString>,
}

pub fn run(ctx: &Context, args: &BuiltinArgs) -> anyhow::Result<ExitStatus> {
    if args.list {
        let mut text = String::new();
        for check in CheckId::ALL {
            let kind = if check.is_fixer() { "fixer" } else { "check" };
            text.push_str(&format!(
                "{:<38} {kind:<5}  {}\n",
                check.as_str(),
                check.about()
            ));
        }
        ctx.printer.out(&text)?;
        return Ok(ExitStatus::Success);
    }
    let Some((id, rest)) = args.command.split_first() else {
        return Err(UserError::usage("no check given")
            .with_hint("`hephaestus builtin --list` prints the built-in checks")
            .into());
    };
    let id = id.to_string_lossy();
    let check: CheckId = id.parse().map_err(|message: String| {
        UserError::usage(message)
            .with_hint("`hephaestus builtin --list` prints the built-in checks")
    })?;
    let selection = selection(args)?;
    // With a selection, the files come after `--` and are picked from.
    let (rest, picked): (&[OsString], Vec<PathBuf>) = match &selection {
        Some(filter) => {
            let Some(split) = rest.iter().position(|a| a == "--") else {
                return Err(UserError::usage(
                    "--types, --types-or, --exclude-types, --files-regex and --exclude-regex pick from the files given after `--`",
                )
                .with_hint(format!("hephaestus builtin --types text {check} [OPTIONS] -- FILES…"))
                .into());
            };
            let files = rest[split + 1..]
                .iter()
                .map(PathBuf::from)
                .filter(|f| selected(filter, &ctx.cwd, f))
                .collect();
            (&rest[..split], files)
        }
        None => (rest, Vec::new()),
    };
    // Options are text; an argument that is not UTF-8 can only be a file.
    let mut texts: Vec<String> = Vec::new();
    let mut files: Vec<PathBuf> = picked;
    for arg in rest {
        match arg.to_str() {
            Some(s) => texts.push(s.to_string()),
            None => files.push(PathBuf::from(arg)),
        }
    }
    let parsed = hygiene::args::parse(check, &texts)?;
    if parsed.help {
        ctx.printer.out(&format!(
            "usage: hephaestus builtin {check} {}\n\n{}\n",
            hygiene::args::usage(check),
            check.about()
        ))?;
        return Ok(ExitStatus::Success);
    }
    if selection.is_some() && files.is_empty() {
        // Nothing was picked: nothing to check (the options were).
        return Ok(ExitStatus::Success);
    }
    let ref_range = match (
        std::env::var("PRE_COMMIT_FROM_REF"),
        std::env::var("PRE_COMMIT_TO_REF"),
    ) {
        (Ok(from), Ok(to)) => Some((from, to)),
        _ => None,
    };
    let spec = CheckSpec {
        id: check,
        args: texts,
    };
    let context = hygiene::Context {
        dir: ctx.cwd.clone(),
        files,
        ref_range,
    };
    let outcome = hygiene::run(&spec, &context)?;
    ctx.printer.out(&outcome.stdout)?;
    if !outcome.stderr.is_empty() {
        use std::io::Write;
        let _ = std::io::stderr()
            .lock()
            .write_all(outcome.stderr.as_bytes());
    }
    Ok(if outcome.failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// The file selection options, checked; `None` when none was given.
fn selection(args: &BuiltinArgs) -> anyhow::Result<Option<StepFilter>> {
    let regexes = |flag: &str, values: &[String]| -> anyhow::Result<Vec<PyRegex>> {
        values
            .iter()
            .map(|v| PyRegex::new(v).map_err(|e| UserError::usage(format!("--{flag}: {e}")).into()))
            .collect()
    };
    let tags = |flag: &str, values: &[String]| -> anyhow::Result<Vec<FileTag>> {
        values
            .iter()
            .map(|v| {
                if crate::filetypes::is_known_tag(v) {
                    Ok(FileTag(v.clone()))
                } else {
                    Err(UserError::usage(format!("--{flag}: unknown file type tag {v:?}")).into())
                }
            })
            .collect()
    };
    let filter = StepFilter {
        files: regexes("files-regex", &args.files_regex)?,
        exclude: regexes("exclude-regex", &args.exclude_regex)?,
        types: tags("types", &args.types)?,
        types_or: tags("types-or", &args.types_or)?,
        exclude_types: tags("exclude-types", &args.exclude_types)?,
    };
    Ok((filter != StepFilter::default()).then_some(filter))
}

/// Whether a file given after `--` passes the selection: its path (as
/// given, `/`-separated) and its tags (a file that cannot be read, such as
/// a deleted one, does not).
fn selected(filter: &StepFilter, dir: &std::path::Path, file: &std::path::Path) -> bool {
    let shown = file.to_string_lossy();
    if !filter.matches_path(&shown) {
        return false;
    }
    if !filter.needs_tags() {
        return true;
    }
    crate::filetypes::tags_from_path(&dir.join(file)).is_ok_and(|tags| filter.matches_tags(&tags))
}
