//! Fair outbound dispatch through the node: two accounts (10 calls/s, at most 5 at once
//! each) submit 100 calls each at the same moment; the far end — a small UAS in this file
//! that records when every INVITE and BYE arrives — sees the two accounts interleaved,
//! each started at its own rate and never more than its cap in progress.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use switchyard_e2e::http::request;
use switchyard_e2e::{Node, NodeConfig};

const CALLS: usize = 100;
const CPS: f64 = 10.0;
const CAP: usize = 5;
/// The far end answers this long after the INVITE, so every call occupies its account's
/// slot for a while and the cap is measured on calls that overlap.
const ANSWER_DELAY: Duration = Duration::from_millis(300);

const ACCOUNTS: [(&str, &str, &str); 2] = [
    (
        "AC000000000000000000000000000000a1",
        "token-a1",
        "+15550000001",
    ),
    (
        "AC000000000000000000000000000000b2",
        "token-b2",
        "+15550000002",
    ),
];

/// One call as the far end saw it.
#[derive(Debug, Clone)]
struct Seen {
    from_user: String,
    invite: Instant,
    bye: Option<Instant>,
}

/// A UAS on 127.0.0.1 that answers every INVITE after [`ANSWER_DELAY`] and answers BYE.
struct Uas {
    addr: SocketAddr,
    calls: Arc<Mutex<HashMap<String, Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The value of the first header named `long` or its compact form `short`.
fn header<'a>(msg: &'a str, long: &str, short: &str) -> Option<&'a str> {
    msg.lines()
        .take_while(|l| !l.is_empty())
        .skip(1)
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            let name = name.trim();
            (name.eq_ignore_ascii_case(long) || name.eq_ignore_ascii_case(short))
                .then(|| value.trim())
        })
}

/// The user part of a From value such as `<sip:+15550000001@127.0.0.1>;tag=x`.
fn uri_user(value: &str) -> String {
    let after = value.split_once("sip:").map_or(value, |(_, rest)| rest);
    after
        .split(['@', '>', ';'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A response to `req` echoing its Via, From, To, Call-ID and CSeq (RFC 3261 §8.2.6.2).
fn response(
    req: &str,
    status: &str,
    to_tag: Option<&str>,
    sdp: Option<&str>,
    me: SocketAddr,
) -> String {
    let mut out = format!("SIP/2.0 {status}\r\n");
    for line in req.lines().take_while(|l| !l.is_empty()).skip(1) {
        let name = line.split(':').next().unwrap_or_default().trim();
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        if is("via") || is("v") || is("from") || is("f") || is("call-id") || is("i") || is("cseq") {
            out.push_str(line);
            out.push_str("\r\n");
        } else if is("to") || is("t") {
            out.push_str(line);
            // RFC 3261 §8.2.6.2: "the UAS MUST add a tag to the To header field in the
            // response (with the exception of the 100 (Trying) response".
            if let Some(tag) = to_tag.filter(|_| !line.contains(";tag=")) {
                out.push_str(&format!(";tag={tag}"));
            }
            out.push_str("\r\n");
        }
    }
    // The node sends its ACK and BYE to this Contact (RFC 3261 §12.1.1: the remote
    // target is the Contact of the response), so it carries our real port.
    out.push_str(&format!("Contact: <sip:uas@{me}>\r\n"));
    match sdp {
        Some(body) => out.push_str(&format!(
            "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )),
        None => out.push_str("Content-Length: 0\r\n\r\n"),
    }
    out
}

impl Uas {
    fn start() -> Result<Uas> {
        let sock = UdpSocket::bind("127.0.0.1:0")?;
        sock.set_read_timeout(Some(Duration::from_millis(5)))?;
        // Where the node sends RTP: read and dropped, so its sends meet an open port.
        let media = UdpSocket::bind("127.0.0.1:0")?;
        media.set_read_timeout(Some(Duration::from_millis(50)))?;
        let media_port = media.local_addr()?.port();
        let sdp = format!(
            "v=0\r\no=uas 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio {media_port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
        );
        let addr = sock.local_addr()?;
        let calls: Arc<Mutex<HashMap<String, Seen>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (calls.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let s2 = s.clone();
            let drain = std::thread::spawn(move || {
                let mut buf = [0u8; 2048];
                while !s2.load(Ordering::Relaxed) {
                    let _ = media.recv_from(&mut buf);
                }
            });
            serve(&sock, &sdp, &c, &s);
            let _ = drain.join();
        });
        Ok(Uas {
            addr,
            calls,
            stop,
            thread: Some(thread),
        })
    }

    fn seen(&self) -> Vec<Seen> {
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }
}

impl Drop for Uas {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(sock: &UdpSocket, sdp: &str, calls: &Mutex<HashMap<String, Seen>>, stop: &AtomicBool) {
    let Ok(me) = sock.local_addr() else {
        return;
    };
    let mut buf = vec![0u8; 65536];
    // Answers due later: (when, peer, 200 OK text).
    let mut due: Vec<(Instant, SocketAddr, String)> = Vec::new();
    // 200 OKs already sent, re-sent if the INVITE is retransmitted.
    let mut answered: HashMap<String, String> = HashMap::new();
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        due.retain(|(when, peer, text)| {
            if *when > now {
                return true;
            }
            let _ = sock.send_to(text.as_bytes(), peer);
            false
        });
        let Ok((n, peer)) = sock.recv_from(&mut buf) else {
            continue;
        };
        let at = Instant::now();
        let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
        let method = msg.split(' ').next().unwrap_or_default().to_owned();
        if method == "SIP/2.0" {
            continue;
        }
        let call_id = header(&msg, "call-id", "i").unwrap_or_default().to_owned();
        let mut map = calls.lock().unwrap_or_else(|e| e.into_inner());
        match method.as_str() {
            "INVITE" => {
                if let Some(ok) = answered.get(&call_id) {
                    let _ = sock.send_to(ok.as_bytes(), peer);
                } else if !map.contains_key(&call_id) {
                    let from = header(&msg, "from", "f").unwrap_or_default();
                    map.insert(
                        call_id.clone(),
                        Seen {
                            from_user: uri_user(from),
                            invite: at,
                            bye: None,
                        },
                    );
                    let tag = format!("uas{}", map.len());
                    let ok = response(&msg, "200 OK", Some(&tag), Some(sdp), me);
                    answered.insert(call_id, ok.clone());
                    due.push((at + ANSWER_DELAY, peer, ok));
                }
            }
            "ACK" => {}
            "BYE" => {
                if let Some(seen) = map.get_mut(&call_id) {
                    seen.bye.get_or_insert(at);
                }
                let _ = sock.send_to(response(&msg, "200 OK", None, None, me).as_bytes(), peer);
            }
            _ => {
                let _ = sock.send_to(response(&msg, "200 OK", None, None, me).as_bytes(), peer);
            }
        }
    }
}

/// Most calls of one account in progress at once, from INVITE to BYE at the far end
/// (inside the node's own span of the call, so never more than the node counted).
fn max_concurrent(calls: &[&Seen]) -> usize {
    let mut edges: Vec<(Instant, i32)> = Vec::new();
    for c in calls {
        edges.push((c.invite, 1));
        // An unfinished call stays open to the end.
        edges.push((c.bye.unwrap_or(c.invite + Duration::from_secs(3600)), -1));
    }
    // Ends before starts at the same instant: a slot freed and reused is not an overlap.
    edges.sort();
    let (mut now, mut max) = (0i32, 0i32);
    for (_, d) in edges {
        now += d;
        max = max.max(now);
    }
    max as usize
}

#[test]
fn two_accounts_share_the_dispatcher_fairly_within_their_limits() -> Result<()> {
    let uas = Uas::start()?;
    let mut config = NodeConfig::new();
    config.rtp_ports = 100;
    for (sid, token, _) in ACCOUNTS {
        config.extra_toml.push_str(&format!(
            "\n[[accounts]]\nsid = \"{sid}\"\nauth_token = \"{token}\"\n\
             calls_per_second = {CPS:.1}\nmax_concurrent_calls = {CAP}\n"
        ));
    }
    let node = Node::start(config)?;
    let to = format!("sip:+15559990000@{}", uas.addr);

    // Both accounts submit everything at once: 4 posting threads each.
    let mut posters = Vec::new();
    for (sid, token, from) in ACCOUNTS {
        for _ in 0..4 {
            let url = node.http_url(&format!("/2010-04-01/Accounts/{sid}/Calls.json"));
            let to = to.clone();
            posters.push(std::thread::spawn(move || -> Result<()> {
                for _ in 0..CALLS / 4 {
                    let r = request("POST", &url).basic_auth(sid, token).send_form(&[
                        ("To", &to),
                        ("From", from),
                        ("Twiml", "<Response><Hangup/></Response>"),
                    ])?;
                    anyhow::ensure!(r.status == 201, "{sid}: {} {}", r.status, r.text());
                }
                Ok(())
            }));
        }
    }
    for p in posters {
        p.join().expect("poster thread")?;
    }
    // 100 calls at 10/s take ~10 s per account, in parallel; allow twice that.
    super::eventually(Duration::from_secs(30), || {
        let seen = uas.seen();
        Ok((seen.len() == 2 * CALLS && seen.iter().all(|c| c.bye.is_some())).then_some(()))
    })
    .map_err(|e| anyhow::anyhow!("{e}: far end saw {:?}", summary(&uas.seen())))?;

    let mut seen = uas.seen();
    seen.sort_by_key(|c| c.invite);
    let t0 = seen[0].invite;
    for (_, _, from) in ACCOUNTS {
        let mine: Vec<&Seen> = seen.iter().filter(|c| c.from_user == from).collect();
        assert_eq!(mine.len(), CALLS, "{from}: {:?}", summary(&seen));
        let span = (mine[CALLS - 1].invite - mine[0].invite).as_secs_f64();
        let rate = (CALLS - 1) as f64 / span;
        assert!(
            (rate - CPS).abs() <= CPS * 0.1,
            "{from}: {rate:.2} calls/s over {span:.2} s, want {CPS} ± 10 %"
        );
        // No burst above the throttle in any one-second window.
        for (i, c) in mine.iter().enumerate() {
            let in_window = mine[i..]
                .iter()
                .take_while(|d| d.invite - c.invite < Duration::from_secs(1))
                .count();
            assert!(
                in_window as f64 <= CPS * 1.1,
                "{from}: {in_window} INVITEs within 1 s from {:?}",
                c.invite - t0
            );
        }
        let peak = max_concurrent(&mine);
        assert!(
            peak <= CAP,
            "{from}: {peak} calls in progress at once, cap {CAP}"
        );
    }

    // Interleaved: while both accounts still had calls to start, neither ran more than a
    // few INVITEs in a row.
    let last_start = ACCOUNTS
        .iter()
        .map(|(_, _, from)| {
            seen.iter()
                .filter(|c| c.from_user == *from)
                .map(|c| c.invite)
                .max()
                .unwrap_or(t0)
        })
        .min()
        .unwrap_or(t0);
    let order: Vec<&str> = seen
        .iter()
        .filter(|c| c.invite <= last_start)
        .map(|c| c.from_user.as_str())
        .collect();
    let longest_run = order
        .chunk_by(|a, b| a == b)
        .map(|run| run.len())
        .max()
        .unwrap_or(0);
    assert!(
        longest_run <= 3,
        "one account started {longest_run} calls in a row: {order:?}"
    );
    Ok(())
}

/// Calls per From user, for failure messages.
fn summary(seen: &[Seen]) -> HashMap<String, (usize, usize)> {
    let mut out: HashMap<String, (usize, usize)> = HashMap::new();
    for c in seen {
        let e = out.entry(c.from_user.clone()).or_default();
        e.0 += 1;
        e.1 += usize::from(c.bye.is_some());
    }
    out
}
