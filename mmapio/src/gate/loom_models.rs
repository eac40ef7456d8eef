//! loom models of the gate's protocol ([`Bias`]): every interleaving, and
//! every weak-memory outcome loom models, of a few threads over one gate.
//!
//! Each model has a value written by writers (through a loom `UnsafeCell`,
//! so loom reports any access that is not ordered after the other) and the
//! lock as a loom `RwLock`; the slots are given to `Bias` explicitly, one
//! per thread, as the thread records do outside loom. Run with
//!
//! ```text
//! RUSTFLAGS="--cfg mmapio_loom" cargo test -p mmapio --lib --release gate::loom_models
//! ```
//!
//! loom models `fence(SeqCst)`, not the process-wide barrier, which is the
//! fallback strategy: the models check the ordering argument, not
//! `membarrier` itself (the store-buffering litmus test does that natively).

use loom::cell::UnsafeCell;
use loom::sync::{Arc, RwLock};
use loom::thread;

use super::sync::AtomicU64;
use super::{Bias, Revoked, COUNT_MASK};
use std::sync::atomic::Ordering;

struct Model {
    bias: Bias,
    lock: RwLock<()>,
    value: UnsafeCell<u64>,
    /// One slot per model thread.
    slots: [AtomicU64; 3],
}

// SAFETY: `value` is only reached under the protocol being checked; loom
// reports every access that the protocol fails to order.
unsafe impl Sync for Model {}
unsafe impl Send for Model {}

impl Model {
    fn new(biased: bool) -> Arc<Self> {
        let bias = Bias::new(true);
        bias.on.store(biased, Ordering::Relaxed);
        Arc::new(Model {
            bias,
            lock: RwLock::new(()),
            value: UnsafeCell::new(0),
            slots: [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)],
        })
    }

    fn read_value(&self) -> u64 {
        // SAFETY: called with a claim or the read lock held; loom checks it.
        self.value.with(|v| unsafe { *v })
    }

    /// A view by thread `me`: biased if the claim succeeds, else through
    /// the lock (turning the bias back on, as lock-path views do).
    fn view(&self, me: usize) -> u64 {
        if self.bias.claim(&self.slots[me]) {
            let seen = self.read_value();
            Bias::release(&self.slots[me]);
            seen
        } else {
            let _read = self.lock.read().unwrap();
            let seen = self.read_value();
            self.bias.reenable();
            seen
        }
    }

    /// A writer on thread `me`: write lock, revocation, write.
    fn write(&self, me: usize, deadline: Option<std::time::Instant>) -> Revoked {
        let _write = self.lock.write().unwrap();
        let outcome = self
            .bias
            .revoke(|| self.slots.iter(), Some(&self.slots[me]), deadline);
        if outcome == Revoked::Drained {
            // SAFETY: the write lock and a drained bias; loom checks it.
            self.value.with_mut(|v| unsafe { *v += 1 });
        }
        outcome
    }
}

#[test]
fn a_claim_against_a_revocation() {
    loom::model(|| {
        let m = Model::new(true);
        let reader = {
            let m = m.clone();
            thread::spawn(move || m.view(0))
        };
        assert_eq!(m.write(1, None), Revoked::Drained);
        let seen = reader.join().unwrap();
        assert!(seen <= 1);
        assert_eq!(m.read_value(), 1);
    });
}

#[test]
fn a_nested_claim_during_a_revocation() {
    loom::model(|| {
        let m = Model::new(true);
        let reader = {
            let m = m.clone();
            thread::spawn(move || {
                if m.bias.claim(&m.slots[0]) {
                    let first = m.read_value();
                    // Nested in the live claim: must succeed whatever the
                    // writer did meanwhile, and see the same value.
                    assert!(m.bias.claim(&m.slots[0]), "a nested claim never fails");
                    assert_eq!(m.read_value(), first, "the value changed under a view");
                    Bias::release(&m.slots[0]);
                    assert_eq!(m.read_value(), first, "the value changed under a view");
                    Bias::release(&m.slots[0]);
                }
                assert_eq!(
                    m.slots[0].load(Ordering::Relaxed) & COUNT_MASK,
                    0,
                    "the slot is free again"
                );
            })
        };
        m.write(1, None);
        reader.join().unwrap();
    });
}

#[test]
fn re_enabling_the_bias_against_a_revocation() {
    loom::model(|| {
        // The bias starts off: the first view takes the lock and turns it
        // back on while the writer may be revoking (it cannot be: it holds
        // the write lock then), and a second reader may take the biased
        // path at any point.
        let m = Model::new(false);
        let enabler = {
            let m = m.clone();
            thread::spawn(move || m.view(0))
        };
        let biased = {
            let m = m.clone();
            thread::spawn(move || m.view(1))
        };
        m.write(2, None);
        enabler.join().unwrap();
        biased.join().unwrap();
    });
}

#[test]
fn the_last_release_against_a_waiting_writer() {
    loom::model(|| {
        let m = Model::new(true);
        let reader = {
            let m = m.clone();
            thread::spawn(move || {
                // Two views, the second nested; the writer waits for both.
                if m.bias.claim(&m.slots[0]) {
                    let first = m.read_value();
                    if m.bias.claim(&m.slots[0]) {
                        Bias::release(&m.slots[0]);
                    }
                    thread::yield_now();
                    assert_eq!(m.read_value(), first);
                    Bias::release(&m.slots[0]);
                }
            })
        };
        assert_eq!(m.write(1, None), Revoked::Drained);
        reader.join().unwrap();
        assert_eq!(m.read_value(), 1);
    });
}

#[test]
fn the_try_forms_never_write_under_a_view() {
    loom::model(|| {
        let m = Model::new(true);
        let reader = {
            let m = m.clone();
            thread::spawn(move || m.view(0))
        };
        // A try-writer looks once: it writes only if the views drained.
        let outcome = m.write(1, Some(std::time::Instant::now()));
        reader.join().unwrap();
        let expected = u64::from(outcome == Revoked::Drained);
        assert_eq!(m.read_value(), expected);
    });
}

#[test]
fn a_writer_refuses_to_wait_for_its_own_view() {
    loom::model(|| {
        let m = Model::new(true);
        assert!(m.bias.claim(&m.slots[0]));
        let outcome = m.bias.revoke(|| m.slots.iter(), Some(&m.slots[0]), None);
        assert_eq!(outcome, Revoked::OwnView);
        assert!(m.bias.on.load(Ordering::Relaxed), "nothing was revoked");
        Bias::release(&m.slots[0]);
    });
}
