//! `<Dial><Client>` in virtual time: an identity's registered contacts ring as legs of
//! their own, the first to answer wins, and an offline identity is `no-answer` at once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchyard_call::{
    Action, ClientContact, ClientDirectory, Document, Executor, LegId, LegTarget,
};
use switchyard_instructions::{Client, Dial, DialTarget, HttpMethod, Parameter, Verb};
use switchyard_sip::Transport;
use switchyard_types::{CallSid, CallStatus};

#[derive(Debug, Default)]
struct Directory(HashMap<String, Vec<ClientContact>>);

impl ClientDirectory for Directory {
    fn contacts(&self, identity: &str) -> Vec<ClientContact> {
        self.0.get(identity).cloned().unwrap_or_default()
    }
}

fn contact(port: u16) -> ClientContact {
    ClientContact {
        uri: format!("sip:alice@10.0.0.2:{port}"),
        destination: format!("203.0.113.9:{port}").parse().unwrap(),
        transport: Transport::Udp,
        path: vec![],
    }
}

fn work(exec: &mut Executor) -> Vec<Action> {
    std::iter::from_fn(|| exec.poll_action())
        .filter(|a| !matches!(a, Action::Event { .. }))
        .collect()
}

fn running(
    now: Instant,
    directory: Directory,
    targets: Vec<DialTarget>,
) -> (Executor, Vec<Action>) {
    let mut exec = Executor::new("http://127.0.0.1:9000/voice", HttpMethod::Post)
        .with_clients(Arc::new(directory));
    exec.start(now);
    let _ = work(&mut exec);
    let dial = Dial {
        targets,
        action: Some("/dialed".into()),
        ..Dial::default()
    };
    exec.document(now, Ok(Document::Verbs(vec![Verb::Dial(dial)])));
    let acts = work(&mut exec);
    (exec, acts)
}

fn client(identity: &str, params: &[(&str, &str)]) -> DialTarget {
    let mut c = Client::new(identity);
    c.parameters = params
        .iter()
        .map(|(n, v)| Parameter {
            name: (*n).into(),
            value: (*v).into(),
        })
        .collect();
    DialTarget::Client(c)
}

fn dial_status(acts: &[Action]) -> Option<String> {
    acts.iter().find_map(|a| match a {
        Action::Fetch(f) => f
            .params
            .iter()
            .find(|(k, _)| k == "DialCallStatus")
            .map(|(_, v)| v.clone()),
        _ => None,
    })
}

#[test]
fn every_contact_of_the_identity_rings_and_the_first_to_answer_wins() {
    let t0 = Instant::now();
    let mut dir = Directory::default();
    dir.0
        .insert("alice".into(), vec![contact(5060), contact(5070)]);
    let (mut exec, acts) = running(
        t0,
        dir,
        vec![client("alice", &[("Agent", "7"), ("X-Queue", "sales")])],
    );
    let req = acts
        .iter()
        .find_map(|a| match a {
            Action::Dial(d) => Some(d.clone()),
            _ => None,
        })
        .expect("a Dial action");
    assert_eq!(req.legs.len(), 2);
    assert_eq!(
        req.legs[1].target,
        LegTarget::Client {
            identity: "alice".into(),
            contact: contact(5070),
            headers: vec![
                ("X-Agent".into(), "7".into()),
                ("X-Queue".into(), "sales".into())
            ],
        }
    );
    let (a, b) = (CallSid::random(), CallSid::random());
    exec.leg_ringing(LegId(0), a);
    exec.leg_ringing(LegId(1), b);
    exec.leg_answered(t0 + Duration::from_secs(2), LegId(1), b);
    let acts = work(&mut exec);
    assert!(
        acts.contains(&Action::EndLeg {
            leg: LegId(0),
            status: CallStatus::Canceled
        }),
        "{acts:?}"
    );
    assert!(acts.contains(&Action::Bridge(LegId(1))), "{acts:?}");
}

#[test]
fn an_offline_identity_is_no_answer_at_once_with_a_notification() {
    let t0 = Instant::now();
    let (_exec, acts) = running(t0, Directory::default(), vec![client("nobody", &[])]);
    assert!(
        !acts.iter().any(|a| matches!(a, Action::Dial(_))),
        "{acts:?}"
    );
    let note = acts
        .iter()
        .find_map(|a| match a {
            Action::Notify(f) => Some(f.clone()),
            _ => None,
        })
        .expect("a notification");
    assert_eq!(note.code, 13224);
    assert!(note.message.contains("nobody"), "{}", note.message);
    assert_eq!(dial_status(&acts).as_deref(), Some("no-answer"));
}

#[test]
fn online_identities_ring_beside_an_offline_one() {
    let t0 = Instant::now();
    let mut dir = Directory::default();
    dir.0.insert("bob".into(), vec![contact(5080)]);
    let (mut exec, acts) = running(t0, dir, vec![client("nobody", &[]), client("bob", &[])]);
    let legs = acts
        .iter()
        .find_map(|a| match a {
            Action::Dial(d) => Some(d.legs.clone()),
            _ => None,
        })
        .expect("a Dial action");
    assert_eq!(legs.len(), 1);
    assert!(matches!(&legs[0].target, LegTarget::Client { identity, .. } if identity == "bob"));
    assert!(acts.iter().any(|a| matches!(a, Action::Notify(_))));
    // bob does not answer: the Dial ends no-answer when its one leg does.
    exec.leg_ended(t0, LegId(0), CallSid::random(), CallStatus::NoAnswer);
    assert_eq!(dial_status(&work(&mut exec)).as_deref(), Some("no-answer"));
}

#[test]
fn parameters_cannot_inject_headers() {
    let t0 = Instant::now();
    let mut dir = Directory::default();
    dir.0.insert("alice".into(), vec![contact(5060)]);
    let (_exec, acts) = running(
        t0,
        dir,
        vec![client(
            "alice",
            &[("Bad Name", "x"), ("Note", "a\r\nVia: evil"), ("", "y")],
        )],
    );
    let legs = acts
        .iter()
        .find_map(|a| match a {
            Action::Dial(d) => Some(d.legs.clone()),
            _ => None,
        })
        .unwrap();
    let LegTarget::Client { headers, .. } = &legs[0].target else {
        panic!("{:?}", legs[0].target)
    };
    assert_eq!(
        headers,
        &vec![("X-Note".to_string(), "aVia: evil".to_string())]
    );
}
