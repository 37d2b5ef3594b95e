//! Installing and removing the shim in git's hooks directory
//! ([`install`]). Running a hook is [`crate::run`]'s job.

pub mod install;
