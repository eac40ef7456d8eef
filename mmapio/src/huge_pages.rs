//! Measuring what huge-page requests actually obtained (feature
//! `hugepages`).
//!
//! Asking is done by the builder's [`huge_pages`](crate::MmapBuilder::huge_pages)
//! option: on Linux, `madvise(MADV_HUGEPAGE)` on the mapping, falling back
//! to normal pages when the kernel refuses. `MAP_HUGETLB` is deliberately not
//! used: it only applies to anonymous memory and files on `hugetlbfs`, never
//! to a regular file's page-cache mapping. Whether transparent huge pages
//! then back a file mapping depends on the kernel (`CONFIG_READ_ONLY_THP_FOR_FS`,
//! khugepaged, the file system), so this module reports what the kernel
//! says it did, read from `/proc/self/smaps`, rather than assuming.

use crate::{MemoryMappedFile, MmapIoError, Result};

/// What a huge-page request obtained, as measured.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HugePageReport {
    /// Whether the mapping was opened with `huge_pages(true)`.
    pub requested: bool,
    /// Whether the kernel accepted the `MADV_HUGEPAGE` advice.
    pub advice_accepted: bool,
    /// Bytes of the mapping currently backed by huge pages
    /// (`AnonHugePages + FilePmdMapped + ShmemPmdMapped` in smaps), or `None`
    /// where it cannot be measured (no `/proc/self/smaps`, or the mapping is
    /// empty).
    pub huge_page_bytes: Option<u64>,
    /// The kernel's `THPeligible` verdict for the mapping, where reported.
    pub thp_eligible: Option<bool>,
    /// The kernel page size backing the mapping (`KernelPageSize`), where
    /// reported.
    pub kernel_page_size: Option<u64>,
}

impl MemoryMappedFile {
    /// Whether huge pages back any of the mapping now: `Some` when
    /// [`huge_page_report`](Self::huge_page_report) could measure it (Linux),
    /// `None` when it could not (other systems, or `/proc` unreadable).
    /// mmap-io's shape of the same measurement.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("b.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 1 << 20)?;
    /// if cfg!(target_os = "linux") {
    ///     assert!(map.is_hugepage_backed().is_some());
    /// }
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn is_hugepage_backed(&self) -> Option<bool> {
        let report = self.huge_page_report().ok()?;
        report.huge_page_bytes.map(|bytes| bytes > 0)
    }

    /// Reports whether huge pages were requested and how many bytes of the
    /// mapping they actually back right now (see [`HugePageReport`]).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("h.bin");
    /// let map = mmapio::MemoryMappedFile::builder(&path)
    ///     .size(4 << 20)
    ///     .huge_pages(true)
    ///     .create()?;
    /// map.touch_pages()?;
    /// let report = map.huge_page_report()?;
    /// assert!(report.requested);
    /// if let Some(bytes) = report.huge_page_bytes {
    ///     assert!(bytes <= map.len());
    /// }
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn huge_page_report(&self) -> Result<HugePageReport> {
        let (requested, advice_accepted) = self.huge_pages();
        self.with_region(|region| {
            let mut report = HugePageReport {
                requested,
                advice_accepted,
                huge_page_bytes: None,
                thp_eligible: None,
                kernel_page_size: None,
            };
            if region.len() == 0 {
                return Ok(report);
            }
            let smaps = match std::fs::read_to_string("/proc/self/smaps") {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(report),
                Err(e) => {
                    return Err(MmapIoError::io(
                        "read /proc/self/smaps",
                        std::path::Path::new("/proc/self/smaps"),
                        e,
                    ))
                }
            };
            if let Some(entry) = smaps_entry(&smaps, region.as_ptr() as usize) {
                report.huge_page_bytes = Some(entry.huge_bytes);
                report.thp_eligible = entry.thp_eligible;
                report.kernel_page_size = entry.kernel_page_size;
            }
            Ok(report)
        })
    }
}

/// The fields of one smaps entry this module reads.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct SmapsEntry {
    pub(crate) huge_bytes: u64,
    pub(crate) thp_eligible: Option<bool>,
    pub(crate) kernel_page_size: Option<u64>,
}

/// Finds the smaps entry whose address range contains `addr` and sums its
/// huge-page fields. Tolerates unknown and missing fields.
pub(crate) fn smaps_entry(smaps: &str, addr: usize) -> Option<SmapsEntry> {
    let mut found: Option<SmapsEntry> = None;
    for line in smaps.lines() {
        if let Some(range) = header_range(line) {
            if found.is_some() {
                break; // the next entry started: ours is complete
            }
            if range.contains(&addr) {
                found = Some(SmapsEntry::default());
            }
            continue;
        }
        let Some(entry) = found.as_mut() else {
            continue;
        };
        let mut parts = line.split_whitespace();
        let (Some(key), Some(value)) = (parts.next(), parts.next()) else {
            continue;
        };
        let kib = || value.parse::<u64>().ok().map(|v| v.saturating_mul(1024));
        match key {
            "AnonHugePages:" | "FilePmdMapped:" | "ShmemPmdMapped:" => {
                entry.huge_bytes = entry.huge_bytes.saturating_add(kib().unwrap_or(0));
            }
            "THPeligible:" => entry.thp_eligible = Some(value == "1"),
            "KernelPageSize:" => entry.kernel_page_size = kib(),
            _ => {}
        }
    }
    found
}

/// Parses an entry header (`start-end perms offset dev inode [path]`) into
/// its address range; `None` for field lines.
fn header_range(line: &str) -> Option<std::ops::Range<usize>> {
    let first = line.split_whitespace().next()?;
    let (start, end) = first.split_once('-')?;
    let start = usize::from_str_radix(start, 16).ok()?;
    let end = usize::from_str_radix(end, 16).ok()?;
    Some(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
7f0000000000-7f0000400000 rw-s 00000000 08:01 1234 /tmp/a.bin
Size:               4096 kB
KernelPageSize:        4 kB
AnonHugePages:         0 kB
FilePmdMapped:      2048 kB
ShmemPmdMapped:        0 kB
THPeligible:    1
7f0000400000-7f0000401000 r--p 00000000 08:01 99 /lib/x.so
Size:                  4 kB
FilePmdMapped:      9999 kB
";

    #[test]
    fn finds_the_entry_containing_the_address() {
        let entry = smaps_entry(SAMPLE, 0x7f00_0000_1000).unwrap();
        assert_eq!(
            entry,
            SmapsEntry {
                huge_bytes: 2048 * 1024,
                thp_eligible: Some(true),
                kernel_page_size: Some(4096),
            }
        );
        let other = smaps_entry(SAMPLE, 0x7f00_0040_0000).unwrap();
        assert_eq!(other.huge_bytes, 9999 * 1024);
        assert_eq!(other.thp_eligible, None);
        assert!(smaps_entry(SAMPLE, 0x1000).is_none());
        assert!(smaps_entry("garbage\n-\nzz-yy", 0).is_none());
    }
}
