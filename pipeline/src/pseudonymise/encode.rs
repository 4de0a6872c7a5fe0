//! Turns one validated record's identifiers into keyed match keys, blocking keys, keyed date
//! parts and a hardened Bloom filter. Each key is made only when its inputs are complete
//! enough; a missing key is null, never a hash of an empty string.

use super::bloom::{BloomEncoder, Masks};
use super::normalise::{fold_variants, part_tokens, skeleton_of_folded, sorted_joined};
use crate::dates::PartialDate;
use crate::key::{Job, Keyed, LinkageKey, run_jobs_into};

/// The exact match keys, in the order linkage trusts them.
/// Measured and dropped: a key on family name, birth year, gender and initial (alone it linked
/// with precision 0.85 on a 20 000-person sample, against 0.9995 for the others), and the keys
/// on given + family name + date and on sorted names + date: any two records that share one of
/// those share `mk_sorted_dob_unordered` and `mk_phonetic_dob` too (same tokens, same sorted
/// tokens, same skeletons, same date in either order), so they linked nothing more and cost
/// two keyed hashes per record.
pub const MATCH_KEYS: [&str; 3] = ["mk_pnr", "mk_sorted_dob_unordered", "mk_phonetic_dob"];
/// Blocking keys for the fuzzy step: full date; name-part skeleton with birth year; skeleton alone.
pub const BLOCK_KEYS: [&str; 11] = [
    "blk_dob", "blk_ty1", "blk_ty2", "blk_ty3", "blk_ty4", "blk_ty5", "blk_t1", "blk_t2", "blk_t3", "blk_t4",
    "blk_t5",
];
/// The blocking key of the full birth date, which the fuzzy step also uses as the date's
/// keyed value (see `date_parts`).
pub const FULL_DATE_BLOCK: usize = 0;
/// Name parts used for blocking (a middle name and two family names make four).
const BLOCK_TOKENS: usize = 5;
/// Keyed birth year; month and day of a full date, unordered; year and month of a date
/// without its day. See `Encoder::date_parts`.
pub const DATE_PARTS: [&str; 3] = ["dob_y", "dob_md", "dob_ym"];

/// What the encoder derives from one name token, kept for tokens that repeat (most do).
struct TokenInfo {
    text: Box<str>,
    skeleton: String,
    masks: Masks,
    block: i64,
}

/// A token's information: cached under an id, or made for this record only.
enum Token {
    Cached(u32),
    Fresh(Box<TokenInfo>),
}

use crate::FastMap;

/// Distinct tokens kept per encoder (about 300 bytes each); rarer ones are recomputed.
const TOKEN_CACHE: usize = 1 << 18;
/// Distinct name parts, as written, kept per encoder with their tokens (about 60 bytes each).
const PART_CACHE: usize = 1 << 19;

pub struct Encoder {
    mk: Vec<Keyed>,
    tokens: FastMap<Box<str>, u32>,
    infos: Vec<TokenInfo>,
    /// A name part as written to its tokens: most parts repeat, and normalising one (Unicode
    /// composition, transliteration) costs more than looking it up.
    parts: FastMap<Box<str>, Box<[u32]>>,
    /// The tokens of the record being encoded (kept for its room).
    toks: Vec<Token>,
    token_year: FastMap<(u32, i32), i64>,
    /// Keyed full dates, years, and months and days, by value: computed once per run.
    dob_block: FastMap<(i32, u32, u32), i64>,
    year_part: FastMap<i32, i64>,
    /// Keyed unordered months and days, and years and months, by value.
    md_part: FastMap<(u32, u32), i64>,
    ym_part: FastMap<(i32, u32), i64>,
    blk: Keyed,
    date: Keyed,
    record: Keyed,
    bloom: BloomEncoder,
    /// The keyed hashes of the batch being encoded, and their digests.
    pending: Pending,
    digests: Vec<[u8; 32]>,
}

/// Everything derived from one record's identifiers.
pub struct Encoded {
    pub record_key: [u8; 16],
    pub related_key: Option<[u8; 16]>,
    pub match_keys: [Option<i64>; MATCH_KEYS.len()],
    pub block_keys: [Option<i64>; 11],
    pub date_parts: [Option<i64>; 3],
    pub bloom: Option<[u8; super::bloom::STORED_BYTES]>,
}

/// The identifiers of one record, as validated, and what its record key is made of.
pub struct Identifiers<'a> {
    pub org: &'a str,
    pub year: &'a str,
    pub record_id: &'a str,
    pub related_id: Option<&'a str>,
    pub personal_number: Option<&'a str>,
    pub given: &'a str,
    pub family: &'a str,
    pub birth: Option<PartialDate>,
}

/// Where a keyed hash's digest goes once computed.
#[derive(Clone, Copy)]
enum Slot {
    MatchKey(usize),
    /// The record key (the digest's first half) and the seed of its filter's flips (the
    /// second half, never written: halves of a keyed hash are independent, so the published
    /// key says nothing about the seed, and one hash per record is saved).
    Record,
    Related,
    /// A token-year blocking key (its place among the blocking keys) not yet in the cache,
    /// and what it is cached under once computed (token id, or u32::MAX for an uncached token).
    TokenYear(usize, u32, i32),
}

/// The keyed hashes of a batch of records, to be computed side by side in SIMD lanes.
#[derive(Default)]
struct Pending {
    jobs: Vec<Job>,
    targets: Vec<(usize, Slot)>,
    /// Hashes of inputs too long for one block, computed one at a time.
    done: Vec<(usize, Slot, [u8; 32])>,
}

impl Pending {
    /// Emptied for the next batch, keeping its room, so that the 128-byte jobs are not copied
    /// again each time the list grows (that copying was 2-3% of pseudonymise's CPU); the
    /// encoder keeps them from batch to batch, as fresh pages for them cost more still.
    fn clear(&mut self) {
        self.jobs.clear();
        self.targets.clear();
        self.done.clear();
    }

    fn add(&mut self, keyed: &Keyed, parts: &[&[u8]], record: usize, slot: Slot) {
        match keyed.job(parts) {
            Some(job) => {
                self.jobs.push(job);
                self.targets.push((record, slot));
            }
            None => self.done.push((record, slot, keyed.digest(parts))),
        }
    }
}

impl Encoder {
    pub fn new(key: &LinkageKey) -> Self {
        Encoder {
            mk: MATCH_KEYS.iter().map(|l| key.purpose(l)).collect(),
            tokens: FastMap::default(),
            infos: Vec::new(),
            parts: FastMap::default(),
            toks: Vec::new(),
            token_year: FastMap::default(),
            dob_block: FastMap::default(),
            year_part: FastMap::default(),
            md_part: FastMap::default(),
            ym_part: FastMap::default(),
            blk: key.purpose("block"),
            date: key.purpose("date-part"),
            record: key.purpose("record"),
            bloom: BloomEncoder::new(key.purpose("bloom-positions"), &key.purpose("bloom-permutation")),
            pending: Pending::default(),
            digests: Vec::new(),
        }
    }

    /// Encodes a batch of records. The per-record keyed hashes (record keys, which also seed the
    /// filters' flips, and match keys) are collected first and computed together.
    pub fn encode_many(&mut self, ids: &[Identifiers]) -> Vec<Encoded> {
        let mut pending = std::mem::take(&mut self.pending);
        pending.clear();
        let mut bases = Vec::with_capacity(ids.len());
        let mut out: Vec<Encoded> = ids
            .iter()
            .enumerate()
            .map(|(r, id)| {
                let (e, base) = self.prepare(id, r, &mut pending);
                bases.push(base);
                e
            })
            .collect();
        let mut digests = std::mem::take(&mut self.digests);
        digests.clear();
        run_jobs_into(&pending.jobs, &mut digests);
        let computed = pending
            .targets
            .iter()
            .zip(&digests)
            .map(|(&(r, s), &d)| (r, s, d));
        for (r, slot, d) in computed.chain(pending.done.iter().copied()) {
            let e = &mut out[r];
            match slot {
                Slot::MatchKey(k) => {
                    e.match_keys[k] = Some(i64::from_le_bytes(d[..8].try_into().expect("32 bytes hold 8")));
                }
                Slot::Record => {
                    e.record_key.copy_from_slice(&d[..16]);
                    let seed: [u8; 16] = d[16..].try_into().expect("32 bytes hold 16");
                    e.bloom = bases[r].map(|b| self.bloom.finish(b, seed));
                }
                Slot::Related => e.related_key = Some(d[..16].try_into().expect("32 bytes hold 16")),
                Slot::TokenYear(k, id, year) => {
                    let v = i64::from_le_bytes(d[..8].try_into().expect("32 bytes hold 8"));
                    e.block_keys[k] = Some(v);
                    // Bounded like the other caches.
                    if id != u32::MAX && self.token_year.len() < 1 << 20 {
                        self.token_year.insert((id, year), v);
                    }
                }
            }
        }
        self.pending = pending;
        self.digests = digests;
        out
    }

    /// Everything that needs no per-record keyed hash; those are queued in `pending`.
    fn prepare(
        &mut self,
        id: &Identifiers,
        r: usize,
        pending: &mut Pending,
    ) -> (Encoded, Option<[u64; super::bloom::STORED_WORDS]>) {
        fn record<'a>(id: &Identifiers<'a>, rid: &'a str) -> [&'a [u8]; 3] {
            [id.org.as_bytes(), id.year.as_bytes(), rid.as_bytes()]
        }
        pending.add(&self.record, &record(id, id.record_id), r, Slot::Record);
        if let Some(rel) = id.related_id {
            pending.add(&self.record, &record(id, rel), r, Slot::Related);
        }
        let mut toks = std::mem::take(&mut self.toks);
        toks.clear();
        self.part_tokens(id.given, &mut toks);
        let given_count = toks.len();
        self.part_tokens(id.family, &mut toks);
        let full = id.birth.filter(|d| d.day.is_some());
        let dob = full.map(full_date_text);
        if let Some(p) = id.personal_number {
            pending.add(&self.mk[0], &[p.as_bytes()], r, Slot::MatchKey(0));
        }
        let complete = given_count > 0 && toks.len() > given_count;
        if complete && let (Some(dob), Some(d)) = (&dob, full) {
            let (m, day) = (d.month.unwrap_or(0), d.day.unwrap_or(0));
            let unordered = date_text(d.year, m.min(day), m.max(day), false);
            let sorted = sorted_joined(toks.iter().map(|t| self.text(t)));
            let phonetic = sorted_joined(toks.iter().map(|t| self.info(t).skeleton.as_str()));
            let (dob, uo) = (dob.as_bytes(), unordered.as_bytes());
            pending.add(&self.mk[1], &[sorted.as_bytes(), uo], r, Slot::MatchKey(1));
            pending.add(&self.mk[2], &[phonetic.as_bytes(), dob], r, Slot::MatchKey(2));
        }
        // The flips are seeded by the record's keyed hash (see `Slot::Record`).
        let base = (!toks.is_empty()).then(|| self.bloom.base(toks.iter().map(|t| &self.info(t).masks)));
        let encoded = Encoded {
            record_key: [0; 16],
            related_key: None,
            match_keys: [None; MATCH_KEYS.len()],
            block_keys: self.block_keys(&toks, id.birth, full, dob.as_deref(), (r, pending)),
            date_parts: self.date_parts(id.birth),
            bloom: None,
        };
        self.toks = toks;
        (encoded, base)
    }

    /// Appends the tokens of one part of a name (given or family) to `out`.
    fn part_tokens(&mut self, raw: &str, out: &mut Vec<Token>) {
        if let Some(ids) = self.parts.get(raw) {
            out.extend(ids.iter().map(|&id| Token::Cached(id)));
            return;
        }
        let start = out.len();
        for t in part_tokens(raw) {
            out.push(self.token(&t));
        }
        let ids: Option<Box<[u32]>> = out[start..]
            .iter()
            .map(|t| match t {
                Token::Cached(id) => Some(*id),
                Token::Fresh(_) => None,
            })
            .collect();
        if let Some(ids) = ids
            && self.parts.len() < PART_CACHE
        {
            self.parts.insert(raw.into(), ids);
        }
    }

    /// A token's folded spelling, skeleton, filter masks and blocking key, from the cache
    /// when it has been seen before.
    fn token(&mut self, t: &str) -> Token {
        if let Some(&id) = self.tokens.get(t) {
            return Token::Cached(id);
        }
        let folded = fold_variants(t);
        let skeleton = skeleton_of_folded(&folded);
        // Spellings and skeletons: transliteration variants share most skeleton bigrams.
        let masks = self
            .bloom
            .token_masks(&[(b'_', folded.as_str()), (b'#', skeleton.as_str())]);
        let block = self.blk.hash64(&[b"token", skeleton.as_bytes()]);
        let info = TokenInfo {
            text: t.into(),
            skeleton,
            masks,
            block,
        };
        if self.infos.len() < TOKEN_CACHE {
            let id = self.infos.len() as u32;
            self.infos.push(info);
            self.tokens.insert(t.into(), id);
            Token::Cached(id)
        } else {
            Token::Fresh(Box::new(info))
        }
    }

    fn text<'a>(&'a self, t: &'a Token) -> &'a str {
        &self.info(t).text
    }

    fn info<'a>(&'a self, t: &'a Token) -> &'a TokenInfo {
        match t {
            Token::Cached(id) => &self.infos[*id as usize],
            Token::Fresh(info) => info,
        }
    }

    fn block_keys(
        &mut self,
        toks: &[Token],
        birth: Option<PartialDate>,
        full: Option<PartialDate>,
        dob: Option<&str>,
        (r, pending): (usize, &mut Pending),
    ) -> [Option<i64>; 11] {
        let mut out = [None; 11];
        if let (Some(d), Some(text)) = (full, dob) {
            let at = (d.year, d.month.unwrap_or(0), d.day.unwrap_or(0));
            out[FULL_DATE_BLOCK] = Some(match self.dob_block.get(&at) {
                Some(&v) => v,
                None => {
                    let v = self.blk.hash64(&[b"dob", text.as_bytes()]);
                    if self.dob_block.len() < 1 << 20 {
                        self.dob_block.insert(at, v);
                    }
                    v
                }
            });
        }
        // Every name part (the longest first): a typo in one part still leaves the others.
        let lengths: Vec<usize> = toks.iter().map(|t| self.info(t).text.len()).collect();
        let mut order: Vec<usize> = (0..lengths.len()).collect();
        order.sort_by_key(|&k| std::cmp::Reverse(lengths[k]));
        for (i, &k) in order.iter().take(BLOCK_TOKENS).enumerate() {
            if let Some(b) = birth {
                out[1 + i] = self.token_year(&toks[k], b.year, (1 + i, r, pending));
            }
            out[1 + BLOCK_TOKENS + i] = Some(self.info(&toks[k]).block);
        }
        out
    }

    /// The blocking key of a token's skeleton with a birth year, from the cache; one not
    /// there yet is queued with the record's other keyed hashes (`at`: its place among the
    /// blocking keys, the record, the queue) and filled in when the batch is computed.
    fn token_year(
        &mut self,
        t: &Token,
        year: i32,
        (at, r, pending): (usize, usize, &mut Pending),
    ) -> Option<i64> {
        let (id, info) = match t {
            Token::Fresh(info) => (u32::MAX, info.as_ref()),
            Token::Cached(id) => {
                if let Some(v) = self.token_year.get(&(*id, year)) {
                    return Some(*v);
                }
                (*id, &self.infos[*id as usize])
            }
        };
        let year_text = year.to_string();
        let parts: [&[u8]; 3] = [b"token-year", info.skeleton.as_bytes(), year_text.as_bytes()];
        pending.add(&self.blk, &parts, r, Slot::TokenYear(at, id, year));
        None
    }

    /// Keyed date parts for the fuzzy step's date evidence: the year; for a full date, its
    /// month and day as an unordered pair (equal for the same date and for a day-month swap;
    /// the full date itself is the first blocking key); for a year and month without a day,
    /// the two together. Month and day are never keyed alone: a keyed month equal to the keyed
    /// day of the same number, or the months and days that occur together, would let the
    /// platform tell days and months apart (day 31 occurs with seven months only, day 30 never
    /// with February).
    fn date_parts(&mut self, birth: Option<PartialDate>) -> [Option<i64>; 3] {
        let Some(b) = birth else { return [None; 3] };
        let date = &self.date;
        let year = *self
            .year_part
            .entry(b.year)
            .or_insert_with(|| date.hash64(&[b"y", b.year.to_string().as_bytes()]));
        let (md, ym) = match (b.month, b.day) {
            (Some(m), Some(d)) => {
                let (lo, hi) = (m.min(d), m.max(d));
                let md = *self.md_part.entry((lo, hi)).or_insert_with(|| {
                    date.hash64(&[b"md-unordered", format!("{lo:02}-{hi:02}").as_bytes()])
                });
                (Some(md), None)
            }
            (Some(m), None) => {
                let ym = *self
                    .ym_part
                    .entry((b.year, m))
                    .or_insert_with(|| date.hash64(&[b"ym", format!("{}-{m:02}", b.year).as_bytes()]));
                (None, Some(ym))
            }
            _ => (None, None),
        };
        [Some(year), md, ym]
    }
}

/// A full date as `PartialDate` writes it (YYYY-MM-DD), without the formatting machinery.
fn full_date_text(d: PartialDate) -> String {
    date_text(d.year, d.month.unwrap_or(0), d.day.unwrap_or(0), true)
}

/// Year, month and day joined by dashes; the year padded to four digits when `pad_year`.
fn date_text(year: i32, a: u32, b: u32, pad_year: bool) -> String {
    if !(1000..=9999).contains(&year) || a > 99 || b > 99 {
        return if pad_year {
            format!("{year:04}-{a:02}-{b:02}")
        } else {
            format!("{year}-{a:02}-{b:02}")
        };
    }
    let digit = |v: u32| char::from(b'0' + (v % 10) as u8);
    let y = year as u32;
    let mut s = String::with_capacity(10);
    for c in [
        digit(y / 1000),
        digit(y / 100),
        digit(y / 10),
        digit(y),
        '-',
        digit(a / 10),
        digit(a),
        '-',
        digit(b / 10),
        digit(b),
    ] {
        s.push(c);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pseudonymise::normalise::skeleton;

    #[test]
    fn blocking_keys_are_the_same_computed_in_a_batch_or_taken_from_the_cache() {
        let key = LinkageKey::for_synthetic_demo(b"test");
        let birth = PartialDate::parse("1990-04-05").ok();
        let ids: Vec<Identifiers> = ["a", "b"]
            .into_iter()
            .map(|rid| Identifiers {
                org: "ORG",
                year: "2024",
                record_id: rid,
                related_id: None,
                personal_number: None,
                given: "Anna Maria",
                family: "Svensson",
                birth,
            })
            .collect();
        let mut enc = Encoder::new(&key);
        // The first batch computes each token-year key (twice: both records miss the cache);
        // the second takes them from the cache.
        let first = enc.encode_many(&ids);
        let second = enc.encode_many(&ids);
        let blk = key.purpose("block");
        let expected = blk.hash64(&[b"token-year", skeleton("svensson").as_bytes(), b"1990"]);
        for e in first.iter().chain(&second) {
            assert_eq!(e.block_keys, first[0].block_keys);
            assert!(e.block_keys[1..6].contains(&Some(expected)), "{:?}", e.block_keys);
            assert!(
                e.block_keys[1..4].iter().all(Option::is_some),
                "three name parts, three keys"
            );
        }
    }

    /// Nothing keyed from a date relates a month to a day: the unordered pair is the same
    /// for a date and its swap, and no part is a month or a day alone (were the keyed month 9
    /// equal to the keyed day 9, which days occur with which months would give both away).
    #[test]
    fn date_parts_match_a_swap_but_never_key_a_month_or_a_day_alone() {
        let key = LinkageKey::for_synthetic_demo(b"test");
        let mut enc = Encoder::new(&key);
        let d = |y, m, d| {
            Some(PartialDate {
                year: y,
                month: m,
                day: d,
            })
        };
        let [y, md, ym] = enc.date_parts(d(1990, Some(4), Some(9)));
        let [_, swapped, _] = enc.date_parts(d(1990, Some(9), Some(4)));
        let [_, other, _] = enc.date_parts(d(1990, Some(4), Some(10)));
        assert!(y.is_some() && md.is_some() && ym.is_none());
        assert!(md == swapped && md != other);
        let [_, none, month] = enc.date_parts(d(1990, Some(4), None));
        assert!(none.is_none() && month.is_some());
        assert_ne!(
            month,
            enc.date_parts(d(1991, Some(4), None))[2],
            "the month goes with its year"
        );
        // No part of any date equals the part another date would make for a lone month or day.
        let mut values = std::collections::HashSet::new();
        for m in 1..=12 {
            for day in 1..=28 {
                values.extend(enc.date_parts(d(1990, Some(m), Some(day))).into_iter().flatten());
            }
        }
        let date = key.purpose("date-part");
        for v in 1..=31u32 {
            for tag in [b"m".as_slice(), b"d", b"md"] {
                assert!(!values.contains(&date.hash64(&[tag, format!("{v:02}").as_bytes()])));
            }
        }
    }

    #[test]
    fn dates_are_written_as_the_formatting_machinery_writes_them() {
        for (y, m, d) in [
            (1987, 3, 9),
            (2001, 12, 31),
            (999, 1, 2),
            (12345, 5, 6),
            (1990, 0, 0),
        ] {
            let date = PartialDate {
                year: y,
                month: Some(m),
                day: Some(d),
            };
            assert_eq!(full_date_text(date), date.to_string());
            assert_eq!(date_text(y, m, d, false), format!("{y}-{m:02}-{d:02}"));
        }
    }

    #[test]
    fn swapped_names_and_swapped_day_and_month_share_the_keys_they_should() {
        let key = LinkageKey::for_synthetic_demo(b"test");
        let id = |rid, given, family, birth: &str| Identifiers {
            org: "ORG",
            year: "2024",
            record_id: rid,
            related_id: None,
            personal_number: None,
            given,
            family,
            birth: PartialDate::parse(birth).ok(),
        };
        let ids = [
            id("a", "Anna Maria", "Svensson", "1990-04-05"),
            id("b", "Svensson", "Anna Maria", "1990-04-05"),
            id("c", "Anna", "Svensson", "1990-04-05"),
            id("d", "Anna Maria", "Svensson", "1990-05-04"),
            id("e", "Anna Maria", "Svensson", "1990-05"),
        ];
        let e = Encoder::new(&key).encode_many(&ids);
        let [unordered, phonetic] = [1, 2].map(|k| e.iter().map(|e| e.match_keys[k]).collect::<Vec<_>>());
        // Swapped names: both keys; a dropped name part: neither.
        assert!(unordered[0].is_some() && unordered[0] == unordered[1] && phonetic[0] == phonetic[1]);
        assert!(unordered[0] != unordered[2] && phonetic[0] != phonetic[2]);
        // Day and month swapped: only the unordered key.
        assert!(unordered[0] == unordered[3] && phonetic[0] != phonetic[3]);
        // No full birth date: no name key at all.
        assert_eq!((unordered[4], phonetic[4]), (None, None));
    }
}
