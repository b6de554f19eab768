/// Errors of the call layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A URL in a document cannot be resolved against the document's own URL.
    #[error("cannot resolve {url:?} against {base:?}: {reason}")]
    BadUrl {
        url: String,
        base: String,
        reason: String,
    },
    /// `maxParticipants`: the conference room holds this many already.
    #[error("the conference is full ({0} participants)")]
    ConferenceFull(u32),
    /// The conference room has ended.
    #[error("the conference has ended")]
    ConferenceEnded,
}
