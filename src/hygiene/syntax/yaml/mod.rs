//! check-yaml: does a file load with ruamel.yaml's safe loader, as the
//! reference runs it (`YAML(typ='safe')`, YAML 1.2 resolution)?
//!
//! saphyr-parser reads the event stream; this module composes the events
//! into a node graph (anchors and aliases share nodes, as ruamel's composer
//! does) and [`construct`] then does what ruamel's `SafeConstructor` does
//! with it: resolve plain scalars to tags ([`resolve`]), construct every
//! node of the known tags (`!!int` of `abc` fails, a tag with no
//! constructor such as `!Ref` fails), expand `<<` merge keys, and reject
//! duplicate mapping keys compared with Python's equality (`1`, `1.0` and
//! `true` are the same key). `--unsafe` only parses; without
//! `--allow-multiple-documents` a second document fails.

mod construct;
mod quirks;
mod resolve;

use saphyr_parser::{Event, Parser, ScalarStyle};

/// The options of check-yaml.
#[derive(Debug, Clone, Copy)]
pub(crate) struct YamlMode {
    pub multi: bool,
    pub unsafe_: bool,
}

/// Nesting beyond this fails, as the reference does with a
/// `RecursionError` (at 490 levels of block mappings, 493 of flow
/// sequences: its limit depends on the kind of collection).
const MAX_DEPTH: usize = 490;

pub(crate) type NodeId = usize;

/// A composed node; a tag is `None` when the node had none.
#[derive(Debug)]
pub(crate) enum Node {
    Scalar {
        tag: Option<String>,
        value: String,
        plain: bool,
    },
    Seq {
        tag: Option<String>,
        items: Vec<NodeId>,
    },
    Map {
        tag: Option<String>,
        pairs: Vec<(NodeId, NodeId)>,
    },
}

/// Check one file's bytes; the error is a one-line message.
pub(crate) fn check(data: &[u8], mode: YamlMode) -> Result<(), String> {
    let text = std::str::from_utf8(data).map_err(|e| {
        format!(
            "'utf-8' codec can't decode byte 0x{:02x} in position {}",
            data[e.valid_up_to()],
            e.valid_up_to()
        )
    })?;
    // Python reads the file in text mode: universal newlines.
    let text = if text.contains('\r') {
        std::borrow::Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(text)
    };
    if let Some((i, c)) = text.char_indices().find(|(_, c)| !printable(*c)) {
        return Err(format!(
            "unacceptable character #x{:04x}: special characters are not allowed (position {i})",
            c as u32
        ));
    }
    if starts_with_document_end(&text) {
        return Err("expected the node content, but found '<document end>' (line 1)".to_string());
    }
    let marks = if mode.unsafe_ {
        parse_only(&text)?
    } else {
        load(&text, mode)?
    };
    if let Some(line) = quirks::over_indented_block_scalar(&text, &marks) {
        return Err(format!(
            "more indented follow up line than first in a block scalar (line {line})"
        ));
    }
    if let Some((line, col)) = quirks::refused_tab(&text, &marks) {
        return Err(format!(
            "found character '\\t' that cannot start any token (line {line}, column {col})"
        ));
    }
    Ok(())
}

/// Where a scalar or collection sits in the text (char indices), for
/// [`quirks`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    pub kind: MarkKind,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MarkKind {
    Scalar(ScalarStyle),
    Open,
    Close,
}

/// saphyr's parser, noting the marks of the events it hands out.
struct Events<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    marks: Vec<Mark>,
}

impl<'a> Events<'a> {
    fn new(text: &'a str) -> Self {
        Events {
            parser: Parser::new_from_str(text),
            marks: Vec::new(),
        }
    }

    fn next_event(
        &mut self,
    ) -> Option<Result<(Event<'a>, saphyr_parser::Span), saphyr_parser::ScanError>> {
        let next = self.parser.next_event();
        if let Some(Ok((event, span))) = &next {
            let kind = match event {
                Event::Scalar(_, style, ..) => Some(MarkKind::Scalar(*style)),
                Event::SequenceStart(..) | Event::MappingStart(..) => Some(MarkKind::Open),
                Event::SequenceEnd | Event::MappingEnd => Some(MarkKind::Close),
                _ => None,
            };
            if let Some(kind) = kind {
                self.marks.push(Mark {
                    kind,
                    start: span.start.index(),
                    end: span.end.index(),
                });
            }
        }
        next
    }

    fn next(&mut self) -> Result<Event<'a>, String> {
        match self.next_event() {
            Some(Ok((event, _))) => Ok(event),
            Some(Err(e)) => Err(e.to_string()),
            None => Err("unexpected end of the stream".to_string()),
        }
    }
}

/// Compose and construct every document (safe mode).
fn load(text: &str, mode: YamlMode) -> Result<Vec<Mark>, String> {
    let mut events = Events::new(text);
    let mut composer = Composer {
        nodes: Vec::new(),
        anchors: std::collections::HashMap::new(),
    };
    let mut documents = 0usize;
    while let Some(next) = events.next_event() {
        let (event, span) = next.map_err(|e| e.to_string())?;
        match event {
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 && !mode.multi {
                    return Err(format!(
                        "expected a single document in the stream, but found another document (line {})",
                        span.start.line()
                    ));
                }
                composer.anchors.clear();
                let root = composer.node(&mut events, None, 0)?;
                construct::document(&mut composer.nodes, root)?;
            }
            other => return Err(format!("unexpected event {other:?}")),
        }
    }
    Ok(events.marks)
}

/// A `...` before any document: ruamel opens an implicit document there
/// and finds no content (saphyr accepts it).
fn starts_with_document_end(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for line in text.lines() {
        let trimmed = line.trim_start_matches([' ', '\t']);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        return line.starts_with("...")
            && line[3..]
                .chars()
                .next()
                .is_none_or(|c| c == ' ' || c == '\t');
    }
    false
}

/// `--unsafe`: events only, as ruamel's `parse`. An alias to an anchor
/// that was never defined is fine there (nothing resolves it), so each one
/// saphyr rejects is turned into a plain scalar and the text parsed again.
fn parse_only(text: &str) -> Result<Vec<Mark>, String> {
    let mut text = text.to_string();
    for _ in 0..10_000 {
        let mut parser = Events::new(&text);
        let failure = loop {
            match parser.next_event() {
                None | Some(Ok((Event::StreamEnd, _))) => return Ok(parser.marks),
                Some(Ok(_)) => {}
                Some(Err(e)) => break e,
            }
        };
        if failure.info() != "while parsing node, found unknown anchor" {
            return Err(failure.to_string());
        }
        let at = failure.marker().index();
        let Some((byte, '*')) = text.char_indices().nth(at) else {
            return Err(failure.to_string());
        };
        text.replace_range(byte..byte + 1, "x");
    }
    Err("too many undefined aliases".to_string())
}

/// ruamel's reader accepts these characters only.
fn printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..='\u{10ffff}')
}

struct Composer {
    nodes: Vec<Node>,
    anchors: std::collections::HashMap<usize, NodeId>,
}

fn tag_of(tag: Option<std::borrow::Cow<'_, saphyr_parser::Tag>>) -> Option<String> {
    let tag = tag?;
    // `!` alone (non-specific) stays `!`: the constructor reads it as str,
    // seq or map by the node's kind, without implicit resolution.
    Some(format!("{}{}", tag.handle, tag.suffix))
}

impl Composer {
    fn add(&mut self, node: Node, anchor: usize) -> NodeId {
        let id = self.nodes.len();
        self.nodes.push(node);
        if anchor != 0 {
            self.anchors.insert(anchor, id);
        }
        id
    }

    /// Compose the node that starts with the next event (or `first`).
    fn node<'a>(
        &mut self,
        parser: &mut Events<'a>,
        first: Option<Event<'a>>,
        depth: usize,
    ) -> Result<NodeId, String> {
        if depth > MAX_DEPTH {
            return Err(format!("nesting deeper than {MAX_DEPTH} levels"));
        }
        let event = match first {
            Some(e) => e,
            None => parser.next()?,
        };
        match event {
            Event::Alias(id) => self
                .anchors
                .get(&id)
                .copied()
                .ok_or_else(|| "found undefined alias".to_string()),
            Event::Scalar(value, style, anchor, tag) => {
                let tag = tag_of(tag);
                let plain = style == ScalarStyle::Plain;
                Ok(self.add(
                    Node::Scalar {
                        tag,
                        value: value.into_owned(),
                        plain,
                    },
                    anchor,
                ))
            }
            Event::SequenceStart(anchor, tag) => {
                let id = self.add(
                    Node::Seq {
                        tag: tag_of(tag),
                        items: Vec::new(),
                    },
                    anchor,
                );
                loop {
                    let e = parser.next()?;
                    if matches!(e, Event::SequenceEnd) {
                        break;
                    }
                    let child = self.node(parser, Some(e), depth + 1)?;
                    if let Node::Seq { items, .. } = &mut self.nodes[id] {
                        items.push(child);
                    }
                }
                Ok(id)
            }
            Event::MappingStart(anchor, tag) => {
                let id = self.add(
                    Node::Map {
                        tag: tag_of(tag),
                        pairs: Vec::new(),
                    },
                    anchor,
                );
                loop {
                    let e = parser.next()?;
                    if matches!(e, Event::MappingEnd) {
                        break;
                    }
                    let key = self.node(parser, Some(e), depth + 1)?;
                    let value = self.node(parser, None, depth + 1)?;
                    if let Node::Map { pairs, .. } = &mut self.nodes[id] {
                        pairs.push((key, value));
                    }
                }
                Ok(id)
            }
            other => Err(format!("unexpected event {other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{YamlMode, check};

    const SAFE: YamlMode = YamlMode {
        multi: false,
        unsafe_: false,
    };

    #[test]
    fn loads_like_the_safe_loader() {
        for ok in [
            "",
            "a: 1\nb: [1, 2]\n",
            "a: &x {b: 1}\nc:\n  <<: *x\n  d: 2\n",
            "? [1, 2]\n: x\n",
            "a: !!str 1\nb: !!int '0x1f'\nc: 2001-12-14t21:59:43.10-05:00\n",
            "---\na: 1\n",
            "a: .nan\nb: .NaN\n",
        ] {
            assert_eq!(check(ok.as_bytes(), SAFE), Ok(()), "{ok}");
        }
        for bad in [
            "a: 1\na: 2\n",
            "1: a\n1.0: b\n",
            "true: a\n1: b\n",
            "a: !Ref x\n",
            "a: !!int abc\n",
            "? {a: 1}\n: x\n",
            "a: 1\n---\nb: 2\n",
            "a: [1\n",
            "a: *nope\n",
            "a: 2001-13-01\n",
            "a: <<\n",
            "a: \u{1}\n",
            ".nan: 1\n.NAN: 2\n",
        ] {
            assert!(check(bad.as_bytes(), SAFE).is_err(), "{bad}");
        }
        let multi = YamlMode {
            multi: true,
            unsafe_: false,
        };
        assert_eq!(check(b"a: 1\n---\nb: 2\n", multi), Ok(()));
        let unsafe_ = YamlMode {
            multi: false,
            unsafe_: true,
        };
        assert_eq!(check(b"a: !Ref x\na: 2\n---\nc: 1\n", unsafe_), Ok(()));
    }
}
