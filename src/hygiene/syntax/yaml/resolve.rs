//! ruamel.yaml's YAML 1.2 implicit resolver (which tag a plain scalar
//! gets), and the scalar constructors' parsing rules, which are Python's
//! (`int()`, `float()`, `base64.decodebytes`, `datetime`).

use std::sync::LazyLock;

use regex::Regex;

pub(crate) const STR: &str = "tag:yaml.org,2002:str";
pub(crate) const SEQ: &str = "tag:yaml.org,2002:seq";
pub(crate) const MAP: &str = "tag:yaml.org,2002:map";
pub(crate) const MERGE: &str = "tag:yaml.org,2002:merge";
pub(crate) const VALUE: &str = "tag:yaml.org,2002:value";

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("constant pattern")
}

static BOOL: LazyLock<Regex> = LazyLock::new(|| re(r"\A(?:true|True|TRUE|false|False|FALSE)\z"));
static FLOAT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\A(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\z",
    )
});
static INT: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\A(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)\z")
});
static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\A(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)\z",
    )
});
/// The constructor's own pattern (it also serves `!!timestamp` values).
static TIMESTAMP_PARTS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\A(?P<year>[0-9][0-9][0-9][0-9])-(?P<month>[0-9][0-9]?)-(?P<day>[0-9][0-9]?)(?:(?:[Tt]|[ \t]+)(?P<hour>[0-9][0-9]?):(?P<minute>[0-9][0-9]):(?P<second>[0-9][0-9])(?:\.(?P<fraction>[0-9]*))?(?:[ \t]*(?P<tz>Z|(?P<tz_sign>[-+])(?P<tz_hour>[0-9][0-9]?)(?::(?P<tz_minute>[0-9][0-9]))?))?)?\n?\z",
    )
});

/// The tag ruamel gives a plain scalar: the resolvers registered for its
/// first character, in registration order.
pub(crate) fn implicit(value: &str) -> String {
    let first = value.chars().next();
    let tag = |t: &str| format!("tag:yaml.org,2002:{t}");
    let Some(first) = first else {
        return tag("null");
    };
    if "tTfF".contains(first) && BOOL.is_match(value) {
        return tag("bool");
    }
    if "-+0123456789.".contains(first) && FLOAT.is_match(value) {
        return tag("float");
    }
    if "-+0123456789".contains(first) && INT.is_match(value) {
        return tag("int");
    }
    if first == '<' && value == "<<" {
        return MERGE.to_string();
    }
    if "~nN".contains(first) && matches!(value, "~" | "null" | "Null" | "NULL") {
        return tag("null");
    }
    if first.is_ascii_digit() && TIMESTAMP.is_match(value) {
        return tag("timestamp");
    }
    if first == '=' && value == "=" {
        return VALUE.to_string();
    }
    if "!&*".contains(first) && matches!(value, "!" | "&" | "*") {
        return tag("yaml");
    }
    STR.to_string()
}

/// Python's `int(text, base)`: surrounding whitespace, a sign, an optional
/// base prefix for bases 2/8/16, digits; `None` where Python raises.
pub(crate) fn py_int(text: &str, base: u32) -> Option<PyInt> {
    let t = text.trim();
    let (neg, rest) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = rest.to_ascii_lowercase();
    let digits = match base {
        16 => lower.strip_prefix("0x").unwrap_or(&lower),
        8 => lower.strip_prefix("0o").unwrap_or(&lower),
        2 => lower.strip_prefix("0b").unwrap_or(&lower),
        _ => &lower,
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(base)) {
        return None;
    }
    Some(match i128::from_str_radix(digits, base) {
        Ok(v) => PyInt::Small(if neg { -v } else { v }),
        Err(_) => PyInt::Big(format!(
            "{}{base}:{}",
            if neg { "-" } else { "" },
            digits.trim_start_matches('0')
        )),
    })
}

/// An integer; the ones beyond i128 are kept as text (equal only to
/// themselves).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum PyInt {
    Small(i128),
    Big(String),
}

/// ruamel's `construct_yaml_int` (YAML 1.2 rules).
pub(crate) fn yaml_int(value: &str) -> Option<PyInt> {
    let s = value.replace('_', "");
    let first = s.chars().next()?;
    let neg = first == '-';
    let body = if first == '-' || first == '+' {
        &s[1..]
    } else {
        &s[..]
    };
    let negate = |v: PyInt| match v {
        PyInt::Small(n) if neg => PyInt::Small(-n),
        PyInt::Big(b) if neg => PyInt::Big(format!("-{b}")),
        other => other,
    };
    if body == "0" {
        return Some(PyInt::Small(0));
    }
    let parsed = if let Some(d) = body.strip_prefix("0b") {
        py_int(d, 2)
    } else if let Some(d) = body.strip_prefix("0x") {
        py_int(d, 16)
    } else if let Some(d) = body.strip_prefix("0o") {
        py_int(d, 8)
    } else {
        py_int(body, 10)
    };
    parsed.map(negate)
}

/// ruamel's `construct_yaml_float`; NaN from `.nan` is one shared object.
pub(crate) enum PyFloat {
    Number(f64),
    SharedNan,
}

pub(crate) fn yaml_float(value: &str) -> Option<PyFloat> {
    let s = value.replace('_', "").to_lowercase();
    let first = s.chars().next()?;
    let sign = if first == '-' { -1.0 } else { 1.0 };
    let body = if first == '-' || first == '+' {
        &s[1..]
    } else {
        &s[..]
    };
    if body == ".inf" {
        return Some(PyFloat::Number(sign * f64::INFINITY));
    }
    if body == ".nan" {
        return Some(PyFloat::SharedNan);
    }
    py_float(body).map(|f| PyFloat::Number(sign * f))
}

/// Python's `float(text)` for the forms it accepts.
fn py_float(text: &str) -> Option<f64> {
    let t = text.trim();
    let (neg, body) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = body.to_ascii_lowercase();
    let v = match lower.as_str() {
        "inf" | "infinity" => f64::INFINITY,
        "nan" => f64::NAN,
        _ => {
            let ok = !lower.is_empty()
                && lower
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-'))
                && lower.chars().any(|c| c.is_ascii_digit());
            if !ok {
                return None;
            }
            lower.parse::<f64>().ok()?
        }
    };
    Some(if neg { -v } else { v })
}

/// A constructed timestamp, as far as equality between keys goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Stamp {
    Date(i32, u32, u32),
    Naive(i32, u32, u32, u32, u32, u32, u32),
    /// Microseconds since 0001-01-01 UTC.
    Aware(i128),
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn days_before(y: i32, m: u32, d: u32) -> i128 {
    let y1 = (y - 1) as i128;
    let mut days = y1 * 365 + y1 / 4 - y1 / 100 + y1 / 400;
    for month in 1..m {
        days += days_in_month(y, month) as i128;
    }
    days + d as i128 - 1
}

/// ruamel's `construct_yaml_timestamp` (`create_timestamp`); `None` where
/// Python raises (no match, a date that does not exist, an offset of a day
/// or more).
pub(crate) fn timestamp(value: &str) -> Option<Stamp> {
    let c = TIMESTAMP_PARTS.captures(value)?;
    let num = |name: &str| c.name(name).map(|m| m.as_str().parse::<u32>().ok());
    let year = num("year")??;
    let month = num("month")??;
    let day = num("day")??;
    if year == 0
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year as i32, month)
    {
        return None;
    }
    let Some(hour) = num("hour") else {
        return Some(Stamp::Date(year as i32, month, day));
    };
    let hour = hour?;
    let minute = num("minute")??;
    let second = num("second")??;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut frac = 0u32;
    let mut carry = false;
    if let Some(f) = c
        .name("fraction")
        .map(|m| m.as_str())
        .filter(|f| !f.is_empty())
    {
        let mut six: String = f.chars().take(6).collect();
        while six.len() < 6 {
            six.push('0');
        }
        let mut v: u32 = six.parse().ok()?;
        if f.len() > 6 && f.as_bytes()[6] > b'4' {
            v += 1;
        }
        if v > 999_999 {
            carry = true;
        } else {
            frac = v;
        }
    }
    let offset_minutes: Option<i64> = match (c.name("tz_sign"), c.name("tz")) {
        (Some(sign), _) => {
            let h: i64 = c.name("tz_hour")?.as_str().parse().ok()?;
            let m: i64 = c
                .name("tz_minute")
                .map_or(Some(0), |m| m.as_str().parse().ok())?;
            let total = h * 60 + m;
            if total >= 24 * 60 {
                return None;
            }
            Some(if sign.as_str() == "-" { -total } else { total })
        }
        (None, Some(_)) => Some(0),
        (None, None) => None,
    };
    let y = year as i32;
    let local = ((days_before(y, month, day) * 24 + hour as i128) * 60 + minute as i128)
        * 60_000_000
        + second as i128 * 1_000_000
        + frac as i128
        + if carry { 1_000_000 } else { 0 };
    match offset_minutes {
        Some(off) => Some(Stamp::Aware(local - off as i128 * 60_000_000)),
        None if carry => {
            // Normalise through microseconds so 59.9999995 rolls over.
            let total = local;
            let us = (total % 1_000_000) as u32;
            let secs = total / 1_000_000;
            Some(Stamp::Naive(
                y,
                month,
                day,
                (secs / 3600 % 24) as u32,
                (secs / 60 % 60) as u32,
                (secs % 60) as u32,
                us,
            ))
        }
        None => Some(Stamp::Naive(y, month, day, hour, minute, second, frac)),
    }
}

/// `base64.decodebytes`: characters outside the alphabet are skipped;
/// padding ends the data; a leftover partial quantum is an error.
pub(crate) fn base64(value: &str) -> Option<Vec<u8>> {
    if !value.is_ascii() {
        return None;
    }
    let mut out = Vec::new();
    let mut quad = 0u32;
    let mut acc = 0u32;
    let mut pads = 0u32;
    for b in value.bytes() {
        if b == b'=' {
            if quad >= 2 {
                pads += 1;
                if quad + pads >= 4 {
                    if quad == 2 {
                        out.push((acc >> 4) as u8);
                    } else {
                        out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]);
                    }
                    return Some(out);
                }
            }
            continue;
        }
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        } as u32;
        acc = (acc << 6) | v;
        quad += 1;
        if quad == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            quad = 0;
            acc = 0;
        }
    }
    if quad == 0 { Some(out) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_like_ruamel_1_2() {
        assert!(implicit("true").ends_with("bool"));
        assert!(implicit("yes").ends_with("str"));
        assert!(implicit("0o17").ends_with("int"));
        assert!(implicit("0777").ends_with("int"));
        assert!(implicit("1e5").ends_with("float"));
        assert!(implicit("1.5").ends_with("float"));
        assert!(implicit("2001-12-14").ends_with("timestamp"));
        assert!(implicit("").ends_with("null"));
        assert!(implicit("_").ends_with("str"));
        assert_eq!(implicit("<<"), MERGE);
        assert_eq!(yaml_int("-_"), None);
        assert_eq!(yaml_int("0x_1F"), Some(PyInt::Small(31)));
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp("2001-02-29"), None);
        assert_eq!(timestamp("2000-02-29"), Some(Stamp::Date(2000, 2, 29)));
        assert_eq!(
            timestamp("2001-12-14t21:59:43.10-05:00"),
            timestamp("2001-12-15 2:59:43.10 Z")
        );
        assert_eq!(timestamp("2001-12-14 21:59:43 +24"), None);
    }

    #[test]
    fn base64_like_python() {
        assert_eq!(base64("aGk="), Some(b"hi".to_vec()));
        assert_eq!(base64("aG k=\n"), Some(b"hi".to_vec()));
        assert_eq!(base64("aGk"), None);
    }
}
