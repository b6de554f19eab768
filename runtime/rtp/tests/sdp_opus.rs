//! Opus in offer/answer (RFC 7587 §7): the rtpmap, the fmtp both ways, the peer's
//! preference between Opus and G.711, and telephone-event at each codec's rate.

use std::net::IpAddr;

use switchyard_rtp::{
    accept_answer, answer, offer, Codec, Error, LocalMedia, OpusFmtp, SessionDescription,
    SrtpPolicy,
};

/// baresip 1.0 offering Opus first, with only an 8 kHz telephone-event.
const BARESIP: &str = "v=0\r\n\
o=- 2861847515 686936908 IN IP4 127.0.0.1\r\n\
s=-\r\n\
c=IN IP4 127.0.0.1\r\n\
t=0 0\r\n\
m=audio 42206 RTP/AVP 96 0 8 101\r\n\
a=rtpmap:96 opus/48000/2\r\n\
a=fmtp:96 stereo=1;sprop-stereo=1;useinbandfec=1;maxaveragebitrate=32000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\n\
a=sendrecv\r\n\
a=ptime:20\r\n";

/// A peer that prefers PCMU but also has Opus, with telephone-events at both rates.
const PCMU_FIRST: &str = "v=0\r\n\
o=- 1 1 IN IP4 10.0.0.7\r\n\
s=-\r\n\
c=IN IP4 10.0.0.7\r\n\
t=0 0\r\n\
m=audio 5004 RTP/AVP 0 109 101 102\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:109 opus/48000/2\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=rtpmap:102 telephone-event/48000\r\n";

fn node() -> LocalMedia {
    LocalMedia {
        address: IpAddr::from([127, 0, 0, 1]),
        port: 30000,
        session_id: 7,
        session_version: 1,
        codecs: Codec::ALL.to_vec(),
        srtp: SrtpPolicy::Off,
    }
}

fn parse(s: &str) -> SessionDescription {
    SessionDescription::parse(s).expect("valid SDP")
}

#[test]
fn an_opus_first_offer_gets_opus_with_its_numbering_and_the_peers_fmtp() {
    let n = answer(&parse(BARESIP), &node()).unwrap();
    assert_eq!((n.codec, n.payload_type), (Codec::Opus, 96));
    let fmtp = n.opus().expect("opus parameters");
    assert!(fmtp.use_inband_fec && fmtp.stereo && fmtp.sprop_stereo);
    assert_eq!(fmtp.max_average_bitrate, Some(32000));
    // No 48 kHz telephone-event offered: the 8 kHz one is used.
    assert_eq!(
        (n.telephone_event, n.telephone_event_rate),
        (Some(101), 8000)
    );

    let text = n.answer.to_string();
    assert!(text.contains("m=audio 30000 RTP/AVP 96 101\r\n"), "{text}");
    assert!(text.contains("a=rtpmap:96 opus/48000/2\r\n"), "{text}");
    // What we ask of the stream we receive: mono wideband with FEC.
    let ours = OpusFmtp::parse(parse(&text).media[0].fmtp(96));
    assert_eq!(ours.max_playback_rate, Some(16000));
    assert!(ours.use_inband_fec && !ours.stereo);
    assert!(
        text.contains("a=rtpmap:101 telephone-event/8000\r\n"),
        "{text}"
    );
}

#[test]
fn the_peers_preference_wins_and_telephone_event_follows_the_codecs_rate() {
    let n = answer(&parse(PCMU_FIRST), &node()).unwrap();
    assert_eq!((n.codec, n.payload_type), (Codec::Pcmu, 0));
    assert_eq!(
        (n.telephone_event, n.telephone_event_rate),
        (Some(101), 8000)
    );
    assert_eq!(n.opus(), None);

    // The same offer to a node whose favourite is Opus, with PCMU removed from what
    // it speaks: Opus, and the 48 kHz event beside it (RFC 4733 §2.1).
    let opus_only = LocalMedia {
        codecs: vec![Codec::Opus],
        ..node()
    };
    let n = answer(&parse(PCMU_FIRST), &opus_only).unwrap();
    assert_eq!((n.codec, n.payload_type), (Codec::Opus, 109));
    assert_eq!(
        (n.telephone_event, n.telephone_event_rate),
        (Some(102), 48000)
    );
    assert!(n
        .answer
        .to_string()
        .contains("a=rtpmap:102 telephone-event/48000\r\n"));
}

#[test]
fn an_offer_of_only_unsupported_codecs_is_a_488() {
    let g722 = "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
                m=audio 4000 RTP/AVP 9 98\r\na=rtpmap:9 G722/8000\r\na=rtpmap:98 opus/16000/2\r\n";
    let err = answer(&parse(g722), &node()).unwrap_err();
    assert_eq!(err, Error::NoCommonCodec);
    assert_eq!(err.sip_status(), Some(488));
}

#[test]
fn our_offer_lists_opus_first_with_events_at_both_rates_and_reads_an_opus_answer() {
    let ours = offer(&node(), 101);
    let text = ours.to_string();
    assert!(
        text.contains("m=audio 30000 RTP/AVP 111 0 8 101 110\r\n"),
        "{text}"
    );
    assert!(
        text.contains("a=rtpmap:111 opus/48000/2\r\na=fmtp:111 "),
        "{text}"
    );
    assert!(
        text.contains("a=rtpmap:110 telephone-event/48000\r\n"),
        "{text}"
    );

    // The peer answers with Opus (our own answer logic stands in for it).
    let peer = LocalMedia {
        address: IpAddr::from([10, 9, 8, 7]),
        port: 7000,
        ..node()
    };
    let theirs = answer(&ours, &peer).unwrap().answer;
    let n = accept_answer(&ours, &theirs).unwrap();
    assert_eq!((n.codec, n.payload_type), (Codec::Opus, 111));
    assert_eq!(
        (n.telephone_event, n.telephone_event_rate),
        (Some(110), 48000)
    );
    assert_eq!(n.opus().unwrap().max_playback_rate, Some(16000));

    // A G.711-only peer answers PCMU to the same offer.
    let g711 = LocalMedia {
        codecs: vec![Codec::Pcmu],
        ..peer
    };
    let theirs = answer(&ours, &g711).unwrap().answer;
    let n = accept_answer(&ours, &theirs).unwrap();
    assert_eq!((n.codec, n.telephone_event), (Codec::Pcmu, Some(101)));
}
