//! check-xml: is a file well-formed XML, as Python's `xml.sax` (expat)
//! reads it? roxmltree checks well-formedness (with internal DTDs and
//! entities); this module first decodes the bytes the way expat picks an
//! encoding: a byte-order mark, UTF-16 without one, or the declaration's
//! `encoding` (UTF-8, UTF-16, ISO-8859-1, US-ASCII, and the single-byte
//! encodings Python lends expat).

use std::borrow::Cow;

/// Check one file's bytes; the error is a one-line message.
pub(crate) fn check(data: &[u8]) -> Result<(), String> {
    let mut text = decode(data)?.into_owned();
    if let Some(at) = bad_char_reference(&text) {
        return Err(format!("reference to invalid character number (byte {at})"));
    }
    // expat without namespace processing (what `xml.sax` uses) does not
    // care whether a prefix is declared; roxmltree does. Declare each
    // unknown prefix on the element that uses it and parse again.
    for _ in 0..256 {
        let options = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        };
        let unknown = match roxmltree::Document::parse_with_options(&text, options) {
            Ok(_) => return Ok(()),
            Err(roxmltree::Error::UnknownNamespace(prefix, pos)) => Ok((prefix, pos)),
            Err(e) => Err(e.to_string()),
        };
        match unknown {
            Ok((prefix, pos)) => {
                let Some(at) = tag_start(&text, pos) else {
                    return Err(format!("an unknown namespace prefix {prefix:?}"));
                };
                let name_end = text[at + 1..]
                    .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
                    .map_or(text.len(), |i| at + 1 + i);
                text.insert_str(
                    name_end,
                    &format!(" xmlns:{prefix}=\"urn:hephaestus:undeclared\""),
                );
            }
            Err(e) => return Err(e),
        }
    }
    Err("too many undeclared namespace prefixes".to_string())
}

/// A `&#…;` reference to a character XML does not allow (a surrogate,
/// U+FFFE, …), outside comments, CDATA sections and processing
/// instructions: expat refuses it, roxmltree lets surrogates through.
fn bad_char_reference(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(off) = memchr::memchr2(b'&', b'<', &b[i..]) {
        let at = i + off;
        let rest = &text[at..];
        let skip_to = |end: &str| rest.find(end).map_or(b.len(), |e| at + e + end.len());
        if rest.starts_with("<!--") {
            i = skip_to("-->");
        } else if rest.starts_with("<![CDATA[") {
            i = skip_to("]]>");
        } else if rest.starts_with("<?") {
            i = skip_to("?>");
        } else if let Some(num) = rest.strip_prefix("&#") {
            let end = num.find(';')?;
            let digits = &num[..end];
            let value = match digits.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => digits.parse::<u32>().ok(),
            };
            let allowed = |c: u32| matches!(c, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF);
            if value.is_some_and(|c| !allowed(c)) {
                return Some(at);
            }
            i = at + 2;
        } else {
            i = at + 1;
        }
    }
    None
}

/// The byte offset of the `<` that opens the tag around a position.
fn tag_start(text: &str, pos: roxmltree::TextPos) -> Option<usize> {
    let line_start = if pos.row <= 1 {
        0
    } else {
        text.match_indices('\n').nth(pos.row as usize - 2)?.0 + 1
    };
    let offset = text[line_start..]
        .char_indices()
        .nth((pos.col as usize).saturating_sub(1))
        .map_or(text.len(), |(i, _)| line_start + i);
    text[..offset.min(text.len())].rfind('<')
}

fn decode(data: &[u8]) -> Result<Cow<'_, str>, String> {
    let utf16 = |bytes: &[u8], big: bool| -> Result<Cow<'static, str>, String> {
        if !bytes.len().is_multiple_of(2) {
            return Err("no element found (odd number of bytes in UTF-16)".to_string());
        }
        let units = bytes.chunks_exact(2).map(|c| {
            if big {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from_le_bytes([c[0], c[1]])
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map(Cow::Owned)
            .map_err(|_| "not well-formed (invalid token)".to_string())
    };
    if let Some(rest) = data.strip_prefix(b"\xef\xbb\xbf") {
        return utf8(rest);
    }
    if let Some(rest) = data.strip_prefix(b"\xfe\xff") {
        return utf16(rest, true);
    }
    if let Some(rest) = data.strip_prefix(b"\xff\xfe") {
        return utf16(rest, false);
    }
    if data.starts_with(b"\x00<") {
        return utf16(data, true);
    }
    if data.starts_with(b"<\x00") {
        return utf16(data, false);
    }
    match declared_encoding(data).map(|e| e.to_ascii_lowercase()) {
        None => utf8(data),
        Some(e) if e == "utf-8" || e == "utf8" => utf8(data),
        Some(e) if e == "us-ascii" || e == "ascii" => {
            if let Some(i) = data.iter().position(|b| *b >= 0x80) {
                return Err(format!("not well-formed (invalid token): byte {i}"));
            }
            utf8(data)
        }
        Some(e) if e == "iso-8859-1" || e == "latin-1" || e == "latin1" => {
            Ok(Cow::Owned(data.iter().map(|b| char::from(*b)).collect()))
        }
        Some(e) => match encoding_rs::Encoding::for_label(e.as_bytes()) {
            Some(enc) if single_byte(enc) => Ok(Cow::Owned(
                enc.decode_without_bom_handling(data).0.into_owned(),
            )),
            _ => Err(format!("unknown encoding {e:?}")),
        },
    }
}

fn single_byte(enc: &'static encoding_rs::Encoding) -> bool {
    enc.is_single_byte() && enc != encoding_rs::REPLACEMENT && enc != encoding_rs::X_USER_DEFINED
}

fn utf8(data: &[u8]) -> Result<Cow<'_, str>, String> {
    std::str::from_utf8(data)
        .map(Cow::Borrowed)
        .map_err(|e| format!("not well-formed (invalid token): byte {}", e.valid_up_to()))
}

/// The `encoding` of an `<?xml …?>` declaration at the very start.
fn declared_encoding(data: &[u8]) -> Option<String> {
    let rest = data.strip_prefix(b"<?xml")?;
    let end = memchr::memmem::find(rest, b"?>")?;
    let decl = std::str::from_utf8(&rest[..end]).ok()?;
    let after = &decl[decl.find("encoding")? + "encoding".len()..];
    let after = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = after.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let value = &after[1..];
    Some(value[..value.find(quote)?].to_string())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn well_formed_or_not() {
        assert_eq!(
            check(b"<?xml version=\"1.0\"?><a b=\"1\">&amp;</a>"),
            Ok(())
        );
        assert_eq!(check(b"<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>"), Ok(()));
        assert_eq!(
            check(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xe9</a>"),
            Ok(())
        );
        assert_eq!(check(b"\xff\xfe<\x00a\x00/\x00>\x00"), Ok(()));
        for bad in [
            &b""[..],
            b"<a>",
            b"<a></b>",
            b"<a/><b/>",
            b"<a>&nope;</a>",
            b"<a>\xff</a>",
            b"<a x='1' x='2'/>",
        ] {
            assert!(check(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
