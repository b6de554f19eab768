//! Two `RtpSession`s bridged (the caller's leg and the callee's), two simulated phones
//! sending 50 packets a second, and a seeded network that loses about 5 % and reorders,
//! all in virtual time with no socket: each phone hears the other's payloads unchanged,
//! in its leg's one stream, the losses as sequence gaps and nothing else lost; keys
//! cross the bridge and each leg reports its phone's as digits.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use switchyard_rtp::{
    parse_rtp, DtmfDetector, PayloadTypes, RtpEvent, RtpParams, RtpSender, RtpSession, Ssrc,
};

const MS: Duration = Duration::from_millis(1);
const CALLER: PayloadTypes = PayloadTypes {
    audio: 0,
    event: Some(101),
};
const UNIX_AT_START: Duration = Duration::from_secs(1_700_000_000);

const fn at(host: u8, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, host)), port)
}

/// The caller's and the callee's phones, and the node's two legs.
const PHONE_A: SocketAddr = at(1, 4000);
const PHONE_B: SocketAddr = at(2, 5000);
const LEG_A: SocketAddr = at(10, 20_000);
const LEG_B: SocketAddr = at(10, 20_002);
/// The callee's leg negotiated another telephone-event payload type.
const CALLEE: PayloadTypes = PayloadTypes {
    audio: 0,
    event: Some(96),
};
const LOSS: f64 = 0.05;
const BASE_DELAY: Duration = Duration::from_millis(10);
/// Up to 40 ms on top: packets 20 ms apart overtake each other.
const JITTER_MS: u64 = 40;
const BRIDGE_AT_MS: u64 = 1000;
/// The network behaves until then, so both relays start at a packet in order.
const CLEAN_UNTIL_MS: u64 = BRIDGE_AT_MS + 100;
const PHONES_STOP_MS: u64 = 9000;
const END_MS: u64 = 9500;
/// What the legs play before the bridge.
const ANNOUNCEMENT: u8 = 0xee;

struct Datagram {
    src: SocketAddr,
    dst: SocketAddr,
    bytes: Vec<u8>,
}

/// Loses about 5 % and delays by 10 to 50 ms, with a seeded PRNG.
struct Network {
    rng: StdRng,
    in_flight: BTreeMap<(Instant, u64), Datagram>,
    count: u64,
    lost: Vec<Datagram>,
}

impl Network {
    fn send(&mut self, now: Instant, clean: bool, d: Datagram) {
        if !clean && self.rng.random_bool(LOSS) {
            self.lost.push(d);
            return;
        }
        let jitter = if clean {
            0
        } else {
            self.rng.random_range(0..=JITTER_MS)
        };
        self.count += 1;
        let at = now + BASE_DELAY + MS * jitter as u32;
        self.in_flight.insert((at, self.count), d);
    }

    fn due(&mut self, now: Instant) -> Option<Datagram> {
        let (&key, _) = self.in_flight.first_key_value()?;
        (key.0 <= now).then(|| self.in_flight.remove(&key).unwrap())
    }

    /// The sequence numbers of the RTP packets lost from `src` to `dst`.
    fn lost(&self, src: SocketAddr, dst: SocketAddr) -> Vec<u16> {
        self.lost
            .iter()
            .filter(|d| d.src == src && d.dst == dst)
            .map(|d| parse_rtp(&d.bytes).unwrap().header.sequence)
            .collect()
    }
}

/// A phone sending 50 packets a second (a counter in each payload) and keys.
struct Phone {
    addr: SocketAddr,
    leg: SocketAddr,
    sender: RtpSender,
    event_pt: u8,
    keys: Vec<(u64, char)>,
    sent: Vec<Vec<u8>>,
    heard: Vec<Vec<u8>>,
}

impl Phone {
    fn new(addr: SocketAddr, leg: SocketAddr, ssrc: u32, seq: u16, event_pt: u8) -> Self {
        Phone {
            addr,
            leg,
            sender: RtpSender::with_initial(Ssrc(ssrc), 0, 8000, seq, ssrc.wrapping_mul(77)),
            event_pt,
            keys: Vec::new(),
            sent: Vec::new(),
            heard: Vec::new(),
        }
    }

    fn tick(&mut self, ms: u64) -> Vec<u8> {
        if self.keys.first().is_some_and(|&(at, _)| at <= ms) {
            let (_, key) = self.keys.remove(0);
            self.sender.start_dtmf(self.event_pt, key, 120).unwrap();
        }
        let mut payload = vec![0x55; 160];
        payload[..8].copy_from_slice(&ms.to_be_bytes());
        let mut bytes = Vec::new();
        self.sender.audio(&payload, 160, &mut bytes);
        self.sent.push(bytes.clone());
        bytes
    }

    /// The keys heard in what arrived (RFC 4733 on payload type `pt`).
    fn keys_heard(&self, pt: u8) -> String {
        let mut detector = DtmfDetector::new();
        let mut keys: String = self
            .heard
            .iter()
            .map(|b| parse_rtp(b).unwrap())
            .filter(|p| p.header.payload_type == pt)
            .filter_map(|p| detector.push(&p.header, p.payload))
            .collect();
        keys.extend(std::iter::from_fn(|| detector.flush()));
        keys
    }
}

struct Leg {
    addr: SocketAddr,
    session: RtpSession,
    digits: String,
    /// The RTP packets it sent, before the network.
    sent: Vec<Vec<u8>>,
}

fn announcement(out: &mut Vec<u8>) {
    out.extend_from_slice(&[ANNOUNCEMENT; 160]);
}

/// Moves everything the legs produced at `now`: their packets onto the network, the
/// packets each received to the other leg.
fn pump(legs: &mut [Leg; 2], net: &mut Network, now: Instant, clean: bool) {
    let mut busy = true;
    while busy {
        busy = false;
        for i in 0..2 {
            while let Some(ev) = legs[i].session.poll_event() {
                busy = true;
                match ev {
                    RtpEvent::Digit(d) => legs[i].digits.push(d),
                    RtpEvent::ToPeer {
                        packet,
                        payload_types,
                    } => legs[1 - i]
                        .session
                        .relay_in(now, &packet, payload_types, None),
                    RtpEvent::Playout { .. } => unreachable!("playout is off"),
                }
            }
            while let Some(t) = legs[i].session.poll_transmit() {
                busy = true;
                if !t.rtcp {
                    legs[i].sent.push(t.contents.clone());
                }
                let src = legs[i].addr;
                net.send(
                    now,
                    clean,
                    Datagram {
                        src,
                        dst: t.destination,
                        bytes: t.contents,
                    },
                );
            }
        }
    }
}

/// What `from` sent reached `to` through the bridge and `to_leg`: every payload
/// unchanged, in `to_leg`'s one stream, the network's losses as gaps and nothing else.
fn assert_relayed(from: &Phone, to_leg: &Leg, to: &Phone, net: &Network, to_pts: PayloadTypes) {
    let ours = to_leg.session.ssrc();
    let sent: Vec<_> = to_leg.sent.iter().map(|b| parse_rtp(b).unwrap()).collect();
    assert!(
        sent.iter().all(|p| p.header.ssrc == ours),
        "one SSRC per leg"
    );
    let first = sent
        .iter()
        .position(|p| p.payload[0] != ANNOUNCEMENT)
        .expect("relayed packets");
    // Own audio, then the relayed packets continue the same sequence space (the relayed
    // ones in the order they arrived, with the gaps of the losses on the way in).
    for pair in sent[..=first].windows(2) {
        assert_eq!(
            pair[1].header.sequence,
            pair[0].header.sequence.wrapping_add(1)
        );
    }
    assert!(
        first > 0 && sent[first].header.marker,
        "the bridge is a new talkspurt"
    );
    let reordered = sent[first..]
        .windows(2)
        .any(|w| (w[1].header.sequence.wrapping_sub(w[0].header.sequence) as i16) < 0);
    assert!(reordered, "the network reordered some packets");
    // The phone's packet the relay started with: its payload is unique.
    let start = from
        .sent
        .iter()
        .position(|b| parse_rtp(b).unwrap().payload == sent[first].payload)
        .unwrap();
    let base = sent[first].header;
    let from_base = parse_rtp(&from.sent[start]).unwrap().header;
    let lost_in = net.lost(from.addr, from.leg);
    let lost_out = net.lost(to_leg.addr, to.addr);
    let mut expected = Vec::new();
    for (k, bytes) in from.sent[start..].iter().enumerate() {
        let out_seq = base.sequence.wrapping_add(k as u16);
        let seq = parse_rtp(bytes).unwrap().header.sequence;
        if !lost_in.contains(&seq) && !lost_out.contains(&out_seq) {
            expected.push(k);
        }
    }
    let mut heard = Vec::new();
    for bytes in &to.heard {
        let p = parse_rtp(bytes).unwrap();
        assert_eq!(p.header.ssrc, ours);
        if p.payload.first() == Some(&ANNOUNCEMENT) {
            continue;
        }
        let k = usize::from(p.header.sequence.wrapping_sub(base.sequence));
        let original = parse_rtp(&from.sent[start + k]).unwrap();
        assert_eq!(p.payload, original.payload, "payload unchanged");
        let event = original.header.payload_type == from.event_pt;
        let pt = if event {
            to_pts.event.unwrap()
        } else {
            to_pts.audio
        };
        assert_eq!(p.header.payload_type, pt);
        assert_eq!(
            p.header.timestamp.wrapping_sub(base.timestamp),
            original.header.timestamp.wrapping_sub(from_base.timestamp),
            "the phone's timing kept"
        );
        heard.push(k);
    }
    heard.sort_unstable();
    assert_eq!(
        heard, expected,
        "losses are gaps; nothing else lost, nothing twice"
    );
    assert!(!lost_in.is_empty() && !lost_out.is_empty());
}

#[test]
fn a_bridge_over_a_lossy_reordering_network_relays_every_payload_in_each_legs_stream() {
    let t0 = Instant::now();
    let mut net = Network {
        rng: StdRng::seed_from_u64(0x0b1d_6e5e),
        in_flight: Default::default(),
        count: 0,
        lost: Vec::new(),
    };
    let mut caller = Phone::new(PHONE_A, LEG_A, 0xa, 65_000, 101);
    let mut callee = Phone::new(PHONE_B, LEG_B, 0xb, 7, 96);
    caller.keys = vec![(3000, '1'), (6000, '#')];
    callee.keys = vec![(4500, '*')];
    let leg = |addr, remote, pts, ssrc, seq| Leg {
        addr,
        session: RtpSession::with_sender(
            RtpParams {
                remote: Some(remote),
                payload_types: pts,
                clock_rate: 8000,
                sending: true,
            },
            t0,
            UNIX_AT_START,
            RtpSender::with_initial(Ssrc(ssrc), 0, 8000, seq, 0),
        ),
        digits: String::new(),
        sent: Vec::new(),
    };
    let mut legs = [
        leg(LEG_A, PHONE_A, CALLER, 0xa1, 65_500),
        leg(LEG_B, PHONE_B, CALLEE, 0xb1, 300),
    ];
    for ms in 0..=END_MS {
        let now = t0 + MS * ms as u32;
        let clean = ms < CLEAN_UNTIL_MS;
        if ms == BRIDGE_AT_MS {
            legs.iter_mut().for_each(|l| l.session.bridge());
        }
        for phone in [&mut caller, &mut callee] {
            if ms % 20 == 5 && ms < PHONES_STOP_MS {
                let bytes = phone.tick(ms);
                net.send(
                    now,
                    clean,
                    Datagram {
                        src: phone.addr,
                        dst: phone.leg,
                        bytes,
                    },
                );
            }
        }
        while let Some(d) = net.due(now) {
            if let Some(l) = legs.iter_mut().find(|l| l.addr == d.dst) {
                l.session.receive_rtp(now, d.src, &d.bytes);
            } else if d.dst == PHONE_A {
                caller.heard.push(d.bytes);
            } else if d.dst == PHONE_B {
                callee.heard.push(d.bytes);
            }
        }
        for l in &mut legs {
            if l.session.poll_timeout().is_some_and(|t| t <= now) {
                l.session.handle_timeout(now, &mut announcement);
            }
        }
        pump(&mut legs, &mut net, now, clean);
    }
    assert_relayed(&caller, &legs[1], &callee, &net, CALLEE);
    assert_relayed(&callee, &legs[0], &caller, &net, CALLER);
    // Each leg reports the keys its phone pressed, and they cross the bridge as events.
    assert_eq!(legs[0].digits, "1#");
    assert_eq!(legs[1].digits, "*");
    assert_eq!(callee.keys_heard(96), "1#");
    assert_eq!(caller.keys_heard(101), "*");
}
