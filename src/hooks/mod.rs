//! The hook manager: installing the shim into git's hooks directory
//! ([`install`]), deciding which files a hook run covers ([`scope`]), and
//! protecting partially staged work while steps run ([`keeper`]).

pub mod install;
pub mod keeper;
pub mod patch;
pub mod scope;
pub mod signals;
