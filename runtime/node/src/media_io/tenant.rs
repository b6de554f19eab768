//! A tenant's Wasm transcoder on one leg: one stream instance for what the leg receives
//! (after decoding, before it goes to the bridged leg) and one for what it sends
//! (before encoding), each kept for the life of the stream. A stream that traps or
//! overruns is bypassed by the host, which notifies the account; the leg's audio then
//! passes unchanged, and the call goes on.

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

/// The two directions' instances at the leg's PCM rate.
pub(super) struct Tenant {
    attached: TenantTranscoder,
    rate: u32,
    inbound: TranscoderStream,
    outbound: TranscoderStream,
    out: Vec<i16>,
}

impl Tenant {
    pub fn new(attached: TenantTranscoder, rate: u32) -> Self {
        let stream = |t: &TenantTranscoder| {
            let format = PcmFormat::mono(rate);
            TranscoderStream::new(
                &t.compiled,
                format,
                format,
                t.compiled.stream_limits(),
                t.ctx.clone(),
            )
        };
        Self {
            inbound: stream(&attached),
            outbound: stream(&attached),
            attached,
            rate,
            out: Vec::new(),
        }
    }

    /// New instances when the leg's rate changed (a re-negotiation to another codec).
    pub fn at_rate(self, rate: u32) -> Self {
        if rate == self.rate {
            self
        } else {
            Self::new(self.attached, rate)
        }
    }

    /// What the leg received, through the inbound instance, in place.
    pub fn inbound(&mut self, pcm: &mut Vec<i16>) {
        run(&mut self.inbound, self.rate, pcm, &mut self.out);
    }

    /// What the leg sends, through the outbound instance, in place.
    pub fn outbound(&mut self, pcm: &mut Vec<i16>) {
        run(&mut self.outbound, self.rate, pcm, &mut self.out);
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
