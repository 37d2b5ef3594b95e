//! Splitting file arguments into command lines that fit the OS limit.
//!
//! The limit is measured as pre-commit does: `ARG_MAX` minus the size of
//! the environment the child gets and some headroom, capped at 128 KiB so
//! batches stay small enough to run in parallel.

/// Bytes available for the command line of a child with `env_bytes` of
/// environment.
pub fn max_command_length(env_bytes: usize) -> usize {
    #[cfg(unix)]
    let arg_max = {
        // SAFETY: sysconf has no preconditions.
        let v = unsafe { libc::sysconf(libc::_SC_ARG_MAX) };
        if v > 0 { v as usize } else { 1 << 17 }
    };
    #[cfg(not(unix))]
    let arg_max = 32_767usize;
    let available = arg_max.saturating_sub(2048).saturating_sub(env_bytes);
    available.clamp(1 << 12, 1 << 17)
}

/// The size an environment takes in the child's stack: a pointer per entry
/// plus `KEY=VALUE\0`.
pub fn environment_size<'a>(env: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) -> usize {
    env.into_iter()
        .map(|(k, v)| 8 + k.len() + v.len() + 2)
        .sum()
}

/// Partition `files` into batches so that `fixed` (the command's own
/// arguments, already counted) plus each batch stays within `limit`.
/// Every batch has at least one file, even a single file longer than the
/// limit (the OS then reports the error for that file alone).
pub fn partition<T: AsRef<[u8]>>(fixed: usize, files: &[T], limit: usize) -> Vec<&[T]> {
    let mut batches = Vec::new();
    let mut start = 0;
    let mut size = fixed;
    for (i, f) in files.iter().enumerate() {
        let len = f.as_ref().len() + 1 + 8;
        if i > start && size + len > limit {
            batches.push(&files[start..i]);
            start = i;
            size = fixed;
        }
        size += len;
    }
    if start < files.len() {
        batches.push(&files[start..]);
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_respect_the_limit_and_keep_order() {
        let files: Vec<String> = (0..10_000)
            .map(|i| format!("pkg{}/sub/mod{i}.py", i / 100))
            .collect();
        let limit = 4096;
        let batches = partition(100, &files, limit);
        assert!(batches.len() > 1);
        let mut seen = 0;
        for b in &batches {
            let size: usize = 100 + b.iter().map(|f| f.len() + 9).sum::<usize>();
            assert!(size <= limit, "batch of {size} bytes over {limit}");
            for f in *b {
                assert_eq!(f, &files[seen]);
                seen += 1;
            }
        }
        assert_eq!(seen, files.len());
    }

    #[test]
    fn a_single_huge_file_gets_its_own_batch() {
        let files = vec!["a".repeat(10_000), "b".to_string()];
        let batches = partition(0, &files, 4096);
        assert_eq!(batches.len(), 2);
    }

    #[test]
    fn limit_shrinks_with_the_environment() {
        assert!(max_command_length(0) >= max_command_length(1 << 16));
        assert!(max_command_length(usize::MAX / 2) >= 1 << 12);
    }
}
