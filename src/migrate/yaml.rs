//! A small YAML tree for reading `.pre-commit-config.yaml`: saphyr-parser's
//! events composed into scalars (kept as text, with whether they were
//! plain), sequences and mappings, each with its line for error messages.
//! Anchors and aliases are resolved by copying; only the first document is
//! read, as pre-commit does.

use saphyr_parser::{Event, Parser, ScalarStyle};

/// A node and the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub line: usize,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A scalar's text; `plain` when it was not quoted nor a block scalar.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    /// Pairs in file order; keys are scalars' text.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// A plain `null`, `~` or empty scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, plain: true } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// The text of a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// A plain YAML boolean (PyYAML's 1.1 spellings included).
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Scalar { text, plain: true } => match text.as_str() {
                "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
                "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
                    Some(false)
                }
                _ => None,
            },
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(String, Node)]> {
        match &self.value {
            Value::Map(pairs) => Some(pairs),
            _ => None,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

/// Parse the first document; `None` for an empty file.
pub fn parse(text: &str) -> Result<Option<Node>, String> {
    let mut reader = Reader {
        parser: Parser::new_from_str(text),
        anchors: std::collections::HashMap::new(),
        nodes: 0,
    };
    loop {
        match reader.next()? {
            (Event::StreamStart, _) => {}
            (Event::DocumentStart(_), _) => return reader.node(None, 0).map(Some),
            (Event::StreamEnd, _) => return Ok(None),
            (other, line) => return Err(format!("line {line}: unexpected {other:?}")),
        }
    }
}

struct Reader<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    /// Anchored nodes with their size in nodes.
    anchors: std::collections::HashMap<usize, (Node, usize)>,
    /// Nodes made so far, aliases expanded.
    nodes: usize,
}

/// Deeper than this is not a pre-commit configuration.
const MAX_DEPTH: usize = 64;
/// Nor is a file with more nodes than this once aliases are expanded (a
/// "billion laughs" file stops here instead of filling the memory).
const MAX_NODES: usize = 100_000;

impl<'a> Reader<'a> {
    fn next(&mut self) -> Result<(Event<'a>, usize), String> {
        match self.parser.next_event() {
            Some(Ok((event, span))) => Ok((event, span.start.line())),
            Some(Err(e)) => Err(e.to_string()),
            None => Err("unexpected end of the file".to_string()),
        }
    }

    fn node(&mut self, first: Option<(Event<'a>, usize)>, depth: usize) -> Result<Node, String> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply".to_string());
        }
        let (event, line) = match first {
            Some(e) => e,
            None => self.next()?,
        };
        let before = self.nodes;
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(format!(
                "line {line}: more than {MAX_NODES} values (aliases expanded)"
            ));
        }
        let (node, anchor) = match event {
            Event::Scalar(text, style, anchor, _) => (
                Node {
                    line,
                    value: Value::Scalar {
                        text: text.into_owned(),
                        plain: style == ScalarStyle::Plain,
                    },
                },
                anchor,
            ),
            Event::Alias(id) => {
                let (node, size) = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| format!("line {line}: an alias to an unknown anchor"))?;
                self.nodes += size;
                if self.nodes > MAX_NODES {
                    return Err(format!(
                        "line {line}: more than {MAX_NODES} values (aliases expanded)"
                    ));
                }
                return Ok(node);
            }
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    let next = self.next()?;
                    if matches!(next.0, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(Some(next), depth + 1)?);
                }
                (
                    Node {
                        line,
                        value: Value::Seq(items),
                    },
                    anchor,
                )
            }
            Event::MappingStart(anchor, _) => {
                let mut pairs: Vec<(String, Node)> = Vec::new();
                loop {
                    let next = self.next()?;
                    if matches!(next.0, Event::MappingEnd) {
                        break;
                    }
                    let key_line = next.1;
                    let key = self.node(Some(next), depth + 1)?;
                    let key = key
                        .as_str()
                        .ok_or_else(|| {
                            format!("line {key_line}: a mapping key must be a plain value")
                        })?
                        .to_string();
                    let value = self.node(None, depth + 1)?;
                    if pairs.iter().any(|(k, _)| *k == key) {
                        return Err(format!("line {key_line}: duplicate key {key:?}"));
                    }
                    pairs.push((key, value));
                }
                (
                    Node {
                        line,
                        value: Value::Map(pairs),
                    },
                    anchor,
                )
            }
            other => return Err(format!("line {line}: unexpected {other:?}")),
        };
        if anchor != 0 {
            self.anchors
                .insert(anchor, (node.clone(), self.nodes - before));
        }
        Ok(node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_maps_sequences_and_scalars_with_lines() {
        let doc = parse("a: 1\nb:\n  - x\n  - 'y'\nc: {d: [e, f]}\ng: true\n")
            .unwrap()
            .unwrap();
        assert_eq!(doc.get("a").unwrap().as_str(), Some("1"));
        let b = doc.get("b").unwrap().as_seq().unwrap();
        assert_eq!(b[1].line, 4);
        assert_eq!(
            b[1].value,
            Value::Scalar {
                text: "y".into(),
                plain: false
            }
        );
        assert_eq!(
            doc.get("c")
                .unwrap()
                .get("d")
                .unwrap()
                .as_seq()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(doc.get("g").unwrap().as_bool(), Some(true));
    }

    #[test]
    fn aliases_copy_their_anchor() {
        let doc = parse("x: &a [1, 2]\ny: *a\n").unwrap().unwrap();
        assert_eq!(
            doc.get("x"),
            doc.get("y")
                .map(|n| Node {
                    line: 1,
                    ..n.clone()
                })
                .as_ref()
        );
    }

    #[test]
    fn alias_bombs_stop_early() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert!(parse(&text).unwrap_err().contains("aliases expanded"));
    }

    #[test]
    fn errors_name_the_line() {
        assert!(parse("a: [1\n").unwrap_err().contains("line"));
        assert!(parse("a: 1\na: 2\n").unwrap_err().contains("duplicate key"));
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("# only a comment\n").unwrap(), None);
    }
}
