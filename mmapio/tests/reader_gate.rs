//! The reader gate of a read-write file, through the public API: a writer
//! is not starved by views that overlap each other, a thread's own view
//! makes its writers refuse instead of hang, and no view ever sees a write
//! in progress, under each of the gate's strategies.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::{child_test_command, spawn_waiter, wait_with_output_within};
use mmapio::{MemoryMappedFile, MmapIoError};

/// Anything a test holds for a while: a view, an iterator, a reader.
trait Held {}
impl<T> Held for T {}

fn rw_map(dir: &tempfile::TempDir, name: &str, len: u64) -> MemoryMappedFile {
    MemoryMappedFile::create_rw(dir.path().join(name), len).unwrap()
}

#[test]
fn a_writer_gets_in_between_overlapping_readers() {
    let dir = tempfile::tempdir().unwrap();
    let map = Arc::new(rw_map(&dir, "starve.bin", 4096));
    const HOLD: Duration = Duration::from_millis(20);
    let stop = Arc::new(AtomicBool::new(false));
    let views_taken = Arc::new(AtomicUsize::new(0));
    let both_viewing = Arc::new(Barrier::new(3));
    let readers: Vec<_> = (0..2)
        .map(|i| {
            let (map, stop, taken, both) = (
                Arc::clone(&map),
                Arc::clone(&stop),
                Arc::clone(&views_taken),
                Arc::clone(&both_viewing),
            );
            std::thread::spawn(move || {
                let mut first = true;
                // The second reader starts half a hold later, so that one of
                // the two views is live at every moment.
                if i == 1 {
                    std::thread::sleep(HOLD / 2);
                }
                while !stop.load(Ordering::Acquire) {
                    let view = map.as_slice(0, 8).unwrap();
                    taken.fetch_add(1, Ordering::Relaxed);
                    if first {
                        both.wait();
                        first = false;
                    }
                    std::thread::sleep(HOLD);
                    drop(view);
                }
            })
        })
        .collect();
    both_viewing.wait(); // the start signal: both readers hold a view
    let started = Instant::now();
    let writer = {
        let map = Arc::clone(&map);
        spawn_waiter(move || map.update_region(0, b"written!"))
    };
    writer
        .finish("a write between overlapping readers")
        .unwrap();
    let waited = started.elapsed();
    stop.store(true, Ordering::Release);
    for reader in readers {
        reader.join().unwrap();
    }
    assert_eq!(map.as_slice(0, 8).unwrap(), b"written!");
    // One hold of each live view, with a wide margin for a loaded machine;
    // readers that never let a writer in kept it out for seconds.
    assert!(
        waited < Duration::from_secs(1),
        "the writer waited {waited:?} behind views held {HOLD:?} each"
    );
    println!(
        "writer waited {waited:?}; {} views taken",
        views_taken.load(Ordering::Relaxed)
    );
}

/// Every writer, asked for by the thread that holds a view through `viewer`
/// while `writer` is another handle of the same file (or the same one),
/// returns `WouldDeadlock`; after the view ends they work, from any thread.
fn writers_refuse_beside_own_view(
    viewer: MemoryMappedFile,
    writer: MemoryMappedFile,
    hold: fn(&MemoryMappedFile) -> Box<dyn Held + '_>,
) {
    let writer = Arc::new(writer);
    let results = {
        let writer = Arc::clone(&writer);
        spawn_waiter(move || {
            let view = hold(&viewer);
            let results = vec![
                ("update_region", writer.update_region(0, b"x").map(drop)),
                ("resize", writer.resize(8192).map(drop)),
                ("as_slice_mut", writer.as_slice_mut(0, 1).map(drop)),
                #[cfg(feature = "iterator")]
                (
                    "chunks_mut",
                    writer.chunks_mut(4096).for_each_mut(|_, _| Ok(())),
                ),
                #[cfg(feature = "atomic")]
                ("atomic_u64", writer.atomic_u64(0).map(drop)),
            ];
            let try_write = writer.try_update_region(0, b"x");
            drop(view);
            (results, try_write, viewer)
        })
        .finish("writers beside this thread's own view")
    };
    let (results, try_write, viewer) = results;
    for (op, result) in results {
        assert!(
            matches!(result, Err(MmapIoError::WouldDeadlock { op: o }) if o == op),
            "{op}: {result:?}"
        );
    }
    assert!(matches!(try_write, Ok(false)), "try form: {try_write:?}");
    // Nothing is wedged: another thread writes, then this one.
    let other = Arc::clone(&writer);
    spawn_waiter(move || other.update_region(0, b"y"))
        .finish("a write after the refusals")
        .unwrap();
    writer.update_region(1, b"z").unwrap();
    assert_eq!(viewer.as_slice(0, 2).unwrap(), b"yz");
}

fn a_slice(map: &MemoryMappedFile) -> Box<dyn Held + '_> {
    Box::new(map.as_slice(0, 8).unwrap())
}

#[test]
fn a_threads_own_slice_makes_its_writers_refuse() {
    let dir = tempfile::tempdir().unwrap();
    let map = rw_map(&dir, "own.bin", 4096);
    writers_refuse_beside_own_view(map.clone(), map, a_slice);
}

#[test]
fn a_threads_own_slice_of_another_handle_makes_its_writers_refuse() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.bin");
    let first = MemoryMappedFile::create_rw(&path, 4096).unwrap();
    let second = MemoryMappedFile::open_rw(&path).unwrap();
    writers_refuse_beside_own_view(first, second, a_slice);
}

#[test]
fn a_threads_own_read_only_handles_view_makes_its_writers_refuse() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ro.bin");
    let writer = MemoryMappedFile::create_rw(&path, 4096).unwrap();
    let reader = MemoryMappedFile::open_ro(&path).unwrap();
    writers_refuse_beside_own_view(reader, writer, a_slice);
}

#[cfg(feature = "iterator")]
#[test]
fn a_threads_own_chunk_makes_its_writers_refuse() {
    fn a_chunk(map: &MemoryMappedFile) -> Box<dyn Held + '_> {
        let mut chunks = map.chunks(4096);
        let first = chunks.next().unwrap();
        Box::new((first, chunks))
    }
    let dir = tempfile::tempdir().unwrap();
    let map = rw_map(&dir, "chunk.bin", 3 * 4096);
    writers_refuse_beside_own_view(map.clone(), map, a_chunk);
}

#[test]
fn a_threads_own_reader_makes_its_writers_refuse() {
    fn a_reader(map: &MemoryMappedFile) -> Box<dyn Held + '_> {
        Box::new(map.reader())
    }
    let dir = tempfile::tempdir().unwrap();
    let map = rw_map(&dir, "reader.bin", 4096);
    writers_refuse_beside_own_view(map.clone(), map, a_reader);
}

/// The environment variable that makes `torn_read_stress` run (in a child
/// process, whose gate strategy is forced by `MMAPIO_READER_GATE`).
const STRESS_CHILD: &str = "MMAPIO_TEST_TORN_READ_STRESS";

/// Views compared again with their first snapshot after `yield_now`, while
/// a writer fills whole blocks and resizes: read-only and read-write
/// handles of one file (the read-only one opened first or last), long holds, threads that start and exit mid-run,
/// and more files per thread than a thread has slots.
#[test]
fn torn_read_stress() {
    if std::env::var_os(STRESS_CHILD).is_none() {
        return; // run by `torn_reads_never_happen_under_any_strategy`
    }
    const BLOCK: u64 = 4096;
    const BLOCKS: u64 = 8;
    const FILES: usize = 12;
    let dir = tempfile::tempdir().unwrap();
    // Half the files are opened read-only first, so their read-write
    // handle joins a read-only state and its first write maps it again.
    let path = |i: usize| dir.path().join(format!("f{i}.bin"));
    let mut readers = Vec::new();
    for i in (0..FILES).step_by(2) {
        std::fs::write(path(i), vec![0; (BLOCK * BLOCKS) as usize]).unwrap();
        readers.push((i, MemoryMappedFile::open_ro(path(i)).unwrap()));
    }
    let writers: Vec<MemoryMappedFile> = (0..FILES)
        .map(|i| match i % 2 {
            0 => MemoryMappedFile::open_rw(path(i)).unwrap(),
            _ => rw_map(&dir, &format!("f{i}.bin"), BLOCK * BLOCKS),
        })
        .collect();
    for i in (1..FILES).step_by(2) {
        readers.push((i, MemoryMappedFile::open_ro(path(i)).unwrap()));
    }
    readers.sort_by_key(|(i, _)| *i);
    let readers: Vec<MemoryMappedFile> = readers.into_iter().map(|(_, map)| map).collect();
    let stop = AtomicBool::new(false);
    let views = AtomicUsize::new(0);
    let check = |view: &[u8]| {
        let first = view.to_vec();
        std::thread::yield_now();
        assert_eq!(view, &first[..], "a view changed");
        assert!(first.iter().all(|&b| b == first[0]), "a torn block");
    };
    std::thread::scope(|s| {
        s.spawn(|| {
            for round in 0..2000u32 {
                let file = &writers[round as usize % FILES];
                let block = u64::from(round) % BLOCKS;
                file.update_region(block * BLOCK, &[round as u8; BLOCK as usize])
                    .unwrap();
                if round % 500 == 499 {
                    // Shrink and grow back: views never see past the length.
                    file.resize(BLOCK * (BLOCKS - 1)).unwrap();
                    file.resize(BLOCK * BLOCKS).unwrap();
                }
            }
            stop.store(true, Ordering::Release);
        });
        // Views of every file at once (more than a thread's slots).
        s.spawn(|| {
            while !stop.load(Ordering::Acquire) {
                let held: Vec<_> = writers
                    .iter()
                    .map(|f| f.as_slice(0, BLOCK).unwrap())
                    .collect();
                held.iter().for_each(|v| check(v));
                views.fetch_add(held.len(), Ordering::Relaxed);
            }
        });
        // Threads that come and go, through read-only handles, some holding
        // their views for a while.
        s.spawn(|| {
            let mut generation = 0u64;
            while !stop.load(Ordering::Acquire) {
                generation += 1;
                std::thread::scope(|inner| {
                    inner.spawn(|| {
                        for (i, file) in readers.iter().enumerate() {
                            let block = (generation + i as u64) % (BLOCKS - 1);
                            let view = file.as_slice(block * BLOCK, BLOCK).unwrap();
                            check(&view);
                            if generation % 16 == 0 {
                                std::thread::sleep(Duration::from_millis(1));
                                check(&view);
                            }
                            views.fetch_add(1, Ordering::Relaxed);
                        }
                    });
                });
            }
        });
    });
    println!("views checked: {}", views.load(Ordering::Relaxed));
    assert!(views.load(Ordering::Relaxed) > 0);
}

#[test]
fn torn_reads_never_happen_under_any_strategy() {
    for strategy in ["auto", "fence", "lock"] {
        let mut command = child_test_command("torn_read_stress", STRESS_CHILD);
        command.env("MMAPIO_READER_GATE", strategy);
        let child = command.spawn().unwrap();
        let (status, out, err) =
            wait_with_output_within(child, Duration::from_secs(120), "the stress test");
        assert!(
            status.success(),
            "strategy {strategy}: {status}\n{out}\n{err}"
        );
        assert!(out.contains("views checked"), "strategy {strategy}: {out}");
    }
}

/// A reader asked for by the thread that holds the file for writing (a
/// `MappedSliceMut`, or inside a `for_each_mut` walk) would wait for that
/// thread: `try_reader` says `WouldDeadlock`, `reader` gives a reader whose
/// reads fail with it. Run under a timeout: the old code hung here.
#[test]
fn a_reader_beside_the_threads_own_writing_refuses() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let map = rw_map(&dir, "reader.bin", 8192);
    let other = MemoryMappedFile::open_rw(dir.path().join("reader.bin")).unwrap();
    let outcomes = spawn_waiter(move || {
        let mut outcomes = Vec::new();
        let view = map.as_slice_mut(0, 8).unwrap();
        for handle in [&map, &other] {
            let refused = matches!(
                handle.try_reader(),
                Err(MmapIoError::WouldDeadlock { op: "reader" })
            );
            let mut bytes = Vec::new();
            let read = handle.reader().read_to_end(&mut bytes);
            let source_is_typed = read.as_ref().is_err_and(|e| {
                e.get_ref()
                    .and_then(|s| s.downcast_ref::<MmapIoError>())
                    .is_some_and(|s| matches!(s, MmapIoError::WouldDeadlock { .. }))
            });
            outcomes.push((refused, source_is_typed, bytes.is_empty()));
        }
        drop(view);
        #[cfg(feature = "iterator")]
        {
            let mut inside = None;
            map.chunks_mut(4096)
                .for_each_mut(|_, _| {
                    inside.get_or_insert_with(|| other.try_reader().map(drop));
                    Ok(())
                })
                .unwrap();
            let refused = matches!(inside, Some(Err(MmapIoError::WouldDeadlock { .. })));
            outcomes.push((refused, true, true));
        }
        // Nothing is wedged: the reader works once the writing ended.
        let mut bytes = Vec::new();
        map.reader().read_to_end(&mut bytes).unwrap();
        outcomes.push((bytes.len() == 8192, true, true));
        outcomes
    })
    .finish("a reader beside this thread's own writing");
    for (i, outcome) in outcomes.into_iter().enumerate() {
        assert_eq!(outcome, (true, true, true), "case {i}");
    }
}

/// Opening the file again with a larger `size` grows it, which waits for
/// every view: beside the thread's own view that is `WouldDeadlock`, and
/// the file keeps its length.
#[test]
fn a_growing_open_beside_the_threads_own_view_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grow.bin");
    let map = MemoryMappedFile::create_rw(&path, 4096).unwrap();
    let outcome = spawn_waiter(move || {
        let view = map.as_slice(0, 8).unwrap();
        let grown = MemoryMappedFile::builder(&path)
            .mode(mmapio::MmapMode::ReadWrite)
            .size(8192)
            .grow_existing(true)
            .open()
            .map(drop);
        drop(view);
        (grown, map.len())
    })
    .finish("a growing open beside this thread's own view");
    assert!(
        matches!(outcome.0, Err(MmapIoError::WouldDeadlock { .. })),
        "{:?}",
        outcome.0
    );
    assert_eq!(outcome.1, 4096);
}

/// Dropping a handle whose `EveryMillis` flusher is waiting for the gate,
/// on the thread that holds the file for writing through another handle,
/// stops the flusher instead of waiting for it forever.
#[test]
fn dropping_a_handle_never_waits_for_its_own_flusher() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flusher.bin");
    let writer = MemoryMappedFile::create_rw(&path, 4096).unwrap();
    let timed = MemoryMappedFile::builder(&path)
        .mode(mmapio::MmapMode::ReadWrite)
        .flush_policy(mmapio::FlushPolicy::EveryMillis(1))
        .open()
        .unwrap();
    let flushes = spawn_waiter(move || {
        timed.update_region(0, b"dirty").unwrap();
        let mut view = writer.as_slice_mut(0, 8).unwrap();
        // The flusher's next tick finds the file dirty and waits for the
        // gate this thread holds for writing.
        std::thread::sleep(Duration::from_millis(20));
        view[0] = b'D';
        drop(timed);
        drop(view);
        writer.flush().unwrap();
        writer.flush_stats().flushes
    })
    .finish("dropping a handle beside its waiting flusher");
    assert!(flushes >= 1);
}

/// An `Eager` open touches every page under the gate; beside the thread's
/// own atomic view of the file (which holds the gate for writing) it must
/// not wait for that thread.
#[cfg(feature = "atomic")]
#[test]
fn an_eager_open_beside_the_threads_own_atomic_view_does_not_hang() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("eager.bin");
    let map = MemoryMappedFile::create_rw(&path, 8192).unwrap();
    let outcome = spawn_waiter(move || {
        let counter = map.atomic_u64(0).unwrap();
        counter.fetch_add(1, Ordering::Relaxed);
        let eager = MemoryMappedFile::builder(&path)
            .mode(mmapio::MmapMode::ReadWrite)
            .touch_hint(mmapio::TouchHint::Eager)
            .open()
            .map(|m| m.len());
        drop(counter);
        eager
    })
    .finish("an eager open beside this thread's own atomic view");
    // Under the atomic views the touch becomes a read-ahead request (a
    // system call, no byte read), and the open succeeds.
    assert!(matches!(outcome, Ok(8192)), "{outcome:?}");
}

/// Atomic views hold the gate for writing on behalf of all of them: a
/// byte view, copy, reader or write asked for by a thread that holds one
/// would wait for that thread. Each says `WouldDeadlock` instead, and works
/// once the atomic view is gone.
#[cfg(feature = "atomic")]
#[test]
fn byte_access_beside_the_threads_own_atomic_view_refuses() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let map = rw_map(&dir, "atomic.bin", 4096);
    let other = MemoryMappedFile::open_rw(dir.path().join("atomic.bin")).unwrap();
    let outcomes = spawn_waiter(move || {
        let counter = map.atomic_u64(0).unwrap();
        counter.fetch_add(7, Ordering::Relaxed);
        let mut outcomes = Vec::new();
        for handle in [&map, &other] {
            let mut buf = [0u8; 8];
            outcomes.push(("as_slice", handle.as_slice(0, 8).map(drop)));
            outcomes.push(("read_into", handle.read_into(0, &mut buf)));
            outcomes.push(("update_region", handle.update_region(0, b"x")));
            outcomes.push(("try_reader", handle.try_reader().map(drop)));
            let read = handle.reader().read_to_end(&mut Vec::new());
            outcomes.push((
                "reader",
                match read {
                    Err(e) if e.get_ref().is_some() => {
                        Err(MmapIoError::WouldDeadlock { op: "reader" })
                    }
                    _ => Ok(()),
                },
            ));
        }
        drop(counter);
        let after = map.as_slice(0, 8).map(|v| v.to_vec());
        (outcomes, after)
    })
    .finish("byte access beside this thread's own atomic view");
    for (op, outcome) in outcomes.0 {
        assert!(
            matches!(outcome, Err(MmapIoError::WouldDeadlock { .. })),
            "{op}: {outcome:?}"
        );
    }
    assert_eq!(outcomes.1.unwrap(), 7u64.to_le_bytes());
}

/// A zero-copy chunk walk asked for by the thread that holds the file for
/// writing (a `MappedSliceMut` of any handle, or inside a `for_each_mut`
/// walk) would wait for that thread: `try_chunks` says `WouldDeadlock`, and
/// `chunks`/`pages` (which return no `Result`) yield nothing. Run under a
/// timeout: the old code hung here.
#[cfg(feature = "iterator")]
#[test]
fn a_chunk_walk_beside_the_threads_own_writing_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let map = rw_map(&dir, "chunks.bin", 8192);
    let other = MemoryMappedFile::open_ro(dir.path().join("chunks.bin")).unwrap();
    let outcomes = spawn_waiter(move || {
        let mut outcomes = Vec::new();
        let view = map.as_slice_mut(0, 8).unwrap();
        for handle in [&map, &other] {
            outcomes.push(matches!(
                handle.try_chunks(4096),
                Err(MmapIoError::WouldDeadlock { op: "chunks" })
            ));
            outcomes.push(handle.chunks(4096).count() == 0);
            outcomes.push(handle.pages().count() == 0);
        }
        drop(view);
        let mut inside = None;
        map.chunks_mut(4096)
            .for_each_mut(|_, _| {
                inside.get_or_insert_with(|| other.try_chunks(4096).map(|c| c.count()));
                Ok(())
            })
            .unwrap();
        outcomes.push(matches!(
            inside,
            Some(Err(MmapIoError::WouldDeadlock { .. }))
        ));
        // Nothing is wedged: the walk works once the writing ended.
        outcomes.push(map.chunks(4096).count() == 2);
        outcomes
    })
    .finish("a chunk walk beside this thread's own writing");
    assert!(outcomes.iter().all(|&ok| ok), "{outcomes:?}");
}
