//! [`Tags`], a set of file type tags as bits: one bit per tag identify
//! knows (the tables' tags and the structural ones), numbered in name
//! order. Tagging every file of a large tree and matching each against a
//! step's `types` is then copying and testing a few words, with no
//! allocation per file; each table entry's tags are turned into bits once.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::OnceLock;

use super::tables;

/// Words of bits: room for every known tag (a unit test checks).
const WORDS: usize = 6;

/// A set of tags; every tag is a `'static` string from the tables.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Tags {
    bits: [u64; WORDS],
}

/// Every known tag, sorted and each once (a tag's bit is its index), and
/// the bit of each.
struct Universe {
    names: Vec<&'static str>,
    bits: HashMap<&'static str, usize, BuildHasherDefault<ShortKeyHasher>>,
}

fn universe() -> &'static Universe {
    static ALL: OnceLock<Universe> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut names: Vec<&'static str> = super::all_tags().collect();
        names.sort_unstable();
        names.dedup();
        let bits = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        Universe { names, bits }
    })
}

fn bit_of(tag: &str) -> Option<usize> {
    universe().bits.get(tag).copied()
}

/// Whether `tag` is one identify knows.
pub(super) fn is_known(tag: &str) -> bool {
    bit_of(tag).is_some()
}

impl Tags {
    pub fn new() -> Tags {
        Tags::default()
    }

    /// Add a known tag (every tag of the tables is one); `false` when it
    /// was already there.
    pub fn insert(&mut self, tag: &'static str) -> bool {
        let Some(bit) = bit_of(tag) else {
            debug_assert!(false, "not a known tag: {tag}");
            return false;
        };
        let had = self.has(bit);
        self.set(bit);
        !had
    }

    pub fn contains(&self, tag: &str) -> bool {
        bit_of(tag).is_some_and(|bit| self.has(bit))
    }

    fn has(&self, bit: usize) -> bool {
        self.bits[bit / 64] & (1 << (bit % 64)) != 0
    }

    fn set(&mut self, bit: usize) {
        self.bits[bit / 64] |= 1 << (bit % 64);
    }

    pub fn is_empty(&self) -> bool {
        self.bits.iter().all(|w| *w == 0)
    }

    pub fn len(&self) -> usize {
        self.bits.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The tags, in name order.
    pub fn iter(&self) -> impl Iterator<Item = &'static str> + '_ {
        let all = &universe().names;
        (0..all.len()).filter(|&b| self.has(b)).map(|b| all[b])
    }

    /// Add every tag of `other`.
    pub fn union_with(&mut self, other: &Tags) {
        for (mine, theirs) in self.bits.iter_mut().zip(other.bits) {
            *mine |= theirs;
        }
    }

    /// The set of `names`; `None` if one is not a known tag.
    pub fn of_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<Tags> {
        let mut set = Tags::new();
        for name in names {
            set.set(bit_of(name)?);
        }
        Some(set)
    }

    /// The set of the known tags among `names` (the others left out).
    fn of_known<'a>(names: impl IntoIterator<Item = &'a str>) -> Tags {
        let mut set = Tags::new();
        for bit in names.into_iter().filter_map(bit_of) {
            set.set(bit);
        }
        set
    }

    fn includes(&self, other: &Tags) -> bool {
        self.bits.iter().zip(other.bits).all(|(m, o)| m & o == o)
    }

    fn meets(&self, other: &Tags) -> bool {
        self.bits.iter().zip(other.bits).any(|(m, o)| m & o != 0)
    }
}

/// `types`, `types_or` and `exclude_types` as sets, to test many files'
/// tags against.
#[derive(Debug, Clone, Copy)]
pub struct TagQuery {
    /// Every one of these (`types`); `None` when one is not a known tag,
    /// which no file has.
    all: Option<Tags>,
    /// At least one of these (`types_or`), unless empty.
    any: Tags,
    /// None of these (`exclude_types`; an unknown tag excludes nothing).
    none: Tags,
}

impl TagQuery {
    pub fn new<'a>(
        all: impl IntoIterator<Item = &'a str>,
        any: impl IntoIterator<Item = &'a str>,
        none: impl IntoIterator<Item = &'a str>,
    ) -> TagQuery {
        let mut any = any.into_iter().peekable();
        let any_given = any.peek().is_some();
        let any = Tags::of_known(any);
        // A `types_or` of unknown tags only is one no file meets: as an
        // unknown tag in `types`, the query matches nothing.
        let all = Tags::of_names(all).filter(|_| !any_given || !any.is_empty());
        TagQuery {
            all,
            any,
            none: Tags::of_known(none),
        }
    }

    pub fn matches(&self, tags: &Tags) -> bool {
        self.all.is_some_and(|all| tags.includes(&all))
            && (self.any.is_empty() || tags.meets(&self.any))
            && !tags.meets(&self.none)
    }
}

impl std::fmt::Debug for Tags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl IntoIterator for Tags {
    type Item = &'static str;
    type IntoIter = std::vec::IntoIter<&'static str>;

    /// The tags, in name order.
    fn into_iter(self) -> Self::IntoIter {
        self.iter().collect::<Vec<_>>().into_iter()
    }
}

impl Extend<&'static str> for Tags {
    fn extend<I: IntoIterator<Item = &'static str>>(&mut self, tags: I) {
        for tag in tags {
            self.insert(tag);
        }
    }
}

impl FromIterator<&'static str> for Tags {
    fn from_iter<I: IntoIterator<Item = &'static str>>(tags: I) -> Tags {
        let mut set = Tags::new();
        set.extend(tags);
        set
    }
}

impl<const N: usize> From<[&'static str; N]> for Tags {
    fn from(tags: [&'static str; N]) -> Tags {
        tags.into_iter().collect()
    }
}

/// A tag table with each entry's tags as bits, by key, made on first use.
pub(super) struct Table {
    entries: &'static [(&'static str, &'static [&'static str])],
    bits: OnceLock<HashMap<&'static str, Tags, BuildHasherDefault<ShortKeyHasher>>>,
}

pub(super) static EXTENSIONS: Table = Table::new(tables::EXTENSIONS);
pub(super) static EXTENSIONS_NEED_BINARY_CHECK: Table =
    Table::new(tables::EXTENSIONS_NEED_BINARY_CHECK);
pub(super) static NAMES: Table = Table::new(tables::NAMES);
pub(super) static INTERPRETERS: Table = Table::new(tables::INTERPRETERS);

impl Table {
    const fn new(entries: &'static [(&'static str, &'static [&'static str])]) -> Table {
        Table {
            entries,
            bits: OnceLock::new(),
        }
    }

    /// The tags of `key`.
    pub(super) fn get(&self, key: &str) -> Option<Tags> {
        let bits = self.bits.get_or_init(|| {
            self.entries
                .iter()
                .map(|(key, tags)| (*key, tags.iter().copied().collect()))
                .collect()
        });
        bits.get(key).copied()
    }
}

/// A quick hash for the tables' short keys (file names, extensions), which
/// are fixed and not chosen by an attacker: a multiply and rotate per 8
/// bytes (the scheme of rustc's FxHasher).
#[derive(Default)]
pub(super) struct ShortKeyHasher(u64);

impl std::hash::Hasher for ShortKeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_tag_has_a_bit() {
        let count = universe().names.len();
        assert!(count <= WORDS * 64, "{count} tags");
        for tag in super::super::all_tags() {
            let set = Tags::from([tag]);
            assert!(set.contains(tag), "{tag}");
            assert_eq!(set.len(), 1);
            assert_eq!(set.iter().collect::<Vec<_>>(), [tag]);
        }
    }

    #[test]
    fn set_operations() {
        let mut set = Tags::from(["yaml", "text"]);
        assert!(!set.insert("text"));
        assert!(set.insert("file"));
        assert_eq!(set.iter().collect::<Vec<_>>(), ["file", "text", "yaml"]);
        assert!(!set.contains("binary"));
        assert!(!set.contains("no such tag"));
        let mut other = Tags::from(["binary"]);
        other.union_with(&set);
        assert_eq!(other.len(), 4);
        assert!(Tags::new().is_empty());
        assert_eq!(format!("{:?}", Tags::from(["text"])), r#"{"text"}"#);
    }

    #[test]
    fn queries() {
        let py = Tags::from(["file", "text", "python"]);
        let q = |all: &[&str], any: &[&str], none: &[&str]| {
            TagQuery::new(
                all.iter().copied(),
                any.iter().copied(),
                none.iter().copied(),
            )
            .matches(&py)
        };
        assert!(q(&[], &[], &[]));
        assert!(q(&["text", "python"], &[], &[]));
        assert!(!q(&["text", "yaml"], &[], &[]));
        assert!(q(&[], &["yaml", "python"], &[]));
        assert!(!q(&[], &["yaml", "toml"], &[]));
        assert!(!q(&["text"], &[], &["python"]));
        assert!(q(&["text"], &[], &["binary", "no such tag"]));
        assert!(!q(&["no such tag"], &[], &[]));
        assert!(!q(&[], &["no such tag"], &[]));
    }

    #[test]
    fn table_entries_as_bits() {
        assert_eq!(
            NAMES.get("Makefile").map(|t| t.contains("makefile")),
            Some(true)
        );
        assert_eq!(EXTENSIONS.get("py"), Some(Tags::from(["python", "text"])));
        assert_eq!(EXTENSIONS.get("no-such-extension"), None);
    }
}
