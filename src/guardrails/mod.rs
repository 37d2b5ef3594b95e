//! Guard-rails: the quality and security pipeline. The presets live here;
//! the engine that runs them is [`crate::steps`], shared with the hooks.

pub mod presets;
