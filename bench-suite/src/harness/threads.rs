//! Timing work done on several threads at once: the multi-threaded
//! workloads' routines spawn their threads before the clock starts and
//! release them together, so that only the work they do side by side is
//! timed, never a thread's start or exit.

use std::sync::Barrier;
use std::time::Duration;

use super::alloc::TimedRegion;

/// Runs `work` on one new thread per element of `states`, each thread on
/// its own element, and returns what each returned, in order, with the
/// time from their release to the moment the last of them was done.
///
/// The threads are spawned first and wait at a barrier; the timed region
/// starts, a second barrier releases them all at once, and it ends when a
/// third has seen every one of them finish. No thread sleeps on the way:
/// a barrier wakes its waiters as soon as the last one arrives.
pub fn timed_on_threads<S, R>(
    states: &mut [S],
    work: impl Fn(&mut S) -> R + Sync,
) -> (Duration, Vec<R>)
where
    S: Send,
    R: Send,
{
    let threads = states.len();
    let ready = Barrier::new(threads + 1);
    let start = Barrier::new(threads + 1);
    let done = Barrier::new(threads + 1);
    std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> = states
            .iter_mut()
            .map(|state| {
                let (ready, start, done) = (&ready, &start, &done);
                scope.spawn(move || {
                    ready.wait();
                    start.wait();
                    let result = work(state);
                    done.wait();
                    result
                })
            })
            .collect();
        ready.wait();
        let region = TimedRegion::start();
        start.wait();
        done.wait();
        let elapsed = region.stop();
        let results = handles
            .into_iter()
            .map(|handle| handle.join().expect("a timed thread panicked"))
            .collect();
        (elapsed, results)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn every_thread_works_on_its_own_state_and_returns_in_order() {
        let running = AtomicUsize::new(0);
        let mut states: Vec<u64> = vec![1, 2, 3];
        let (_, results) = timed_on_threads(&mut states, |state| {
            running.fetch_add(1, Ordering::SeqCst);
            *state *= 10;
            *state + 1
        });
        assert_eq!(states, [10, 20, 30]);
        assert_eq!(results, [11, 21, 31]);
        assert_eq!(running.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn the_time_covers_the_slowest_thread() {
        let mut states = [Duration::from_millis(1), Duration::from_millis(20)];
        let (elapsed, _) = timed_on_threads(&mut states, |pause| {
            let started = std::time::Instant::now();
            while started.elapsed() < *pause {
                std::hint::spin_loop();
            }
        });
        assert!(elapsed >= Duration::from_millis(20), "{elapsed:?}");
    }
}
