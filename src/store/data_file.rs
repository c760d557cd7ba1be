//! What `data.mdb`'s two meta pages say, checked before LMDB maps the file. LMDB reads the file
//! through a memory map: a page past the end of a file that was cut short is a SIGBUS, not an
//! error, so a file shorter than its newest meta page says it is must never reach `mdb_env_open`.
//!
//! The layout (LMDB's `MDB_page` header, then `MDB_meta`, on a 64-bit machine, native byte order):
//! magic at byte 16, format version at 20, map size at 32, the page size in the free-page tree's
//! `md_pad` at 40, the last page number at 136, the transaction id at 144. Page 1 is the second
//! meta page; LMDB uses whichever of the two has the higher transaction id.

use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

const MAGIC: u32 = 0xBEEF_C0DE;
/// `MDB_DATA_VERSION` of the LMDB heed builds.
const DATA_VERSION: u32 = 1;
/// The end of the fields read here.
const META_END: usize = 152;
const PAGE_SIZES: std::ops::RangeInclusive<u64> = 512..=65_536;

/// What the file turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Created but never initialised (a crash at first start): LMDB will set it up.
    Empty,
    Sound,
    /// Not an LMDB file at all: someone else's file.
    Foreign(&'static str),
    /// An LMDB file that is cut short or overwritten.
    Damaged(String),
}

/// One meta page's fields.
#[derive(Debug, Clone, Copy)]
struct Meta {
    magic: u32,
    version: u32,
    map_size: u64,
    page_size: u64,
    last_page: u64,
    txn_id: u64,
}

impl Meta {
    fn parse(page: &[u8; META_END]) -> Meta {
        let u32_at = |at: usize| u32::from_ne_bytes([page[at], page[at + 1], page[at + 2], page[at + 3]]);
        let u64_at = |at: usize| {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&page[at..at + 8]);
            u64::from_ne_bytes(bytes)
        };
        Meta {
            magic: u32_at(16),
            version: u32_at(20),
            map_size: u64_at(32),
            page_size: u64::from(u32_at(40)),
            last_page: u64_at(136),
            txn_id: u64_at(144),
        }
    }

    fn is_lmdb(&self) -> bool {
        self.magic == MAGIC
    }
}

/// Reads both meta pages of `data` and checks the file holds every page the newest one names.
pub(super) fn inspect(data: &Path) -> io::Result<Verdict> {
    let mut file = std::fs::File::open(data)?;
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(Verdict::Empty);
    }
    let Some(first) = read_meta(&mut file, 0, len)? else {
        return Ok(Verdict::Foreign("data.mdb is too short to be an LMDB file"));
    };
    if !first.is_lmdb() {
        // A real store whose first page was overwritten still has its second meta page.
        for offset in PAGE_SIZES.filter(|s| s.is_power_of_two()) {
            if read_meta(&mut file, offset, len)?.is_some_and(|m| m.is_lmdb()) {
                return Ok(damaged("its first meta page is overwritten"));
            }
        }
        return Ok(Verdict::Foreign("data.mdb is not an LMDB file"));
    }
    if !PAGE_SIZES.contains(&first.page_size) || !first.page_size.is_power_of_two() {
        return Ok(damaged(format!("its first meta page names a page size of {} bytes", first.page_size)));
    }
    let Some(second) = read_meta(&mut file, first.page_size, len)? else {
        return Ok(damaged(format!("it is {len} bytes long and ends inside its second meta page")));
    };
    for (which, meta) in [("first", first), ("second", second)] {
        if !meta.is_lmdb() {
            return Ok(damaged(format!("its {which} meta page is overwritten")));
        }
        if meta.version != DATA_VERSION {
            return Ok(damaged(format!(
                "its {which} meta page names format version {}, not {DATA_VERSION}",
                meta.version
            )));
        }
    }
    let newest = if second.txn_id > first.txn_id { second } else { first };
    let needed = newest.last_page.checked_add(1).and_then(|pages| pages.checked_mul(first.page_size));
    Ok(match needed {
        None => damaged(format!("its meta page names a last page of {}", newest.last_page)),
        Some(needed) if needed > len => {
            damaged(format!("it is {len} bytes long, but its pages go on to byte {needed}: the file was cut short"))
        }
        Some(needed) if newest.map_size < needed => {
            damaged(format!("its map of {} bytes is smaller than its {needed} bytes of pages", newest.map_size))
        }
        Some(_) => Verdict::Sound,
    })
}

fn damaged(reason: impl Into<String>) -> Verdict {
    Verdict::Damaged(reason.into())
}

/// The meta fields of the page at `offset`, or `None` when the file ends before them.
fn read_meta(file: &mut std::fs::File, offset: u64, len: u64) -> io::Result<Option<Meta>> {
    if offset.saturating_add(META_END as u64) > len {
        return Ok(None);
    }
    let mut page = [0u8; META_END];
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(&mut page)?;
    Ok(Some(Meta::parse(&page)))
}
