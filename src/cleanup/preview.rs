//! Rendering a plan for people: the preview table (action, path, kind,
//! size) with a total, sizes in binary units, and paths escaped so a
//! newline, a control character or a non-UTF-8 byte in a name can neither
//! break the table nor hide what will be deleted.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use comfy_table::{Cell, CellAlignment, Table, presets};

use crate::cleanup::plan::Plan;

/// `1.5 KiB`, `12 B`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// Escape a path's bytes for display: control characters as `\n`, `\r`,
/// `\t` or `\u{..}`, invalid UTF-8 as `\xNN`, and `\` as `\\`.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for ch in chunk.valid().chars() {
            match ch {
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => out.extend(c.escape_default()),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

pub fn escape_path(path: &Path) -> String {
    escape_bytes(path.as_os_str().as_bytes())
}

/// The path as shown: relative to the root when inside it, else absolute.
pub fn shown_path(plan: &Plan, path: &Path) -> String {
    match path.strip_prefix(&plan.root) {
        Ok(rel) if !rel.as_os_str().is_empty() => escape_path(rel),
        _ => escape_path(path),
    }
}

/// The preview table. `action` is what will happen to each path.
pub fn table(plan: &Plan, action: &str, utf8: bool) -> String {
    let mut t = Table::new();
    t.load_style(if utf8 {
        presets::UTF8_FULL_CONDENSED
    } else {
        presets::ASCII_FULL_CONDENSED
    });
    t.set_header(vec!["Action", "Path", "Kind", "Size"]);
    for item in &plan.items {
        let mut path = shown_path(plan, &item.path);
        if item.identity.kind == crate::cleanup::rules::EntryKind::Dir {
            path.push('/');
        }
        let action = if item.outside_root {
            format!("{action} (outside root)")
        } else {
            action.to_string()
        };
        t.add_row(vec![
            Cell::new(action),
            Cell::new(path),
            Cell::new(item.identity.kind.as_str()),
            Cell::new(human_size(item.size)).set_alignment(CellAlignment::Right),
        ]);
    }
    t.add_row(vec![
        Cell::new("total"),
        Cell::new(format!("{} paths", plan.items.len())),
        Cell::new(""),
        Cell::new(human_size(plan.total_size())).set_alignment(CellAlignment::Right),
    ]);
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_sizes() {
        assert_eq!(escape_bytes(b"a\nb\xffc\\"), "a\\nb\\xffc\\\\");
        assert_eq!(escape_bytes(b"Icon\r"), "Icon\\r");
        assert_eq!(human_size(10), "10 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(3 * 1024 * 1024), "3.0 MiB");
    }
}
