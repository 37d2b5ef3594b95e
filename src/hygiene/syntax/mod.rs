//! The syntax checks: check-yaml, check-json, check-toml and check-xml.
//! Each file is read once and handed to the format's validator; a failure
//! prints one line naming the file, in the reference's wording where the
//! parsers allow.

mod json;
mod toml;
mod xml;
mod yaml;

use std::path::Path;

use super::Context;
use super::Outcome;
use super::parallel::{FileReport, per_file};

fn each(
    ctx: &Context,
    validate: impl Fn(&[u8]) -> Result<(), String> + Sync,
    line: impl Fn(&str, &str) -> String + Sync,
) -> Outcome {
    per_file(
        &ctx.dir,
        &ctx.files,
        |shown, path: &Path| match crate::hygiene::parallel::read_file(path) {
            Ok(data) => match validate(&data) {
                Ok(()) => FileReport::default(),
                Err(e) => FileReport::fail(line(shown, &e)),
            },
            Err(e) => FileReport::io_error(shown, "read it", &e),
        },
    )
}

pub(super) fn json(ctx: &Context) -> Outcome {
    each(ctx, json::check, |f, e| {
        format!("{f}: Failed to json decode ({e})\n")
    })
}

pub(super) fn toml(ctx: &Context) -> Outcome {
    each(ctx, toml::check, |f, e| format!("{f}: {e}\n"))
}

pub(super) fn xml(ctx: &Context) -> Outcome {
    each(ctx, xml::check, |f, e| {
        format!("{f}: Failed to xml parse ({e})\n")
    })
}

pub(super) fn yaml(ctx: &Context, multi: bool, unsafe_: bool) -> Outcome {
    let mode = yaml::YamlMode { multi, unsafe_ };
    each(
        ctx,
        move |d| yaml::check(d, mode),
        |f, e| format!("{f}: {e}\n"),
    )
}
