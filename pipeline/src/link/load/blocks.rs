//! The fuzzy step's blocking keys in memory: the stored ones, with each name skeleton's key
//! paired here with the birth year (the pair is not stored, see `with_token_years`).

use crate::pseudonymise::BLOCK_TOKENS;

/// Blocking keys in memory: the full date, each name part's skeleton paired with the birth
/// year, each skeleton alone.
pub const BLOCKS: usize = 1 + 2 * BLOCK_TOKENS;
/// The keyed birth year among the date parts.
pub(super) const YEAR_PART: usize = 0;

/// The stored blocking keys (the full date, then the skeletons) with each skeleton's key
/// paired with the record's keyed birth year in between. The pair is made here, not keyed
/// by pseudonymise: it is a function of two columns the platform holds anyway, so it tells
/// the platform nothing more, and pseudonymise saves a keyed hash and 40 bytes per record.
/// For one year, different skeletons always give different pairs (`pair_key` is a bijection
/// of the skeleton's key); across years two pairs meet by chance only (2^-64).
pub(super) fn with_token_years(stored: Vec<Vec<i64>>, year: &[i64]) -> Vec<Vec<i64>> {
    let mut stored = stored.into_iter();
    let date = stored.next().unwrap_or_default();
    let skeletons: Vec<Vec<i64>> = stored.collect();
    let mut out = Vec::with_capacity(BLOCKS);
    out.push(date);
    for t in &skeletons {
        out.push(t.iter().zip(year).map(|(&t, &y)| pair_key(t, y)).collect());
    }
    out.extend(skeletons);
    out
}

/// A skeleton's key with a year's (0 where either is missing).
fn pair_key(token: i64, year: i64) -> i64 {
    if token == 0 || year == 0 {
        return 0;
    }
    // MurmurHash3's 64-bit finaliser, a bijection, of the token's key shifted by the year's.
    let mut h = token as u64 ^ (year as u64).rotate_left(29).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h.max(1) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pairs made at the platform block exactly as keyed (skeleton, year) pairs would:
    /// equal for one skeleton in one year, different for another skeleton or another year,
    /// absent where the skeleton or the year is.
    #[test]
    fn a_skeleton_paired_with_the_year_blocks_like_the_pair_itself() {
        let (anna, sven) = (0x1234_5678_9abc_def0_u64 as i64, -42);
        let (y1990, y1991) = (7_777_777, -7_777_777);
        let date = vec![11, 11, 11, 11, 11, 0];
        let first = vec![anna, anna, anna, sven, anna, anna];
        let year = [y1990, y1990, y1991, y1990, 0, y1990];
        let empty = vec![0; year.len()];
        let mut stored = vec![date.clone(), first.clone()];
        stored.extend(std::iter::repeat_n(empty.clone(), BLOCK_TOKENS - 1));
        let keys = with_token_years(stored, &year);
        assert_eq!(keys.len(), BLOCKS);
        assert_eq!(keys[0], date, "the full date first");
        assert_eq!(
            keys[1 + BLOCK_TOKENS],
            first,
            "the skeletons as stored, after the pairs"
        );
        let ty = &keys[1];
        assert_eq!(ty[0], ty[1], "one skeleton, one year");
        assert_eq!(ty[0], ty[5], "the full date plays no part");
        assert!(ty[0] != ty[2] && ty[0] != ty[3], "another year, another skeleton");
        assert!(ty[..4].iter().all(|&k| k != 0 && k != anna && k != sven));
        assert_eq!(ty[4], 0, "no year, no pair");
        assert!(
            keys[2..=BLOCK_TOKENS].iter().all(|k| *k == empty),
            "no skeleton, no pair"
        );
        // For one year, no two of many skeletons' keys meet.
        let many: Vec<i64> = (1..=100_000).collect();
        let mut pairs: Vec<i64> = many.iter().map(|&t| pair_key(t, y1990)).collect();
        pairs.sort_unstable();
        pairs.dedup();
        assert_eq!(pairs.len(), many.len());
    }
}
