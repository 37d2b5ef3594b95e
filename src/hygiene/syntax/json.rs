//! check-json: does a file load with Python's `json.load` and no duplicate
//! keys? Written as a small validator rather than with serde_json, because
//! the reference accepts what serde_json rejects (`NaN`, `Infinity`,
//! `-Infinity`, lone surrogates in `\u` escapes, numbers beyond f64, UTF-16
//! and UTF-32 files detected by their first bytes) and compares keys after
//! decoding escapes. Errors read like Python's (`Expecting ',' delimiter:
//! line 3 column 5 (char 20)`).
//!
//! The input is decoded to WTF-8 (UTF-8 that may also hold surrogates, as
//! Python's `surrogatepass` does), then scanned as bytes without recursion.

use std::borrow::Cow;
use std::collections::HashSet;

/// Check one file's bytes; the error is the reference's message.
pub(crate) fn check(data: &[u8]) -> Result<(), String> {
    let text = decode(data)?;
    Scanner { s: &text, i: 0 }.document()
}

/// `json.detect_encoding` followed by a `surrogatepass` decode.
fn decode(b: &[u8]) -> Result<Cow<'_, [u8]>, String> {
    let starts = |p: &[u8]| b.starts_with(p);
    if starts(b"\x00\x00\xfe\xff") {
        return utf32(&b[4..], true);
    }
    if starts(b"\xff\xfe\x00\x00") {
        return utf32(&b[4..], false);
    }
    if starts(b"\xfe\xff") {
        return utf16(&b[2..], true);
    }
    if starts(b"\xff\xfe") {
        return utf16(&b[2..], false);
    }
    if let Some(rest) = b.strip_prefix(b"\xef\xbb\xbf") {
        return utf8(rest, 3).map(Cow::Borrowed);
    }
    if b.len() >= 4 {
        if b[0] == 0 {
            return if b[1] != 0 {
                utf16(b, true)
            } else {
                utf32(b, true)
            };
        }
        if b[1] == 0 {
            return if b[2] != 0 || b[3] != 0 {
                utf16(b, false)
            } else {
                utf32(b, false)
            };
        }
    } else if b.len() == 2 {
        if b[0] == 0 {
            return utf16(b, true);
        }
        if b[1] == 0 {
            return utf16(b, false);
        }
    }
    utf8(b, 0).map(Cow::Borrowed)
}

/// Valid UTF-8, surrogates (ED A0..BF xx) allowed.
fn utf8(b: &[u8], offset: usize) -> Result<&[u8], String> {
    let Err(first) = std::str::from_utf8(b) else {
        return Ok(b);
    };
    let mut i = first.valid_up_to();
    while i < b.len() {
        let c = b[i];
        let (len, lo, hi) = match c {
            0x00..=0x7f => {
                i += 1;
                continue;
            }
            0xc2..=0xdf => (2, 0x80, 0xbf),
            0xe0 => (3, 0xa0, 0xbf),
            0xe1..=0xef => (3, 0x80, 0xbf),
            0xf0 => (4, 0x90, 0xbf),
            0xf1..=0xf3 => (4, 0x80, 0xbf),
            0xf4 => (4, 0x80, 0x8f),
            _ => return Err(utf8_error(c, i + offset, "invalid start byte")),
        };
        for k in 1..len {
            let Some(&next) = b.get(i + k) else {
                return Err(utf8_error(c, i + offset, "unexpected end of data"));
            };
            let (l, h) = if k == 1 { (lo, hi) } else { (0x80, 0xbf) };
            if !(l..=h).contains(&next) {
                return Err(utf8_error(c, i + offset, "invalid continuation byte"));
            }
        }
        i += len;
    }
    Ok(b)
}

fn utf8_error(byte: u8, pos: usize, why: &str) -> String {
    format!("'utf-8' codec can't decode byte 0x{byte:02x} in position {pos}: {why}")
}

fn push_wtf8(out: &mut Vec<u8>, cp: u32) {
    match cp {
        0..=0x7f => out.push(cp as u8),
        0x80..=0x7ff => out.extend_from_slice(&[0xc0 | (cp >> 6) as u8, 0x80 | (cp & 0x3f) as u8]),
        0x800..=0xffff => out.extend_from_slice(&[
            0xe0 | (cp >> 12) as u8,
            0x80 | ((cp >> 6) & 0x3f) as u8,
            0x80 | (cp & 0x3f) as u8,
        ]),
        _ => out.extend_from_slice(&[
            0xf0 | (cp >> 18) as u8,
            0x80 | ((cp >> 12) & 0x3f) as u8,
            0x80 | ((cp >> 6) & 0x3f) as u8,
            0x80 | (cp & 0x3f) as u8,
        ]),
    }
}

fn utf16(b: &[u8], big: bool) -> Result<Cow<'static, [u8]>, String> {
    if !b.len().is_multiple_of(2) {
        return Err("'utf-16' codec can't decode the last byte: truncated data".to_string());
    }
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| {
            if big {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from_le_bytes([c[0], c[1]])
            }
        })
        .collect();
    let mut out = Vec::with_capacity(units.len());
    let mut i = 0;
    while i < units.len() {
        let u = units[i] as u32;
        if (0xd800..0xdc00).contains(&u)
            && let Some(&next) = units.get(i + 1)
            && (0xdc00..0xe000).contains(&(next as u32))
        {
            push_wtf8(
                &mut out,
                0x10000 + ((u - 0xd800) << 10) + (next as u32 - 0xdc00),
            );
            i += 2;
            continue;
        }
        push_wtf8(&mut out, u);
        i += 1;
    }
    Ok(Cow::Owned(out))
}

fn utf32(b: &[u8], big: bool) -> Result<Cow<'static, [u8]>, String> {
    if !b.len().is_multiple_of(4) {
        return Err("'utf-32' codec can't decode bytes: truncated data".to_string());
    }
    let mut out = Vec::with_capacity(b.len() / 4);
    for (n, c) in b.chunks_exact(4).enumerate() {
        let arr = [c[0], c[1], c[2], c[3]];
        let cp = if big {
            u32::from_be_bytes(arr)
        } else {
            u32::from_le_bytes(arr)
        };
        if cp > 0x10ffff {
            return Err(format!(
                "'utf-32' codec can't decode bytes in position {}-{}: code point not in range(0x110000)",
                n * 4,
                n * 4 + 3
            ));
        }
        push_wtf8(&mut out, cp);
    }
    Ok(Cow::Owned(out))
}

/// The deepest nesting the reference decodes.
const MAX_DEPTH: usize = 993;

enum Frame {
    Array,
    Object(HashSet<Vec<u8>>),
}

struct Scanner<'a> {
    s: &'a [u8],
    i: usize,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(is_ws) {
            self.i += 1;
        }
    }

    /// Python's `JSONDecodeError` text: message, line, column, char index.
    fn err(&self, msg: &str, at: usize) -> String {
        let before = &self.s[..at.min(self.s.len())];
        let chars = |b: &[u8]| b.iter().filter(|c| (**c & 0xc0) != 0x80).count();
        let pos = chars(before);
        let line = before.iter().filter(|c| **c == b'\n').count() + 1;
        let col = match before.iter().rposition(|c| *c == b'\n') {
            Some(nl) => pos - chars(&before[..nl]),
            None => pos + 1,
        };
        format!("{msg}: line {line} column {col} (char {pos})")
    }

    fn document(&mut self) -> Result<(), String> {
        self.ws();
        self.value()?;
        self.ws();
        if self.i != self.s.len() {
            return Err(self.err("Extra data", self.i));
        }
        Ok(())
    }

    /// Scan one value (containers without recursion).
    fn value(&mut self) -> Result<(), String> {
        let mut stack: Vec<Frame> = Vec::new();
        'value: loop {
            // Scan a value starting at self.i.
            match self.peek() {
                Some(b'"') => {
                    self.string(None)?;
                }
                Some(b'{') => {
                    self.depth(stack.len() + 1)?;
                    self.i += 1;
                    self.ws();
                    if self.peek() == Some(b'}') {
                        self.i += 1;
                    } else {
                        let mut keys = HashSet::new();
                        self.key(&mut keys)?;
                        stack.push(Frame::Object(keys));
                        continue 'value;
                    }
                }
                Some(b'[') => {
                    self.depth(stack.len() + 1)?;
                    self.i += 1;
                    self.ws();
                    if self.peek() == Some(b']') {
                        self.i += 1;
                    } else {
                        stack.push(Frame::Array);
                        continue 'value;
                    }
                }
                _ => self.scalar()?,
            }
            // A value ended: close containers or move to the next item.
            loop {
                let Some(frame) = stack.last_mut() else {
                    return Ok(());
                };
                self.ws();
                let (close, is_object) = match frame {
                    Frame::Array => (b']', false),
                    Frame::Object(_) => (b'}', true),
                };
                if self.peek() == Some(close) {
                    self.i += 1;
                    stack.pop();
                    continue;
                }
                if self.peek() != Some(b',') {
                    return Err(self.err("Expecting ',' delimiter", self.i));
                }
                self.i += 1;
                self.ws();
                if is_object && let Some(Frame::Object(keys)) = stack.last_mut() {
                    let mut keys = std::mem::take(keys);
                    self.key(&mut keys)?;
                    if let Some(Frame::Object(slot)) = stack.last_mut() {
                        *slot = keys;
                    }
                }
                continue 'value;
            }
        }
    }

    /// Python's decoder recurses per container and gives out with a
    /// `RecursionError` past 993 levels; fail where it does.
    fn depth(&self, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "maximum recursion depth exceeded (nesting deeper than {MAX_DEPTH})"
            ));
        }
        Ok(())
    }

    /// A key, the `:` and the whitespace before its value.
    fn key(&mut self, keys: &mut HashSet<Vec<u8>>) -> Result<(), String> {
        if self.peek() != Some(b'"') {
            return Err(self.err("Expecting property name enclosed in double quotes", self.i));
        }
        let mut key = Vec::new();
        self.string(Some(&mut key))?;
        if !keys.insert(key.clone()) {
            return Err(format!("Duplicate key: {}", String::from_utf8_lossy(&key)));
        }
        self.ws();
        if self.peek() != Some(b':') {
            return Err(self.err("Expecting ':' delimiter", self.i));
        }
        self.i += 1;
        self.ws();
        Ok(())
    }

    fn scalar(&mut self) -> Result<(), String> {
        let rest = &self.s[self.i..];
        for word in [
            &b"null"[..],
            b"true",
            b"false",
            b"NaN",
            b"Infinity",
            b"-Infinity",
        ] {
            if rest.starts_with(word) {
                self.i += word.len();
                return Ok(());
            }
        }
        // -?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?
        let start = self.i;
        let mut j = self.i;
        let digit = |k: usize| self.s.get(k).is_some_and(u8::is_ascii_digit);
        if self.s.get(j) == Some(&b'-') {
            j += 1;
        }
        match self.s.get(j) {
            Some(b'0') => j += 1,
            Some(b'1'..=b'9') => {
                while digit(j) {
                    j += 1;
                }
            }
            _ => return Err(self.err("Expecting value", start)),
        }
        if self.s.get(j) == Some(&b'.') && digit(j + 1) {
            j += 1;
            while digit(j) {
                j += 1;
            }
        }
        if matches!(self.s.get(j), Some(b'e' | b'E')) {
            let mut k = j + 1;
            if matches!(self.s.get(k), Some(b'+' | b'-')) {
                k += 1;
            }
            if digit(k) {
                while digit(k) {
                    k += 1;
                }
                j = k;
            }
        }
        self.i = j;
        Ok(())
    }

    /// A string starting at the opening quote; its decoded bytes go to
    /// `out` when given (keys).
    fn string(&mut self, mut out: Option<&mut Vec<u8>>) -> Result<(), String> {
        let begin = self.i;
        self.i += 1;
        loop {
            let run_start = self.i;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.i += 1;
            }
            if let Some(o) = out.as_deref_mut() {
                o.extend_from_slice(&self.s[run_start..self.i]);
            }
            match self.peek() {
                None => return Err(self.err("Unterminated string starting at", begin)),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    let at = self.i;
                    self.i += 1;
                    let Some(e) = self.peek() else {
                        return Err(self.err("Unterminated string starting at", begin));
                    };
                    let simple = match e {
                        b'"' => Some(b'"'),
                        b'\\' => Some(b'\\'),
                        b'/' => Some(b'/'),
                        b'b' => Some(8),
                        b'f' => Some(12),
                        b'n' => Some(b'\n'),
                        b'r' => Some(b'\r'),
                        b't' => Some(b'\t'),
                        b'u' => None,
                        _ => return Err(self.err("Invalid \\escape", at)),
                    };
                    self.i += 1;
                    if let Some(c) = simple {
                        if let Some(o) = out.as_deref_mut() {
                            o.push(c);
                        }
                        continue;
                    }
                    let mut cp = self.hex4(at)?;
                    if (0xd800..0xdc00).contains(&cp)
                        && self.s.get(self.i) == Some(&b'\\')
                        && self.s.get(self.i + 1) == Some(&b'u')
                    {
                        let save = self.i;
                        self.i += 2;
                        let low = self.hex4(save)?;
                        if (0xdc00..0xe000).contains(&low) {
                            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                        } else {
                            self.i = save;
                        }
                    }
                    if let Some(o) = out.as_deref_mut() {
                        push_wtf8(o, cp);
                    }
                }
                Some(_) => return Err(self.err("Invalid control character at", self.i)),
            }
        }
    }

    fn hex4(&mut self, escape_at: usize) -> Result<u32, String> {
        let digits = self.s.get(self.i..self.i + 4);
        let value = digits
            .filter(|d| d.iter().all(u8::is_ascii_hexdigit))
            .and_then(|d| u32::from_str_radix(std::str::from_utf8(d).ok()?, 16).ok());
        match value {
            Some(v) => {
                self.i += 4;
                Ok(v)
            }
            None => Err(self.err("Invalid \\uXXXX escape", escape_at + 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepts_what_python_accepts() {
        for ok in [
            &b"{}"[..],
            b" [1, 2.5e10, -0, NaN, Infinity, -Infinity, 1e400] ",
            b"{\"a\": {\"a\": 1}}",
            b"\"\\ud800\"",
            b"\xef\xbb\xbf{}",
            b"\xff\xfe{\x00}\x00",
            b"123",
        ] {
            assert_eq!(check(ok), Ok(()), "{}", String::from_utf8_lossy(ok));
        }
    }

    #[test]
    fn rejects_with_python_messages() {
        assert_eq!(
            check(b""),
            Err("Expecting value: line 1 column 1 (char 0)".into())
        );
        assert_eq!(
            check(b"[1,]"),
            Err("Expecting value: line 1 column 4 (char 3)".into())
        );
        assert_eq!(check(b"{\"a\":1,\"a\":2}"), Err("Duplicate key: a".into()));
        assert_eq!(
            check(b"{\"a\":1,\"\\u0061\":2}"),
            Err("Duplicate key: a".into())
        );
        assert_eq!(
            check(b"{\"a\" 1}"),
            Err("Expecting ':' delimiter: line 1 column 6 (char 5)".into())
        );
        assert_eq!(
            check(b"{}\n{}"),
            Err("Extra data: line 2 column 1 (char 3)".into())
        );
        assert_eq!(
            check(b"[1\n 2]"),
            Err("Expecting ',' delimiter: line 2 column 2 (char 4)".into())
        );
        assert!(check(b"01").is_err());
        assert!(check(b"\xff").is_err());
        assert!(check(b"\"a\tb\"").is_err());
    }
}
