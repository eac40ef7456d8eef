//! Async forms of the writing and flushing methods (feature `async`):
//! [`MemoryMappedFile::update_region_async`],
//! [`MemoryMappedFile::flush_async`] and
//! [`MemoryMappedFile::flush_range_async`].
//!
//! Each one clones the handle (two reference counts) and runs the blocking
//! method on the `blocking` crate's thread pool through
//! [`blocking::unblock`], so they work on any executor (async-executor,
//! smol, tokio, `futures_lite::future::block_on`, `pollster`, ...) without
//! this crate depending on one.
//!
//! # The futures
//! * They are `Send + 'static`: they own a clone of the handle and, for
//!   writes, the bytes; they borrow nothing from the caller, so they can be
//!   spawned on any executor.
//! * Like every future, they do nothing until first polled.
//! * `blocking::unblock(f)` queues `f` on the pool immediately and returns a
//!   `blocking::Task` (an `async_task::Task`). Dropping such a task *cancels*
//!   it: if no pool thread has started `f` yet, `f` never runs. These futures
//!   instead *detach* the task when dropped, so once a future has been
//!   polled once, its operation runs to completion even if the future is
//!   dropped; only the result is lost.
//! * Results and errors are exactly those of the blocking method, which is
//!   what runs. (`blocking` re-raises a panic of the job in the awaiting
//!   task, but the blocking methods never panic.)
//! * The pool runs up to 500 threads by default (`BLOCKING_MAX_THREADS`
//!   changes that); jobs beyond that wait their turn.
//! * Do not hold a view ([`MappedSlice`](crate::MappedSlice), an iterator)
//!   of a read-write mapping across `.await` of one of these futures: the
//!   pool thread would wait for the write lock the view blocks, and a
//!   single-threaded executor would wait for the pool thread.
//! * A pending future holds a clone of the handle, so
//!   [`unmap`](MemoryMappedFile::unmap) refuses until it has finished.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::{MemoryMappedFile, Result};

/// A `blocking` task that is detached, not cancelled, when dropped.
struct DetachOnDrop<T>(Option<blocking::Task<T>>);

impl<T> Future for DetachOnDrop<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let Some(task) = self.0.as_mut() else {
            // Polled after completion: a contract violation by the caller.
            // Never resolve again rather than panic.
            return Poll::Pending;
        };
        match Pin::new(task).poll(cx) {
            Poll::Ready(value) => {
                self.0 = None;
                Poll::Ready(value)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Drop for DetachOnDrop<T> {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.detach();
        }
    }
}

/// Runs `job` on the blocking pool once the returned future is first
/// polled; see the module docs for the guarantees.
pub(crate) async fn run_blocking<T, F>(job: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    DetachOnDrop(Some(blocking::unblock(job))).await
}

impl MemoryMappedFile {
    /// [`update_region`](Self::update_region) on the blocking thread pool:
    /// copies `data` into a read-write mapping at `offset`, then applies the
    /// flush policy.
    ///
    /// `data` is converted to a `Vec<u8>` when this method is called (a
    /// `Vec` is moved, a slice copied), so the future borrows nothing. The
    /// future is `Send + 'static`; once polled, the write happens even if
    /// the future is dropped (see [`flush_async`](Self::flush_async) for
    /// why). The result is exactly
    /// [`update_region`](Self::update_region)'s: for example
    /// [`MmapIoError::OutOfBounds`](crate::MmapIoError::OutOfBounds) or
    /// [`MmapIoError::InvalidMode`](crate::MmapIoError::InvalidMode).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("a.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 64)?;
    /// futures_lite::future::block_on(map.update_region_async(8, b"async".to_vec()))?;
    /// assert_eq!(map.as_slice(8, 5)?, b"async");
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn update_region_async(
        &self,
        offset: u64,
        data: impl Into<Vec<u8>>,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let map = self.clone();
        let data: Vec<u8> = data.into();
        run_blocking(move || map.update_region(offset, &data))
    }

    /// [`flush`](Self::flush) on the blocking thread pool: writes every
    /// dirty page back and waits for the device (`msync(MS_SYNC)`).
    ///
    /// The future is `Send + 'static` and does nothing until polled. On its
    /// first poll the flush is handed to `blocking::unblock`, which queues it
    /// at once; dropping a `blocking` task would cancel a job that has not
    /// started, so this future detaches it instead: the flush runs even if
    /// the future is dropped, and only its result is lost. The result is
    /// exactly [`flush`](Self::flush)'s, and a successful flush is counted in
    /// [`FlushStats::flushes`](crate::FlushStats::flushes).
    ///
    /// The `*_async` methods clone the handle and run the blocking method
    /// through `blocking::unblock` on the `blocking` crate's thread pool (up
    /// to 500 threads by default, `BLOCKING_MAX_THREADS` to change), so they
    /// work on any executor without a tokio dependency. Do not hold a view
    /// of a read-write mapping across `.await` of one of them: the pool
    /// thread would wait for the lock the view holds. A pending future
    /// holds a clone of the handle, so [`unmap`](Self::unmap) refuses until
    /// it has finished.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("f.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 64)?;
    /// map.update_region(0, b"durable")?;
    /// futures_lite::future::block_on(map.flush_async())?;
    /// assert_eq!(map.flush_stats().flushes, 1);
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn flush_async(&self) -> impl Future<Output = Result<()>> + Send + 'static {
        let map = self.clone();
        run_blocking(move || map.flush())
    }

    /// [`flush_range`](Self::flush_range) on the blocking thread pool:
    /// flushes `len` bytes at `offset`.
    ///
    /// Same guarantees as [`flush_async`](Self::flush_async). The result is
    /// exactly [`flush_range`](Self::flush_range)'s (bounds are checked in
    /// every mode), and a successful range flush of a read-write mapping is
    /// counted in [`FlushStats::range_flushes`](crate::FlushStats::range_flushes).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("r.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 8192)?;
    /// map.update_region(4096, b"page two")?;
    /// futures_lite::future::block_on(map.flush_range_async(4096, 8))?;
    /// assert_eq!(map.flush_stats().range_flushes, 1);
    /// assert!(futures_lite::future::block_on(map.flush_range_async(8192, 1)).is_err());
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn flush_range_async(
        &self,
        offset: u64,
        len: u64,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let map = self.clone();
        run_blocking(move || map.flush_range(offset, len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FlushPolicy;

    fn assert_send_static<T: Send + 'static>(_: &T) {}

    #[test]
    #[cfg_attr(
        miri,
        ignore = "the blocking crate's pool threads outlive the test, which Miri reports as a leak"
    )]
    fn futures_are_send_and_static_even_for_borrowed_input() {
        let map = MemoryMappedFile::heap_rw(vec![0; 16], FlushPolicy::Manual);
        let bytes = [1u8, 2, 3];
        let fut = map.update_region_async(0, &bytes[..]);
        assert_send_static(&fut);
        assert_send_static(&map.flush_async());
        assert_send_static(&map.flush_range_async(0, 1));
        drop(fut); // never polled: nothing happens
        assert_eq!(map.flush_stats().pending_writes, 0);
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "the blocking crate's pool threads outlive the test, which Miri reports as a leak"
    )]
    fn dropped_after_first_poll_still_runs() {
        use std::task::Waker;
        let map = MemoryMappedFile::heap_rw(vec![0; 16], FlushPolicy::Manual);
        let mut fut = Box::pin(map.update_region_async(4, vec![9u8; 4]));
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        let first = fut.as_mut().poll(&mut cx);
        drop(fut);
        if first.is_pending() {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while map.flush_stats().pending_writes == 0 && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
        assert_eq!(map.flush_stats().pending_writes, 1);
        assert_eq!(map.as_slice(4, 4).unwrap(), [9u8; 4]);

        fn noop_waker() -> Waker {
            struct Noop;
            impl std::task::Wake for Noop {
                fn wake(self: std::sync::Arc<Self>) {}
            }
            Waker::from(std::sync::Arc::new(Noop))
        }
    }
}
