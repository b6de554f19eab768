//! RFC 4568 SDES in offer/answer: RTP/SAVP with `a=crypto`, under each SRTP policy.

use std::net::IpAddr;

use switchyard_rtp::{
    accept_answer, answer, offer, Codec, Crypto, Error, LocalMedia, MasterKey, SessionDescription,
    SrtpKeys, SrtpPolicy, SrtpTransform,
};

const THEIR_KEY: &str = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";

/// In the style of baresip with `mediaenc=srtp-mand`: two suites, the 80-bit one second.
fn baresip_savp() -> String {
    format!(
        "v=0\r\n\
o=- 1794289563 3225313133 IN IP4 127.0.0.1\r\n\
s=-\r\n\
c=IN IP4 127.0.0.1\r\n\
t=0 0\r\n\
m=audio 10228 RTP/SAVP 0 8 101\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\n\
a=sendrecv\r\n\
a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:{THEIR_KEY}\r\n\
a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:{THEIR_KEY}|2^31\r\n"
    )
}

const PLAIN: &str = "v=0\r\n\
o=- 1 1 IN IP4 127.0.0.1\r\n\
s=-\r\n\
c=IN IP4 127.0.0.1\r\n\
t=0 0\r\n\
m=audio 6000 RTP/AVP 0 101\r\n\
a=rtpmap:101 telephone-event/8000\r\n";

fn local(srtp: SrtpPolicy) -> LocalMedia {
    LocalMedia {
        address: IpAddr::from([127, 0, 0, 1]),
        port: 30000,
        session_id: 4242,
        session_version: 1,
        codecs: vec![Codec::Pcmu, Codec::Pcma],
        srtp,
    }
}

fn parse(s: &str) -> SessionDescription {
    SessionDescription::parse(s).expect("valid SDP")
}

const OURS: MasterKey = MasterKey([0x42; 30]);

#[test]
fn a_savp_offer_is_answered_savp_with_the_accepted_tag_and_our_own_key() {
    let n = answer(&parse(&baresip_savp()), &local(SrtpPolicy::Required(OURS))).unwrap();
    let m = &n.answer.media[0];
    assert_eq!(m.proto, "RTP/SAVP");
    let cryptos: Vec<Crypto> = Crypto::all_of(m).collect();
    // RFC 4568 §7.1.2: exactly one crypto attribute, with the tag of the one accepted.
    assert_eq!(cryptos, [Crypto { tag: 2, key: OURS }]);
    let keys = n.srtp.expect("an SRTP stream");
    assert_eq!(keys.local, OURS);
    assert_eq!(
        keys.remote,
        Crypto::parse(&format!("2 AES_CM_128_HMAC_SHA1_80 inline:{THEIR_KEY}"))
            .unwrap()
            .key
    );
    // Printed and parsed again, the answer still carries the line.
    let text = n.answer.to_string();
    assert!(text.contains("m=audio 30000 RTP/SAVP 0 101\r\n"), "{text}");
    assert!(
        text.contains("a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:"),
        "{text}"
    );
}

#[test]
fn a_plain_offer_where_srtp_is_required_is_refused_with_488() {
    let err = answer(&parse(PLAIN), &local(SrtpPolicy::Required(OURS))).unwrap_err();
    assert_eq!(err, Error::SrtpRequired);
    assert_eq!(err.sip_status(), Some(488));
}

#[test]
fn optional_takes_either_and_off_takes_only_plain() {
    let plain = answer(&parse(PLAIN), &local(SrtpPolicy::Optional(OURS))).unwrap();
    assert_eq!(plain.srtp, None);
    assert_eq!(plain.answer.media[0].proto, "RTP/AVP");
    assert!(plain.answer.media[0].attribute("crypto").is_none());
    let secure = answer(&parse(&baresip_savp()), &local(SrtpPolicy::Optional(OURS))).unwrap();
    assert!(secure.srtp.is_some());
    assert_eq!(
        answer(&parse(&baresip_savp()), &local(SrtpPolicy::Off)).unwrap_err(),
        Error::NoCommonCodec
    );
}

#[test]
fn a_savp_offer_without_a_usable_suite_is_refused() {
    let only_32 = baresip_savp().replace(
        "a=crypto:2 AES_CM_128_HMAC_SHA1_80",
        "a=crypto:2 F8_128_HMAC_SHA1_80",
    );
    assert_eq!(
        answer(&parse(&only_32), &local(SrtpPolicy::Required(OURS))).unwrap_err(),
        Error::NoCommonCodec
    );
}

#[test]
fn our_required_offer_and_its_answer_key_both_directions() {
    let ours = offer(&local(SrtpPolicy::Required(OURS)), 101);
    let m = &ours.media[0];
    assert_eq!(m.proto, "RTP/SAVP");
    assert_eq!(
        Crypto::all_of(m).collect::<Vec<_>>(),
        [Crypto { tag: 1, key: OURS }]
    );
    // Optional offers plain RTP.
    let plain = offer(&local(SrtpPolicy::Optional(OURS)), 101);
    assert_eq!(plain.media[0].proto, "RTP/AVP");
    assert!(plain.media[0].attribute("crypto").is_none());

    // A peer running the same negotiation answers; each side's keys mirror the other's.
    let theirs_key = MasterKey([0x17; 30]);
    let theirs = answer(&ours, &local(SrtpPolicy::Required(theirs_key))).unwrap();
    let n = accept_answer(&ours, &theirs.answer).unwrap();
    assert_eq!(
        n.srtp,
        Some(SrtpKeys {
            local: OURS,
            remote: theirs_key
        })
    );
    assert_eq!(
        theirs.srtp,
        Some(SrtpKeys {
            local: theirs_key,
            remote: OURS
        })
    );
    // And the keys work: what one protects the other unprotects.
    let mut a = SrtpTransform::new(n.srtp.unwrap()).unwrap();
    let mut b = SrtpTransform::new(theirs.srtp.unwrap()).unwrap();
    let mut packet = vec![0x80, 0, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4];
    packet.extend_from_slice(&[0xff; 160]);
    assert_eq!(
        b.unprotect_rtp(&a.protect_rtp(&packet).unwrap()).unwrap(),
        packet
    );

    // An answer that drops to plain RTP, or names a tag we never offered, is unusable.
    let mut downgraded = theirs.answer.clone();
    downgraded.media[0].proto = "RTP/AVP".into();
    assert_eq!(
        accept_answer(&ours, &downgraded).unwrap_err(),
        Error::NoCommonCodec
    );
    let mut wrong_tag = theirs.answer.clone();
    let other = Crypto {
        tag: 9,
        key: theirs_key,
    }
    .attribute();
    wrong_tag.media[0].attributes.retain(|a| a.name != "crypto");
    wrong_tag.media[0].attributes.push(other);
    assert_eq!(
        accept_answer(&ours, &wrong_tag).unwrap_err(),
        Error::NoCommonCodec
    );
}
