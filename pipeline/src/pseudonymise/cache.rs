//! The encoder's memory of what it has seen: name parts as written, with everything a record
//! needs from them, and keyed values by their inputs. Lookups in tables this large miss the
//! CPU's caches; taken one record at a time each miss waits for the last (they were two thirds
//! of the time spent finding name parts), so the tables can be touched for a whole batch first
//! and their misses overlap.

use super::bloom::{BloomEncoder, STORED_WORDS};
use super::normalise::{fold_variants, part_token_variants, phonetic_of_folded, skeleton_of_folded};
use crate::key::Keyed;
pub use crate::open_table::Table;
use crate::open_table::nonzero;

/// The hash of a name part as written.
pub fn text_key(s: &str) -> u64 {
    use std::hash::BuildHasher;
    nonzero(foldhash::fast::FixedState::with_seed(0x5afe_7a11).hash_one(s))
}

/// Tokens a part holds in place (most have one or two); more go to the heap.
const PART_TOKENS: usize = 4;

/// One token of a name part: where its text and phonetic code are in the part's text, and its
/// keyed blocking keys: its own, and that of its popular spelling when written in Thai and
/// that differs (0: none; see `normalise::part_token_variants`).
#[derive(Clone, Copy, Default)]
pub struct PartToken {
    pub block: i64,
    pub alt_block: i64,
    text: (u32, u32),
    phonetic: (u32, u32),
}

/// Bytes of a part's text held in place: most names, their tokens and phonetic codes fit.
const PART_TEXT: usize = 64;

/// A name part as written, normalised, with what it does to the Bloom filter. Its text is
/// held in place, beside its tokens, so that a record reads one run of cache lines per part
/// (on the heap, each part's text was a miss of its own).
#[repr(C)]
pub struct PartInfo {
    tokens: smallvec::SmallVec<[PartToken; PART_TOKENS]>,
    raw_len: u32,
    /// The part as written, then each token's text and phonetic code (valid UTF-8: built from
    /// `str`s).
    text: smallvec::SmallVec<[u8; PART_TEXT]>,
    /// The stored bits the part's tokens move together (the order of tokens does not matter
    /// to the filter, see `BloomEncoder::base`).
    pub moved: [u64; STORED_WORDS],
}

impl PartToken {
    /// The length of the token's text in bytes.
    pub fn text_len(&self) -> usize {
        (self.text.1 - self.text.0) as usize
    }
}

impl PartInfo {
    /// The part as written.
    pub fn raw_bytes(&self) -> &[u8] {
        &self.text[..self.raw_len as usize]
    }

    #[cfg(test)]
    pub fn raw(&self) -> &str {
        std::str::from_utf8(self.raw_bytes()).expect("the text is made from a str")
    }

    pub fn tokens(&self) -> &[PartToken] {
        &self.tokens
    }

    /// A token's text, as the bytes the keyed hashes take: slicing the `str` checked both
    /// ends for character boundaries, a cost on every token of every record.
    pub fn text(&self, t: &PartToken) -> &[u8] {
        &self.text[t.text.0 as usize..t.text.1 as usize]
    }

    pub fn phonetic(&self, t: &PartToken) -> &[u8] {
        &self.text[t.phonetic.0 as usize..t.phonetic.1 as usize]
    }

    /// Reads the lines a record will use (see the module's comment).
    pub fn touch(&self) -> u64 {
        let text = self.text.first().map_or(0, |&b| u64::from(b));
        let masks = self.moved[0] ^ self.moved[STORED_WORDS - 1];
        text ^ masks
    }
}

/// A place in a part's text. A cell's text comes from an Arrow string view, under 4 GiB;
/// its tokens and phonetic codes are a few times that at most.
fn offset(at: usize) -> u32 {
    u32::try_from(at).expect("a name part's text, tokens and phonetic codes are under 4 GiB")
}

/// What a token contributes to every part it is in.
#[derive(Clone)]
struct TokenInfo {
    phonetic: String,
    moved: [u64; STORED_WORDS],
    block: i64,
    alt_block: i64,
}

/// Distinct tokens kept (about 300 bytes each); rarer ones are recomputed.
pub const TOKEN_CACHE: usize = 1 << 18;

/// Normalises name parts, remembering tokens so that a new part made of known tokens costs
/// no keyed hash and no Bloom positions.
pub struct PartMaker {
    ids: crate::FastMap<Box<str>, u32>,
    infos: Vec<TokenInfo>,
    blk: Keyed,
    /// Tokens kept at most (at most `TOKEN_CACHE`).
    cap: usize,
}

impl PartMaker {
    pub fn new(blk: Keyed, cap: usize) -> Self {
        PartMaker {
            ids: crate::FastMap::default(),
            infos: Vec::new(),
            blk,
            cap: cap.min(TOKEN_CACHE),
        }
    }

    /// The part `raw` normalised.
    pub fn make(&mut self, raw: &str, bloom: &mut BloomEncoder) -> PartInfo {
        let mut info = PartInfo {
            text: smallvec::SmallVec::new(),
            raw_len: offset(raw.len()),
            tokens: smallvec::SmallVec::new(),
            moved: [0; STORED_WORDS],
        };
        let mut text = String::from(raw);
        for (t, alt) in part_token_variants(raw) {
            let alt = alt.as_deref();
            let id = self.token(&t, alt, bloom);
            let tok = self.at(id, &t, alt, bloom);
            let start = offset(text.len());
            text.push_str(&t);
            let mid = offset(text.len());
            text.push_str(&tok.phonetic);
            info.tokens.push(PartToken {
                block: tok.block,
                alt_block: tok.alt_block,
                text: (start, mid),
                phonetic: (mid, offset(text.len())),
            });
            for (o, m) in info.moved.iter_mut().zip(&tok.moved) {
                *o |= m;
            }
        }
        info.text = smallvec::SmallVec::from_slice(text.as_bytes());
        info
    }

    /// A token's index among the cached ones, or past them (`TOKEN_CACHE`) when the cache is
    /// full and the token new. A token with a popular spelling is cached under both: the
    /// same letters typed in Latin have none.
    fn token(&mut self, t: &str, alt: Option<&str>, bloom: &mut BloomEncoder) -> usize {
        // Only a token with a popular spelling pays for a name of two parts.
        let joined = alt.map(|a| format!("{t}\0{a}"));
        let name = joined.as_deref().unwrap_or(t);
        if let Some(&id) = self.ids.get(name) {
            return id as usize;
        }
        if self.infos.len() >= self.cap {
            return TOKEN_CACHE;
        }
        let info = self.compute(t, alt, bloom);
        self.infos.push(info);
        let id = self.infos.len() - 1;
        self.ids.insert(name.into(), id as u32);
        id
    }

    fn at(
        &mut self,
        id: usize,
        t: &str,
        alt: Option<&str>,
        bloom: &mut BloomEncoder,
    ) -> std::borrow::Cow<'_, TokenInfo> {
        match self.infos.get(id) {
            Some(info) => std::borrow::Cow::Borrowed(info),
            None => std::borrow::Cow::Owned(self.compute(t, alt, bloom)),
        }
    }

    /// A token's phonetic code, Bloom bits and blocking keys (the last two from its skeleton,
    /// and from its popular spelling's too).
    fn compute(&self, t: &str, alt: Option<&str>, bloom: &mut BloomEncoder) -> TokenInfo {
        let folded = fold_variants(t);
        let skeleton = skeleton_of_folded(&folded);
        let alt_folded = alt.map(fold_variants);
        let alt_skeleton = alt_folded.as_deref().map(skeleton_of_folded);
        // Spellings and skeletons: transliteration variants share most skeleton bigrams.
        let mut grams = vec![(b'_', folded.as_str()), (b'#', skeleton.as_str())];
        if let (Some(f), Some(k)) = (&alt_folded, &alt_skeleton) {
            grams.extend([(b'_', f.as_str()), (b'#', k.as_str())]);
        }
        let masks = bloom.token_masks(&grams);
        let block = self.blk.hash64(&[b"token", skeleton.as_bytes()]);
        let alt_block = match &alt_skeleton {
            Some(k) if *k != skeleton => self.blk.hash64(&[b"token", k.as_bytes()]),
            _ => 0,
        };
        TokenInfo {
            phonetic: phonetic_of_folded(&folded),
            moved: masks.moved,
            block,
            alt_block,
        }
    }
}
