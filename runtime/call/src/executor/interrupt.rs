//! Client events: a website or server publishes an event to a live call, and the app
//! decides what the caller hears next.

use super::{Action, Executor, Step};
use crate::events::EventKind;

impl Executor {
    /// A client published `name` (with `data`, JSON) to this call.
    ///
    /// Whatever runs now (a Say, Play, Pause or Gather) stops, and the app is asked what
    /// next at the current document URL with `EventName` and `EventData`, as it would be
    /// for a Gather's action. While a document is being fetched there is nothing to
    /// interrupt: the event is requested after it, so no event is lost.
    pub fn client_event(&mut self, name: String, data: String) {
        if self.side.is_some() {
            // A queue's or a room's wait, hold or announcement document is the holder's,
            // not the caller's application's.
            return;
        }
        let interrupted = match &self.step {
            // A connected call is the people's, not the app's: a client event does not
            // cut it (Twilio's live updates do, through the REST API); nor a call handed
            // to a stream's server.
            Step::Done
            | Step::Failing { .. }
            | Step::Dial(_)
            | Step::Agent(_)
            | Step::Queue
            | Step::Conference
            | Step::Connect(_) => return,
            // Nor does it cut a message being recorded (that would lose it).
            Step::Record(_) => return,
            Step::Media { verb, .. } => Some(*verb),
            Step::Pause { .. } => Some("Pause"),
            Step::Gather(_) => Some("Gather"),
            Step::Idle | Step::Fetching => None,
        };
        if let Some(verb) = interrupted {
            self.event(
                EventKind::VerbEnded,
                vec![
                    ("Verb".into(), verb.into()),
                    ("Interrupted".into(), "client-event".into()),
                ],
            );
        }
        self.push(Action::StopMedia);
        self.verbs.clear();
        let (url, method) = (self.document_url.clone(), self.document_method);
        self.fetch(
            url,
            method,
            vec![("EventName".into(), name), ("EventData".into(), data)],
            false,
        );
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use switchyard_instructions::{Gather, GatherChild, HttpMethod, Say, Verb};

    use crate::executor::{Action, Document, Executor};
    use crate::EventKind;

    const URL: &str = "http://127.0.0.1:9000/voice";

    #[test]
    fn a_client_event_stops_a_gather_and_asks_the_app_with_the_event() {
        let t0 = Instant::now();
        let mut exec = Executor::new(URL, HttpMethod::Post);
        exec.start(t0);
        while exec.poll_action().is_some() {}
        exec.document(
            t0,
            Ok(Document::Verbs(vec![Verb::Gather(Gather {
                timeout: 30,
                children: vec![GatherChild::Say(Say {
                    text: "Press a key".into(),
                    ..Say::default()
                })],
                ..Gather::default()
            })])),
        );
        while exec.poll_action().is_some() {}
        exec.client_event("promo".into(), r#"{"code":"7"}"#.into());
        let acts: Vec<Action> = std::iter::from_fn(|| exec.poll_action()).collect();
        assert!(
            matches!(&acts[0], Action::Event { kind: EventKind::VerbEnded, data }
            if data.contains(&("Interrupted".into(), "client-event".into())))
        );
        assert_eq!(acts[1], Action::StopMedia);
        let Action::Fetch(f) = &acts[2] else {
            panic!("expected a fetch, got {acts:?}")
        };
        assert_eq!(f.url, URL);
        assert_eq!(
            f.params,
            vec![
                ("EventName".to_owned(), "promo".to_owned()),
                ("EventData".to_owned(), r#"{"code":"7"}"#.to_owned())
            ]
        );
        // The Gather's timer no longer runs: nothing fires at its deadline.
        assert_eq!(exec.poll_timeout(), None);
        exec.timeout(t0 + Duration::from_secs(31));
        assert!(exec.poll_action().is_none());
    }

    #[test]
    fn a_client_event_after_hangup_does_nothing() {
        let mut exec = Executor::new(URL, HttpMethod::Post);
        exec.start(Instant::now());
        exec.hangup(Instant::now());
        while exec.poll_action().is_some() {}
        exec.client_event("x".into(), "{}".into());
        assert!(exec.poll_action().is_none());
    }
}
