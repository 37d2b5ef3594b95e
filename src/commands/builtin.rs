//! `hephaestus builtin <ID> [ARGS]...`: run one built-in hygiene check the
//! way its `pre-commit-hooks` console script runs (same options, same file
//! arguments, exit 0 when clean and 1 when it failed or fixed something).
//! `--list` prints the checks.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::commands::Context;
use crate::error::UserError;
use crate::exit::ExitStatus;
use crate::hygiene::{self, CheckId, CheckSpec};

#[derive(Debug, clap::Args)]
pub struct BuiltinArgs {
    /// Print every built-in check with what it does, and exit.
    #[arg(long, conflicts_with = "command")]
    pub list: bool,
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
    // Options are text; an argument that is not UTF-8 can only be a file.
    let mut texts: Vec<String> = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
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
