//! SRTP and SRTCP (RFC 3711) with `AES_CM_128_HMAC_SHA1_80`: the transform that sits
//! between a leg's [`RtpSession`](crate::RtpSession) and its sockets. The session
//! keeps working on plain RTP; what it sends is protected here on the way out, and
//! what arrives is authenticated and decrypted here before the session sees it.
//!
//! The cryptography is webrtc-srtp's (RustCrypto AES-CTR and HMAC-SHA1); this file
//! only keys it from SDES and maps its errors.

use std::fmt;

use webrtc_srtp::context::Context;
use webrtc_srtp::option::{srtcp_replay_protection, srtp_replay_protection};
use webrtc_srtp::protection_profile::ProtectionProfile;

use crate::sdp::{MasterKey, SrtpKeys};
use crate::Error;

/// How many packets back a late one may be and still be accepted once (RFC 3711
/// §3.3.2: "the replay list SHOULD have a size of at least 64").
const REPLAY_WINDOW: usize = 128;

/// One SRTP stream pair: what we send, keyed by our SDES key, and what we receive,
/// keyed by the peer's.
pub struct SrtpTransform {
    keys: SrtpKeys,
    outbound: Context,
    inbound: Context,
}

impl fmt::Debug for SrtpTransform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrtpTransform").finish_non_exhaustive()
    }
}

fn context(key: &MasterKey, replay: bool) -> Result<Context, Error> {
    let (rtp, rtcp) = if replay {
        // RFC 3711 §3.3.2: "the receiver ... MUST discard the packet" it has seen.
        (
            Some(srtp_replay_protection(REPLAY_WINDOW)),
            Some(srtcp_replay_protection(REPLAY_WINDOW)),
        )
    } else {
        (None, None)
    };
    Context::new(
        key.key(),
        key.salt(),
        ProtectionProfile::Aes128CmHmacSha1_80,
        rtp,
        rtcp,
    )
    .map_err(|e| Error::Srtp(e.to_string()))
}

impl SrtpTransform {
    pub fn new(keys: SrtpKeys) -> Result<Self, Error> {
        Ok(Self {
            keys,
            outbound: context(&keys.local, false)?,
            inbound: context(&keys.remote, true)?,
        })
    }

    /// The keys this transform was made with (a re-offer with new keys needs a new one).
    pub fn keys(&self) -> SrtpKeys {
        self.keys
    }

    /// An RTP packet of ours, encrypted and with its 80-bit authentication tag.
    pub fn protect_rtp(&mut self, packet: &[u8]) -> Result<Vec<u8>, Error> {
        self.outbound
            .encrypt_rtp(packet)
            .map(|b| b.to_vec())
            .map_err(|e| Error::SrtpPacket(e.to_string()))
    }

    /// A received SRTP packet, authenticated and decrypted; an error for a forgery, a
    /// replay, or plain RTP.
    pub fn unprotect_rtp(&mut self, packet: &[u8]) -> Result<Vec<u8>, Error> {
        self.inbound
            .decrypt_rtp(packet)
            .map(|b| b.to_vec())
            .map_err(|e| Error::SrtpPacket(e.to_string()))
    }

    /// A compound RTCP packet of ours as SRTCP (RFC 3711 §3.4).
    pub fn protect_rtcp(&mut self, packet: &[u8]) -> Result<Vec<u8>, Error> {
        self.outbound
            .encrypt_rtcp(packet)
            .map(|b| b.to_vec())
            .map_err(|e| Error::SrtpPacket(e.to_string()))
    }

    /// A received SRTCP packet, authenticated and decrypted.
    pub fn unprotect_rtcp(&mut self, packet: &[u8]) -> Result<Vec<u8>, Error> {
        self.inbound
            .decrypt_rtcp(packet)
            .map(|b| b.to_vec())
            .map_err(|e| Error::SrtpPacket(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{write_receiver_report, write_rtp, ReceiverReport, RtpHeader, Ssrc};

    fn keys(a: u8, b: u8) -> SrtpKeys {
        SrtpKeys {
            local: MasterKey([a; 30]),
            remote: MasterKey([b; 30]),
        }
    }

    fn rtp(seq: u16, payload: &[u8]) -> Vec<u8> {
        let header = RtpHeader {
            marker: false,
            payload_type: 0,
            sequence: seq,
            timestamp: u32::from(seq) * 160,
            ssrc: Ssrc(0x1234_5678),
        };
        let mut out = Vec::new();
        write_rtp(&header, payload, &mut out);
        out
    }

    #[test]
    fn a_packet_goes_through_both_ends_and_its_payload_is_hidden_on_the_wire() {
        let mut alice = SrtpTransform::new(keys(1, 2)).unwrap();
        let mut bob = SrtpTransform::new(keys(2, 1)).unwrap();
        let plain = rtp(7, &[0x55; 160]);
        let wire = alice.protect_rtp(&plain).unwrap();
        // RFC 3711 §3.1: the header stays in the clear, the payload is encrypted and
        // the 10-byte tag follows.
        assert_eq!(wire.len(), plain.len() + 10);
        assert_eq!(wire[..12], plain[..12]);
        assert_ne!(wire[12..172], plain[12..]);
        assert_eq!(bob.unprotect_rtp(&wire).unwrap(), plain);
    }

    #[test]
    fn forgeries_replays_plain_rtp_and_the_wrong_key_are_refused() {
        let mut alice = SrtpTransform::new(keys(1, 2)).unwrap();
        let mut bob = SrtpTransform::new(keys(2, 1)).unwrap();
        let mut eve = SrtpTransform::new(keys(9, 9)).unwrap();
        let wire = alice.protect_rtp(&rtp(1, &[0x55; 160])).unwrap();
        let mut forged = wire.clone();
        forged[20] ^= 1;
        assert!(matches!(
            bob.unprotect_rtp(&forged),
            Err(Error::SrtpPacket(_))
        ));
        assert!(bob.unprotect_rtp(&rtp(2, &[0x55; 160])).is_err());
        assert!(eve.unprotect_rtp(&wire).is_err());
        assert!(bob.unprotect_rtp(&wire).is_ok());
        assert!(bob.unprotect_rtp(&wire).is_err(), "a replay is refused");
    }

    #[test]
    fn rtcp_goes_through_as_srtcp() {
        let mut alice = SrtpTransform::new(keys(3, 4)).unwrap();
        let mut bob = SrtpTransform::new(keys(4, 3)).unwrap();
        let mut rr = Vec::new();
        write_receiver_report(
            &ReceiverReport {
                ssrc: Ssrc(0x1234_5678),
                reports: Vec::new(),
            },
            "switchyard",
            &mut rr,
        );
        let wire = alice.protect_rtcp(&rr).unwrap();
        // RFC 3711 §3.4: E flag and SRTCP index (4 bytes) and the tag (10 bytes).
        assert_eq!(wire.len(), rr.len() + 14);
        assert_eq!(bob.unprotect_rtcp(&wire).unwrap(), rr);
    }
}
