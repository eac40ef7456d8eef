//! `update_region_async`, `flush_async` and `flush_range_async` behave
//! exactly like their blocking counterparts, on more than one executor.
//!
//! Every scenario runs twice: under `futures_lite::future::block_on` (one
//! thread, polling in place) and under an `async_executor::Executor` driven
//! by four threads. Flushes are verified through `flush_stats()` counters,
//! never by re-reading the file (a `MAP_SHARED` write is visible in the page
//! cache whether or not it was flushed).
#![cfg(feature = "async")]

use async_executor::Executor;
use mmapio::{FlushPolicy, MemoryMappedFile, MmapIoError, MmapMode};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Runs `make()`'s future to completion on each executor in turn; `make`
/// receives the executor's name, for distinct file names.
fn on_each_executor(make: impl Fn(&'static str) -> BoxFuture) {
    // 1. futures-lite's block_on: polls on this thread.
    futures_lite::future::block_on(make("block_on"));

    // 2. async-executor: the future is a spawned task, run by this thread
    //    and three helpers, so its wake-ups may come from any of them.
    let ex = Executor::new();
    let stop = StopSignal::default();
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| futures_lite::future::block_on(ex.run(stop.wait())));
        }
        // Fires even if the task panics, so the helpers end and the scope
        // re-raises the panic instead of hanging.
        let _stop_helpers = FireOnDrop(&stop);
        let task = ex.spawn(make("executor"));
        futures_lite::future::block_on(ex.run(task));
    });
}

/// A one-shot signal that tells the executor's helper threads to return.
#[derive(Default)]
struct StopSignal(std::sync::Mutex<(bool, Vec<std::task::Waker>)>);

impl StopSignal {
    fn fire(&self) {
        let wakers = {
            let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
            state.0 = true;
            std::mem::take(&mut state.1)
        };
        wakers.into_iter().for_each(std::task::Waker::wake);
    }

    async fn wait(&self) {
        futures_lite::future::poll_fn(|cx| {
            let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
            if state.0 {
                return std::task::Poll::Ready(());
            }
            state.1.push(cx.waker().clone());
            std::task::Poll::Pending
        })
        .await
    }
}

struct FireOnDrop<'a>(&'a StopSignal);

impl Drop for FireOnDrop<'_> {
    fn drop(&mut self) {
        self.0.fire();
    }
}

fn create(dir: &Path, name: &str, len: u64, policy: FlushPolicy) -> MemoryMappedFile {
    MemoryMappedFile::builder(dir.join(name))
        .size(len)
        .flush_policy(policy)
        .create()
        .expect("create mapping")
}

#[test]
fn write_then_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let dir_path = dir.path().to_path_buf();
    on_each_executor(|exec| {
        let map = create(&dir_path, exec, 4096, FlushPolicy::Manual);
        Box::pin(async move {
            map.update_region_async(100, b"hello async".to_vec())
                .await
                .unwrap();
            // A borrowed slice is copied at call time.
            let borrowed = vec![0xAB_u8; 8];
            let fut = map.update_region_async(200, &borrowed[..]);
            drop(borrowed);
            fut.await.unwrap();
            assert_eq!(map.as_slice(100, 11).unwrap(), b"hello async");
            assert_eq!(map.as_slice(200, 8).unwrap(), [0xAB; 8]);
            let stats = map.flush_stats();
            assert_eq!(stats.pending_writes, 2);
            assert_eq!(stats.pending_bytes, 19);
            assert_eq!(stats.flushes, 0);
            // An empty write is validated and does nothing.
            map.update_region_async(4096, Vec::new()).await.unwrap();
        })
    });
}

#[test]
fn flush_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let dir_path = dir.path().to_path_buf();
    on_each_executor(|exec| {
        let map = create(&dir_path, exec, 4096, FlushPolicy::Manual);
        Box::pin(async move {
            map.update_region_async(0, vec![1u8; 64]).await.unwrap();
            assert_eq!(map.flush_stats().flushes, 0);
            map.flush_async().await.unwrap();
            let stats = map.flush_stats();
            assert_eq!(stats.flushes, 1);
            assert_eq!(stats.pending_bytes, 0);
            assert_eq!(stats.pending_writes, 0);
            map.flush_async().await.unwrap();
            assert_eq!(map.flush_stats().flushes, 2, "flush always flushes");
        })
    });
}

#[test]
fn flush_policy_applies_to_async_writes() {
    let dir = tempfile::tempdir().unwrap();
    let dir_path = dir.path().to_path_buf();
    on_each_executor(|exec| {
        let map = create(&dir_path, exec, 4096, FlushPolicy::EveryWrites(2));
        Box::pin(async move {
            map.update_region_async(0, b"one".to_vec()).await.unwrap();
            assert_eq!(map.flush_stats().flushes, 0);
            map.update_region_async(3, b"two".to_vec()).await.unwrap();
            assert_eq!(map.flush_stats().flushes, 1);
        })
    });
}

#[test]
fn flush_range_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let dir_path = dir.path().to_path_buf();
    on_each_executor(|exec| {
        let map = create(&dir_path, exec, 8192, FlushPolicy::Manual);
        Box::pin(async move {
            map.update_region_async(4096, b"page two".to_vec())
                .await
                .unwrap();
            map.flush_range_async(4096, 8).await.unwrap();
            let stats = map.flush_stats();
            assert_eq!(stats.range_flushes, 1);
            assert_eq!(stats.flushes, 0, "a range flush is not a full flush");
            assert_eq!(stats.pending_writes, 1, "range flushes leave pending alone");
            // An empty range has nothing to flush: no msync, not counted.
            map.flush_range_async(0, 0).await.unwrap();
            assert_eq!(map.flush_stats().range_flushes, 1);
        })
    });
}

#[test]
fn out_of_bounds_errors_propagate_with_exact_fields() {
    let dir = tempfile::tempdir().unwrap();
    let dir_path = dir.path().to_path_buf();
    on_each_executor(|exec| {
        let map = create(&dir_path, exec, 4096, FlushPolicy::Manual);
        Box::pin(async move {
            match map.update_region_async(4090, vec![0u8; 7]).await {
                Err(MmapIoError::OutOfBounds { offset, len, total }) => {
                    assert_eq!((offset, len, total), (4090, 7, 4096));
                }
                other => panic!("expected OutOfBounds, got {other:?}"),
            }
            match map.update_region_async(u64::MAX, vec![1u8]).await {
                Err(MmapIoError::OutOfBounds { offset, len, total }) => {
                    assert_eq!((offset, len, total), (u64::MAX, 1, 4096));
                }
                other => panic!("expected OutOfBounds, got {other:?}"),
            }
            match map.flush_range_async(1, u64::MAX).await {
                Err(MmapIoError::OutOfBounds { offset, len, total }) => {
                    assert_eq!((offset, len, total), (1, u64::MAX, 4096));
                }
                other => panic!("expected OutOfBounds, got {other:?}"),
            }
            let stats = map.flush_stats();
            assert_eq!(stats.pending_writes, 0, "failed writes count nothing");
            assert_eq!(stats.range_flushes, 0);
        })
    });
}

#[test]
fn invalid_mode_errors_propagate_with_exact_fields() {
    let dir = tempfile::tempdir().unwrap();
    let dir_path = dir.path().to_path_buf();
    on_each_executor(|exec| {
        drop(create(&dir_path, exec, 4096, FlushPolicy::Manual));
        let ro = MemoryMappedFile::open_ro(dir_path.join(exec)).unwrap();
        Box::pin(async move {
            match ro.update_region_async(0, b"nope".to_vec()).await {
                Err(MmapIoError::InvalidMode { op, mode }) => {
                    assert_eq!(op, "update_region");
                    assert_eq!(mode, MmapMode::ReadOnly);
                }
                other => panic!("expected InvalidMode, got {other:?}"),
            }
            // As with the blocking methods: flushing a read-only mapping is
            // a successful no-op, and range bounds are still checked.
            ro.flush_async().await.unwrap();
            ro.flush_range_async(0, 4096).await.unwrap();
            assert!(matches!(
                ro.flush_range_async(4096, 1).await,
                Err(MmapIoError::OutOfBounds {
                    offset: 4096,
                    len: 1,
                    total: 4096
                })
            ));
            assert_eq!(ro.as_slice(0, 4).unwrap(), [0u8; 4]);
        })
    });
}

#[test]
fn many_concurrent_writes_to_distinct_regions_all_land() {
    const WRITES: u64 = 256;
    const SIZE: u64 = 64;
    let dir = tempfile::tempdir().unwrap();
    let dir_path = dir.path().to_path_buf();
    on_each_executor(|exec| {
        let map = create(&dir_path, exec, WRITES * SIZE, FlushPolicy::Manual);
        Box::pin(async move {
            // All futures are in flight at once: `zip`-style joining by
            // polling every one until all are done.
            let futures: Vec<_> = (0..WRITES)
                .map(|i| {
                    let byte = (i % 251) as u8 + 1;
                    Box::pin(map.update_region_async(i * SIZE, vec![byte; SIZE as usize]))
                })
                .collect();
            for result in join_all(futures).await {
                result.unwrap();
            }
            for i in 0..WRITES {
                let byte = (i % 251) as u8 + 1;
                let view = map.as_slice(i * SIZE, SIZE).unwrap();
                assert!(view.iter().all(|&b| b == byte), "region {i} did not land");
            }
            let stats = map.flush_stats();
            assert_eq!(stats.pending_writes, WRITES);
            assert_eq!(stats.pending_bytes, WRITES * SIZE);
            map.flush_async().await.unwrap();
            assert_eq!(map.flush_stats().flushes, 1);
        })
    });
}

#[test]
fn futures_are_send_static_and_outlive_the_handle() {
    // Created here, awaited on other threads, after the handle they came
    // from has been dropped.
    let dir = tempfile::tempdir().unwrap();
    let map = create(dir.path(), "spawned", 4096, FlushPolicy::Manual);
    let reader = map.clone();
    let write = map.update_region_async(0, b"from a thread".to_vec());
    let flush = map.flush_async();
    drop(map);
    std::thread::spawn(move || futures_lite::future::block_on(write))
        .join()
        .unwrap()
        .unwrap();
    let ex = Executor::new();
    let task = ex.spawn(flush);
    std::thread::spawn(move || futures_lite::future::block_on(ex.run(task)))
        .join()
        .unwrap()
        .unwrap();
    assert_eq!(reader.as_slice(0, 13).unwrap(), b"from a thread");
    assert_eq!(reader.flush_stats().flushes, 1);
}

#[test]
fn a_future_dropped_after_its_first_poll_still_runs() {
    let dir = tempfile::tempdir().unwrap();
    let map = create(dir.path(), "dropped", 4096, FlushPolicy::Manual);
    let mut write = Box::pin(map.update_region_async(0, vec![0x5A; 32]));
    // Poll exactly once, then drop.
    let polled = futures_lite::future::block_on(futures_lite::future::poll_once(&mut write));
    drop(write);
    if polled.is_none() {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while map.flush_stats().pending_writes == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the dropped write never ran"
            );
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
    assert_eq!(map.as_slice(0, 32).unwrap(), [0x5A; 32]);

    // Never polled: nothing happens.
    drop(map.update_region_async(100, vec![1u8; 4]));
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(map.flush_stats().pending_writes, 1);
    assert_eq!(map.as_slice(100, 4).unwrap(), [0u8; 4]);
}

/// Polls every future until all have finished; results in input order.
async fn join_all<F: Future + Unpin>(futures: Vec<F>) -> Vec<F::Output> {
    let mut slots: Vec<(F, Option<F::Output>)> = futures.into_iter().map(|f| (f, None)).collect();
    futures_lite::future::poll_fn(move |cx| {
        let mut all_done = true;
        for (future, out) in slots.iter_mut() {
            if out.is_none() {
                match Pin::new(future).poll(cx) {
                    std::task::Poll::Ready(v) => *out = Some(v),
                    std::task::Poll::Pending => all_done = false,
                }
            }
        }
        if all_done {
            std::task::Poll::Ready(slots.iter_mut().filter_map(|(_, o)| o.take()).collect())
        } else {
            std::task::Poll::Pending
        }
    })
    .await
}
