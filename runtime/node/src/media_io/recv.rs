//! Reading a leg's socket in batches: one `recvmmsg` returns every datagram queued (up
//! to [`BATCH`]), and a short batch tells the socket is drained, so an edge-triggered
//! readiness costs one system call, not a read and a second one to learn "would block".

use std::io;
use std::io::IoSliceMut;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;

use nix::sys::socket::{recvmmsg, MsgFlags, MultiHeaders, SockaddrStorage};

/// Datagrams read by one call.
pub(super) const BATCH: usize = 8;
const BUF: usize = 2048;

/// A worker's receive buffers, reused for every socket it reads.
pub(super) struct RecvBatch {
    bufs: Box<[[u8; BUF]; BATCH]>,
    headers: MultiHeaders<SockaddrStorage>,
    got: Vec<(usize, Option<SocketAddr>)>,
}

impl RecvBatch {
    pub fn new() -> Self {
        Self {
            bufs: Box::new([[0; BUF]; BATCH]),
            headers: MultiHeaders::preallocate(BATCH, None),
            got: Vec::with_capacity(BATCH),
        }
    }

    /// Read what `socket` holds, without waiting: how many datagrams came.
    pub fn read(&mut self, socket: &impl AsRawFd) -> io::Result<usize> {
        self.got.clear();
        let [a, b, c, d, e, f, g, h] = &mut *self.bufs;
        let mut iovs = [a, b, c, d, e, f, g, h].map(|buf| [IoSliceMut::new(buf)]);
        let msgs = recvmmsg(
            socket.as_raw_fd(),
            &mut self.headers,
            iovs.iter_mut(),
            MsgFlags::MSG_DONTWAIT,
            None,
        )
        .map_err(io::Error::from)?;
        for m in msgs {
            self.got.push((m.bytes, m.address.and_then(to_std)));
        }
        Ok(self.got.len())
    }

    /// The datagrams of the last [`RecvBatch::read`], with their sources.
    pub fn datagrams(&self) -> impl Iterator<Item = (&[u8], Option<SocketAddr>)> {
        self.got
            .iter()
            .zip(self.bufs.iter())
            .map(|(&(n, src), buf)| (&buf[..n.min(BUF)], src))
    }
}

fn to_std(addr: SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = addr.as_sockaddr_in() {
        return Some(SocketAddr::from((v4.ip(), v4.port())));
    }
    addr.as_sockaddr_in6()
        .map(|v6| SocketAddr::from((v6.ip(), v6.port())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_reads_what_is_queued_and_a_short_batch_means_drained() {
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut batch = RecvBatch::new();
        for i in 0..11u8 {
            tx.send_to(&[i; 3], rx.local_addr().unwrap()).unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(batch.read(&rx).unwrap(), BATCH);
        let first: Vec<_> = batch.datagrams().map(|(d, s)| (d.to_vec(), s)).collect();
        assert_eq!(first[0], (vec![0; 3], Some(tx.local_addr().unwrap())));
        assert_eq!(first[7].0, vec![7; 3]);
        assert_eq!(batch.read(&rx).unwrap(), 3);
        assert_eq!(batch.datagrams().last().unwrap().0, &[10; 3]);
        let empty = batch.read(&rx).unwrap_err();
        assert_eq!(empty.kind(), io::ErrorKind::WouldBlock);
    }
}
