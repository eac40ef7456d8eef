//! The background thread behind [`FlushPolicy::EveryMillis`](crate::FlushPolicy::EveryMillis):
//! one per read-write handle opened with that policy, flushing the file's
//! shared state whenever it is dirty. The policies themselves, and the
//! accounting they read, are in the parent module.

use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};

use crate::shared_state::Shared;

/// Set to `true` (and signalled) when the last handle drops.
#[derive(Default)]
struct StopSignal {
    stopped: Mutex<bool>,
    wake: Condvar,
}

/// One background flusher per mapping. It holds only a `Weak` reference to
/// the mapping, so it never keeps it alive, and it is stopped and joined by
/// the last handle's drop.
pub(crate) struct BackgroundFlusher {
    signal: Arc<StopSignal>,
    thread: Option<JoinHandle<()>>,
}

impl BackgroundFlusher {
    pub(crate) fn spawn(shared: Weak<Shared>, interval_ms: u64) -> BackgroundFlusher {
        let signal = Arc::new(StopSignal::default());
        let thread_signal = Arc::clone(&signal);
        let interval = Duration::from_millis(interval_ms);
        let thread = std::thread::Builder::new()
            .name("mmapio-flusher".into())
            .spawn(move || run(&shared, &thread_signal, interval))
            .ok();
        // If the OS refuses a thread, the mapping still works; it flushes on
        // explicit `flush()` and on drop, as under `FlushPolicy::Manual`.
        BackgroundFlusher { signal, thread }
    }

    /// Wakes the thread, tells it to stop and waits for it to exit.
    pub(crate) fn stop(mut self) {
        *self.signal.stopped.lock() = true;
        self.signal.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// How long the flusher waits for the gate before it looks for a stop.
const GATE_STEP: Duration = Duration::from_millis(5);

fn run(shared: &Weak<Shared>, signal: &StopSignal, interval: Duration) {
    let mut stopped = signal.stopped.lock();
    loop {
        if !sleep_until_due(&mut stopped, signal, interval) {
            return;
        }
        // Flush without holding the signal lock, so a dropping handle never
        // waits behind a slow msync to set the flag.
        let keep_going = MutexGuard::unlocked(&mut stopped, || match shared.upgrade() {
            Some(shared) => {
                if shared.flush.is_dirty() {
                    // Errors leave the bytes pending; the next tick retries.
                    // Nothing can report an error from here; the next
                    // explicit flush or the final one will. The gate is
                    // waited for in steps, and given up on once a stop is
                    // signalled: the thread stopping this flusher may hold
                    // the file for writing, and would wait for it forever.
                    loop {
                        let path = std::path::Path::new("");
                        if shared.try_flush_for(path, GATE_STEP).is_some() {
                            break true;
                        }
                        if *signal.stopped.lock() {
                            break false;
                        }
                    }
                } else {
                    true
                }
            }
            None => false,
        });
        if !keep_going {
            return;
        }
    }
}

/// Sleeps for `interval`, measured with `Instant`; returns `false` as soon
/// as a stop is signalled. Spurious wake-ups go back to sleep for the time
/// left, computed with saturating arithmetic.
fn sleep_until_due(
    stopped: &mut MutexGuard<'_, bool>,
    signal: &StopSignal,
    interval: Duration,
) -> bool {
    let start = Instant::now();
    // An interval too long to represent as an Instant means "never due".
    let deadline = start.checked_add(interval);
    loop {
        if **stopped {
            return false;
        }
        match deadline {
            Some(deadline) => {
                if Instant::now().saturating_duration_since(start) >= interval {
                    return true;
                }
                signal.wake.wait_until(stopped, deadline);
            }
            None => signal.wake.wait(stopped),
        }
    }
}
