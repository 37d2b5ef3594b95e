//! One read of each file for a run of built-in content checks: the
//! consecutive built-in steps of a plan that judge a file by its bytes
//! (trailing-whitespace, end-of-file-fixer, check-yaml,
//! check-merge-conflict, …) share a [`Pass`] that reads every file once and
//! judges it for each of them in plan order, each on the bytes the fixers
//! before it leave (what it would read, run alone).
//!
//! Nothing is written ahead of its step: a fixer's new bytes wait in the
//! pass until that fixer's own step runs ([`Pass::run`]), so the executor
//! sees each fixer change the work tree in its turn (what it re-stages and
//! reports is unchanged). A step falls back to reading the files itself
//! when the pass's picture may be stale: an earlier fixer of the pass did
//! not finish its step (it timed out), or its write of a file failed (that
//! file only). Only steps with nothing but in-process built-ins between
//! them share a pass (those never write the work tree); a command step
//! ends it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use gix::bstr::BString;

use super::args::{FixMode, Markdown, Options};
use super::fixers::{self, Verdict};
use super::parallel::{FileReport, map_with, read_at};
use super::syntax::Syntax;
use super::{CheckSpec, Context, HygieneError, Outcome, content};

/// New bytes held for fixers' steps, in all: past this a fixer's step
/// works its file out again instead (see [`Entry::Redo`]).
const HELD_BYTES: usize = 256 << 20;

/// What a content check does to one file's bytes.
#[derive(Debug, Clone)]
enum Check {
    Trailing {
        markdown: Markdown,
        chars: Option<Vec<u8>>,
    },
    EndOfFile,
    Mixed(FixMode),
    ByteOrderMarker,
    Syntax(Syntax),
    MergeConflict {
        assume_in_merge: bool,
    },
    PrivateKey,
}

impl Check {
    /// The content check of parsed options; `None` for the checks that
    /// look at names or git state.
    fn of(options: &Options) -> Option<Check> {
        Some(match options {
            Options::TrailingWhitespace {
                markdown, chars, ..
            } => Check::Trailing {
                markdown: markdown.clone(),
                chars: chars.clone(),
            },
            Options::EndOfFile => Check::EndOfFile,
            Options::MixedLineEnding { fix } => Check::Mixed(*fix),
            Options::ByteOrderMarker => Check::ByteOrderMarker,
            Options::Yaml { multi, unsafe_ } => Check::Syntax(Syntax::yaml(*multi, *unsafe_)),
            Options::Json => Check::Syntax(Syntax::Json),
            Options::Toml => Check::Syntax(Syntax::Toml),
            Options::Xml => Check::Syntax(Syntax::Xml),
            Options::MergeConflict { assume_in_merge } => Check::MergeConflict {
                assume_in_merge: *assume_in_merge,
            },
            Options::PrivateKey => Check::PrivateKey,
            _ => return None,
        })
    }

    fn judge(&self, shown: &str, data: &[u8]) -> Verdict {
        match self {
            Check::Trailing { markdown, chars } => {
                fixers::trailing_whitespace_of(shown, data, markdown, chars.as_deref())
            }
            Check::EndOfFile => fixers::end_of_file_of(shown, data),
            Check::Mixed(fix) => fixers::mixed_line_ending_of(shown, data, *fix),
            Check::ByteOrderMarker => fixers::byte_order_marker_of(shown, data),
            Check::Syntax(syntax) => syntax.judge(shown, data),
            Check::MergeConflict { .. } => content::merge_conflict_of(shown, data),
            Check::PrivateKey => content::private_key_of(shown, data),
        }
    }

    fn is_fixer(&self) -> bool {
        matches!(
            self,
            Check::Trailing { .. } | Check::EndOfFile | Check::Mixed(_) | Check::ByteOrderMarker
        )
    }
}

/// Whether a check can share a [`Pass`]: it judges file content and its
/// arguments name no files of their own.
pub fn shares_a_pass(spec: &CheckSpec) -> bool {
    super::args::parse(spec.id, &spec.args)
        .is_ok_and(|p| p.files.is_empty() && !p.help && Check::of(&p.options).is_some())
}

/// One step of a pass.
struct Member {
    spec: CheckSpec,
    check: Check,
    /// `--no-markdown-linebreak-ext` was given (a notice first).
    notice: bool,
    /// The step's files, as indexes into [`Pass::files`], in its order.
    files: Vec<u32>,
}

/// What the pass found for one step and one file.
#[derive(Debug)]
enum Entry {
    Verdict(Verdict),
    /// A fixer's new bytes that were not held (too many): the step works
    /// the file out again from what is on disk then.
    Redo,
}

/// The pass's findings, made by the first of its steps to run.
struct Found {
    /// Whether git is in a merge (for check-merge-conflict), if asked and
    /// known.
    in_merge: Option<bool>,
    /// Per step: the files it has something to say about.
    entries: Vec<Mutex<HashMap<u32, Entry>>>,
}

/// A run of content checks sharing one read of each file.
pub struct Pass {
    dir: PathBuf,
    /// Every file of any of the steps, each once.
    files: Vec<BString>,
    members: Vec<Member>,
    found: OnceLock<Found>,
    /// Per step: its step has run to the end.
    done: Vec<AtomicBool>,
    /// Per file: a fixer's planned write did not happen, so the pass's
    /// later findings for it are void.
    diverged: Vec<AtomicBool>,
}

/// A worker's reading state.
#[derive(Default)]
struct Reader {
    buf: Vec<u8>,
    /// The last parent directory opened (relative to the pass's), and its
    /// descriptor.
    parent: Option<(Vec<u8>, std::os::fd::OwnedFd)>,
}

impl Reader {
    /// Read `name` (relative to `root`) into the buffer.
    fn read(&mut self, root: &std::os::fd::OwnedFd, name: &[u8]) -> std::io::Result<usize> {
        use std::os::fd::AsFd;
        let plain = !name.starts_with(b"/");
        let split = name.iter().rposition(|&b| b == b'/');
        let (Some(slash), true) = (split, plain) else {
            return read_at(
                root.as_fd(),
                Path::new(crate::git::bytes_to_os(name)),
                &mut self.buf,
            );
        };
        let (parent, file) = (&name[..slash], &name[slash + 1..]);
        if self.parent.as_ref().is_none_or(|(p, _)| p != parent) {
            let fd = rustix::fs::openat(
                root,
                Path::new(crate::git::bytes_to_os(parent)),
                rustix::fs::OFlags::PATH
                    | rustix::fs::OFlags::DIRECTORY
                    | rustix::fs::OFlags::CLOEXEC,
                rustix::fs::Mode::empty(),
            );
            match fd {
                Ok(fd) => self.parent = Some((parent.to_vec(), fd)),
                Err(_) => {
                    self.parent = None;
                    return read_at(
                        root.as_fd(),
                        Path::new(crate::git::bytes_to_os(name)),
                        &mut self.buf,
                    );
                }
            }
        }
        match &self.parent {
            Some((_, fd)) => read_at(
                fd.as_fd(),
                Path::new(crate::git::bytes_to_os(file)),
                &mut self.buf,
            ),
            None => read_at(
                root.as_fd(),
                Path::new(crate::git::bytes_to_os(name)),
                &mut self.buf,
            ),
        }
    }
}

/// At most this many steps share one pass (a bit each per file).
pub const MAX_STEPS: usize = 64;

impl Pass {
    /// A pass over the steps `members` (each a check that
    /// [`shares_a_pass`], with its files, in plan order) for files relative
    /// to `dir`. `None` when it has fewer than two steps, more than
    /// [`MAX_STEPS`], or a step lists a file twice (a step run alone
    /// judges each occurrence).
    pub fn new(dir: &Path, members: &[(&CheckSpec, &[BString])]) -> Option<Pass> {
        if members.len() < 2 || members.len() > MAX_STEPS {
            return None;
        }
        let mut files: Vec<BString> = Vec::new();
        let mut index: HashMap<&[u8], u32> = HashMap::new();
        let mut built: Vec<Member> = Vec::with_capacity(members.len());
        // Per file: the last step that listed it (a file twice in one
        // step's list is refused).
        let mut last_step: Vec<usize> = Vec::new();
        for (k, (spec, step_files)) in members.iter().enumerate() {
            let parsed = super::args::parse(spec.id, &spec.args).ok()?;
            let check = Check::of(&parsed.options)?;
            if !parsed.files.is_empty() || parsed.help {
                return None;
            }
            let notice = matches!(
                parsed.options,
                Options::TrailingWhitespace {
                    no_markdown_given: true,
                    ..
                }
            );
            // The same list as an earlier step (steps of the same file
            // types): the same indexes.
            let same = members[..k].iter().position(|(_, earlier)| {
                earlier.len() == step_files.len() && earlier == step_files
            });
            let ids = match same {
                Some(j) => built[j].files.clone(),
                None => {
                    let mut ids = Vec::with_capacity(step_files.len());
                    for f in step_files.iter() {
                        let next = u32::try_from(files.len()).ok()?;
                        let id = *index.entry(f.as_slice()).or_insert_with(|| {
                            files.push(f.clone());
                            last_step.push(usize::MAX);
                            next
                        });
                        if last_step[id as usize] == k {
                            return None;
                        }
                        last_step[id as usize] = k;
                        ids.push(id);
                    }
                    ids
                }
            };
            built.push(Member {
                spec: (*spec).clone(),
                check,
                notice,
                files: ids,
            });
        }
        Some(Pass {
            dir: dir.to_path_buf(),
            done: built.iter().map(|_| AtomicBool::new(false)).collect(),
            diverged: files.iter().map(|_| AtomicBool::new(false)).collect(),
            files,
            members: built,
            found: OnceLock::new(),
        })
    }

    /// The step at `k`: its outcome, as the check run alone over its files
    /// would give it at this point, with its writes done now.
    pub fn run(&self, k: usize) -> Result<Outcome, HygieneError> {
        let earlier_fixer_unfinished = (0..k)
            .any(|j| self.members[j].check.is_fixer() && !self.done[j].load(Ordering::SeqCst));
        let outcome = if earlier_fixer_unfinished {
            self.alone(k)
        } else {
            let found = self.found.get_or_init(|| self.find());
            self.carry_out(k, found)
        };
        self.done[k].store(true, Ordering::SeqCst);
        outcome
    }

    /// The step at `k` run alone, as if there were no pass.
    fn alone(&self, k: usize) -> Result<Outcome, HygieneError> {
        let ctx = Context {
            dir: self.dir.clone(),
            files: self.members[k]
                .files
                .iter()
                .map(|&i| self.path(i))
                .collect(),
            ref_range: None,
        };
        super::run(&self.members[k].spec, &ctx)
    }

    fn path(&self, i: u32) -> PathBuf {
        PathBuf::from(crate::git::bytes_to_os(&self.files[i as usize]))
    }

    /// Read every file once and judge it for every step that has it.
    fn find(&self) -> Found {
        let asks_merge = self.members.iter().any(|m| {
            matches!(
                m.check,
                Check::MergeConflict {
                    assume_in_merge: false
                }
            )
        });
        // Cannot tell: that step runs alone and reports why.
        let in_merge = asks_merge
            .then(|| {
                let ctx = Context {
                    dir: self.dir.clone(),
                    files: Vec::new(),
                    ref_range: None,
                };
                content::in_merge(&ctx).ok()
            })
            .flatten();
        // The steps that need a file's bytes, as a bit mask per file.
        let mut wants = vec![0u64; self.files.len()];
        for (k, m) in self.members.iter().enumerate() {
            let reads = match m.check {
                Check::MergeConflict { assume_in_merge } => {
                    assume_in_merge || in_merge == Some(true)
                }
                _ => true,
            };
            if reads {
                for &i in &m.files {
                    wants[i as usize] |= 1 << k;
                }
            }
        }
        let held = AtomicUsize::new(0);
        let dir = rustix::fs::open(
            &self.dir,
            rustix::fs::OFlags::PATH | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        );
        let ids: Vec<u32> = (0..self.files.len() as u32).collect();
        // Each worker keeps a read buffer and the last directory it
        // opened: a file is opened by its name in that directory (a path
        // walk of one component), files of a directory come in a row.
        let per_file: Vec<Vec<(usize, Entry)>> = map_with(&ids, Reader::default, |reader, &i| {
            let mask = wants[i as usize];
            if mask == 0 {
                return Vec::new();
            }
            let name = &self.files[i as usize];
            let path = Path::new(crate::git::bytes_to_os(name));
            let shown = path.to_string_lossy();
            let steps = (0..self.members.len()).filter(|k| mask & (1 << k) != 0);
            let read = match &dir {
                Ok(fd) => reader.read(fd, name),
                Err(_) => std::fs::read(self.dir.join(path)).map(|data| {
                    let n = data.len();
                    reader.buf = data;
                    n
                }),
            };
            let buf = &reader.buf;
            let n = match read {
                Ok(n) => n,
                Err(e) => {
                    return steps
                        .map(|k| {
                            let report = FileReport::io_error(&shown, "read it", &e);
                            (k, Entry::Verdict(Verdict::Report(report)))
                        })
                        .collect();
                }
            };
            let mut out = Vec::new();
            let mut rewritten: Option<Vec<u8>> = None;
            for k in steps {
                let data = rewritten.as_deref().unwrap_or(&buf[..n]);
                match self.members[k].check.judge(&shown, data) {
                    Verdict::Clean => {}
                    Verdict::Rewrite(bytes, message) => {
                        let size = bytes.len();
                        let entry = if held.fetch_add(size, Ordering::Relaxed) + size <= HELD_BYTES
                        {
                            Entry::Verdict(Verdict::Rewrite(bytes.clone(), message))
                        } else {
                            Entry::Redo
                        };
                        out.push((k, entry));
                        rewritten = Some(bytes);
                    }
                    report @ Verdict::Report(_) => out.push((k, Entry::Verdict(report))),
                }
            }
            out
        });
        let mut entries: Vec<HashMap<u32, Entry>> =
            self.members.iter().map(|_| HashMap::new()).collect();
        for (i, found) in per_file.into_iter().enumerate() {
            for (k, entry) in found {
                entries[k].insert(i as u32, entry);
            }
        }
        Found {
            in_merge,
            entries: entries.into_iter().map(Mutex::new).collect(),
        }
    }

    /// The step at `k` from the pass's findings: reports as found, writes
    /// done now.
    fn carry_out(&self, k: usize, found: &Found) -> Result<Outcome, HygieneError> {
        let member = &self.members[k];
        if matches!(
            member.check,
            Check::MergeConflict {
                assume_in_merge: false
            }
        ) && found.in_merge != Some(true)
        {
            // Not in a merge (nothing to read), or it could not be told
            // (the step says why): as alone.
            return self.alone(k);
        }
        let mut entries = match found.entries[k].lock() {
            Ok(mut e) => std::mem::take(&mut *e),
            Err(_) => return self.alone(k),
        };
        let mut outcome = Outcome::default();
        if member.notice {
            fixers::no_markdown_notice(&mut outcome);
        }
        for &i in &member.files {
            let diverged = self.diverged[i as usize].load(Ordering::SeqCst);
            let entry = entries.remove(&i);
            if entry.is_none() && !diverged {
                continue;
            }
            let rel = self.path(i);
            let shown = rel.to_string_lossy();
            let path = self.dir.join(&rel);
            let (report, planned_write) = match entry {
                Some(Entry::Verdict(verdict)) if !diverged => {
                    let writes = matches!(verdict, Verdict::Rewrite(..));
                    (verdict.apply(&shown, &path), writes)
                }
                _ => {
                    // Worked out again from the file as it is now.
                    let report = match std::fs::read(&path) {
                        Ok(data) => member.check.judge(&shown, &data).apply(&shown, &path),
                        Err(e) => FileReport::io_error(&shown, "read it", &e),
                    };
                    (report, matches!(entry, Some(Entry::Redo)))
                }
            };
            if planned_write && !report.modified {
                self.diverged[i as usize].store(true, Ordering::SeqCst);
            }
            report.add_to(&mut outcome, &rel);
        }
        Ok(outcome)
    }
}
