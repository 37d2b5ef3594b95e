//! Colour follows one set of rules on every stream (src/color.rs):
//! `--color`, `NO_COLOR`, `CLICOLOR`, `CLICOLOR_FORCE`, `FORCE_COLOR`,
//! `TERM=dumb`, and whether the stream is a terminal. The binary runs with
//! the stream under test on a real pseudo-terminal (or a pipe), clap's
//! help and usage errors included.

use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::process::{Command, Stdio};

use crate::common::TestContext;

const ESC: &str = "\u{1b}[";

/// Which stream of the child is a terminal; the other one is a pipe.
#[derive(Clone, Copy, Debug)]
enum Tty {
    Stdout,
    Stderr,
    Neither,
}

struct Run {
    code: Option<i32>,
    /// What the child wrote on its stdout (terminal or pipe).
    stdout: String,
    stderr: String,
}

/// The hephaestus command of `ctx` with every colour variable removed and
/// a colour-capable `TERM`, so each test sets exactly what it tests.
fn clean(ctx: &TestContext) -> Command {
    let mut cmd = ctx.heph();
    for var in [
        "NO_COLOR",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "FORCE_COLOR",
        "HEPHAESTUS_COLOR",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("TERM", "xterm-256color");
    cmd
}

/// Run `cmd` with the chosen stream on a pseudo-terminal.
fn run(mut cmd: Command, tty: Tty) -> Run {
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
    grantpt(&master).expect("grantpt");
    unlockpt(&master).expect("unlockpt");
    let name = ptsname(&master, Vec::new()).expect("ptsname");
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(OsStr::from_bytes(name.to_bytes()))
        .expect("open the terminal");
    cmd.stdin(Stdio::null());
    match tty {
        Tty::Stdout => {
            cmd.stdout(Stdio::from(slave)).stderr(Stdio::piped());
        }
        Tty::Stderr => {
            cmd.stderr(Stdio::from(slave)).stdout(Stdio::piped());
        }
        Tty::Neither => {
            drop(slave);
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        }
    }
    let mut child = cmd.spawn().expect("spawn hephaestus");
    // The command holds our copy of the terminal's end; without dropping
    // it reading the master would never see the end of the output.
    drop(cmd);
    let mut master = std::fs::File::from(master);
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        // EIO once the child has closed the terminal.
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
        }
        seen
    });
    let mut piped = Vec::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_end(&mut piped).expect("read stdout");
    }
    if let Some(mut err) = child.stderr.take() {
        let mut more = Vec::new();
        err.read_to_end(&mut more).expect("read stderr");
        piped.extend(more);
    }
    let status = child.wait().expect("wait");
    let on_tty = reader.join().expect("terminal reader");
    let text = |b: &[u8]| String::from_utf8_lossy(b).replace("\r\n", "\n");
    match tty {
        Tty::Stdout => Run {
            code: status.code(),
            stdout: text(&on_tty),
            stderr: text(&piped),
        },
        Tty::Stderr => Run {
            code: status.code(),
            stdout: text(&piped),
            stderr: text(&on_tty),
        },
        // Both pipes were drained into one buffer: stdout first.
        Tty::Neither => Run {
            code: status.code(),
            stdout: String::new(),
            stderr: text(&piped),
        },
    }
}

/// A repository whose configuration is broken: any command that loads it
/// prints a painted `error:` and a `hint:` on stderr.
fn broken_config() -> TestContext {
    let ctx = TestContext::new();
    ctx.write("hephaestus.toml", "bogus = 1\n");
    ctx
}

fn config_show(ctx: &TestContext, env: &[(&str, &str)], args: &[&str], tty: Tty) -> Run {
    let mut cmd = clean(ctx);
    cmd.envs(env.iter().copied())
        .args(args)
        .args(["config", "show"]);
    let out = run(cmd, tty);
    assert_eq!(out.code, Some(2), "a broken config is a usage error");
    assert!(
        out.stderr.contains("unknown field `bogus`"),
        "the error is printed: {}",
        out.stderr
    );
    out
}

#[test]
fn auto_colours_a_terminal_unless_the_environment_says_no() {
    let ctx = broken_config();
    let colored = |env: &[(&str, &str)], args: &[&str]| {
        config_show(&ctx, env, args, Tty::Stderr)
            .stderr
            .contains(ESC)
    };
    assert!(colored(&[], &[]), "a terminal gets colour");
    let painted = config_show(&ctx, &[], &[], Tty::Stderr).stderr;
    assert!(
        painted.contains("\u{1b}[1m\u{1b}[31merror:\u{1b}[0m"),
        "{painted:?}"
    );
    assert!(!colored(&[("NO_COLOR", "1")], &[]), "NO_COLOR");
    assert!(
        colored(&[("NO_COLOR", "")], &[]),
        "an empty NO_COLOR is unset"
    );
    assert!(!colored(&[("CLICOLOR", "0")], &[]), "CLICOLOR=0");
    assert!(!colored(&[("TERM", "dumb")], &[]), "TERM=dumb");
    assert!(!colored(&[("FORCE_COLOR", "0")], &[]), "FORCE_COLOR=0");
    assert!(!colored(&[], &["--color", "never"]), "--color never");
    assert!(
        !colored(&[("HEPHAESTUS_COLOR", "never")], &[]),
        "HEPHAESTUS_COLOR=never"
    );
    assert!(
        colored(&[("NO_COLOR", "1")], &["--color=always"]),
        "the flag beats NO_COLOR"
    );
}

#[test]
fn a_pipe_gets_colour_only_when_forced() {
    let ctx = broken_config();
    let colored = |env: &[(&str, &str)], args: &[&str]| {
        config_show(&ctx, env, args, Tty::Neither)
            .stderr
            .contains(ESC)
    };
    assert!(!colored(&[], &[]), "a pipe gets no colour");
    assert!(
        !colored(&[("CLICOLOR", "1")], &[]),
        "CLICOLOR does not force"
    );
    assert!(colored(&[("CLICOLOR_FORCE", "1")], &[]), "CLICOLOR_FORCE");
    assert!(
        !colored(&[("CLICOLOR_FORCE", "0")], &[]),
        "CLICOLOR_FORCE=0"
    );
    assert!(colored(&[("FORCE_COLOR", "1")], &[]), "FORCE_COLOR");
    assert!(
        colored(&[("CLICOLOR_FORCE", "1"), ("TERM", "dumb")], &[]),
        "forcing beats TERM=dumb"
    );
    assert!(
        !colored(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], &[]),
        "NO_COLOR beats forcing"
    );
    assert!(colored(&[], &["--color", "always"]), "--color always");
    assert!(
        colored(&[("HEPHAESTUS_COLOR", "always")], &[]),
        "HEPHAESTUS_COLOR=always"
    );
}

#[test]
fn each_stream_is_decided_on_its_own() {
    let ctx = TestContext::new();
    let out = ctx.run(["hook", "install"]);
    assert!(out.status.success());
    // `hook list` paints hook names on stdout.
    let list = |tty| {
        let mut cmd = clean(&ctx);
        cmd.args(["hook", "list"]);
        run(cmd, tty)
    };
    let on_tty = list(Tty::Stdout);
    assert_eq!(on_tty.code, Some(0));
    assert!(
        on_tty.stdout.contains("\u{1b}[1mpre-commit\u{1b}[0m"),
        "stdout on a terminal is painted: {:?}",
        on_tty.stdout
    );
    let piped = list(Tty::Stderr);
    assert_eq!(piped.code, Some(0));
    assert!(piped.stdout.contains("pre-commit\n"), "{:?}", piped.stdout);
    assert!(
        !piped.stdout.contains(ESC),
        "stdout in a pipe is plain even when stderr is a terminal: {:?}",
        piped.stdout
    );
}

#[test]
fn clap_help_and_usage_errors_follow_the_same_rules() {
    let ctx = TestContext::new();
    let help = |env: &[(&str, &str)], args: &[&str], tty| {
        let mut cmd = clean(&ctx);
        cmd.envs(env.iter().copied()).args(args).arg("--help");
        let out = run(cmd, tty);
        assert_eq!(out.code, Some(0));
        let text = match tty {
            Tty::Neither => out.stderr,
            _ => out.stdout,
        };
        assert!(text.contains("Usage:"), "{text:?}");
        text.contains(ESC)
    };
    assert!(help(&[], &[], Tty::Stdout), "help on a terminal");
    assert!(!help(&[("NO_COLOR", "1")], &[], Tty::Stdout), "NO_COLOR");
    assert!(!help(&[("TERM", "dumb")], &[], Tty::Stdout), "TERM=dumb");
    assert!(
        !help(&[], &["--color", "never"], Tty::Stdout),
        "--color never"
    );
    assert!(!help(&[], &[], Tty::Neither), "help in a pipe");
    assert!(
        help(&[], &["--color=always"], Tty::Neither),
        "--color=always"
    );
    assert!(
        help(&[("CLICOLOR_FORCE", "1")], &[], Tty::Neither),
        "CLICOLOR_FORCE"
    );
    assert!(
        help(&[("FORCE_COLOR", "1")], &[], Tty::Neither),
        "FORCE_COLOR"
    );
    assert!(
        !help(&[], &[], Tty::Stderr),
        "help goes to stdout, which is a pipe here"
    );

    let usage_error = |env: &[(&str, &str)], args: &[&str]| {
        let mut cmd = clean(&ctx);
        cmd.envs(env.iter().copied()).args(args).arg("--bogus");
        let out = run(cmd, Tty::Stderr);
        assert_eq!(out.code, Some(2), "a usage error exits 2");
        assert!(out.stderr.contains("--bogus"), "{:?}", out.stderr);
        out.stderr.contains(ESC)
    };
    assert!(usage_error(&[], &[]), "usage error on a terminal");
    assert!(!usage_error(&[("NO_COLOR", "1")], &[]), "NO_COLOR");
    assert!(!usage_error(&[], &["--color", "never"]), "--color never");
    assert!(
        usage_error(&[("NO_COLOR", "1")], &["--color", "always"]),
        "the flag beats NO_COLOR, even on a rejected command line"
    );
}

#[test]
fn the_drift_table_paints_status_cells_without_breaking_columns() {
    let ctx = TestContext::new();
    let bin = ctx.base.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let tool = bin.join("okay");
    std::fs::write(&tool, "#!/bin/sh\necho okay 1.2.3\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    ctx.write(
        "hephaestus.toml",
        "[drift.tools]\nokay = \"1.2.0\"\nold = \"2.0\"\nabsent = \"1.0\"\n",
    );
    let old = bin.join("old");
    std::fs::write(&old, "#!/bin/sh\necho old 1.9.0\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let drift = |args: &[&str]| {
        let mut cmd = clean(&ctx);
        cmd.env("PATH", &bin).arg("drift").args(args);
        run(cmd, Tty::Stdout)
    };
    let painted = drift(&[]);
    assert_eq!(painted.code, Some(1), "{}", painted.stderr);
    let plain = drift(&["--color", "never"]);
    assert!(!plain.stdout.contains(ESC), "{:?}", plain.stdout);
    for (label, code) in [("OK", "32"), ("Drift", "33"), ("Missing", "31")] {
        assert!(
            painted
                .stdout
                .contains(&format!("\u{1b}[{code}m{label}\u{1b}[0m")),
            "{label} painted: {:?}",
            painted.stdout
        );
    }
    let strip = |s: &str| {
        let mut out = String::new();
        let mut rest = s;
        while let Some(at) = rest.find(ESC) {
            out.push_str(&rest[..at]);
            let tail = &rest[at..];
            let end = tail.find('m').expect("an escape ends in m");
            rest = &tail[end + 1..];
        }
        out.push_str(rest);
        out
    };
    assert_eq!(
        strip(&painted.stdout),
        plain.stdout,
        "colour adds escapes and changes nothing else"
    );
}
