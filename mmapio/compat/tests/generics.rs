//! Shapes an mmap-io user may lean on beyond calling methods: inherent
//! methods named as paths (`MappedSlice::len`), explicit type arguments on
//! the path-taking functions (`create_mmap::<&Path>`), and an exhaustive
//! `match` over `ChangeKind`.

use std::path::Path;

use mmap_io::errors::Result;
use mmap_io::mmap::{MappedSlice, MemoryMappedFile, MmapMode};
use mmap_io::watch::ChangeKind;
use mmap_io::{create_mmap, delete_mmap, load_mmap, write_mmap};

#[test]
fn view_methods_named_as_paths() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let map = MemoryMappedFile::create_rw(dir.path().join("p.bin"), 10)?;
    let lens: Vec<usize> = map.chunks(4).map(|c| MappedSlice::len(&c)).collect();
    assert_eq!(lens, [4, 4, 2]);
    let view = map.as_slice(10, 0)?;
    assert!(MappedSlice::is_empty(&view));
    Ok(())
}

#[test]
fn path_functions_take_explicit_type_arguments() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path: &Path = &dir.path().join("t.bin");
    drop(create_mmap::<&Path>(path, 8)?);
    write_mmap::<&Path>(path, 0, b"typed")?;
    let ro = load_mmap::<&Path>(path, MmapMode::ReadOnly)?;
    assert_eq!(ro.as_slice(0, 5)?, b"typed");
    drop(ro);
    let rw = MemoryMappedFile::open_rw::<&Path>(path)?;
    assert_eq!(rw.len(), 8);
    drop(rw);
    delete_mmap::<&Path>(path)?;
    assert!(!path.exists());
    Ok(())
}

#[test]
fn change_kind_matches_exhaustively() {
    fn describe(kind: ChangeKind) -> &'static str {
        match kind {
            ChangeKind::Modified => "modified",
            ChangeKind::Metadata => "metadata",
            ChangeKind::Removed => "removed",
        }
    }
    assert_eq!(describe(ChangeKind::Removed), "removed");
}
