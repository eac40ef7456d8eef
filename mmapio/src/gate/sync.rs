//! The atomics and fences of the gate's protocol: `std`'s, or loom's when
//! the crate is built with `--cfg mmapio_loom` so that the models in
//! `gate/loom_models.rs` explore every interleaving of the same code.

#[cfg(mmapio_loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicU64};
#[cfg(not(mmapio_loom))]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicU64};

#[cfg(mmapio_loom)]
pub(crate) use loom::thread::yield_now;
#[cfg(not(mmapio_loom))]
pub(crate) use std::thread::yield_now;
