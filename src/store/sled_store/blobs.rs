//! The values sled keeps as files in `blobs/` (those over ~128 KiB), which sled itself never
//! fdatasyncs: each new one is synced once, then the directory.

use super::StoreError;
use parking_lot::Mutex;
use std::collections::HashSet;
use std::ffi::OsString;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub(super) struct Blobs {
    /// Blob files already fdatasynced.
    synced: Mutex<HashSet<OsString>>,
    /// The last event that wrote a value large enough to become a blob, and the event up to
    /// which blobs were synced: a flush looks into `blobs/` only when the first is past the
    /// second.
    large_value: AtomicU64,
    synced_to: AtomicU64,
}

impl Blobs {
    pub(super) fn note_large(&self, seq: u64) {
        self.large_value.fetch_max(seq, Ordering::AcqRel);
    }

    /// Syncs new blob files if an event up to `target` may have written one.
    pub(super) fn sync_if_needed(&self, dir: &Path, target: u64) -> Result<(), StoreError> {
        if self.large_value.load(Ordering::Acquire) > self.synced_to.load(Ordering::Acquire) {
            self.sync(dir)?;
            self.synced_to.fetch_max(target, Ordering::AcqRel);
        }
        Ok(())
    }

    fn sync(&self, dir: &Path) -> Result<(), StoreError> {
        let io = |e: std::io::Error| StoreError::Sled(sled::Error::Io(e));
        let dir = dir.join("blobs");
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io(e)),
        };
        let mut synced = self.synced.lock();
        let mut any = false;
        for entry in entries {
            let entry = entry.map_err(io)?;
            let name = entry.file_name();
            if synced.contains(&name) {
                continue;
            }
            match std::fs::File::open(entry.path()) {
                Ok(f) => f.sync_data().map_err(io)?,
                // sled removed it (a value replaced): nothing to make durable.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(e)),
            }
            synced.insert(name);
            any = true;
        }
        if any {
            std::fs::File::open(&dir)
                .and_then(|d| d.sync_all())
                .map_err(io)?;
        }
        Ok(())
    }
}
