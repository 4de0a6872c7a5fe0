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
    #[error("{path}: other users can read this key file (mode {mode:o}); fix it with `chmod 600 {path}`")]
    Permissions { path: PathBuf, mode: u32 },
    #[error("{path}: the key is {bits} bits; at least 256 are needed. Use the file `safetally keygen` wrote")]
    TooShort { path: PathBuf, bits: usize },
    #[error("{path}: the key file must hold the key as hexadecimal text, as `safetally keygen` writes it")]
    Format { path: PathBuf },
    #[error("{path} exists; a key is made once. Remove the old file first if you really mean to replace it")]
    Exists { path: PathBuf },
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
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|source| match source.kind() {
                std::io::ErrorKind::AlreadyExists => KeyError::Exists {
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
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::Permissions {
                path: path.to_path_buf(),
                mode,
            });
        }
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let bytes = hex::decode(text.trim()).map_err(|_| KeyError::Format {
            path: path.to_path_buf(),
        })?;
        if bytes.len() < MIN_KEY_BYTES {
            return Err(KeyError::TooShort {
                path: path.to_path_buf(),
                bits: bytes.len() * 8,
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
        let sub = derive.finalize().into_bytes();
        Keyed {
            mac: HmacSha256::new_from_slice(&sub).expect("HMAC takes keys of any length"),
        }
    }
}

/// HMAC-SHA-256 under one purpose's key, with the inner and outer key state computed once.
#[derive(Clone)]
pub struct Keyed {
    mac: HmacSha256,
}

impl Keyed {
    pub fn digest(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut m = self.mac.clone();
        for p in parts {
            // Lengths keep ("ab","c") and ("a","bc") apart.
            m.update(&(p.len() as u32).to_le_bytes());
            m.update(p);
        }
        m.finalize().into_bytes().into()
    }

    /// The first 64 bits, as stored match keys: collisions among 10 million distinct values
    /// have a probability of about 3 in a million per key type.
    pub fn hash64(&self, parts: &[&[u8]]) -> i64 {
        let d = self.digest(parts);
        i64::from_le_bytes(d[..8].try_into().expect("32 bytes hold 8"))
    }

    /// The first 128 bits as hex: record keys an organisation may need to look up.
    pub fn hex128(&self, parts: &[&[u8]]) -> String {
        hex::encode(&self.digest(parts)[..16])
    }
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
        assert!(matches!(
            LinkageKey::load(&dir.path().join("none")),
            Err(KeyError::Missing { .. })
        ));
    }

    #[test]
    fn purposes_are_separated_and_keyed() {
        let a = LinkageKey { bytes: vec![1; 32] };
        let b = LinkageKey { bytes: vec![2; 32] };
        let v: &[&[u8]] = &[b"anna", b"1981-12-18"];
        assert_ne!(a.purpose("x").hash64(v), a.purpose("y").hash64(v));
        assert_ne!(a.purpose("x").hash64(v), b.purpose("x").hash64(v));
        assert_eq!(a.purpose("x").hash64(v), a.purpose("x").hash64(v));
        assert_ne!(
            a.purpose("x").hash64(&[b"ab", b"c"]),
            a.purpose("x").hash64(&[b"a", b"bc"])
        );
    }
}
