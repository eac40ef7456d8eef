//! The process-wide registry of mapped files: one shared state per file.
//!
//! Two handles of the same file made by separate opens would otherwise map
//! it twice, each with its own gate, and never exclude each other: a write
//! through one could change bytes under a live view of the other, and a
//! `resize` through one could truncate the file under the other's pages
//! (`SIGBUS`). So every open looks the file up here by its identity
//! ([`FileId`]: device and inode on Unix, volume serial and file index on
//! Windows) and obeys one rule:
//!
//! * **every open**, whatever its mode and whichever comes first, takes
//!   part in the file's one state (mapping, reader gate, flush counters):
//!   a writer through any handle waits for the views of every handle.
//!   Read-write and read-only handles share the state itself; a state made
//!   by a read-only (or copy-on-write) open is mapped again, writable, when
//!   the first write through a read-write handle arrives (see
//!   `shared_state.rs`). A **copy-on-write** open gets a private mapping of
//!   its own, whose views pass the state's gate (see `PrivateRegion`);
//! * the one refusal, [`HandleConflict`](crate::MmapIoError::HandleConflict), is the state's own
//!   (`Shared::start_writing`): a read-write handle while a read-only or
//!   copy-on-write handle of the file lends bare borrows (`as_slice_bytes`,
//!   `cow_slice_mut`), which no gate can wait for.
//!
//! The registry holds only `Weak` references: a state is freed with its
//! last handle, and its entry is removed as it goes (see [`Registration`]),
//! so nothing of a closed file stays behind.

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::shared_state::Shared;
use crate::{MmapMode, Result};

/// A file's identity, independent of the path it was opened by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct FileId {
    device: u64,
    index: u64,
}

impl FileId {
    pub(crate) fn new(device: u64, index: u64) -> Self {
        FileId { device, index }
    }
}

/// The live state of one file.
struct Entry {
    /// The state every handle takes part in (copy-on-write ones through
    /// their private state, which holds it).
    shared: Weak<Shared>,
}

impl Entry {
    fn is_dead(&self) -> bool {
        self.shared.strong_count() == 0
    }
}

/// The registry: one per process ([`Registry::global`]); unit tests use
/// their own over fabricated identities. A `HashMap` keeps its capacity when
/// entries go, so opening and closing files allocates nothing here once the
/// map has grown to the number of files mapped at once.
pub(crate) struct Registry {
    files: Mutex<Option<HashMap<FileId, Entry>>>,
}

/// A state's place in a registry: when the state is dropped, it takes
/// itself out of its file's entry, and the entry out of the registry when
/// no live state is left in it.
#[derive(Clone, Copy)]
pub(crate) struct Registration {
    registry: &'static Registry,
    id: FileId,
}

impl Registration {
    /// Called from the state's `Drop`, when its strong count is already 0
    /// (so a writable state's `Weak` is dead). Never runs under the
    /// registry's lock: `state_for` drops no state while holding it. The
    /// lock also orders everything done through the state before any open
    /// that finds it gone.
    pub(crate) fn state_dropped(self) {
        let mut files = self.registry.files.lock();
        let Some(by_id) = files.as_mut() else {
            return;
        };
        if by_id.get(&self.id).is_some_and(Entry::is_dead) {
            by_id.remove(&self.id);
        }
    }
}

impl Registry {
    pub(crate) const fn new() -> Self {
        Registry {
            files: parking_lot::const_mutex(None),
        }
    }

    /// The registry of this process.
    pub(crate) fn global() -> &'static Registry {
        static GLOBAL: Registry = Registry::new();
        &GLOBAL
    }

    /// The file state a new `mode` handle of file `id` takes part in: the
    /// live one, or a new one from `create` (given the registration the
    /// state must keep, and the mode to map it in: read-write for a
    /// read-write open, else read-only), which runs under the registry's
    /// lock so two opens of one file can never both create a state. A
    /// copy-on-write open maps its private state over the one returned.
    pub(crate) fn state_for(
        &'static self,
        id: FileId,
        mode: MmapMode,
        create: impl FnOnce(Registration, MmapMode) -> Result<Arc<Shared>>,
    ) -> Result<Arc<Shared>> {
        let registration = Registration { registry: self, id };
        let mut files = self.files.lock();
        let by_id = files.get_or_insert_with(HashMap::new);
        let entry = by_id.entry(id).or_insert_with(|| Entry {
            shared: Weak::new(),
        });
        // A state upgraded here may have lost its other handles meanwhile:
        // it is dropped, if at all, only after the lock is released below,
        // because its `Drop` takes that lock.
        let live = entry.shared.upgrade();
        let outcome = match (&live, mode) {
            (Some(state), _) => Ok(Arc::clone(state)),
            (None, _) => {
                let state_mode = match mode {
                    MmapMode::ReadWrite => MmapMode::ReadWrite,
                    _ => MmapMode::ReadOnly,
                };
                create(registration, state_mode).map(|state| {
                    entry.shared = Arc::downgrade(&state);
                    state
                })
            }
        };
        if entry.is_dead() {
            // A refused or failed open leaves no entry behind.
            by_id.remove(&id);
        }
        drop(files);
        drop(live);
        outcome
    }

    /// How many files have an entry; for tests.
    #[cfg(test)]
    pub(crate) fn entries(&self) -> usize {
        self.files.lock().as_ref().map_or(0, HashMap::len)
    }
}

#[cfg(test)]
mod tests {
    //! The registry's rule over heap-backed states (so Miri runs it), with
    //! fabricated file identities.
    use std::path::Path;
    use std::sync::{Arc, Barrier};

    use super::*;
    use crate::mapped_file::MapOptions;
    use crate::region::Region;
    use crate::MemoryMappedFile;
    use crate::MmapIoError;

    fn open(
        registry: &'static Registry,
        file: u64,
        mode: MmapMode,
        bytes: &[u8],
    ) -> Result<MemoryMappedFile> {
        let path = Path::new("<heap>");
        let shared =
            registry.state_for(FileId::new(0, file), mode, |registration, state_mode| {
                let region = Region::heap(bytes.to_vec());
                Ok(Arc::new(Shared::new(
                    region,
                    None,
                    state_mode,
                    Some(registration),
                )))
            })?;
        let shared = match mode {
            // A private copy of the state's bytes stands in for the
            // private mapping.
            MmapMode::CopyOnWrite => {
                let len = shared.len.load(std::sync::atomic::Ordering::Acquire);
                let mut copy = vec![0; len];
                let guarded = MemoryMappedFile::from_state(
                    Arc::clone(&shared),
                    MmapMode::ReadOnly,
                    path.to_path_buf(),
                    MapOptions::default(),
                    None,
                )?;
                guarded.read_into(0, &mut copy)?;
                drop(guarded);
                Arc::new(Shared::new_private(Region::heap(copy), None, shared).unwrap())
            }
            _ => shared,
        };
        MemoryMappedFile::from_state(
            shared,
            mode,
            path.to_path_buf(),
            MapOptions::default(),
            None,
        )
    }

    /// A registry of the test's own, so tests running at once do not meet.
    macro_rules! registry {
        () => {{
            static REGISTRY: Registry = Registry::new();
            &REGISTRY
        }};
    }

    #[test]
    fn read_write_opens_of_one_file_share_one_lock() {
        let registry = registry!();
        let a = open(registry, 1, MmapMode::ReadWrite, b"abcd").unwrap();
        let b = open(registry, 1, MmapMode::ReadWrite, b"????").unwrap();
        assert_eq!(b.as_slice(0, 4).unwrap(), b"abcd", "b maps a's state");
        let mut view = a.as_slice_mut(0, 1).unwrap();
        view[0] = b'A';
        // b's writer would wait for a's view, held by this thread.
        assert!(matches!(
            b.update_region(0, b"B"),
            Err(MmapIoError::WouldDeadlock {
                op: "update_region"
            })
        ));
        assert!(matches!(
            b.resize(1),
            Err(MmapIoError::WouldDeadlock { .. })
        ));
        drop(view);
        b.update_region(1, b"B").unwrap();
        assert_eq!(a.as_slice(0, 4).unwrap(), b"ABcd");
        // Another file is another state.
        let c = open(registry, 2, MmapMode::ReadWrite, b"wxyz").unwrap();
        assert_eq!(c.as_slice(0, 4).unwrap(), b"wxyz");
    }

    #[test]
    fn a_writer_through_another_handle_waits_for_a_view() {
        let registry = registry!();
        let a = open(registry, 1, MmapMode::ReadOnly, b"xxxx");
        drop(a);
        let writer = open(registry, 1, MmapMode::ReadWrite, b"aaaa").unwrap();
        let reader = open(registry, 1, MmapMode::ReadOnly, b"????").unwrap();
        let started = Barrier::new(2);
        std::thread::scope(|s| {
            let view = reader.as_slice(0, 4).unwrap();
            let waiter = s.spawn(|| {
                started.wait();
                writer.update_region(0, b"bbbb").unwrap();
            });
            started.wait();
            // The writer is past the barrier and cannot finish while the
            // view lives: the view's bytes never change.
            for _ in 0..20 {
                assert_eq!(&*view, b"aaaa");
                std::thread::yield_now();
            }
            assert!(!waiter.is_finished());
            drop(view);
            waiter.join().unwrap();
        });
        assert_eq!(reader.as_slice(0, 4).unwrap(), b"bbbb");
    }

    #[test]
    fn read_only_handles_of_a_writable_file_share_its_lock() {
        let registry = registry!();
        let rw = open(registry, 1, MmapMode::ReadWrite, b"abcd").unwrap();
        let ro = open(registry, 1, MmapMode::ReadOnly, b"????").unwrap();
        assert_eq!(ro.mode(), MmapMode::ReadOnly);
        let view = rw.as_slice_mut(0, 1).unwrap();
        // The read-only handle's read takes the shared lock, which this
        // thread holds for writing.
        assert!(matches!(
            ro.as_slice(0, 1),
            Err(MmapIoError::WouldDeadlock { .. })
        ));
        drop(view);
        // The read-only handle cannot write, though its state could.
        assert!(matches!(
            ro.update_region(0, b"x"),
            Err(MmapIoError::InvalidMode { .. })
        ));
        assert!(matches!(ro.resize(8), Err(MmapIoError::InvalidMode { .. })));
        // The writable state outlives its read-write handles while a
        // read-only handle keeps it; a later read-write open joins it.
        drop(rw);
        let again = open(registry, 1, MmapMode::ReadWrite, b"????").unwrap();
        again.update_region(0, b"Z").unwrap();
        assert_eq!(ro.as_slice(0, 4).unwrap(), b"Zbcd");
    }

    #[test]
    fn a_read_only_first_open_is_shared_by_a_later_read_write_one() {
        let registry = registry!();
        let ro = open(registry, 1, MmapMode::ReadOnly, b"abcd").unwrap();
        let second_ro = open(registry, 1, MmapMode::ReadOnly, b"????").unwrap();
        let rw = open(registry, 1, MmapMode::ReadWrite, b"????").unwrap();
        assert_eq!(rw.as_slice(0, 4).unwrap(), b"abcd", "rw joins ro's state");
        rw.update_region(0, b"A").unwrap();
        assert_eq!(ro.as_slice(0, 4).unwrap(), b"Abcd");
        assert_eq!(second_ro.as_slice(0, 4).unwrap(), b"Abcd");
        // The read-only handle's view is counted: this thread's own view
        // makes the writer refuse instead of waiting for itself.
        let view = ro.as_slice(0, 1).unwrap();
        assert!(matches!(
            rw.update_region(0, b"B"),
            Err(MmapIoError::WouldDeadlock { .. })
        ));
        drop(view);
        rw.update_region(0, b"B").unwrap();
        assert_eq!(&*ro.as_slice(0, 1).unwrap(), b"B");
    }

    #[test]
    fn copy_on_write_and_read_write_opens_share_one_gate_in_any_order() {
        let registry = registry!();
        let rw = open(registry, 1, MmapMode::ReadWrite, b"abcd").unwrap();
        let cow = open(registry, 1, MmapMode::CopyOnWrite, b"????").unwrap();
        assert_eq!(cow.as_slice(0, 4).unwrap(), b"abcd", "a copy of the state");
        // The copy-on-write view is counted by the file's gate: this
        // thread's own view makes the writer refuse instead of waiting.
        let view = cow.as_slice(0, 1).unwrap();
        assert!(matches!(
            rw.update_region(0, b"X"),
            Err(MmapIoError::WouldDeadlock { .. })
        ));
        drop(view);
        rw.update_region(0, b"X").unwrap();
        drop((rw, cow));
        // Copy-on-write first, read-write later.
        let cow = open(registry, 1, MmapMode::CopyOnWrite, b"abcd").unwrap();
        let rw = open(registry, 1, MmapMode::ReadWrite, b"????").unwrap();
        assert_eq!(
            rw.as_slice(0, 4).unwrap(),
            b"abcd",
            "rw joins cow's file state"
        );
        rw.resize(2).unwrap();
        assert_eq!(cow.len(), 2, "the private mapping ends where the file does");
        assert!(matches!(
            cow.as_slice(2, 1),
            Err(MmapIoError::OutOfBounds { .. })
        ));
        assert_eq!(cow.as_slice(0, 2).unwrap(), b"ab");
    }

    #[test]
    fn bare_borrows_of_a_read_only_state_keep_writers_out_while_their_handle_lives() {
        let registry = registry!();
        let lender = open(registry, 1, MmapMode::ReadOnly, b"abcd").unwrap();
        let other = open(registry, 1, MmapMode::ReadOnly, b"abcd").unwrap();
        let clone = lender.clone();
        assert_eq!(clone.as_slice_bytes(1, 2).unwrap(), b"bc");
        drop(clone); // the handle, shared by its clones, still lends
        match open(registry, 1, MmapMode::ReadWrite, b"abcd") {
            Err(MmapIoError::HandleConflict {
                requested: MmapMode::ReadWrite,
                existing: MmapMode::ReadOnly,
                ..
            }) => {}
            other => panic!("expected a conflict, got {other:?}"),
        }
        drop(lender);
        // The lending handle is gone: the file may get a writer now, and
        // then no read-only handle lends bare borrows any more.
        let rw = open(registry, 1, MmapMode::ReadWrite, b"abcd").unwrap();
        assert!(matches!(
            other.as_slice_bytes(0, 4),
            Err(MmapIoError::InvalidMode { .. })
        ));
        drop(rw);
    }

    #[test]
    fn a_state_and_its_entry_go_with_the_last_handle() {
        let registry = registry!();
        let first = open(registry, 1, MmapMode::ReadWrite, b"old!").unwrap();
        let clone = first.clone();
        drop(first);
        assert_eq!(
            open(registry, 1, MmapMode::ReadWrite, b"new!")
                .unwrap()
                .as_slice(0, 4)
                .unwrap(),
            b"old!",
            "a clone keeps the state alive"
        );
        drop(clone);
        assert_eq!(
            open(registry, 1, MmapMode::ReadWrite, b"new!")
                .unwrap()
                .as_slice(0, 4)
                .unwrap(),
            b"new!",
            "the last handle took the state with it"
        );
        assert_eq!(registry.entries(), 0, "nothing of a closed file stays");
        let ro = open(registry, 2, MmapMode::ReadOnly, b"x").unwrap();
        ro.as_slice_bytes(0, 1).unwrap(); // lends: read-write opens refused
        assert!(open(registry, 2, MmapMode::ReadWrite, b"x").is_err());
        assert!(open(registry, 3, MmapMode::CopyOnWrite, b"x").is_ok());
        assert_eq!(
            registry.entries(),
            1,
            "refused and closed opens leave nothing"
        );
        drop(ro);
        assert_eq!(registry.entries(), 0);
    }

    #[test]
    fn handles_on_many_threads_never_see_a_view_change() {
        let registry = registry!();
        let writer = open(registry, 7, MmapMode::ReadWrite, &[0; 64]).unwrap();
        let readers: Vec<_> = (0..2)
            .map(|_| open(registry, 7, MmapMode::ReadOnly, &[0; 64]).unwrap())
            .collect();
        let rounds = if cfg!(miri) { 5 } else { 200 };
        std::thread::scope(|s| {
            s.spawn(|| {
                for round in 1..=rounds {
                    writer.update_region(0, &[round as u8; 64]).unwrap();
                }
            });
            for reader in &readers {
                s.spawn(move || {
                    for _ in 0..rounds {
                        let view = reader.as_slice(0, 64).unwrap();
                        let first = view[0];
                        std::thread::yield_now();
                        assert!(view.iter().all(|&b| b == first), "a view changed");
                    }
                });
            }
        });
    }
}
