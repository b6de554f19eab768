//! RFC 3264 offer/answer for one audio stream of Opus or G.711 plus telephone-events.

use std::net::{IpAddr, SocketAddr};

use super::crypto::{Crypto, SrtpKeys, SrtpPolicy, AVP, SAVP};
use super::media::MediaDescription;
use super::opus::{OpusFmtp, OUR_OPUS_FMTP};
use super::session::{Attribute, Connection, Origin, SessionDescription};
use super::{Codec, Direction};
use crate::Error;

/// Packetisation we send and ask for when the peer does not say (RFC 3551 §4.5: the
/// default for G.711 is 20 ms).
const DEFAULT_PTIME: u32 = 20;
/// The events we accept and offer: DTMF 0-15 and flash (RFC 4733 §3.2).
const OFFERED_EVENTS: &str = "0-16";
/// The payload type of the 48 kHz telephone-event our offers carry beside Opus.
pub const TELEPHONE_EVENT_48K_PAYLOAD_TYPE: u8 = 110;

/// What we bring to a negotiation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMedia {
    /// Our media address, written in `o=` and `c=`.
    pub address: IpAddr,
    /// Our RTP port.
    pub port: u16,
    /// The `o=` session id, fixed for the dialog.
    pub session_id: u64,
    /// The `o=` version; the node increments it for every new SDP in the dialog.
    pub session_version: u64,
    /// Codecs we support, in our order of preference (used when we offer).
    pub codecs: Vec<Codec>,
    /// Whether the stream is SRTP, and our key if it may be.
    pub srtp: SrtpPolicy,
}

/// The outcome of a negotiation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The audio codec to send and expect.
    pub codec: Codec,
    /// Its payload type, as the offer numbered it.
    pub payload_type: u8,
    /// The peer's `a=fmtp` parameters for the codec (what it wants to receive).
    pub fmtp: Option<String>,
    /// The telephone-event payload type, as the offer numbered it, if both sides have it.
    pub telephone_event: Option<u8>,
    /// Its clock rate: the codec's when the peer has a telephone-event at that rate
    /// (RFC 4733 §2.1), else the 8000 Hz one most peers offer beside every codec.
    pub telephone_event_rate: u32,
    /// Where to send media; `None` when the peer gave `c=0.0.0.0` (do not send).
    pub remote: Option<SocketAddr>,
    /// Our direction for the stream.
    pub direction: Direction,
    /// Packetisation the peer wants to receive, in ms (`a=ptime`, 20 when absent).
    pub ptime: u32,
    /// The SRTP keys of both directions; `None` for plain RTP.
    pub srtp: Option<SrtpKeys>,
    /// The answer: the one we built ([`answer`]) or the one we received
    /// ([`accept_answer`]).
    pub answer: SessionDescription,
}

/// The codec behind payload type `pt` of a section: its rtpmap if it has one, else the
/// static assignment of RFC 3551.
fn codec_of(m: &MediaDescription, pt: u8) -> Option<Codec> {
    match m.rtpmap(pt) {
        Some(map) => Codec::from_rtpmap(&map.encoding, map.clock_rate, map.channels),
        None => Codec::from_static(pt),
    }
}

/// The telephone-event to use beside `codec` in a section, with its clock rate.
///
/// RFC 4733 §2.1: "the RTP clock rate ... SHOULD be the same as the audio codec", so the
/// one at the codec's rate comes first; a peer that lists only the 8000 Hz one beside
/// Opus (many do) still gets its digits.
fn telephone_event_of(m: &MediaDescription, codec: Codec) -> Option<(u8, u32)> {
    let events: Vec<(u8, u32)> = m
        .payload_types()
        .filter_map(|pt| {
            let map = m.rtpmap(pt)?;
            map.encoding
                .eq_ignore_ascii_case("telephone-event")
                .then_some((pt, map.clock_rate))
        })
        .collect();
    let at = |rate: u32| events.iter().copied().find(|&(_, r)| r == rate);
    at(codec.clock_rate()).or_else(|| at(8000))
}

/// The `a=fmtp` we write for a codec of ours.
fn our_fmtp(codec: Codec) -> Option<&'static str> {
    (codec == Codec::Opus).then_some(OUR_OPUS_FMTP)
}

/// Whether an offered audio stream that is not disabled can be taken under `policy`:
/// `Some(None)` as plain RTP, `Some(Some(crypto))` as SRTP keyed by the offer's first
/// usable `a=crypto`.
fn usable_audio(m: &MediaDescription, policy: SrtpPolicy) -> Option<Option<Crypto>> {
    if m.media != "audio" || m.port == 0 {
        return None;
    }
    if m.proto.eq_ignore_ascii_case(AVP) {
        return (!matches!(policy, SrtpPolicy::Required(_))).then_some(None);
    }
    // RFC 4568 §7.1.2: the answerer "MUST select exactly one of the offered crypto
    // attributes"; a secure stream with none we can use is rejected.
    if m.proto.eq_ignore_ascii_case(SAVP) && policy.key().is_some() {
        return Crypto::first_of(m).map(Some);
    }
    None
}

/// The remote address of section `index`, `None` for `c=0.0.0.0` or an unusable `c=`.
fn remote_of(sdp: &SessionDescription, index: usize) -> Option<SocketAddr> {
    let conn = sdp.connection_for(index)?;
    // RFC 3264 §8.4: "An agent MUST be capable of receiving SDP with a connection
    // address of 0.0.0.0, in which case it means that neither RTP nor RTCP should be
    // sent to the peer."
    if conn.is_unspecified() {
        return None;
    }
    Some(SocketAddr::new(conn.ip()?, sdp.media[index].port))
}

fn skeleton(local: &LocalMedia) -> SessionDescription {
    let conn = Connection::from_ip(local.address);
    SessionDescription {
        origin: Origin {
            username: "switchyard".into(),
            session_id: local.session_id,
            session_version: local.session_version,
            net_type: conn.net_type.clone(),
            addr_type: conn.addr_type.clone(),
            address: conn.address.clone(),
        },
        session_name: "switchyard".into(),
        connection: Some(conn),
        timing: "0 0".into(),
        attributes: Vec::new(),
        other: Vec::new(),
        media: Vec::new(),
    }
}

/// A telephone-event format: payload type, clock rate, `a=fmtp` events.
type TelephoneEvent<'a> = (u8, u32, Option<&'a str>);

fn audio_section(
    port: u16,
    crypto: Option<&Crypto>,
    codecs: &[(Codec, u8)],
    telephone_events: &[TelephoneEvent<'_>],
    direction: Direction,
) -> MediaDescription {
    let mut formats: Vec<String> = codecs.iter().map(|(_, pt)| pt.to_string()).collect();
    let mut attributes = Vec::new();
    for &(c, pt) in codecs {
        attributes.push(Attribute::new("rtpmap", c.rtpmap(pt)));
        if let Some(params) = our_fmtp(c) {
            attributes.push(Attribute::new("fmtp", format!("{pt} {params}")));
        }
    }
    for &(pt, rate, fmtp) in telephone_events {
        formats.push(pt.to_string());
        attributes.push(Attribute::new(
            "rtpmap",
            format!("{pt} telephone-event/{rate}"),
        ));
        if let Some(params) = fmtp {
            attributes.push(Attribute::new("fmtp", format!("{pt} {params}")));
        }
    }
    attributes.push(Attribute::new("ptime", DEFAULT_PTIME.to_string()));
    attributes.push(Attribute::flag(direction.as_str()));
    attributes.extend(crypto.map(Crypto::attribute));
    MediaDescription {
        media: "audio".into(),
        port,
        port_count: None,
        proto: if crypto.is_some() { SAVP } else { AVP }.to_owned(),
        formats,
        connection: None,
        attributes,
        other: Vec::new(),
    }
}

/// Answers an offer (initial or re-offer): accepts the first usable audio stream that
/// has a codec in common, rejects every other stream.
pub fn answer(offer: &SessionDescription, local: &LocalMedia) -> Result<Negotiated, Error> {
    // RFC 3264 §6.1 (paraphrased): the offer lists formats in the offerer's order of
    // preference, so we take the first offered format we support, not our favourite.
    let chosen = offer.media.iter().enumerate().find_map(|(i, m)| {
        let crypto = usable_audio(m, local.srtp)?;
        m.payload_types().find_map(|pt| {
            codec_of(m, pt)
                .filter(|c| local.codecs.contains(c))
                .map(|c| (i, c, pt, crypto.clone()))
        })
    });
    // With no audio stream we can take, the node answers 488 Not Acceptable Here.
    let Some((index, codec, payload_type, crypto)) = chosen else {
        let plain_offered = offer
            .media
            .iter()
            .any(|m| m.media == "audio" && m.port != 0 && m.proto.eq_ignore_ascii_case(AVP));
        return Err(match local.srtp {
            SrtpPolicy::Required(_) if plain_offered => Error::SrtpRequired,
            _ => Error::NoCommonCodec,
        });
    };
    // RFC 4568 §7.1.2: the answer's crypto attribute keeps the tag of the offered one
    // it accepts and carries the answerer's own key.
    let ours = crypto
        .as_ref()
        .zip(local.srtp.key())
        .map(|(c, key)| Crypto { tag: c.tag, key });
    let offered = &offer.media[index];
    let telephone_event = telephone_event_of(offered, codec);
    let remote = remote_of(offer, index);

    // RFC 3264 §6.1: "If a stream is offered as sendonly, the corresponding stream MUST
    // be marked as recvonly or inactive in the answer. If a media stream is listed as
    // recvonly in the offer, the answer MUST be marked as sendonly or inactive in the
    // answer." An inactive offer is answered inactive, a sendrecv one sendrecv.
    let mut direction = offer.direction_for(index).mirror();
    if remote.is_none() {
        // Nowhere to send (c=0.0.0.0, the RFC 2543 hold): we can at most receive.
        direction = Direction::from_flags(false, direction.receives());
    }

    let mut sdp = skeleton(local);
    // RFC 3264 §6: "The answer MUST contain exactly the same number of "m=" lines as
    // the offer. This allows for streams to be matched up based on their order."
    for (i, m) in offer.media.iter().enumerate() {
        if i == index {
            // RFC 3264 §6.1: "if a particular codec was referenced with a specific
            // payload type number in the offer, that same payload type number SHOULD be
            // used for that codec in the answer." The same holds for telephone-event.
            let te: Vec<TelephoneEvent<'_>> = telephone_event
                .map(|(pt, rate)| (pt, rate, offered.fmtp(pt)))
                .into_iter()
                .collect();
            sdp.media.push(audio_section(
                local.port,
                ours.as_ref(),
                &[(codec, payload_type)],
                &te,
                direction,
            ));
        } else {
            // RFC 3264 §6: "To reject an offered stream, the port number in the
            // corresponding stream in the answer MUST be set to zero. Any media formats
            // listed are ignored. At least one MUST be present, as specified by SDP."
            sdp.media.push(MediaDescription {
                media: m.media.clone(),
                port: 0,
                port_count: None,
                proto: m.proto.clone(),
                formats: m.formats.iter().take(1).cloned().collect(),
                connection: None,
                attributes: Vec::new(),
                other: Vec::new(),
            });
        }
    }
    Ok(Negotiated {
        codec,
        payload_type,
        fmtp: offered.fmtp(payload_type).map(str::to_owned),
        telephone_event: telephone_event.map(|(pt, _)| pt),
        telephone_event_rate: telephone_event.map_or(8000, |(_, rate)| rate),
        remote,
        direction,
        ptime: offered.ptime().unwrap_or(DEFAULT_PTIME),
        srtp: crypto.zip(ours).map(|(theirs, ours)| SrtpKeys {
            local: ours.key,
            remote: theirs.key,
        }),
        answer: sdp,
    })
}

/// Builds an offer of one sendrecv audio stream with our codecs (in our order of
/// preference) and telephone-event at `telephone_event_pt` (8000 Hz), plus one at
/// 48000 Hz ([`TELEPHONE_EVENT_48K_PAYLOAD_TYPE`]) when Opus is offered.
pub fn offer(local: &LocalMedia, telephone_event_pt: u8) -> SessionDescription {
    offer_with_direction(local, telephone_event_pt, Direction::SendRecv)
}

/// Like [`offer`] with a chosen direction: RFC 3264 §8.4, "If the stream to be placed
/// on hold was previously a sendrecv media stream, it is placed on hold by marking it
/// as sendonly."
pub fn offer_with_direction(
    local: &LocalMedia,
    telephone_event_pt: u8,
    direction: Direction,
) -> SessionDescription {
    let codecs: Vec<(Codec, u8)> = local
        .codecs
        .iter()
        .map(|&c| (c, c.offer_payload_type()))
        .collect();
    let mut events = vec![(telephone_event_pt, 8000, Some(OFFERED_EVENTS))];
    if local.codecs.contains(&Codec::Opus) {
        events.push((
            TELEPHONE_EVENT_48K_PAYLOAD_TYPE,
            48000,
            Some(OFFERED_EVENTS),
        ));
    }
    // RFC 4568 §7.1.1 offers SRTP as RTP/SAVP with its a=crypto; a leg where SRTP is
    // only optional offers plain RTP, which every peer takes.
    let crypto = match local.srtp {
        SrtpPolicy::Required(key) => Some(Crypto { tag: 1, key }),
        SrtpPolicy::Off | SrtpPolicy::Optional(_) => None,
    };
    let mut sdp = skeleton(local);
    sdp.media.push(audio_section(
        local.port,
        crypto.as_ref(),
        &codecs,
        &events,
        direction,
    ));
    sdp
}

impl Negotiated {
    /// The peer's Opus parameters, when the codec is Opus.
    pub fn opus(&self) -> Option<OpusFmtp> {
        (self.codec == Codec::Opus).then(|| OpusFmtp::parse(self.fmtp.as_deref()))
    }
}

/// Reads the answer to an offer we made with [`offer`].
pub fn accept_answer(
    our_offer: &SessionDescription,
    answer: &SessionDescription,
) -> Result<Negotiated, Error> {
    // RFC 3264 §6: "For each "m=" line in the offer, there MUST be a corresponding
    // "m=" line in the answer."
    if answer.media.len() != our_offer.media.len() {
        return Err(Error::AnswerStreamCount {
            offered: our_offer.media.len(),
            answered: answer.media.len(),
        });
    }
    let chosen = answer.media.iter().enumerate().find_map(|(i, m)| {
        let offered = &our_offer.media[i];
        let srtp = answered_srtp(offered, m)?;
        m.payload_types().find_map(|pt| {
            let codec = codec_of(m, pt)?;
            // The answerer may only pick among the formats we offered.
            offered
                .payload_types()
                .any(|o| codec_of(offered, o) == Some(codec))
                .then_some((i, codec, pt, srtp))
        })
    });
    let (index, codec, payload_type, srtp) = chosen.ok_or(Error::NoCommonCodec)?;
    let answered = &answer.media[index];
    let ours = our_offer.direction_for(index);
    let theirs = answer.direction_for(index).mirror();
    let remote = remote_of(answer, index);
    let direction = Direction::from_flags(
        ours.sends() && theirs.sends() && remote.is_some(),
        ours.receives() && theirs.receives(),
    );
    let offered = &our_offer.media[index];
    // The answer's telephone-event must be one we offered, at the same rate.
    let telephone_event = telephone_event_of(answered, codec).filter(|&(_, rate)| {
        offered.payload_types().any(|pt| {
            offered.rtpmap(pt).is_some_and(|m| {
                m.encoding.eq_ignore_ascii_case("telephone-event") && m.clock_rate == rate
            })
        })
    });
    Ok(Negotiated {
        codec,
        payload_type,
        fmtp: answered.fmtp(payload_type).map(str::to_owned),
        telephone_event: telephone_event.map(|(pt, _)| pt),
        telephone_event_rate: telephone_event.map_or(8000, |(_, rate)| rate),
        remote,
        direction,
        ptime: answered.ptime().unwrap_or(DEFAULT_PTIME),
        srtp,
        answer: answer.clone(),
    })
}

/// Whether an answered audio stream can be used with what we offered in it: plain for
/// plain, and for RTP/SAVP the keys of the crypto attribute the answer accepted (RFC
/// 4568 §7.1.3: the offerer matches the answer's tag with its own attribute).
fn answered_srtp(offered: &MediaDescription, m: &MediaDescription) -> Option<Option<SrtpKeys>> {
    if m.media != "audio" || m.port == 0 || !m.proto.eq_ignore_ascii_case(&offered.proto) {
        return None;
    }
    if m.proto.eq_ignore_ascii_case(AVP) {
        return Some(None);
    }
    let theirs = Crypto::first_of(m)?;
    let ours = Crypto::all_of(offered).find(|c| c.tag == theirs.tag)?;
    Some(Some(SrtpKeys {
        local: ours.key,
        remote: theirs.key,
    }))
}
