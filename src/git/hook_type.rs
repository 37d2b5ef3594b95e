//! The client-side git hook types hephaestus can install and run.

use std::fmt;

/// A client-side git hook (githooks(5)).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    clap::ValueEnum,
    serde::Deserialize,
    serde::Serialize,
)]
#[serde(rename_all = "kebab-case")]
#[value(rename_all = "kebab-case")]
pub enum HookType {
    PreCommit,
    PreMergeCommit,
    PrepareCommitMsg,
    CommitMsg,
    PostCommit,
    PostCheckout,
    PostMerge,
    PostRewrite,
    PreRebase,
    PrePush,
}

impl HookType {
    /// Every supported hook type, in git's documentation order.
    pub const ALL: [HookType; 10] = [
        HookType::PreCommit,
        HookType::PreMergeCommit,
        HookType::PrepareCommitMsg,
        HookType::CommitMsg,
        HookType::PostCommit,
        HookType::PostCheckout,
        HookType::PostMerge,
        HookType::PostRewrite,
        HookType::PreRebase,
        HookType::PrePush,
    ];

    /// The hook's file name in the hooks directory.
    pub fn as_str(self) -> &'static str {
        match self {
            HookType::PreCommit => "pre-commit",
            HookType::PreMergeCommit => "pre-merge-commit",
            HookType::PrepareCommitMsg => "prepare-commit-msg",
            HookType::CommitMsg => "commit-msg",
            HookType::PostCommit => "post-commit",
            HookType::PostCheckout => "post-checkout",
            HookType::PostMerge => "post-merge",
            HookType::PostRewrite => "post-rewrite",
            HookType::PreRebase => "pre-rebase",
            HookType::PrePush => "pre-push",
        }
    }

    /// The hook type named `name` (`pre-commit`), if hephaestus knows it.
    pub fn from_name(name: &str) -> Option<HookType> {
        HookType::ALL.into_iter().find(|h| h.as_str() == name)
    }
}

impl fmt::Display for HookType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
