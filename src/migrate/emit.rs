//! Writing the converted configuration as a readable `hephaestus.toml`:
//! a header with the notes and the hooks not converted (as comments), the
//! top-level settings, then one `[[guard-rails.steps]]` per converted hook
//! with a comment saying where it came from and what it needs.

use std::fmt::Write as _;

use super::{NotConverted, StepOut, TopOut};

/// A TOML string (toml's own quoting and escaping).
fn s(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items.iter().map(|i| s(i)).collect::<Vec<_>>().join(", ")
    )
}

fn comment_lines(out: &mut String, prefix: &str, text: &str) {
    for (i, line) in text.lines().enumerate() {
        let lead = if i == 0 { prefix } else { "  " };
        let _ = writeln!(out, "# {lead}{line}");
    }
}

pub(super) fn file(
    top: &TopOut,
    steps: &[StepOut],
    skipped: &[NotConverted],
    notes: &[String],
) -> String {
    let mut out = String::new();
    out.push_str(
        "# Converted from .pre-commit-config.yaml by `hephaestus init --from-pre-commit`.\n\
         # Every key is described in docs/configuration.md; docs/migration.md says\n\
         # what maps to what and how to run both tools during a transition.\n",
    );
    if !notes.is_empty() {
        out.push_str("#\n# Notes:\n");
        for note in notes {
            comment_lines(&mut out, "- ", note);
        }
    }
    if !skipped.is_empty() {
        out.push_str("#\n# NOT CONVERTED (these hooks do not run under hephaestus):\n");
        for hook in skipped {
            comment_lines(&mut out, "- ", &format!("{}: {}", hook.hook, hook.reason));
        }
    }
    if let Some(install) = &top.install {
        let names: Vec<String> = install.iter().map(|h| h.as_str().to_string()).collect();
        let _ = write!(
            out,
            "\n[hooks]\n# default_install_hook_types\ninstall = {}\n",
            list(&names)
        );
    }
    out.push_str("\n[guard-rails]\npresets = []\n");
    if top.fail_fast {
        out.push_str("fail_fast = true\n");
    }
    if let Some(files) = &top.files_regex {
        let _ = writeln!(
            out,
            "# top-level `files`: every step's paths must match\nfiles_regex = {}",
            s(files)
        );
    }
    if let Some(exclude) = &top.exclude_regex {
        let _ = writeln!(out, "# top-level `exclude`\nexclude_regex = {}", s(exclude));
    }
    for step in steps {
        out.push('\n');
        let _ = writeln!(out, "# {}", step.origin);
        for note in &step.notes {
            comment_lines(&mut out, "note: ", note);
        }
        write_step(&mut out, step);
    }
    out
}

fn write_step(out: &mut String, step: &StepOut) {
    out.push_str("[[guard-rails.steps]]\n");
    let _ = writeln!(out, "name = {}", s(&step.name));
    if let Some(id) = step.builtin {
        let _ = writeln!(out, "builtin = {}", s(id.as_str()));
        if !step.args.is_empty() {
            let _ = writeln!(out, "args = {}", list(&step.args));
        }
    } else if let Some(script) = &step.shell_script {
        let _ = writeln!(out, "run = {}\nshell = true", s(script));
    } else {
        let _ = writeln!(out, "run = {}", list(&step.run));
    }
    if let Some(files) = &step.files_regex {
        let _ = writeln!(out, "files_regex = {}", s(files));
    }
    if let Some(exclude) = &step.exclude_regex {
        let _ = writeln!(out, "exclude_regex = {}", s(exclude));
    }
    if let Some(types) = &step.types {
        let _ = writeln!(out, "types = {}", list(types));
    }
    if !step.types_or.is_empty() {
        let _ = writeln!(out, "types_or = {}", list(&step.types_or));
    }
    if !step.exclude_types.is_empty() {
        let _ = writeln!(out, "exclude_types = {}", list(&step.exclude_types));
    }
    if let Some(stages) = &step.stages {
        let names: Vec<String> = stages.iter().map(|h| h.as_str().to_string()).collect();
        let _ = writeln!(out, "stages = {}", list(&names));
    }
    if let Some(pass) = step.pass_files {
        let _ = writeln!(out, "pass_files = {pass}");
    }
    if let Some(always) = step.always_run {
        let _ = writeln!(out, "always_run = {always}");
    }
    if step.require_serial {
        out.push_str("require_serial = true\n");
    }
    if let Some(fix) = step.fix {
        let _ = writeln!(out, "fix = {fix}");
    }
}
