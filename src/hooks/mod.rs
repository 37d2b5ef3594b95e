//! The hook manager: installing the shim into git's hooks directory
//! ([`install`]), deciding which files a hook run covers ([`scope`]), and
//! protecting partially staged work while steps run ([`keeper`]), one run
//! per work tree at a time ([`lock`]), writing only where git would
//! ([`worktree`]), and stopping what a dead run left running ([`groups`]).

pub mod groups;
pub mod install;
pub mod keeper;
pub mod lock;
pub mod patch;
pub mod scope;
pub mod signals;
pub mod worktree;
