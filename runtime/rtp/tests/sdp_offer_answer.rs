//! RFC 3264 offer/answer against offers written in the style of real user agents.

use std::net::{IpAddr, SocketAddr};

use switchyard_rtp::{
    accept_answer, answer, offer, Codec, Direction, Error, LocalMedia, SessionDescription,
    SrtpPolicy,
};

/// In the style of sipp's `uac_pcap` scenario.
const SIPP: &str = "v=0\r\n\
o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n\
s=-\r\n\
c=IN IP4 127.0.0.1\r\n\
t=0 0\r\n\
m=audio 6000 RTP/AVP 8 101\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-11,16\r\n";

/// In the style of pjsua 2.x: speex and G.722 first, two telephone-event clock rates,
/// media-level c=, a=rtcp, session-level b= and an extension attribute.
const PJSUA: &str = "v=0\r\n\
o=- 3918219911 3918219911 IN IP4 192.168.1.20\r\n\
s=pjmedia\r\n\
b=AS:84\r\n\
t=0 0\r\n\
a=X-nat:0\r\n\
m=audio 4000 RTP/AVP 96 9 8 0 120 101\r\n\
c=IN IP4 192.168.1.20\r\n\
b=TIAS:64000\r\n\
a=rtcp:4001 IN IP4 192.168.1.20\r\n\
a=sendrecv\r\n\
a=rtpmap:96 speex/16000\r\n\
a=rtpmap:9 G722/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:120 telephone-event/16000\r\n\
a=fmtp:120 0-16\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ssrc:1450243287 cname:4f1c0e3a2b6d\r\n";

/// In the style of baresip: opus first, PCMU before PCMA, ptime, a=rtcp port only.
const BARESIP: &str = "v=0\r\n\
o=- 1794289563 3225313133 IN IP4 10.0.0.5\r\n\
s=-\r\n\
c=IN IP4 10.0.0.5\r\n\
t=0 0\r\n\
m=audio 10228 RTP/AVP 96 0 8 101\r\n\
b=AS:96\r\n\
a=rtpmap:96 opus/48000/2\r\n\
a=fmtp:96 stereo=1;sprop-stereo=1\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\n\
a=rtcp:10229\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n\
a=label:1\r\n\
a=rtcp-rsize\r\n";

fn local() -> LocalMedia {
    LocalMedia {
        address: IpAddr::from([127, 0, 0, 1]),
        port: 30000,
        session_id: 4242,
        session_version: 1,
        codecs: vec![Codec::Pcmu, Codec::Pcma],
        srtp: SrtpPolicy::Off,
    }
}

fn parse(s: &str) -> SessionDescription {
    SessionDescription::parse(s).expect("valid SDP")
}

/// The answer as text, and parsed back to prove it is valid SDP.
fn answer_text(offer: &str, local: &LocalMedia) -> (switchyard_rtp::Negotiated, String) {
    let n = answer(&parse(offer), local).expect("acceptable offer");
    let text = n.answer.to_string();
    assert_eq!(parse(&text), n.answer, "the answer round-trips");
    (n, text)
}

#[test]
fn real_world_offers_round_trip_unchanged() {
    for sdp in [SIPP, PJSUA, BARESIP] {
        assert_eq!(parse(sdp).to_string(), sdp);
    }
}

#[test]
fn sipp_offer_gets_pcma_and_its_telephone_event() {
    let (n, text) = answer_text(SIPP, &local());
    assert_eq!(n.codec, Codec::Pcma);
    assert_eq!(n.payload_type, 8);
    assert_eq!(n.telephone_event, Some(101));
    assert_eq!(n.remote, Some(SocketAddr::from(([127, 0, 0, 1], 6000))));
    assert_eq!(n.direction, Direction::SendRecv);
    assert_eq!(n.ptime, 20);
    assert_eq!(
        text,
        "v=0\r\n\
o=switchyard 4242 1 IN IP4 127.0.0.1\r\n\
s=switchyard\r\n\
c=IN IP4 127.0.0.1\r\n\
t=0 0\r\n\
m=audio 30000 RTP/AVP 8 101\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-11,16\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n"
    );
}

#[test]
fn pjsua_offer_order_wins_over_ours_and_the_8k_telephone_event_is_chosen() {
    // We prefer PCMU, the offer lists PCMA first among what we support: PCMA.
    let (n, _) = answer_text(PJSUA, &local());
    assert_eq!((n.codec, n.payload_type), (Codec::Pcma, 8));
    assert_eq!(n.telephone_event, Some(101));
    assert_eq!(n.remote, Some(SocketAddr::from(([192, 168, 1, 20], 4000))));
    let m = &n.answer.media[0];
    assert_eq!(m.formats, ["8", "101"]);
    assert_eq!(m.fmtp(101), Some("0-16"));
}

#[test]
fn baresip_offer_skips_opus_and_takes_pcmu() {
    let (n, _) = answer_text(BARESIP, &local());
    assert_eq!((n.codec, n.payload_type), (Codec::Pcmu, 0));
    assert_eq!(n.telephone_event, Some(101));
    assert_eq!(n.answer.media[0].formats, ["0", "101"]);
    assert_eq!(n.answer.media[0].fmtp(101), Some("0-15"));
    // A node that only speaks A-law picks it even though it comes second.
    let alaw = LocalMedia {
        codecs: vec![Codec::Pcma],
        ..local()
    };
    let (n, _) = answer_text(BARESIP, &alaw);
    assert_eq!((n.codec, n.payload_type), (Codec::Pcma, 8));
}

#[test]
fn static_payload_types_without_rtpmap_and_no_telephone_event() {
    let offer = "v=0\r\no=- 1 1 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\nm=audio 5004 RTP/AVP 18 0\r\na=ptime:30\r\n";
    let (n, text) = answer_text(offer, &local());
    assert_eq!((n.codec, n.payload_type), (Codec::Pcmu, 0));
    assert_eq!(n.telephone_event, None);
    assert_eq!(n.ptime, 30);
    assert!(!text.contains("telephone-event"));
}

#[test]
fn answer_keeps_m_line_count_and_order_and_rejects_the_rest() {
    let offer = "v=0\r\n\
o=- 7 7 IN IP4 10.0.0.9\r\n\
s=-\r\n\
c=IN IP4 10.0.0.9\r\n\
t=0 0\r\n\
m=video 5006 RTP/AVP 96\r\n\
a=rtpmap:96 H264/90000\r\n\
m=audio 5000 RTP/AVP 96\r\n\
a=rtpmap:96 opus/48000/2\r\n\
m=audio 5002 RTP/SAVP 0\r\n\
m=audio 5004 RTP/AVP 0 8 101\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
m=audio 5008 RTP/AVP 8\r\n";
    let (n, _) = answer_text(offer, &local());
    let ports: Vec<u16> = n.answer.media.iter().map(|m| m.port).collect();
    assert_eq!(ports, [0, 0, 0, 30000, 0]);
    let kinds: Vec<&str> = n.answer.media.iter().map(|m| m.media.as_str()).collect();
    assert_eq!(kinds, ["video", "audio", "audio", "audio", "audio"]);
    assert_eq!(n.answer.media[2].proto, "RTP/SAVP");
    assert!(n.answer.media.iter().all(|m| !m.formats.is_empty()));
    assert_eq!(n.remote, Some(SocketAddr::from(([10, 0, 0, 9], 5004))));
    assert_eq!(n.codec, Codec::Pcmu);
}

#[test]
fn no_common_codec_is_a_488() {
    let offers = [
        // Only opus and G.722, to a node without Opus.
        "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 96 9\r\na=rtpmap:96 opus/48000/2\r\n",
        // PCMU but only over SRTP.
        "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0\r\n",
        // PCMU in a disabled stream.
        "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n",
        // Video only.
        "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=video 4000 RTP/AVP 0\r\n",
        // An rtpmap that binds payload type 0 to opus: the rtpmap wins.
        "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 opus/48000/2\r\n",
    ];
    for o in offers {
        let err = answer(&parse(o), &local()).unwrap_err();
        assert_eq!(err, Error::NoCommonCodec, "{o}");
        assert_eq!(err.sip_status(), Some(488));
    }
}

#[test]
fn hold_with_sendonly_and_unhold_keep_session_id_and_bump_version() {
    let mut me = local();
    let initial = answer(&parse(BARESIP), &me).unwrap();
    assert_eq!(initial.direction, Direction::SendRecv);

    // Re-offer: baresip puts us on hold with a=sendonly and a new version.
    me.session_version += 1;
    let held = BARESIP
        .replace("a=sendrecv", "a=sendonly")
        .replace("3225313133", "3225313134");
    let n = answer(&parse(&held), &me).unwrap();
    assert_eq!(n.direction, Direction::RecvOnly);
    assert_eq!(n.answer.media[0].direction(), Some(Direction::RecvOnly));
    assert_eq!(n.answer.origin.session_id, initial.answer.origin.session_id);
    assert_eq!(n.answer.origin.session_version, 2);

    // Unhold.
    me.session_version += 1;
    let n = answer(&parse(BARESIP), &me).unwrap();
    assert_eq!(n.direction, Direction::SendRecv);
    assert_eq!(n.answer.origin.session_id, 4242);
    assert_eq!(n.answer.origin.session_version, 3);
}

#[test]
fn rfc2543_hold_with_zero_address_means_do_not_send() {
    let held = SIPP.replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0");
    let n = answer(&parse(&held), &local()).unwrap();
    assert_eq!(n.remote, None);
    assert_eq!(n.direction, Direction::RecvOnly);
    // Media-level c= overrides a session-level zero address.
    let media_level = held.replace(
        "m=audio 6000 RTP/AVP 8 101\r\n",
        "m=audio 6000 RTP/AVP 8 101\r\nc=IN IP4 127.0.0.2\r\n",
    );
    let n = answer(&parse(&media_level), &local()).unwrap();
    assert_eq!(n.remote, Some(SocketAddr::from(([127, 0, 0, 2], 6000))));
    assert_eq!(n.direction, Direction::SendRecv);
}

#[test]
fn directions_mirror_the_offer() {
    for (offered, ours) in [
        ("sendonly", Direction::RecvOnly),
        ("recvonly", Direction::SendOnly),
        ("inactive", Direction::Inactive),
        ("sendrecv", Direction::SendRecv),
    ] {
        let o = format!("{SIPP}a={offered}\r\n");
        let n = answer(&parse(&o), &local()).unwrap();
        assert_eq!(n.direction, ours, "{offered}");
        assert_eq!(n.answer.media[0].direction(), Some(ours));
    }
    // A session-level attribute applies to media without its own.
    let o = SIPP.replace("t=0 0\r\n", "t=0 0\r\na=sendonly\r\n");
    assert_eq!(
        answer(&parse(&o), &local()).unwrap().direction,
        Direction::RecvOnly
    );
}

#[test]
fn our_offer_and_a_real_answer() {
    let me = local();
    let ours = offer(&me, 101);
    let text = ours.to_string();
    assert_eq!(
        text,
        "v=0\r\n\
o=switchyard 4242 1 IN IP4 127.0.0.1\r\n\
s=switchyard\r\n\
c=IN IP4 127.0.0.1\r\n\
t=0 0\r\n\
m=audio 30000 RTP/AVP 0 8 101\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n"
    );
    // A peer answering our offer with our own answer logic picks PCMU.
    let peer = LocalMedia {
        address: IpAddr::from([10, 9, 8, 7]),
        port: 7000,
        session_id: 1,
        session_version: 1,
        codecs: vec![Codec::Pcma, Codec::Pcmu],
        srtp: SrtpPolicy::Off,
    };
    let theirs = answer(&ours, &peer).unwrap().answer;
    let n = accept_answer(&ours, &theirs).unwrap();
    assert_eq!((n.codec, n.payload_type), (Codec::Pcmu, 0));
    assert_eq!(n.telephone_event, Some(101));
    assert_eq!(n.remote, Some(SocketAddr::from(([10, 9, 8, 7], 7000))));
    assert_eq!(n.direction, Direction::SendRecv);

    // An answer with a changed stream count is refused.
    let mut broken = theirs.clone();
    broken.media.push(broken.media[0].clone());
    assert_eq!(
        accept_answer(&ours, &broken),
        Err(Error::AnswerStreamCount {
            offered: 1,
            answered: 2
        })
    );
    // An answer picking a codec we never offered is refused.
    let g722 = theirs.to_string().replace("RTP/AVP 0 101", "RTP/AVP 9 101");
    assert_eq!(
        accept_answer(&ours, &parse(&g722)),
        Err(Error::NoCommonCodec)
    );
    // A recvonly answer means we only send.
    let recvonly = theirs.to_string().replace("a=sendrecv", "a=recvonly");
    let n = accept_answer(&ours, &parse(&recvonly)).unwrap();
    assert_eq!(n.direction, Direction::SendOnly);
}
