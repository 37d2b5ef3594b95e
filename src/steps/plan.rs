//! Planning a run: which steps take part (stage, `--step`, skips,
//! `--no-format`), which files each gets (its globs over the files in
//! scope), and whether it runs or is skipped and why.

use std::collections::BTreeSet;

use std::path::Path;

use crate::filetypes::{TagQuery, Tags};
use crate::git::{BString, ByteSlice, HookType};

use super::{Scope, Step};

/// What selects and filters the steps of one run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// The hook being run; `None` for `guard-rails` (every step, any stage).
    pub hook: Option<HookType>,
    /// Step names to skip (`SKIP`, `HEPHAESTUS_SKIP`, `--skip`).
    pub skip: BTreeSet<String>,
    /// Run only these steps (`--step`); empty means all.
    pub only: BTreeSet<String>,
    /// Skip formatter steps (`--no-format`).
    pub no_format: bool,
    /// The run covers the whole project (`guard-rails` without files), so
    /// project steps always run.
    pub whole_project: bool,
}

/// The files a run covers.
#[derive(Debug, Clone, Copy)]
pub struct FileSet<'a> {
    pub files: &'a [BString],
    /// The work tree, where file type tags are read (`types` keys); none
    /// outside a work tree, where a step that needs tags gets no files.
    pub root: Option<&'a Path>,
    /// The hook type has no file set (post-commit, post-checkout, ...):
    /// project steps run unconditionally, file steps are skipped.
    pub none: bool,
}

/// Why a step does not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    NoFiles,
    Skipped,
    NoFormat,
}

impl SkipReason {
    pub fn label(&self) -> &'static str {
        match self {
            SkipReason::NoFiles => "no files",
            SkipReason::Skipped => "skipped",
            SkipReason::NoFormat => "--no-format",
        }
    }
}

/// A step in this run, with its files.
#[derive(Debug, Clone)]
pub struct Planned {
    pub step: Step,
    /// 1-based position among the steps of this run.
    pub position: usize,
    /// The files in scope that the step's globs match.
    pub files: Vec<BString>,
    pub skip: Option<SkipReason>,
}

/// The steps of one run, in order.
#[derive(Debug, Clone)]
pub struct Plan {
    pub steps: Vec<Planned>,
}

impl Plan {
    pub fn len(&self) -> usize {
        self.steps.len()
    }
}

/// Names in `requested` that are not steps of the pipeline.
pub fn unknown_names<'a>(
    steps: &[Step],
    requested: impl IntoIterator<Item = &'a String>,
) -> Vec<String> {
    requested
        .into_iter()
        .filter(|name| !steps.iter().any(|s| &s.name == *name))
        .cloned()
        .collect()
}

/// The step as it runs in `hook`: on pre-push a step with a check-only
/// form (a formatter's `--check`, a user step's `check`) runs that, and
/// not as a fixer, so a push never edits files.
pub fn for_hook(step: &Step, hook: Option<HookType>) -> Step {
    let mut step = step.clone();
    if hook == Some(HookType::PrePush)
        && let Some(check) = step.check.take()
    {
        step.action = check;
        step.fix = false;
        step.restage = false;
    }
    step
}

/// The file type tags of the files in scope, read once per run and only
/// when some step selects by type ([`crate::filetypes::tags_of_paths`]:
/// a directory listing per directory, on every core). The mode tags
/// (`executable`, `non-executable`) cost an `lstat` per file, so they are
/// only found when some step of the run names them.
struct TagCache<'a> {
    root: Option<&'a Path>,
    files: &'a [BString],
    mode_tags: bool,
    tags: std::sync::OnceLock<Vec<Option<Tags>>>,
}

impl<'a> TagCache<'a> {
    fn get(&self, index: usize) -> Option<&Tags> {
        let root = self.root?;
        self.tags
            .get_or_init(|| crate::filetypes::tags_of_paths(root, self.files, self.mode_tags))
            .get(index)?
            .as_ref()
    }
}

/// Whether a step's type keys name a mode tag.
fn names_mode_tags(step: &Step) -> bool {
    step.filter.as_ref().is_some_and(|f| {
        f.types
            .iter()
            .chain(&f.types_or)
            .chain(&f.exclude_types)
            .any(|t| {
                matches!(
                    t.as_str(),
                    crate::filetypes::EXECUTABLE | crate::filetypes::NON_EXECUTABLE
                )
            })
    })
}

/// Whether the step's regexes and type tags (`query`, made once per step)
/// select the file at `index`.
fn selected(
    step: &Step,
    query: Option<&TagQuery>,
    index: usize,
    path: &BString,
    tags: &TagCache<'_>,
) -> bool {
    let Some(filter) = &step.filter else {
        return true;
    };
    if !filter.matches_path(&path.to_str_lossy()) {
        return false;
    }
    let Some(query) = query else {
        return true;
    };
    tags.get(index).is_some_and(|t| query.matches(t))
}

/// Plan `steps` over `files`.
pub fn plan(steps: &[Step], files: FileSet<'_>, selection: &Selection) -> Plan {
    let no_file_set = files.none;
    let tags = TagCache {
        root: files.root,
        files: files.files,
        mode_tags: steps.iter().any(names_mode_tags),
        tags: std::sync::OnceLock::new(),
    };
    let files = files.files;
    let mut out = Vec::new();
    for step in steps {
        if let Some(hook) = selection.hook
            && !step.runs_in(hook)
        {
            continue;
        }
        if !selection.only.is_empty() && !selection.only.contains(&step.name) {
            continue;
        }
        let query = step
            .filter
            .as_ref()
            .filter(|f| f.needs_tags())
            .map(|f| f.tag_query());
        let matched: Vec<BString> = files
            .iter()
            .enumerate()
            .filter(|(i, f)| {
                step.matcher.matches(f) && selected(step, query.as_ref(), *i, f, &tags)
            })
            .map(|(_, f)| f.clone())
            .collect();
        let matched = if step.prefer_stubs {
            super::stubs::prefer_stubs(tags.root, matched)
        } else {
            matched
        };
        let skip = if selection.skip.contains(&step.name) {
            Some(SkipReason::Skipped)
        } else if selection.no_format && step.is_formatter {
            Some(SkipReason::NoFormat)
        } else {
            match step.scope {
                Scope::Project if selection.whole_project || no_file_set => None,
                Scope::Project | Scope::Files if matched.is_empty() && !step.always_run => {
                    Some(SkipReason::NoFiles)
                }
                _ if no_file_set => Some(SkipReason::NoFiles),
                _ => None,
            }
        };
        out.push(Planned {
            step: for_hook(step, selection.hook),
            position: out.len() + 1,
            files: matched,
            skip,
        });
    }
    Plan { steps: out }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::{CommandLine, StepConfig};

    fn step(name: &str, files: &[&str], scope: Scope) -> Step {
        let config = StepConfig {
            name: name.to_string(),
            run: CommandLine::Line("true".to_string()),
            check: None,
            files: files
                .iter()
                .map(|f| crate::config::model::GlobPattern(f.to_string()))
                .collect(),
            exclude: Vec::new(),
            shell: false,
            pass_files: Some(true),
            scope: Some(scope),
            stages: None,
            fix: false,
            restage: false,
            timeout: None,
            env: Default::default(),
            require_serial: false,
            builtin: None,
            files_regex: None,
            exclude_regex: None,
            types: Vec::new(),
            types_or: Vec::new(),
            exclude_types: Vec::new(),
            always_run: false,
        };
        crate::steps::build::from_config(&config, &Default::default()).unwrap()
    }

    fn files(paths: &[&str]) -> Vec<BString> {
        paths.iter().map(|p| BString::from(*p)).collect()
    }

    fn outcome(plan: &Plan) -> Vec<(String, usize, Vec<String>, Option<SkipReason>)> {
        plan.steps
            .iter()
            .map(|p| {
                (
                    p.step.name.clone(),
                    p.position,
                    p.files.iter().map(|f| f.to_string()).collect(),
                    p.skip.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn each_step_gets_the_files_its_globs_match() {
        let steps = [
            step("py", &["*.py"], Scope::Files),
            step("rs", &["*.rs"], Scope::Files),
        ];
        let paths = files(&["a.py", "b.txt", "src/c.py"]);
        let plan = plan(
            &steps,
            FileSet {
                files: &paths,
                root: None,
                none: false,
            },
            &Selection::default(),
        );
        assert_eq!(
            outcome(&plan),
            [
                ("py".into(), 1, vec!["a.py".into(), "src/c.py".into()], None),
                ("rs".into(), 2, vec![], Some(SkipReason::NoFiles)),
            ]
        );
    }

    #[test]
    fn skips_only_and_stages_select_steps() {
        let mut push_only = step("push-only", &[], Scope::Files);
        push_only.stages = Some(vec![HookType::PrePush]);
        let steps = [
            step("a", &[], Scope::Files),
            step("b", &[], Scope::Files),
            push_only,
        ];
        let paths = files(&["x"]);
        let set = FileSet {
            files: &paths,
            root: None,
            none: false,
        };
        let selection = Selection {
            hook: Some(HookType::PreCommit),
            skip: ["b".to_string()].into(),
            ..Selection::default()
        };
        let names: Vec<_> = outcome(&plan(&steps, set, &selection))
            .into_iter()
            .map(|(n, pos, _, skip)| (n, pos, skip))
            .collect();
        // push-only is not part of a pre-commit run at all; b is shown as
        // skipped; positions count the steps of this run.
        assert_eq!(
            names,
            [
                ("a".into(), 1, None),
                ("b".into(), 2, Some(SkipReason::Skipped))
            ]
        );
        let only = Selection {
            only: ["b".to_string()].into(),
            ..Selection::default()
        };
        let names: Vec<_> = plan(&steps, set, &only)
            .steps
            .into_iter()
            .map(|p| p.step.name)
            .collect();
        assert_eq!(names, ["b"]);
    }

    #[test]
    fn project_steps_run_for_the_whole_project_and_hooks_without_files() {
        let steps = [
            step("project", &["*.py"], Scope::Project),
            step("files", &[], Scope::Files),
        ];
        let none: Vec<BString> = Vec::new();
        let skips = |set: FileSet<'_>, whole_project: bool| -> Vec<Option<SkipReason>> {
            let selection = Selection {
                whole_project,
                ..Selection::default()
            };
            plan(&steps, set, &selection)
                .steps
                .into_iter()
                .map(|p| p.skip)
                .collect()
        };
        let empty = FileSet {
            files: &none,
            root: None,
            none: false,
        };
        // No files in scope: both skipped, unless the run is the whole
        // project (guard-rails), where project steps always run.
        assert_eq!(
            skips(empty, false),
            [Some(SkipReason::NoFiles), Some(SkipReason::NoFiles)]
        );
        assert_eq!(skips(empty, true), [None, Some(SkipReason::NoFiles)]);
        // A hook without files (post-commit): project steps run, file steps
        // do not, whatever the files.
        let some = files(&["a.py"]);
        let no_set = FileSet {
            files: &some,
            root: None,
            none: true,
        };
        assert_eq!(skips(no_set, false), [None, Some(SkipReason::NoFiles)]);
    }

    #[test]
    fn no_format_skips_formatters_and_unknown_names_are_found() {
        let mut fmt = step("fmt", &[], Scope::Files);
        fmt.is_formatter = true;
        let steps = [fmt, step("lint", &[], Scope::Files)];
        let paths = files(&["a"]);
        let selection = Selection {
            no_format: true,
            ..Selection::default()
        };
        let skips: Vec<_> = plan(
            &steps,
            FileSet {
                files: &paths,
                root: None,
                none: false,
            },
            &selection,
        )
        .steps
        .into_iter()
        .map(|p| p.skip)
        .collect();
        assert_eq!(skips, [Some(SkipReason::NoFormat), None]);
        let asked = ["lint".to_string(), "lnt".to_string()];
        assert_eq!(unknown_names(&steps, &asked), ["lnt"]);
    }
}
