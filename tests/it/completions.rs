//! `hephaestus completions` and `hephaestus man`: generated from the real
//! clap definition, so they name every command; the bash script parses.

use std::process::Command;

use crate::common::{TestContext, show, stdout};

/// The visible top-level subcommands, from the clap definition itself.
fn top_level_commands() -> Vec<String> {
    use clap::CommandFactory;
    hephaestus::cli::Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect()
}

#[test]
fn bash_completion_names_the_commands_and_parses() {
    let ctx = TestContext::new();
    let out = ctx.run(["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let script = stdout(&out);
    for word in [
        "hook",
        "guard-rails",
        "release",
        "--all-files",
        "--hook-type",
    ] {
        assert!(script.contains(word), "bash completion lacks {word}");
    }
    let path = ctx.base.join("hephaestus.bash");
    std::fs::write(&path, &script).unwrap();
    let check = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(check.status.success(), "bash -n: {}", show(&check));
}

#[test]
fn every_shell_gets_a_script_and_bad_shells_are_usage_errors() {
    let ctx = TestContext::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = ctx.run(["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", show(&out));
        assert!(
            stdout(&out).contains("guard-rails"),
            "{shell} completion lacks guard-rails"
        );
    }
    let out = ctx.run(["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
}

#[test]
fn man_page_on_stdout_is_roff_naming_every_subcommand() {
    let ctx = TestContext::new();
    let out = ctx.run(["man"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let page = stdout(&out);
    assert!(page.contains(".TH hephaestus 1"), "{page}");
    assert!(page.contains(".SH SUBCOMMANDS"), "{page}");
    for name in top_level_commands() {
        // roff escapes '-' as '\-'.
        let escaped = name.replace('-', "\\-");
        assert!(
            page.contains(&format!("hephaestus\\-{escaped}")),
            "man page lacks {name}"
        );
    }
}

#[test]
fn man_output_writes_one_page_per_command() {
    let ctx = TestContext::new();
    let dir = ctx.base.join("man/man1");
    let out = ctx.run(["man".as_ref(), "--output".as_ref(), dir.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(dir.join("hephaestus.1").is_file());
    for name in top_level_commands() {
        let page = dir.join(format!("hephaestus-{name}.1"));
        let text =
            std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
        assert!(text.contains(".TH"), "{}", page.display());
    }
    let run = std::fs::read_to_string(dir.join("hephaestus-hook-run.1")).unwrap();
    assert!(run.contains("all\\-files"), "{run}");
    assert!(
        !dir.join("hephaestus-help.1").exists(),
        "the help pseudo-command gets no page"
    );
}
