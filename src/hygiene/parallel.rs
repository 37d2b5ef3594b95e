//! Running a per-file check over many files: scoped worker threads (as many
//! as the cores, fewer for few files) pull file indexes from a shared
//! counter; the per-file reports are put back in input order so output is
//! deterministic whatever the scheduling.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::Outcome;

/// What one file contributed to a check's outcome.
#[derive(Debug, Default, Clone)]
pub(crate) struct FileReport {
    pub failed: bool,
    pub modified: bool,
    pub stdout: String,
    pub stderr: String,
}

impl FileReport {
    /// Fold this file's report into the check's outcome: a failure or a
    /// rewrite fails it, a rewrite names the file, the output is appended.
    pub fn add_to(&self, outcome: &mut Outcome, file: &std::path::Path) {
        outcome.failed |= self.failed;
        if self.modified {
            outcome.failed = true;
            outcome.modified.push(file.to_path_buf());
        }
        outcome.stdout.push_str(&self.stdout);
        outcome.stderr.push_str(&self.stderr);
    }

    /// A failure with a line on stdout.
    pub fn fail(line: String) -> Self {
        FileReport {
            failed: true,
            stdout: line,
            ..Default::default()
        }
    }

    /// A file that could not be read or written: the reference stops with
    /// a traceback (exit 1); we report it and go on with the other files.
    pub fn io_error(shown: &str, what: &str, err: &std::io::Error) -> Self {
        FileReport {
            failed: true,
            stderr: format!("{shown}: cannot {what}: {err}\n"),
            ..Default::default()
        }
    }
}

/// Stack of each worker thread.
const WORKER_STACK: usize = 64 << 20;

/// Apply `f` to every item, in parallel, returning the results in order.
pub(crate) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    map_with(items, || (), |(), item| f(item))
}

/// [`map`] with a per-worker state made by `init` (a reusable buffer).
pub(crate) fn map_with<T: Sync, R: Send, S>(
    items: &[T],
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, &T) -> R + Sync,
) -> Vec<R> {
    let n = crate::process::workers(items.len());
    if n <= 1 {
        let mut state = init();
        return items.iter().map(|item| f(&mut state, item)).collect();
    }
    // Workers take runs of items, so the shared counter is not touched
    // for every small file.
    const RUN: usize = 16;
    let next = AtomicUsize::new(0);
    let work = || {
        let mut state = init();
        let mut done = Vec::new();
        loop {
            let start = next.fetch_add(RUN, Ordering::Relaxed);
            if start >= items.len() {
                break;
            }
            let end = (start + RUN).min(items.len());
            for (i, item) in items[start..end].iter().enumerate() {
                done.push((start + i, f(&mut state, item)));
            }
        }
        done
    };
    let mut parts: Vec<Vec<(usize, R)>> = std::thread::scope(|scope| {
        // Parsers recurse per nesting level (bounded, but deep frames in
        // debug builds): a roomy stack, reserved rather than committed. The
        // calling thread works too, so a thread that cannot be had only
        // means less parallelism.
        let handles: Vec<_> = (1..n)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .stack_size(WORKER_STACK)
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        let mut parts = vec![work()];
        for handle in handles {
            parts.push(
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        parts
    });
    let mut all: Vec<(usize, R)> = parts.iter_mut().flat_map(std::mem::take).collect();
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

/// Run a per-file check: `f` gets the name as given and the path on disk.
/// When `dir` is the process's current directory, relative names are used
/// as they are (shorter paths for the kernel to walk).
pub(crate) fn per_file(
    dir: &Path,
    files: &[PathBuf],
    f: impl Fn(&str, &Path) -> FileReport + Sync,
) -> Outcome {
    let dir_is_cwd = std::env::current_dir().is_ok_and(|cwd| cwd == dir);
    let reports = map(files, |file| {
        let shown = file.to_string_lossy();
        if dir_is_cwd && file.is_relative() {
            f(&shown, file)
        } else {
            f(&shown, &dir.join(file))
        }
    });
    let mut outcome = Outcome::default();
    for (file, report) in files.iter().zip(reports) {
        report.add_to(&mut outcome, file);
    }
    outcome
}

/// A file's bytes: open, read to the end, close (no `stat` first, which
/// `std::fs::read` spends on a size hint; most files here are small).
pub(crate) fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    const CHUNK: usize = 16 * 1024;
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; CHUNK];
    let mut len = 0;
    loop {
        if len == buf.len() {
            buf.resize(len * 2, 0);
        }
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(len);
    Ok(buf)
}

/// Read the file at `path` (relative to the directory `dir`, or
/// absolute) into `buf`, which is reused from file to file (kept
/// initialised, so nothing is zeroed again): its bytes are `buf[..n]`.
/// Open, read, close: a read that does not fill the buffer is taken as the
/// end of the file (it is, for a regular file), which saves the read that
/// would return nothing.
pub(crate) fn read_at(
    dir: std::os::fd::BorrowedFd<'_>,
    path: &Path,
    buf: &mut Vec<u8>,
) -> std::io::Result<usize> {
    use rustix::fs::{Mode, OFlags};
    const START: usize = 64 * 1024;
    let fd = rustix::fs::openat(dir, path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
    if buf.len() < START {
        buf.resize(START, 0);
    }
    let mut len = 0;
    loop {
        match rustix::io::read(&fd, &mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => {
                len += n;
                if len < buf.len() {
                    break;
                }
                let bigger = buf.len() * 2;
                buf.resize(bigger, 0);
            }
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(len)
}

/// Replace a file's bytes in place, as the reference does (`open(…, 'wb')`:
/// same inode, same permissions). A symbolic link is never written
/// through: the caller reports it instead.
pub(crate) fn rewrite(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.flush()
}

/// Whether `path` itself is a symbolic link.
pub(crate) fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}
