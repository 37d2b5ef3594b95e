//! The one place output goes through: data on stdout, status, warnings and
//! errors on stderr, colour only where the stream is a terminal (or forced),
//! never when `NO_COLOR` is set, and messages that read fine without it.

use std::io::{IsTerminal, Write};

use owo_colors::OwoColorize;

/// `--color auto|always|never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// How much status output to show (`-q`, default, `-v`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// Colours the printer knows; the palette of the seeds' guide (green ok,
/// yellow warning or skipped, red error, cyan information).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Ok,
    Warn,
    Bad,
    Info,
    Dim,
    Bold,
}

/// Writes data to stdout and everything else to stderr.
#[derive(Debug, Clone)]
pub struct Printer {
    stdout_color: bool,
    stderr_color: bool,
    verbosity: Verbosity,
}

impl Printer {
    /// Decide colour once from the flag, `NO_COLOR` and whether each stream
    /// is a terminal.
    pub fn new(choice: ColorChoice, verbosity: Verbosity) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let decide = |is_tty: bool| match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_tty && !no_color,
        };
        Self {
            stdout_color: decide(std::io::stdout().is_terminal()),
            stderr_color: decide(std::io::stderr().is_terminal()),
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

fn paint(text: &str, tone: Tone, enabled: bool) -> String {
    if !enabled {
        return text.to_string();
    }
    match tone {
        Tone::Ok => text.green().to_string(),
        Tone::Warn => text.yellow().to_string(),
        Tone::Bad => text.red().bold().to_string(),
        Tone::Info => text.cyan().to_string(),
        Tone::Dim => text.dimmed().to_string(),
        Tone::Bold => text.bold().to_string(),
    }
}

/// `eprintln!` panics when stderr is closed; status output is best-effort.
fn eprintln_safe(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.write_all(b"\n");
}
