//! Writing PCM WAV files: the demo's tone and recordings, whole or as they happen.
//!
//! A recording is written while it is made: [`WavWriter`] appends samples and, at each
//! [`WavWriter::checkpoint`], rewrites the header's two sizes so that the file on disk
//! is a complete WAV of everything up to that moment. A process killed between two
//! checkpoints leaves a file whose header is short of the samples after the last one;
//! [`repair`] sets the sizes from the file's length.

use std::io::{self, Read, Seek, SeekFrom, Write};

/// The canonical header's length: `RIFF` chunk, 16-byte `fmt ` chunk, `data` header.
pub const HEADER_LEN: u64 = 44;

/// Offset of the RIFF chunk size (file length − 8).
const RIFF_SIZE_AT: u64 = 4;
/// Offset of the `data` chunk size.
const DATA_SIZE_AT: u64 = 40;

/// The 44-byte header of a 16-bit PCM WAV of `channels` interleaved channels at `rate`
/// Hz holding `data_len` bytes of samples.
pub fn header(rate: u32, channels: u16, data_len: u32) -> [u8; HEADER_LEN as usize] {
    let block_align = channels * 2;
    let mut h = [0u8; HEADER_LEN as usize];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&(36u32.saturating_add(data_len)).to_le_bytes());
    h[8..16].copy_from_slice(b"WAVEfmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes()); // PCM
    h[22..24].copy_from_slice(&channels.to_le_bytes());
    h[24..28].copy_from_slice(&rate.to_le_bytes());
    h[28..32].copy_from_slice(&(rate * u32::from(block_align)).to_le_bytes());
    h[32..34].copy_from_slice(&block_align.to_le_bytes());
    h[34..36].copy_from_slice(&16u16.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data_len.to_le_bytes());
    h
}

/// What a canonical header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavFormat {
    /// Samples per second.
    pub rate: u32,
    /// Interleaved channels.
    pub channels: u16,
    /// Bytes of samples the header accounts for.
    pub data_len: u32,
}

/// The format of a canonical 44-byte 16-bit PCM header (what [`header`] writes);
/// `None` when `h` is not one.
pub fn parse_header(h: &[u8; HEADER_LEN as usize]) -> Option<WavFormat> {
    let u16_at = |i: usize| u16::from_le_bytes([h[i], h[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
    let canonical = &h[0..4] == b"RIFF"
        && &h[8..16] == b"WAVEfmt "
        && &h[36..40] == b"data"
        && u16_at(20) == 1
        && u16_at(34) == 16;
    let format = WavFormat {
        rate: u32_at(24),
        channels: u16_at(22),
        data_len: u32_at(40),
    };
    (canonical && format.rate > 0 && format.channels > 0).then_some(format)
}

/// A canonical 44-byte-header WAV (RIFF/WAVE, PCM format 1) of 16-bit mono `samples`
/// at `rate` Hz.
pub fn wav_bytes(samples: &[i16], rate: u32) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(HEADER_LEN as usize + data_len as usize);
    out.extend_from_slice(&header(rate, 1, data_len));
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// A mono WAV of a canonical 16-bit PCM one: each frame's channels averaged (a
/// two-party recording's parties heard together). A mono WAV comes back as it was.
pub fn downmix(mut wav: impl Read) -> io::Result<Vec<u8>> {
    let not_canonical = || io::Error::new(io::ErrorKind::InvalidData, "not a canonical PCM WAV");
    let mut h = [0u8; HEADER_LEN as usize];
    wav.read_exact(&mut h).map_err(|_| not_canonical())?;
    let format = parse_header(&h).ok_or_else(not_canonical)?;
    let mut data = Vec::new();
    wav.take(u64::from(format.data_len))
        .read_to_end(&mut data)?;
    let channels = usize::from(format.channels);
    let mono: Vec<i16> = data
        .chunks_exact(channels * 2)
        .map(|frame| {
            let sum: i32 = frame
                .chunks_exact(2)
                .map(|b| i32::from(i16::from_le_bytes([b[0], b[1]])))
                .sum();
            (sum / channels as i32) as i16
        })
        .collect();
    Ok(wav_bytes(&mono, format.rate))
}

/// A WAV written as its samples arrive.
#[derive(Debug)]
pub struct WavWriter<W: Write + Seek> {
    out: W,
    rate: u32,
    channels: u16,
    /// Sample bytes written after the header.
    data_len: u64,
    /// Sample bytes the header on disk accounts for.
    committed: u64,
    buf: Vec<u8>,
}

impl<W: Write + Seek> WavWriter<W> {
    /// Start a WAV of `channels` interleaved channels at `rate` Hz in `out`.
    pub fn new(mut out: W, rate: u32, channels: u16) -> io::Result<Self> {
        out.seek(SeekFrom::Start(0))?;
        out.write_all(&header(rate, channels, 0))?;
        Ok(Self {
            out,
            rate,
            channels,
            data_len: 0,
            committed: 0,
            buf: Vec::new(),
        })
    }

    /// Append interleaved samples.
    pub fn write(&mut self, samples: &[i16]) -> io::Result<()> {
        self.buf.clear();
        self.buf
            .extend(samples.iter().flat_map(|s| s.to_le_bytes()));
        self.out.write_all(&self.buf)?;
        self.data_len += self.buf.len() as u64;
        Ok(())
    }

    /// The output.
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// Milliseconds of audio written.
    pub fn duration_ms(&self) -> u64 {
        let frame_bytes = u64::from(self.channels) * 2;
        self.data_len / frame_bytes * 1000 / u64::from(self.rate.max(1))
    }

    /// Make the file on disk a complete WAV of what was written so far.
    pub fn checkpoint(&mut self) -> io::Result<()> {
        if self.committed == self.data_len {
            return Ok(());
        }
        self.out.flush()?;
        write_sizes(&mut self.out, self.data_len)?;
        self.out.seek(SeekFrom::Start(HEADER_LEN + self.data_len))?;
        self.out.flush()?;
        self.committed = self.data_len;
        Ok(())
    }

    /// Drop everything after the first `ms` milliseconds (a recording's trailing
    /// silence): the writer goes on from there.
    pub fn truncate_to_ms(&mut self, ms: u64) -> io::Result<()> {
        let frame_bytes = u64::from(self.channels) * 2;
        let keep = (ms * u64::from(self.rate) / 1000 * frame_bytes).min(self.data_len);
        self.data_len = keep;
        self.committed = u64::MAX;
        self.out.seek(SeekFrom::Start(HEADER_LEN + keep))?;
        Ok(())
    }

    /// The final header; hands back the output (a file to truncate to its length).
    pub fn finish(mut self) -> io::Result<(W, u64)> {
        self.committed = u64::MAX;
        self.checkpoint()?;
        Ok((self.out, HEADER_LEN + self.data_len))
    }
}

fn write_sizes<W: Write + Seek>(out: &mut W, data_len: u64) -> io::Result<()> {
    let data = u32::try_from(data_len).unwrap_or(u32::MAX);
    out.seek(SeekFrom::Start(RIFF_SIZE_AT))?;
    out.write_all(&36u32.saturating_add(data).to_le_bytes())?;
    out.seek(SeekFrom::Start(DATA_SIZE_AT))?;
    out.write_all(&data.to_le_bytes())?;
    Ok(())
}

/// Why a file cannot be repaired as one of our WAVs.
#[derive(Debug, thiserror::Error)]
pub enum RepairError {
    /// Reading or writing it failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// It does not start with the canonical 44-byte PCM header.
    #[error("not a canonical PCM WAV header")]
    NotCanonical,
}

/// Set the sizes in the header of a WAV cut short (the writer's process died between
/// checkpoints) from the file's length, dropping a half-written sample frame.
/// Returns the milliseconds of audio the file holds.
pub fn repair<F: Read + Write + Seek>(file: &mut F) -> Result<u64, RepairError> {
    let mut h = [0u8; HEADER_LEN as usize];
    file.seek(SeekFrom::Start(0))?;
    file.read_exact(&mut h)
        .map_err(|_| RepairError::NotCanonical)?;
    let format = parse_header(&h).ok_or(RepairError::NotCanonical)?;
    let (channels, rate) = (u64::from(format.channels), u64::from(format.rate));
    let len = file.seek(SeekFrom::End(0))?;
    let frame_bytes = channels * 2;
    let data_len = (len - HEADER_LEN) / frame_bytes * frame_bytes;
    write_sizes(file, data_len)?;
    file.flush()?;
    Ok(data_len / frame_bytes * 1000 / rate)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    #[test]
    fn a_written_header_parses_back_and_others_do_not() {
        let h = header(16_000, 2, 640);
        assert_eq!(
            parse_header(&h),
            Some(WavFormat {
                rate: 16_000,
                channels: 2,
                data_len: 640
            })
        );
        let mut float = h;
        float[20] = 3; // IEEE float, not PCM
        assert_eq!(parse_header(&float), None);
        let mut no_rate = h;
        no_rate[24..28].copy_from_slice(&[0; 4]);
        assert_eq!(parse_header(&no_rate), None);
    }

    #[test]
    fn a_downmix_averages_each_frames_channels() {
        let stereo = [100i16, 300, -200, 0, i16::MAX, i16::MAX, 7, 8];
        let mut wav = header(16_000, 2, 16).to_vec();
        wav.extend(stereo.iter().flat_map(|s| s.to_le_bytes()));
        // A stray half frame after the data is not audio.
        wav.push(1);
        let mono = downmix(Cursor::new(wav)).unwrap();
        assert_eq!(mono, wav_bytes(&[200, -100, i16::MAX, 7], 16_000));
        let already = wav_bytes(&[1, 2, 3], 8000);
        assert_eq!(downmix(Cursor::new(already.clone())).unwrap(), already);
        assert!(downmix(Cursor::new(b"RIFF".to_vec())).is_err());
    }

    #[test]
    fn decodes_back_to_the_same_samples() {
        let samples = [0i16, 1, -1, i16::MAX, i16::MIN];
        let wav = wav_bytes(&samples, crate::MEDIA_RATE);
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(wav.len(), 44 + samples.len() * 2);
        assert_eq!(crate::decode_all(&wav, Some("audio/wav")).unwrap(), samples);
    }

    #[test]
    fn a_checkpointed_writer_is_a_whole_wav_and_finish_matches_wav_bytes() {
        let samples: Vec<i16> = (0..800).map(|i| (i * 37 % 2000) as i16 - 1000).collect();
        let mut w = WavWriter::new(Cursor::new(Vec::new()), 8000, 1).unwrap();
        w.write(&samples[..400]).unwrap();
        w.checkpoint().unwrap();
        // What is on disk now is a complete WAV of the first 400 samples.
        let snapshot = w.out.get_ref()[..44 + 800].to_vec();
        assert_eq!(snapshot, wav_bytes(&samples[..400], 8000));
        w.write(&samples[400..]).unwrap();
        assert_eq!(w.duration_ms(), 100);
        let (out, len) = w.finish().unwrap();
        assert_eq!(len, 44 + 1600);
        assert_eq!(out.into_inner(), wav_bytes(&samples, 8000));
    }

    #[test]
    fn truncating_drops_the_tail_and_the_writer_goes_on_from_there() {
        let mut w = WavWriter::new(Cursor::new(Vec::new()), 8000, 1).unwrap();
        w.write(&[1; 800]).unwrap();
        w.truncate_to_ms(50).unwrap();
        w.write(&[2; 8]).unwrap();
        let (out, len) = w.finish().unwrap();
        let mut bytes = out.into_inner();
        bytes.truncate(len as usize);
        let mut want = vec![1i16; 400];
        want.extend([2; 8]);
        assert_eq!(bytes, wav_bytes(&want, 8000));
    }

    #[test]
    fn repair_sets_the_sizes_of_a_file_cut_between_checkpoints() {
        let mut w = WavWriter::new(Cursor::new(Vec::new()), 8000, 2).unwrap();
        w.write(&[7; 1600]).unwrap();
        w.checkpoint().unwrap();
        w.write(&[9; 1600]).unwrap();
        // Killed here: the header says 1600 samples, the file holds 3200 and a stray byte.
        let mut bytes = w.out.into_inner();
        bytes.push(0xAB);
        let mut file = Cursor::new(bytes);
        assert_eq!(repair(&mut file).unwrap(), 200);
        let bytes = file.into_inner();
        assert_eq!(u32::from_le_bytes(bytes[40..44].try_into().unwrap()), 6400);
        assert_eq!(
            u32::from_le_bytes(bytes[4..8].try_into().unwrap()),
            36 + 6400
        );
    }

    #[test]
    fn repair_refuses_what_is_not_our_wav() {
        let mut file = Cursor::new(b"ID3\x03 an mp3 file, not a wav at all......".to_vec());
        assert!(matches!(repair(&mut file), Err(RepairError::NotCanonical)));
    }
}
