//! What a negotiation decided for a leg's media.

use std::net::SocketAddr;

use switchyard_rtp::{Codec, OpusFmtp, PayloadTypes, RtpParams, SrtpKeys};

use crate::codec::{OpusParams, Payload};

/// What the negotiation decided for the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegParams {
    /// The address the SDP names (None on hold with c=0.0.0.0).
    pub remote: Option<SocketAddr>,
    /// The audio codec.
    pub codec: Codec,
    /// The peer's Opus parameters, when the codec is Opus.
    pub opus: Option<OpusFmtp>,
    /// Its payload type.
    pub payload_type: u8,
    /// The telephone-event payload type, if negotiated.
    pub telephone_event: Option<u8>,
    /// Whether we send media (false before answer and while the caller holds us).
    pub sending: bool,
    /// The SRTP keys when the stream is SRTP (SDES on a TLS leg).
    pub srtp: Option<SrtpKeys>,
}

impl LegParams {
    /// What the RTP session needs of it.
    pub fn rtp(&self) -> RtpParams {
        RtpParams {
            remote: self.remote,
            payload_types: PayloadTypes {
                audio: self.payload_type,
                event: self.telephone_event,
            },
            clock_rate: self.codec.clock_rate(),
            sending: self.sending,
        }
    }

    /// What the leg's encoder and decoder speak.
    pub fn payload(&self) -> Payload {
        match self.codec {
            Codec::Pcmu => Payload::Pcmu,
            Codec::Pcma => Payload::Pcma,
            Codec::Opus => {
                let f = self.opus.unwrap_or_default();
                Payload::Opus(OpusParams {
                    fec: f.use_inband_fec,
                    max_average_bitrate: f.max_average_bitrate,
                    stereo: f.stereo,
                })
            }
        }
    }
}
