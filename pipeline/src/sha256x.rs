//! Keyed hashes (HMAC-SHA-256) of many one-block messages at once. Keyed hashes of short
//! inputs are two compressions each; sixteen lanes of AVX-512 or eight of AVX2 hash several
//! messages side by side, and the SHA extensions hash one after another in hardware. Which is
//! fastest depends on the CPU, so the ways are timed once per process (`Way::fastest`).
//!
//! The lane code is plain Rust over arrays that the compiler vectorises; it is compiled once
//! per instruction set. Every way's results equal `sha2::block_api::compress256` block for
//! block (tested).

const LANES: usize = 16;
type V = [u32; LANES];

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

#[inline(always)]
fn map(a: V, f: impl Fn(u32) -> u32) -> V {
    let mut out = [0u32; LANES];
    for l in 0..LANES {
        out[l] = f(a[l]);
    }
    out
}

#[inline(always)]
fn zip(a: V, b: V, f: impl Fn(u32, u32) -> u32) -> V {
    let mut out = [0u32; LANES];
    for l in 0..LANES {
        out[l] = f(a[l], b[l]);
    }
    out
}

#[inline(always)]
fn add(a: V, b: V) -> V {
    zip(a, b, u32::wrapping_add)
}

/// One compression of sixteen blocks; `w` holds the message words, lane by lane.
#[inline(always)]
fn compress_lanes(state: &mut [V; 8], mut w: [V; 16]) {
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for (i, k) in K.iter().enumerate() {
        if i >= 16 {
            let (w15, w2) = (w[(i + 1) % 16], w[(i + 14) % 16]);
            let s0 = map(w15, |x| x.rotate_right(7) ^ x.rotate_right(18) ^ (x >> 3));
            let s1 = map(w2, |x| x.rotate_right(17) ^ x.rotate_right(19) ^ (x >> 10));
            w[i % 16] = add(add(w[i % 16], s0), add(w[(i + 9) % 16], s1));
        }
        let s1 = map(e, |x| x.rotate_right(6) ^ x.rotate_right(11) ^ x.rotate_right(25));
        let mut ch = [0u32; LANES];
        for l in 0..LANES {
            ch[l] = (e[l] & f[l]) ^ (!e[l] & g[l]);
        }
        let t1 = add(add(add(h, s1), add(ch, w[i % 16])), [*k; LANES]);
        let s0 = map(a, |x| x.rotate_right(2) ^ x.rotate_right(13) ^ x.rotate_right(22));
        let mut maj = [0u32; LANES];
        for l in 0..LANES {
            maj[l] = (a[l] & b[l]) ^ (a[l] & c[l]) ^ (b[l] & c[l]);
        }
        let t2 = add(s0, maj);
        h = g;
        g = f;
        f = e;
        e = add(d, t1);
        d = c;
        c = b;
        b = a;
        a = add(t1, t2);
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *s = add(*s, v);
    }
}

/// A keyed hash (HMAC-SHA-256) of a message that fits in one block: the key's inner and
/// outer states, computed once per key, and the message's padded block.
#[derive(Clone)]
pub struct OneBlock {
    pub inner: [u32; 8],
    pub outer: [u32; 8],
    pub block: [u8; 64],
}

/// The keyed hashes of up to sixteen jobs, one per lane. The inner digests stay in their
/// lanes as the outer block's first words: only the jobs are gathered and the digests
/// scattered.
#[inline(always)]
fn hmac_group(jobs: &[OneBlock], out: &mut [[u8; 32]]) {
    let mut st = [[0u32; LANES]; 8];
    let mut w = [[0u32; LANES]; 16];
    for (l, j) in jobs.iter().enumerate() {
        for (lanes, v) in st.iter_mut().zip(j.inner) {
            lanes[l] = v;
        }
        for (k, word) in j.block.chunks_exact(4).enumerate() {
            w[k][l] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
    }
    compress_lanes(&mut st, w);
    // The outer hash's one block: the inner digest, then padding for 64 + 32 bytes.
    let mut w = [[0u32; LANES]; 16];
    w[..8].copy_from_slice(&st);
    w[8] = [0x8000_0000; LANES];
    w[15] = [(64 + 32) * 8; LANES];
    for (l, j) in jobs.iter().enumerate() {
        for (lanes, v) in st.iter_mut().zip(j.outer) {
            lanes[l] = v;
        }
    }
    compress_lanes(&mut st, w);
    for (l, o) in out.iter_mut().enumerate() {
        for (k, b) in o.chunks_exact_mut(4).enumerate() {
            b.copy_from_slice(&st[k][l].to_be_bytes());
        }
    }
}

// Inlined into each instruction-set variant below, so that each is vectorised for its set.
#[inline(always)]
fn hmac_all(jobs: &[OneBlock], out: &mut [[u8; 32]]) {
    for (j, o) in jobs.chunks(LANES).zip(out.chunks_mut(LANES)) {
        hmac_group(j, o);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn hmac_all_avx512(jobs: &[OneBlock], out: &mut [[u8; 32]]) {
    hmac_all(jobs, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn hmac_all_avx2(jobs: &[OneBlock], out: &mut [[u8; 32]]) {
    hmac_all(jobs, out);
}

/// Writes the keyed hash of `jobs[i]` to `out[i]` for every i (the slices must have the same
/// length), the fastest way this CPU has (see `Way::fastest`).
pub fn hmac_each(jobs: &[OneBlock], out: &mut [[u8; 32]]) {
    assert_eq!(jobs.len(), out.len(), "one digest per job");
    Way::fastest().run(jobs, out);
}

/// A way to compute a batch of keyed hashes. Which is fastest depends on the CPU, not only on
/// what it has: on the Xeon of 2026-12-01 sixteen AVX-512 lanes beat its SHA extensions (5.8
/// against 5.1 million a second), on the AMD EPYC of 2026-12-02 with both the extensions won
/// (13.2-13.7 million against 9.6-14.2 from run to run), and on an EPYC without AVX-512 the
/// extensions beat eight AVX2 lanes (6.2 against 4.6). So the candidates are timed once per
/// process, on 256 hashes each (under a millisecond in all), and the fastest is kept (`choose`);
/// every way gives the same digests (tested), so the choice changes only the time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    Avx512,
    ShaExtensions,
    Avx2,
    Portable,
}

impl Way {
    /// The ways this CPU can run, the portable one last.
    pub fn available() -> Vec<Way> {
        let mut ways = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                ways.push(Way::Avx512);
            }
            if std::arch::is_x86_feature_detected!("sha") {
                ways.push(Way::ShaExtensions);
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                ways.push(Way::Avx2);
            }
        }
        ways.push(Way::Portable);
        ways
    }

    /// The fastest available way, timed at the first call.
    pub fn fastest() -> Way {
        static FASTEST: std::sync::OnceLock<Way> = std::sync::OnceLock::new();
        *FASTEST.get_or_init(|| Self::time_ways(&Self::available()))
    }

    /// The way of `ways` that took the least time for the same jobs.
    fn time_ways(ways: &[Way]) -> Way {
        if ways.len() == 1 {
            return ways[0];
        }
        Self::choose(ways, &Self::timings(ways))
    }

    /// The way with the least time, or the SHA extensions when within a tenth of it: they
    /// run at one speed, while the lanes' speed moves with the clock the CPU gives wide
    /// vectors (AVX-512 lanes timed at 10.7 to 14.2 million a second in three runs on the EPYC
    /// of 2026-12-02, the extensions at 13.7 each time), and without the margin the choice
    /// flapped from run to run.
    fn choose(ways: &[Way], times: &[std::time::Duration]) -> Way {
        let fastest = times
            .iter()
            .enumerate()
            .min_by_key(|(_, d)| **d)
            .map_or(0, |(i, _)| i);
        let sha = ways.iter().position(|w| *w == Way::ShaExtensions);
        match sha {
            Some(i) if times[i].as_secs_f64() <= 1.1 * times[fastest].as_secs_f64() => ways[i],
            _ => ways[fastest],
        }
    }

    /// Each way's time for the same jobs, by its best of several alternated rounds, so that
    /// one interruption or a CPU still raising its clock does not decide.
    pub fn timings(ways: &[Way]) -> Vec<std::time::Duration> {
        let jobs: Vec<OneBlock> = (0..256u32)
            .map(|i| OneBlock {
                inner: std::array::from_fn(|j| i.wrapping_mul(0x9e37_79b9) ^ j as u32),
                outer: std::array::from_fn(|j| i.wrapping_mul(0x85eb_ca6b) ^ j as u32),
                block: std::array::from_fn(|j| (i as usize * 7 + j) as u8),
            })
            .collect();
        let mut out = vec![[0u8; 32]; jobs.len()];
        let mut best = vec![std::time::Duration::MAX; ways.len()];
        for _ in 0..32 {
            for (way, best) in ways.iter().zip(best.iter_mut()) {
                let t = std::time::Instant::now();
                way.run(&jobs, &mut out);
                *best = (*best).min(t.elapsed());
            }
        }
        best
    }

    /// Computes the batch this way. A way the CPU lacks runs the portable code instead (only
    /// `available` ways are ever chosen).
    pub fn run(self, jobs: &[OneBlock], out: &mut [[u8; 32]]) {
        assert_eq!(jobs.len(), out.len(), "one digest per job");
        #[cfg(target_arch = "x86_64")]
        match self {
            Way::Avx512 if std::arch::is_x86_feature_detected!("avx512f") => {
                // SAFETY: the CPU supports AVX-512F, checked by the guard; the function is
                // otherwise safe Rust.
                #[allow(unsafe_code)]
                unsafe {
                    hmac_all_avx512(jobs, out)
                };
                return;
            }
            Way::ShaExtensions => {
                // `sha2` checks for the extensions itself and falls back to plain code.
                hmac_one_by_one(jobs, out);
                return;
            }
            Way::Avx2 if std::arch::is_x86_feature_detected!("avx2") => {
                // SAFETY: the CPU supports AVX2, checked by the guard.
                #[allow(unsafe_code)]
                unsafe {
                    hmac_all_avx2(jobs, out)
                };
                return;
            }
            _ => {}
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = self;
        hmac_all(jobs, out);
    }
}

/// One job after another through `sha2`'s compression, which uses the SHA extensions where
/// the CPU has them.
fn hmac_one_by_one(jobs: &[OneBlock], out: &mut [[u8; 32]]) {
    for (j, o) in jobs.iter().zip(out) {
        let mut inner = j.inner;
        sha2::block_api::compress256(&mut inner, std::slice::from_ref(&j.block));
        // The outer hash's one block: the inner digest, then padding for 64 + 32 bytes.
        let mut block = [0u8; 64];
        for (b, w) in block.chunks_exact_mut(4).zip(inner) {
            b.copy_from_slice(&w.to_be_bytes());
        }
        block[32] = 0x80;
        block[56..].copy_from_slice(&((64u64 + 32) * 8).to_be_bytes());
        let mut outer = j.outer;
        sha2::block_api::compress256(&mut outer, &[block]);
        for (b, w) in o.chunks_exact_mut(4).zip(outer) {
            b.copy_from_slice(&w.to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// HMAC of one block by `sha2`'s compression, one job at a time (that path against the
    /// `hmac` crate itself: `key::keyed`'s `batched_jobs_equal_single_digests`, through
    /// `hmac_each` on CPUs that take it, and `hand_framed_hmac_equals_the_hmac_crate`).
    fn reference(j: &OneBlock) -> [u8; 32] {
        let mut out = [[0u8; 32]];
        hmac_one_by_one(std::slice::from_ref(j), &mut out);
        out[0]
    }

    #[test]
    fn the_timed_choice_is_a_way_this_cpu_has() {
        assert!(Way::available().contains(&Way::fastest()));
        assert_eq!(Way::time_ways(&[Way::Portable]), Way::Portable);
    }

    #[test]
    fn the_fastest_way_is_chosen_and_the_sha_extensions_within_a_tenth_of_it() {
        let us = std::time::Duration::from_micros;
        let ways = [Way::Avx512, Way::ShaExtensions, Way::Avx2, Way::Portable];
        // Lanes a fifth faster: the lanes.
        assert_eq!(
            Way::choose(&ways, &[us(100), us(120), us(150), us(900)]),
            Way::Avx512
        );
        // Lanes 5% faster: the steady extensions.
        assert_eq!(
            Way::choose(&ways, &[us(100), us(105), us(150), us(900)]),
            Way::ShaExtensions
        );
        // The extensions fastest, or AVX2 fastest where the extensions are far behind.
        assert_eq!(
            Way::choose(&ways, &[us(130), us(100), us(150), us(900)]),
            Way::ShaExtensions
        );
        assert_eq!(
            Way::choose(
                &[Way::ShaExtensions, Way::Avx2, Way::Portable],
                &[us(200), us(100), us(900)]
            ),
            Way::Avx2
        );
    }

    #[test]
    fn equals_the_reference_compression_for_any_count_of_jobs() {
        for n in [0usize, 1, 5, 16, 17, 40] {
            let jobs: Vec<OneBlock> = (0..n)
                .map(|i| OneBlock {
                    inner: std::array::from_fn(|j| (i * 131 + j * 17) as u32 ^ 0x6a09_e667),
                    outer: std::array::from_fn(|j| (i * 71 + j * 29) as u32 ^ 0xbb67_ae85),
                    block: std::array::from_fn(|j| (i * 7 + j * 13) as u8),
                })
                .collect();
            let expected: Vec<[u8; 32]> = jobs.iter().map(reference).collect();
            let mut out = vec![[0u8; 32]; n];
            hmac_each(&jobs, &mut out);
            assert_eq!(out, expected, "{n} jobs");
            // Every way this CPU has, whichever `hmac_each` chose.
            let ways = Way::available();
            assert_eq!(
                ways.last(),
                Some(&Way::Portable),
                "the portable way is always there"
            );
            for way in ways {
                let mut got = vec![[0u8; 32]; n];
                way.run(&jobs, &mut got);
                assert_eq!(got, expected, "{n} jobs, {way:?}");
            }
        }
    }
}
