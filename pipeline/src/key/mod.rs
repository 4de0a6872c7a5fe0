//! The linkage secret: generated once by a key custodian, handed to every organisation out of
//! band, never held by the platform. Loading refuses a key that is too short or that other
//! users can read; the key is shown only as a fingerprint, never printed or written.

use std::fmt;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use rand::TryRngCore;
use sha2::{Digest, Sha256};

mod keyed;

pub use keyed::{Job, Keyed, frame, run_jobs, run_jobs_into};

pub type HmacSha256 = Hmac<Sha256>;

/// At least 256 bits, as the privacy design requires.
pub const MIN_KEY_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: no key file here; the key custodian creates one with `safetally keygen --out FILE`")]
    Missing { path: PathBuf },
    #[error("{path}: cannot read the key file: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: other users can read or change this key file (mode {mode:o}); fix it with `chmod 600 {path}`"
    )]
    Permissions { path: PathBuf, mode: u32 },
    #[error("{path}: the key is {bits} bits; at least 256 are needed. Use the file `safetally keygen` wrote")]
    TooShort { path: PathBuf, bits: usize },
    #[error(
        "{path}: the key file is empty. Use the file `safetally keygen` wrote (or copy it again: it holds 64 hexadecimal digits)"
    )]
    Empty { path: PathBuf },
    #[error("{path}: the key file must hold the key as hexadecimal text, as `safetally keygen` writes it")]
    Format { path: PathBuf },
    #[error("{path} exists; a key is made once. Remove the old file first if you really mean to replace it")]
    Exists { path: PathBuf },
    #[error(
        "{path} is a folder; give the key file's path (keygen: a new file's path, such as {path}/linkage.key)"
    )]
    Folder { path: PathBuf },
    #[error(
        "{path} is not a regular file (a device, a pipe or a socket); give the path of the key file `safetally keygen` wrote"
    )]
    NotAFile { path: PathBuf },
    #[error(
        "{path}: the folder it would go in does not exist; make it first (mkdir -p, with access for the key custodian only) or give another path"
    )]
    NoFolder { path: PathBuf },
    #[error(
        "{path}: this key is not random (its 256 bits hold only {distinct} different byte values; a key from `safetally keygen` holds about 30): anyone could guess it. Make one with `safetally keygen --out FILE`"
    )]
    NotRandom { path: PathBuf, distinct: usize },
    #[error("{path}: cannot write the key file: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the operating system's random source failed: {0}")]
    Random(String),
}

/// The secret. Debug and Display show the fingerprint only.
pub struct LinkageKey {
    bytes: Vec<u8>,
}

impl fmt::Debug for LinkageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LinkageKey(fingerprint {})", self.fingerprint())
    }
}

impl LinkageKey {
    /// A fresh 256-bit key from the operating system's random source.
    pub fn generate() -> Result<Self, KeyError> {
        let mut bytes = vec![0u8; MIN_KEY_BYTES];
        rand::rngs::OsRng
            .try_fill_bytes(&mut bytes)
            .map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(LinkageKey { bytes })
    }

    /// The demo's key, derived from the synthetic sample's own bytes so that a rerun of the
    /// demo reuses every stage and its DP release (and spends no budget twice). Anyone holding
    /// the data can derive it, which is why it is only for the bundled synthetic sample:
    /// real organisations use a random key from `keygen`.
    pub fn for_synthetic_demo(sample_digest: &[u8]) -> Self {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(b"safetally demo key for synthetic data only");
        h.update(sample_digest);
        LinkageKey {
            bytes: h.finalize().to_vec(),
        }
    }

    /// Writes the key as hex with owner-only permissions; refuses to overwrite.
    pub fn save(&self, path: &Path) -> Result<(), KeyError> {
        if path.is_dir() {
            return Err(KeyError::Folder {
                path: path.to_path_buf(),
            });
        }
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|source| match source.kind() {
                std::io::ErrorKind::AlreadyExists => KeyError::Exists {
                    path: path.to_path_buf(),
                },
                std::io::ErrorKind::NotFound => KeyError::NoFolder {
                    path: path.to_path_buf(),
                },
                _ => KeyError::Write {
                    path: path.to_path_buf(),
                    source,
                },
            })?;
        writeln!(f, "{}", hex::encode(&self.bytes))
            .and_then(|_| f.sync_all())
            .map_err(|source| KeyError::Write {
                path: path.to_path_buf(),
                source,
            })
    }

    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let meta = std::fs::metadata(path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => KeyError::Missing {
                path: path.to_path_buf(),
            },
            _ => KeyError::Read {
                path: path.to_path_buf(),
                source,
            },
        })?;
        if meta.is_dir() {
            return Err(KeyError::Folder {
                path: path.to_path_buf(),
            });
        }
        // A pipe would hang the read, and /dev/null's advice would be to chmod a device.
        if !meta.is_file() {
            return Err(KeyError::NotAFile {
                path: path.to_path_buf(),
            });
        }
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::Permissions {
                path: path.to_path_buf(),
                mode,
            });
        }
        let raw = std::fs::read(path).map_err(|source| KeyError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        // Raw bytes (not text) get the same message as text that is not hexadecimal.
        let text = String::from_utf8_lossy(&raw);
        // Windows Notepad saves UTF-8 with a byte-order mark before the text.
        let bytes =
            hex::decode(text.trim().trim_start_matches('\u{feff}')).map_err(|_| KeyError::Format {
                path: path.to_path_buf(),
            })?;
        if bytes.is_empty() {
            return Err(KeyError::Empty {
                path: path.to_path_buf(),
            });
        }
        if bytes.len() < MIN_KEY_BYTES {
            return Err(KeyError::TooShort {
                path: path.to_path_buf(),
                bits: bytes.len() * 8,
            });
        }
        // 32 random bytes hold fewer than 16 distinct values with a chance far below 2^-64;
        // all zeros or "abab..." are typed, not drawn.
        let distinct = bytes.iter().collect::<std::collections::HashSet<_>>().len();
        if distinct < 16 {
            return Err(KeyError::NotRandom {
                path: path.to_path_buf(),
                distinct,
            });
        }
        Ok(LinkageKey { bytes })
    }

    /// A short public name for the key: a domain-separated hash, from which the key cannot be
    /// recovered. Files made under different keys cannot be linked, and this tells them apart.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"safetally/key-fingerprint/v1\0");
        h.update(&self.bytes);
        let d = hex::encode(h.finalize());
        format!("{}-{}-{}-{}", &d[0..4], &d[4..8], &d[8..12], &d[12..16])
    }

    /// A keyed hash function for one purpose. Each purpose has its own derived key, so a value
    /// hashed for one purpose cannot be compared with the same value hashed for another.
    pub fn purpose(&self, label: &str) -> Keyed {
        let mut derive = HmacSha256::new_from_slice(&self.bytes).expect("HMAC takes keys of any length");
        derive.update(b"safetally/purpose/v1\0");
        derive.update(label.as_bytes());
        Keyed::new(&derive.finalize().into_bytes())
    }
}

/// Why a file among the submissions looks like a linkage key, if it does: 64 or more
/// hexadecimal digits and nothing else, as `keygen` writes a key (whatever the file's name), or
/// a name ending in `.key` (unless the file is a zip archive: Keynote saves its presentations
/// so). Ingest refuses such a file by what it is: the key must not travel with the submissions.
/// Only the first KiB is read; the key itself is never shown.
pub fn looks_like_key(path: &Path) -> Option<&'static str> {
    use std::io::Read;
    let mut head = Vec::with_capacity(1024);
    std::fs::File::open(path)
        .and_then(|f| f.take(1025).read_to_end(&mut head))
        .ok()?;
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head).trim_ascii();
    if head.len() <= 1024
        && text.len() >= 2 * MIN_KEY_BYTES
        && text.len() % 2 == 0
        && text.iter().all(u8::is_ascii_hexdigit)
    {
        return Some(
            "it holds 64 or more hexadecimal digits and nothing else, as a key file `safetally keygen` writes does",
        );
    }
    let named = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("key"));
    (named && !head.starts_with(b"PK\x03\x04")).then_some("its name ends in .key, as a key file's does")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_load_and_refusals() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("k");
        let k = LinkageKey::generate().expect("random");
        k.save(&p).expect("save");
        assert_eq!(
            std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(LinkageKey::load(&p).expect("load").fingerprint(), k.fingerprint());
        assert!(matches!(k.save(&p), Err(KeyError::Exists { .. })));
        let folder = p.parent().expect("the key file is in a folder");
        assert!(matches!(k.save(folder), Err(KeyError::Folder { .. })));
        assert!(matches!(LinkageKey::load(folder), Err(KeyError::Folder { .. })));
        assert!(!format!("{k:?}").contains(&hex::encode(&k.bytes)));

        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let e = LinkageKey::load(&p).expect_err("loose permissions");
        assert!(e.to_string().contains("chmod 600"), "{e}");

        let short = dir.path().join("short");
        std::fs::write(&short, "abcd\n").expect("write");
        std::fs::set_permissions(&short, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert!(matches!(
            LinkageKey::load(&short),
            Err(KeyError::TooShort { bits: 16, .. })
        ));
        std::fs::write(&short, " \n").expect("write");
        assert!(matches!(LinkageKey::load(&short), Err(KeyError::Empty { .. })));
        assert!(matches!(
            LinkageKey::load(&dir.path().join("none")),
            Err(KeyError::Missing { .. })
        ));

        // A typed key (all zeros, a repeated pair) is refused: anyone could guess it.
        let typed = dir.path().join("typed");
        std::fs::write(&typed, "ab".repeat(32)).expect("write");
        std::fs::set_permissions(&typed, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let e = LinkageKey::load(&typed).expect_err("a key of one byte value");
        assert!(matches!(e, KeyError::NotRandom { distinct: 1, .. }), "{e}");
        // A device is no key file, whatever its permissions (its advice was to chmod it).
        let e = LinkageKey::load(Path::new("/dev/null")).expect_err("a device");
        assert!(matches!(e, KeyError::NotAFile { .. }), "{e}");

        // 32 raw bytes, not the hexadecimal text keygen writes: the same clear message.
        let raw = dir.path().join("raw");
        std::fs::write(&raw, [0xffu8; 32]).expect("write");
        std::fs::set_permissions(&raw, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let e = LinkageKey::load(&raw).expect_err("raw bytes");
        assert!(matches!(e, KeyError::Format { .. }), "{e}");
        // Saved again by Windows Notepad: a byte-order mark and CRLF around the same key.
        let notepad = dir.path().join("notepad.key");
        let hex_text = std::fs::read_to_string(&p).expect("the key's text");
        std::fs::write(&notepad, format!("\u{feff}{}\r\n", hex_text.trim())).expect("write");
        std::fs::set_permissions(&notepad, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let again = LinkageKey::load(&notepad).expect("the same key with a byte-order mark");
        assert_eq!(again.fingerprint(), k.fingerprint());
        // Writable by others is as bad as readable: the message says both.
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o602)).expect("chmod");
        let e = LinkageKey::load(&p).expect_err("writable by others");
        assert!(e.to_string().contains("read or change"), "{e}");
    }
}
