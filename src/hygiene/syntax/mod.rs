//! The syntax checks: check-yaml, check-json, check-toml and check-xml.
//! Each file is read once and handed to the format's validator; a failure
//! prints one line naming the file, in the reference's wording where the
//! parsers allow.

mod json;
mod toml;
mod xml;
mod yaml;

use super::Context;
use super::Outcome;
use super::fixers::{Verdict, standalone};
use super::parallel::FileReport;

/// A syntax check.
#[derive(Debug, Clone, Copy)]
pub(super) enum Syntax {
    Yaml(yaml::YamlMode),
    Json,
    Toml,
    Xml,
}

impl Syntax {
    pub(super) fn yaml(multi: bool, unsafe_: bool) -> Syntax {
        Syntax::Yaml(yaml::YamlMode { multi, unsafe_ })
    }

    /// The check on one file's bytes: the line naming the file when it
    /// fails.
    pub(super) fn judge(self, shown: &str, data: &[u8]) -> Verdict {
        let failure = match self {
            Syntax::Yaml(mode) => yaml::check(data, mode)
                .err()
                .map(|e| format!("{shown}: {e}\n")),
            Syntax::Json => json::check(data)
                .err()
                .map(|e| format!("{shown}: Failed to json decode ({e})\n")),
            Syntax::Toml => toml::check(data).err().map(|e| format!("{shown}: {e}\n")),
            Syntax::Xml => xml::check(data)
                .err()
                .map(|e| format!("{shown}: Failed to xml parse ({e})\n")),
        };
        match failure {
            Some(line) => Verdict::Report(FileReport::fail(line)),
            None => Verdict::Clean,
        }
    }
}

/// A syntax check over the context's files.
pub(super) fn run(ctx: &Context, syntax: Syntax) -> Outcome {
    standalone(ctx, |shown, data| syntax.judge(shown, data))
}
