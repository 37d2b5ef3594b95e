//! The checks' options, parsed the way the reference console scripts parse
//! them (Python's argparse): `--opt value`, `--opt=value`, `-f value`,
//! `-fvalue`, unique prefixes of long options (`--maxk=10`), `--` to end
//! the options, and positional file names anywhere. The result is one typed
//! [`Options`] value per check; a bad flag is an [`ArgsError`] naming it.

use super::CheckId;

/// An option the check does not accept, or a bad value for one.
#[derive(Debug, thiserror::Error)]
#[error("{check}: {message}")]
pub struct ArgsError {
    pub check: CheckId,
    pub message: String,
}

impl ArgsError {
    fn new(check: CheckId, message: impl Into<String>) -> Self {
        ArgsError {
            check,
            message: message.into(),
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> String {
        format!(
            "the options of {} are: {} (see docs/builtins.md)",
            self.check,
            usage(self.check)
        )
    }
}

/// `--fix` of mixed-line-ending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixMode {
    Auto,
    No,
    Lf,
    Crlf,
    Cr,
}

/// Which files trailing-whitespace treats as Markdown (two trailing spaces
/// are a line break there and are kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Markdown {
    /// `--markdown-linebreak-ext=*`.
    pub all: bool,
    /// Lower-case extensions with their leading dot. With no option at all
    /// this is `["."]`, as in the reference: a name ending in a dot counts.
    pub exts: Vec<String>,
}

/// A check's options, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Options {
    TrailingWhitespace {
        markdown: Markdown,
        /// Bytes to strip; `None` is ASCII whitespace.
        chars: Option<Vec<u8>>,
        /// `--no-markdown-linebreak-ext` was given (it does nothing now).
        no_markdown_given: bool,
    },
    EndOfFile,
    MixedLineEnding {
        fix: FixMode,
    },
    ByteOrderMarker,
    Yaml {
        multi: bool,
        unsafe_: bool,
    },
    Json,
    Toml,
    Xml,
    MergeConflict {
        assume_in_merge: bool,
    },
    LargeFiles {
        maxkb: i64,
        enforce_all: bool,
    },
    CaseConflict,
    IllegalWindowsNames,
    Symlinks,
    DestroyedSymlinks,
    ExecutablesHaveShebangs,
    ShebangScriptsAreExecutable,
    PrivateKey,
    NoCommitToBranch {
        branches: Vec<String>,
        patterns: Vec<String>,
    },
    ForbidNewSubmodules,
    Pygrep {
        /// The Python regex, as given (checked to compile).
        pattern: String,
        ignore_case: bool,
        multiline: bool,
        negate: bool,
    },
}

/// Parsed arguments: the options, and file names given among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub options: Options,
    pub files: Vec<String>,
    /// `-h`/`--help` was given: print [`usage`] and stop.
    pub help: bool,
}

struct Opt {
    names: &'static [&'static str],
    value: bool,
}

fn spec(check: CheckId) -> &'static [Opt] {
    use CheckId as C;
    match check {
        C::TrailingWhitespace => &[
            Opt {
                names: &["--no-markdown-linebreak-ext"],
                value: false,
            },
            Opt {
                names: &["--markdown-linebreak-ext"],
                value: true,
            },
            Opt {
                names: &["--chars"],
                value: true,
            },
        ],
        C::MixedLineEnding => &[Opt {
            names: &["-f", "--fix"],
            value: true,
        }],
        C::CheckYaml => &[
            Opt {
                names: &["-m", "--multi", "--allow-multiple-documents"],
                value: false,
            },
            Opt {
                names: &["--unsafe"],
                value: false,
            },
        ],
        C::CheckMergeConflict => &[Opt {
            names: &["--assume-in-merge"],
            value: false,
        }],
        C::CheckAddedLargeFiles => &[
            Opt {
                names: &["--enforce-all"],
                value: false,
            },
            Opt {
                names: &["--maxkb"],
                value: true,
            },
        ],
        C::NoCommitToBranch => &[
            Opt {
                names: &["-b", "--branch"],
                value: true,
            },
            Opt {
                names: &["-p", "--pattern"],
                value: true,
            },
        ],
        C::Pygrep => &[
            Opt {
                names: &["-i", "--ignore-case"],
                value: false,
            },
            Opt {
                names: &["--multiline"],
                value: false,
            },
            Opt {
                names: &["--negate"],
                value: false,
            },
        ],
        _ => &[],
    }
}

/// Whether the check takes file names (no-commit-to-branch does not).
fn takes_files(check: CheckId) -> bool {
    check != CheckId::NoCommitToBranch
}

/// One line describing a check's options.
pub fn usage(check: CheckId) -> String {
    let mut parts: Vec<String> = spec(check)
        .iter()
        .map(|o| {
            let names = o.names.join("|");
            if o.value {
                format!("[{names} VALUE]")
            } else {
                format!("[{names}]")
            }
        })
        .collect();
    if check == CheckId::Pygrep {
        parts.push("PATTERN".to_string());
    }
    if takes_files(check) {
        parts.push("[FILES]...".to_string());
    }
    if parts.is_empty() {
        "no options".to_string()
    } else {
        parts.join(" ")
    }
}

/// Parse a check's arguments.
pub fn parse(check: CheckId, args: &[String]) -> Result<Parsed, ArgsError> {
    let opts = spec(check);
    let mut given: Vec<(&'static str, Option<String>)> = Vec::new();
    let mut files: Vec<String> = Vec::new();
    let mut help = false;
    let mut only_files = false;
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if only_files || !arg.starts_with('-') || arg == "-" {
            files.push(arg.clone());
            continue;
        }
        if arg == "--" {
            only_files = true;
            continue;
        }
        if arg == "-h" || arg == "--help" {
            help = true;
            continue;
        }
        let Some((opt, name, inline)) = find(check, opts, arg)? else {
            if is_negative_number(arg) || arg.contains(' ') {
                files.push(arg.clone());
                continue;
            }
            return Err(ArgsError::new(
                check,
                format!("unrecognized arguments: {arg}"),
            ));
        };
        let value = if opt.value {
            match inline {
                Some(v) => Some(v),
                None => match args.get(i) {
                    Some(next) if !takes_as_option(check, opts, next) => {
                        i += 1;
                        Some(next.clone())
                    }
                    _ => {
                        return Err(ArgsError::new(
                            check,
                            format!("argument {}: expected one argument", opt.names.join("/")),
                        ));
                    }
                },
            }
        } else {
            if let Some(v) = inline {
                return Err(ArgsError::new(
                    check,
                    format!("argument {name}: ignored explicit argument {v:?}"),
                ));
            }
            None
        };
        given.push((opt.names[opt.names.len() - 1], value));
    }
    if !files.is_empty() && !takes_files(check) {
        return Err(ArgsError::new(
            check,
            format!("unrecognized arguments: {}", files.join(" ")),
        ));
    }
    if check == CheckId::Pygrep {
        // argparse's first positional is the pattern (pre-commit passes
        // the hook's `args`, then its `entry`, then the files).
        if files.is_empty() {
            return Err(ArgsError::new(
                check,
                "the following arguments are required: pattern",
            ));
        }
        given.push(("pattern", Some(files.remove(0))));
    }
    let options = build(check, &given)?;
    Ok(Parsed {
        options,
        files,
        help,
    })
}

/// `-5`, `-.5`: argparse reads these as values, not options (none of
/// these parsers has an option that looks like a negative number).
fn is_negative_number(arg: &str) -> bool {
    let rest = &arg[1..];
    let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if rest.contains('.') {
        digits(int) && !frac.is_empty() && digits(frac)
    } else {
        !int.is_empty() && digits(int)
    }
}

/// Whether argparse would read `arg` as an option (so not as the value of
/// the option before it).
fn takes_as_option(check: CheckId, opts: &[Opt], arg: &str) -> bool {
    if !arg.starts_with('-') || arg == "-" {
        return false;
    }
    if matches!(find(check, opts, arg), Ok(Some(_)) | Err(_)) {
        return true;
    }
    !(is_negative_number(arg) || arg.contains(' '))
}

type Found<'a> = (&'a Opt, &'static str, Option<String>);

/// The option `arg` names: exactly, with `=value`, a short option with its
/// value attached, or a unique prefix of a long option.
fn find<'a>(check: CheckId, opts: &'a [Opt], arg: &str) -> Result<Option<Found<'a>>, ArgsError> {
    let (head, inline) = match arg.split_once('=') {
        Some((h, v)) => (h, Some(v.to_string())),
        None => (arg, None),
    };
    // Exact option string.
    for opt in opts {
        if let Some(name) = opt.names.iter().find(|n| **n == head) {
            return Ok(Some((opt, name, inline)));
        }
    }
    // A short option with its value attached: `-fauto`.
    if !arg.starts_with("--") && arg.len() > 2 {
        let short = &arg[..2];
        for opt in opts {
            if let Some(name) = opt.names.iter().find(|n| **n == short)
                && opt.value
            {
                return Ok(Some((opt, name, Some(arg[2..].to_string()))));
            }
        }
    }
    // A unique prefix of a long option.
    if head.starts_with("--") && head.len() > 2 {
        let matches: Vec<(&Opt, &'static str)> = opts
            .iter()
            .flat_map(|o| o.names.iter().map(move |n| (o, *n)))
            .filter(|(_, n)| n.starts_with("--") && n.starts_with(head))
            .collect();
        match matches.as_slice() {
            [(opt, name)] => return Ok(Some((opt, name, inline))),
            [] => {}
            many => {
                let names: Vec<&str> = many.iter().map(|(_, n)| *n).collect();
                return Err(ArgsError::new(
                    check,
                    format!("ambiguous option: {head} could match {}", names.join(", ")),
                ));
            }
        }
    }
    Ok(None)
}

fn last<'a>(given: &'a [(&'static str, Option<String>)], name: &str) -> Option<&'a str> {
    given
        .iter()
        .rev()
        .find(|(n, _)| *n == name)
        .and_then(|(_, v)| v.as_deref())
}

fn all<'a>(given: &'a [(&'static str, Option<String>)], name: &str) -> Vec<&'a str> {
    given
        .iter()
        .filter(|(n, _)| *n == name)
        .filter_map(|(_, v)| v.as_deref())
        .collect()
}

fn flag(given: &[(&'static str, Option<String>)], name: &str) -> bool {
    given.iter().any(|(n, _)| *n == name)
}

fn build(check: CheckId, given: &[(&'static str, Option<String>)]) -> Result<Options, ArgsError> {
    use CheckId as C;
    Ok(match check {
        C::TrailingWhitespace => Options::TrailingWhitespace {
            markdown: markdown(check, &all(given, "--markdown-linebreak-ext"))?,
            chars: last(given, "--chars").map(|c| c.as_bytes().to_vec()),
            no_markdown_given: flag(given, "--no-markdown-linebreak-ext"),
        },
        C::EndOfFileFixer => Options::EndOfFile,
        C::MixedLineEnding => Options::MixedLineEnding {
            fix: match last(given, "--fix").unwrap_or("auto") {
                "auto" => FixMode::Auto,
                "no" => FixMode::No,
                "lf" => FixMode::Lf,
                "crlf" => FixMode::Crlf,
                "cr" => FixMode::Cr,
                other => {
                    return Err(ArgsError::new(
                        check,
                        format!(
                            "argument -f/--fix: invalid choice: {other:?} (choose from 'auto', 'no', 'cr', 'crlf', 'lf')"
                        ),
                    ));
                }
            },
        },
        C::FixByteOrderMarker => Options::ByteOrderMarker,
        C::CheckYaml => Options::Yaml {
            multi: flag(given, "--allow-multiple-documents"),
            unsafe_: flag(given, "--unsafe"),
        },
        C::CheckJson => Options::Json,
        C::CheckToml => Options::Toml,
        C::CheckXml => Options::Xml,
        C::CheckMergeConflict => Options::MergeConflict {
            assume_in_merge: flag(given, "--assume-in-merge"),
        },
        C::CheckAddedLargeFiles => Options::LargeFiles {
            maxkb: match last(given, "--maxkb") {
                None => 500,
                Some(v) => python_int(v).ok_or_else(|| {
                    ArgsError::new(check, format!("argument --maxkb: invalid int value: {v:?}"))
                })?,
            },
            enforce_all: flag(given, "--enforce-all"),
        },
        C::CheckCaseConflict => Options::CaseConflict,
        C::CheckIllegalWindowsNames => Options::IllegalWindowsNames,
        C::CheckSymlinks => Options::Symlinks,
        C::DestroyedSymlinks => Options::DestroyedSymlinks,
        C::CheckExecutablesHaveShebangs => Options::ExecutablesHaveShebangs,
        C::CheckShebangScriptsAreExecutable => Options::ShebangScriptsAreExecutable,
        C::DetectPrivateKey => Options::PrivateKey,
        C::NoCommitToBranch => {
            let patterns: Vec<String> = all(given, "--pattern")
                .into_iter()
                .map(String::from)
                .collect();
            for p in &patterns {
                if let Err(e) = regex::Regex::new(p) {
                    return Err(ArgsError::new(
                        check,
                        format!(
                            "argument -p/--pattern: {p:?} is not a regular expression this implementation supports: {e}"
                        ),
                    ));
                }
            }
            Options::NoCommitToBranch {
                branches: all(given, "--branch")
                    .into_iter()
                    .map(String::from)
                    .collect(),
                patterns,
            }
        }
        C::ForbidNewSubmodules => Options::ForbidNewSubmodules,
        C::Pygrep => {
            let pattern = last(given, "pattern").unwrap_or_default().to_string();
            let ignore_case = flag(given, "--ignore-case");
            let multiline = flag(given, "--multiline");
            super::pygrep::compile(&pattern, ignore_case, multiline)
                .map_err(|e| ArgsError::new(check, format!("pattern: {e}")))?;
            Options::Pygrep {
                pattern,
                ignore_case,
                multiline,
                negate: flag(given, "--negate"),
            }
        }
    })
}

/// `--markdown-linebreak-ext`, normalised as the reference does: joined on
/// commas, lower-cased, exactly one leading dot; names with `./\:` after
/// the dot are rejected (probably a file name the option swallowed).
fn markdown(check: CheckId, values: &[&str]) -> Result<Markdown, ArgsError> {
    if values.contains(&"") {
        return Err(ArgsError::new(
            check,
            "--markdown-linebreak-ext requires a non-empty argument",
        ));
    }
    let all = values.contains(&"*");
    let joined = values.join(",");
    let mut exts = Vec::new();
    for part in joined.split(',') {
        let ext = format!(".{}", part.to_lowercase().trim_start_matches('.'));
        if ext[1..].chars().any(|c| "./\\:".contains(c)) {
            return Err(ArgsError::new(
                check,
                format!(
                    "bad --markdown-linebreak-ext extension {ext:?} (has . / \\ :); probably a file name: use '--markdown-linebreak-ext=EXT'"
                ),
            ));
        }
        exts.push(ext);
    }
    Ok(Markdown { all, exts })
}

/// Python's `int(text)`: surrounding whitespace, a sign, digits with single
/// underscores between them.
fn python_int(text: &str) -> Option<i64> {
    let t = text.trim();
    let (neg, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return None;
    }
    let n: i64 = digits.replace('_', "").parse().ok()?;
    Some(if neg { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(check: CheckId, args: &[&str]) -> Result<Parsed, ArgsError> {
        parse(
            check,
            &args.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
    }

    #[test]
    fn long_options_take_values_inline_or_next_and_prefixes() {
        let got = p(CheckId::CheckAddedLargeFiles, &["--maxkb=10", "a"]).unwrap();
        assert_eq!(
            got.options,
            Options::LargeFiles {
                maxkb: 10,
                enforce_all: false
            }
        );
        assert_eq!(got.files, ["a"]);
        let got = p(
            CheckId::CheckAddedLargeFiles,
            &["--max", "1_0", "--enf", "b"],
        )
        .unwrap();
        assert_eq!(
            got.options,
            Options::LargeFiles {
                maxkb: 10,
                enforce_all: true
            }
        );
        assert_eq!(got.files, ["b"]);
        let got = p(CheckId::MixedLineEnding, &["-flf", "x"]).unwrap();
        assert_eq!(got.options, Options::MixedLineEnding { fix: FixMode::Lf });
        let got = p(CheckId::CheckYaml, &["-m", "--", "--unsafe"]).unwrap();
        assert_eq!(
            got.options,
            Options::Yaml {
                multi: true,
                unsafe_: false
            }
        );
        assert_eq!(got.files, ["--unsafe"]);
    }

    #[test]
    fn bad_flags_are_named() {
        let err = p(CheckId::CheckJson, &["--indent", "4"]).unwrap_err();
        assert!(err.to_string().contains("--indent"), "{err}");
        let err = p(CheckId::MixedLineEnding, &["--fix=dos"]).unwrap_err();
        assert!(
            err.to_string().contains("--fix") && err.to_string().contains("dos"),
            "{err}"
        );
        let err = p(CheckId::CheckAddedLargeFiles, &["--maxkb", "big"]).unwrap_err();
        assert!(err.to_string().contains("--maxkb"), "{err}");
        let err = p(CheckId::CheckAddedLargeFiles, &["--maxkb"]).unwrap_err();
        assert!(err.to_string().contains("expected one argument"), "{err}");
        let err = p(CheckId::NoCommitToBranch, &["file.txt"]).unwrap_err();
        assert!(err.to_string().contains("file.txt"), "{err}");
        let err = p(
            CheckId::TrailingWhitespace,
            &["--markdown-linebreak-ext", "README.md"],
        )
        .unwrap_err();
        assert!(err.to_string().contains("readme.md"), "{err}");
    }

    #[test]
    fn markdown_extensions_are_normalised_like_the_reference() {
        let got = p(
            CheckId::TrailingWhitespace,
            &["--markdown-linebreak-ext=MD,.markdown"],
        )
        .unwrap();
        let Options::TrailingWhitespace { markdown, .. } = got.options else {
            panic!()
        };
        assert_eq!(markdown.exts, [".md", ".markdown"]);
        let got = p(CheckId::TrailingWhitespace, &[]).unwrap();
        let Options::TrailingWhitespace { markdown, .. } = got.options else {
            panic!()
        };
        assert_eq!(markdown.exts, ["."]);
    }

    #[test]
    fn python_ints() {
        assert_eq!(python_int(" +5 "), Some(5));
        assert_eq!(python_int("-1"), Some(-1));
        assert_eq!(python_int("1__0"), None);
        assert_eq!(python_int("_1"), None);
        assert_eq!(python_int(""), None);
    }
}
