//! The node's self-signed certificates: made at first start and kept in the data
//! directory (`<use>-cert.der`, `<use>-key.der`: `quic` for the QUIC event channel,
//! `sip-tls` for SIP over TLS) so that clients can pin them and a restart does not
//! change them.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The certificate, its key, and the certificate's path.
#[derive(Debug)]
pub struct Identity {
    pub cert: CertificateDer<'static>,
    pub key: PrivateKeyDer<'static>,
    pub cert_path: PathBuf,
}

/// The stored certificate for `usage` (`quic`, `sip-tls`), or a new one for `names`
/// (DNS names or IP addresses).
pub fn load_or_create(
    data_dir: &Path,
    usage: &str,
    names: Vec<String>,
) -> anyhow::Result<Identity> {
    let cert_file = format!("{usage}-cert.der");
    let cert_path = data_dir.join(&cert_file);
    let key_path = data_dir.join(format!("{usage}-key.der"));
    if cert_path.exists() && key_path.exists() {
        let cert = std::fs::read(&cert_path)
            .with_context(|| format!("reading {}", cert_path.display()))?;
        let key =
            std::fs::read(&key_path).with_context(|| format!("reading {}", key_path.display()))?;
        return Ok(Identity {
            cert: CertificateDer::from(cert),
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
            cert_path,
        });
    }
    let made = rcgen::generate_simple_self_signed(names)
        .with_context(|| format!("making the {usage} certificate"))?;
    let key = made.key_pair.serialize_der();
    std::fs::create_dir_all(data_dir)?;
    // The key first, readable by the node's user only; the certificate last, so a
    // crash in between leaves no certificate without its key.
    write_private(&key_path, &key)?;
    let tmp = data_dir.join(format!("{cert_file}.tmp"));
    std::fs::write(&tmp, made.cert.der())?;
    std::fs::rename(&tmp, &cert_path)?;
    Ok(Identity {
        cert: made.cert.der().clone(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
        cert_path,
    })
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let tmp = path.with_extension("der.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut f = options
        .open(&tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
