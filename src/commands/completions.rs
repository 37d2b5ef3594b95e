//! `hephaestus completions <SHELL>` and `hephaestus man [--output DIR]`:
//! shell completion scripts (clap_complete) and man pages (clap_mangen).
//!
//! Both are generated from the one clap definition, which the CLI passes in,
//! so they cannot drift from the real command line: a flag added to any
//! command shows up in the completions and the man pages of the next build.

use std::path::{Path, PathBuf};

use crate::commands::Context;
use crate::error::UserError;
use crate::exit::ExitStatus;

/// The name the completions and man pages are written for.
const BIN: &str = "hephaestus";

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write one page per command and subcommand into DIR (created if
    /// missing) instead of printing the top-level page to stdout.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: Option<PathBuf>,
}

/// Print the completion script for `args.shell` on stdout.
pub fn run_completions(
    ctx: &Context,
    args: &CompletionsArgs,
    mut cmd: clap::Command,
) -> anyhow::Result<ExitStatus> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, BIN, &mut script);
    ctx.printer.out(&String::from_utf8_lossy(&script))?;
    Ok(ExitStatus::Success)
}

/// Print the top-level man page, or write every page into `--output`.
pub fn run_man(ctx: &Context, args: &ManArgs, cmd: clap::Command) -> anyhow::Result<ExitStatus> {
    match &args.output {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut page)?;
            ctx.printer.out(&String::from_utf8_lossy(&page))?;
        }
        Some(dir) => {
            let dir = ctx.cwd.join(dir);
            std::fs::create_dir_all(&dir)
                .map_err(|e| UserError::usage(format!("cannot create {}: {e}", dir.display())))?;
            let written = write_pages(cmd, &dir).map_err(|e| {
                UserError::failure(format!(
                    "cannot write man pages into {}: {e}",
                    dir.display()
                ))
            })?;
            for path in &written {
                ctx.printer.verbose(&format!("wrote {}", path.display()));
            }
            ctx.printer.status(&format!(
                "wrote {} man pages into {}",
                written.len(),
                dir.display()
            ));
        }
    }
    Ok(ExitStatus::Success)
}

/// One page per visible (sub)command, named `hephaestus-hook-run.1` and
/// so on, as `clap_mangen::generate_to` names them; returns the paths.
fn write_pages(cmd: clap::Command, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    fn walk(cmd: clap::Command, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned() {
            walk(sub, dir, out)?;
        }
        out.push(clap_mangen::Man::new(cmd).generate_to(dir)?);
        Ok(())
    }
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let mut written = Vec::new();
    walk(cmd, dir, &mut written)?;
    written.reverse();
    Ok(written)
}
