//! `MmapReader` (`Read`, `Seek`, `BufRead` over a whole mapping) and, with
//! the `bytes` feature, the `bytes::Bytes` copies.
//!
//! The reader is checked against `std::io::Cursor<Vec<u8>>` as a model: a
//! property runs random sequences of seeks, reads and buffered reads on both
//! and requires the same results, error kinds, positions and bytes. Edge
//! seeks (`i64::MIN`, `u64::MAX`, overflow) are checked one by one, and a
//! live reader on a read-write mapping is shown to hold off `resize`.

mod common;

use std::io::{self, BufRead, Cursor, ErrorKind, IoSliceMut, Read, Seek, SeekFrom};
use std::path::Path;

use mmapio::{MemoryMappedFile, MmapMode};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(29).wrapping_add(seed))
        .collect()
}

/// Maps `data` in `mode` (an empty file opens as an empty mapping).
fn map_with(path: &Path, data: &[u8], mode: MmapMode) -> MemoryMappedFile {
    std::fs::write(path, data).unwrap();
    MemoryMappedFile::builder(path).mode(mode).open().unwrap()
}

fn modes() -> Vec<MmapMode> {
    #[cfg_attr(not(feature = "cow"), allow(unused_mut))]
    let mut modes = vec![MmapMode::ReadOnly, MmapMode::ReadWrite];
    #[cfg(feature = "cow")]
    modes.push(MmapMode::CopyOnWrite);
    modes
}

// ------------------------------------------------------------------- basics

#[test]
fn reads_the_whole_mapping_in_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(10_000, 1);
    for mode in modes() {
        let map = map_with(&dir.path().join(format!("{mode:?}.bin")), &data, mode);
        let mut reader = map.reader();
        assert_eq!(reader.position(), 0);
        assert_eq!(reader.get_ref().len(), 10_000);

        let mut head = [0u8; 100];
        reader.read_exact(&mut head).unwrap();
        assert_eq!(head, data[..100]);
        assert_eq!(reader.position(), 100);

        let mut rest = Vec::new();
        assert_eq!(reader.read_to_end(&mut rest).unwrap(), 9_900);
        assert_eq!(rest, data[100..]);
        assert_eq!(reader.read(&mut head).unwrap(), 0, "at the end");

        reader.set_position(9_990);
        let mut buf = [0u8; 64];
        assert_eq!(reader.read(&mut buf).unwrap(), 10);
        assert_eq!(buf[..10], data[9_990..]);

        // Zero-copy: fill_buf hands out the mapped bytes themselves.
        reader.rewind().unwrap();
        let available = reader.fill_buf().unwrap();
        assert_eq!(available.len(), 10_000);
        assert_eq!(available.as_ptr(), reader.get_ref().as_ptr());
        reader.consume(10);
        assert_eq!(reader.fill_buf().unwrap(), &data[10..]);

        let view = reader.into_inner();
        assert_eq!(view.offset(), 0);
        assert_eq!(view, data.as_slice());
    }
}

#[test]
fn buffered_line_reading() {
    let dir = tempfile::tempdir().unwrap();
    let text = b"alpha\nbeta\r\n\ngamma";
    let map = map_with(&dir.path().join("t.txt"), text, MmapMode::ReadOnly);
    let lines: Vec<String> = map.reader().lines().map(Result::unwrap).collect();
    assert_eq!(lines, ["alpha", "beta", "", "gamma"]);

    let mut reader = map.reader();
    let mut until = Vec::new();
    assert_eq!(reader.read_until(b'\r', &mut until).unwrap(), 11);
    assert_eq!(until, b"alpha\nbeta\r");
    let mut s = String::new();
    reader.read_to_string(&mut s).unwrap();
    assert_eq!(s, "\n\ngamma");
}

#[test]
fn read_to_string_refuses_invalid_utf8_without_moving() {
    let dir = tempfile::tempdir().unwrap();
    let map = map_with(&dir.path().join("u.bin"), b"ok\xff\xfe", MmapMode::ReadOnly);
    let mut reader = map.reader();
    let mut s = String::from("kept");
    let err = reader.read_to_string(&mut s).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert_eq!(s, "kept");
    assert_eq!(reader.position(), 0);
    reader.set_position(1);
    let mut two = [0u8; 1];
    reader.read_exact(&mut two).unwrap();
    assert_eq!(&two, b"k");
}

#[test]
fn read_exact_past_the_end_fails_and_moves_to_the_end_like_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let map = map_with(&dir.path().join("e.bin"), b"0123456789", MmapMode::ReadOnly);
    let mut reader = map.reader();
    reader.set_position(8);
    let mut buf = [0u8; 4];
    let err = reader.read_exact(&mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    assert_eq!(reader.position(), 10);
    reader.set_position(50);
    reader.read_exact(&mut []).unwrap();
    assert_eq!(reader.position(), 50);
}

#[test]
fn vectored_reads_fill_buffers_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(20, 9);
    let map = map_with(&dir.path().join("v.bin"), &data, MmapMode::ReadOnly);
    let mut reader = map.reader();
    let (mut a, mut b, mut c) = ([0u8; 4], [0u8; 10], [0u8; 10]);
    let n = reader
        .read_vectored(&mut [
            IoSliceMut::new(&mut a),
            IoSliceMut::new(&mut b),
            IoSliceMut::new(&mut c),
        ])
        .unwrap();
    assert_eq!(n, 20);
    assert_eq!(a, data[..4]);
    assert_eq!(b, data[4..14]);
    assert_eq!(c[..6], data[14..]);
    assert_eq!(reader.position(), 20);
}

#[test]
fn an_empty_mapping_reads_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for mode in modes() {
        let map = map_with(&dir.path().join(format!("empty-{mode:?}")), &[], mode);
        let mut reader = map.reader();
        let mut buf = [0u8; 8];
        assert_eq!(reader.read(&mut buf).unwrap(), 0);
        assert!(reader.fill_buf().unwrap().is_empty());
        assert_eq!(reader.seek(SeekFrom::End(0)).unwrap(), 0);
        assert_eq!(
            reader.seek(SeekFrom::End(-1)).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        let mut all = Vec::new();
        assert_eq!(reader.read_to_end(&mut all).unwrap(), 0);
    }
}

#[test]
fn extreme_seeks_are_errors_or_positions_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let map = map_with(
        &dir.path().join("s.bin"),
        &pattern(100, 2),
        MmapMode::ReadOnly,
    );
    let mut reader = map.reader();

    reader.set_position(42);
    for seek in [
        SeekFrom::Current(i64::MIN),
        SeekFrom::End(i64::MIN),
        SeekFrom::Current(-43),
        SeekFrom::End(-101),
    ] {
        let err = reader.seek(seek).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{seek:?}");
        assert_eq!(reader.position(), 42, "a failed {seek:?} moved the reader");
    }

    assert_eq!(reader.seek(SeekFrom::End(-100)).unwrap(), 0);
    assert_eq!(
        reader.seek(SeekFrom::End(i64::MAX)).unwrap(),
        100 + i64::MAX as u64
    );
    assert_eq!(reader.seek(SeekFrom::Start(u64::MAX)).unwrap(), u64::MAX);
    assert_eq!(reader.stream_position().unwrap(), u64::MAX);
    let mut buf = [0u8; 4];
    assert_eq!(
        reader.read(&mut buf).unwrap(),
        0,
        "reads past the end are empty"
    );
    assert!(reader.fill_buf().unwrap().is_empty());
    reader.consume(10); // saturates instead of overflowing
    assert_eq!(reader.position(), u64::MAX);
    assert_eq!(
        reader.seek(SeekFrom::Current(1)).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        reader.seek(SeekFrom::Current(i64::MIN)).unwrap(),
        u64::MAX - (1 << 63)
    );
    assert_eq!(reader.position(), (1 << 63) - 1);
    let mut v = Vec::new();
    assert_eq!(reader.read_to_end(&mut v).unwrap(), 0);
    assert_eq!(
        reader.read_exact(&mut buf).unwrap_err().kind(),
        ErrorKind::UnexpectedEof
    );
    assert_eq!(reader.position(), 100);
}

#[test]
fn debug_is_short() {
    let dir = tempfile::tempdir().unwrap();
    let map = map_with(
        &dir.path().join("d.bin"),
        &pattern(1 << 16, 3),
        MmapMode::ReadOnly,
    );
    let mut reader = map.reader();
    reader.set_position(7);
    let text = format!("{reader:?}");
    assert!(text.starts_with("MmapReader"), "{text}");
    assert!(text.contains("65536") && text.contains('7'), "{text}");
    assert!(text.len() < 100, "{text}");
}

// ------------------------------------------------------------------ locking

#[test]
fn resize_waits_for_a_live_reader() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(8192, 4);
    let map = map_with(&dir.path().join("lock.bin"), &data, MmapMode::ReadWrite);

    let mut reader = map.reader();
    let mut head = [0u8; 16];
    reader.read_exact(&mut head).unwrap();

    let resize = {
        let map = map.clone();
        common::spawn_waiter(move || map.resize(100))
    };
    resize.assert_blocked("resize under a live reader");
    // The reader still reads the whole old mapping.
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, data[16..]);
    assert_eq!(map.len(), 8192);
    resize.assert_blocked("resize under a live reader that reached its end");

    drop(reader);
    resize
        .finish("resize after the reader was dropped")
        .unwrap();
    assert_eq!(map.len(), 100);
    let mut all = Vec::new();
    map.reader().read_to_end(&mut all).unwrap();
    assert_eq!(all, data[..100]);
}

#[test]
fn readers_on_lock_free_mappings_do_not_block_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(4096, 5);
    let map = map_with(&dir.path().join("ro.bin"), &data, MmapMode::ReadOnly);
    let (mut a, mut b) = (map.reader(), map.reader());
    let (mut x, mut y) = (Vec::new(), Vec::new());
    a.read_to_end(&mut x).unwrap();
    b.read_to_end(&mut y).unwrap();
    assert_eq!(x, y);
    // Two readers of one read-write mapping on one thread are fine too
    // (the read lock is taken recursively).
    let rw = map_with(&dir.path().join("rw.bin"), &data, MmapMode::ReadWrite);
    let (r1, r2) = (rw.reader(), rw.reader());
    assert_eq!(r1.get_ref().as_bytes(), r2.get_ref().as_bytes());
}

// --------------------------------------------------------------- the model

/// One operation, applied to both the reader and a `Cursor<Vec<u8>>`.
#[derive(Clone, Debug)]
enum Op {
    Seek(SeekFrom),
    SetPosition(u64),
    Read(usize),
    ReadExact(usize),
    ReadVectored(usize, usize),
    ReadToEnd,
    ReadToString,
    FillAndConsume(usize),
    ReadUntil(u8),
    ReadLine,
    StreamPosition,
}

/// A `u64` position near the data, far past it, or near `u64::MAX`.
fn position(len: u64) -> BoxedStrategy<u64> {
    prop_oneof![
        6 => 0..=len + 4,
        1 => (0..4u64).prop_map(|d| u64::MAX - d),
        1 => any::<u64>(),
    ]
    .boxed()
}

/// An `i64` seek delta: small, about the data's length either way, or
/// extreme.
fn delta(len: u64) -> BoxedStrategy<i64> {
    let len = len as i64;
    prop_oneof![
        6 => -(len + 4)..=len + 4,
        1 => prop::sample::select(vec![i64::MIN, i64::MIN + 1, i64::MAX, i64::MAX - 1]),
        1 => any::<i64>(),
    ]
    .boxed()
}

fn op(len: u64) -> BoxedStrategy<Op> {
    prop_oneof![
        3 => position(len).prop_map(|n| Op::Seek(SeekFrom::Start(n))),
        3 => delta(len).prop_map(|n| Op::Seek(SeekFrom::End(n))),
        3 => delta(len).prop_map(|n| Op::Seek(SeekFrom::Current(n))),
        1 => position(len).prop_map(Op::SetPosition),
        3 => (0usize..80).prop_map(Op::Read),
        2 => (0usize..80).prop_map(Op::ReadExact),
        1 => (0usize..20, 0usize..20).prop_map(|(a, b)| Op::ReadVectored(a, b)),
        1 => Just(Op::ReadToEnd),
        1 => Just(Op::ReadToString),
        2 => (0usize..40).prop_map(Op::FillAndConsume),
        1 => prop::sample::select(vec![b'\n', b'a', 0xFF]).prop_map(Op::ReadUntil),
        1 => Just(Op::ReadLine),
        1 => Just(Op::StreamPosition),
    ]
    .boxed()
}

/// File contents: text with newlines (so line reads and `read_to_string`
/// succeed), or arbitrary bytes (so they fail on invalid UTF-8).
fn contents() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        "[a-z\n é€]{0,200}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..300),
    ]
    .boxed()
}

/// Compares two `io::Result`s: equal values, or errors of the same kind.
fn same<T: PartialEq + std::fmt::Debug>(
    what: &Op,
    ours: io::Result<T>,
    model: io::Result<T>,
) -> Result<(), TestCaseError> {
    match (ours, model) {
        (Ok(a), Ok(b)) => prop_assert_eq!(a, b, "{:?}", what),
        (Err(a), Err(b)) => prop_assert_eq!(a.kind(), b.kind(), "{:?}", what),
        (a, b) => {
            return Err(TestCaseError::fail(format!(
                "{what:?}: reader gave {a:?}, Cursor gave {b:?}"
            )))
        }
    }
    Ok(())
}

/// Applies `op` to any `BufRead + Seek`, returning what it produced (the
/// bytes it read, or the position it reported) so the two can be compared.
fn apply<R: BufRead + Seek>(
    r: &mut R,
    op: &Op,
    set_position: impl FnOnce(&mut R, u64),
) -> io::Result<Vec<u8>> {
    match *op {
        Op::Seek(seek) => r.seek(seek).map(|p| p.to_le_bytes().to_vec()),
        Op::SetPosition(p) => {
            set_position(r, p);
            Ok(Vec::new())
        }
        Op::Read(n) => {
            let mut buf = vec![0u8; n];
            let got = r.read(&mut buf)?;
            buf.truncate(got);
            Ok(buf)
        }
        Op::ReadExact(n) => {
            let mut buf = vec![0u8; n];
            r.read_exact(&mut buf)?;
            Ok(buf)
        }
        Op::ReadVectored(a, b) => {
            let (mut x, mut y) = (vec![0u8; a], vec![0u8; b]);
            let got = r.read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)])?;
            x.extend_from_slice(&y);
            x.truncate(got);
            Ok(x)
        }
        Op::ReadToEnd => {
            let mut buf = b"prefix".to_vec();
            let got = r.read_to_end(&mut buf)?;
            assert_eq!(got + 6, buf.len());
            Ok(buf)
        }
        Op::ReadToString => {
            let mut s = String::from("prefix");
            let result = r.read_to_string(&mut s);
            if result.is_err() {
                assert_eq!(s, "prefix", "read_to_string changed the string on error");
            }
            let mut out = s.into_bytes();
            out.extend_from_slice(&result?.to_le_bytes());
            Ok(out)
        }
        Op::FillAndConsume(n) => {
            let available = r.fill_buf()?.to_vec();
            // `consume` may only take what `fill_buf` returned.
            let amt = n.min(available.len());
            r.consume(amt);
            Ok(available)
        }
        Op::ReadUntil(byte) => {
            let mut buf = Vec::new();
            r.read_until(byte, &mut buf)?;
            Ok(buf)
        }
        Op::ReadLine => {
            let mut s = String::new();
            r.read_line(&mut s)?;
            Ok(s.into_bytes())
        }
        Op::StreamPosition => r.stream_position().map(|p| p.to_le_bytes().to_vec()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    /// Any sequence of operations gives the same results, error kinds,
    /// positions and bytes as `std::io::Cursor` over a `Vec<u8>`.
    #[test]
    fn reader_matches_std_cursor(
        (data, ops, read_write) in contents().prop_flat_map(|data| {
            let len = data.len() as u64;
            (Just(data), proptest::collection::vec(op(len), 1..40), any::<bool>())
        })
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mode = if read_write { MmapMode::ReadWrite } else { MmapMode::ReadOnly };
        let map = map_with(&dir.path().join("m.bin"), &data, mode);
        let mut reader = map.reader();
        let mut model = Cursor::new(data.clone());

        for op in &ops {
            let ours = apply(&mut reader, op, |r, p| r.set_position(p));
            let theirs = apply(&mut model, op, |c, p| c.set_position(p));
            same(op, ours, theirs)?;
            prop_assert_eq!(reader.position(), model.position(), "position after {:?}", op);
            prop_assert_eq!(
                reader.fill_buf().unwrap().to_vec(),
                model.fill_buf().unwrap().to_vec(),
                "remaining bytes after {:?}", op
            );
        }
    }
}

// -------------------------------------------------------------------- bytes

#[cfg(feature = "bytes")]
mod bytes_interop {
    use super::*;
    use bytes::Bytes;
    use mmapio::MmapIoError;

    #[test]
    fn read_bytes_copies_a_checked_range_in_every_mode() {
        let dir = tempfile::tempdir().unwrap();
        let data = pattern(5000, 6);
        for mode in modes() {
            let map = map_with(&dir.path().join(format!("b-{mode:?}")), &data, mode);
            let b = map.read_bytes(100, 400).unwrap();
            assert_eq!(&b[..], &data[100..500]);
            assert!(map.read_bytes(5000, 0).unwrap().is_empty());
            for (offset, len) in [(4999, 2), (5001, 0), (u64::MAX, 1), (1, u64::MAX)] {
                match map.read_bytes(offset, len) {
                    Err(MmapIoError::OutOfBounds {
                        offset: o,
                        len: l,
                        total,
                    }) => {
                        assert_eq!((o, l, total), (offset, len, 5000));
                    }
                    other => panic!("({offset}, {len}) gave {other:?}"),
                }
            }
        }
    }

    #[test]
    fn bytes_are_copies_that_outlive_the_mapping_and_its_lock() {
        let dir = tempfile::tempdir().unwrap();
        let data = pattern(64, 7);
        let map = map_with(&dir.path().join("c.bin"), &data, MmapMode::ReadWrite);
        let via_read = map.read_bytes(0, 64).unwrap();
        let via_from = Bytes::from(map.as_slice(8, 8).unwrap());
        // The conversion released the view's read lock: writers and resize
        // run on this very thread.
        map.update_region(0, &[0; 64]).unwrap();
        map.resize(4).unwrap();
        drop(map);
        assert_eq!(&via_read[..], data.as_slice());
        assert_eq!(&via_from[..], &data[8..16]);
        // `Bytes` is 'static and Send: it can go to another thread.
        let handle = std::thread::spawn(move || via_from.len());
        assert_eq!(handle.join().unwrap(), 8);
    }
}
