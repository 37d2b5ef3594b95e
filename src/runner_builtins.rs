//! The in-process steps (scoped cleanup, drift) as the step engine calls
//! them, bound to the project and hook they run for.

use crate::cleanup::{self, ScopedSettings};
use crate::config::Loaded;
use crate::config::model::CleanupHookMode;
use crate::git::{BString, ByteSlice, HookType};
use crate::printer::Printer;
use crate::steps::run::{BuiltinOutcome, Builtins};

/// Builtins for one project.
pub struct ProjectBuiltins<'a> {
    pub loaded: &'a Loaded,
    /// The hook being run: junk is unstaged (`[cleanup] hook = "unstage"`)
    /// only in a pre-commit hook, where the index is about to be committed.
    pub hook: Option<HookType>,
}

impl Builtins for ProjectBuiltins<'_> {
    fn cleanup(&self, files: &[BString]) -> BuiltinOutcome {
        let settings = match ScopedSettings::from_config(&self.loaded.config.cleanup) {
            Ok(s) => s,
            Err(e) => {
                return BuiltinOutcome {
                    passed: false,
                    output: format!("cleanup settings: {e}"),
                };
            }
        };
        let root = &self.loaded.root;
        let hits = cleanup::scoped_check(root, files, &settings);
        if hits.is_empty() {
            return BuiltinOutcome {
                passed: true,
                output: String::new(),
            };
        }
        let can_unstage = matches!(
            self.hook,
            Some(HookType::PreCommit | HookType::PreMergeCommit)
        );
        if settings.mode == CleanupHookMode::Unstage && can_unstage {
            return match cleanup::unstage(root, &hits) {
                Ok(()) => BuiltinOutcome {
                    passed: true,
                    output: format!(
                        "unstaged {} junk path(s), the files stay on disk:\n{}",
                        hits.len(),
                        hits.iter()
                            .map(|h| format!("  {}", h.path.to_str_lossy()))
                            .collect::<Vec<_>>()
                            .join("\n")
                    ),
                },
                Err(e) => BuiltinOutcome {
                    passed: false,
                    output: format!("could not unstage the junk paths: {e}"),
                },
            };
        }
        BuiltinOutcome {
            passed: false,
            output: cleanup::render_failure(&Printer::plain(), &hits),
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
