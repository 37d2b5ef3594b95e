//! Where ruamel.yaml's scanner refuses what saphyr accepts (found by
//! running both over the yaml-test-suite and real files):
//!
//! * Tabs. Outside flow collections it
//!   skips only spaces between tokens, so a tab there (after a value, before
//!   a comment, after `key:`, on an otherwise blank line, in indentation) is
//!   "a character that cannot start any token"; a plain scalar also ends at
//!   a tab, so `a: b<TAB>c` fails too. Tabs are fine inside quoted and block
//!   scalars and comments, and between tokens of a flow collection (but not
//!   inside its plain scalars). saphyr accepts most of these, so files with
//!   tabs get this extra pass, driven by saphyr's event spans.
//! * A block scalar whose first leading blank line has some spaces and a
//!   later one (or the first content line) more: "more indented follow up
//!   line than first in a block scalar".

use saphyr_parser::ScalarStyle;

use super::{Mark, MarkKind};

/// The first tab ruamel would refuse, as (line, column), if any.
pub(super) fn refused_tab(text: &str, marks: &[Mark]) -> Option<(usize, usize)> {
    if !text.contains('\t') {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    // Per char: 0 = between tokens in block context, 1 = protected (quoted
    // or block scalar), 2 = plain scalar, 3 = flow context between tokens.
    let mut zone = vec![0u8; chars.len() + 1];
    let mut flow_starts: Vec<usize> = Vec::new();
    for mark in marks {
        let (start, end) = (mark.start.min(chars.len()), mark.end.min(chars.len()));
        match mark.kind {
            MarkKind::Scalar(style) => {
                let (kind, end) = match style {
                    ScalarStyle::Plain => (2, end),
                    // The span may run past the closing quote.
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                        let quote = if style == ScalarStyle::SingleQuoted {
                            '\''
                        } else {
                            '"'
                        };
                        let close = chars[start..end]
                            .iter()
                            .rposition(|c| *c == quote)
                            .map_or(end, |i| start + i + 1);
                        (1, close)
                    }
                    _ => (1, end),
                };
                zone[start..end]
                    .iter_mut()
                    .for_each(|z| *z = (*z).max(kind));
            }
            MarkKind::Open => {
                if matches!(chars.get(start), Some('[' | '{')) {
                    flow_starts.push(start);
                } else {
                    flow_starts.push(usize::MAX);
                }
            }
            MarkKind::Close => {
                if let Some(open) = flow_starts.pop()
                    && open != usize::MAX
                {
                    // The span may run past the closing bracket.
                    let close = chars[start..end]
                        .iter()
                        .position(|c| matches!(c, ']' | '}'))
                        .map_or(end, |i| start + i + 1);
                    zone[open..close]
                        .iter_mut()
                        .filter(|z| **z == 0)
                        .for_each(|z| *z = 3);
                }
            }
        }
    }
    let (mut line, mut col) = (1, 0);
    let mut in_comment = false;
    for (i, c) in chars.iter().enumerate() {
        match c {
            '\n' => {
                in_comment = false;
                line += 1;
                col = 0;
                continue;
            }
            '#' if !in_comment
                && matches!(zone[i], 0 | 3)
                && (i == 0 || matches!(chars[i - 1], ' ' | '\t' | '\n')) =>
            {
                in_comment = true;
            }
            '\t' if !in_comment => {
                let refused = match zone[i] {
                    0 => true,
                    // Inside a plain scalar: ruamel ends the scalar there.
                    2 => true,
                    _ => false,
                };
                if refused {
                    return Some((line, col + 1));
                }
            }
            _ => {}
        }
        col += 1;
    }
    None
}

/// The line of the first block scalar ruamel refuses for its leading
/// blank lines, if any.
pub(super) fn over_indented_block_scalar(text: &str, marks: &[Mark]) -> Option<usize> {
    let blocks = marks.iter().filter(|m| {
        matches!(
            m.kind,
            MarkKind::Scalar(ScalarStyle::Literal | ScalarStyle::Folded)
        )
    });
    blocks.clone().next()?;
    let chars: Vec<char> = text.chars().collect();
    let lines: Vec<&str> = text.split('\n').collect();
    // Char index of each line's start.
    let mut starts = Vec::with_capacity(lines.len());
    let mut at = 0;
    for line in &lines {
        starts.push(at);
        at += line.chars().count() + 1;
    }
    let line_of = |index: usize| starts.partition_point(|s| *s <= index).saturating_sub(1);
    for mark in blocks {
        // saphyr's span starts at the first content line; the header is the
        // first line above it that is not blank.
        let content = line_of(mark.start.min(chars.len()));
        if content == 0 {
            continue;
        }
        let mut header = content - 1;
        while header > 0 && lines[header].trim_matches(' ').is_empty() {
            header -= 1;
        }
        // Only when the indentation is detected (no digit after | or >).
        let head = lines[header];
        let Some(ind) = head.rfind(['|', '>']) else {
            continue;
        };
        if head[ind + 1..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .any(|c| c.is_ascii_digit())
        {
            continue;
        }
        let mut first: Option<usize> = None;
        let mut max = 0;
        for (n, line) in lines.iter().enumerate().skip(header + 1) {
            let spaces = line.len() - line.trim_start_matches(' ').len();
            max = max.max(spaces);
            if spaces < line.len() {
                // The first content line.
                if first.is_some_and(|f| f > 0 && max > f) {
                    return Some(n + 1);
                }
                break;
            }
            first.get_or_insert(spaces);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::{Mark, parse_only};

    fn marks(text: &str) -> Vec<Mark> {
        parse_only(text).unwrap()
    }

    fn refused_tab(text: &str) -> Option<(usize, usize)> {
        super::refused_tab(text, &marks(text))
    }

    fn over_indented_block_scalar(text: &str) -> Option<usize> {
        super::over_indented_block_scalar(text, &marks(text))
    }

    #[test]
    fn block_scalar_leading_blank_lines() {
        assert!(over_indented_block_scalar("a: |\n \n  text\n").is_some());
        assert!(over_indented_block_scalar("a: >-\n \n  text\n").is_some());
        assert_eq!(over_indented_block_scalar("a: |\n\n  \n  text\n"), None);
        assert_eq!(over_indented_block_scalar("a: |\n  \n  text\n"), None);
        assert_eq!(over_indented_block_scalar("a: |2\n \n    text\n"), None);
    }

    #[test]
    fn tabs_as_ruamel_sees_them() {
        for bad in [
            "a: b\t\n",
            "a: b\t# c\n",
            "a: 'b'\t\n",
            "a: b\tc\n",
            "\ta: b\n",
            "a: b\n\t\n",
            "a\t: b\n",
            "a: [b]\t\n",
            "[a\tb]\n",
        ] {
            assert!(refused_tab(bad).is_some(), "{bad:?}");
        }
        for good in [
            "a: [b,\tc]\n",
            "a: |\n  x\ty\n",
            "a: \"x\ty\"\n",
            "# c\t\na: 1\n",
            "a: 1 #\tc\n",
            "[a,\tb]\n",
            "a: b\n",
        ] {
            assert_eq!(refused_tab(good), None, "{good:?}");
        }
    }
}
