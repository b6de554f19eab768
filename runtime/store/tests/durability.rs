//! Acknowledged writes survive SIGKILL.
//!
//! The test re-runs its own binary as a "writer" child (selected by an environment
//! variable) that writes through every kind of write the store offers and prints a line
//! for each write once it is acknowledged (a durable write returned, or a `flush` after
//! background writes returned). The parent kills it with SIGKILL at a random moment,
//! reopens the store, and checks that every acknowledged record is there, whole, and
//! that the start-up sweep fails the calls the dead process left live.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{BufRead, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use switchyard_store::{
    Account, AccountStatus, Application, CallRecord, PhoneNumber, Repository, Store,
};
use switchyard_types::{AccountSid, ApplicationSid, CallSid, CallStatus, PhoneNumberSid};

const DIR_VAR: &str = "SWITCHYARD_STORE_DURABILITY_DIR";
const SEED_VAR: &str = "SWITCHYARD_STORE_DURABILITY_SEED";

/// Calls written in the background between two flushes.
const BACKGROUND_BATCH: u64 = 20;

/// Deterministic SIDs: the run's seed, what kind of record, and its number, so the parent
/// can rebuild every record from the line that acknowledged it.
fn sid_bytes(seed: u64, kind: u8, i: u64) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&seed.to_be_bytes());
    b[8] = kind;
    b[9..].copy_from_slice(&i.to_be_bytes()[1..]);
    b
}

fn main_account_sid(seed: u64) -> AccountSid {
    AccountSid::from_bytes(sid_bytes(seed, 0, 0))
}

/// The main account as of its `version`-th token rotation.
fn main_account(seed: u64, version: u64) -> Account {
    Account {
        sid: main_account_sid(seed),
        owner_account_sid: None,
        friendly_name: format!("main v{version}"),
        status: AccountStatus::Active,
        auth_token: format!("{version:032x}"),
        secondary_auth_token: version.checked_sub(1).map(|v| format!("{v:032x}")),
        signing_key: Some(format!("key-{version}")),
        calls_per_second: 1.0 + version as f64,
        max_concurrent_calls: version as u32,
        date_created: 1,
        date_updated: 1 + version as i64,
    }
}

fn subaccount(seed: u64, i: u64) -> Account {
    Account {
        sid: AccountSid::from_bytes(sid_bytes(seed, 1, i)),
        owner_account_sid: Some(main_account_sid(seed)),
        friendly_name: format!("sub {i}"),
        status: AccountStatus::Suspended,
        auth_token: format!("{:032x}", i + 7),
        secondary_auth_token: None,
        signing_key: None,
        calls_per_second: 0.5,
        max_concurrent_calls: 2,
        date_created: i as i64,
        date_updated: i as i64,
    }
}

fn number(seed: u64, i: u64) -> PhoneNumber {
    PhoneNumber {
        sid: PhoneNumberSid::from_bytes(sid_bytes(seed, 2, i)),
        account_sid: main_account_sid(seed),
        phone_number: format!("+1555{i:07}"),
        friendly_name: format!("line {i}"),
        voice_url: Some(format!("http://127.0.0.1:9/voice/{i}")),
        voice_method: "POST".into(),
        voice_fallback_url: None,
        voice_fallback_method: "GET".into(),
        status_callback: Some("http://127.0.0.1:9/status".into()),
        status_callback_method: "POST".into(),
        status_callback_event: vec!["ringing".into(), "completed".into()],
        voice_application_sid: Some(ApplicationSid::from_bytes(sid_bytes(seed, 3, i))),
        voice_wasm_app: None,
        voice_transcoder: None,
        date_created: i as i64,
        date_updated: i as i64,
    }
}

fn application(seed: u64, i: u64) -> Application {
    Application {
        sid: ApplicationSid::from_bytes(sid_bytes(seed, 3, i)),
        account_sid: main_account_sid(seed),
        friendly_name: format!("app {i}"),
        voice_url: Some(format!("http://127.0.0.1:9/app/{i}")),
        voice_method: "POST".into(),
        voice_fallback_url: Some("http://127.0.0.1:9/fallback".into()),
        voice_fallback_method: "POST".into(),
        status_callback: None,
        status_callback_method: "POST".into(),
        date_created: i as i64,
        date_updated: i as i64,
    }
}

const STATUSES: [CallStatus; 5] = [
    CallStatus::Queued,
    CallStatus::Ringing,
    CallStatus::InProgress,
    CallStatus::Completed,
    CallStatus::Busy,
];

fn is_live(s: CallStatus) -> bool {
    matches!(
        s,
        CallStatus::Queued | CallStatus::Ringing | CallStatus::InProgress
    )
}

fn call(seed: u64, i: u64) -> CallRecord {
    let status = STATUSES[(i % STATUSES.len() as u64) as usize];
    let created = 1_000 + i as i64;
    let answered = matches!(status, CallStatus::InProgress | CallStatus::Completed);
    CallRecord {
        sid: CallSid::from_bytes(sid_bytes(seed, 4, i)),
        account_sid: main_account_sid(seed),
        from: format!("+1666{i:07}"),
        to: "+15550000000".into(),
        status,
        direction: if matches!(i % 2, 0) {
            "inbound"
        } else {
            "outbound-api"
        }
        .into(),
        date_created: created,
        start_time: answered.then_some(created + 5),
        end_time: (!is_live(status)).then_some(created + 65),
        duration: (status == CallStatus::Completed).then_some(60),
        date_updated: created + 65,
        parent_call_sid: matches!(i % 3, 0).then(|| CallSid::from_bytes(sid_bytes(seed, 5, i))),
        phone_number_sid: Some(PhoneNumberSid::from_bytes(sid_bytes(seed, 2, i))),
    }
}

/// The child: write forever, acknowledging each write on stdout, until killed.
fn write_until_killed(dir: &Path, seed: u64) -> ! {
    let store = Store::open(dir).unwrap();
    let mut out = std::io::stdout().lock();
    let mut ack = |line: String| {
        // One write per line, so a kill never leaves half a line that looks acknowledged.
        out.write_all(format!("ACK {line}\n").as_bytes()).unwrap();
        out.flush().unwrap();
    };
    store.create_account(&main_account(seed, 0)).unwrap();
    ack("rotate 0".into());
    let mut next_call = 0u64;
    for i in 0.. {
        if i % 5 == 0 {
            store.create_account(&subaccount(seed, i)).unwrap();
            ack(format!("subaccount {i}"));
        }
        store.put_application(&application(seed, i)).unwrap();
        ack(format!("application {i}"));
        store.put_number(&number(seed, i)).unwrap();
        ack(format!("number {i}"));
        store.put_call_durable(&call(seed, next_call)).unwrap();
        ack(format!("call {next_call}"));
        next_call += 1;
        let first = next_call;
        for _ in 0..BACKGROUND_BATCH {
            store.put_call(call(seed, next_call));
            next_call += 1;
        }
        store.flush();
        for c in first..next_call {
            ack(format!("call {c}"));
        }
        store.update_account(&main_account(seed, i + 1)).unwrap();
        ack(format!("rotate {}", i + 1));
    }
    unreachable!("the loop only ends when the process is killed")
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    if let (Ok(dir), Ok(seed)) = (std::env::var(DIR_VAR), std::env::var(SEED_VAR)) {
        write_until_killed(Path::new(&dir), seed.parse().unwrap());
    }
    for round in 0..4 {
        kill_and_check(round);
    }
}

fn random() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(0);
    h.finish()
}

fn kill_and_check(round: u32) {
    let dir = tempfile::tempdir().unwrap();
    let seed = random();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "acknowledged_writes_survive_sigkill",
            "--nocapture",
        ])
        .env(DIR_VAR, dir.path())
        .env(SEED_VAR, seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (first_tx, first_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        let mut r = BufReader::new(stdout);
        let mut line = String::new();
        while r.read_line(&mut line).unwrap_or(0) > 0 {
            // libtest prints its own lines too; only whole `ACK` lines count.
            if let Some(l) = line.strip_prefix("ACK ").and_then(|l| l.strip_suffix('\n')) {
                if lines.is_empty() {
                    let _ = first_tx.send(());
                }
                lines.push(l.to_owned());
            }
            line.clear();
        }
        lines
    });
    // Wait until the child writes, then kill it somewhere in its next 20–400 ms.
    first_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the writer child never acknowledged a write");
    let delay = Duration::from_millis(20 + random() % 380);
    let started = Instant::now();
    std::thread::sleep(delay);
    child.kill().unwrap(); // SIGKILL on Unix: no destructor, no flush, no checkpoint.
    child.wait().unwrap();
    let acked = reader.join().unwrap();
    eprintln!(
        "round {round}: killed after {:?}, {} acknowledged writes",
        started.elapsed(),
        acked.len()
    );

    let store = Store::open(dir.path()).unwrap();
    let main = main_account_sid(seed);
    let mut rotated = 0;
    let mut acked_calls = Vec::new();
    for line in &acked {
        let (kind, i) = line.split_once(' ').unwrap();
        let i: u64 = i.parse().unwrap();
        match kind {
            "rotate" => rotated = i,
            "subaccount" => {
                let want = subaccount(seed, i);
                assert_eq!(store.account(want.sid).unwrap(), Some(want));
            }
            "application" => {
                let want = application(seed, i);
                assert_eq!(store.application(main, want.sid).unwrap(), Some(want));
            }
            "number" => {
                let want = number(seed, i);
                assert_eq!(
                    store.number_by_e164(&want.phone_number).unwrap(),
                    Some(want)
                );
            }
            "call" => {
                let want = call(seed, i);
                assert_eq!(store.call(main, want.sid).unwrap(), Some(want.clone()));
                acked_calls.push(want);
            }
            other => panic!("unexpected line {other:?}"),
        }
    }
    assert!(
        !acked_calls.is_empty(),
        "round {round}: no call acknowledged"
    );
    // A later rotation may have committed without its acknowledgement getting out, but
    // never an earlier one than acknowledged, and never a mix of two versions.
    let stored = store.account(main).unwrap().unwrap();
    let version: u64 = u64::from_str_radix(&stored.auth_token, 16).unwrap();
    assert!(
        version >= rotated,
        "rotation {rotated} acknowledged, {version} stored"
    );
    assert!(
        version <= rotated + 1,
        "rotation {version} was never written"
    );
    assert_eq!(stored, main_account(seed, version));

    let now = 9_999_999;
    let failed = store.fail_interrupted_calls(now).unwrap();
    let live = acked_calls.iter().filter(|c| is_live(c.status)).count();
    assert!(
        failed >= live,
        "{failed} calls failed, {live} acknowledged live"
    );
    for before in acked_calls {
        let after = store.call(main, before.sid).unwrap().unwrap();
        if is_live(before.status) {
            assert_eq!(after.status, CallStatus::Failed);
            assert_eq!(after.end_time, Some(now));
            let want = CallRecord {
                status: CallStatus::Failed,
                end_time: Some(now),
                date_updated: now,
                ..before
            };
            assert_eq!(after, want, "only the status and end time change");
        } else {
            assert_eq!(after, before);
        }
    }
}
