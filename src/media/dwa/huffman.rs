//! OpenEXR's static Huffman coding (shared with PIZ), decode side only.
//!
//! Layout: five little-endian u32 (min symbol, max symbol, table length, payload bit count,
//! reserved), the code-length table packed 6 bits per symbol MSB-first with zero-run escapes,
//! then the payload. The largest symbol is a run marker: it is followed by 8 bits giving how
//! many more copies of the previous output value to emit.

const SHORT_ZEROCODE_RUN: u64 = 59;
const LONG_ZEROCODE_RUN: u64 = 63;
const SHORTEST_LONG_RUN: u64 = 2 + LONG_ZEROCODE_RUN - SHORT_ZEROCODE_RUN;
const MAX_CODE_LEN: usize = 58;
const ENC_SIZE: usize = (1 << 16) + 1;

struct BitReader<'a> {
    bytes: &'a [u8],
    bit: usize,
}

impl BitReader<'_> {
    fn bits(&mut self, n: usize) -> Result<u64, String> {
        let mut v = 0u64;
        for _ in 0..n {
            v = (v << 1) | self.one()? as u64;
        }
        Ok(v)
    }
    fn one(&mut self) -> Result<u8, String> {
        let byte = *self
            .bytes
            .get(self.bit / 8)
            .ok_or("huffman data truncated")?;
        let b = (byte >> (7 - self.bit % 8)) & 1;
        self.bit += 1;
        Ok(b)
    }
}

/// Canonical decode tables: for each code length, the first code value and the symbols with
/// that length in increasing symbol order.
struct Codebook {
    first: [u64; MAX_CODE_LEN + 1],
    symbols: Vec<Vec<u32>>,
}

impl Codebook {
    /// OpenEXR assigns code values from the longest length downwards, so the longest codes are
    /// numerically smallest; within a length, lower symbols get lower values.
    fn from_lengths(lengths: &[(u32, u8)]) -> Codebook {
        let mut count = [0u64; MAX_CODE_LEN + 1];
        for &(_, l) in lengths {
            count[l as usize] += 1;
        }
        let mut first = [0u64; MAX_CODE_LEN + 1];
        let mut c = 0u64;
        for l in (1..=MAX_CODE_LEN).rev() {
            first[l] = c;
            c = (c + count[l]) >> 1;
        }
        let mut symbols = vec![Vec::new(); MAX_CODE_LEN + 1];
        for &(s, l) in lengths {
            symbols[l as usize].push(s);
        }
        Codebook { first, symbols }
    }
}

/// Decodes `count` u16 values from a static-Huffman block.
pub fn decompress(data: &[u8], count: usize) -> Result<Vec<u16>, String> {
    if data.len() < 20 {
        return if count == 0 {
            Ok(Vec::new())
        } else {
            Err("huffman block shorter than its header".into())
        };
    }
    let word = |i: usize| u32::from_le_bytes(data[i * 4..i * 4 + 4].try_into().unwrap());
    let (im, i_max, n_bits) = (word(0) as usize, word(1) as usize, word(3) as usize);
    if im >= ENC_SIZE || i_max >= ENC_SIZE || im > i_max {
        return Err(format!("huffman symbol range {im}..{i_max} out of bounds"));
    }
    let table = &data[20..];
    let mut r = BitReader {
        bytes: table,
        bit: 0,
    };
    let mut lengths = Vec::new();
    let mut sym = im;
    while sym <= i_max {
        let l = r.bits(6)?;
        if l == LONG_ZEROCODE_RUN {
            sym += (r.bits(8)? + SHORTEST_LONG_RUN) as usize;
        } else if l >= SHORT_ZEROCODE_RUN {
            sym += (l - SHORT_ZEROCODE_RUN + 2) as usize;
        } else {
            if l > 0 {
                lengths.push((sym as u32, l as u8));
            }
            sym += 1;
        }
    }
    if sym > i_max + 1 {
        return Err("huffman zero run overflows the symbol range".into());
    }
    let book = Codebook::from_lengths(&lengths);
    let payload = &table[r.bit.div_ceil(8)..];
    if n_bits > payload.len() * 8 {
        return Err("huffman payload shorter than its bit count".into());
    }
    let run_marker = i_max as u32;
    let mut out = Vec::with_capacity(count);
    let mut r = BitReader {
        bytes: payload,
        bit: 0,
    };
    while r.bit < n_bits && out.len() < count {
        let mut code = 0u64;
        let mut len = 0usize;
        let symbol = loop {
            code = (code << 1) | r.one()? as u64;
            len += 1;
            if len > MAX_CODE_LEN || r.bit > n_bits {
                return Err("invalid huffman code".into());
            }
            let syms = &book.symbols[len];
            if !syms.is_empty()
                && code >= book.first[len]
                && code < book.first[len] + syms.len() as u64
            {
                break syms[(code - book.first[len]) as usize];
            }
        };
        if symbol == run_marker {
            let repeat = r.bits(8)? as usize;
            let prev = *out.last().ok_or("huffman run before any value")?;
            if out.len() + repeat > count {
                return Err("huffman run overflows the output".into());
            }
            out.extend(std::iter::repeat_n(prev, repeat));
        } else {
            out.push(symbol as u16);
        }
    }
    if out.len() != count {
        return Err(format!(
            "huffman decoded {} values, expected {count}",
            out.len()
        ));
    }
    Ok(out)
}
