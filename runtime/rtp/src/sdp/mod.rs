//! SDP (RFC 4566) parse/print and the RFC 3264 offer/answer model for audio calls.

mod codec;
mod crypto;
mod media;
mod negotiate;
mod opus;
mod session;

pub use codec::{Codec, Direction, OPUS_PAYLOAD_TYPE};
pub use crypto::{Crypto, MasterKey, SrtpKeys, SrtpPolicy, AES_CM_128_HMAC_SHA1_80, AVP, SAVP};
pub use media::{MediaDescription, RtpMap};
pub use negotiate::{
    accept_answer, answer, offer, offer_with_direction, LocalMedia, Negotiated,
    TELEPHONE_EVENT_48K_PAYLOAD_TYPE,
};
pub use opus::{OpusFmtp, OUR_OPUS_FMTP};
pub use session::{Attribute, Connection, Origin, SessionDescription};
