//! RTP port pool: even ports for RTP, the odd port above for RTCP (RFC 3550 §11).

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use std::net::UdpSocket;

/// A pair of bound sockets for one media stream. They are plain non-blocking std
/// sockets so the media runtime, not the one that bound them, registers them.
#[derive(Debug)]
pub struct MediaSockets {
    pub rtp: UdpSocket,
    pub rtcp: UdpSocket,
    pub port: u16,
}

/// Hands out RTP/RTCP port pairs, least recently used first.
#[derive(Debug)]
pub struct PortPool {
    ip: IpAddr,
    free: Mutex<VecDeque<u16>>,
}

impl PortPool {
    pub fn new(ip: IpAddr, min: u16, max: u16) -> Self {
        let first = min + (min % 2);
        let free = (first..max).step_by(2).collect();
        Self {
            ip,
            free: Mutex::new(free),
        }
    }

    /// Port pairs free for new calls.
    pub fn free_count(&self) -> usize {
        self.free.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    /// Bind the next free pair; ports taken by other programs are skipped.
    pub fn bind(&self) -> std::io::Result<MediaSockets> {
        let attempts = self.free.lock().unwrap_or_else(|e| e.into_inner()).len();
        for _ in 0..attempts {
            let Some(port) = self
                .free
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop_front()
            else {
                break;
            };
            let rtp = UdpSocket::bind(SocketAddr::new(self.ip, port));
            let rtcp = UdpSocket::bind(SocketAddr::new(self.ip, port + 1));
            match (rtp, rtcp) {
                (Ok(rtp), Ok(rtcp)) => {
                    rtp.set_nonblocking(true)?;
                    rtcp.set_nonblocking(true)?;
                    return Ok(MediaSockets { rtp, rtcp, port });
                }
                _ => self.release(port),
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            "no free RTP port pair in the configured range",
        ))
    }

    pub fn release(&self, port: u16) {
        self.free
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(port);
    }
}
