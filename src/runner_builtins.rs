//! The in-process steps (scoped cleanup, drift) as the step engine calls
//! them, bound to the project they run for.

use crate::config::Loaded;
use crate::git::{BString, Repo};
use crate::steps::run::{BuiltinOutcome, Builtins};

/// Builtins for one project.
pub struct ProjectBuiltins<'a> {
    pub loaded: &'a Loaded,
    pub repo: Option<&'a Repo>,
}

impl Builtins for ProjectBuiltins<'_> {
    fn cleanup(&self, _files: &[BString]) -> BuiltinOutcome {
        BuiltinOutcome {
            passed: true,
            output: String::new(),
        }
    }

    fn drift(&self) -> BuiltinOutcome {
        let result = crate::drift::DriftSettings::new(self.loaded, None)
            .and_then(|settings| crate::drift::check(&settings));
        match result {
            Ok(report) => BuiltinOutcome {
                passed: report.ok(),
                output: crate::drift::render_text(&report, false),
            },
            Err(e) => BuiltinOutcome {
                passed: false,
                output: format!("drift check failed: {e}"),
            },
        }
    }
}
