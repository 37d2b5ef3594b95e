//! Whether one output stream gets colour, decided in one place for every
//! writer (the printer, the drift table, clap's help and errors), and the
//! palette those writers paint with.
//!
//! `--color always|never` (or `HEPHAESTUS_COLOR`) decides outright. With
//! `auto` the environment conventions apply, first match wins:
//!
//! 1. `NO_COLOR` set and not empty: no colour (<https://no-color.org>);
//! 2. `CLICOLOR_FORCE` set, not empty and not `0`: colour, terminal or not
//!    (<https://bixense.com/clicolors/>);
//! 3. `FORCE_COLOR` set: `0` or `false` means no colour, anything else
//!    (empty included) colour, terminal or not (the Node.js convention);
//! 4. `CLICOLOR=0`: no colour;
//! 5. `TERM=dumb`: no colour;
//! 6. otherwise colour exactly when the stream is a terminal.
//!
//! The rules are a pure function of a [`ColorEnv`] snapshot so they are
//! unit-tested here; the integration tests drive the binary on a
//! pseudo-terminal. One styling crate paints everything: `anstyle`, the
//! one clap is built on.

use std::ffi::OsString;

use anstyle::{AnsiColor, Style};

/// `--color auto|always|never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// The colour-related environment variables, read once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColorEnv {
    pub no_color: Option<OsString>,
    pub clicolor: Option<OsString>,
    pub clicolor_force: Option<OsString>,
    pub force_color: Option<OsString>,
    pub term: Option<OsString>,
}

impl ColorEnv {
    /// Read the process environment.
    pub fn from_process() -> Self {
        Self {
            no_color: std::env::var_os("NO_COLOR"),
            clicolor: std::env::var_os("CLICOLOR"),
            clicolor_force: std::env::var_os("CLICOLOR_FORCE"),
            force_color: std::env::var_os("FORCE_COLOR"),
            term: std::env::var_os("TERM"),
        }
    }
}

/// Whether a stream gets colour (rules in the module documentation).
///
/// ```
/// use hephaestus::color::{ColorChoice, ColorEnv, decide};
///
/// let terminal = true;
/// assert!(decide(ColorChoice::Auto, &ColorEnv::default(), terminal));
/// let no_color = ColorEnv { no_color: Some("1".into()), ..ColorEnv::default() };
/// assert!(!decide(ColorChoice::Auto, &no_color, terminal));
/// assert!(decide(ColorChoice::Always, &no_color, !terminal));
/// let forced = ColorEnv { clicolor_force: Some("1".into()), ..ColorEnv::default() };
/// assert!(decide(ColorChoice::Auto, &forced, !terminal));
/// ```
pub fn decide(choice: ColorChoice, env: &ColorEnv, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => return true,
        ColorChoice::Never => return false,
        ColorChoice::Auto => {}
    }
    let set = |v: &Option<OsString>| v.as_ref().is_some_and(|v| !v.is_empty());
    if set(&env.no_color) {
        return false;
    }
    if set(&env.clicolor_force) && env.clicolor_force.as_deref() != Some("0".as_ref()) {
        return true;
    }
    if let Some(force) = &env.force_color {
        return !(force == "0" || force.eq_ignore_ascii_case("false"));
    }
    if env.clicolor.as_deref() == Some("0".as_ref()) {
        return false;
    }
    if env.term.as_deref() == Some("dumb".as_ref()) {
        return false;
    }
    is_terminal
}

/// The `--color` value on a command line clap could not parse (so help
/// and errors can follow it too): the last `--color X` / `--color=X`
/// before `--`, else `HEPHAESTUS_COLOR`, else `auto`. An unknown value
/// counts as `auto`.
pub fn choice_from_args(args: &[OsString]) -> ColorChoice {
    use clap::ValueEnum;
    let parse = |v: &str| ColorChoice::from_str(v, false).ok();
    let mut found = None;
    let mut iter = args.iter().skip(1);
    while let Some(arg) = iter.next() {
        let Some(arg) = arg.to_str() else { continue };
        if arg == "--" {
            break;
        }
        if arg == "--color" {
            found = iter.next().and_then(|v| v.to_str()).and_then(parse);
        } else if let Some(value) = arg.strip_prefix("--color=") {
            found = parse(value);
        }
    }
    found
        .or_else(|| {
            std::env::var("HEPHAESTUS_COLOR")
                .ok()
                .and_then(|v| parse(&v))
        })
        .unwrap_or_default()
}

/// Colours of the palette (green ok, yellow warning or skipped, red
/// error, cyan information).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Ok,
    Warn,
    Bad,
    Info,
    Dim,
    Bold,
}

impl Tone {
    fn style(self) -> Style {
        match self {
            Tone::Ok => AnsiColor::Green.on_default(),
            Tone::Warn => AnsiColor::Yellow.on_default(),
            Tone::Bad => AnsiColor::Red.on_default().bold(),
            Tone::Info => AnsiColor::Cyan.on_default(),
            Tone::Dim => Style::new().dimmed(),
            Tone::Bold => Style::new().bold(),
        }
    }
}

/// `text` in `tone` when `enabled`, else unchanged.
pub fn paint(text: &str, tone: Tone, enabled: bool) -> String {
    if !enabled {
        return text.to_string();
    }
    let style = tone.style();
    format!("{style}{text}{style:#}")
}

/// clap's help and error styles, in the same palette.
pub fn clap_styles() -> clap::builder::Styles {
    clap::builder::Styles::plain()
        .header(Style::new().bold().underline())
        .usage(Style::new().bold().underline())
        .literal(Style::new().bold())
        .error(Tone::Bad.style())
        .valid(Tone::Ok.style())
        .invalid(Tone::Warn.style())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> ColorEnv {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| OsString::from(v))
        };
        ColorEnv {
            no_color: get("NO_COLOR"),
            clicolor: get("CLICOLOR"),
            clicolor_force: get("CLICOLOR_FORCE"),
            force_color: get("FORCE_COLOR"),
            term: get("TERM"),
        }
    }

    #[test]
    fn the_flag_decides_outright() {
        let e = env(&[("NO_COLOR", "1"), ("TERM", "dumb")]);
        assert!(decide(ColorChoice::Always, &e, false));
        let e = env(&[("CLICOLOR_FORCE", "1"), ("FORCE_COLOR", "1")]);
        assert!(!decide(ColorChoice::Never, &e, true));
    }

    #[test]
    fn auto_follows_the_conventions_in_order() {
        let auto = |pairs: &[(&str, &str)], tty| decide(ColorChoice::Auto, &env(pairs), tty);
        assert!(auto(&[], true));
        assert!(!auto(&[], false));
        assert!(!auto(&[("NO_COLOR", "1")], true));
        assert!(
            auto(&[("NO_COLOR", "")], true),
            "an empty NO_COLOR is unset"
        );
        assert!(
            !auto(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")], true),
            "NO_COLOR wins over forcing"
        );
        assert!(auto(&[("CLICOLOR_FORCE", "1")], false));
        assert!(!auto(&[("CLICOLOR_FORCE", "0")], false));
        assert!(!auto(&[("CLICOLOR_FORCE", "")], false));
        assert!(auto(&[("CLICOLOR_FORCE", "1"), ("TERM", "dumb")], false));
        assert!(auto(&[("FORCE_COLOR", "1")], false));
        assert!(auto(&[("FORCE_COLOR", "")], false));
        assert!(auto(&[("FORCE_COLOR", "3"), ("CLICOLOR", "0")], false));
        assert!(!auto(&[("FORCE_COLOR", "0")], true));
        assert!(!auto(&[("FORCE_COLOR", "false")], true));
        assert!(!auto(&[("CLICOLOR", "0")], true));
        assert!(auto(&[("CLICOLOR", "1")], true));
        assert!(
            !auto(&[("CLICOLOR", "1")], false),
            "CLICOLOR does not force"
        );
        assert!(!auto(&[("TERM", "dumb")], true));
        assert!(auto(&[("TERM", "xterm-256color")], true));
    }

    #[test]
    fn the_flag_is_found_on_a_command_line_clap_rejected() {
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            choice_from_args(&args(&["h", "--color", "always", "--bogus"])),
            ColorChoice::Always
        );
        assert_eq!(
            choice_from_args(&args(&["h", "--color=never", "x", "--color=always"])),
            ColorChoice::Always
        );
        assert_eq!(
            choice_from_args(&args(&["h", "hook", "run", "--", "--color=never"])),
            choice_from_args(&args(&["h"])),
            "after -- it is git's argument"
        );
    }

    #[test]
    fn paint_wraps_only_when_enabled() {
        assert_eq!(paint("ok", Tone::Ok, false), "ok");
        assert_eq!(paint("ok", Tone::Ok, true), "\u{1b}[32mok\u{1b}[0m");
    }
}
