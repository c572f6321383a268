//! Server secrets kept as files in the data directory (32 random bytes, mode 0600),
//! created at first start. Used to key the hashes of API tokens and QR tokens.

use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("secret file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("secret file {0} must hold exactly 32 bytes")]
    Length(String),
    #[error("no randomness available: {0}")]
    Random(String),
}

/// 32 fresh random bytes.
pub fn random32() -> Result<[u8; 32], SecretError> {
    let mut k = [0u8; 32];
    getrandom::getrandom(&mut k).map_err(|e| SecretError::Random(e.to_string()))?;
    Ok(k)
}

/// Reads the 32-byte secret at `path`, creating it (mode 0600, fsynced) if missing.
pub fn load_or_create(path: &Path) -> Result<[u8; 32], SecretError> {
    let io = |source| SecretError::Io {
        path: path.display().to_string(),
        source,
    };
    match std::fs::File::open(path) {
        Ok(mut f) => {
            let mut buf = Vec::with_capacity(32);
            f.read_to_end(&mut buf).map_err(io)?;
            buf.try_into()
                .map_err(|_| SecretError::Length(path.display().to_string()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = random32()?;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(io)?;
            f.write_all(&key).map_err(io)?;
            f.sync_all().map_err(io)?;
            Ok(key)
        }
        Err(e) => Err(io(e)),
    }
}

/// Derives a 32-byte secret from configured text (e.g. an environment variable).
pub fn derive(context: &str, text: &str) -> [u8; 32] {
    blake3::derive_key(context, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn created_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        let a = load_or_create(&p).unwrap();
        let b = load_or_create(&p).unwrap();
        assert_eq!(a, b);
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::write(&p, b"short").unwrap();
        assert!(matches!(load_or_create(&p), Err(SecretError::Length(_))));
    }
}
