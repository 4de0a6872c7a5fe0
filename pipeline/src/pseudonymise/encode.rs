//! Turns one validated record's identifiers into keyed match keys, blocking keys, keyed date
//! parts and a hardened Bloom filter. Each key is made only when its inputs are complete
//! enough; a missing key is null, never a hash of an empty string.

use super::births::Birth;
use super::bloom::{BloomEncoder, STORED_WORDS};
use super::cache::{PartInfo, PartToken};
use super::parts::{Part, PartStore};
use crate::dates::PartialDate;
use crate::key::{Job, Keyed, LinkageKey, frame, run_jobs_into};

/// The exact match keys, in the order linkage trusts them.
/// Measured and dropped: a key on family name, birth year, gender and initial (alone it linked
/// with precision 0.85 on a 20 000-person sample, against 0.9995 for the others), and the keys
/// on given + family name + date and on sorted names + date: any two records that share one of
/// those share `mk_sorted_dob_unordered` and `mk_phonetic_dob` too (same tokens, same sorted
/// tokens, same phonetic codes, same date in either order), so they linked nothing more and cost
/// two keyed hashes per record.
pub const MATCH_KEYS: [&str; 3] = ["mk_pnr", "mk_sorted_dob_unordered", "mk_phonetic_dob"];
/// Blocking keys for the fuzzy step: the full date, and the skeleton of each name part (the
/// longest first; then the popular spellings of parts written in Thai). The link stage pairs
/// each skeleton key with the keyed birth year itself (`link::load`): the pair says nothing
/// the two columns beside each other do not, so writing it was a keyed hash, a cache the size
/// of the CPU's and 40 bytes per record for nothing.
pub const BLOCK_KEYS: [&str; 1 + BLOCK_TOKENS] =
    ["blk_dob", "blk_t1", "blk_t2", "blk_t3", "blk_t4", "blk_t5"];
/// The blocking key of the full birth date, which the fuzzy step also uses as the date's
/// keyed value (see `Dates::parts`).
pub const FULL_DATE_BLOCK: usize = 0;
/// Name parts used for blocking (a middle name and two family names make four).
pub const BLOCK_TOKENS: usize = 5;
/// Keyed birth year; month and day of a full date, unordered; year and month of a date
/// without its day. See `Dates::parts`.
pub const DATE_PARTS: [&str; 3] = ["dob_y", "dob_md", "dob_ym"];

/// Records encoded one batch at a time with their own store of name parts (tests, tools);
/// pseudonymise shares one store between the cores' `RecordEncoder`s.
pub struct Encoder {
    parts: PartStore,
    rows: RecordEncoder,
}

/// One core's encoder: its keys, its caches of keyed values, and the batch in progress.
pub struct RecordEncoder {
    keys: Keys,
    bloom: BloomEncoder,
    /// The keyed hashes of the batch being encoded, and their digests.
    pending: Pending,
    digests: Vec<[u8; 32]>,
}

/// The keys that make the per-record keyed hashes.
struct Keys {
    mk: Vec<Keyed>,
    record: Keyed,
}

/// Everything derived from one record's identifiers.
#[derive(Default)]
pub struct Encoded {
    pub record_key: [u8; 16],
    pub related_key: Option<[u8; 16]>,
    pub match_keys: [Option<i64>; MATCH_KEYS.len()],
    pub block_keys: [Option<i64>; BLOCK_KEYS.len()],
    pub date_parts: [Option<i64>; 3],
    pub bloom: Option<[u8; super::bloom::STORED_BYTES]>,
}

/// The identifiers of one record, and what its record key is made of: its names and birth
/// date as validated (`Identifiers`), or as the encoder takes them, found in the part store
/// (`Record`).
pub struct Ids<'a, Name, Date> {
    pub org: &'a str,
    pub year: &'a str,
    pub record_id: &'a str,
    pub related_id: Option<&'a str>,
    pub personal_number: Option<&'a str>,
    pub given: Name,
    pub family: Name,
    pub birth: Date,
}

pub type Identifiers<'a> = Ids<'a, &'a str, Option<PartialDate>>;
pub type Record<'a> = Ids<'a, Part, Option<&'a Birth>>;

/// Where a keyed hash's digest goes once computed.
#[derive(Clone, Copy)]
enum Slot {
    MatchKey(usize),
    /// The record key (the digest's first half) and the seed of its filter's flips (the
    /// second half, never written: halves of a keyed hash are independent, so the published
    /// key says nothing about the seed, and one hash per record is saved).
    Record,
    Related,
}

/// The keyed hashes of a batch of records, to be computed side by side in SIMD lanes.
#[derive(Default)]
struct Pending {
    jobs: Vec<Job>,
    targets: Vec<(usize, Slot)>,
    /// Hashes of inputs too long for one block, computed one at a time.
    done: Vec<(usize, Slot, [u8; 32])>,
    /// The message being framed (kept for its room).
    msg: Vec<u8>,
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

    /// `add` of the message framed in `msg` (see `key::frame`).
    fn add_framed(&mut self, keyed: &Keyed, record: usize, slot: Slot) {
        match keyed.job_framed(&self.msg) {
            Some(job) => {
                self.jobs.push(job);
                self.targets.push((record, slot));
            }
            None => self.done.push((record, slot, keyed.digest_framed(&self.msg))),
        }
    }

    /// Frames a match key's message: the record's tokens (or their phonetic codes) sorted and
    /// joined by spaces, the same for swapped given and family names, then a date.
    fn frame_names(&mut self, tokens: &mut [&[u8]], date: &[u8]) {
        tokens.sort_unstable();
        self.msg.clear();
        frame(&mut self.msg, |m| {
            for (i, t) in tokens.iter().enumerate() {
                if i > 0 {
                    m.push(b' ');
                }
                m.extend_from_slice(t);
            }
        });
        frame(&mut self.msg, |m| m.extend_from_slice(date));
    }
}

impl Encoder {
    pub fn new(key: &LinkageKey) -> Self {
        Self::with_caches(key, super::parts::PART_CACHE, super::cache::TOKEN_CACHE)
    }

    /// An encoder whose store keeps at most `parts` name parts and `tokens` tokens.
    fn with_caches(key: &LinkageKey, parts: usize, tokens: usize) -> Self {
        Encoder {
            parts: PartStore::with_caches(key, parts, tokens),
            rows: RecordEncoder::new(key),
        }
    }

    /// Encodes a batch of records, finding their names in the encoder's store first.
    pub fn encode_many(&mut self, ids: &[Identifiers]) -> Vec<Encoded> {
        self.parts.begin_rows();
        let births: Vec<Option<Birth>> = ids
            .iter()
            .map(|id| id.birth.map(|b| self.parts.birth(b)))
            .collect();
        let records: Vec<Record> = ids
            .iter()
            .zip(&births)
            .map(|(id, birth)| Record {
                org: id.org,
                year: id.year,
                record_id: id.record_id,
                related_id: id.related_id,
                personal_number: id.personal_number,
                given: self.parts.resolve(id.given),
                family: self.parts.resolve(id.family),
                birth: birth.as_ref(),
            })
            .collect();
        self.rows.encode_many(&self.parts, &records)
    }
}

impl RecordEncoder {
    pub fn new(key: &LinkageKey) -> Self {
        RecordEncoder {
            keys: Keys {
                mk: MATCH_KEYS.iter().map(|l| key.purpose(l)).collect(),
                record: key.purpose("record"),
            },
            bloom: BloomEncoder::for_key(key),
            pending: Pending::default(),
            digests: Vec::new(),
        }
    }

    /// Encodes a batch of records whose names are in `parts`. The parts are touched for the
    /// whole batch first (see `cache`); then the per-record keyed
    /// hashes (record keys, which also seed the filters' flips, and match keys) are collected
    /// and computed together.
    pub fn encode_many(&mut self, parts: &PartStore, ids: &[Record]) -> Vec<Encoded> {
        self.touch(parts, ids);
        let mut pending = std::mem::take(&mut self.pending);
        pending.clear();
        let mut bases = Vec::with_capacity(ids.len());
        let mut out: Vec<Encoded> = Vec::with_capacity(ids.len());
        for (r, id) in ids.iter().enumerate() {
            // Filled in place: the record is 440 bytes, and moving it was 1% of the time.
            out.push(Encoded::default());
            let e = out.last_mut().expect("pushed above");
            bases.push(self.prepare(parts, id, (r, e), &mut pending));
        }
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
            }
        }
        self.pending = pending;
        self.digests = digests;
        out
    }

    /// Reads the parts the batch will use, so that their cache misses overlap instead of
    /// waiting one after another.
    fn touch(&self, parts: &PartStore, ids: &[Record]) {
        let mut touched = 0u64;
        for id in ids {
            touched ^= parts.info(id.given).touch() ^ parts.info(id.family).touch();
        }
        std::hint::black_box(touched);
    }

    /// Everything that needs no per-record keyed hash; those are queued in `pending`.
    fn prepare(
        &mut self,
        store: &PartStore,
        id: &Record,
        (r, encoded): (usize, &mut Encoded),
        pending: &mut Pending,
    ) -> Option<[u64; STORED_WORDS]> {
        fn record<'a>(id: &Record<'a>, rid: &'a str) -> [&'a [u8]; 3] {
            [id.org.as_bytes(), id.year.as_bytes(), rid.as_bytes()]
        }
        pending.add(&self.keys.record, &record(id, id.record_id), r, Slot::Record);
        if let Some(rel) = id.related_id {
            pending.add(&self.keys.record, &record(id, rel), r, Slot::Related);
        }
        if let Some(p) = id.personal_number {
            pending.add(&self.keys.mk[0], &[p.as_bytes()], r, Slot::MatchKey(0));
        }
        let full = id.birth.and_then(|b| b.full.as_ref());
        let block_keys = &mut encoded.block_keys;
        block_keys[FULL_DATE_BLOCK] = full.map(|f| f.block);
        encoded.date_parts = id.birth.map_or([None; 3], |b| b.parts);
        let keys = &self.keys;
        let parts = [store.info(id.given), store.info(id.family)];
        // Every token with the part it is in, given names first.
        let toks: smallvec::SmallVec<[(&PartInfo, &PartToken); 8]> = parts
            .iter()
            .flat_map(|p| p.tokens().iter().map(move |t| (*p, t)))
            .collect();
        let complete = !parts[0].tokens().is_empty() && !parts[1].tokens().is_empty();
        if complete && let Some(full) = full {
            let mut texts: smallvec::SmallVec<[&[u8]; 8]> = toks.iter().map(|(p, t)| p.text(t)).collect();
            pending.frame_names(&mut texts, full.unordered.as_bytes());
            pending.add_framed(&keys.mk[1], r, Slot::MatchKey(1));
            let mut phonetic: smallvec::SmallVec<[&[u8]; 8]> =
                toks.iter().map(|(p, t)| p.phonetic(t)).collect();
            pending.frame_names(&mut phonetic, full.text.as_bytes());
            pending.add_framed(&keys.mk[2], r, Slot::MatchKey(2));
        }
        // The flips are seeded by the record's keyed hash (see `Slot::Record`).
        let base = (!toks.is_empty()).then(|| self.bloom.base(parts.iter().map(|p| &p.moved)));
        // Every name part (the longest first): a typo in one part still leaves the others.
        // Then, in the slots left, the popular spellings of parts written in Thai, so that a
        // record in Latin letters shares a part with them whichever way it spells it.
        let mut order: smallvec::SmallVec<[usize; 8]> = (0..toks.len()).collect();
        order.sort_by_key(|&k| std::cmp::Reverse(toks[k].1.text_len()));
        // One not already among the record's parts (สมพร beside Somporn) would only fill a slot.
        let own = |b: i64| toks.iter().any(|(_, t)| t.block == b);
        let alternates = order
            .iter()
            .map(|&k| toks[k].1.alt_block)
            .filter(|&b| b != 0 && !own(b));
        let blocks = order.iter().map(|&k| toks[k].1.block).chain(alternates);
        for (slot, b) in block_keys[1..].iter_mut().zip(blocks) {
            *slot = Some(b);
        }
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pseudonymise::normalise::skeleton;

    #[test]
    fn blocking_keys_are_each_name_parts_keyed_skeleton_the_longest_first() {
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
        let first = enc.encode_many(&ids);
        let second = enc.encode_many(&ids);
        let blk = key.purpose("block");
        let token = |t: &str| Some(blk.hash64(&[b"token", skeleton(t).as_bytes()]));
        let date = Some(blk.hash64(&[b"dob", b"1990-04-05"]));
        let want = [date, token("svensson"), token("maria"), token("anna"), None, None];
        for e in first.iter().chain(&second) {
            assert_eq!(e.block_keys, want);
        }
    }

    /// A Thai part's popular spelling fills a slot left empty, after every part, and only when
    /// no part of the record has that skeleton already.
    #[test]
    fn popular_spellings_fill_the_slots_left_once() {
        let key = LinkageKey::for_synthetic_demo(b"test");
        let blk = key.purpose("block");
        let token = |t: &str| Some(blk.hash64(&[b"token", skeleton(t).as_bytes()]));
        let id = |given, family| Identifiers {
            org: "ORG",
            year: "2024",
            record_id: "r",
            related_id: None,
            personal_number: None,
            given,
            family,
            birth: None,
        };
        let e = Encoder::new(&key).encode_many(&[id("สมพร", "Somporn"), id("สมพร", "Svensson")]);
        assert_eq!(
            e[0].block_keys[1..],
            [token("somphon"), token("somporn"), None, None, None]
        );
        assert_eq!(
            e[1].block_keys[1..],
            [token("svensson"), token("somphon"), token("somporn"), None, None]
        );
    }

    /// The caches change nothing: records encoded with full caches (twice, so that the
    /// second pass reads everything from them), with no part cache (every part made for its
    /// batch) and with no token cache give the same keys, blocking keys, date parts and
    /// filters; so does each record encoded alone.
    #[test]
    fn caches_full_empty_or_bypassed_give_the_same_output() {
        let key = LinkageKey::for_synthetic_demo(b"test");
        let names = [
            ("Anna Maria", "Svensson"),
            ("Юлия", "Коваленко"),
            ("Svensson", "Anna Maria"),
            ("Mohammed Al Halabi", "El Sayed"),
            ("Ana", ""),
            ("", ""),
            ("A B C D E F", "G H"),
            ("Anna Maria", "Svensson-Öberg"),
        ];
        let dates = ["1990-04-05", "1990-05-04", "1990", "1990-05", "2001-12-31"];
        let rids: Vec<String> = (0..names.len() * dates.len()).map(|i| format!("r{i}")).collect();
        let ids: Vec<Identifiers> = rids
            .iter()
            .enumerate()
            .map(|(i, rid)| {
                let (given, family) = names[i % names.len()];
                Identifiers {
                    org: "ORG",
                    year: "2024",
                    record_id: rid,
                    related_id: (i % 3 == 0).then_some("r0"),
                    personal_number: (i % 4 == 0).then_some("199004052384"),
                    given,
                    family,
                    birth: PartialDate::parse(dates[i / names.len()]).ok(),
                }
            })
            .collect();
        let flat = |e: &[Encoded]| -> Vec<String> {
            e.iter()
                .map(|e| {
                    format!(
                        "{:?} {:?} {:?} {:?} {:?} {:?}",
                        e.record_key, e.related_key, e.match_keys, e.block_keys, e.date_parts, e.bloom
                    )
                })
                .collect()
        };
        let mut full = Encoder::new(&key);
        let first = flat(&full.encode_many(&ids));
        assert_eq!(flat(&full.encode_many(&ids)), first, "from the caches");
        assert_eq!(
            flat(&Encoder::with_caches(&key, 0, super::super::cache::TOKEN_CACHE).encode_many(&ids)),
            first,
            "no part cache"
        );
        assert_eq!(
            flat(&Encoder::with_caches(&key, super::super::parts::PART_CACHE, 0).encode_many(&ids)),
            first,
            "no token cache"
        );
        let alone: Vec<String> = ids
            .iter()
            .flat_map(|id| flat(&Encoder::new(&key).encode_many(std::slice::from_ref(id))))
            .collect();
        assert_eq!(alone, first, "each record alone");
        // The values themselves, computed here from the spec of each key rather than by the
        // encoder: a change to framing, sorting or skeletons fails here whatever the caches.
        let e = Encoder::new(&key).encode_many(&ids[..1]).remove(0);
        let mk = |label: &str, parts: &[&[u8]]| {
            let d = key.purpose(label).digest(parts);
            Some(i64::from_le_bytes(d[..8].try_into().expect("8 bytes")))
        };
        assert_eq!(
            e.match_keys[1],
            mk(
                "mk_sorted_dob_unordered",
                &[b"anna maria svensson", b"1990-04-05"]
            )
        );
        let phonetic = ["anna", "maria", "svensson"].map(crate::pseudonymise::normalise::phonetic);
        let mut phonetic: Vec<&str> = phonetic.iter().map(String::as_str).collect();
        phonetic.sort_unstable();
        assert_eq!(
            e.match_keys[2],
            mk("mk_phonetic_dob", &[phonetic.join(" ").as_bytes(), b"1990-04-05"])
        );
        assert_eq!(e.match_keys[0], mk("mk_pnr", &[b"199004052384"]));
        let record = key.purpose("record").digest(&[b"ORG", b"2024", b"r0"]);
        assert_eq!(e.record_key[..], record[..16]);
        // The records differ, so a test that compared nothing could not pass.
        let distinct: std::collections::HashSet<&String> = first.iter().collect();
        assert_eq!(distinct.len(), first.len());
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
