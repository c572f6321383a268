//! Server secrets kept as files in the data directory (32 random bytes, mode 0600),
//! created at first start. They key the hashes of API tokens and QR tokens.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A random token of `bytes` bytes, base64url without padding.
pub fn random_token(bytes: usize) -> Result<String, getrandom::Error> {
    let mut buf = vec![0u8; bytes];
    getrandom::getrandom(&mut buf)?;
    Ok(base64url(&buf))
}

pub fn base64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("secret file {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("secret file {path} has {len} bytes; it must hold exactly 32")]
    Length { path: PathBuf, len: u64 },
    #[error("secret file {path} has mode {mode:o}; it must not be readable by group or others (chmod 600)")]
    Permissions { path: PathBuf, mode: u32 },
    #[error("no randomness available: {0}")]
    Random(getrandom::Error),
    #[error("secret file {path} is missing, but the store already holds events: restore it from a backup (a new one would void every key or printed code it keys)")]
    Missing { path: PathBuf },
}

/// A secret's fingerprint, kept in the store so that a replaced or lost secret file is
/// noticed instead of silently voiding every key and printed code (16 bytes of a keyed
/// derivation: it tells nothing about the secret).
pub fn fingerprint(secret: &[u8; 32]) -> [u8; 16] {
    let d = blake3::derive_key("boardtrail 2026-12 secret fingerprint v1", secret);
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

/// Reads the secret `dir/name`; creates it only when `may_create` (a store without events).
/// A missing secret of a store that already holds events is an error: a new one would
/// silently void every issued key or printed code.
pub fn load_or_create_if(
    dir: &Path,
    name: &str,
    may_create: bool,
) -> Result<[u8; 32], SecretError> {
    if may_create {
        return load_or_create(dir, name);
    }
    read(&dir.join(name)).map_err(|e| match e {
        SecretError::Io { path, source } if source.kind() == io::ErrorKind::NotFound => {
            SecretError::Missing { path }
        }
        other => other,
    })
}

/// 32 fresh random bytes.
pub fn random32() -> Result<[u8; 32], SecretError> {
    let mut k = [0u8; 32];
    getrandom::getrandom(&mut k).map_err(SecretError::Random)?;
    Ok(k)
}

/// Reads the 32-byte secret `dir/name`, creating it if missing: written to a temporary
/// file (0600, fsynced) and hard-linked into place, so a crash never leaves a short file
/// and two processes starting at once end up with the same secret. The directory must exist.
pub fn load_or_create(dir: &Path, name: &str) -> Result<[u8; 32], SecretError> {
    let path = dir.join(name);
    match read(&path) {
        Err(SecretError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {}
        other => return other,
    }
    create(dir, &path, name, &random32()?)?;
    // Read back what is in place: another process may have won the race.
    read(&path)
}

/// Replaces the file at `path` with `bytes` atomically and durably: a temporary file
/// (0600) beside it, fdatasynced, renamed over it, the directory fsynced. A crash leaves
/// the old content or the new, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_data()?;
    drop(f);
    fs::rename(&tmp, path)?;
    File::open(dir)?.sync_all()
}

fn read(path: &Path) -> Result<[u8; 32], SecretError> {
    let io_err = |source| SecretError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(io_err)?;
    let meta = file.metadata().map_err(io_err)?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(SecretError::Permissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    if meta.len() != 32 {
        return Err(SecretError::Length {
            path: path.to_path_buf(),
            len: meta.len(),
        });
    }
    let mut key = [0u8; 32];
    file.read_exact(&mut key).map_err(io_err)?;
    Ok(key)
}

fn create(dir: &Path, path: &Path, name: &str, key: &[u8; 32]) -> Result<(), SecretError> {
    let mut suffix = [0u8; 8];
    getrandom::getrandom(&mut suffix).map_err(SecretError::Random)?;
    let tmp = dir.join(format!(
        ".{name}.{}.tmp",
        data_encoding::HEXLOWER.encode(&suffix)
    ));
    let io_err = |p: &Path| {
        let p = p.to_path_buf();
        move |source| SecretError::Io { path: p, source }
    };
    let write = || -> io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(key)?;
        f.sync_all()
    };
    let result = write()
        .map_err(io_err(&tmp))
        .and_then(|()| match fs::hard_link(&tmp, path) {
            Ok(()) => Ok(()),
            // Someone else created it in the meantime: theirs stands.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(io_err(path)(e)),
        });
    // Best effort: a stale temporary file holds a secret nobody uses.
    let _ = fs::remove_file(&tmp);
    result?;
    // Make the new directory entry durable.
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_atomically_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("note");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn created_once_with_mode_0600_and_checked_on_read() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create(dir.path(), "k").unwrap();
        let b = load_or_create(dir.path(), "k").unwrap();
        assert_eq!(a, b);
        let p = dir.path().join("k");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // No temporary files left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            load_or_create(dir.path(), "k"),
            Err(SecretError::Permissions { .. })
        ));
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        fs::write(&p, b"short").unwrap();
        assert!(matches!(
            load_or_create(dir.path(), "k"),
            Err(SecretError::Length { len: 5, .. })
        ));
        let missing = dir.path().join("no-such-dir");
        assert!(matches!(
            load_or_create(&missing, "k"),
            Err(SecretError::Io { .. })
        ));
    }
}
