//! `Response`: the verbs one step answers with, built in order.

use crate::verbs::{
    Connect, Dial, Enqueue, Gather, Message, Pause, Play, Record, Redirect, RejectReason, Say,
    Stream, Verb,
};

/// The verbs of one step, run in order by the node.
///
/// ```
/// use switchyard_sdk::{Gather, Response};
/// let menu = Response::new()
///     .say("Hi")
///     .gather(Gather::new().num_digits(1).action("/menu").say("Press 1"))
///     .say("We did not hear from you. Goodbye.")
///     .hangup();
/// assert_eq!(menu.verbs().len(), 4);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    verbs: Vec<Verb>,
}

impl Response {
    /// An empty response (the call ends once it has run, as with an empty TwiML document).
    pub fn new() -> Self {
        Response::default()
    }

    /// Appends any verb.
    pub fn verb(mut self, verb: impl Into<Verb>) -> Self {
        self.verbs.push(verb.into());
        self
    }

    /// Appends a `<Say>`: a `&str`, a `String` or a configured [`Say`].
    pub fn say(self, say: impl Into<Say>) -> Self {
        self.verb(say.into())
    }

    /// Appends a `<Play>`: a URL or a configured [`Play`].
    pub fn play(self, play: impl Into<Play>) -> Self {
        self.verb(play.into())
    }

    /// Appends `seconds` of silence.
    pub fn pause(self, seconds: u32) -> Self {
        self.verb(Pause::seconds(seconds))
    }

    /// Appends a `<Gather>`.
    pub fn gather(self, gather: Gather) -> Self {
        self.verb(gather)
    }

    /// Appends a `<Record>`.
    pub fn record(self, record: Record) -> Self {
        self.verb(record)
    }

    /// Appends a `<Dial>`: a phone number or a configured [`Dial`].
    pub fn dial(self, dial: impl Into<Dial>) -> Self {
        self.verb(dial.into())
    }

    /// Appends a `<Redirect>`: an app path, `app:NAME`, a webhook URL, or a [`Redirect`].
    pub fn redirect(self, redirect: impl Into<Redirect>) -> Self {
        self.verb(redirect.into())
    }

    /// Appends a `<Hangup>`.
    pub fn hangup(self) -> Self {
        self.verb(Verb::Hangup)
    }

    /// Appends a `<Reject>` ("not in service").
    pub fn reject(self) -> Self {
        self.verb(Verb::Reject(RejectReason::Rejected))
    }

    /// Appends a `<Reject reason="busy">`.
    pub fn reject_busy(self) -> Self {
        self.verb(Verb::Reject(RejectReason::Busy))
    }

    /// Appends an `<Enqueue>`: a queue name or a configured [`Enqueue`].
    pub fn enqueue(self, enqueue: impl Into<Enqueue>) -> Self {
        self.verb(enqueue.into())
    }

    /// Appends a `<Leave>`.
    pub fn leave(self) -> Self {
        self.verb(Verb::Leave)
    }

    /// Appends a `<Message>`: a body or a configured [`Message`].
    pub fn message(self, message: impl Into<Message>) -> Self {
        self.verb(message.into())
    }

    /// Appends a `<Refer>` to the SIP URI `uri`.
    pub fn refer(self, uri: impl Into<String>) -> Self {
        self.verb(Verb::Refer(uri.into()))
    }

    /// `<Start><Stream>`: fork the call's audio to a WebSocket server (a URL or a
    /// [`Stream`]); the next verb runs at once.
    pub fn start_stream(self, stream: impl Into<Stream>) -> Self {
        self.verb(Verb::StartStream(stream.into()))
    }

    /// `<Stop><Stream name>`: end the fork named `name`.
    pub fn stop_stream(self, name: impl Into<String>) -> Self {
        self.verb(Verb::StopStream(name.into()))
    }

    /// `<Connect><Stream>`: hand the call to a WebSocket server (a URL, a [`Stream`]
    /// or a [`Connect`] with its `action`) until it closes the socket.
    pub fn connect_stream(self, connect: impl Into<Connect>) -> Self {
        self.verb(Verb::ConnectStream(connect.into()))
    }

    /// The verbs so far.
    pub fn verbs(&self) -> &[Verb] {
        &self.verbs
    }

    /// The verbs, consumed.
    pub fn into_verbs(self) -> Vec<Verb> {
        self.verbs
    }
}

impl From<Vec<Verb>> for Response {
    fn from(verbs: Vec<Verb>) -> Self {
        Response { verbs }
    }
}

impl FromIterator<Verb> for Response {
    fn from_iter<I: IntoIterator<Item = Verb>>(iter: I) -> Self {
        Response {
            verbs: iter.into_iter().collect(),
        }
    }
}

impl Extend<Verb> for Response {
    fn extend<I: IntoIterator<Item = Verb>>(&mut self, iter: I) {
        self.verbs.extend(iter);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verbs::{Conference, GatherChild};

    #[test]
    fn builds_verbs_in_order() {
        let r = Response::new()
            .say("Hi")
            .pause(2)
            .play("https://example.com/a.wav")
            .dial("+15550001111")
            .redirect("/next")
            .reject_busy()
            .leave()
            .refer("sip:x@y")
            .hangup();
        assert_eq!(
            r.verbs(),
            &[
                Verb::Say(Say::new("Hi")),
                Verb::Pause(Pause::seconds(2)),
                Verb::Play(Play::url("https://example.com/a.wav")),
                Verb::Dial(Dial::number("+15550001111")),
                Verb::Redirect(Redirect::to("/next")),
                Verb::Reject(RejectReason::Busy),
                Verb::Leave,
                Verb::Refer("sip:x@y".to_owned()),
                Verb::Hangup,
            ]
        );
    }

    #[test]
    fn say_keeps_configuration() {
        let r = Response::new().say(
            Say::new("Hello")
                .voice("woman")
                .language("en-GB")
                .loop_count(2),
        );
        let Verb::Say(say) = &r.verbs()[0] else {
            panic!("not a Say: {:?}", r.verbs());
        };
        assert_eq!(
            (
                say.text.as_str(),
                say.voice.as_str(),
                say.language.as_str(),
                say.loop_count
            ),
            ("Hello", "woman", "en-GB", 2)
        );
    }

    #[test]
    fn say_defaults_are_twilios() {
        let say = Say::new("x");
        assert_eq!(
            (say.voice.as_str(), say.language.as_str(), say.loop_count),
            ("man", "en-US", 1)
        );
    }

    #[test]
    fn gather_nests_prompts_in_order() {
        let g = Gather::new()
            .num_digits(1)
            .action("/menu")
            .timeout(7)
            .say("Press 1")
            .pause(1)
            .play("https://example.com/b.wav");
        assert_eq!(g.num_digits, Some(1));
        assert_eq!(g.action.as_deref(), Some("/menu"));
        assert_eq!(g.timeout, 7);
        assert_eq!(g.finish_on_key.as_deref(), Some("#"));
        assert!(matches!(&g.children[0], GatherChild::Say(s) if s.text == "Press 1"));
        assert!(matches!(&g.children[1], GatherChild::Pause(p) if p.length == 1));
        assert!(
            matches!(&g.children[2], GatherChild::Play(p) if p.url.as_deref() == Some("https://example.com/b.wav"))
        );
        assert_eq!(g.no_finish_on_key().finish_on_key, None);
    }

    #[test]
    fn dial_collects_targets() {
        let d = Dial::number("+1555")
            .target(Conference::new("room").muted(true))
            .timeout(12);
        assert_eq!(d.timeout, 12);
        assert_eq!(d.targets.len(), 2);
        assert!(
            matches!(&d.targets[1], crate::DialTarget::Conference(c) if c.muted && c.name == "room")
        );
    }

    #[test]
    fn collects_from_iterators() {
        let mut r: Response = vec![Verb::Hangup].into();
        r.extend([Verb::Leave]);
        assert_eq!(r.clone().into_verbs(), vec![Verb::Hangup, Verb::Leave]);
        let again: Response = r.into_verbs().into_iter().rev().collect();
        assert_eq!(again.verbs(), &[Verb::Leave, Verb::Hangup]);
    }
}
