//! The session's RTCP schedule: a sender or receiver report every five seconds.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::{Outgoing, Transmit};
use crate::{
    ntp_timestamp, write_receiver_report, write_sender_report, ReceiveStats, ReceiverReport,
    SenderReport, SenderStats,
};

/// RFC 3550 §6.2: the recommended minimum interval between RTCP reports.
const RTCP_INTERVAL: Duration = Duration::from_secs(5);
/// Our SDES CNAME.
const CNAME: &str = "switchyard";

#[derive(Debug)]
pub(super) struct Reports {
    next: Instant,
    /// A time on the caller's clock and the wall-clock time then, since the Unix epoch:
    /// the NTP timestamps of our sender reports count from them.
    epoch: Instant,
    unix_at_epoch: Duration,
    /// What the streams before the current one sent (our own audio and the relayed
    /// packets take turns in one stream; an SR counts "since starting transmission").
    carried: SenderStats,
    /// Packets sent when the last report went out, and when the one before it did.
    sent_at_last: u32,
    sent_at_previous: u32,
}

impl Reports {
    pub(super) fn new(now: Instant, unix_time: Duration) -> Self {
        Reports {
            next: now + RTCP_INTERVAL,
            epoch: now,
            unix_at_epoch: unix_time,
            carried: SenderStats::default(),
            sent_at_last: 0,
            sent_at_previous: 0,
        }
    }

    /// The stream that sent `stats` is being replaced: keep its counts.
    pub(super) fn carry(&mut self, stats: SenderStats) {
        self.carried = SenderStats {
            packets: self.carried.packets.wrapping_add(stats.packets),
            octets: self.carried.octets.wrapping_add(stats.octets),
            last_timestamp: stats.last_timestamp.or(self.carried.last_timestamp),
        };
    }

    /// The report due at `now`, if one is, for the far end at RTP address `remote`.
    pub(super) fn poll(
        &mut self,
        now: Instant,
        remote: SocketAddr,
        outgoing: &Outgoing,
        received: &mut ReceiveStats,
    ) -> Option<Transmit> {
        if now < self.next {
            return None;
        }
        self.next = now + RTCP_INTERVAL;
        let (stats, rtp_timestamp, ssrc) = match outgoing {
            Outgoing::Own(s) => (s.stats(), s.timestamp(), s.ssrc()),
            Outgoing::Relay(r) => (r.stats(), r.timestamp_at(now), r.ssrc()),
        };
        // RFC 3550 §6.4.1: both counts wrap around modulo 2^32.
        let packets = self.carried.packets.wrapping_add(stats.packets);
        let octets = self.carried.octets.wrapping_add(stats.octets);
        // RFC 3550 §6.4: "The SR is issued if a site has sent any data packets during the
        // interval since issuing the last report or the previous one, otherwise the RR
        // is issued." A participant that has not sent data since then (on hold, before
        // answer) sends receiver reports (§6.4.2).
        let sender = packets != self.sent_at_previous;
        self.sent_at_previous = std::mem::replace(&mut self.sent_at_last, packets);
        let reports = received.report_block(now).into_iter().collect();
        let mut contents = Vec::with_capacity(96);
        if sender {
            let since_epoch = self.unix_at_epoch + now.saturating_duration_since(self.epoch);
            let sr = SenderReport {
                ssrc,
                ntp_timestamp: ntp_timestamp(since_epoch),
                rtp_timestamp,
                packet_count: packets,
                octet_count: octets,
                reports,
            };
            write_sender_report(&sr, CNAME, &mut contents);
        } else {
            let rr = ReceiverReport { ssrc, reports };
            write_receiver_report(&rr, CNAME, &mut contents);
        }
        Some(Transmit {
            destination: rtcp_peer(remote),
            rtcp: true,
            contents,
        })
    }
}

/// RFC 3550 §11: RTCP goes to the next higher (odd) port when SDP names no other.
fn rtcp_peer(rtp: SocketAddr) -> SocketAddr {
    SocketAddr::new(rtp.ip(), rtp.port().wrapping_add(1))
}
