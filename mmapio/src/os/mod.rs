//! The platform layer: the few OS facts and calls that memmap2 does not
//! cover. Everything above this module is platform-neutral.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use unix::*;

#[cfg(not(unix))]
mod fallback;
#[cfg(not(unix))]
pub(crate) use fallback::*;
