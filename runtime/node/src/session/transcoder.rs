//! A tenant transcoder named for a leg (the number's `VoiceTranscoder`, a `<Dial>`
//! noun's `transcoder`): found among the account's apps and handed to the leg's media,
//! or, when it is missing or not a transcoder, a notification and the audio untouched.

use std::sync::Arc;

use switchyard_wasm::TranscoderContext;

use super::Session;
use crate::media_io::{MediaCommand, TenantTranscoder};
use crate::wasm_glue::NotifyingLog;
use switchyard_call::AppFailure;

impl Session {
    pub(super) fn attach_transcoder(&mut self, name: &str) {
        let Some(media) = self.media.as_ref() else {
            return;
        };
        match self.shared.wasm.transcoder(self.info.account_sid, name) {
            Ok(compiled) => media.send(MediaCommand::Transcoder(Box::new(TenantTranscoder {
                compiled,
                ctx: TranscoderContext {
                    app_name: name.to_owned(),
                    call_sid: self.info.call_sid.to_string(),
                    log: Arc::new(NotifyingLog {
                        store: self.shared.store.clone(),
                        account: self.info.account_sid,
                    }),
                },
            }))),
            Err(e) => self.notify(AppFailure {
                code: super::wasm_step::APP_MISSING,
                message: format!("transcoder not applied: {e}; the leg's audio passes unchanged"),
            }),
        }
    }
}
