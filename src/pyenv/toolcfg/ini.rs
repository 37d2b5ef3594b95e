//! The INI dialect Python tools read their configuration from (`mypy.ini`,
//! `setup.cfg`, `tox.ini`, `pytest.ini`), as Python's `configparser` and
//! pytest's `iniconfig` read it: `[section]` headers, `key = value` or
//! `key: value`, keys compared in lower case, values continued on more
//! deeply indented lines, and whole-line `#` or `;` comments (a `#` after
//! a value is part of the value, as configparser keeps it by default).
//!
//! Only what the presets look at is kept: no interpolation, and a line
//! that is none of these is skipped rather than refused (the tool itself
//! will say what is wrong with its file).

/// One parsed file: sections in file order, each with its keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ini {
    sections: Vec<(String, Vec<(String, String)>)>,
}

impl Ini {
    pub fn parse(text: &str) -> Ini {
        let mut ini = Ini::default();
        // The key being continued and the indentation of its first line.
        let mut open: Option<usize> = None;
        for raw in text.lines() {
            let line = raw.trim_end();
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            if trimmed.is_empty() {
                // configparser keeps blank lines inside a multi-line value;
                // they change nothing the presets read.
                continue;
            }
            if trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            if let (Some(key_indent), Some((_, keys))) = (open, ini.sections.last_mut())
                && indent > key_indent
                && let Some((_, value)) = keys.last_mut()
            {
                if !value.is_empty() {
                    value.push('\n');
                }
                value.push_str(trimmed);
                continue;
            }
            open = None;
            if let Some(name) = trimmed
                .strip_prefix('[')
                .and_then(|rest| rest.split_once(']'))
                .map(|(name, _)| name.trim())
            {
                ini.sections.push((name.to_string(), Vec::new()));
                continue;
            }
            let split = trimmed
                .find(['=', ':'])
                .map(|i| (&trimmed[..i], &trimmed[i + 1..]));
            if let (Some((key, value)), Some((_, keys))) = (split, ini.sections.last_mut()) {
                keys.push((key.trim().to_ascii_lowercase(), value.trim().to_string()));
                open = Some(indent);
            }
        }
        ini
    }

    /// Is there a section with this name?
    pub fn has_section(&self, section: &str) -> bool {
        self.sections.iter().any(|(name, _)| name == section)
    }

    /// The last value of `key` in `section` (later lines win, as in
    /// configparser's non-strict mode).
    pub fn get(&self, section: &str, key: &str) -> Option<&str> {
        let key = key.to_ascii_lowercase();
        self.sections
            .iter()
            .filter(|(name, _)| name == section)
            .flat_map(|(_, keys)| keys.iter())
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
            .next_back()
    }

    /// Every key and value of `section`.
    pub fn entries(&self, section: &str) -> impl Iterator<Item = (&str, &str)> {
        self.sections
            .iter()
            .filter(move |(name, _)| name == section)
            .flat_map(|(_, keys)| keys.iter())
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_keys_and_continuations() {
        let ini = Ini::parse(
            "# top\n[mypy]\nFiles = src, tests\nstrict: true\n\n[options.extras_require]\ntesting =\n\twatchdog\n\tpytest\n    ; not a comment inside? it is one\n\tpytest-cov\ndocs = sphinx # kept\n[pytest]\naddopts = -ra\n    --cov=pkg\n",
        );
        assert_eq!(ini.get("mypy", "files"), Some("src, tests"));
        assert_eq!(ini.get("mypy", "STRICT"), Some("true"));
        assert_eq!(
            ini.get("options.extras_require", "testing"),
            Some("watchdog\npytest\npytest-cov")
        );
        assert_eq!(
            ini.get("options.extras_require", "docs"),
            Some("sphinx # kept")
        );
        assert_eq!(ini.get("pytest", "addopts"), Some("-ra\n--cov=pkg"));
        assert!(ini.has_section("pytest"));
        assert!(!ini.has_section("tool:pytest"));
        assert_eq!(ini.entries("options.extras_require").count(), 2);
        assert_eq!(ini.get("nope", "files"), None);
    }
}
