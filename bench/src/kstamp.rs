//! Kernel receive timestamps (`SO_TIMESTAMPNS`): the time the kernel queued a datagram
//! on the socket, so the receiver's own scheduling delay stays out of the jitter.
//!
//! Linux stamps with `CLOCK_REALTIME`; [`Clock`] maps both that and the monotonic
//! user-space clock onto microseconds since one step's epoch.

use nix::sys::socket::{
    recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, SockaddrStorage,
};
use nix::sys::time::TimeSpec;
use std::io::{self, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// The epoch of one step, taken on both clocks at (nearly) the same moment.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// The monotonic epoch of user-space timestamps.
    pub instant: Instant,
    /// The same moment on the realtime clock, nanoseconds since the Unix epoch.
    realtime_ns: i128,
}

impl Clock {
    /// Now, on both clocks.
    pub fn now() -> Clock {
        let instant = Instant::now();
        let realtime_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128);
        Clock {
            instant,
            realtime_ns,
        }
    }

    /// Microseconds from the epoch to `at` (user-space clock).
    pub fn user_us(&self, at: Instant) -> u64 {
        at.duration_since(self.instant).as_micros() as u64
    }

    /// Microseconds from the epoch to a kernel timestamp; 0 for a stamp before the epoch
    /// (no socket exists before it, so only a realtime-clock step could cause that).
    pub fn kernel_us(&self, ts: &TimeSpec) -> u64 {
        let ns = i128::from(ts.tv_sec()) * 1_000_000_000 + i128::from(ts.tv_nsec());
        u64::try_from((ns - self.realtime_ns) / 1000).unwrap_or(0)
    }
}

/// Asks the kernel to attach a receive timestamp to every datagram read from `sock`.
pub fn enable<F: AsFd>(sock: &F) -> io::Result<()> {
    setsockopt(sock, sockopt::ReceiveTimestampns, &true).map_err(io::Error::from)
}

/// A reusable buffer for the control message that carries the timestamp.
pub fn control_buffer() -> Vec<u8> {
    nix::cmsg_space!(TimeSpec)
}

/// Reads one datagram without blocking: its length and kernel timestamp (`None` if the
/// kernel attached none, e.g. [`enable`] was not called). `WouldBlock` when empty.
pub fn recv_stamped<F: AsRawFd>(
    sock: &F,
    buf: &mut [u8],
    control: &mut [u8],
) -> io::Result<(usize, Option<TimeSpec>)> {
    let mut iov = [IoSliceMut::new(buf)];
    let msg = recvmsg::<SockaddrStorage>(
        sock.as_raw_fd(),
        &mut iov,
        Some(control),
        MsgFlags::MSG_DONTWAIT,
    )
    .map_err(io::Error::from)?;
    let stamp = msg.cmsgs().map_err(io::Error::from)?.find_map(|c| match c {
        ControlMessageOwned::ScmTimestampns(ts) => Some(ts),
        _ => None,
    });
    Ok((msg.bytes, stamp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn kernel_stamp_is_on_the_epoch_scale_and_precedes_the_read() {
        let clock = Clock::now();
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        enable(&rx).unwrap();
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        std::thread::sleep(Duration::from_millis(5));
        tx.send_to(b"hello", rx.local_addr().unwrap()).unwrap();
        std::thread::sleep(Duration::from_millis(30));
        let read_at = clock.user_us(Instant::now());
        let mut buf = [0u8; 64];
        let mut control = control_buffer();
        let (n, ts) = recv_stamped(&rx, &mut buf, &mut control).unwrap();
        assert_eq!(&buf[..n], b"hello");
        let k = clock.kernel_us(&ts.expect("a kernel timestamp"));
        // Sent ≥ 5 ms after the epoch, read ≥ 30 ms after it was queued; the two clocks
        // may disagree by a few µs, hence the slack.
        assert!(k >= 4_000, "stamp {k} µs");
        assert!(k + 25_000 <= read_at, "stamp {k} µs, read at {read_at} µs");
    }

    #[test]
    fn no_stamp_without_the_option_and_would_block_when_empty() {
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut buf = [0u8; 64];
        let mut control = control_buffer();
        let err = recv_stamped(&rx, &mut buf, &mut control).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        tx.send_to(b"x", rx.local_addr().unwrap()).unwrap();
        std::thread::sleep(Duration::from_millis(10));
        let (n, ts) = recv_stamped(&rx, &mut buf, &mut control).unwrap();
        assert_eq!((n, ts), (1, None));
    }
}
