//! Symmetric RTP latching: send media back to where the peer's media comes from.
//!
//! RFC 4961 §3: "A device supports symmetric RTP if it selects, communicates, and uses
//! IP addresses and port numbers such that, when receiving a packet with source IP
//! address A and source port B on IP address C and port D, it sends packets with
//! source IP address C and source port D to destination IP address A and destination
//! port B." Phones behind NAT advertise private addresses in SDP, so SBCs latch onto
//! the observed source instead; this type decides when that source may change.

use std::net::SocketAddr;

/// Consecutive valid packets from a new source needed to move the latch.
pub const DEFAULT_RELATCH_THRESHOLD: u32 = 3;

/// The remote media address, learnt from SDP and then from received packets.
#[derive(Debug, Clone)]
pub struct Latch {
    remote: Option<SocketAddr>,
    latched: bool,
    threshold: u32,
    candidate: Option<(SocketAddr, u32)>,
}

impl Latch {
    /// A latch that sends to the SDP address (if any) until the first valid packet.
    pub fn new(sdp_remote: Option<SocketAddr>) -> Self {
        Self::with_threshold(sdp_remote, DEFAULT_RELATCH_THRESHOLD)
    }

    /// Like [`Latch::new`] with a chosen re-latch threshold (at least 1).
    pub fn with_threshold(sdp_remote: Option<SocketAddr>, threshold: u32) -> Self {
        Latch {
            remote: sdp_remote,
            latched: false,
            threshold: threshold.max(1),
            candidate: None,
        }
    }

    /// Where to send media now.
    pub fn remote(&self) -> Option<SocketAddr> {
        self.remote
    }

    /// Whether the remote address was learnt from a packet.
    pub fn is_latched(&self) -> bool {
        self.latched
    }

    /// A new SDP (re-INVITE) names a new address: start over from it.
    pub fn reset(&mut self, sdp_remote: Option<SocketAddr>) {
        *self = Self::with_threshold(sdp_remote, self.threshold);
    }

    /// Judges a packet from `src`; `valid` says whether it parsed as RTP of the
    /// negotiated stream. Returns whether to accept it.
    pub fn on_packet(&mut self, src: SocketAddr, valid: bool) -> bool {
        if !valid {
            // An invalid packet never moves the latch, and breaks a newcomer's run.
            if self.candidate.is_some_and(|(c, _)| c == src) {
                self.candidate = None;
            }
            return false;
        }
        if !self.latched {
            self.remote = Some(src);
            self.latched = true;
            return true;
        }
        if self.remote == Some(src) {
            // The current peer is still talking: a newcomer's run is not consecutive.
            self.candidate = None;
            return true;
        }
        let count = match self.candidate {
            Some((c, n)) if c == src => n + 1,
            _ => 1,
        };
        if count >= self.threshold {
            self.remote = Some(src);
            self.candidate = None;
            true
        } else {
            self.candidate = Some((src, count));
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn latches_to_the_first_valid_packet() {
        let mut l = Latch::new(Some(addr(4000)));
        assert_eq!(l.remote(), Some(addr(4000)));
        assert!(!l.on_packet(addr(5000), false));
        assert!(!l.is_latched());
        assert!(l.on_packet(addr(5002), true));
        assert_eq!(l.remote(), Some(addr(5002)));
        assert!(l.is_latched());
    }

    #[test]
    fn a_stray_packet_cannot_hijack_and_interleaving_resets_the_run() {
        let mut l = Latch::new(None);
        assert!(l.on_packet(addr(1), true));
        assert!(!l.on_packet(addr(666), true));
        assert!(!l.on_packet(addr(666), true));
        assert!(l.on_packet(addr(1), true));
        assert!(!l.on_packet(addr(666), true));
        assert!(!l.on_packet(addr(666), true));
        assert!(!l.on_packet(addr(666), false));
        assert!(!l.on_packet(addr(666), true));
        assert_eq!(l.remote(), Some(addr(1)));
    }

    #[test]
    fn relatches_after_three_consecutive_packets() {
        let mut l = Latch::new(None);
        l.on_packet(addr(1), true);
        assert!(!l.on_packet(addr(2), true));
        assert!(!l.on_packet(addr(2), true));
        assert!(l.on_packet(addr(2), true));
        assert_eq!(l.remote(), Some(addr(2)));
        assert!(!l.on_packet(addr(1), true));
        l.reset(Some(addr(9)));
        assert_eq!(l.remote(), Some(addr(9)));
        assert!(l.on_packet(addr(1), true));
    }
}
