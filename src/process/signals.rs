//! SIGINT, SIGTERM and SIGHUP during a run: the first one stops the running
//! steps (their process groups get the same signal) and lets the run
//! restore the user's unstaged work before exiting with 130.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::process::Children;

/// Install the handlers; the flag turns true once a signal arrived.
pub fn install(children: Children) -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        if let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) {
            let flag = Arc::clone(&flag);
            std::thread::spawn(move || {
                for signal in signals.forever() {
                    flag.store(true, Ordering::SeqCst);
                    children.signal_all(signal);
                }
            });
        }
    }
    #[cfg(not(unix))]
    let _ = children;
    flag
}
