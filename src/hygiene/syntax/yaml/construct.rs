//! What ruamel.yaml's `SafeConstructor` does with a composed document, as
//! far as it can fail: every node is constructed by its tag's constructor,
//! merge keys are expanded, and mapping keys must be hashable and unique
//! under Python's equality (`1 == 1.0 == True`; `.nan` is one shared
//! object, so two `.nan` keys collide; an alias is the same object).
//! Values are kept only as far as key comparison needs them.

use std::collections::HashSet;
use std::rc::Rc;

use super::resolve::{self, MAP, MERGE, PyFloat, PyInt, SEQ, STR, Stamp, VALUE};
use super::{Node, NodeId};

type Pairs = Vec<(NodeId, NodeId)>;

const CORE: &str = "tag:yaml.org,2002:";

/// A number as Python compares it: booleans and integral floats are ints.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Num {
    Int(PyInt),
    /// A non-integral or infinite float, by its bits.
    Float(u64),
    /// NaN equals only itself: the node it came from, or `usize::MAX` for
    /// the loader's shared `.nan`.
    Nan(usize),
}

/// A hashable Python value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    None,
    Num(Num),
    Str(String),
    Bytes(Vec<u8>),
    Stamp(Stamp),
    Tuple(Vec<Key>),
}

/// A constructed value, as far as keys need it.
#[derive(Debug)]
enum Val {
    Atom(Key),
    List(Vec<Rc<Val>>),
    Tuple(Vec<Rc<Val>>),
    /// dict, set, ordered map.
    Unhashable,
}

fn float_num(f: f64, node: NodeId) -> Num {
    if f.is_nan() {
        Num::Nan(node)
    } else if f.is_finite() && f.fract() == 0.0 && f.abs() < 1.0e38 {
        Num::Int(PyInt::Small(f as i128))
    } else {
        Num::Float(f.to_bits())
    }
}

/// `key` as a dict key: a top-level list becomes a tuple (ruamel does
/// that); anything else unhashable is an error.
fn hashable(v: &Val, top: bool) -> Option<Key> {
    match v {
        Val::Atom(k) => Some(k.clone()),
        Val::List(items) if top => items
            .iter()
            .map(|i| hashable(i, false))
            .collect::<Option<Vec<_>>>()
            .map(Key::Tuple),
        Val::Tuple(items) => items
            .iter()
            .map(|i| hashable(i, false))
            .collect::<Option<Vec<_>>>()
            .map(Key::Tuple),
        Val::List(_) | Val::Unhashable => None,
    }
}

enum Memo {
    Todo,
    Busy,
    Done(Rc<Val>),
}

struct Constructor<'a> {
    nodes: &'a [Node],
    memo: Vec<Memo>,
}

/// Construct a document; the error is the first failure.
pub(super) fn document(nodes: &mut [Node], root: NodeId) -> Result<(), String> {
    let mut c = Constructor {
        nodes,
        memo: (0..nodes.len()).map(|_| Memo::Todo).collect(),
    };
    c.object(root, None).map(|_| ())
}

impl Constructor<'_> {
    /// The node's tag after resolution.
    fn tag(&self, id: NodeId) -> String {
        match &self.nodes[id] {
            Node::Scalar { tag, value, plain } => match tag.as_deref() {
                Some("!") => STR.to_string(),
                Some(t) => t.to_string(),
                None if *plain => resolve::implicit(value),
                None => STR.to_string(),
            },
            Node::Seq { tag, .. } => match tag.as_deref() {
                None | Some("!") => SEQ.to_string(),
                Some(t) => t.to_string(),
            },
            Node::Map { tag, .. } => match tag.as_deref() {
                None | Some("!") => MAP.to_string(),
                Some(t) => t.to_string(),
            },
        }
    }

    /// Construct a node once (aliases share the result); a node still being
    /// constructed (a recursive alias) reads as None, as in ruamel.
    fn object(&mut self, id: NodeId, tag_override: Option<&str>) -> Result<Rc<Val>, String> {
        match &self.memo[id] {
            Memo::Done(v) => return Ok(v.clone()),
            Memo::Busy => return Ok(Rc::new(Val::Atom(Key::None))),
            Memo::Todo => {}
        }
        self.memo[id] = Memo::Busy;
        let tag = tag_override.map_or_else(|| self.tag(id), str::to_string);
        let val = Rc::new(self.construct(id, &tag)?);
        self.memo[id] = Memo::Done(val.clone());
        Ok(val)
    }

    fn construct(&mut self, id: NodeId, tag: &str) -> Result<Val, String> {
        let Some(kind) = tag.strip_prefix(CORE) else {
            return Err(format!(
                "could not determine a constructor for the tag {tag:?}"
            ));
        };
        let atom = |k: Key| Ok(Val::Atom(k));
        match kind {
            "null" => {
                self.scalar(id)?;
                atom(Key::None)
            }
            "bool" => match self.scalar(id)?.to_lowercase().as_str() {
                "yes" | "y" | "true" | "on" => atom(Key::Num(Num::Int(PyInt::Small(1)))),
                "no" | "n" | "false" | "off" => atom(Key::Num(Num::Int(PyInt::Small(0)))),
                other => Err(format!("cannot construct a bool from {other:?}")),
            },
            "int" => {
                let text = self.scalar(id)?;
                match resolve::yaml_int(&text) {
                    Some(i) => atom(Key::Num(Num::Int(i))),
                    None => Err(format!("invalid literal for int(): {text:?}")),
                }
            }
            "float" => {
                let text = self.scalar(id)?;
                match resolve::yaml_float(&text) {
                    Some(PyFloat::Number(f)) => atom(Key::Num(float_num(f, id))),
                    Some(PyFloat::SharedNan) => atom(Key::Num(Num::Nan(usize::MAX))),
                    None => Err(format!("could not convert string to float: {text:?}")),
                }
            }
            "binary" => {
                let text = self.scalar(id)?;
                resolve::base64(&text)
                    .map(|b| Val::Atom(Key::Bytes(b)))
                    .ok_or_else(|| "failed to decode base64 data".to_string())
            }
            "timestamp" => match &self.nodes[id] {
                Node::Scalar { value, .. } => resolve::timestamp(value)
                    .map(|s| Val::Atom(Key::Stamp(s)))
                    .ok_or_else(|| format!("failed to construct timestamp from {value:?}")),
                _ => Err("failed to construct timestamp from a collection".to_string()),
            },
            "str" => {
                let text = self.scalar(id)?;
                atom(Key::Str(text))
            }
            "seq" => {
                let Node::Seq { items, .. } = &self.nodes[id] else {
                    return Err("expected a sequence node, but found another kind".to_string());
                };
                let items = items.clone();
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.object(item, None)?);
                }
                Ok(Val::List(out))
            }
            "map" | "set" => {
                self.mapping(id)?;
                Ok(Val::Unhashable)
            }
            "omap" | "pairs" => self.pairs(id, kind == "omap"),
            _ => Err(format!(
                "could not determine a constructor for the tag {tag:?}"
            )),
        }
    }

    /// `construct_scalar`: a scalar's text, or the `=` entry of a mapping.
    fn scalar(&mut self, id: NodeId) -> Result<String, String> {
        match &self.nodes[id] {
            Node::Scalar { value, .. } => Ok(value.clone()),
            Node::Map { pairs, .. } => {
                let found = pairs
                    .iter()
                    .find(|(k, _)| self.tag(*k) == VALUE)
                    .map(|(_, v)| *v);
                match found {
                    Some(v) => self.scalar(v),
                    None => Err("expected a scalar node, but found mapping".to_string()),
                }
            }
            Node::Seq { .. } => Err("expected a scalar node, but found sequence".to_string()),
        }
    }

    /// `flatten_mapping`: the pairs merged in through `<<` (in the order
    /// ruamel puts them) and the node's own pairs.
    fn flatten(&self, id: NodeId, depth: usize) -> Result<(Pairs, Pairs), String> {
        if depth > super::MAX_DEPTH {
            return Err("merge keys nested too deeply".to_string());
        }
        let Node::Map { pairs, .. } = &self.nodes[id] else {
            return Err("expected a mapping node".to_string());
        };
        let mut merged: Vec<(NodeId, NodeId)> = Vec::new();
        let mut own = Vec::new();
        let mut seen_merge = false;
        for &(k, v) in pairs {
            if self.tag(k) != MERGE {
                own.push((k, v));
                continue;
            }
            if seen_merge {
                return Err("found duplicate merge key \"<<\"".to_string());
            }
            seen_merge = true;
            match &self.nodes[v] {
                Node::Map { .. } => {
                    let (m, o) = self.flatten(v, depth + 1)?;
                    merged.extend(m);
                    merged.extend(o);
                }
                Node::Seq { items, .. } => {
                    let mut subs = Vec::new();
                    for &item in items {
                        if !matches!(self.nodes[item], Node::Map { .. }) {
                            return Err("expected a mapping for merging, but found another kind"
                                .to_string());
                        }
                        let (m, o) = self.flatten(item, depth + 1)?;
                        subs.push(m.into_iter().chain(o).collect::<Vec<_>>());
                    }
                    for sub in subs.into_iter().rev() {
                        merged.extend(sub);
                    }
                }
                Node::Scalar { .. } => {
                    return Err(
                        "expected a mapping or list of mappings for merging, but found scalar"
                            .to_string(),
                    );
                }
            }
        }
        Ok((merged, own))
    }

    /// `construct_mapping`: keys hashable; unique unless merge keys were
    /// involved (ruamel skips the check then).
    fn mapping(&mut self, id: NodeId) -> Result<(), String> {
        if !matches!(self.nodes[id], Node::Map { .. }) {
            return Err("expected a mapping node, but found another kind".to_string());
        }
        let (merged, own) = self.flatten(id, 0)?;
        let check = merged.is_empty();
        let mut keys: HashSet<Key> = HashSet::new();
        for (k, v) in merged.into_iter().chain(own) {
            let key_tag = (self.tag(k) == VALUE).then_some(STR);
            let key = self.object(k, key_tag)?;
            let Some(key) = hashable(&key, true) else {
                return Err("while constructing a mapping found unhashable key".to_string());
            };
            self.object(v, None)?;
            if check && !keys.insert(key.clone()) {
                return Err(format!(
                    "while constructing a mapping found duplicate key {key:?}"
                ));
            }
        }
        Ok(())
    }

    /// `!!omap` and `!!pairs`: a sequence of one-entry mappings.
    fn pairs(&mut self, id: NodeId, omap: bool) -> Result<Val, String> {
        let Node::Seq { items, .. } = &self.nodes[id] else {
            return Err("while constructing an ordered map expected a sequence".to_string());
        };
        let items = items.clone();
        let mut seen: HashSet<Key> = HashSet::new();
        let mut out = Vec::new();
        for item in items {
            let Node::Map { pairs, .. } = &self.nodes[item] else {
                return Err("expected a mapping of length 1".to_string());
            };
            let [(k, v)] = pairs.as_slice() else {
                return Err(format!(
                    "expected a single mapping item, but found {} items",
                    pairs.len()
                ));
            };
            let (k, v) = (*k, *v);
            let key = self.object(k, None)?;
            if omap {
                let Some(hk) = hashable(&key, false) else {
                    return Err("unhashable key in an ordered map".to_string());
                };
                if !seen.insert(hk) {
                    return Err("duplicate key in an ordered map".to_string());
                }
            }
            let value = self.object(v, None)?;
            out.push(Rc::new(Val::Tuple(vec![key, value])));
        }
        Ok(if omap {
            Val::Unhashable
        } else {
            Val::List(out)
        })
    }
}
