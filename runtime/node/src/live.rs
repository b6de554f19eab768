//! Live calls by SID, so the REST API can redirect, hang up or cancel a call in progress.

use std::collections::HashMap;
use std::sync::Mutex;

use switchyard_instructions::HttpMethod;
use switchyard_types::CallSid;
use tokio::sync::mpsc;

/// What the API asks of a live call.
#[derive(Debug)]
pub enum Control {
    /// Continue with the document at this URL, now.
    Redirect { url: String, method: HttpMethod },
    /// Continue with this TwiML, now.
    Twiml(String),
    /// `Status=completed`: hang up an answered call.
    Complete,
    /// `Status=canceled`: end a call that is not answered yet.
    Cancel,
    /// The call that placed this one as a `<Dial>` leg ends it: CANCEL while it rings
    /// (its record then says `status`), BYE once answered.
    EndLeg(switchyard_types::CallStatus),
    /// The call this leg is bridged to was put on hold (true) or taken off it: pass it on.
    Hold(bool),
    /// The parent's `<Dial>` runs this leg's whisper (the noun's `url`) before bridging.
    Whisper { url: String, method: HttpMethod },
    /// A queue's member and agent reach each other.
    Queue(crate::queues::Signal),
    /// The call's conference room tells it something.
    Conference(switchyard_call::conference::Notice),
    /// A client published an event to the call: the app is asked what next.
    ClientEvent { name: String, data: String },
    /// Start, pause, resume or stop a recording of the call.
    Record(crate::recording_api::RecordControl),
    /// Start or stop a Media Stream; the answer goes back on `reply`.
    Stream {
        control: switchyard_api::StreamControl,
        reply: tokio::sync::oneshot::Sender<
            Result<switchyard_api::StreamAnswer, switchyard_api::ApiError>,
        >,
    },
}

/// Why a control could not be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlError {
    /// No live call has this SID (it ended, or never existed on this node).
    NotLive,
}

/// The registry of live calls.
#[derive(Debug, Default)]
pub struct LiveCalls {
    calls: Mutex<HashMap<CallSid, mpsc::UnboundedSender<Control>>>,
}

impl LiveCalls {
    /// Register a call; its session reads controls from the returned queue.
    pub fn register(&self, sid: CallSid) -> mpsc::UnboundedReceiver<Control> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.lock().insert(sid, tx);
        rx
    }

    pub fn unregister(&self, sid: CallSid) {
        self.lock().remove(&sid);
    }

    pub fn send(&self, sid: CallSid, control: Control) -> Result<(), ControlError> {
        let tx = self
            .lock()
            .get(&sid)
            .cloned()
            .ok_or(ControlError::NotLive)?;
        tx.send(control).map_err(|_| ControlError::NotLive)
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CallSid, mpsc::UnboundedSender<Control>>> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }
}
