//! RTP/RTCP sessions, jitter buffer, RFC 4733 DTMF and SDP offer/answer, sans-IO.
//!
//! Nothing in this crate owns a socket or reads the clock: the node hands in received
//! datagrams and the current [`std::time::Instant`], and gets back datagrams to send,
//! events (digits pressed, packets for a bridged leg) and when to call again (the 20 ms
//! pacing tick). That keeps every protocol rule testable in milliseconds with a virtual
//! clock and a simulated network.
//!
//! Map of the crate:
//! - [`packet`]: RTP header parse/print and RTP/RTCP demultiplexing (RFC 3550, RFC 5761);
//! - [`sender`]: the outgoing stream (sequence numbers, timestamps, talkspurts, DTMF);
//! - [`dtmf`]: RFC 4733 telephone-event payloads and the receiving digit detector;
//! - [`jitter`]: fixed-depth playout buffer;
//! - [`stats`] and [`rtcp`]: RFC 3550 reception statistics and RTCP reports;
//! - [`latch`]: symmetric-RTP latching of the remote address;
//! - [`relay`]: the passthrough half of a two-leg bridge (received packets rewritten
//!   into our own stream);
//! - [`session`]: one leg's RTP session putting these together (latching, pacing,
//!   digits, RTCP schedule, bridging), driven by the node with datagrams and time;
//! - [`srtp`]: the SRTP/SRTCP transform (RFC 3711) applied beside a session's datagrams;
//! - [`sdp`]: RFC 4566 session descriptions, RFC 3264 offer/answer and RFC 4568 SDES.

pub mod dtmf;
mod error;
mod ids;
pub mod jitter;
pub mod latch;
pub mod packet;
pub mod relay;
pub mod rtcp;
pub mod sdp;
pub mod sender;
pub mod session;
pub mod srtp;
pub mod stats;

pub use dtmf::{digit_to_event, event_to_digit, DtmfDetector, DtmfPayload};
pub use error::Error;
pub use ids::{SeqExtender, SeqNo, Ssrc};
pub use jitter::{Frame, JitterBuffer, JitterStats, Pushed};
pub use latch::Latch;
pub use packet::{is_rtcp, parse_rtp, write_rtp, RtpHeader, RtpPacket};
pub use relay::{Discard, Forwarded, PayloadTypes, Relay};
pub use rtcp::{
    ntp_timestamp, parse_rtcp, write_bye, write_receiver_report, write_sender_report,
    ReceiverReport, ReportBlock, RtcpPacket, SdesChunk, SenderReport,
};
pub use sdp::{
    accept_answer, answer, offer, offer_with_direction, Attribute, Codec, Connection, Crypto,
    Direction, LocalMedia, MasterKey, MediaDescription, Negotiated, OpusFmtp, Origin, RtpMap,
    SessionDescription, SrtpKeys, SrtpPolicy, OPUS_PAYLOAD_TYPE, OUR_OPUS_FMTP,
    TELEPHONE_EVENT_48K_PAYLOAD_TYPE,
};
pub use sender::{RtpSender, SenderStats};
pub use session::{FrameSource, RtpEvent, RtpParams, RtpSession, Transmit};
pub use srtp::SrtpTransform;
pub use stats::{rtp_units, ReceiveStats};
