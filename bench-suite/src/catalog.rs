//! What the suite measures, declared as data: the workloads (one bench
//! target each), and the role of every variant — which library it calls,
//! which shape of work it does, and which raw variant is its floor.
//!
//! Nothing downstream infers a role from a variant's name. Each workload
//! lists its criterion variants with their roles ([`Workload::variants`]);
//! a bench registers a variant by name
//! ([`Batch::add`](crate::harness::Batch::add)), which takes the role from
//! here and refuses an undeclared name; the role is stored with the run's
//! records, and the gate and the report read it from there.
//! The instruction-count benches declare their library in
//! [`INSTRUCTION_COUNTS`], which a test keeps equal to the bench file.
//!
//! The gate judges only [`Library::Mmapio`]: peers and raw loops are
//! measured and reported, never gated. The [`TARGETS`] (ratios to a raw
//! floor with a limit) are data too: `bench-gate collect` stores their
//! verdicts with a run's results and the report renders them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How a workload is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Harness {
    /// A criterion bench with one group named like the workload, whose
    /// variants run through [`Batch`](crate::harness::Batch).
    Criterion,
    /// An iai-callgrind bench: instruction counts.
    InstructionCounts,
}

/// One bench target of `bench-suite` (`[[bench]]` in `Cargo.toml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Workload {
    /// The bench target's name, which is also its criterion group's.
    pub name: &'static str,
    /// How it is measured.
    pub harness: Harness,
    /// What it measures, in one line (the report's heading).
    pub summary: &'static str,
    /// The sizes it runs at in each profile, in bytes: the file sizes of
    /// the read, iterator and touch workloads, the bytes written per
    /// iteration of `sequential_write`. Empty where no size depends on the
    /// profile.
    pub sizes: Sizes,
    /// How many pairs of timed passes (base, head) the regression gate
    /// measures it in ([`crate::gate::run`]): more for the workloads whose
    /// ratios move most from pass to pass on a shared machine, within the
    /// gate's time budget. 0 for a workload without timed ratios.
    pub gate_pairs: usize,
    /// Whether some of its variants run on several threads. The gate's
    /// injected code regressions go into single-threaded hot loops only
    /// ([`crate::gate::injection`]): the resolution table says they do not
    /// reach this workload.
    pub multi_threaded: bool,
    /// Its criterion variants (function names, the same at every
    /// parameter) with their roles. A bench registers a variant by name
    /// only; [`Batch::run`](crate::harness::Batch::run) takes its role from
    /// here and refuses a name that is not declared.
    pub variants: &'static [Variant],
}

/// One criterion variant of a workload and its role (see [`Role`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Variant {
    /// The criterion function name.
    pub function: &'static str,
    /// The library it calls.
    pub library: Library,
    /// The work it does.
    pub shape: Shape,
    /// The raw `memmap2` variant of the same shape it is divided by.
    pub floor: Option<&'static str>,
    /// For an mmapio variant, its `mmap-io` twin.
    pub peer: Option<&'static str>,
}

impl Variant {
    const fn new(function: &'static str, library: Library, shape: Shape) -> Variant {
        Variant {
            function,
            library,
            shape,
            floor: None,
            peer: None,
        }
    }

    /// A raw `memmap2` variant: a floor.
    pub const fn raw(function: &'static str, shape: Shape) -> Variant {
        Variant::new(function, Library::Memmap2, shape)
    }

    /// An mmapio variant.
    pub const fn mmapio(function: &'static str, shape: Shape) -> Variant {
        Variant::new(function, Library::Mmapio, shape)
    }

    /// A published `mmap-io` variant.
    pub const fn mmap_io(function: &'static str, shape: Shape) -> Variant {
        Variant::new(function, Library::MmapIo, shape)
    }

    /// A `std::fs` variant.
    pub const fn std_fs(function: &'static str, shape: Shape) -> Variant {
        Variant::new(function, Library::Std, shape)
    }

    /// Divided by the raw variant `floor`.
    pub const fn floor(self, floor: &'static str) -> Variant {
        Variant {
            floor: Some(floor),
            ..self
        }
    }

    /// Compared with its `mmap-io` twin `peer`.
    pub const fn peer(self, peer: &'static str) -> Variant {
        Variant {
            peer: Some(peer),
            ..self
        }
    }

    /// The role stored with the variant's records.
    pub fn role(&self) -> Role {
        Role {
            library: self.library,
            shape: self.shape,
            floor: self.floor.map(str::to_owned),
            peer: self.peer.map(str::to_owned),
        }
    }
}

/// The declared role of `function` in the workload `workload`.
pub fn role_of(workload: &str, function: &str) -> Option<Role> {
    self::workload(workload)?
        .variants
        .iter()
        .find(|v| v.function == function)
        .map(Variant::role)
}

/// A workload's sizes in each profile (see [`Workload::sizes`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sizes {
    /// The `quick` profile's: small enough for a smoke run.
    pub quick: &'static [usize],
    /// The `full` profile's: the benchmark specification's.
    pub full: &'static [usize],
}

impl Sizes {
    /// No size depends on the profile.
    pub const NONE: Sizes = Sizes {
        quick: &[],
        full: &[],
    };

    /// The sizes of the full profile when `full`, else the quick one's.
    pub fn of(&self, full: bool) -> &'static [usize] {
        if full {
            self.full
        } else {
            self.quick
        }
    }
}

const MIB: usize = 1024 * 1024;
const GIB: usize = 1024 * MIB;

/// The variants of both read workloads, `sequential_read` and
/// `random_read`, which register them through the same
/// [`add_read_variants`](crate::harness::add_read_variants).
const READ_VARIANTS: &[Variant] = &[
    Variant::raw("memmap2_copy", Shape::CopyOut),
    Variant::raw("memmap2_slice", Shape::View),
    Variant::mmapio("mmapio_as_slice_ro", Shape::View)
        .floor("memmap2_slice")
        .peer("mmap_io_as_slice_ro"),
    Variant::mmapio("mmapio_as_slice_rw", Shape::View)
        .floor("memmap2_slice")
        .peer("mmap_io_as_slice_rw"),
    Variant::mmapio("mmapio_read_into_ro", Shape::CopyOut)
        .floor("memmap2_copy")
        .peer("mmap_io_read_into_ro"),
    Variant::mmapio("mmapio_read_into_rw", Shape::CopyOut).floor("memmap2_copy"),
    Variant::mmap_io("mmap_io_as_slice_ro", Shape::View).floor("memmap2_slice"),
    Variant::mmap_io("mmap_io_as_slice_rw", Shape::View).floor("memmap2_slice"),
    Variant::mmap_io("mmap_io_read_into_ro", Shape::CopyOut).floor("memmap2_copy"),
    Variant::std_fs("std_fs_read_at", Shape::CopyOut).floor("memmap2_copy"),
];

/// Every bench target, in the order they are reported. A test fails when a
/// `[[bench]]` target or a criterion group exists that this list lacks, and
/// `bench-gate collect` refuses a run with a criterion group it lacks.
pub const WORKLOADS: &[Workload] = &[
    Workload {
        name: "sequential_read",
        harness: Harness::Criterion,
        summary: "Every byte of a file, front to back",
        sizes: Sizes {
            quick: &[MIB, 16 * MIB],
            full: &[MIB, 16 * MIB, 256 * MIB],
        },
        gate_pairs: 8,
        multi_threaded: false,
        variants: READ_VARIANTS,
    },
    Workload {
        name: "random_read",
        harness: Harness::Criterion,
        summary: "Seeded xorshift64 requests over one file, per request size",
        sizes: Sizes {
            quick: &[16 * MIB],
            full: &[256 * MIB],
        },
        gate_pairs: 16,
        multi_threaded: false,
        variants: READ_VARIANTS,
    },
    Workload {
        name: "sequential_write",
        harness: Harness::Criterion,
        summary: "64 KiB writes filling a file, per flush policy",
        sizes: Sizes {
            quick: &[8 * MIB],
            full: &[64 * MIB],
        },
        gate_pairs: 8,
        multi_threaded: false,
        variants: &[
            Variant::raw("memmap2_copy_from_slice", Shape::CopyIn),
            // The policies that sync while the writes are timed measure the
            // disk, not the library: no floor (their flushes per iteration
            // are reported beside the time).
            Variant::mmapio("mmapio_every_bytes_1MiB", Shape::CopyIn)
                .peer("mmap_io_every_bytes_1MiB"),
            Variant::mmapio("mmapio_every_millis_10", Shape::CopyIn)
                .peer("mmap_io_every_millis_10"),
            Variant::mmapio("mmapio_manual", Shape::CopyIn)
                .floor("memmap2_copy_from_slice")
                .peer("mmap_io_manual"),
            Variant::mmap_io("mmap_io_every_bytes_1MiB", Shape::CopyIn),
            Variant::mmap_io("mmap_io_every_millis_10", Shape::CopyIn),
            Variant::mmap_io("mmap_io_manual", Shape::CopyIn).floor("memmap2_copy_from_slice"),
        ],
    },
    Workload {
        name: "iterator_throughput",
        harness: Harness::Criterion,
        summary: "Walking a file in chunks or pages, every byte consumed",
        sizes: Sizes {
            quick: &[64 * MIB],
            full: &[GIB],
        },
        gate_pairs: 6,
        multi_threaded: false,
        variants: &[
            Variant::raw("memmap2_chunks_4096", Shape::FoldItems),
            Variant::raw("memmap2_chunks_65536", Shape::FoldItems),
            Variant::raw("memmap2_chunks_exact_4096", Shape::FoldItems),
            Variant::raw("memmap2_chunks_exact_4096_to_vec", Shape::OwnedItems),
            Variant::raw("memmap2_chunks_exact_65536", Shape::FoldItems),
            Variant::raw("memmap2_for_chunks_4096", Shape::ForLoop),
            Variant::raw("memmap2_for_chunks_exact_4096", Shape::ForLoop),
            Variant::raw(
                "memmap2_for_chunks_exact_4096_call_per_item",
                Shape::ForLoop,
            ),
            Variant::mmapio("mmapio_chunks_4096_ro", Shape::FoldItems)
                .floor("memmap2_chunks_exact_4096")
                .peer("mmap_io_chunks_4096_ro"),
            Variant::mmapio("mmapio_chunks_4096_rw", Shape::FoldItems)
                .floor("memmap2_chunks_exact_4096")
                .peer("mmap_io_chunks_4096_rw"),
            Variant::mmapio("mmapio_chunks_65536_ro", Shape::FoldItems)
                .floor("memmap2_chunks_exact_65536")
                .peer("mmap_io_chunks_65536_ro"),
            Variant::mmapio("mmapio_chunks_65536_rw", Shape::FoldItems)
                .floor("memmap2_chunks_exact_65536")
                .peer("mmap_io_chunks_65536_rw"),
            Variant::mmapio("mmapio_chunks_owned_4096_ro", Shape::OwnedItems)
                .floor("memmap2_chunks_exact_4096_to_vec")
                .peer("mmap_io_chunks_owned_4096_ro"),
            Variant::mmapio("mmapio_chunks_owned_4096_rw", Shape::OwnedItems)
                .floor("memmap2_chunks_exact_4096_to_vec")
                .peer("mmap_io_chunks_owned_4096_rw"),
            Variant::mmapio("mmapio_for_chunks_4096_ro", Shape::ForLoop)
                .floor("memmap2_for_chunks_exact_4096")
                .peer("mmap_io_for_chunks_4096_ro"),
            Variant::mmapio("mmapio_for_chunks_4096_rw", Shape::ForLoop)
                .floor("memmap2_for_chunks_exact_4096")
                .peer("mmap_io_for_chunks_4096_rw"),
            Variant::mmapio("mmapio_for_lent_chunks_4096_ro", Shape::ForLoop)
                .floor("memmap2_for_chunks_exact_4096"),
            Variant::mmapio("mmapio_for_lent_chunks_4096_rw", Shape::ForLoop)
                .floor("memmap2_for_chunks_exact_4096"),
            Variant::mmapio("mmapio_pages_owned_ro", Shape::OwnedItems)
                .floor("memmap2_chunks_exact_4096_to_vec")
                .peer("mmap_io_pages_owned_ro"),
            Variant::mmapio("mmapio_pages_owned_rw", Shape::OwnedItems)
                .floor("memmap2_chunks_exact_4096_to_vec")
                .peer("mmap_io_pages_owned_rw"),
            Variant::mmapio("mmapio_pages_ro", Shape::FoldItems)
                .floor("memmap2_chunks_exact_4096")
                .peer("mmap_io_pages_ro"),
            Variant::mmapio("mmapio_pages_rw", Shape::FoldItems)
                .floor("memmap2_chunks_exact_4096")
                .peer("mmap_io_pages_rw"),
            Variant::mmap_io("mmap_io_chunks_4096_ro", Shape::FoldItems)
                .floor("memmap2_chunks_exact_4096"),
            Variant::mmap_io("mmap_io_chunks_4096_rw", Shape::FoldItems)
                .floor("memmap2_chunks_exact_4096"),
            Variant::mmap_io("mmap_io_chunks_65536_ro", Shape::FoldItems)
                .floor("memmap2_chunks_exact_65536"),
            Variant::mmap_io("mmap_io_chunks_65536_rw", Shape::FoldItems)
                .floor("memmap2_chunks_exact_65536"),
            Variant::mmap_io("mmap_io_chunks_owned_4096_ro", Shape::OwnedItems)
                .floor("memmap2_chunks_exact_4096_to_vec"),
            Variant::mmap_io("mmap_io_chunks_owned_4096_rw", Shape::OwnedItems)
                .floor("memmap2_chunks_exact_4096_to_vec"),
            Variant::mmap_io("mmap_io_for_chunks_4096_ro", Shape::ForLoop)
                .floor("memmap2_for_chunks_exact_4096"),
            Variant::mmap_io("mmap_io_for_chunks_4096_rw", Shape::ForLoop)
                .floor("memmap2_for_chunks_exact_4096"),
            Variant::mmap_io("mmap_io_pages_owned_ro", Shape::OwnedItems)
                .floor("memmap2_chunks_exact_4096_to_vec"),
            Variant::mmap_io("mmap_io_pages_owned_rw", Shape::OwnedItems)
                .floor("memmap2_chunks_exact_4096_to_vec"),
            Variant::mmap_io("mmap_io_pages_ro", Shape::FoldItems)
                .floor("memmap2_chunks_exact_4096"),
            Variant::mmap_io("mmap_io_pages_rw", Shape::FoldItems)
                .floor("memmap2_chunks_exact_4096"),
        ],
    },
    Workload {
        name: "touch_pages_large",
        harness: Harness::Criterion,
        summary: "One volatile read per page, warm and fresh mappings",
        sizes: Sizes {
            quick: &[64 * MIB],
            full: &[GIB],
        },
        gate_pairs: 8,
        multi_threaded: false,
        variants: &[
            Variant::raw("memmap2_volatile_loop", Shape::TouchPages),
            Variant::mmapio("mmapio_touch_pages_ro", Shape::TouchPages)
                .floor("memmap2_volatile_loop")
                .peer("mmap_io_touch_pages_ro"),
            Variant::mmapio("mmapio_touch_pages_rw", Shape::TouchPages)
                .floor("memmap2_volatile_loop")
                .peer("mmap_io_touch_pages_rw"),
            Variant::mmap_io("mmap_io_touch_pages_ro", Shape::TouchPages)
                .floor("memmap2_volatile_loop"),
            Variant::mmap_io("mmap_io_touch_pages_rw", Shape::TouchPages)
                .floor("memmap2_volatile_loop"),
        ],
    },
    Workload {
        name: "atomic_contention",
        harness: Harness::Criterion,
        summary: "`fetch_add` on mapped atomics, 1 to 8 threads",
        sizes: Sizes::NONE,
        gate_pairs: 16,
        multi_threaded: true,
        variants: &[
            Variant::raw("memmap2_raw_atomic_u64", Shape::FetchAdd),
            Variant::mmapio("mmapio_atomic_u64", Shape::FetchAdd)
                .floor("memmap2_raw_atomic_u64")
                .peer("mmap_io_atomic_u64"),
            Variant::mmap_io("mmap_io_atomic_u64", Shape::FetchAdd).floor("memmap2_raw_atomic_u64"),
        ],
    },
    // A read-write file's reader gate under the loads its bias is against
    // and for: a write after every 64 reads, which revokes the bias when the
    // reads turned it on (how often is recorded beside the time), and reads
    // on two threads, each of which writes only its own thread's slot, so
    // that their ratio should stay what one reader's is (`random_read` at
    // 64B reads files of the same sizes).
    Workload {
        name: "reader_gate",
        harness: Harness::Criterion,
        summary: "Seeded 64 B `as_slice` reads of a read-write file, with a 64 B \
                  `update_region` after every 64 (one per iteration), or on two threads",
        sizes: Sizes {
            quick: &[16 * MIB],
            full: &[256 * MIB],
        },
        gate_pairs: 8,
        multi_threaded: true,
        variants: &[
            Variant::raw("memmap2_slice", Shape::View),
            Variant::raw("memmap2_slice_and_copy_from_slice", Shape::ViewsAndWrites),
            Variant::mmapio("mmapio_as_slice_ro", Shape::View).floor("memmap2_slice"),
            Variant::mmapio("mmapio_as_slice_rw", Shape::View).floor("memmap2_slice"),
            Variant::mmapio("mmapio_as_slice_and_update_region", Shape::ViewsAndWrites)
                .floor("memmap2_slice_and_copy_from_slice"),
        ],
    },
    Workload {
        name: "instruction_counts",
        harness: Harness::InstructionCounts,
        summary: "iai-callgrind instruction counts of the hot paths",
        sizes: Sizes::NONE,
        gate_pairs: 0,
        multi_threaded: false,
        variants: &[],
    },
];

/// The criterion workloads' names, in report order.
pub fn criterion_workloads() -> impl Iterator<Item = &'static str> {
    WORKLOADS
        .iter()
        .filter(|w| w.harness == Harness::Criterion)
        .map(|w| w.name)
}

/// The catalog entry of `name`.
pub fn workload(name: &str) -> Option<&'static Workload> {
    WORKLOADS.iter().find(|w| w.name == name)
}

/// The library a variant calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Library {
    /// This crate: the only library the gate judges.
    Mmapio,
    /// The published `mmap-io`, whose API mmapio follows: a peer.
    MmapIo,
    /// Raw `memmap2`: the floors.
    Memmap2,
    /// `std::fs`: a peer.
    Std,
}

impl Library {
    /// Whether the gate judges this library's metrics (only mmapio's).
    pub fn is_gated(self) -> bool {
        self == Library::Mmapio
    }
}

impl fmt::Display for Library {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Library::Mmapio => "mmapio",
            Library::MmapIo => "mmap-io",
            Library::Memmap2 => "memmap2",
            Library::Std => "std",
        })
    }
}

/// The shape of the work a variant does: a variant is only ever divided by
/// a floor of the same shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// Reads the bytes in place, through a view of the mapping.
    View,
    /// Copies the bytes into a reused page-aligned buffer, then reads the copy.
    CopyOut,
    /// Walks the file with an iterator of views, consumed by `fold`.
    FoldItems,
    /// Walks the file with an iterator of views in a `for` loop, which
    /// drives `next` one item at a time.
    ForLoop,
    /// Walks the file with an iterator that copies every item into a new
    /// `Vec<u8>`, consumed by `fold`.
    OwnedItems,
    /// Copies a source buffer into the mapping.
    CopyIn,
    /// Reads one byte of every page, volatile.
    TouchPages,
    /// `fetch_add` on a mapped `AtomicU64`.
    FetchAdd,
    /// Reads the bytes in place, through views, and now and then copies
    /// the bytes of one view back into the mapping where they came from.
    ViewsAndWrites,
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Shape::View => "view",
            Shape::CopyOut => "copy out",
            Shape::FoldItems => "fold over items",
            Shape::ForLoop => "for loop over items",
            Shape::OwnedItems => "owned items",
            Shape::CopyIn => "copy in",
            Shape::TouchPages => "touch pages",
            Shape::FetchAdd => "fetch_add",
            Shape::ViewsAndWrites => "views and writes",
        })
    }
}

/// The declared role of one criterion variant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// The library it calls.
    pub library: Library,
    /// The work it does.
    pub shape: Shape,
    /// The raw `memmap2` variant of the same shape in the same batch that
    /// its time is divided by, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<String>,
    /// For an mmapio variant, its `mmap-io` twin in the same batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
}

impl Role {
    /// A variant of `library` doing `shape`, with no floor and no peer.
    pub fn new(library: Library, shape: Shape) -> Role {
        Role {
            library,
            shape,
            floor: None,
            peer: None,
        }
    }

    /// An mmapio variant.
    pub fn mmapio(shape: Shape) -> Role {
        Role::new(Library::Mmapio, shape)
    }

    /// A published `mmap-io` variant.
    pub fn mmap_io(shape: Shape) -> Role {
        Role::new(Library::MmapIo, shape)
    }

    /// A raw `memmap2` variant.
    pub fn raw(shape: Shape) -> Role {
        Role::new(Library::Memmap2, shape)
    }

    /// A `std::fs` variant.
    pub fn std_fs(shape: Shape) -> Role {
        Role::new(Library::Std, shape)
    }

    /// Divides this variant's time by `floor`'s.
    pub fn floor(self, floor: impl Into<String>) -> Role {
        Role {
            floor: Some(floor.into()),
            ..self
        }
    }

    /// Compares this (mmapio) variant with its `mmap-io` twin `peer`.
    pub fn peer(self, peer: impl Into<String>) -> Role {
        Role {
            peer: Some(peer.into()),
            ..self
        }
    }
}

/// Checks the roles of one batch (`function`, role), in the order added:
/// every floor is a raw `memmap2` variant of the same shape in the batch,
/// and every peer an `mmap-io` variant of the same shape. Returns the first
/// problem found.
pub fn check_batch<'a>(
    variants: impl IntoIterator<Item = (&'a str, &'a Role)> + Clone,
) -> Result<(), String> {
    let find = |name: &str| variants.clone().into_iter().find(|(f, _)| *f == name);
    for (function, role) in variants.clone() {
        if let Some(floor) = &role.floor {
            match find(floor) {
                None => return Err(format!("{function}: floor {floor} is not in the batch")),
                Some((_, r)) if r.library != Library::Memmap2 => {
                    return Err(format!(
                        "{function}: floor {floor} is {}, not raw memmap2",
                        r.library
                    ))
                }
                Some((_, r)) if r.shape != role.shape => {
                    return Err(format!(
                        "{function}: floor {floor} does {} work, not {}",
                        r.shape, role.shape
                    ))
                }
                Some((_, r)) if r.floor.is_some() => {
                    return Err(format!("{function}: floor {floor} has a floor itself"))
                }
                Some(_) => {}
            }
        }
        if let Some(peer) = &role.peer {
            match find(peer) {
                None => return Err(format!("{function}: peer {peer} is not in the batch")),
                Some((_, r)) if r.library != Library::MmapIo || r.shape != role.shape => {
                    return Err(format!(
                        "{function}: peer {peer} is {} {}, not mmap-io {}",
                        r.library, r.shape, role.shape
                    ))
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// A target: `numerator / floor <= limit` for every measured parameter
/// that `parameters` accepts, where the floor is the fastest of the
/// `floors` at that parameter.
pub struct Target {
    /// What is compared, in words (the report's row).
    pub target: &'static str,
    /// Whether the benchmark specification names this target; `false`
    /// for a stricter comparison this suite adds.
    pub specified: bool,
    /// The workload (criterion group).
    pub group: &'static str,
    /// The mmapio variant measured.
    pub numerator: &'static str,
    /// The raw variants it is held to: the fastest of them at each
    /// parameter is the floor.
    pub floors: &'static [&'static str],
    /// Which parameters the target applies to.
    pub parameters: fn(&str) -> bool,
    /// The largest `numerator / floor` that meets the target.
    pub limit: f64,
}

/// The targets of the benchmark specification, and the stricter
/// comparisons this suite adds (`specified: false`). Evaluated over a
/// stored run by [`crate::targets`].
pub const TARGETS: &[Target] = &[
    Target {
        target: "as_slice RO vs raw memmap2",
        specified: true,
        group: "sequential_read",
        numerator: "mmapio_as_slice_ro",
        floors: &["memmap2_slice"],
        parameters: |p| p == "16MiB" || p == "256MiB",
        limit: 1.05,
    },
    Target {
        target: "as_slice RW vs raw memmap2",
        specified: true,
        group: "sequential_read",
        numerator: "mmapio_as_slice_rw",
        floors: &["memmap2_slice"],
        parameters: |p| p == "16MiB" || p == "256MiB",
        limit: 1.05,
    },
    Target {
        target: "chunks(4096) RO vs raw chunks_exact loop",
        specified: true,
        group: "iterator_throughput",
        numerator: "mmapio_chunks_4096_ro",
        floors: &["memmap2_chunks_exact_4096"],
        parameters: |_| true,
        limit: 1.10,
    },
    // Stricter than the specified floor: where `slice::chunks` beats
    // `chunks_exact` (the cache-resident two-bytes loop), it is the floor.
    Target {
        target: "chunks(4096) RO vs fastest raw loop",
        specified: false,
        group: "iterator_throughput",
        numerator: "mmapio_chunks_4096_ro",
        floors: &["memmap2_chunks_exact_4096", "memmap2_chunks_4096"],
        parameters: |_| true,
        limit: 1.10,
    },
    Target {
        target: "chunks(4096) RW vs raw chunks_exact loop",
        specified: true,
        group: "iterator_throughput",
        numerator: "mmapio_chunks_4096_rw",
        floors: &["memmap2_chunks_exact_4096"],
        parameters: |_| true,
        limit: 1.10,
    },
    // Stricter than the specified floor, as above.
    Target {
        target: "chunks(4096) RW vs fastest raw loop",
        specified: false,
        group: "iterator_throughput",
        numerator: "mmapio_chunks_4096_rw",
        floors: &["memmap2_chunks_exact_4096", "memmap2_chunks_4096"],
        parameters: |_| true,
        limit: 1.10,
    },
    // The same per-item walk written as a `for` loop, which drives `next`
    // one item at a time, against the raw `for` loop over `chunks_exact`.
    Target {
        target: "for loop over chunks(4096) RO vs raw for loop",
        specified: true,
        group: "iterator_throughput",
        numerator: "mmapio_for_chunks_4096_ro",
        floors: &["memmap2_for_chunks_exact_4096"],
        parameters: |_| true,
        limit: 1.10,
    },
    Target {
        target: "for loop over chunks(4096) RW vs raw for loop",
        specified: true,
        group: "iterator_throughput",
        numerator: "mmapio_for_chunks_4096_rw",
        floors: &["memmap2_for_chunks_exact_4096"],
        parameters: |_| true,
        limit: 1.10,
    },
    // The `for` loop over `&chunks`: items lent by the iterator hold no
    // share of the lock, so nothing in the loop may call out of line and
    // LLVM unrolls it on a read-write mapping too. Not named by the
    // specification, which measures the iterator's own items.
    Target {
        target: "for loop over &chunks(4096) RO vs raw for loop",
        specified: false,
        group: "iterator_throughput",
        numerator: "mmapio_for_lent_chunks_4096_ro",
        floors: &["memmap2_for_chunks_exact_4096"],
        parameters: |_| true,
        limit: 1.10,
    },
    Target {
        target: "for loop over &chunks(4096) RW vs raw for loop",
        specified: false,
        group: "iterator_throughput",
        numerator: "mmapio_for_lent_chunks_4096_rw",
        floors: &["memmap2_for_chunks_exact_4096"],
        parameters: |_| true,
        limit: 1.10,
    },
    // The raw `for` loop with the same items: `slice::chunks` also yields a
    // shorter last chunk, so the length of each item is computed in `next`
    // and LLVM neither counts the loop's trips nor unrolls it with constant
    // offsets, as it does for `chunks_exact`.
    Target {
        target: "for loop over chunks(4096) RO vs raw for over slice::chunks",
        specified: false,
        group: "iterator_throughput",
        numerator: "mmapio_for_chunks_4096_ro",
        floors: &["memmap2_for_chunks_4096"],
        parameters: |_| true,
        limit: 1.10,
    },
    Target {
        target: "for loop over chunks(4096) RW vs raw for over slice::chunks",
        specified: false,
        group: "iterator_throughput",
        numerator: "mmapio_for_chunks_4096_rw",
        floors: &["memmap2_for_chunks_4096"],
        parameters: |_| true,
        limit: 1.10,
    },
    Target {
        target: "warm touch_pages RO vs raw volatile loop",
        specified: true,
        group: "touch_pages_large",
        numerator: "mmapio_touch_pages_ro",
        floors: &["memmap2_volatile_loop"],
        parameters: |p| p.starts_with("warm_"),
        limit: 1.2,
    },
    Target {
        target: "warm touch_pages RW vs raw volatile loop",
        specified: true,
        group: "touch_pages_large",
        numerator: "mmapio_touch_pages_rw",
        floors: &["memmap2_volatile_loop"],
        parameters: |p| p.starts_with("warm_"),
        limit: 1.2,
    },
    Target {
        target: "atomic_u64 fetch_add vs raw AtomicU64",
        specified: true,
        group: "atomic_contention",
        numerator: "mmapio_atomic_u64",
        floors: &["memmap2_raw_atomic_u64"],
        parameters: |_| true,
        limit: 1.05,
    },
    Target {
        target: "Manual sequential_write vs raw copy_from_slice",
        specified: true,
        group: "sequential_write",
        numerator: "mmapio_manual",
        floors: &["memmap2_copy_from_slice"],
        parameters: |_| true,
        limit: 1.10,
    },
    Target {
        target: "random_read 64 B as_slice RO vs raw indexing",
        specified: true,
        group: "random_read",
        numerator: "mmapio_as_slice_ro",
        floors: &["memmap2_slice"],
        parameters: |p| p == "64B",
        limit: 1.5,
    },
    Target {
        target: "random_read 64 B as_slice RW vs raw indexing",
        specified: true,
        group: "random_read",
        numerator: "mmapio_as_slice_rw",
        floors: &["memmap2_slice"],
        parameters: |p| p == "64B",
        limit: 4.0,
    },
];

/// One `#[library_benchmark]` function of the `instruction_counts` bench:
/// its library and how many operations one run of it performs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstructionCount {
    /// The function's name.
    pub function: &'static str,
    /// The library it calls.
    pub library: Library,
    /// The operations of one run (calls, requests, items, pages, writes):
    /// 1 for a one-call bench. A bench of at least
    /// [`LOOP_OPERATIONS`] operations is a loop bench, whose estimated
    /// cycles are gated as well as its instructions.
    pub operations: u32,
    /// The timed workload whose hot path it counts, if any: the gate's
    /// resolution is reported per workload.
    pub workload: Option<&'static str>,
}

/// The fewest operations of a loop bench. Below that, a bench's estimated
/// cycles hang on a handful of cache misses that code layout and the
/// setup decide, so they move between builds of unchanged code; over
/// hundreds of operations they repeat.
pub const LOOP_OPERATIONS: u32 = 256;

impl InstructionCount {
    const fn new(function: &'static str, library: Library) -> InstructionCount {
        InstructionCount {
            function,
            library,
            operations: 1,
            workload: None,
        }
    }

    const fn mmapio(function: &'static str) -> InstructionCount {
        InstructionCount::new(function, Library::Mmapio)
    }

    const fn mmap_io(function: &'static str) -> InstructionCount {
        InstructionCount::new(function, Library::MmapIo)
    }

    const fn raw(function: &'static str) -> InstructionCount {
        InstructionCount::new(function, Library::Memmap2)
    }

    /// A one-call bench of `workload`'s hot path.
    const fn of(self, workload: &'static str) -> InstructionCount {
        InstructionCount {
            workload: Some(workload),
            ..self
        }
    }

    /// A loop of `operations` operations of `workload`'s hot loop.
    const fn looping(self, workload: &'static str, operations: u32) -> InstructionCount {
        InstructionCount {
            operations,
            workload: Some(workload),
            ..self
        }
    }

    /// Whether this is a loop bench (at least [`LOOP_OPERATIONS`]).
    pub fn is_loop(&self) -> bool {
        self.operations >= LOOP_OPERATIONS
    }
}

// The operation counts of the bench file's loops.
const CHUNKS: u32 = 256; // 1 MiB in 4 KiB chunks
const TOUCHED_PAGES: u32 = 4096; // 16 MiB in 4 KiB pages
const FETCH_ADDS: u32 = 1000;
const SEQUENTIAL_PAGES: u32 = 256; // 1 MiB read front to back
const RANDOM_REQUESTS: u32 = 1000;
const WRITES: u32 = 256;

/// Every `#[library_benchmark]` function of the `instruction_counts`
/// bench. A test keeps this list equal to the bench file's functions, and
/// `bench-gate collect` refuses a summary of a function it lacks.
pub const INSTRUCTION_COUNTS: &[InstructionCount] = &[
    InstructionCount::mmapio("mmapio_as_slice").of("random_read"),
    InstructionCount::mmap_io("mmap_io_as_slice").of("random_read"),
    InstructionCount::raw("memmap2_slice").of("random_read"),
    InstructionCount::mmapio("mmapio_read_into").of("random_read"),
    InstructionCount::mmap_io("mmap_io_read_into").of("random_read"),
    InstructionCount::mmapio("mmapio_update_region").of("sequential_write"),
    InstructionCount::mmap_io("mmap_io_update_region").of("sequential_write"),
    InstructionCount::raw("memmap2_copy_from_slice").of("sequential_write"),
    InstructionCount::mmapio("mmapio_chunks_4096").looping("iterator_throughput", CHUNKS),
    InstructionCount::mmap_io("mmap_io_chunks_4096").looping("iterator_throughput", CHUNKS),
    InstructionCount::raw("memmap2_chunks_exact_4096").looping("iterator_throughput", CHUNKS),
    InstructionCount::mmapio("mmapio_chunks_4096_two_bytes").looping("iterator_throughput", CHUNKS),
    InstructionCount::mmap_io("mmap_io_chunks_4096_two_bytes")
        .looping("iterator_throughput", CHUNKS),
    InstructionCount::raw("memmap2_chunks_exact_4096_two_bytes")
        .looping("iterator_throughput", CHUNKS),
    InstructionCount::raw("memmap2_chunks_4096_two_bytes").looping("iterator_throughput", CHUNKS),
    InstructionCount::mmapio("mmapio_for_chunks_4096_two_bytes")
        .looping("iterator_throughput", CHUNKS),
    InstructionCount::raw("memmap2_for_chunks_exact_4096_two_bytes")
        .looping("iterator_throughput", CHUNKS),
    InstructionCount::mmapio("mmapio_for_lent_chunks_4096_two_bytes")
        .looping("iterator_throughput", CHUNKS),
    InstructionCount::raw("memmap2_for_chunks_exact_4096_call_per_item_two_bytes")
        .looping("iterator_throughput", CHUNKS),
    InstructionCount::raw("memmap2_for_chunks_4096_two_bytes")
        .looping("iterator_throughput", CHUNKS),
    InstructionCount::mmapio("mmapio_touch_pages_range")
        .looping("touch_pages_large", TOUCHED_PAGES),
    InstructionCount::mmap_io("mmap_io_touch_pages_range")
        .looping("touch_pages_large", TOUCHED_PAGES),
    InstructionCount::raw("memmap2_volatile_loop").looping("touch_pages_large", TOUCHED_PAGES),
    InstructionCount::mmapio("mmapio_atomic_u64").looping("atomic_contention", FETCH_ADDS),
    InstructionCount::mmap_io("mmap_io_atomic_u64").looping("atomic_contention", FETCH_ADDS),
    InstructionCount::raw("memmap2_raw_atomic_u64").looping("atomic_contention", FETCH_ADDS),
    InstructionCount::mmapio("mmapio_sequential_as_slice")
        .looping("sequential_read", SEQUENTIAL_PAGES),
    InstructionCount::mmapio("mmapio_sequential_read_into")
        .looping("sequential_read", SEQUENTIAL_PAGES),
    InstructionCount::raw("memmap2_sequential_slice").looping("sequential_read", SEQUENTIAL_PAGES),
    InstructionCount::raw("memmap2_sequential_copy").looping("sequential_read", SEQUENTIAL_PAGES),
    InstructionCount::mmapio("mmapio_random_as_slice").looping("random_read", RANDOM_REQUESTS),
    InstructionCount::mmapio("mmapio_random_read_into").looping("random_read", RANDOM_REQUESTS),
    InstructionCount::raw("memmap2_random_slice").looping("random_read", RANDOM_REQUESTS),
    InstructionCount::raw("memmap2_random_copy").looping("random_read", RANDOM_REQUESTS),
    InstructionCount::mmapio("mmapio_sequential_update_region").looping("sequential_write", WRITES),
    InstructionCount::raw("memmap2_sequential_copy_from_slice").looping("sequential_write", WRITES),
    InstructionCount::mmapio("mmapio_out_of_range"),
    InstructionCount::mmap_io("mmap_io_out_of_range"),
];

/// The declared instruction-count bench `function`.
pub fn instruction_count(function: &str) -> Option<&'static InstructionCount> {
    INSTRUCTION_COUNTS.iter().find(|c| c.function == function)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_with_like_for_like_floors_pass() {
        let raw = Role::raw(Shape::CopyOut);
        let ours = Role::mmapio(Shape::CopyOut)
            .floor("memmap2_copy")
            .peer("mmap_io_read_into");
        let peer = Role::mmap_io(Shape::CopyOut).floor("memmap2_copy");
        let batch = [
            ("memmap2_copy", &raw),
            ("mmapio_read_into", &ours),
            ("mmap_io_read_into", &peer),
        ];
        assert_eq!(check_batch(batch), Ok(()));
    }

    #[test]
    fn unlike_or_unknown_floors_and_peers_are_refused() {
        let view = Role::raw(Shape::View);
        let copying = Role::mmapio(Shape::CopyOut).floor("memmap2_slice");
        let err = check_batch([("memmap2_slice", &view), ("mmapio_read_into", &copying)]);
        assert_eq!(
            err.unwrap_err(),
            "mmapio_read_into: floor memmap2_slice does view work, not copy out"
        );
        let missing = Role::mmapio(Shape::View).floor("memmap2_nothing");
        assert!(check_batch([("a", &missing)])
            .unwrap_err()
            .contains("not in the batch"));
        let peer_as_floor = Role::mmapio(Shape::View).floor("mmap_io_as_slice");
        let peer = Role::mmap_io(Shape::View);
        assert!(
            check_batch([("mmap_io_as_slice", &peer), ("a", &peer_as_floor)])
                .unwrap_err()
                .contains("not raw memmap2")
        );
        let raw_peer = Role::mmapio(Shape::View).peer("memmap2_slice");
        assert!(check_batch([("memmap2_slice", &view), ("a", &raw_peer)])
            .unwrap_err()
            .contains("not mmap-io"));
    }

    #[test]
    fn every_workloads_variants_are_unique_and_like_for_like() {
        for w in WORKLOADS {
            let roles: Vec<(&str, Role)> =
                w.variants.iter().map(|v| (v.function, v.role())).collect();
            let mut names: Vec<&str> = roles.iter().map(|(f, _)| *f).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(
                names.len(),
                roles.len(),
                "{}: a variant is declared twice",
                w.name
            );
            let batch = roles.iter().map(|(f, r)| (*f, r));
            assert_eq!(check_batch(batch), Ok(()), "{}", w.name);
            assert_eq!(
                w.variants.is_empty(),
                w.harness == Harness::InstructionCounts,
                "{}",
                w.name
            );
        }
        let role = role_of("random_read", "mmapio_as_slice_ro").unwrap();
        assert_eq!(role.floor.as_deref(), Some("memmap2_slice"));
        assert_eq!(role.peer.as_deref(), Some("mmap_io_as_slice_ro"));
        assert!(role_of("random_read", "mmapio_undeclared").is_none());
    }

    #[test]
    fn sizes_are_given_per_profile_and_quick_is_the_smaller() {
        for w in WORKLOADS {
            let (quick, full) = (w.sizes.quick, w.sizes.full);
            assert_eq!(quick.is_empty(), full.is_empty(), "{}", w.name);
            let largest = full.iter().copied().max().unwrap_or(0);
            assert!(quick.iter().all(|&q| q <= largest), "{}", w.name);
        }
        let read = workload("sequential_read").unwrap();
        assert_eq!(read.sizes.of(true), read.sizes.full);
        assert_eq!(read.sizes.of(false), read.sizes.quick);
    }

    #[test]
    fn instruction_counts_name_criterion_workloads_and_gated_workloads_have_pairs() {
        for count in INSTRUCTION_COUNTS {
            if let Some(w) = count.workload {
                let entry = workload(w).unwrap_or_else(|| panic!("{}: {w}", count.function));
                assert_eq!(entry.harness, Harness::Criterion, "{}", count.function);
            }
        }
        // Six pairs at least: the fewest whose signed-rank interval reaches
        // 95% (crate::stats::hodges_lehmann).
        for w in WORKLOADS.iter().filter(|w| w.harness == Harness::Criterion) {
            assert!(w.gate_pairs >= 6, "{}: {} pairs", w.name, w.gate_pairs);
        }
    }

    #[test]
    fn only_mmapio_is_gated() {
        assert!(Library::Mmapio.is_gated());
        for peer in [Library::MmapIo, Library::Memmap2, Library::Std] {
            assert!(!peer.is_gated(), "{peer}");
        }
    }
}
