//! baresip as a test peer: a configuration directory for one account, its audio from a
//! virtual source and what it decodes written to WAV files by `sndfile`.

use std::path::Path;

use anyhow::Result;

use crate::ports::free_port;

/// Writes baresip's `config` and `accounts` into `dir`: SIP on a free port of
/// 127.0.0.1, RTP on `rtp_port` and the next, the codec and other `modules`, audio from
/// `source` (e.g. `aubridge,x` for silence, `ausine,600` for a tone; its module is
/// loaded), recordings in `rec`, and one `account` line.
pub fn configure(
    dir: &Path,
    rec: &Path,
    rtp_port: u16,
    modules: &[&str],
    source: &str,
    account: &str,
) -> Result<()> {
    let sip_port = free_port()?;
    let source_module = source.split(',').next().unwrap_or("aubridge");
    let mut loaded: Vec<&str> = modules.to_vec();
    for m in ["aubridge", source_module, "sndfile"] {
        if !loaded.contains(&m) {
            loaded.push(m);
        }
    }
    let modules: String = loaded.iter().map(|m| format!("module {m}.so\n")).collect();
    std::fs::write(
        dir.join("config"),
        format!(
            "poll_method epoll\n\
             net_interface 127.0.0.1\n\
             sip_listen 127.0.0.1:{sip_port}\n\
             audio_player aubridge,x\n\
             audio_source {source}\n\
             audio_alert aubridge,x\n\
             rtp_ports {rtp_port}-{}\n\
             module_path /usr/lib/baresip/modules\n\
             {modules}\
             module_app account.so\n\
             module_app menu.so\n\
             snd_path {}\n",
            rtp_port + 1,
            rec.display()
        ),
    )?;
    std::fs::write(dir.join("accounts"), format!("{account}\n"))?;
    Ok(())
}
