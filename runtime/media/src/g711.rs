//! ITU-T G.711 µ-law and A-law, exact and table-driven.
//!
//! The tables are computed at compile time from the reference algorithm of ITU-T
//! G.191 (the G.711 software tool library), so encode and decode are single lookups.
//! µ-law only depends on the top 14 bits of a 16-bit sample and A-law on the top
//! 12 bits plus sign, which keeps the encode tables small (16 KiB and 4 KiB).

/// A G.711 companding law.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum G711 {
    /// µ-law (PCMU, RTP payload type 0), used in North America and Japan.
    Ulaw,
    /// A-law (PCMA, RTP payload type 8), used elsewhere.
    Alaw,
}

impl G711 {
    /// The law of an RTP codec, if it is a G.711 one.
    pub fn of(codec: switchyard_rtp::Codec) -> Option<G711> {
        match codec {
            switchyard_rtp::Codec::Pcmu => Some(G711::Ulaw),
            switchyard_rtp::Codec::Pcma => Some(G711::Alaw),
            switchyard_rtp::Codec::Opus => None,
        }
    }
}

/// Reference µ-law compression of one 16-bit sample (G.191 `ulaw_compress`).
const fn ulaw_compress(lin: i32) -> u8 {
    // Negative values use the ones' complement so that -1..-4 map next to zero,
    // which is what makes the code space symmetric.
    let magnitude = if lin < 0 { (!lin) >> 2 } else { lin >> 2 };
    let mut absno = magnitude + 33;
    if absno > 0x1FFF {
        absno = 0x1FFF;
    }
    let mut i = absno >> 6;
    let mut segno = 1;
    while i != 0 {
        segno += 1;
        i >>= 1;
    }
    let high = 8 - segno;
    let low = 0x0F - ((absno >> segno) & 0x0F);
    let mut out = (high << 4) | low;
    if lin >= 0 {
        out |= 0x80;
    }
    out as u8
}

/// Reference µ-law expansion (G.191 `ulaw_expand`).
const fn ulaw_expand(code: u8) -> i16 {
    let positive = code >= 0x80;
    let inv = !code;
    let exponent = ((inv >> 4) & 0x07) as i32;
    let mantissa = (inv & 0x0F) as i32;
    let step = 4 << (exponent + 1);
    let magnitude = (0x80 << exponent) + step * mantissa + step / 2 - 4 * 33;
    if positive {
        magnitude as i16
    } else {
        -magnitude as i16
    }
}

/// Reference A-law compression of one 16-bit sample (G.191 `alaw_compress`).
const fn alaw_compress(lin: i32) -> u8 {
    let mut ix = if lin < 0 { (!lin) >> 4 } else { lin >> 4 };
    if ix > 15 {
        let mut iexp = 1;
        while ix > 16 + 15 {
            ix >>= 1;
            iexp += 1;
        }
        ix -= 16;
        ix += iexp << 4;
    }
    if lin >= 0 {
        ix |= 0x80;
    }
    // Even bits are inverted on the wire (G.711 Table 1/2 note).
    (ix ^ 0x55) as u8
}

/// Reference A-law expansion (G.191 `alaw_expand`).
const fn alaw_expand(code: u8) -> i16 {
    let ix = ((code ^ 0x55) & 0x7F) as i32;
    let exponent = ix >> 4;
    let mut mantissa = ix & 0x0F;
    if exponent > 0 {
        mantissa += 16;
    }
    mantissa = (mantissa << 4) + 8;
    if exponent > 1 {
        mantissa <<= exponent - 1;
    }
    if code > 127 {
        mantissa as i16
    } else {
        -mantissa as i16
    }
}

const fn build_ulaw_decode() -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = ulaw_expand(i as u8);
        i += 1;
    }
    t
}

const fn build_alaw_decode() -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = alaw_expand(i as u8);
        i += 1;
    }
    t
}

/// Indexed by `(sample >> 2) + 8192`.
const fn build_ulaw_encode() -> [u8; 16384] {
    let mut t = [0u8; 16384];
    let mut i = 0;
    while i < 16384 {
        t[i] = ulaw_compress((i as i32 - 8192) << 2);
        i += 1;
    }
    t
}

/// Indexed by `(sample >> 4) + 2048`.
const fn build_alaw_encode() -> [u8; 4096] {
    let mut t = [0u8; 4096];
    let mut i = 0;
    while i < 4096 {
        t[i] = alaw_compress((i as i32 - 2048) << 4);
        i += 1;
    }
    t
}

static ULAW_DECODE: [i16; 256] = build_ulaw_decode();
static ALAW_DECODE: [i16; 256] = build_alaw_decode();
static ULAW_ENCODE: [u8; 16384] = build_ulaw_encode();
static ALAW_ENCODE: [u8; 4096] = build_alaw_encode();

/// Encodes one 16-bit linear sample to µ-law.
#[inline]
pub fn ulaw_encode(s: i16) -> u8 {
    ULAW_ENCODE[((s as i32 >> 2) + 8192) as usize]
}

/// Decodes one µ-law byte to a 16-bit linear sample.
#[inline]
pub fn ulaw_decode(b: u8) -> i16 {
    ULAW_DECODE[b as usize]
}

/// Encodes one 16-bit linear sample to A-law.
#[inline]
pub fn alaw_encode(s: i16) -> u8 {
    ALAW_ENCODE[((s as i32 >> 4) + 2048) as usize]
}

/// Decodes one A-law byte to a 16-bit linear sample.
#[inline]
pub fn alaw_decode(b: u8) -> i16 {
    ALAW_DECODE[b as usize]
}

/// Appends the G.711 encoding of `pcm` (one byte per sample) to `out`.
pub fn encode_frame(codec: G711, pcm: &[i16], out: &mut Vec<u8>) {
    out.reserve(pcm.len());
    match codec {
        G711::Ulaw => out.extend(pcm.iter().map(|&s| ulaw_encode(s))),
        G711::Alaw => out.extend(pcm.iter().map(|&s| alaw_encode(s))),
    }
}

/// The in-place conversion of a payload from the law `from` to the law `to` (through
/// linear samples), or `None` when they are the same: the transcoder of a bridge between
/// a µ-law leg and an A-law leg.
pub fn converter(from: G711, to: G711) -> Option<fn(&mut [u8])> {
    match (from, to) {
        (G711::Ulaw, G711::Alaw) => Some(ulaw_to_alaw),
        (G711::Alaw, G711::Ulaw) => Some(alaw_to_ulaw),
        _ => None,
    }
}

fn ulaw_to_alaw(payload: &mut [u8]) {
    for b in payload {
        *b = alaw_encode(ulaw_decode(*b));
    }
}

fn alaw_to_ulaw(payload: &mut [u8]) {
    for b in payload {
        *b = ulaw_encode(alaw_decode(*b));
    }
}

/// Appends the linear samples of a G.711 payload to `out`.
pub fn decode_frame(codec: G711, payload: &[u8], out: &mut Vec<i16>) {
    out.reserve(payload.len());
    match codec {
        G711::Ulaw => out.extend(payload.iter().map(|&b| ulaw_decode(b))),
        G711::Alaw => out.extend(payload.iter().map(|&b| alaw_decode(b))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulaw_reference_values() {
        // Values from the G.711 µ-law segment table scaled to 16 bits.
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(ulaw_decode(0x7F), 0);
        assert_eq!(ulaw_decode(0x80), 32124);
        assert_eq!(ulaw_decode(0x00), -32124);
        assert_eq!(ulaw_decode(0xFE), 8);
        assert_eq!(ulaw_decode(0xEF), 132);
        assert_eq!(ulaw_decode(0x9F), 8316);
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(ulaw_encode(-1), 0x7F);
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        assert_eq!(ulaw_encode(1000), 0xCE);
        assert_eq!(ulaw_encode(-1000), 0x4E);
    }

    #[test]
    fn alaw_reference_values() {
        assert_eq!(alaw_decode(0xD5), 8);
        assert_eq!(alaw_decode(0x55), -8);
        assert_eq!(alaw_decode(0xAA), 32256);
        assert_eq!(alaw_decode(0x2A), -32256);
        assert_eq!(alaw_decode(0xC5), 264);
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(alaw_encode(-1), 0x55);
        assert_eq!(alaw_encode(i16::MAX), 0xAA);
        assert_eq!(alaw_encode(i16::MIN), 0x2A);
        assert_eq!(alaw_encode(1000), 0xFA);
        assert_eq!(alaw_encode(-1000), 0x7A);
    }

    #[test]
    fn every_ulaw_code_round_trips() {
        for b in 0..=255u8 {
            let expected = if b == 0x7F { 0xFF } else { b }; // "negative zero"
            assert_eq!(ulaw_encode(ulaw_decode(b)), expected, "code {b:#04x}");
        }
    }

    #[test]
    fn every_alaw_code_round_trips() {
        for b in 0..=255u8 {
            assert_eq!(alaw_encode(alaw_decode(b)), b, "code {b:#04x}");
        }
    }

    #[test]
    fn tables_match_the_reference_algorithm_for_every_sample() {
        for s in i16::MIN..=i16::MAX {
            assert_eq!(ulaw_encode(s), ulaw_compress(s as i32), "µ-law {s}");
            assert_eq!(alaw_encode(s), alaw_compress(s as i32), "A-law {s}");
        }
    }

    #[test]
    fn quantisation_error_is_bounded_by_the_segment_step() {
        for s in (i16::MIN..=i16::MAX).step_by(7) {
            let u = ulaw_decode(ulaw_encode(s)) as i32;
            let a = alaw_decode(alaw_encode(s)) as i32;
            let s = s as i32;
            // The widest quantisation step of either law is 1024, in the top segment.
            assert!((u - s).abs() <= 1024, "µ {s} -> {u}");
            assert!((a - s).abs() <= 1024, "A {s} -> {a}");
        }
    }

    #[test]
    fn encode_frame_appends_one_byte_per_sample() {
        let mut out = vec![0x42];
        encode_frame(G711::Alaw, &[0, -1, 1000], &mut out);
        assert_eq!(out, vec![0x42, 0xD5, 0x55, 0xFA]);
        let mut back = Vec::new();
        decode_frame(G711::Ulaw, &[0xFF, 0x80], &mut back);
        assert_eq!(back, vec![0, 32124]);
    }

    #[test]
    fn law_conversion_keeps_the_signal() {
        assert!(converter(G711::Ulaw, G711::Ulaw).is_none());
        let pcm: Vec<i16> = (0..160)
            .map(|i| ((i as f64 * 0.3).sin() * 8000.0) as i16)
            .collect();
        let mut payload = Vec::new();
        encode_frame(G711::Ulaw, &pcm, &mut payload);
        converter(G711::Ulaw, G711::Alaw).unwrap()(&mut payload);
        let mut back = Vec::new();
        decode_frame(G711::Alaw, &payload, &mut back);
        for (a, b) in pcm.iter().zip(&back) {
            // Two quantisations: within a few percent of the sample (plus a floor).
            assert!((a - b).abs() <= a.abs() / 16 + 16, "{a} became {b}");
        }
        converter(G711::Alaw, G711::Ulaw).unwrap()(&mut payload);
        let mut again = Vec::new();
        decode_frame(G711::Ulaw, &payload, &mut again);
        assert!(pcm
            .iter()
            .zip(&again)
            .all(|(a, b)| (a - b).abs() <= a.abs() / 8 + 32));
    }
}
