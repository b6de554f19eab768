//! Transcoders: components of the `transcoder` world, which sit in a call's media
//! path and see every 20 ms of audio, and [`crate::export_transcoder!`], which makes a
//! [`Transcoder`] that component's `media-stream`.
//!
//! The node creates one instance per stream direction (a number's `VoiceTranscoder`
//! applies to the caller's leg both ways; a `<Dial>` noun's `transcoder` to the
//! dialled leg) and keeps it for the life of the stream, so a transcoder keeps state
//! between frames. Audio is linear PCM, 16-bit mono, at the stream's rate (8000 Hz
//! for G.711 legs, 16000 or 48000 for wideband ones).
//!
//! Each frame runs under a CPU budget (1 ms by default) and the deployment's memory
//! limit. A transcoder that panics, runs past its budget, grows past its memory or
//! returns more than two frames' worth of audio is bypassed for the rest of the
//! stream (the call hears the untouched audio) and the account gets a notification
//! naming the app, the call and the reason.

/// The format of a stream's audio, as the node describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamFormat {
    /// `L16`: 16-bit linear PCM (the only codec a transcoder is handed today).
    pub codec: String,
    /// Samples per second.
    pub rate: u32,
    /// Channels; 1.
    pub channels: u8,
}

impl StreamFormat {
    /// Mono linear PCM at `rate`.
    pub fn l16(rate: u32) -> Self {
        StreamFormat {
            codec: "L16".into(),
            rate,
            channels: 1,
        }
    }

    /// Samples in one 20 ms frame of this format.
    pub fn frame_samples(&self) -> usize {
        (self.rate / 50) as usize * usize::from(self.channels.max(1))
    }
}

/// 20 ms of audio: samples, and the RTP timestamp (in samples) of the first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frame {
    /// Linear PCM samples.
    pub samples: Vec<i16>,
    /// RTP timestamp units (samples since the stream began, wrapping).
    pub timestamp: u32,
    /// The first frame of a talkspurt.
    pub marker: bool,
}

impl Frame {
    /// A frame of `samples` (timestamp 0, no marker).
    pub fn new(samples: Vec<i16>) -> Self {
        Frame {
            samples,
            timestamp: 0,
            marker: false,
        }
    }

    /// The same timestamp and marker with other samples.
    pub fn with_samples(&self, samples: Vec<i16>) -> Self {
        Frame {
            samples,
            timestamp: self.timestamp,
            marker: self.marker,
        }
    }
}

/// A transcoder: built once per stream direction, then asked for every frame.
///
/// ```
/// use switchyard_sdk::{Frame, StreamFormat, Transcoder};
///
/// /// Halves the volume.
/// struct Quieter;
///
/// impl Transcoder for Quieter {
///     fn new(_input: StreamFormat, _output: StreamFormat) -> Self {
///         Quieter
///     }
///
///     fn process(&mut self, frame: Frame) -> Vec<Frame> {
///         let quieter = frame.samples.iter().map(|s| s / 2).collect();
///         vec![frame.with_samples(quieter)]
///     }
/// }
///
/// let mut q = Quieter::new(StreamFormat::l16(8000), StreamFormat::l16(8000));
/// assert_eq!(q.process(Frame::new(vec![1000, -800])), vec![Frame::new(vec![500, -400])]);
/// ```
pub trait Transcoder {
    /// A stream from `input` to `output` begins (the same format both ways unless the
    /// node asks the transcoder to change rates).
    fn new(input: StreamFormat, output: StreamFormat) -> Self;

    /// One 20 ms input frame; the frames to send in its place (usually one of the
    /// output format's length; none to hold audio back, at most two frames' worth).
    fn process(&mut self, frame: Frame) -> Vec<Frame>;
}

/// Exports `T` as the component's `transcode` interface (world `transcoder`): one
/// `T` per media stream. Use it once per transcoder component, and not in a crate
/// meant to be a call handler or an event filter.
#[macro_export]
macro_rules! export_transcoder {
    ($transcoder:ty) => {
        // Natively (unit tests of the transcoder) there is no component to export to:
        // only check that the type is a transcoder.
        #[cfg(not(target_arch = "wasm32"))]
        const _: fn() = || {
            fn is_transcoder<T: $crate::Transcoder>() {}
            is_transcoder::<$transcoder>();
        };

        #[cfg(target_arch = "wasm32")]
        const _: () = {
            use $crate::__private::transcoder_bindings::exports::switchyard::telephony::transcode as wit;

            struct SwitchyardTranscoder;

            /// The resource's methods take `&self`; one stream is only ever called
            /// from one place at a time.
            struct SwitchyardStream(::core::cell::RefCell<$transcoder>);

            impl wit::Guest for SwitchyardTranscoder {
                type MediaStream = SwitchyardStream;
            }

            impl wit::GuestMediaStream for SwitchyardStream {
                fn new(input: wit::StreamFormat, output: wit::StreamFormat) -> Self {
                    SwitchyardStream(::core::cell::RefCell::new(
                        <$transcoder as $crate::Transcoder>::new(input.into(), output.into()),
                    ))
                }

                fn process(&self, frame: wit::Frame) -> ::std::vec::Vec<wit::Frame> {
                    $crate::__private::dispatch_transcoder(&mut *self.0.borrow_mut(), frame)
                }
            }

            $crate::__private::transcoder_bindings::__export_transcoder!(
                SwitchyardTranscoder with_types_in $crate::__private::transcoder_bindings
            );
        };
    };
}
