//! check-toml: does a file parse as TOML 1.0, as Python's `tomllib` reads
//! it? The `toml` crate does the parsing and the semantic checks
//! (duplicate keys, redefined tables); it also accepts TOML 1.1, which
//! `tomllib` does not, so the four 1.1 additions are rejected here first:
//! line breaks, comments and a trailing comma inside an inline table,
//! `\e` and `\xHH` escapes, and times without seconds.

use toml_parser::decoder::Encoding;
use toml_parser::parser::EventReceiver;
use toml_parser::{ErrorSink, Source, Span};

/// Check one file's bytes; the error is a one-line message with position.
pub(crate) fn check(data: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(data).map_err(|e| {
        format!(
            "'utf-8' codec can't decode byte 0x{:02x} in position {}",
            data[e.valid_up_to()],
            e.valid_up_to()
        )
    })?;
    if text.starts_with('\u{feff}') {
        return Err("Invalid statement (at line 1, column 1)".to_string());
    }
    if let Some((span, what)) = newer_syntax(text) {
        return Err(format!("{what} is TOML 1.1, not 1.0{}", at(text, span)));
    }
    match toml::from_str::<toml::Table>(text) {
        Ok(_) => Ok(()),
        Err(e) => {
            let message = e.message().trim().to_string();
            let position = e.span().map(|s| at(text, s.start)).unwrap_or_default();
            Err(format!("{message}{position}"))
        }
    }
}

/// ` (at line L, column C)` for a byte offset, as `tomllib` words it.
fn at(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!(" (at line {line}, column {col})")
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Inline,
    Array,
}

struct Newer<'a> {
    source: Source<'a>,
    stack: Vec<Open>,
    /// The last event that was not whitespace was a `,`.
    after_comma: bool,
    found: Option<(usize, &'static str)>,
}

impl Newer<'_> {
    fn flag(&mut self, span: Span, what: &'static str) {
        if self.found.is_none() {
            self.found = Some((span.start(), what));
        }
    }
    fn in_inline(&self) -> bool {
        self.stack.last() == Some(&Open::Inline)
    }
    fn raw(&self, span: Span) -> &str {
        self.source.get(span).map_or("", |r| r.as_str())
    }
}

impl EventReceiver for Newer<'_> {
    fn inline_table_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) -> bool {
        self.stack.push(Open::Inline);
        self.after_comma = false;
        true
    }
    fn inline_table_close(&mut self, span: Span, _error: &mut dyn ErrorSink) {
        if self.after_comma && self.in_inline() {
            self.flag(span, "a trailing comma in an inline table");
        }
        self.stack.pop();
        self.after_comma = false;
    }
    fn array_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) -> bool {
        self.stack.push(Open::Array);
        self.after_comma = false;
        true
    }
    fn array_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.stack.pop();
        self.after_comma = false;
    }
    fn simple_key(&mut self, _span: Span, _kind: Option<Encoding>, _error: &mut dyn ErrorSink) {
        self.after_comma = false;
    }
    fn value_sep(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.after_comma = true;
    }
    fn newline(&mut self, span: Span, _error: &mut dyn ErrorSink) {
        if self.in_inline() {
            self.flag(span, "a line break in an inline table");
        }
    }
    fn comment(&mut self, span: Span, _error: &mut dyn ErrorSink) {
        if self.in_inline() {
            self.flag(span, "a comment in an inline table");
        }
    }
    fn scalar(&mut self, span: Span, kind: Option<Encoding>, _error: &mut dyn ErrorSink) {
        self.after_comma = false;
        match kind {
            Some(Encoding::BasicString | Encoding::MlBasicString) => {
                let raw = self.raw(span).as_bytes();
                let mut i = 0;
                while i + 1 < raw.len() {
                    if raw[i] == b'\\' {
                        match raw[i + 1] {
                            b'e' => return self.flag(span, "the \\e escape"),
                            b'x' => return self.flag(span, "the \\x escape"),
                            _ => i += 2,
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            None => {
                let raw = self.raw(span);
                let b = raw.as_bytes();
                // A time is HH:MM:SS; 1.1 allows HH:MM.
                if let Some(colon) = raw.find(':')
                    && colon >= 2
                    && b[colon - 2..colon].iter().all(u8::is_ascii_digit)
                    && b.get(colon + 1..colon + 3)
                        .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
                    && b.get(colon + 3) != Some(&b':')
                {
                    self.flag(span, "a time without seconds");
                }
            }
            _ => {}
        }
    }
}

/// The first TOML 1.1 construct in `text`, if any.
fn newer_syntax(text: &str) -> Option<(usize, &'static str)> {
    let source = Source::new(text);
    let tokens: Vec<_> = source.lex().collect();
    let mut receiver = Newer {
        source,
        stack: Vec::new(),
        after_comma: false,
        found: None,
    };
    let mut errors: Vec<toml_parser::ParseError> = Vec::new();
    toml_parser::parser::parse_document(&tokens, &mut receiver, &mut errors);
    receiver.found
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn toml_1_0_only() {
        assert_eq!(check(b"a = 1\n[b]\nc = { d = [1,\n 2] }\n"), Ok(()));
        for bad in [
            &b"\xef\xbb\xbfa=1"[..],
            b"a={b=1,}",
            b"a={b=1,\nc=2}",
            b"a=\"\\e\"",
            b"a=\"\\x41\"",
            b"a=07:32",
            b"a=1979-05-27T07:32Z",
            b"a=1\na=2",
            b"a=\xff",
        ] {
            assert!(check(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(check(b"a=07:32:00\nb='\\e'"), Ok(()));
    }
}
