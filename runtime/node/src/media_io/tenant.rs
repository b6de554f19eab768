//! A tenant's Wasm transcoder on one leg: one stream instance for what the leg receives
//! (after decoding, before it goes to the bridged leg) and one for what it sends
//! (before encoding), each kept for the life of the stream. A stream that traps or
//! overruns is bypassed by the host, which notifies the account; the leg's audio then
//! passes unchanged, and the call goes on.

use switchyard_media::leg::FrameTransform;
use switchyard_wasm::{CompiledTranscoder, PcmFormat, TranscoderContext, TranscoderStream};

/// What the call's session attaches to its leg.
pub struct TenantTranscoder {
    pub compiled: CompiledTranscoder,
    pub ctx: TranscoderContext,
}

impl std::fmt::Debug for TenantTranscoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantTranscoder")
            .field("app", &self.ctx.app_name)
            .finish()
    }
}

/// The two directions' instances at the leg's PCM rate, made when the rate is known.
pub(super) struct Tenant {
    attached: TenantTranscoder,
    streams: Option<Streams>,
    out: Vec<i16>,
}

struct Streams {
    rate: u32,
    inbound: TranscoderStream,
    outbound: TranscoderStream,
}

impl Tenant {
    pub fn new(attached: TenantTranscoder) -> Self {
        Self {
            attached,
            streams: None,
            out: Vec::new(),
        }
    }
}

impl FrameTransform for Tenant {
    /// New instances when the leg's rate changed (a re-negotiation to another codec).
    fn set_rate(&mut self, rate: u32) {
        if self.streams.as_ref().is_some_and(|s| s.rate == rate) {
            return;
        }
        let t = &self.attached;
        let stream = || {
            let format = PcmFormat::mono(rate);
            TranscoderStream::new(
                &t.compiled,
                format,
                format,
                t.compiled.stream_limits(),
                t.ctx.clone(),
            )
        };
        self.streams = Some(Streams {
            rate,
            inbound: stream(),
            outbound: stream(),
        });
    }

    fn inbound(&mut self, pcm: &mut Vec<i16>) {
        if let Some(s) = self.streams.as_mut() {
            run(&mut s.inbound, s.rate, pcm, &mut self.out);
        }
    }

    fn outbound(&mut self, pcm: &mut Vec<i16>) {
        if let Some(s) = self.streams.as_mut() {
            run(&mut s.outbound, s.rate, pcm, &mut self.out);
        }
    }
}

/// One frame through `stream`; the frame keeps its length (a guest's short frame is
/// padded with silence, a long one cut), so the encoder's pace never changes. A bypass
/// was already reported by the host and leaves the frame as it was.
fn run(stream: &mut TranscoderStream, rate: u32, pcm: &mut Vec<i16>, out: &mut Vec<i16>) {
    let len = pcm.len();
    if let Err(bypass) = stream.process(pcm, rate, out) {
        tracing::debug!(%bypass, "tenant transcoder bypassed");
    }
    out.resize(len, 0);
    std::mem::swap(pcm, out);
}
