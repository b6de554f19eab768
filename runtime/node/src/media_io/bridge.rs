//! How two legs' media tasks reach each other: packets one leg receives go, as they came,
//! to the other's inbox, whose session relays them in its own stream.

use switchyard_media::g711::G711;
use switchyard_rtp::PayloadTypes;
use tokio::sync::mpsc;

use super::MediaCommand;

/// One packet as the other leg received it, with what its payload types mean there.
#[derive(Debug)]
pub struct Relayed {
    pub bytes: Vec<u8>,
    pub payload_types: PayloadTypes,
    pub codec: G711,
}

/// How another session reaches a media task: its commands and its relay inbox.
#[derive(Debug, Clone)]
pub struct MediaLink {
    pub(super) commands: mpsc::UnboundedSender<MediaCommand>,
    pub(super) inbox: mpsc::UnboundedSender<Relayed>,
}

impl MediaLink {
    pub fn send(&self, cmd: MediaCommand) {
        let _ = self.commands.send(cmd);
    }
}
