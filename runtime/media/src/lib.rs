//! Telephony media: G.711, decoders, resampling, text-to-speech, tones and the media cache
