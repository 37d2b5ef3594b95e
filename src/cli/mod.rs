//! The command line: clap definitions, global options, and `main`, which
//! turns every outcome (success, error, panic, closed pipe) into one of the
//! documented exit codes.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::cleanup::CleanupError;
use crate::commands::{self, Context};
use crate::config::ConfigError;
use crate::drift::DriftError;
use crate::error::{Classify, UserError};
use crate::exit::ExitStatus;
use crate::git::GitError;
use crate::hygiene::{ArgsError, HygieneError};
use crate::printer::{ColorChoice, Printer, Verbosity};
use crate::release::ReleaseError;
use crate::run::settings::RunEnv;

/// Keep a repository safe from staging to release: hooks, cleanup,
/// guard-rails, drift checks and verified release installs.
#[derive(Debug, Parser)]
#[command(name = "hephaestus", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options accepted by every command.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// When to use colour; `auto` follows NO_COLOR, CLICOLOR_FORCE,
    /// FORCE_COLOR, CLICOLOR and TERM=dumb, then whether the output is a
    /// terminal.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, env = "HEPHAESTUS_COLOR")]
    pub color: ColorChoice,
    /// Show more detail.
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Show only warnings, errors and data.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Use this configuration file instead of finding one.
    #[arg(long, global = true, value_name = "FILE", env = "HEPHAESTUS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Run as if started in DIR.
    #[arg(short = 'C', long = "directory", global = true, value_name = "DIR")]
    pub directory: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented starter hephaestus.toml for this project.
    Init(commands::init::InitArgs),
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(commands::config::ConfigCommand),
    /// List the paths a hook would check (staged by default).
    Files(commands::files::FilesArgs),
    /// Install, run and manage the git hooks.
    #[command(subcommand)]
    Hook(commands::hook::HookCommand),
    /// Run the quality and security pipeline over the project.
    GuardRails(commands::guard_rails::GuardRailsArgs),
    /// Run one built-in hygiene check (a pre-commit-hooks id) on files.
    Builtin(commands::builtin::BuiltinArgs),
    /// Compare installed tool versions with the declared ones.
    Drift(commands::drift::DriftArgs),
    /// Install or verify release assets (SHA-256 and Sigstore, fail closed).
    #[command(subcommand)]
    Release(commands::release::ReleaseCommand),
    /// Remove junk (macOS metadata, caches, build artifacts) safely:
    /// previewed, confirmed, quarantined, audited, undoable.
    Cleanup(commands::cleanup::CleanupArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(commands::completions::CompletionsArgs),
    /// Print the man page, or write one page per command into a directory.
    Man(commands::completions::ManArgs),
}

impl GlobalArgs {
    /// The context every command gets: printer, directory, configuration
    /// file.
    fn context(&self) -> anyhow::Result<Context> {
        let global = self;
        let verbosity = if global.quiet {
            Verbosity::Quiet
        } else if global.verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        };
        let printer = Printer::new(global.color, verbosity);
        let base = std::env::current_dir()
            .map_err(|e| anyhow::anyhow!("cannot read the current directory: {e}"))?;
        let cwd = match &global.directory {
            Some(dir) => {
                let dir = base.join(dir);
                if !dir.is_dir() {
                    return Err(
                        UserError::usage(format!("-C {}: not a directory", dir.display())).into(),
                    );
                }
                dir
            }
            None => base,
        };
        let config_path = global.config.as_ref().map(|p| cwd.join(p));
        Ok(Context {
            printer,
            cwd,
            config_path,
            run_env: RunEnv::from_process(),
        })
    }
}

fn dispatch(ctx: &Context, command: Command) -> anyhow::Result<ExitStatus> {
    match command {
        Command::Init(args) => commands::init::run(ctx, &args),
        Command::Config(cmd) => commands::config::run(ctx, cmd),
        Command::Files(args) => commands::files::run(ctx, &args),
        Command::Hook(cmd) => commands::hook::run(ctx, cmd),
        Command::GuardRails(args) => commands::guard_rails::run(ctx, &args),
        Command::Builtin(args) => commands::builtin::run(ctx, &args),
        Command::Drift(args) => commands::drift::run(ctx, &args),
        Command::Release(cmd) => commands::release::run(ctx, cmd),
        Command::Cleanup(args) => commands::cleanup::run(ctx, &args),
        Command::Completions(args) => {
            commands::completions::run_completions(ctx, &args, Cli::command())
        }
        Command::Man(args) => commands::completions::run_man(ctx, &args, Cli::command()),
    }
}

/// Parse the command line, run the command, and map the outcome to an
/// exit code. Panics are reported as internal errors without a backtrace.
pub fn main() -> ExitCode {
    install_panic_hook();
    let cli = match parse(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let result = std::panic::catch_unwind(|| {
        let ctx = match cli.global.context() {
            Ok(ctx) => ctx,
            Err(err) => return report(&Printer::plain(), &err),
        };
        match dispatch(&ctx, cli.command) {
            Ok(status) => status,
            Err(err) if crate::error::is_broken_pipe(&err) => ExitStatus::Success,
            Err(err) => report(&ctx.printer, &err),
        }
    });
    result.unwrap_or(ExitStatus::Internal).into()
}

/// Print an error and return the exit status it maps to.
fn report(printer: &Printer, err: &anyhow::Error) -> ExitStatus {
    let (status, hint) = classify(err);
    crate::error::render(printer, err, hint.as_deref());
    status
}

/// The exit status and hint of an error: those of the first classified
/// error in its chain (every domain's error type is known here, at the
/// edge), else an internal error.
fn classify(err: &anyhow::Error) -> (ExitStatus, Option<String>) {
    fn found(e: &dyn Classify) -> Option<(ExitStatus, Option<String>)> {
        Some((e.status(), e.hint()))
    }
    for cause in err.chain() {
        let classified = None
            .or_else(|| cause.downcast_ref::<UserError>().and_then(|e| found(e)))
            .or_else(|| cause.downcast_ref::<ConfigError>().and_then(|e| found(e)))
            .or_else(|| cause.downcast_ref::<GitError>().and_then(|e| found(e)))
            .or_else(|| cause.downcast_ref::<DriftError>().and_then(|e| found(e)))
            .or_else(|| cause.downcast_ref::<ReleaseError>().and_then(|e| found(e)))
            .or_else(|| cause.downcast_ref::<CleanupError>().and_then(|e| found(e)))
            .or_else(|| cause.downcast_ref::<HygieneError>().and_then(|e| found(e)))
            .or_else(|| {
                cause
                    .downcast_ref::<ArgsError>()
                    .map(|e| (ExitStatus::Usage, Some(e.hint())))
            });
        if let Some(c) = classified {
            return c;
        }
    }
    (ExitStatus::Internal, None)
}

/// Parse the command line. Help, version and usage errors are printed
/// here under the same colour rules as all other output ([`crate::color`])
/// instead of clap's own detection: the message is rendered plain and,
/// when the stream it goes to gets colour, rendered again in colour.
fn parse(args: Vec<OsString>) -> Result<Cli, ExitCode> {
    if let Some(cli) = parse_hook_run(&args) {
        return Ok(cli);
    }
    let command = || {
        Cli::command()
            .styles(crate::color::clap_styles())
            .color(clap::ColorChoice::Never)
    };
    let matches = command().try_get_matches_from(&args);
    let err = match matches.and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(cli) => return Ok(cli),
        Err(err) => err,
    };
    let is_terminal = if err.use_stderr() {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    };
    let colored = crate::color::decide(
        crate::color::choice_from_args(&args),
        &crate::color::ColorEnv::from_process(),
        is_terminal,
    );
    let err = if colored {
        command()
            .color(clap::ColorChoice::Always)
            .try_get_matches_from(&args)
            .and_then(|m| Cli::from_arg_matches(&m))
            .err()
            .unwrap_or(err)
    } else {
        err
    };
    // Like clap's own `exit`: a closed stream is no reason to panic.
    let _ = err.print();
    Err(if err.use_stderr() {
        ExitStatus::Usage
    } else {
        ExitStatus::Success
    }
    .into())
}

/// `hephaestus hook run ...`, what every installed hook calls, parsed by a
/// command tree of just `hook run` and the global options: clap builds
/// every argument of every command it is given, which costs a hook run
/// more than the rest of the parse. Only a command line that parses
/// cleanly is taken; help, `--version` and every usage error go to the
/// full parser (`None`), so what the user sees is the same.
fn parse_hook_run(args: &[OsString]) -> Option<Cli> {
    if args.get(1)? != "hook" || args.get(2)? != "run" {
        return None;
    }
    let run = commands::hook::RunArgs::augment_args(clap::Command::new("run"));
    let tree = GlobalArgs::augment_args(clap::Command::new("hephaestus"))
        .subcommand(clap::Command::new("hook").subcommand(run))
        .color(clap::ColorChoice::Never);
    let matches = tree.try_get_matches_from(args).ok()?;
    let global = GlobalArgs::from_arg_matches(&matches).ok()?;
    let run = matches
        .subcommand_matches("hook")?
        .subcommand_matches("run")?;
    let run = commands::hook::RunArgs::from_arg_matches(run).ok()?;
    Some(Cli {
        global,
        command: Command::Hook(commands::hook::HookCommand::Run(run)),
    })
}

fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("error: internal error: {message}{location}");
        eprintln!("  hint: this is a bug in hephaestus; please report it with the command you ran");
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(line: &str) -> Vec<OsString> {
        std::iter::once("hephaestus")
            .chain(line.split_whitespace())
            .map(OsString::from)
            .collect()
    }

    /// The short cut takes exactly what the full parser takes, with the
    /// same result, and leaves everything else (help, version, usage
    /// errors, other commands) to it.
    #[test]
    fn hook_run_is_parsed_as_the_full_parser_parses_it() {
        let taken = [
            "hook run pre-commit",
            "hook run pre-push -- origin git@example.com:x.git",
            "hook run commit-msg -- .git/COMMIT_EDITMSG",
            "hook run pre-commit --all-files --skip mypy --skip ruff --fail-fast",
            "hook run pre-commit --from-ref a --to-ref b --format json -v",
            "hook run pre-commit --files a.py b.py --step ruff-check",
            "hook run pre-commit --color always -q --config x.toml -C .",
            "hook run pre-commit --last-commit",
        ];
        for line in taken {
            let args = argv(line);
            let full = Cli::try_parse_from(&args).expect(line);
            let short = parse_hook_run(&args).expect(line);
            assert_eq!(format!("{short:?}"), format!("{full:?}"), "{line}");
        }
        let left = [
            "hook run",
            "hook run --help",
            "hook run pre-commit -h",
            "hook run pre-commit --version",
            "hook run not-a-hook",
            "hook run pre-commit --all-files --last-commit",
            "hook run pre-commit --from-ref a",
            "hook run pre-commit -v -q",
            "hook run pre-commit --no-such-flag",
            "hook list",
            "-v hook run pre-commit",
            "init",
        ];
        for line in left {
            assert!(parse_hook_run(&argv(line)).is_none(), "{line}");
        }
    }
}
