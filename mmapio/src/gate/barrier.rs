//! The two halves of the gate's asymmetric fence, and the process-wide
//! choice of how to make them.
//!
//! A reader announces itself with a plain store and then loads the bias; a
//! revoking writer clears the bias and then loads every announcement. That
//! is the store-buffering pattern: without a full fence between the store
//! and the load on *both* sides, each can miss the other's store. Readers
//! are many and writers rare, so the reader's half is made as cheap as
//! possible ([`Light`]) and the writer's half pays for both ([`heavy`]):
//!
//! * **Linux** (not Android, whose seccomp policy kills a process that calls
//!   `membarrier` below API level 29): `light` is a compiler fence and
//!   `heavy` is `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`, which makes
//!   every thread of the process that is running at that moment execute a
//!   full memory barrier. Either a reader's store was made before that
//!   barrier (and the writer's later load sees it), or the reader's load
//!   comes after it (and sees the cleared bias).
//! * **Windows**: the same, with `FlushProcessWriteBuffers`.
//! * **Elsewhere** (macOS, the BSDs, Android), under Miri and loom, or when
//!   `membarrier` is not available: both halves are `fence(SeqCst)`, the
//!   portable form of the same argument (two SeqCst fences order a store
//!   before one and a load after the other).
//!
//! The strategy is chosen once per process, before the first gate exists
//! (`Gate::new` asks for it), and never changes: a reader's compiler fence
//! is only sound against a writer that issues the process-wide barrier.
//! `MMAPIO_READER_GATE` (`fence`, `lock` or `auto`) forces a strategy, so
//! that tests can run each one; `lock` turns the biased path off and every
//! view takes the lock.

use std::sync::atomic::{compiler_fence, AtomicU8, Ordering};
use std::sync::Once;

use super::sync::fence;

/// How the two halves are made in this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Strategy {
    /// `light` is a compiler fence; `heavy` is the operating system's
    /// process-wide barrier (`membarrier` or `FlushProcessWriteBuffers`).
    ProcessBarrier,
    /// Both halves are `fence(SeqCst)`.
    Fence,
    /// No biased reads: every view takes the lock.
    LockOnly,
}

const UNDECIDED: u8 = 0;
const PROCESS_BARRIER: u8 = 1;
const FENCE: u8 = 2;
const LOCK_ONLY: u8 = 3;

/// The chosen strategy; written once, under `DECIDE`, before any gate
/// exists, so every reader of a gate sees the final value.
static STRATEGY: AtomicU8 = AtomicU8::new(UNDECIDED);
static DECIDE: Once = Once::new();

/// The environment variable that forces a strategy.
const STRATEGY_ENV: &str = "MMAPIO_READER_GATE";

/// The strategy of this process, choosing it on the first call.
pub(crate) fn strategy() -> Strategy {
    DECIDE.call_once(|| {
        let forced = std::env::var(STRATEGY_ENV).unwrap_or_default();
        let chosen = match forced.as_str() {
            "fence" => FENCE,
            "lock" => LOCK_ONLY,
            _ if os::register() => PROCESS_BARRIER,
            _ => FENCE,
        };
        STRATEGY.store(chosen, Ordering::Release);
    });
    match STRATEGY.load(Ordering::Acquire) {
        PROCESS_BARRIER => Strategy::ProcessBarrier,
        FENCE => Strategy::Fence,
        _ => Strategy::LockOnly,
    }
}

/// The reader's half, between its announcement and its load of the bias,
/// as this process makes it. A gate keeps one beside its bias, so a view
/// reads the strategy from a cache line it loads anyway.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Light {
    /// Whether the half is a full fence (every strategy but the process
    /// barrier's).
    fence: bool,
}

impl Light {
    /// The reader's half of this process's strategy, deciding it first if
    /// no one has.
    pub(crate) fn of_this_process() -> Self {
        Light {
            fence: strategy() != Strategy::ProcessBarrier,
        }
    }

    /// Whether [`issue`](Self::issue) is a full fence, so a reader that
    /// can skip it (the bias is off anyway) should.
    #[inline(always)]
    pub(crate) fn is_fence(self) -> bool {
        self.fence
    }

    /// Makes the reader's half.
    #[inline(always)]
    pub(crate) fn issue(self) {
        if self.fence {
            fence(Ordering::SeqCst);
        } else {
            compiler_fence(Ordering::SeqCst);
        }
    }
}

/// The writer's half, between clearing the bias and loading the readers'
/// announcements.
pub(crate) fn heavy() {
    if STRATEGY.load(Ordering::Relaxed) == PROCESS_BARRIER {
        os::process_barrier();
    } else {
        fence(Ordering::SeqCst);
    }
}

#[cfg(all(target_os = "linux", not(miri), not(mmapio_loom)))]
mod os {
    //! `membarrier(2)`, through the raw system call (glibc has no wrapper).

    const MEMBARRIER_CMD_QUERY: libc::c_long = 0;
    const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
    const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;

    fn membarrier(cmd: libc::c_long) -> libc::c_long {
        // SAFETY: `membarrier` takes a command and two integer arguments
        // (flags and a CPU id, both 0 here) and touches no memory of ours.
        unsafe {
            libc::syscall(
                libc::SYS_membarrier,
                cmd,
                0 as libc::c_long,
                0 as libc::c_long,
            )
        }
    }

    /// Whether the expedited private barrier is supported, registering this
    /// process for it (Linux 4.14 and later).
    pub(super) fn register() -> bool {
        let wanted = MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;
        let supported = membarrier(MEMBARRIER_CMD_QUERY);
        supported >= 0
            && supported & wanted == wanted
            && membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0
    }

    pub(super) fn process_barrier() {
        // Once registered, the command cannot fail: the kernel documents no
        // error for it. Readers rely on it, so a failure cannot be handled
        // by carrying on.
        if membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0 {
            eprintln!(
                "mmapio: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) failed after registration: {}",
                std::io::Error::last_os_error()
            );
            std::process::abort();
        }
    }
}

#[cfg(all(windows, not(miri), not(mmapio_loom)))]
mod os {
    //! `FlushProcessWriteBuffers`, available since Windows Vista.

    use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleA, GetProcAddress};

    /// Whether `FlushProcessWriteBuffers` may serve as the heavy barrier:
    /// not under Wine, whose version does not interrupt the other threads
    /// (the store-buffering litmus test sees the forbidden outcome under
    /// Wine 8.0), so there readers pay the fence.
    pub(super) fn register() -> bool {
        !under_wine()
    }

    /// Wine's `ntdll` exports `wine_get_version`; Windows' does not.
    fn under_wine() -> bool {
        // SAFETY: both calls take NUL-terminated names that outlive them;
        // the module handle is checked for null before it is used, and
        // the address looked up is never called.
        unsafe {
            let ntdll = GetModuleHandleA(b"ntdll.dll\0".as_ptr());
            ntdll != 0 && GetProcAddress(ntdll, b"wine_get_version\0".as_ptr()).is_some()
        }
    }

    pub(super) fn process_barrier() {
        // SAFETY: takes no arguments and cannot fail.
        unsafe { windows_sys::Win32::System::Threading::FlushProcessWriteBuffers() }
    }
}

#[cfg(not(any(
    all(target_os = "linux", not(miri), not(mmapio_loom)),
    all(windows, not(miri), not(mmapio_loom))
)))]
mod os {
    //! No process-wide barrier: readers pay a full fence.

    pub(super) fn register() -> bool {
        false
    }

    /// Never called (`register` refused the strategy); a full fence keeps
    /// it sound anyway.
    pub(super) fn process_barrier() {
        super::fence(std::sync::atomic::Ordering::SeqCst);
    }
}
