//! The witness's record (c2sp.org/tlog-witness §add-checkpoint: "the witness is only
//! required to keep track of the latest checkpoint it observed and verified"): per log
//! origin, the size, root hash and text of the checkpoint it last cosigned. Kept as JSON in
//! one file, replaced atomically (temporary file 0600, fdatasync, rename, fsync of the
//! directory), so that a crash leaves either the old record or the new one.

use crate::tlog::checkpoint::Checkpoint;
use crate::tlog::hash::Hash;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// What the witness last cosigned, per origin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WitnessState {
    pub logs: BTreeMap<String, LogState>,
}

/// The checkpoint last cosigned for one origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogState {
    pub size: u64,
    #[serde(with = "base64_hash")]
    pub root: Hash,
    /// Its note text (origin, size, root and extension lines).
    pub checkpoint: String,
    /// The timestamp of the cosignature (POSIX seconds).
    pub cosigned_at: u64,
}

/// Why the record cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("witness state {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("witness state {}: not the JSON of a witness state: {source}", path.display())]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("witness state {}: the entry of {origin:?} is inconsistent: {reason}", path.display())]
    Invalid {
        path: PathBuf,
        origin: String,
        reason: String,
    },
}

mod base64_hash {
    use base64::engine::general_purpose::STANDARD as B64;
    use base64::Engine as _;

    pub fn serialize<S: serde::Serializer>(h: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&B64.encode(h))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        crate::tlog::checkpoint::parse_hash(&s)
            .ok_or_else(|| serde::de::Error::custom("not the base64 of a 32-byte hash"))
    }
}

impl WitnessState {
    /// The size last cosigned for `origin` (0 if none, as the spec counts it).
    pub fn size_of(&self, origin: &str) -> u64 {
        self.logs.get(origin).map_or(0, |l| l.size)
    }

    /// Reads the record at `path`; a missing file is the empty record (a new witness).
    /// Each entry must agree with its checkpoint text.
    pub fn load(path: &Path) -> Result<WitnessState, StateError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(WitnessState::default())
            }
            Err(source) => {
                return Err(StateError::Io {
                    path: path.into(),
                    source,
                })
            }
        };
        let state: WitnessState =
            serde_json::from_slice(&bytes).map_err(|source| StateError::Json {
                path: path.into(),
                source,
            })?;
        for (origin, l) in &state.logs {
            let invalid = |reason: String| StateError::Invalid {
                path: path.into(),
                origin: origin.clone(),
                reason,
            };
            let c = Checkpoint::parse(&l.checkpoint).map_err(|e| invalid(e.to_string()))?;
            if c.origin != *origin || c.size != l.size || c.root != l.root {
                return Err(invalid(
                    "its size or root is not that of its checkpoint".into(),
                ));
            }
        }
        Ok(state)
    }

    /// Replaces the record at `path` atomically and durably.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let io = |source| StateError::Io {
            path: path.into(),
            source,
        };
        let mut json = serde_json::to_vec_pretty(self).map_err(|source| StateError::Json {
            path: path.into(),
            source,
        })?;
        json.push(b'\n');
        write_atomically(path, &json).map_err(io)
    }
}

/// Writes `bytes` to a new file beside `path` (mode 0600), syncs it, renames it over
/// `path` and syncs the directory.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("the state path names no file"))?;
    let mut nonce = [0u8; 8];
    getrandom::getrandom(&mut nonce).map_err(|e| std::io::Error::other(e.to_string()))?;
    let tmp = dir.join(format!(
        ".{}.{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        u64::from_be_bytes(nonce)
    ));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_data()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::checkpoint::Checkpoint;
    use std::os::unix::fs::PermissionsExt;

    fn entry(origin: &str, size: u64) -> LogState {
        let c = Checkpoint::new(origin, size, [size as u8; 32]);
        LogState {
            size,
            root: c.root,
            checkpoint: c.to_text(),
            cosigned_at: 1_700_000_000,
        }
    }

    #[test]
    fn save_and_load() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        assert_eq!(
            WitnessState::load(&path).expect("missing"),
            WitnessState::default()
        );
        let mut s = WitnessState::default();
        s.logs
            .insert("example.com/a".into(), entry("example.com/a", 5));
        s.logs
            .insert("example.com/b".into(), entry("example.com/b", 0));
        s.save(&path).expect("save");
        assert_eq!(WitnessState::load(&path).expect("load"), s);
        assert_eq!(s.size_of("example.com/a"), 5);
        assert_eq!(s.size_of("example.com/c"), 0);
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        s.logs
            .insert("example.com/a".into(), entry("example.com/a", 9));
        s.save(&path).expect("save again");
        assert_eq!(
            WitnessState::load(&path)
                .expect("load")
                .size_of("example.com/a"),
            9
        );
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
        let json = std::fs::read_to_string(&path).expect("read");
        assert!(json.contains("\"root\": \"CQkJCQkJ"), "{json}");
    }

    #[test]
    fn corrupt_records_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        std::fs::write(&path, b"{not json").expect("write");
        assert!(matches!(
            WitnessState::load(&path),
            Err(StateError::Json { .. })
        ));
        let mut s = WitnessState::default();
        let mut e = entry("example.com/a", 5);
        e.size = 6;
        s.logs.insert("example.com/a".into(), e);
        s.save(&path).expect("save");
        assert!(matches!(
            WitnessState::load(&path),
            Err(StateError::Invalid { .. })
        ));
        let mut s = WitnessState::default();
        s.logs
            .insert("example.com/other".into(), entry("example.com/a", 5));
        s.save(&path).expect("save");
        assert!(matches!(
            WitnessState::load(&path),
            Err(StateError::Invalid { .. })
        ));
    }

    #[test]
    fn a_failed_write_leaves_the_old_record() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("missing-dir").join("state.json");
        assert!(matches!(
            WitnessState::default().save(&path),
            Err(StateError::Io { .. })
        ));
        assert!(!path.exists());
    }
}
