//! Keyed hashing under one purpose's key: HMAC-SHA-256 with the inner and outer key states
//! computed once, messages framed and padded by hand, and one-block messages batched for
//! hashing side by side.

use sha2::{Digest, Sha256};

/// HMAC-SHA-256 under one purpose's key, with the inner and outer key states computed once.
/// Messages are framed and padded by hand straight into SHA-256's compression function:
/// pseudonymisation makes several keyed hashes per record, and a generic MAC object's
/// copying and buffering cost more than the short messages' two compressions.
#[derive(Clone)]
pub struct Keyed {
    inner: [u32; 8],
    outer: [u32; 8],
}

/// A keyed hash of a one-block message, waiting to be computed with others (`run_jobs`).
pub type Job = crate::sha256x::OneBlock;

/// The digests of many jobs, computed side by side in SIMD lanes; equal to `Keyed::digest`.
pub fn run_jobs(jobs: &[Job]) -> Vec<[u8; 32]> {
    let mut out = Vec::with_capacity(jobs.len());
    run_jobs_into(jobs, &mut out);
    out
}

/// `run_jobs`, appending to `out`.
pub fn run_jobs_into(jobs: &[Job], out: &mut Vec<[u8; 32]>) {
    let start = out.len();
    out.resize(start + jobs.len(), [0; 32]);
    crate::sha256x::hmac_each(jobs, &mut out[start..]);
}

/// Appends one part of a message framed as `Keyed::digest` frames its parts (the part's
/// length, then the part), the part written in place by `write`: a part made of pieces needs
/// no string of its own.
pub fn frame(msg: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) {
    let at = msg.len();
    msg.extend_from_slice(&[0; 4]);
    write(msg);
    // As `digest` writes lengths.
    let len = (msg.len() - at - 4) as u32;
    msg[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

/// SHA-256's initial state (FIPS 180-4, 5.3.3).
const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// A SHA-256 stream continuing from a given state, `done` bytes already compressed.
struct Stream {
    state: [u32; 8],
    block: [u8; 64],
    fill: usize,
    done: u64,
}

impl Stream {
    fn new(state: [u32; 8], done: u64) -> Self {
        Stream {
            state,
            block: [0; 64],
            fill: 0,
            done,
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let take = (64 - self.fill).min(data.len());
            self.block[self.fill..self.fill + take].copy_from_slice(&data[..take]);
            self.fill += take;
            data = &data[take..];
            if self.fill == 64 {
                sha2::block_api::compress256(&mut self.state, &[self.block]);
                self.done += 64;
                self.fill = 0;
            }
        }
    }

    fn finish(mut self) -> [u8; 32] {
        let bits = (self.done + self.fill as u64) * 8;
        self.block[self.fill] = 0x80;
        self.block[self.fill + 1..].fill(0);
        if self.fill >= 56 {
            sha2::block_api::compress256(&mut self.state, &[self.block]);
            self.block = [0; 64];
        }
        self.block[56..].copy_from_slice(&bits.to_be_bytes());
        sha2::block_api::compress256(&mut self.state, &[self.block]);
        let mut out = [0u8; 32];
        for (o, w) in out.chunks_exact_mut(4).zip(self.state) {
            o.copy_from_slice(&w.to_be_bytes());
        }
        out
    }
}

impl Keyed {
    pub(super) fn new(key: &[u8]) -> Self {
        let mut k = [0u8; 64];
        if key.len() > 64 {
            k[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            k[..key.len()].copy_from_slice(key);
        }
        let pad = |byte: u8| {
            let mut state = SHA256_IV;
            sha2::block_api::compress256(&mut state, &[k.map(|b| b ^ byte)]);
            state
        };
        Keyed {
            inner: pad(0x36),
            outer: pad(0x5c),
        }
    }

    pub fn digest(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut m = Stream::new(self.inner, 64);
        for p in parts {
            // Lengths keep ("ab","c") and ("a","bc") apart.
            m.update(&(p.len() as u32).to_le_bytes());
            m.update(p);
        }
        self.outer_hash(m)
    }

    /// `digest` of a message already framed (see `frame`).
    pub fn digest_framed(&self, framed: &[u8]) -> [u8; 32] {
        let mut m = Stream::new(self.inner, 64);
        m.update(framed);
        self.outer_hash(m)
    }

    /// The outer hash of an inner stream that holds the whole message.
    fn outer_hash(&self, inner: Stream) -> [u8; 32] {
        let mut o = Stream::new(self.outer, 64);
        o.update(&inner.finish());
        o.finish()
    }

    /// `job` of a message already framed (see `frame`).
    pub fn job_framed(&self, framed: &[u8]) -> Option<Job> {
        (framed.len() <= 55).then(|| {
            let mut block = [0u8; 64];
            block[..framed.len()].copy_from_slice(framed);
            self.padded(block, framed.len())
        })
    }

    /// This message as one padded block for `run_jobs`, when it fits in one (55 bytes with
    /// its framing); longer ones go through `digest`.
    pub fn job(&self, parts: &[&[u8]]) -> Option<Job> {
        let len: usize = parts.iter().map(|p| p.len() + 4).sum();
        if len > 55 {
            return None;
        }
        let mut block = [0u8; 64];
        let mut at = 0;
        for p in parts {
            block[at..at + 4].copy_from_slice(&(p.len() as u32).to_le_bytes());
            block[at + 4..at + 4 + p.len()].copy_from_slice(p);
            at += 4 + p.len();
        }
        Some(self.padded(block, len))
    }

    /// A job of the `len` message bytes at the start of `block`, padded as SHA-256 pads a
    /// message that follows the 64-byte inner key block.
    fn padded(&self, mut block: [u8; 64], len: usize) -> Job {
        block[len] = 0x80;
        block[56..].copy_from_slice(&((64 + len as u64) * 8).to_be_bytes());
        Job {
            inner: self.inner,
            outer: self.outer,
            block,
        }
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
    use super::super::{HmacSha256, LinkageKey};
    use super::*;
    use hmac::{KeyInit, Mac};

    #[test]
    fn hand_framed_hmac_equals_the_hmac_crate() {
        // Short, block-edge and multi-block messages, and keys shorter and longer than a block.
        for key_len in [1usize, 32, 64, 65, 200] {
            let key: Vec<u8> = (0..key_len).map(|i| (i * 7 + 3) as u8).collect();
            let fast = Keyed::new(&key);
            for len in [0usize, 1, 47, 48, 51, 52, 55, 56, 60, 64, 100, 119, 120, 300] {
                let msg: Vec<u8> = (0..len).map(|i| (i * 31 + 1) as u8).collect();
                let mut reference = HmacSha256::new_from_slice(&key).expect("any length");
                reference.update(&(len as u32).to_le_bytes());
                reference.update(&msg);
                let expected: [u8; 32] = reference.finalize().into_bytes().into();
                assert_eq!(
                    fast.digest(&[&msg]),
                    expected,
                    "key {key_len} bytes, message {len}"
                );
            }
        }
    }

    #[test]
    fn batched_jobs_equal_single_digests() {
        let key = LinkageKey { bytes: vec![9; 32] };
        let (a, b) = (key.purpose("a"), key.purpose("b"));
        let messages: Vec<Vec<u8>> = (0..60usize).map(|n| (0..n).map(|i| i as u8).collect()).collect();
        let mut jobs = Vec::new();
        let mut expected = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            let k = if i % 3 == 0 { &a } else { &b };
            // Two parts, so framing of several parts is covered too.
            let parts: [&[u8]; 2] = [&m[..m.len() / 2], &m[m.len() / 2..]];
            match k.job(&parts) {
                Some(j) => {
                    jobs.push(j);
                    expected.push(k.digest(&parts));
                }
                None => assert!(m.len() + 8 > 55, "a message of {} bytes fits one block", m.len()),
            }
        }
        assert_eq!(jobs.len(), 48, "framed messages up to 55 bytes fit");
        assert_eq!(run_jobs(&jobs), expected);
    }

    /// A message framed in place hashes as its parts do, in one block or in several.
    #[test]
    fn framed_messages_equal_their_parts() {
        let k = LinkageKey { bytes: vec![7; 32] }.purpose("framed");
        for n in [0usize, 10, 40, 47, 48, 100] {
            let m: Vec<u8> = (0..n).map(|i| (i * 7) as u8).collect();
            let parts: [&[u8]; 2] = [&m[..n / 2], &m[n / 2..]];
            let mut framed = Vec::new();
            for p in parts {
                frame(&mut framed, |b| b.extend_from_slice(p));
            }
            assert_eq!(k.digest_framed(&framed), k.digest(&parts), "{n} bytes");
            let (a, b) = (k.job_framed(&framed), k.job(&parts));
            assert_eq!(a.is_some(), b.is_some(), "{n} bytes");
            if let (Some(a), Some(b)) = (a, b) {
                assert_eq!(a.block, b.block, "{n} bytes");
            }
        }
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
