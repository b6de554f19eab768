//! The `a=fmtp` parameters of Opus (RFC 7587 §6.1): what a peer asks of the stream it
//! receives, and what we ask of the one we receive.

/// The peer's Opus parameters, read from its `a=fmtp`. Each describes what the peer's
/// decoder wants (RFC 7587 §6.1: the parameters "are declarative and ... describe the
/// properties of the receiver"), except the `sprop-` ones, which describe what it sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusFmtp {
    /// `useinbandfec=1`: "the decoder has the capability to take advantage of the Opus
    /// in-band FEC", so we send it.
    pub use_inband_fec: bool,
    /// `maxaveragebitrate`: "the maximum average receive bitrate of a session in bits
    /// per second"; 6000 to 510000.
    pub max_average_bitrate: Option<u32>,
    /// `stereo=1`: the receiver prefers stereo. We may still send mono.
    pub stereo: bool,
    /// `sprop-stereo=1`: the sender is likely to send stereo; a mono decoder downmixes.
    pub sprop_stereo: bool,
    /// `maxplaybackrate`: the highest rate the receiver renders; encoding above it
    /// wastes bits.
    pub max_playback_rate: Option<u32>,
    /// `usedtx=1`: the receiver prefers discontinuous transmission.
    pub use_dtx: bool,
}

impl Default for OpusFmtp {
    /// RFC 7587 §6.1's defaults: no FEC, no bitrate cap, mono, 48 kHz, no DTX.
    fn default() -> Self {
        OpusFmtp {
            use_inband_fec: false,
            max_average_bitrate: None,
            stereo: false,
            sprop_stereo: false,
            max_playback_rate: None,
            use_dtx: false,
        }
    }
}

/// RFC 7587 §6.1: "maxaveragebitrate ... MUST be in the range 6000 to 510000".
const BITRATE_RANGE: std::ops::RangeInclusive<u32> = 6000..=510_000;

/// What we write for Opus: we decode mono at 16 kHz (wideband speech), so the peer
/// need not spend bits above it, and we take in-band FEC.
pub const OUR_OPUS_FMTP: &str =
    "maxplaybackrate=16000;sprop-maxcapturerate=16000;stereo=0;sprop-stereo=0;useinbandfec=1";

impl OpusFmtp {
    /// Reads `key=value` pairs separated by `;` (whitespace tolerated). Unknown keys
    /// and malformed values are ignored: RFC 7587 §6.1 leaves every parameter optional,
    /// so a bad one reads as absent.
    pub fn parse(fmtp: Option<&str>) -> OpusFmtp {
        let mut p = OpusFmtp::default();
        let pairs = fmtp
            .unwrap_or("")
            .split(';')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim()));
        for (key, value) in pairs {
            let flag = value == "1";
            let number = value.parse::<u32>().ok();
            match key.as_str() {
                "useinbandfec" => p.use_inband_fec = flag,
                "stereo" => p.stereo = flag,
                "sprop-stereo" => p.sprop_stereo = flag,
                "usedtx" => p.use_dtx = flag,
                "maxaveragebitrate" => {
                    p.max_average_bitrate = number.filter(|n| BITRATE_RANGE.contains(n))
                }
                "maxplaybackrate" => p.max_playback_rate = number.filter(|&n| n >= 8000),
                _ => {}
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_parameters_and_ignores_what_it_cannot_use() {
        let p = OpusFmtp::parse(Some(
            "useinbandfec=1; maxaveragebitrate=24000;stereo=1;sprop-stereo=1;maxplaybackrate=16000;x-foo=3",
        ));
        assert_eq!(
            p,
            OpusFmtp {
                use_inband_fec: true,
                max_average_bitrate: Some(24000),
                stereo: true,
                sprop_stereo: true,
                max_playback_rate: Some(16000),
                use_dtx: false,
            }
        );
        assert_eq!(OpusFmtp::parse(None), OpusFmtp::default());
        // Out of range and malformed values read as absent.
        let p = OpusFmtp::parse(Some("maxaveragebitrate=1000000;useinbandfec=yes"));
        assert_eq!(p.max_average_bitrate, None);
        assert!(!p.use_inband_fec);
        assert_eq!(
            OpusFmtp::parse(Some(OUR_OPUS_FMTP)).max_playback_rate,
            Some(16000)
        );
    }
}
