//! The bytes of a data page: definition levels, then codes bit-packed in runs of Parquet's
//! hybrid RLE encoding, lengths written as ULEB128.

use super::RUN;

/// Definition levels of an optional column's page of `rows` rows: their length, then one run
/// of ones when every row is present, else the validity bits (`valid`, least significant bit
/// first, as arrow holds them) as bit-packed runs of width 1.
pub(super) fn levels(out: &mut Vec<u8>, valid: &[u8], rows: usize, all: bool) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    if all {
        uleb128(out, (rows as u64) << 1);
        out.push(1);
    } else {
        for run in valid.chunks(RUN / 8) {
            uleb128(out, ((run.len() as u64) << 1) | 1);
            out.extend_from_slice(run);
        }
    }
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

/// A V1 data page body: definition levels (when the column is optional), then the bit width
/// and the non-null rows' codes, bit-packed.
pub(super) fn data_page(
    codes: &[u32],
    remap: &[Option<u32>],
    bits: u32,
    optional: bool,
) -> Result<Vec<u8>, String> {
    if let Some(&c) = codes.iter().max().filter(|&&c| c as usize >= remap.len()) {
        return Err(format!(
            "code {c} is past the end of a dictionary of {}",
            remap.len()
        ));
    }
    // Without branches: nulls fall at random among the rows, and a branch on each would be
    // mispredicted every other time.
    let key: Vec<u32> = remap.iter().map(|k| k.unwrap_or(0)).collect();
    let present: Vec<u8> = remap.iter().map(|k| u8::from(k.is_some())).collect();
    let mut valid = vec![0u8; codes.len().div_ceil(8)];
    let mut keys = vec![0u32; codes.len()];
    let mut n = 0usize;
    for (byte, eight) in valid.iter_mut().zip(codes.chunks(8)) {
        let mut bits = 0u8;
        for (bit, &c) in eight.iter().enumerate() {
            let p = present[c as usize];
            keys[n] = key[c as usize];
            n += usize::from(p);
            bits |= p << bit;
        }
        *byte = bits;
    }
    keys.truncate(n);
    let mut out = Vec::with_capacity(16 + valid.len() + keys.len() * bits as usize / 8);
    if optional {
        levels(&mut out, &valid, codes.len(), keys.len() == codes.len());
    } else if keys.len() < codes.len() {
        return Err("a null in a column that may not hold nulls".into());
    }
    out.push(bits as u8);
    for run in keys.chunks(RUN) {
        uleb128(&mut out, ((run.len().div_ceil(8) as u64) << 1) | 1);
        pack(&mut out, run, bits);
    }
    Ok(out)
}

/// Appends `values` bit-packed at `bits` bits each, least significant bit first, padded to
/// whole groups of eight values as a bit-packed run must be.
pub(super) fn pack(out: &mut Vec<u8>, values: &[u32], bits: u32) {
    let start = out.len();
    out.resize(start + values.len().div_ceil(8) * bits as usize, 0);
    let dst = &mut out[start..];
    let (mut acc, mut filled, mut at) = (0u64, 0u32, 0usize);
    for &v in values {
        acc |= u64::from(v) << filled;
        filled += bits;
        if filled >= 32 {
            dst[at..at + 4].copy_from_slice(&(acc as u32).to_le_bytes());
            at += 4;
            acc >>= 32;
            filled -= 32;
        }
    }
    let rest = filled.div_ceil(8) as usize;
    dst[at..at + rest].copy_from_slice(&acc.to_le_bytes()[..rest]);
}

pub(super) fn uleb128(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}
