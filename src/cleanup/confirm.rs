//! Asking before deleting: `y` for paths inside the root, the exact word
//! `CONFIRM` when any path is outside it. Without a terminal on stdin
//! there is nobody to ask, so the answer is "no" (the caller aborts
//! unless `--yes` was given). The prompt goes to stderr so stdout stays
//! data.

use std::io::{BufRead, IsTerminal, Write};

/// What answer is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// `y` or `yes` (any case).
    Yes,
    /// `CONFIRM`, exactly: no spaces around it, no other case.
    TypedConfirm,
}

/// The user's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Proceed,
    Declined,
    /// stdin is not a terminal.
    NoTerminal,
}

/// Whether `line` (without its newline) satisfies `need`.
pub fn accepts(need: Need, line: &str) -> bool {
    let line = line.trim_end_matches(['\r', '\n']);
    match need {
        Need::Yes => matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes"),
        Need::TypedConfirm => line == "CONFIRM",
    }
}

/// Print `prompt` on stderr and read one line from the terminal on stdin.
pub fn ask(need: Need, prompt: &str) -> std::io::Result<Answer> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Ok(Answer::NoTerminal);
    }
    let mut err = std::io::stderr().lock();
    err.write_all(prompt.as_bytes())?;
    err.flush()?;
    drop(err);
    let mut line = String::new();
    let n = stdin.lock().read_line(&mut line)?;
    if n == 0 {
        return Ok(Answer::Declined);
    }
    Ok(if accepts(need, &line) {
        Answer::Proceed
    } else {
        Answer::Declined
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers() {
        assert!(accepts(Need::Yes, "y\n"));
        assert!(accepts(Need::Yes, "YES\r\n"));
        assert!(!accepts(Need::Yes, "n\n"));
        assert!(!accepts(Need::Yes, "\n"));
        assert!(accepts(Need::TypedConfirm, "CONFIRM\n"));
        assert!(!accepts(Need::TypedConfirm, "confirm\n"));
        assert!(!accepts(Need::TypedConfirm, "y\n"));
        assert!(accepts(Need::TypedConfirm, "CONFIRM\r\n"));
        for near in [
            " CONFIRM \n",
            " CONFIRM\n",
            "CONFIRM \n",
            "\tCONFIRM\n",
            "CONFIRM!\n",
        ] {
            assert!(!accepts(Need::TypedConfirm, near), "{near:?}");
        }
    }
}
