//! A structural check of an OLE compound file (.xls) before calamine reads it.
//!
//! calamine trusts the file's sector chains: a chain that loops grows a buffer until memory
//! runs out, and a sector number past its allocation table or its mini stream indexes out of
//! bounds (a panic, which a wasm plugin cannot catch). This walks every chain calamine
//! follows, the way it follows them, and refuses the file when one loops or points outside
//! the file, so calamine only ever sees chains that end.

/// End of a sector chain.
const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
/// DIFAT entries from here up are not sector numbers.
const RESERVED: u32 = 0xFFFF_FFFA;
/// FAT sectors are listed in the DIFAT below this.
const DIFSECT: u32 = 0xFFFF_FFFC;
/// Streams shorter than this live in the mini stream.
const MINI_CUTOFF: u64 = 4096;
const MINI_SECTOR: u64 = 64;

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    for (i, slot) in b.iter_mut().enumerate() {
        *slot = bytes.get(at + i).copied().unwrap_or(0);
    }
    u32::from_le_bytes(b)
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from(u32_at(bytes, at)) | (u64::from(u32_at(bytes, at + 4)) << 32)
}

/// The file as calamine reads it: sectors after the header, zeros past the end.
struct File<'a> {
    bytes: &'a [u8],
    header: usize,
    sector: usize,
    /// The largest sector number calamine accepts.
    max_id: u64,
}

impl File<'_> {
    fn sector(&self, id: u32) -> Result<Vec<u8>, String> {
        if u64::from(id) > self.max_id {
            return Err(format!("sector {id} is past the end of the file"));
        }
        let start = usize::try_from(id)
            .ok()
            .and_then(|i| i.checked_mul(self.sector))
            .and_then(|o| o.checked_add(self.header))
            .ok_or("a sector number overflows")?;
        let mut out: Vec<u8> = self
            .bytes
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take(self.sector)
            .copied()
            .collect();
        out.resize(self.sector, 0);
        Ok(out)
    }

    /// Follows a chain as calamine's `get_chain` does, up to `len` bytes, refusing a loop
    /// or a sector outside `table`; returns the bytes it covers.
    fn chain(&self, start: u32, table: &[u32], len: u64) -> Result<Vec<u8>, String> {
        let mut seen = vec![false; table.len()];
        let mut out = Vec::new();
        let mut id = start;
        while id != ENDOFCHAIN {
            out.extend(self.sector(id)?);
            if out.len() as u64 >= len {
                out.truncate(usize::try_from(len).unwrap_or(usize::MAX));
                break;
            }
            let index = usize::try_from(id).map_err(|_| "a sector number overflows")?;
            let (Some(next), Some(was)) = (table.get(index), seen.get_mut(index)) else {
                return Err(format!("sector {id} is outside the allocation table"));
            };
            if *was {
                return Err(format!("the sector chain through sector {id} loops"));
            }
            *was = true;
            id = *next;
        }
        Ok(out)
    }
}

fn words(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes.chunks_exact(4).map(|c| u32_at(c, 0))
}

/// Why calamine must not read `bytes` (an OLE file), if it must not.
pub(crate) fn check(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() < 512 {
        return Err("it is shorter than its header".into());
    }
    let sector = match u32_at(bytes, 30) & 0xFFFF {
        9 => 512,
        12 => 4096,
        // calamine reports these itself.
        _ => return Ok(()),
    };
    let file = File {
        bytes,
        header: sector.max(512),
        sector,
        max_id: (bytes.len() / sector) as u64,
    };
    // The DIFAT: 109 entries in the header, then a chain of DIFAT sectors whose last entry
    // is the next one.
    let mut difat: Vec<u32> = words(bytes.get(76..512).unwrap_or_default()).collect();
    let mut id = u32_at(bytes, 68);
    let mut hops = 0u64;
    while id < RESERVED {
        hops += 1;
        if hops > file.max_id + 1 {
            return Err("the DIFAT chain loops".into());
        }
        difat.extend(words(&file.sector(id)?));
        id = difat.pop().unwrap_or(ENDOFCHAIN);
    }
    // Each FAT sector once: listed again and again, one small file would make calamine
    // (and this check) build an allocation table of gigabytes.
    let mut listed = vec![
        false;
        usize::try_from(file.max_id)
            .unwrap_or(usize::MAX)
            .saturating_add(1)
    ];
    let mut fat = Vec::new();
    for id in difat.into_iter().filter(|&id| id < DIFSECT) {
        let index = usize::try_from(id).map_err(|_| "a sector number overflows")?;
        match listed.get_mut(index) {
            Some(seen) if !*seen => *seen = true,
            Some(_) => return Err(format!("FAT sector {id} is listed twice")),
            None => return Err(format!("sector {id} is past the end of the file")),
        }
        fat.extend(words(&file.sector(id)?));
    }
    let dirs = file.chain(u32_at(bytes, 48), &fat, u64::MAX)?;
    let entry = |d: &[u8]| {
        let len = if sector == 512 {
            u64::from(u32_at(d, 120))
        } else {
            u64_at(d, 120)
        };
        // Unused entries have no name; calamine only reads streams it finds by name.
        let named = u32_at(d, 0) & 0xFFFF != 0;
        (u32_at(d, 116), len, named)
    };
    let entries: Vec<(u32, u64, bool)> = dirs.chunks_exact(128).map(entry).collect();
    let Some(&(root_start, root_len, _)) = entries.first() else {
        return Ok(());
    };
    // calamine converts a 4096-byte-sector file's u64 stream sizes to usize with `unwrap`,
    // which panics on a 32-bit target such as wasm.
    if entries
        .iter()
        .any(|&(_, len, _)| u32::try_from(len).is_err())
    {
        return Err("a stream is 4 GiB or longer".into());
    }
    let mini_fat_len = u64::from(u32_at(bytes, 64));
    let (mini_fat, mini_stream) = if mini_fat_len > 0 {
        let stream = file.chain(root_start, &fat, root_len)?;
        let table = file.chain(u32_at(bytes, 60), &fat, mini_fat_len * sector as u64)?;
        (words(&table).collect(), stream)
    } else {
        (Vec::new(), Vec::new())
    };
    for &(start, len, _) in entries.iter().skip(1).filter(|e| e.2) {
        if len < MINI_CUTOFF {
            mini_chain(start, &mini_fat, &mini_stream, len)?;
        } else {
            file.chain(start, &fat, len)?;
        }
    }
    Ok(())
}

/// A chain of the mini stream: its sectors must lie inside the mini stream, where calamine
/// looks for them (past it, it slices out of bounds).
fn mini_chain(start: u32, table: &[u32], stream: &[u8], len: u64) -> Result<(), String> {
    let mut seen = vec![false; table.len()];
    let mut got = 0u64;
    let mut id = start;
    // Like calamine, the first sector is fetched even for an empty stream.
    while id != ENDOFCHAIN {
        if (u64::from(id) + 1) * MINI_SECTOR > stream.len() as u64 {
            return Err(format!("mini sector {id} is outside the mini stream"));
        }
        got += MINI_SECTOR;
        if got >= len {
            break;
        }
        let index = usize::try_from(id).map_err(|_| "a sector number overflows")?;
        let (Some(next), Some(was)) = (table.get(index), seen.get_mut(index)) else {
            return Err(format!(
                "mini sector {id} is outside the mini allocation table"
            ));
        };
        if *was {
            return Err(format!("the mini sector chain through sector {id} loops"));
        }
        *was = true;
        id = *next;
    }
    Ok(())
}
