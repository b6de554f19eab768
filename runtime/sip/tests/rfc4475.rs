//! RFC 4475 torture messages: every file through the parser and through an
//! Endpoint, checked against `rfc4475_outcomes.tsv`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use switchyard_sip::{parse_message, Endpoint, EndpointConfig, Event, Message, Method, Transport};

fn data_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/rfc4475"
    ))
}

fn read(file: &str) -> Vec<u8> {
    std::fs::read(data_dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Parse,
    Status(u16),
    Drop,
}

fn table() -> Vec<(String, Outcome)> {
    let text = include_str!("rfc4475_outcomes.tsv");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (file, outcome) = l.split_once('\t').expect("two columns");
            let outcome = match outcome.trim() {
                "parse" => Outcome::Parse,
                "drop" => Outcome::Drop,
                s => Outcome::Status(
                    s.strip_prefix("status ")
                        .and_then(|n| n.parse().ok())
                        .unwrap_or_else(|| panic!("bad outcome {s}")),
                ),
            };
            (file.to_string(), outcome)
        })
        .collect()
}

/// RFC 4475 §3.1.2: invalid messages the parser itself must reject.
const MUST_NOT_PARSE: &[&str] = &[
    "badinv01",
    "clerr",
    "ncl",
    "scalar02",
    "scalarlg",
    "quotbal",
    "ltgtruri",
    "lwsruri",
    "lwsstart",
    "trws",
    "escruri",
    "baddate",
    "regbadct",
    "badaspec",
    "baddn",
    "badvers",
    "mismatch01",
    "mismatch02",
    "bigcode",
];

#[test]
fn table_covers_every_file_once() {
    let rows = table();
    assert_eq!(rows.len(), 49);
    let mut on_disk: Vec<String> = std::fs::read_dir(data_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".dat"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = rows.into_iter().map(|(f, _)| f).collect();
    listed.sort();
    assert_eq!(listed, on_disk);
}

#[test]
fn parser_accepts_valid_and_rejects_invalid() {
    for (file, outcome) in table() {
        let stem = file.trim_end_matches(".dat");
        let parsed = parse_message(&read(&file));
        if MUST_NOT_PARSE.contains(&stem) {
            assert!(parsed.is_err(), "{file} must not parse: {parsed:?}");
        } else if outcome == Outcome::Parse {
            assert!(parsed.is_ok(), "{file} must parse: {parsed:?}");
        }
    }
}

#[test]
fn parsed_values_match_the_rfc_explanations() {
    let Ok(Message::Request(wsinv)) = parse_message(&read("wsinv.dat")) else {
        panic!("wsinv")
    };
    assert_eq!(wsinv.to_hdr().unwrap().tag(), Some("1918181833n"));
    assert_eq!(
        wsinv.from_hdr().unwrap().display.as_deref(),
        Some("J Rosenberg \\\"")
    );
    assert_eq!(wsinv.from_hdr().unwrap().tag(), Some("98asjd8"));
    assert_eq!(wsinv.max_forwards(), Some(Ok(68)));
    assert_eq!(wsinv.cseq().unwrap().seq, 9);
    assert_eq!(wsinv.vias().unwrap().len(), 3);
    assert_eq!(wsinv.body.len(), 150);
    assert_eq!(
        wsinv.headers.get("NewFangledHeader"),
        Some("newfangled value continued newfangled value")
    );

    let Ok(Message::Request(dbl)) = parse_message(&read("dblreq.dat")) else {
        panic!("dblreq")
    };
    assert_eq!(dbl.method, Method::Register);
    assert!(dbl.body.is_empty());

    let Ok(Message::Request(esc)) = parse_message(&read("esc01.dat")) else {
        panic!("esc01")
    };
    let to = switchyard_sip::parse_uri(&esc.to_hdr().unwrap().uri).unwrap();
    assert_eq!(to.user.as_deref(), Some("user"));

    let Ok(Message::Request(esc2)) = parse_message(&read("esc02.dat")) else {
        panic!("esc02")
    };
    assert_eq!(esc2.method, Method::Other("RE%47IST%45R".into()));
    assert_eq!(esc2.headers.get_all("Contact").count(), 2);

    let Ok(Message::Request(semi)) = parse_message(&read("semiuri.dat")) else {
        panic!("semiuri")
    };
    let ruri = switchyard_sip::parse_uri(&semi.uri).unwrap();
    assert_eq!(ruri.user.as_deref(), Some("user;par=u@example.net"));
    assert_eq!(semi.headers.get_all("Accept").count(), 6);

    let Ok(Message::Request(tr)) = parse_message(&read("transports.dat")) else {
        panic!("transports")
    };
    let transports: Vec<String> = tr
        .vias()
        .unwrap()
        .into_iter()
        .map(|v| v.transport)
        .collect();
    assert_eq!(transports, ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);

    let Ok(Message::Response(noreason)) = parse_message(&read("noreason.dat")) else {
        panic!("noreason")
    };
    assert_eq!((noreason.status, noreason.reason.as_str()), (100, ""));

    let Ok(Message::Request(mpart)) = parse_message(&read("mpart01.dat")) else {
        panic!("mpart01")
    };
    assert_eq!(mpart.body.len(), 553);
}

fn run_endpoint(file: &str) -> (Vec<switchyard_sip::Transmit>, Vec<Event>) {
    let cfg = EndpointConfig::new("127.0.0.1:5060".parse().unwrap(), "switchyard-test");
    let mut ep = Endpoint::new(cfg);
    let source: SocketAddr = "192.0.2.200:5070".parse().unwrap();
    ep.handle_input(Instant::now(), Transport::Udp, source, &read(file));
    let transmits = std::iter::from_fn(|| ep.poll_transmit()).collect();
    let events = std::iter::from_fn(|| ep.poll_event()).collect();
    (transmits, events)
}

/// A response as sent: status code and text. Rejections echo the peer's
/// (possibly malformed) From/To, so they are read leniently.
struct Sent {
    status: u16,
    text: String,
}

fn sent(t: &switchyard_sip::Transmit) -> Sent {
    let text = String::from_utf8_lossy(&t.payload).into_owned();
    let status = text
        .strip_prefix("SIP/2.0 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not a response: {text}"));
    Sent { status, text }
}

#[test]
fn endpoint_gives_each_file_its_outcome() {
    for (file, outcome) in table() {
        let (transmits, events) = run_endpoint(&file);
        let responses: Vec<Sent> = transmits.iter().map(sent).collect();
        match outcome {
            Outcome::Drop => {
                assert!(
                    responses.is_empty(),
                    "{file}: expected nothing, sent {}",
                    responses[0].text
                );
                assert!(
                    events.is_empty(),
                    "{file}: expected no event, got {events:?}"
                );
            }
            Outcome::Status(code) => {
                let first = responses
                    .first()
                    .unwrap_or_else(|| panic!("{file}: expected {code}, nothing sent"));
                assert_eq!(first.status, code, "{file}: {}", first.text);
                assert_eq!(responses.len(), 1, "{file}: one response only");
                let extra = match code {
                    405 => Some("\r\nAllow: "),
                    415 => Some("\r\nAccept: "),
                    420 => Some("\r\nUnsupported: "),
                    _ => None,
                };
                if let Some(h) = extra {
                    assert!(first.text.contains(h), "{file}: {code} without {h}");
                }
                // Whatever parses of the response must be consistent: the
                // status line, one Content-Length, and a To tag on finals.
                assert_eq!(first.text.matches("Content-Length:").count(), 1, "{file}");
                if let Ok(Message::Response(r)) = parse_message(&transmits[0].payload) {
                    if let (true, Ok(to)) = (code >= 200, r.to_hdr()) {
                        assert!(to.tag().is_some(), "{file}: no To tag");
                    }
                }
            }
            Outcome::Parse => {
                for r in &responses {
                    assert!(
                        r.status != 400 && r.status != 505,
                        "{file}: valid message rejected: {}",
                        r.text
                    );
                }
            }
        }
    }
}

#[test]
fn rejections_name_the_fault() {
    let (transmits, _) = run_endpoint("mismatch01.dat");
    let Ok(Message::Response(r)) = parse_message(&transmits[0].payload) else {
        panic!()
    };
    assert!(r.reason.starts_with("Bad Request ("), "{}", r.reason);
    assert!(r.reason.contains("CSeq"), "{}", r.reason);
    assert_eq!(r.call_id(), Some("mismatch01.dj0234sxdfl3"));
    // The Via host differs from the source: received= is added and the
    // response goes to the source IP at the sent-by port (5060 default).
    assert_eq!(
        transmits[0].destination,
        "192.0.2.200:5060".parse().unwrap()
    );
    assert_eq!(r.vias().unwrap()[0].received(), Some("192.0.2.200"));
}

#[test]
fn accepted_invites_reach_the_tu() {
    for file in ["wsinv.dat", "esc01.dat", "longreq.dat", "inv2543.dat"] {
        let (transmits, events) = run_endpoint(file);
        let Ok(Message::Response(r)) = parse_message(&transmits[0].payload) else {
            panic!("{file}")
        };
        assert_eq!(r.status, 100, "{file}");
        assert!(
            matches!(events.as_slice(), [Event::Request { request, .. }] if request.method == Method::Invite),
            "{file}: {events:?}"
        );
    }
    // The unknown method of intmeth is 501 with Allow.
    let (transmits, _) = run_endpoint("intmeth.dat");
    let Ok(Message::Response(r)) = parse_message(&transmits[0].payload) else {
        panic!()
    };
    assert_eq!(r.status, 501);
}
