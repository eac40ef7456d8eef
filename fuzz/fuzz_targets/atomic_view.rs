//! `atomic_view`: atomic views agree with a byte model.
//!
//! For any offset, count and width (`atomic_u32`, `atomic_u64` and their
//! slice forms), in every mode:
//!
//! * the error is exactly the documented one, in the documented order:
//!   `InvalidMode { op, mode }` unless read-write, then
//!   `Misaligned { required: width, offset }` unless `offset % width == 0`,
//!   then `OutOfBounds { offset, len: count * width (saturating), total }`
//!   unless the values fit;
//! * a view that is made has `count` values, each reading the model's bytes
//!   at its place (native endian); loads, stores, `fetch_add`, `swap` and
//!   `compare_exchange` behave like the model, also through other views held
//!   at the same time (several atomic views may be alive at once);
//! * once every atomic view is dropped, the bytes read back through a byte
//!   view equal the model, and after the mapping is dropped so does the file.
#![no_main]

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mmapio::{AtomicSliceView, AtomicView, FlushPolicy, MemoryMappedFile, MmapIoError};
use mmapio_fuzz::{
    assert_file_eq, assert_invalid_mode, assert_mapping_eq, assert_out_of_bounds, map_bytes,
    model_range, pattern, scratch_file, FileLen, Mode, Pos,
};

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Width {
    U32,
    U64,
}

impl Width {
    fn bytes(self) -> usize {
        match self {
            Width::U32 => 4,
            Width::U64 => 8,
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Count {
    Zero,
    Small(u8),
    /// As many as fit after the offset, plus a small delta.
    Rest(i8),
    Huge(u64),
    Max,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Shape {
    Single,
    Slice(Count),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum AOp {
    Load,
    Store(u64),
    FetchAdd(u64),
    Swap(u64),
    CompareExchange { hit: bool, new: u64 },
}

#[derive(Arbitrary, Debug)]
struct Req {
    width: Width,
    offset: Pos,
    shape: Shape,
    ops: Vec<(u8, AOp)>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    len: FileLen,
    mode: Mode,
    seed: u64,
    batches: Vec<Vec<Req>>,
}

/// The two atomic types, widened to `u64`.
trait Atom {
    const WIDTH: usize;
    fn get(&self) -> u64;
    fn put(&self, v: u64);
    fn add(&self, v: u64) -> u64;
    fn swap_in(&self, v: u64) -> u64;
    fn cas(&self, current: u64, new: u64) -> Result<u64, u64>;
}

impl Atom for AtomicU32 {
    const WIDTH: usize = 4;
    fn get(&self) -> u64 {
        u64::from(self.load(Ordering::Acquire))
    }
    fn put(&self, v: u64) {
        self.store(v as u32, Ordering::Release)
    }
    fn add(&self, v: u64) -> u64 {
        u64::from(self.fetch_add(v as u32, Ordering::AcqRel))
    }
    fn swap_in(&self, v: u64) -> u64 {
        u64::from(self.swap(v as u32, Ordering::AcqRel))
    }
    fn cas(&self, current: u64, new: u64) -> Result<u64, u64> {
        self.compare_exchange(
            current as u32,
            new as u32,
            Ordering::AcqRel,
            Ordering::Acquire,
        )
        .map(u64::from)
        .map_err(u64::from)
    }
}

impl Atom for AtomicU64 {
    const WIDTH: usize = 8;
    fn get(&self) -> u64 {
        self.load(Ordering::Acquire)
    }
    fn put(&self, v: u64) {
        self.store(v, Ordering::Release)
    }
    fn add(&self, v: u64) -> u64 {
        self.fetch_add(v, Ordering::AcqRel)
    }
    fn swap_in(&self, v: u64) -> u64 {
        self.swap(v, Ordering::AcqRel)
    }
    fn cas(&self, current: u64, new: u64) -> Result<u64, u64> {
        self.compare_exchange(current, new, Ordering::AcqRel, Ordering::Acquire)
    }
}

fn model_get(model: &[u8], at: usize, width: usize) -> u64 {
    let b = &model[at..at + width];
    match width {
        4 => u64::from(u32::from_ne_bytes(b.try_into().unwrap())),
        _ => u64::from_ne_bytes(b.try_into().unwrap()),
    }
}

fn model_set(model: &mut [u8], at: usize, width: usize, v: u64) {
    match width {
        4 => model[at..at + 4].copy_from_slice(&(v as u32).to_ne_bytes()),
        _ => model[at..at + 8].copy_from_slice(&v.to_ne_bytes()),
    }
}

fn apply<A: Atom>(a: &A, at: usize, op: AOp, model: &mut [u8]) {
    let w = A::WIDTH;
    let mask = if w == 4 {
        u64::from(u32::MAX)
    } else {
        u64::MAX
    };
    let cur = model_get(model, at, w);
    match op {
        AOp::Load => {}
        AOp::Store(v) => {
            a.put(v);
            model_set(model, at, w, v);
        }
        AOp::FetchAdd(v) => {
            assert_eq!(a.add(v), cur, "fetch_add's old value at {at}");
            model_set(model, at, w, cur.wrapping_add(v) & mask);
        }
        AOp::Swap(v) => {
            assert_eq!(a.swap_in(v), cur, "swap's old value at {at}");
            model_set(model, at, w, v);
        }
        AOp::CompareExchange { hit, new } => {
            let expected = if hit { cur } else { cur ^ 1 };
            let result = a.cas(expected, new);
            if hit {
                assert_eq!(result, Ok(cur), "compare_exchange at {at}");
                model_set(model, at, w, new);
            } else {
                assert_eq!(result, Err(cur), "failed compare_exchange at {at}");
            }
        }
    }
    assert_eq!(a.get(), model_get(model, at, w), "load at {at}");
}

enum Held<'a> {
    One32(AtomicView<'a, AtomicU32>, usize),
    One64(AtomicView<'a, AtomicU64>, usize),
    Many32(AtomicSliceView<'a, AtomicU32>, usize),
    Many64(AtomicSliceView<'a, AtomicU64>, usize),
}

impl Held<'_> {
    fn apply(&self, index: u8, op: AOp, model: &mut [u8]) {
        match self {
            Held::One32(v, at) => apply(&**v, *at, op, model),
            Held::One64(v, at) => apply(&**v, *at, op, model),
            Held::Many32(s, at) if !s.is_empty() => {
                let i = usize::from(index) % s.len();
                apply(&s[i], at + 4 * i, op, model)
            }
            Held::Many64(s, at) if !s.is_empty() => {
                let i = usize::from(index) % s.len();
                apply(&s[i], at + 8 * i, op, model)
            }
            Held::Many32(..) | Held::Many64(..) => {}
        }
    }

    /// Every value the view covers reads as the model says.
    fn check(&self, model: &[u8]) {
        match self {
            Held::One32(v, at) => assert_eq!(v.get(), model_get(model, *at, 4)),
            Held::One64(v, at) => assert_eq!(v.get(), model_get(model, *at, 8)),
            Held::Many32(s, at) => {
                for (i, a) in s.iter().enumerate() {
                    assert_eq!(
                        a.get(),
                        model_get(model, at + 4 * i, 4),
                        "u32 slice item {i}"
                    );
                }
            }
            Held::Many64(s, at) => {
                for (i, a) in s.iter().enumerate() {
                    assert_eq!(
                        a.get(),
                        model_get(model, at + 8 * i, 8),
                        "u64 slice item {i}"
                    );
                }
            }
        }
    }
}

/// Makes the view `req` asks for, checking the outcome against the model;
/// `None` when the model says it must fail (and it did, exactly so).
fn make<'a>(map: &'a MemoryMappedFile, mode: Mode, model: &[u8], req: &Req) -> Option<Held<'a>> {
    let total = model.len() as u64;
    let width = req.width.bytes() as u64;
    let offset = req.offset.resolve(total);
    let (count, op) = match (req.shape, req.width) {
        (Shape::Single, Width::U32) => (1usize, "atomic_u32"),
        (Shape::Single, Width::U64) => (1, "atomic_u64"),
        (Shape::Slice(c), w) => {
            let count = match c {
                Count::Zero => 0,
                Count::Small(n) => usize::from(n),
                Count::Rest(d) => {
                    let fit = total.saturating_sub(offset) / width;
                    (fit as i64 + i64::from(d)).max(0) as usize
                }
                Count::Huge(n) => n as usize,
                Count::Max => usize::MAX,
            };
            let op = match w {
                Width::U32 => "atomic_u32_slice",
                Width::U64 => "atomic_u64_slice",
            };
            (count, op)
        }
    };
    // `count * width`, saturating at `u64::MAX` as documented.
    let len = (count as u64).saturating_mul(width);
    let aligned = offset.is_multiple_of(width);
    let expect_ok = mode == Mode::ReadWrite && aligned && model_range(offset, len, total).is_some();

    macro_rules! check_err {
        ($result:expr) => {{
            let result = $result;
            if mode != Mode::ReadWrite {
                assert_invalid_mode(result, op, mode.mmap_mode());
            } else if !aligned {
                match result {
                    Err(MmapIoError::Misaligned { required, offset: o })
                        if required == width && o == offset => {}
                    other => panic!("{op}({offset}): expected Misaligned {{ required: {width} }}, got {other:?}"),
                }
            } else {
                assert_out_of_bounds(result, offset, len, total);
            }
            return None;
        }};
    }

    let at = offset as usize;
    let held = match (req.shape, req.width) {
        (Shape::Single, Width::U32) => {
            let r = map.atomic_u32(offset);
            if !expect_ok {
                check_err!(r)
            }
            Held::One32(
                r.unwrap_or_else(|e| panic!("{op}({offset}) failed: {e:?}")),
                at,
            )
        }
        (Shape::Single, Width::U64) => {
            let r = map.atomic_u64(offset);
            if !expect_ok {
                check_err!(r)
            }
            Held::One64(
                r.unwrap_or_else(|e| panic!("{op}({offset}) failed: {e:?}")),
                at,
            )
        }
        (Shape::Slice(_), Width::U32) => {
            let r = map.atomic_u32_slice(offset, count);
            if !expect_ok {
                check_err!(r)
            }
            let s = r.unwrap_or_else(|e| panic!("{op}({offset}, {count}) failed: {e:?}"));
            assert_eq!(s.len(), count, "{op} length");
            Held::Many32(s, at)
        }
        (Shape::Slice(_), Width::U64) => {
            let r = map.atomic_u64_slice(offset, count);
            if !expect_ok {
                check_err!(r)
            }
            let s = r.unwrap_or_else(|e| panic!("{op}({offset}, {count}) failed: {e:?}"));
            assert_eq!(s.len(), count, "{op} length");
            Held::Many64(s, at)
        }
    };
    Some(held)
}

fuzz_target!(|input: Input| {
    let len = input.len.resolve(16 * 1024);
    let original = pattern(input.seed, len);
    let mut model = original.clone();
    let path = scratch_file("atomic_view.bin");
    let map = map_bytes(&path, &original, input.mode, FlushPolicy::Manual);

    for batch in input.batches.iter().take(8) {
        let mut held = Vec::new();
        for req in batch.iter().take(8) {
            let Some(view) = make(&map, input.mode, &model, req) else {
                continue;
            };
            view.check(&model);
            for &(index, op) in req.ops.iter().take(16) {
                view.apply(index, op, &mut model);
            }
            held.push(view);
        }
        // Stores through one view show in every other view over those bytes.
        for view in &held {
            view.check(&model);
        }
        drop(held);
        // Back in byte mode: the bytes read back equal the model.
        assert_mapping_eq(&map, &model);
    }

    drop(map);
    assert_file_eq(&path, &model);
    if input.mode != Mode::ReadWrite {
        assert_eq!(model, original);
    }
});
