//! The process-wide registry of mapped files: one shared state per file.
//!
//! Two handles of the same file made by separate opens would otherwise map
//! it twice, each with its own lock, and never exclude each other: a write
//! through one could change bytes under a live view of the other, and a
//! `resize` through one could truncate the file under the other's pages
//! (`SIGBUS`). So every open looks the file up here by its identity
//! ([`FileId`]: device and inode on Unix, volume serial and file index on
//! Windows) and obeys one rule:
//!
//! * **read-write** opens share the file's one writable state (mapping,
//!   lock, flush counters): a writer through any handle waits for the views
//!   of every handle;
//! * **read-only** opens of a file that has a writable state share it too,
//!   and their views take its read lock; otherwise they get a lock-free
//!   mapping of their own;
//! * a read-write open while lock-free (read-only or copy-on-write) mappings
//!   of the file live, and a copy-on-write open while a writable state
//!   lives, are refused with [`MmapIoError::HandleConflict`]: lock-free
//!   views are not counted (that is what keeps them free), so nothing could
//!   wait for them, and a private mapping still shows the file's later
//!   changes on every page it has not copied.
//!
//! The registry holds only `Weak` references: a state is freed with its
//! last handle, and its entry is removed as it goes (see [`Registration`]),
//! so nothing of a closed file stays behind.

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::shared_state::Shared;
use crate::{MmapIoError, MmapMode, Result};

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

/// The live states of one file.
struct Entry {
    /// The writable state, shared by every read-write handle and by the
    /// read-only handles opened while it lives.
    writable: Weak<Shared>,
    /// How many lock-free states (one per open) live: read-only ones and
    /// copy-on-write ones.
    read_only: usize,
    copy_on_write: usize,
}

impl Entry {
    fn is_dead(&self) -> bool {
        self.writable.strong_count() == 0 && self.lock_free_mode().is_none()
    }

    /// The mode a read-write open conflicts with: read-only if any such
    /// mapping lives, else copy-on-write if any does.
    fn lock_free_mode(&self) -> Option<MmapMode> {
        if self.read_only > 0 {
            Some(MmapMode::ReadOnly)
        } else if self.copy_on_write > 0 {
            Some(MmapMode::CopyOnWrite)
        } else {
            None
        }
    }

    fn lock_free_count(&mut self, mode: MmapMode) -> &mut usize {
        match mode {
            MmapMode::CopyOnWrite => &mut self.copy_on_write,
            _ => &mut self.read_only,
        }
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
    mode: MmapMode,
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
        if let Some(entry) = by_id.get_mut(&self.id) {
            if self.mode != MmapMode::ReadWrite {
                *entry.lock_free_count(self.mode) -= 1;
            }
            if entry.is_dead() {
                by_id.remove(&self.id);
            }
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

    /// The state a new `mode` handle of file `id` must use: the file's live
    /// writable state when the rule above says to share it, or a new one
    /// from `create` (given the registration the state must keep), which
    /// runs under the registry's lock so two opens of one file can never
    /// both create a writable state. `path` names the file in a
    /// [`MmapIoError::HandleConflict`].
    pub(crate) fn state_for(
        &'static self,
        id: FileId,
        mode: MmapMode,
        path: &std::path::Path,
        create: impl FnOnce(Registration) -> Result<Arc<Shared>>,
    ) -> Result<Arc<Shared>> {
        let conflict = |existing| MmapIoError::HandleConflict {
            path: path.to_path_buf(),
            requested: mode,
            existing,
        };
        let registration = Registration {
            registry: self,
            id,
            mode,
        };
        let mut files = self.files.lock();
        let by_id = files.get_or_insert_with(HashMap::new);
        let entry = by_id.entry(id).or_insert_with(|| Entry {
            writable: Weak::new(),
            read_only: 0,
            copy_on_write: 0,
        });
        // A state upgraded here may have lost its other handles meanwhile:
        // it is dropped, if at all, only after the lock is released below,
        // because its `Drop` takes that lock.
        let writable = entry.writable.upgrade();
        let outcome = match (&writable, mode) {
            (Some(state), MmapMode::ReadWrite | MmapMode::ReadOnly) => Ok(Arc::clone(state)),
            (Some(_), MmapMode::CopyOnWrite) => Err(conflict(MmapMode::ReadWrite)),
            (None, MmapMode::ReadWrite) => match entry.lock_free_mode() {
                Some(existing) => Err(conflict(existing)),
                None => create(registration).map(|state| {
                    entry.writable = Arc::downgrade(&state);
                    state
                }),
            },
            (None, MmapMode::ReadOnly | MmapMode::CopyOnWrite) => {
                create(registration).map(|state| {
                    *entry.lock_free_count(mode) += 1;
                    state
                })
            }
        };
        if entry.is_dead() {
            // A refused or failed open leaves no entry behind.
            by_id.remove(&id);
        }
        drop(files);
        drop(writable);
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

    fn open(
        registry: &'static Registry,
        file: u64,
        mode: MmapMode,
        bytes: &[u8],
    ) -> Result<MemoryMappedFile> {
        let path = Path::new("<heap>");
        let shared = registry.state_for(FileId::new(0, file), mode, path, |registration| {
            let region = Region::heap(bytes.to_vec());
            Ok(Arc::new(Shared::new(
                region,
                None,
                mode,
                Some(registration),
            )))
        })?;
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
    fn writable_and_lock_free_opens_exclude_each_other() {
        let registry = registry!();
        let ro = open(registry, 1, MmapMode::ReadOnly, b"abcd").unwrap();
        let second_ro = open(registry, 1, MmapMode::ReadOnly, b"abcd").unwrap();
        match open(registry, 1, MmapMode::ReadWrite, b"abcd") {
            Err(MmapIoError::HandleConflict {
                requested: MmapMode::ReadWrite,
                existing: MmapMode::ReadOnly,
                ..
            }) => {}
            other => panic!("expected a conflict, got {other:?}"),
        }
        drop((ro, second_ro));
        let rw = open(registry, 1, MmapMode::ReadWrite, b"abcd").unwrap();
        match open(registry, 1, MmapMode::CopyOnWrite, b"abcd") {
            Err(MmapIoError::HandleConflict {
                requested: MmapMode::CopyOnWrite,
                existing: MmapMode::ReadWrite,
                ..
            }) => {}
            other => panic!("expected a conflict, got {other:?}"),
        }
        drop(rw);
        let cow = open(registry, 1, MmapMode::CopyOnWrite, b"abcd").unwrap();
        assert!(matches!(
            open(registry, 1, MmapMode::ReadWrite, b"abcd"),
            Err(MmapIoError::HandleConflict {
                existing: MmapMode::CopyOnWrite,
                ..
            })
        ));
        drop(cow);
        assert!(open(registry, 1, MmapMode::ReadWrite, b"abcd").is_ok());
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
