//! The RTP streams of the `bridge` benchmark: one generator thread sending 20 ms packets
//! for every stream with `sendmmsg`, one receiver thread reading them back with
//! `recvmmsg` and the kernel's receive timestamps.
//!
//! Every payload carries its stream, its packet index and the realtime clock read just
//! before the `sendmmsg` that sent it. The node rewrites RTP headers (its own SSRC,
//! sequence and timestamp per leg) but relays payloads untouched between two PCMU legs,
//! and the echo returns them as they came, so the receiver knows for each packet when
//! it left and when it came back, whichever path it took. The mark is written one
//! nibble a byte (0x40-0x4F, like the magic's bytes) so it also survives a µ-law
//! decode and re-encode (a Media Stream's path), which changes only 0x7F.
//!
//! The streams share a few sockets ([`SHARDS`]): every call offers one of their
//! addresses in its SDP, so the node (or the reference relay) sends each call's audio
//! there, and the generator sends from the same socket (symmetric RTP, which is what the
//! node latches to). Their phases are spread over the 20 ms period in [`SLOTS`] slots.

use crate::kstamp;
use crate::rtprx::{self, StreamSockets};
use anyhow::{Context, Result};
use nix::sys::socket::{
    recvmmsg, sendmmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, MultiHeaders,
    SockaddrIn,
};
use nix::sys::time::TimeSpec;
use std::io::{IoSlice, IoSliceMut};
use std::net::{SocketAddr, SocketAddrV4};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use switchyard_rtp::{parse_rtp, write_rtp, RtpHeader, Ssrc};

/// Sockets the streams are spread over.
pub const SHARDS: usize = 4;
/// Send slots per 20 ms period (0.5 ms each): stream `n` sends in slot `n % SLOTS`.
pub const SLOTS: usize = 40;
const PERIOD: Duration = Duration::from_millis(20);
/// What the generator sends as packet `index` of stream `stream`, read at `sent_ns`.
pub type PayloadFn = Arc<dyn Fn(u32, u32, i64) -> [u8; PAYLOAD] + Send + Sync>;
/// Marks the benchmark's payloads (anything else the node sends, e.g. silence before
/// the bridge, is ignored).
const MAGIC: &[u8; 4] = b"SYBR";
/// µ-law frame of 20 ms.
pub const PAYLOAD: usize = 160;
/// Kernel receive buffer of each shard socket (set with `SO_RCVBUFFORCE`, so the
/// receiver's own late reads do not drop packets).
const RCVBUF: usize = 32 << 20;
/// Thread names, for CPU accounting.
pub const GEN_THREAD: &str = "bgen";
/// See [`GEN_THREAD`].
pub const RX_THREAD: &str = "brx";

/// Realtime clock in ns since the Unix epoch (the clock of `SO_TIMESTAMPNS`).
pub fn realtime_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// The measurement window on the senders' clock: packets whose send time falls in
/// `[from, to)` are counted. Unset (`i64::MAX`) until the window opens.
#[derive(Debug)]
pub struct Window {
    from: AtomicI64,
    to: AtomicI64,
    /// Packets the generator sent inside the window.
    sent: AtomicU64,
}

impl Window {
    fn new() -> Arc<Window> {
        Arc::new(Window {
            from: AtomicI64::new(i64::MAX),
            to: AtomicI64::new(i64::MAX),
            sent: AtomicU64::new(0),
        })
    }

    fn contains(&self, t: i64) -> bool {
        t >= self.from.load(Ordering::Relaxed) && t < self.to.load(Ordering::Relaxed)
    }
}

/// What the receiver thread returns: the window's arrivals, and how many packets came
/// without a kernel timestamp.
type Received = (Vec<Arrival>, u64);

/// One datagram of [`recv_batch`]: its length, source and kernel receive timestamp.
pub type Datagram = (usize, Option<SockaddrIn>, Option<TimeSpec>);

/// One packet back at the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Arrival {
    /// Stream (call) number.
    pub stream: u32,
    /// Packet index within the stream.
    pub index: u32,
    /// Send time, realtime ns.
    pub sent_ns: i64,
    /// Kernel receive timestamp, realtime ns.
    pub received_ns: i64,
}

/// What one window delivered.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    /// Packets sent in the window.
    pub sent: u64,
    /// Distinct packets of the window that came back.
    pub received: u64,
    /// Length of the window, seconds.
    pub secs: f64,
    /// Added jitter per packet after the first of its stream, µs: |(Rj − Ri) − (Sj − Si)|
    /// for consecutive packets i, j that came back (R kernel receive time, S send time).
    pub jitter_us: Vec<u32>,
    /// Round trip per packet, µs: R − S.
    pub transit_us: Vec<u32>,
    /// Packets that came back without a kernel timestamp (should be none).
    pub unstamped: u64,
}

/// The raw outcome of one window.
#[derive(Debug, Clone, Default)]
pub struct Arrivals {
    /// The window's packets that came back (duplicates included).
    pub arrivals: Vec<Arrival>,
    /// Packets sent in the window.
    pub sent: u64,
    /// Packets that came back without a kernel timestamp.
    pub unstamped: u64,
    /// The window, realtime ns.
    pub from: i64,
    /// See `from`.
    pub to: i64,
}

enum GenCommand {
    Add { stream: u32, to: SocketAddrV4 },
}

/// The shard sockets, the generator and the receiver of one step.
#[derive(Debug)]
pub struct Streams {
    ports: Vec<u16>,
    add: mpsc::Sender<GenCommand>,
    window: Arc<Window>,
    stop: Arc<AtomicBool>,
    gen: Option<JoinHandle<Result<()>>>,
    rx: Option<JoinHandle<Result<Received>>>,
    // Held so the node's RTCP (to port + 1) lands on a bound socket.
    _rtcp: Vec<tokio::net::UdpSocket>,
}

impl std::fmt::Debug for GenCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GenCommand::Add { stream, to } => write!(f, "Add({stream} → {to})"),
        }
    }
}

impl Streams {
    /// Binds the shard sockets (even/odd pairs from [`rtprx::bind_pair`], kernel
    /// timestamps on) and starts both threads; no stream is sent until [`Streams::add`].
    pub async fn start() -> Result<Streams> {
        Ok(Streams::start_with(Arc::new(mark_payload), true).await?.0)
    }

    /// The generator alone, sending `payload`: the shard sockets are returned for the
    /// caller's own receiver, and [`Streams::stop`] ends it.
    pub async fn start_generator(payload: PayloadFn) -> Result<(Streams, Vec<Arc<OwnedFd>>)> {
        Streams::start_with(payload, false).await
    }

    async fn start_with(
        payload: PayloadFn,
        receiver: bool,
    ) -> Result<(Streams, Vec<Arc<OwnedFd>>)> {
        let mut ports = Vec::new();
        let mut fds = Vec::new();
        let mut rtcp = Vec::new();
        for _ in 0..SHARDS {
            let StreamSockets { rtp, rtcp: r, port } = rtprx::bind_pair().await?;
            let std = rtp.into_std()?;
            std.set_nonblocking(true)?;
            setsockopt(&std, sockopt::RcvBufForce, &RCVBUF)
                .or_else(|_| setsockopt(&std, sockopt::RcvBuf, &RCVBUF))
                .context("SO_RCVBUF")?;
            ports.push(port);
            fds.push(Arc::new(OwnedFd::from(std)));
            rtcp.push(r);
        }
        let (add, commands) = mpsc::channel();
        let window = Window::new();
        let stop = Arc::new(AtomicBool::new(false));
        let gen = {
            let (fds, window, stop) = (fds.clone(), window.clone(), stop.clone());
            std::thread::Builder::new()
                .name(GEN_THREAD.into())
                .spawn(move || generate(&fds, &commands, &window, &stop, &*payload))?
        };
        let rx = if receiver {
            let (fds, window, stop) = (fds.clone(), window.clone(), stop.clone());
            Some(
                std::thread::Builder::new()
                    .name(RX_THREAD.into())
                    .spawn(move || receive(&fds, &window, &stop))?,
            )
        } else {
            None
        };
        let streams = Streams {
            ports,
            add,
            window,
            stop,
            gen: Some(gen),
            rx,
            _rtcp: rtcp,
        };
        Ok((streams, fds))
    }

    /// Stops the generator (of [`Streams::start_generator`]) and waits for it.
    pub fn stop(mut self) -> Result<()> {
        self.stop.store(true, Ordering::Relaxed);
        let gen = self.gen.take().context("generator joined twice")?;
        gen.join()
            .map_err(|_| anyhow::anyhow!("generator panicked"))?
    }

    /// The RTP port stream `stream` must offer (and will send from).
    pub fn port_for(&self, stream: u32) -> u16 {
        self.ports[stream as usize % SHARDS]
    }

    /// A handle that adds streams from any task.
    pub fn adder(&self) -> StreamAdder {
        StreamAdder(self.add.clone())
    }

    /// Opens the window now.
    pub fn open_window(&self) -> i64 {
        let now = realtime_ns();
        self.window.from.store(now, Ordering::Relaxed);
        now
    }

    /// Closes the window now.
    pub fn close_window(&self) -> i64 {
        let now = realtime_ns();
        self.window.to.store(now, Ordering::Relaxed);
        now
    }

    /// Stops both threads (after `grace` for packets still on their way) and measures
    /// the window.
    pub fn finish(self, grace: Duration) -> Result<Delivery> {
        let w = self.finish_arrivals(grace)?;
        let mut d = measure(w.arrivals, w.sent);
        d.unstamped = w.unstamped;
        d.secs = (w.to - w.from) as f64 / 1e9;
        Ok(d)
    }

    /// [`Streams::finish`], with the window's packets as they came back, unmeasured.
    pub fn finish_arrivals(mut self, grace: Duration) -> Result<Arrivals> {
        std::thread::sleep(grace);
        self.stop.store(true, Ordering::Relaxed);
        let gen = self.gen.take().context("generator joined twice")?;
        gen.join()
            .map_err(|_| anyhow::anyhow!("generator panicked"))??;
        let rx = self
            .rx
            .take()
            .context("no receiver (joined twice, or started without one)")?;
        let (arrivals, unstamped) = rx
            .join()
            .map_err(|_| anyhow::anyhow!("receiver panicked"))??;
        Ok(Arrivals {
            arrivals,
            sent: self.window.sent.load(Ordering::Relaxed),
            unstamped,
            from: self.window.from.load(Ordering::Relaxed),
            to: self.window.to.load(Ordering::Relaxed),
        })
    }
}

impl Drop for Streams {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Adds streams to a running generator.
#[derive(Debug, Clone)]
pub struct StreamAdder(mpsc::Sender<GenCommand>);

impl StreamAdder {
    /// Starts sending stream `stream` to `to` (IPv4) in its slot.
    pub fn add(&self, stream: u32, to: SocketAddr) -> Result<()> {
        let SocketAddr::V4(to) = to else {
            anyhow::bail!("{to} is not IPv4");
        };
        self.0
            .send(GenCommand::Add { stream, to })
            .ok()
            .context("generator stopped")
    }
}

struct Outgoing {
    stream: u32,
    to: SockaddrIn,
    header: RtpHeader,
    index: u32,
}

fn generate(
    fds: &[Arc<OwnedFd>],
    commands: &mpsc::Receiver<GenCommand>,
    window: &Window,
    stop: &AtomicBool,
    payload: &(dyn Fn(u32, u32, i64) -> [u8; PAYLOAD] + Send + Sync),
) -> Result<()> {
    // slots[slot][shard]: the streams that send in that slot from that socket.
    let mut slots: Vec<Vec<Vec<Outgoing>>> = (0..SLOTS)
        .map(|_| (0..fds.len()).map(|_| Vec::new()).collect())
        .collect();
    let slot_len = PERIOD / SLOTS as u32;
    let start = Instant::now();
    let mut tick: u64 = 0;
    let mut packets: Vec<Vec<u8>> = Vec::new();
    let mut addrs: Vec<Option<SockaddrIn>> = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        while let Ok(cmd) = commands.try_recv() {
            match cmd {
                GenCommand::Add { stream, to } => {
                    let s = stream as usize;
                    slots[s % SLOTS][s % fds.len()].push(Outgoing {
                        stream,
                        to: SockaddrIn::from(to),
                        header: RtpHeader {
                            marker: true,
                            payload_type: 0,
                            sequence: rand::random(),
                            timestamp: rand::random(),
                            ssrc: Ssrc(rand::random()),
                        },
                        index: 0,
                    });
                }
            }
        }
        // Absolute deadlines: a late wake-up sends its slot at once (and the next ones
        // without sleeping) rather than shifting every later slot.
        let due = start + slot_len * (tick as u32 % u32::MAX);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let slot = (tick % SLOTS as u64) as usize;
        tick += 1;
        for (shard, fd) in fds.iter().enumerate() {
            let streams = &mut slots[slot][shard];
            if streams.is_empty() {
                continue;
            }
            let sent_ns = realtime_ns();
            let counted = window.contains(sent_ns);
            packets.resize_with(streams.len(), || Vec::with_capacity(12 + PAYLOAD));
            addrs.clear();
            for (o, packet) in streams.iter_mut().zip(packets.iter_mut()) {
                let payload = payload(o.stream, o.index, sent_ns);
                packet.clear();
                write_rtp(&o.header, &payload, packet);
                o.header.marker = false;
                o.header.sequence = o.header.sequence.wrapping_add(1);
                o.header.timestamp = o.header.timestamp.wrapping_add(PAYLOAD as u32);
                o.index += 1;
                addrs.push(Some(o.to));
            }
            let sent = send_all(fd.as_raw_fd(), &packets[..streams.len()], &addrs)?;
            if counted {
                window.sent.fetch_add(sent as u64, Ordering::Relaxed);
            }
        }
    }
    Ok(())
}

/// `sendmmsg` of every packet (in chunks the kernel accepts); returns how many went out.
fn send_all(fd: i32, packets: &[Vec<u8>], addrs: &[Option<SockaddrIn>]) -> Result<usize> {
    const CHUNK: usize = 512;
    let mut done = 0;
    for (packets, addrs) in packets.chunks(CHUNK).zip(addrs.chunks(CHUNK)) {
        let slices: Vec<[IoSlice<'_>; 1]> = packets.iter().map(|p| [IoSlice::new(p)]).collect();
        let mut headers = MultiHeaders::<SockaddrIn>::preallocate(slices.len(), None);
        let mut offset = 0;
        // A partial send (never seen on loopback) is retried from where it stopped.
        while offset < slices.len() {
            match sendmmsg(
                fd,
                &mut headers,
                &slices[offset..],
                &addrs[offset..],
                [],
                MsgFlags::empty(),
            ) {
                Ok(r) => {
                    let n = r.count();
                    if n == 0 {
                        break;
                    }
                    offset += n;
                }
                Err(nix::errno::Errno::EINTR) => continue,
                // A full send buffer or a queued ICMP error: the packet is lost, as it
                // would be on a network.
                Err(_) => break,
            }
        }
        done += offset;
    }
    Ok(done)
}

fn receive(fds: &[Arc<OwnedFd>], window: &Window, stop: &AtomicBool) -> Result<Received> {
    const BATCH: usize = 64;
    let mut arrivals = Vec::with_capacity(1 << 20);
    let mut unstamped = 0u64;
    let mut bufs = vec![[0u8; BUF]; BATCH];
    loop {
        let stopping = stop.load(Ordering::Relaxed);
        for fd in fds {
            loop {
                let got = match recv_batch(fd.as_raw_fd(), &mut bufs, true, MsgFlags::MSG_DONTWAIT)
                {
                    Ok(got) => got,
                    Err(nix::errno::Errno::EAGAIN) => break,
                    Err(nix::errno::Errno::EINTR) => continue,
                    // A queued ICMP error: read on.
                    Err(_) => continue,
                };
                let n = got.len();
                for ((len, _, stamp), buf) in got.into_iter().zip(&bufs) {
                    let Some(stamp) = stamp else {
                        unstamped += 1;
                        continue;
                    };
                    if let Some(a) = arrival(&buf[..len.min(buf.len())], &stamp) {
                        if window.contains(a.sent_ns) {
                            arrivals.push(a);
                        }
                    }
                }
                if n < BATCH {
                    break;
                }
            }
        }
        if stopping {
            break;
        }
        // Kernel timestamps make a late read harmless; one sweep per millisecond keeps
        // this thread's wake-ups (and its share of the cores) small.
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok((arrivals, unstamped))
}

/// Size of each receive buffer of [`recv_batch`].
pub const BUF: usize = 2048;

/// One `recvmmsg` into `bufs`: each datagram's length, source and (with `stamps`)
/// kernel receive timestamp.
pub fn recv_batch(
    fd: i32,
    bufs: &mut [[u8; BUF]],
    stamps: bool,
    flags: MsgFlags,
) -> nix::Result<Vec<Datagram>> {
    let mut iovs: Vec<[IoSliceMut<'_>; 1]> =
        bufs.iter_mut().map(|b| [IoSliceMut::new(b)]).collect();
    // Fresh headers each time: the kernel shrinks each control length to what it wrote,
    // and a reused header could lose the next timestamp.
    let mut headers =
        MultiHeaders::<SockaddrIn>::preallocate(iovs.len(), stamps.then(kstamp::control_buffer));
    let got = recvmmsg(fd, &mut headers, iovs.iter_mut(), flags, None)?
        .map(|m| {
            let stamp = m.cmsgs().ok().and_then(|mut c| {
                c.find_map(|c| match c {
                    ControlMessageOwned::ScmTimestampns(ts) => Some(ts),
                    _ => None,
                })
            });
            (m.bytes, m.address, stamp)
        })
        .collect();
    Ok(got)
}

/// Bytes of the mark after the magic: 16 bytes (stream, index, send time), one
/// nibble each.
const MARK_NIBBLES: usize = 32;

/// A 20 ms payload marked with `stream`, `index` and `sent_ns` (silence after it).
pub fn mark_payload(stream: u32, index: u32, sent_ns: i64) -> [u8; PAYLOAD] {
    let mut payload = [0xFFu8; PAYLOAD];
    payload[..4].copy_from_slice(MAGIC);
    let mut raw = [0u8; 16];
    raw[..4].copy_from_slice(&stream.to_be_bytes());
    raw[4..8].copy_from_slice(&index.to_be_bytes());
    raw[8..].copy_from_slice(&sent_ns.to_be_bytes());
    for (i, b) in raw.iter().enumerate() {
        payload[4 + 2 * i] = 0x40 | (b >> 4);
        payload[5 + 2 * i] = 0x40 | (b & 0x0F);
    }
    payload
}

/// The (stream, index, send time) of a payload of [`mark_payload`], if it is one.
pub fn read_mark(b: &[u8]) -> Option<(u32, u32, i64)> {
    if b.len() < 4 + MARK_NIBBLES || &b[..4] != MAGIC {
        return None;
    }
    let mut raw = [0u8; 16];
    for (i, r) in raw.iter_mut().enumerate() {
        let (hi, lo) = (b[4 + 2 * i], b[5 + 2 * i]);
        if hi & 0xF0 != 0x40 || lo & 0xF0 != 0x40 {
            return None;
        }
        *r = (hi << 4) | (lo & 0x0F);
    }
    Some((
        u32::from_be_bytes(raw[..4].try_into().ok()?),
        u32::from_be_bytes(raw[4..8].try_into().ok()?),
        i64::from_be_bytes(raw[8..].try_into().ok()?),
    ))
}

fn arrival(packet: &[u8], stamp: &TimeSpec) -> Option<Arrival> {
    let p = parse_rtp(packet).ok()?;
    let (stream, index, sent_ns) = read_mark(p.payload)?;
    Some(Arrival {
        stream,
        index,
        sent_ns,
        received_ns: stamp.tv_sec() * 1_000_000_000 + stamp.tv_nsec(),
    })
}

/// Loss, added jitter and round trip of the arrivals of one window.
fn measure(mut arrivals: Vec<Arrival>, sent: u64) -> Delivery {
    arrivals.sort_unstable();
    arrivals.dedup_by_key(|a| (a.stream, a.index));
    let mut d = Delivery {
        sent,
        received: arrivals.len() as u64,
        ..Delivery::default()
    };
    let us = |ns: i64| (ns.unsigned_abs() / 1000).min(u64::from(u32::MAX)) as u32;
    for (i, a) in arrivals.iter().enumerate() {
        d.transit_us.push(us(a.received_ns - a.sent_ns));
        if let Some(p) = i.checked_sub(1).map(|p| arrivals[p]) {
            if p.stream == a.stream {
                let added = (a.received_ns - p.received_ns) - (a.sent_ns - p.sent_ns);
                d.jitter_us.push(us(added));
            }
        }
    }
    d.jitter_us.sort_unstable();
    d.transit_us.sort_unstable();
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(stream: u32, index: u32, sent_ns: i64, received_ns: i64) -> Arrival {
        Arrival {
            stream,
            index,
            sent_ns,
            received_ns,
        }
    }

    #[test]
    fn jitter_is_the_change_in_transit_between_consecutive_packets() {
        let ms = 1_000_000;
        // Stream 1: transits 1, 1, 3 ms (packet 2 lost, 3 late); stream 2: 2, 2 ms, and a
        // duplicate that counts once.
        let a = vec![
            at(1, 0, 0, ms),
            at(2, 0, 5 * ms, 7 * ms),
            at(1, 1, 20 * ms, 21 * ms),
            at(1, 3, 60 * ms, 63 * ms),
            at(2, 1, 25 * ms, 27 * ms),
            at(2, 1, 25 * ms, 27 * ms),
        ];
        let d = measure(a, 6);
        assert_eq!(d.received, 5);
        assert_eq!(d.jitter_us, vec![0, 0, 2000]);
        assert_eq!(d.transit_us, vec![1000, 1000, 2000, 2000, 3000]);
    }

    #[test]
    fn only_marked_payloads_are_arrivals() {
        let payload = mark_payload(7, 3, 42);
        let header = RtpHeader {
            marker: false,
            payload_type: 0,
            sequence: 1,
            timestamp: 2,
            ssrc: Ssrc(3),
        };
        let mut packet = Vec::new();
        write_rtp(&header, &payload, &mut packet);
        let ts = TimeSpec::new(1, 5);
        assert_eq!(arrival(&packet, &ts), Some(at(7, 3, 42, 1_000_000_005)));
        packet.clear();
        write_rtp(&header, &[0xFF; PAYLOAD], &mut packet);
        assert_eq!(arrival(&packet, &ts), None);
    }

    #[test]
    fn a_mark_survives_a_ulaw_decode_and_reencode() {
        let payload = mark_payload(0x7F7F_7F7F, 0x7F, 0x7F7F_7F7F_7F7F_7F7F);
        let again: Vec<u8> = payload
            .iter()
            .map(|b| switchyard_media::ulaw_encode(switchyard_media::ulaw_decode(*b)))
            .collect();
        assert_eq!(
            read_mark(&again),
            Some((0x7F7F_7F7F, 0x7F, 0x7F7F_7F7F_7F7F_7F7F))
        );
        assert_eq!(read_mark(&[0xFF; PAYLOAD]), None);
    }

    #[tokio::test]
    async fn streams_come_back_through_a_loopback_echo() {
        // An echo on a plain socket stands in for the node: everything goes back to its
        // sender.
        let echo = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        echo.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let echo_addr = echo.local_addr().unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let d2 = done.clone();
        let t = std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            while !d2.load(Ordering::Relaxed) {
                if let Ok((n, from)) = echo.recv_from(&mut buf) {
                    let _ = echo.send_to(&buf[..n], from);
                }
            }
        });
        let s = Streams::start().await.unwrap();
        for n in 0..3 {
            s.adder().add(n, echo_addr).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        s.open_window();
        tokio::time::sleep(Duration::from_millis(200)).await;
        s.close_window();
        let d = tokio::task::spawn_blocking(move || s.finish(Duration::from_millis(100)))
            .await
            .unwrap()
            .unwrap();
        done.store(true, Ordering::Relaxed);
        t.join().unwrap();
        // 3 streams × 200 ms ÷ 20 ms, give or take the packets at the edges.
        assert!((27..=33).contains(&d.sent), "{d:?}");
        assert_eq!(d.received, d.sent, "{d:?}");
        assert_eq!(d.unstamped, 0);
        assert_eq!(d.jitter_us.len() as u64, d.received - 3);
    }
}
