//! A real `nats-server` with JetStream for one test (the NATS broker's tests and the
//! end-to-end tests on the NATS broker): its own free loopback port and
//! storage directory, killed when dropped. Installs Debian's `nats-server` (2.9) when
//! it is not on PATH (the machine is root: no sudo).

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct NatsServer {
    child: Child,
    dir: PathBuf,
    pub url: String,
}

impl NatsServer {
    pub fn start() -> NatsServer {
        let bin = binary();
        let port = crate::ports::free_port().expect("a free port");
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "switchyard-nats-{}-{}-{port}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("the server's directory");
        let log = std::fs::File::create(dir.join("server.log")).expect("the server's log");
        let child = Command::new(&bin)
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(dir.join("store"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("nats-server starts");
        let mut server = NatsServer {
            child,
            dir,
            url: format!("nats://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("nats-server exited ({status}): {}", server.log());
            }
            assert!(
                Instant::now() < deadline,
                "nats-server not listening: {}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The `nats-server` on PATH, installed from Debian first if there is none.
fn binary() -> PathBuf {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _one_at_a_time = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(bin) = on_path("nats-server") {
        return bin;
    }
    eprintln!("nats-server is not on PATH: installing the Debian package");
    let apt = |args: &[&str]| {
        run(
            Command::new("apt-get")
                .args(args)
                .env("DEBIAN_FRONTEND", "noninteractive"),
            Duration::from_secs(300),
        )
    };
    if !apt(&["install", "-y", "-qq", "nats-server"]) {
        apt(&["update", "-qq"]);
        apt(&["install", "-y", "-qq", "nats-server"]);
    }
    on_path("nats-server").expect("nats-server installed (apt-get install -y nats-server)")
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Run to completion within `limit` (killed past it); whether it succeeded.
fn run(command: &mut Command, limit: Duration) -> bool {
    let Ok(mut child) = command.stdout(Stdio::null()).spawn() else {
        return false;
    };
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
        }
    }
}
