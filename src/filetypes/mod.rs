//! File type tags, as the `identify` package computes them for pre-commit's
//! `types`, `types_or` and `exclude_types`: what the path is (`file`,
//! `symlink`, `directory`, `socket`), whether it is `executable` or
//! `non-executable`, whether its content is `text` or `binary`, and what
//! language or format it is (`python`, `yaml`, `shell`, `dockerfile`, …) by
//! its extension, its name, or for an executable without either, its
//! shebang.
//!
//! The rules follow identify's documented behaviour step by step, so that a
//! migrated `types = ["python"]` selects the same files as before: a
//! directory, symlink or socket gets only that one tag (a symlink is never
//! followed); a file gets `file`, its mode tag, the tags of its name, and
//! when the name says nothing and the file is executable, the tags of its
//! interpreter; then, unless a tag already fixed the encoding, `text` or
//! `binary` from its first 1024 bytes. The tables of facts are in
//! [`tables`] (transcribed from identify, see NOTICE);
//! tests/it/filetypes_diff.rs runs identify itself on awkward files and
//! compares.

mod tables;
mod tagset;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

pub use tagset::{TagQuery, Tags};

pub const DIRECTORY: &str = "directory";
pub const SYMLINK: &str = "symlink";
pub const SOCKET: &str = "socket";
pub const FILE: &str = "file";
pub const EXECUTABLE: &str = "executable";
pub const NON_EXECUTABLE: &str = "non-executable";
pub const TEXT: &str = "text";
pub const BINARY: &str = "binary";

const STRUCTURAL: &[&str] = &[
    DIRECTORY,
    SYMLINK,
    SOCKET,
    FILE,
    EXECUTABLE,
    NON_EXECUTABLE,
    TEXT,
    BINARY,
];

/// The tags of the file at `path` (not followed if it is a symlink).
/// Errors when it does not exist or cannot be read.
pub fn tags_from_path(path: &Path) -> std::io::Result<Tags> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(path)?;
    tags_of(
        path,
        Kind::of(meta.file_type()),
        Some(meta.permissions().mode()),
        true,
    )
}

/// What a directory entry is, as `lstat` (or the directory listing) says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Directory,
    Symlink,
    Socket,
    /// A regular file.
    File,
    /// A FIFO or a device: tagged `file`, never read.
    Special,
}

impl Kind {
    fn of(kind: std::fs::FileType) -> Kind {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_dir() {
            Kind::Directory
        } else if kind.is_symlink() {
            Kind::Symlink
        } else if kind.is_socket() {
            Kind::Socket
        } else if kind.is_file() {
            Kind::File
        } else {
            Kind::Special
        }
    }
}

/// The tags of `path`, of `kind`, whose mode is known or is looked up
/// when needed: for the mode tags (`mode_tags`) and, for a file whose name
/// says nothing, to know whether its shebang counts. Without `mode_tags`
/// the `executable`/`non-executable` tag is left out (for callers that
/// never ask for it).
fn tags_of(path: &Path, kind: Kind, mode: Option<u32>, mode_tags: bool) -> std::io::Result<Tags> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    tags_named(&name, || path.to_path_buf(), kind, mode, mode_tags)
}

/// [`tags_of`] for the file called `name`, whose path `make_path` makes
/// only when the file itself must be looked at.
fn tags_named(
    name: &str,
    make_path: impl Fn() -> std::path::PathBuf,
    kind: Kind,
    mode: Option<u32>,
    mode_tags: bool,
) -> std::io::Result<Tags> {
    match kind {
        Kind::Directory => return Ok(Tags::from([DIRECTORY])),
        Kind::Symlink => return Ok(Tags::from([SYMLINK])),
        Kind::Socket => return Ok(Tags::from([SOCKET])),
        Kind::File | Kind::Special => {}
    }
    let from_name = tags_from_filename(name);
    let name_says_nothing = from_name.is_empty();
    let path = (mode_tags || name_says_nothing).then(&make_path);
    let executable = if let Some(path) = &path {
        let mode = match mode {
            Some(m) => m,
            None => {
                use std::os::unix::fs::PermissionsExt;
                let meta = std::fs::symlink_metadata(path)?;
                if Kind::of(meta.file_type()) != kind {
                    // Changed since it was listed: start again.
                    return tags_from_path(path);
                }
                meta.permissions().mode()
            }
        };
        // No execute bit at all: not executable for anyone, root
        // included, without asking access(2).
        Some(mode & 0o111 != 0 && is_executable(path))
    } else {
        None
    };
    let mut tags = from_name;
    tags.insert(FILE);
    if mode_tags {
        tags.insert(if executable == Some(true) {
            EXECUTABLE
        } else {
            NON_EXECUTABLE
        });
    }
    if name_says_nothing
        && executable == Some(true)
        && kind == Kind::File
        && let Some(path) = &path
        && let Some(interpreter) = parse_shebang_from_file(path)?.first()
    {
        tags.union_with(&tags_from_interpreter(interpreter));
    }
    if !tags.contains(TEXT) && !tags.contains(BINARY) {
        // A FIFO or device is never read: it could block forever.
        let text = kind != Kind::File || file_is_text(&path.unwrap_or_else(make_path))?;
        tags.insert(if text { TEXT } else { BINARY });
    }
    Ok(tags)
}

/// Below this many paths in one directory, each is looked up alone
/// (`lstat`); from it on, the directory is listed once and the listing's
/// entry types stand in for the `lstat`s.
const LIST_FROM: usize = 16;

/// The tags of many paths (relative to `root`, `/`-separated, as git
/// lists them), in order; `None` for a path that does not exist or cannot
/// be read. The same tags as [`tags_from_path`] gives each (less the mode
/// tags unless `mode_tags`), found with far fewer system calls: paths are
/// grouped by directory and a directory holding many of them is listed
/// once (the entry types of a listing are what `lstat` would say), so a
/// file whose name fixes its tags (`a.py`: `text`, `python`) costs no
/// system call of its own. Directories are shared among the cores.
pub fn tags_of_paths(
    root: &Path,
    files: &[impl AsRef<[u8]> + Sync],
    mode_tags: bool,
) -> Vec<Option<Tags>> {
    // Group the paths by parent directory (paths that are not plain
    // relative paths are looked up alone).
    let mut grouped: Vec<(&[u8], usize)> = Vec::with_capacity(files.len());
    let mut alone: Vec<usize> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let f = f.as_ref();
        let plain = !f.is_empty()
            && !f.starts_with(b"/")
            && f.split(|&b| b == b'/')
                .all(|c| !c.is_empty() && c != b"." && c != b"..");
        if plain {
            let parent = f
                .iter()
                .rposition(|&b| b == b'/')
                .map_or(&f[..0], |p| &f[..p]);
            grouped.push((parent, i));
        } else {
            alone.push(i);
        }
    }
    grouped.sort_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(&b.1)));
    let mut units: Vec<Unit<'_>> = Vec::new();
    for chunk in grouped.chunk_by(|a, b| a.0 == b.0) {
        let indexes: Vec<usize> = chunk.iter().map(|(_, i)| *i).collect();
        if indexes.len() >= LIST_FROM {
            units.push(Unit::Listed(chunk[0].0, indexes));
        } else {
            alone.extend(indexes);
        }
    }
    alone.sort_unstable();
    for part in alone.chunks(256) {
        units.push(Unit::Alone(part.to_vec()));
    }
    let path_of = |i: usize| root.join(os_path(files[i].as_ref()));
    let done: Vec<Vec<(usize, Option<Tags>)>> = on_cores(&units, |unit| match unit {
        Unit::Alone(indexes) => indexes
            .iter()
            .map(|&i| (i, tags_from_path(&path_of(i)).ok()))
            .collect(),
        Unit::Listed(dir, indexes) => {
            let kinds = list(&root.join(os_path(dir)), files, indexes);
            indexes
                .iter()
                .zip(kinds)
                .map(|(&i, kind)| {
                    let name = base_name(files[i].as_ref());
                    let tags = match kind {
                        Some(kind) => tags_named(
                            &String::from_utf8_lossy(name),
                            || path_of(i),
                            kind,
                            None,
                            mode_tags,
                        ),
                        None => tags_from_path(&path_of(i)),
                    };
                    (i, tags.ok())
                })
                .collect()
        }
    });
    let mut out: Vec<Option<Tags>> = vec![None; files.len()];
    for (i, tags) in done.into_iter().flatten() {
        out[i] = tags;
    }
    out
}

/// A share of [`tags_of_paths`]'s work.
enum Unit<'a> {
    /// Paths looked up one by one.
    Alone(Vec<usize>),
    /// Paths of one directory (its path, relative to the root), listed.
    Listed(&'a [u8], Vec<usize>),
}

/// The kind of each of `indexes` (paths in `dir`) from one listing of
/// `dir`; `None` where the listing does not say (not listed, unknown entry
/// type, or the directory cannot be listed): the caller asks `lstat`.
fn list(dir: &Path, files: &[impl AsRef<[u8]>], indexes: &[usize]) -> Vec<Option<Kind>> {
    use rustix::fs::{FileType, Mode, OFlags};
    // The names with their positions in `indexes`, by name, for lookups
    // while listing.
    let mut by_name: Vec<(&[u8], usize)> = indexes
        .iter()
        .enumerate()
        .map(|(at, &i)| (base_name(files[i].as_ref()), at))
        .collect();
    by_name.sort_unstable();
    let mut kinds = vec![None; indexes.len()];
    let listing = rustix::fs::open(
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::empty(),
    )
    .and_then(rustix::fs::Dir::new);
    let Ok(mut listing) = listing else {
        return kinds;
    };
    while let Some(Ok(entry)) = listing.read() {
        let wanted = entry.file_name().to_bytes();
        let Ok(at) = by_name.binary_search_by(|(name, _)| (*name).cmp(wanted)) else {
            continue;
        };
        // The listing's entry type (no `lstat`) where the file system
        // records it.
        kinds[by_name[at].1] = match entry.file_type() {
            FileType::Unknown => None,
            FileType::Directory => Some(Kind::Directory),
            FileType::Symlink => Some(Kind::Symlink),
            FileType::Socket => Some(Kind::Socket),
            FileType::RegularFile => Some(Kind::File),
            _ => Some(Kind::Special),
        };
    }
    kinds
}

/// The last component of a `/`-separated path.
fn base_name(path: &[u8]) -> &[u8] {
    path.iter()
        .rposition(|&b| b == b'/')
        .map_or(path, |p| &path[p + 1..])
}

/// `f` over every unit, on every core, in no particular order.
fn on_cores<T: Sync, R: Send>(units: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let workers = crate::process::workers(units.len());
    if workers <= 1 {
        return units.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        while let Some(unit) = units.get(next.fetch_add(1, Ordering::Relaxed)) {
            done.push(f(unit));
        }
        done
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = (1..workers).map(|_| scope.spawn(work)).collect();
        let mut all = work();
        for h in handles {
            all.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        all
    })
}

/// Executable for this process, as `access(2)` with `X_OK` says (for root:
/// any execute bit).
fn is_executable(path: &Path) -> bool {
    rustix::fs::access(path, rustix::fs::Access::EXEC_OK).is_ok()
}

/// The tags a file name gives: a whole-name entry (`Dockerfile`,
/// `.bashrc`), or else the first dot-separated part that is one
/// (`Dockerfile.xenial`), plus the tags of its extension (case-insensitive).
pub fn tags_from_filename(name: &str) -> Tags {
    let name = name.rsplit('/').next().unwrap_or(name);
    let mut tags = std::iter::once(name)
        .chain(name.split('.'))
        .find_map(|part| tagset::NAMES.get(part))
        .unwrap_or_default();
    if let Some(ext) = extension(name) {
        let lower;
        let ext = if ext.bytes().any(|b| b.is_ascii_uppercase()) || !ext.is_ascii() {
            lower = ext.to_lowercase();
            &lower
        } else {
            ext
        };
        if let Some(found) = tagset::EXTENSIONS
            .get(ext)
            .or_else(|| tagset::EXTENSIONS_NEED_BINARY_CHECK.get(ext))
        {
            tags.union_with(&found);
        }
    }
    tags
}

/// The extension as Python's `os.path.splitext` finds it, without the dot:
/// after the last dot, provided something other than dots comes before that
/// dot (`.bashrc` has none, `a.` has an empty one).
fn extension(name: &str) -> Option<&str> {
    let dot = name.rfind('.')?;
    name[..dot]
        .bytes()
        .any(|b| b != b'.')
        .then(|| &name[dot + 1..])
}

/// The tags of an interpreter (`/usr/bin/python3.12` → `python3`'s tags,
/// trying `python3.12`, then `python3`).
pub fn tags_from_interpreter(interpreter: &str) -> Tags {
    let mut name = interpreter.rsplit('/').next().unwrap_or(interpreter);
    while !name.is_empty() {
        if let Some(found) = tagset::INTERPRETERS.get(name) {
            return found;
        }
        name = name.rfind('.').map_or("", |dot| &name[..dot]);
    }
    Tags::new()
}

/// Every tag there is (with repeats).
pub fn all_tags() -> impl Iterator<Item = &'static str> {
    let tables: [&'static [(&'static str, &'static [&'static str])]; 4] = [
        tables::EXTENSIONS,
        tables::EXTENSIONS_NEED_BINARY_CHECK,
        tables::NAMES,
        tables::INTERPRETERS,
    ];
    STRUCTURAL.iter().copied().chain(
        tables
            .into_iter()
            .flat_map(|table| table.iter().flat_map(|(_, tags)| tags.iter().copied())),
    )
}

/// Whether `tag` is one identify knows (what `types` may name).
pub fn is_known_tag(tag: &str) -> bool {
    tagset::is_known(tag)
}

/// Whether content looks like text: no byte of its first 1024 outside
/// BEL..CR, ESC, and printable or high bytes (libmagic's rule, as identify
/// has it; empty is text).
pub fn is_text(head: &[u8]) -> bool {
    head.iter()
        .take(1024)
        .all(|&b| matches!(b, 7..=13 | 27) || b >= 0x20 && b != 0x7f)
}

fn file_is_text(path: &Path) -> std::io::Result<bool> {
    let mut head = Vec::with_capacity(1024);
    std::fs::File::open(path)?
        .take(1024)
        .read_to_end(&mut head)?;
    Ok(is_text(&head))
}

/// The shebang of an executable file: its command split into words, `/usr/bin/env`
/// (and `env -S`) dropped; empty when the file is not executable or has none.
pub fn parse_shebang_from_file(path: &Path) -> std::io::Result<Vec<String>> {
    if !is_executable(path) {
        return Ok(Vec::new());
    }
    let file = std::fs::File::open(path)?;
    parse_shebang(&mut BufReader::new(file))
}

/// The shebang of content: `#!` then one line of printable ASCII, split
/// shell-style (or on blanks when the quotes do not balance). A `nix-shell`
/// shebang takes its interpreter from the `-i` of the `#!` lines after it.
pub fn parse_shebang(reader: &mut impl BufRead) -> std::io::Result<Vec<String>> {
    let Some(line) = shebang_line(reader)? else {
        return Ok(Vec::new());
    };
    let mut cmd = split_shebang(line.trim());
    if cmd.len() >= 2 && cmd[0] == "/usr/bin/env" && cmd[1] == "-S" {
        cmd.drain(..2);
    } else if cmd.first().is_some_and(|c| c == "/usr/bin/env") {
        cmd.remove(0);
    }
    if cmd == ["nix-shell"] {
        while let Some(line) = shebang_line(reader)? {
            let words = split_shebang(line.trim());
            for (i, word) in words.iter().enumerate().take(words.len().saturating_sub(1)) {
                if word == "-i" {
                    cmd = vec![words[i + 1].clone()];
                }
            }
        }
    }
    Ok(cmd)
}

/// The rest of a line that starts with `#!`, if it does and is printable
/// ASCII throughout.
fn shebang_line(reader: &mut impl BufRead) -> std::io::Result<Option<String>> {
    let mut magic = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        match reader.read(&mut magic[got..])? {
            0 => return Ok(None),
            n => got += n,
        }
    }
    if &magic != b"#!" {
        return Ok(None);
    }
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line)?;
    let printable = line
        .iter()
        .all(|&b| (0x20..0x7f).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r' | 0x0b | 0x0c));
    if !printable {
        return Ok(None);
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

fn split_shebang(line: &str) -> Vec<String> {
    shlex::split(line).unwrap_or_else(|| line.split_whitespace().map(String::from).collect())
}

/// A path from the bytes git lists (exact on Unix; this module sits below
/// `git` in the layers, so it does not borrow git's helper).
#[cfg(unix)]
fn os_path(bytes: &[u8]) -> &std::ffi::OsStr {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(bytes)
}

#[cfg(not(unix))]
fn os_path(bytes: &[u8]) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(std::str::from_utf8(bytes).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(tags: &[&'static str]) -> Tags {
        tags.iter().copied().collect()
    }

    #[test]
    fn table_keys_are_sorted_and_unique() {
        for table in [
            tables::EXTENSIONS,
            tables::EXTENSIONS_NEED_BINARY_CHECK,
            tables::NAMES,
            tables::INTERPRETERS,
        ] {
            assert!(table.windows(2).all(|w| w[0].0 < w[1].0));
        }
    }

    #[test]
    fn names_and_extensions() {
        assert_eq!(tags_from_filename("a.py"), set(&["text", "python"]));
        assert_eq!(tags_from_filename("A.PY"), set(&["text", "python"]));
        assert!(tags_from_filename("Dockerfile").contains("dockerfile"));
        assert!(tags_from_filename("Dockerfile.xenial").contains("dockerfile"));
        assert!(tags_from_filename(".bashrc").contains("shell"));
        assert!(tags_from_filename("Makefile").contains("makefile"));
        assert!(tags_from_filename("noext").is_empty());
        assert!(tags_from_filename("trailing.").is_empty());
        assert_eq!(extension(".bashrc"), None);
        assert_eq!(extension("..a"), None);
        assert_eq!(extension("a.tar.gz"), Some("gz"));
        assert_eq!(extension("a."), Some(""));
    }

    #[test]
    fn interpreters_are_tried_from_the_longest_name() {
        assert_eq!(
            tags_from_interpreter("/usr/bin/python3.12"),
            set(&["python", "python3"])
        );
        assert_eq!(tags_from_interpreter("bash"), set(&["shell", "bash"]));
        assert!(tags_from_interpreter("/opt/unknown").is_empty());
        assert!(tags_from_interpreter("").is_empty());
    }

    #[test]
    fn shebangs() {
        let parse = |s: &[u8]| parse_shebang(&mut &s[..]).unwrap();
        assert_eq!(parse(b"#!/usr/bin/env python3\nx"), ["python3"]);
        assert_eq!(parse(b"#!/usr/bin/env -S python3 -u\n"), ["python3", "-u"]);
        assert_eq!(parse(b"#! /bin/sh -e"), ["/bin/sh", "-e"]);
        assert_eq!(parse(b"#!\"/a b/python\"\n"), ["/a b/python"]);
        assert_eq!(parse(b"#!/bin/'sh\n"), ["/bin/'sh"]);
        assert!(parse(b"#!/usr/bin/caf\xc3\xa9\n").is_empty());
        assert!(parse(b"# not\n").is_empty());
        assert!(parse(b"#").is_empty());
        assert_eq!(
            parse(b"#!/usr/bin/env nix-shell\n#! nix-shell -i python3 -p x\n#!nope\nbody"),
            ["python3"]
        );
    }

    #[test]
    fn text_and_binary() {
        assert!(is_text(b""));
        assert!(is_text(b"plain\r\n\x1b[0m\xc3\xa9"));
        assert!(!is_text(b"a\0b"));
        assert!(!is_text(b"\x7f"));
        let mut late = vec![b'a'; 1024];
        late.push(0);
        assert!(is_text(&late));
    }

    #[test]
    fn known_tags() {
        for tag in [
            "python",
            "text",
            "file",
            "yaml",
            "shell",
            "symlink",
            "executable",
        ] {
            assert!(is_known_tag(tag), "{tag}");
        }
        assert!(!is_known_tag("pyhton"));
    }
}
