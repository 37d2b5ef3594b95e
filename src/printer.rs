//! The one place output goes through: data on stdout, status, warnings and
//! errors on stderr, colour decided per stream by [`crate::color`], and
//! messages that read fine without it.

use std::io::{IsTerminal, Write};

use crate::color::{self, ColorEnv, paint};
pub use crate::color::{ColorChoice, Tone};

/// How much status output to show (`-q`, default, `-v`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// Writes data to stdout and everything else to stderr.
#[derive(Debug, Clone)]
pub struct Printer {
    stdout_color: bool,
    stderr_color: bool,
    verbosity: Verbosity,
}

impl Printer {
    /// Decide colour once per stream from the flag, the environment
    /// (`NO_COLOR`, `CLICOLOR`, `CLICOLOR_FORCE`, `FORCE_COLOR`, `TERM`) and
    /// whether the stream is a terminal; the rules are in [`crate::color`].
    pub fn new(choice: ColorChoice, verbosity: Verbosity) -> Self {
        let env = ColorEnv::from_process();
        Self {
            stdout_color: color::decide(choice, &env, std::io::stdout().is_terminal()),
            stderr_color: color::decide(choice, &env, std::io::stderr().is_terminal()),
            verbosity,
        }
    }

    /// A printer with no colour at normal verbosity (tests, fallbacks).
    pub fn plain() -> Self {
        Self {
            stdout_color: false,
            stderr_color: false,
            verbosity: Verbosity::Normal,
        }
    }

    pub fn verbosity(&self) -> Verbosity {
        self.verbosity
    }

    /// Whether stderr gets colour (progress bars and reports use it).
    pub fn stderr_color(&self) -> bool {
        self.stderr_color
    }

    /// Whether a progress bar may draw on stderr: a terminal that can
    /// redraw a line (not `TERM=dumb`), and not `-q`.
    pub fn progress(&self) -> bool {
        self.verbosity >= Verbosity::Normal
            && std::io::stderr().is_terminal()
            && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
    }

    /// Whether stdout gets colour.
    pub fn stdout_color(&self) -> bool {
        self.stdout_color
    }

    /// Paint `text` for stderr.
    pub fn paint(&self, text: &str, tone: Tone) -> String {
        paint(text, tone, self.stderr_color)
    }

    /// Paint `text` for stdout.
    pub fn paint_out(&self, text: &str, tone: Tone) -> String {
        paint(text, tone, self.stdout_color)
    }

    /// Write data to stdout. A closed pipe surfaces as an `io::Error` of
    /// kind `BrokenPipe`, which `main` turns into a quiet exit.
    pub fn out(&self, text: &str) -> std::io::Result<()> {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()
    }

    /// Write a line of data to stdout.
    pub fn outln(&self, text: &str) -> std::io::Result<()> {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.write_all(b"\n")?;
        stdout.flush()
    }

    /// A status line on stderr (hidden by `-q`).
    pub fn status(&self, text: &str) {
        if self.verbosity >= Verbosity::Normal {
            eprintln_safe(text);
        }
    }

    /// Detail shown only with `-v`.
    pub fn verbose(&self, text: &str) {
        if self.verbosity >= Verbosity::Verbose {
            eprintln_safe(&self.paint(text, Tone::Dim));
        }
    }

    /// `warning: …` on stderr (shown even with `-q`).
    pub fn warn(&self, text: &str) {
        eprintln_safe(&format!("{} {text}", self.paint("warning:", Tone::Warn)));
    }

    /// `error: …` on stderr.
    pub fn error(&self, text: &str) {
        eprintln_safe(&format!("{} {text}", self.paint("error:", Tone::Bad)));
    }

    /// `hint: …` on stderr, printed after an error.
    pub fn hint(&self, text: &str) {
        eprintln_safe(&format!("  {} {text}", self.paint("hint:", Tone::Info)));
    }
}

/// `eprintln!` panics when stderr is closed; status output is best-effort.
fn eprintln_safe(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.write_all(b"\n");
}
