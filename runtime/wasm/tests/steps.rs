//! Running call steps: verbs out, budgets enforced, failures contained.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use switchyard_instructions::{GatherChild, GatherInput, HttpMethod, Verb};
use switchyard_wasm::{Level, MemorySessionStore, StepError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn ok_returns_say_and_gather_and_keeps_session_across_steps() {
    let host = shared_host();
    let app = app("ok", limits(50, 1000));
    let session = Arc::new(MemorySessionStore::default());
    let log = Arc::new(RecordingLog::default());

    let first = host
        .handle(
            &app,
            request("CA1", "/"),
            ctx("CA1", session.clone(), log.clone()),
        )
        .await
        .unwrap();
    assert_eq!(first.len(), 2, "{first:?}");
    let Verb::Say(say) = &first[0] else {
        panic!("{first:?}")
    };
    assert_eq!(say.text, "Hello +15550001, visit 1");
    assert_eq!(say.voice, "alice");
    let Verb::Gather(gather) = &first[1] else {
        panic!("{first:?}")
    };
    assert_eq!(gather.action.as_deref(), Some("/menu"));
    assert_eq!(gather.method, HttpMethod::Post);
    assert_eq!(gather.timeout, 7);
    assert_eq!(gather.num_digits, Some(1));
    assert_eq!(gather.finish_on_key, Some('#'));
    assert_eq!(gather.input, vec![GatherInput::Dtmf]);
    assert!(matches!(&gather.children[..], [GatherChild::Say(s)] if s.text == "Press one"));

    // Same conversation scope, new call: the counter persisted.
    let second = host
        .handle(
            &app,
            request("CA2", "/"),
            ctx("CA2", session.clone(), log.clone()),
        )
        .await
        .unwrap();
    let Verb::Say(say) = &second[0] else {
        panic!("{second:?}")
    };
    assert_eq!(say.text, "Hello +15550001, visit 2");

    let lines = log.lines();
    assert!(lines.contains(&(
        "test-app".into(),
        "CA2".into(),
        Level::Info,
        "visit 2 from +15550001".into()
    )));
}

#[tokio::test]
async fn app_error_is_the_guests_own() {
    let (ctx, _log) = simple_ctx("CA3");
    let err = shared_host()
        .handle(&app("ok", limits(50, 1000)), request("CA3", "/fail"), ctx)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StepError::App {
            code: 12345,
            message: "asked to fail".into()
        }
    );
    assert_eq!(err.code(), 12345);
}

#[tokio::test]
async fn looper_is_stopped_by_the_cpu_budget() {
    let app = app("looper", limits(30, 5000));
    let (ctx, _log) = simple_ctx("CA4");
    let start = Instant::now();
    let err = shared_host()
        .handle(&app, request("CA4", "/"), ctx)
        .await
        .unwrap_err();
    let took = start.elapsed();
    println!("looper stopped after {took:?} (cpu budget 30 ms)");
    assert_eq!(err, StepError::CpuBudget);
    assert_eq!(err.code(), 11205);
    assert!(took >= Duration::from_millis(29), "{took:?}");
    // Budget plus a few ticks (and instantiation) on a shared 2-core machine.
    assert!(took < Duration::from_millis(30 + 40), "{took:?}");
}

#[tokio::test]
async fn grower_hits_the_memory_limit() {
    let (ctx, _log) = simple_ctx("CA5");
    let app = app("grower", limits(2000, 5000));
    let start = Instant::now();
    let err = shared_host()
        .handle(&app, request("CA5", "/"), ctx)
        .await
        .unwrap_err();
    println!("grower stopped after {:?}", start.elapsed());
    assert_eq!(err, StepError::Memory);
}

#[tokio::test]
async fn recurser_traps() {
    let (ctx, _log) = simple_ctx("CA6");
    let err = shared_host()
        .handle(
            &app("recurser", limits(1000, 5000)),
            request("CA6", "/"),
            ctx,
        )
        .await
        .unwrap_err();
    let StepError::Trap(msg) = &err else {
        panic!("{err:?}")
    };
    // Rust keeps its frames' data on a shadow stack at the bottom of linear
    // memory: overflowing it runs below address 0 (out of bounds) before the
    // engine's own stack limit (stack overflow) is reached. Either is this trap.
    assert!(
        msg.contains("out of bounds memory access") || msg.contains("stack overflow"),
        "{msg}"
    );
}

#[tokio::test]
async fn panicker_traps_and_its_message_reaches_the_log() {
    let (ctx, log) = simple_ctx("CA7");
    let err = shared_host()
        .handle(&app("panicker", limits(50, 1000)), request("CA7", "/"), ctx)
        .await
        .unwrap_err();
    assert!(matches!(err, StepError::Trap(_)), "{err:?}");
    assert_eq!(err.code(), 11200);
    let lines = log.lines();
    assert!(
        lines.iter().any(|(_, call, level, m)| call == "CA7"
            && *level == Level::Warn
            && m.contains("guest gave up on CA7")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn flood_of_verbs_is_too_large() {
    let (ctx, _log) = simple_ctx("CA8");
    let err = shared_host()
        .handle(&app("flood", limits(1000, 5000)), request("CA8", "/"), ctx)
        .await
        .unwrap_err();
    assert_eq!(err, StepError::TooLarge);
}

/// An HTTP/1.1 server on 127.0.0.1 answering `body` to every request, or
/// never answering when `body` is `None`.
async fn server(body: Option<&'static str>) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                match body {
                    Some(body) => {
                        let resp = format!(
                            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = sock.write_all(resp.as_bytes()).await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(30)).await,
                }
            });
        }
    });
    addr
}

async fn fetch_says(url: String, allow: Vec<String>, wall_ms: u64) -> Result<String, StepError> {
    let app = app(
        "fetcher",
        switchyard_wasm::AppLimits {
            http_allow: allow,
            ..limits(50, wall_ms)
        },
    );
    let (ctx, _log) = simple_ctx("CA9");
    let mut req = request("CA9", "/");
    req.params.push(("Url".into(), url));
    let start = Instant::now();
    let verbs = shared_host().handle(&app, req, ctx).await;
    println!("fetch step took {:?}", start.elapsed());
    let verbs = verbs?;
    let [Verb::Say(say)] = &verbs[..] else {
        panic!("{verbs:?}")
    };
    Ok(say.text.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetcher_reaches_allowed_hosts_only() {
    let addr = server(Some("hello")).await;
    let allow = vec![addr.to_string()];
    let said = fetch_says(format!("http://{addr}/x"), allow.clone(), 2000)
        .await
        .unwrap();
    assert_eq!(said, "200 hello");
    let said = fetch_says("http://evil.example/steal".into(), allow.clone(), 2000)
        .await
        .unwrap();
    assert_eq!(
        said,
        "error: host evil.example is not in this app's allow-list"
    );
    // Same host, other port: not allowed either.
    let other = server(Some("nope")).await;
    let said = fetch_says(format!("http://{other}/"), allow, 2000)
        .await
        .unwrap();
    assert!(said.starts_with("error: host 127.0.0.1"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_http_is_bounded_by_the_wall_budget_not_charged_as_cpu() {
    let addr = server(None).await;
    // The guest waits on HTTP far longer than its 50 ms CPU budget: the fetch
    // times out at the wall deadline and either the guest reports the error or
    // the step times out; never a CPU-budget kill.
    let start = Instant::now();
    let result = fetch_says(format!("http://{addr}/"), vec![addr.to_string()], 300).await;
    let took = start.elapsed();
    println!("slow fetch ended after {took:?}: {result:?}");
    // `took` includes loading the app (and a no-op cargo build of the guest).
    assert!(took >= Duration::from_millis(300), "{took:?}");
    match result {
        Err(StepError::WallTimeout) => {}
        Ok(said) => assert!(said.starts_with("error:"), "{said}"),
        Err(other) => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_ok_steps_complete_while_a_looper_spins() {
    let host = shared_host().clone();
    let ok = app("ok", limits(1000, 5000));
    let looper = app("looper", limits(500, 5000));
    let spinning = {
        let host = host.clone();
        tokio::spawn(async move {
            let (ctx, _log) = simple_ctx("CA-loop");
            host.handle(&looper, request("CA-loop", "/"), ctx).await
        })
    };
    // Let the looper get going first.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let start = Instant::now();
    let steps: Vec<_> = (0..20)
        .map(|i| {
            let host = host.clone();
            let ok = ok.clone();
            tokio::spawn(async move {
                let call = format!("CA-ok-{i}");
                let (ctx, _log) = simple_ctx(&call);
                host.handle(&ok, request(&call, "/"), ctx).await
            })
        })
        .collect();
    for step in steps {
        let verbs = step.await.unwrap().unwrap();
        assert_eq!(verbs.len(), 2);
    }
    let ok_took = start.elapsed();
    println!("20 ok steps took {ok_took:?} beside a looper");
    assert!(
        !spinning.is_finished(),
        "the looper should still be spinning"
    );
    assert_eq!(spinning.await.unwrap().unwrap_err(), StepError::CpuBudget);
}

/// A component of the instruction-handler world (built with the SDK's `export_handler!`)
/// answers with Media Streams steps next to verbs; the `ok` guest above, of the
/// call-handler world, runs beside it unchanged.
#[tokio::test]
async fn an_sdk_app_starts_stops_and_connects_streams() {
    use switchyard_instructions::StreamTrack;
    let host = shared_host();
    let app = host
        .compile(&workspace_guest("streamer"), limits(50, 1000))
        .unwrap();
    let session = Arc::new(MemorySessionStore::default());
    let log = Arc::new(RecordingLog::default());
    let fork = host
        .handle(
            &app,
            request("CA1", "/fork/127.0.0.1:9"),
            ctx("CA1", session.clone(), log.clone()),
        )
        .await
        .unwrap();
    let names: Vec<&str> = fork.iter().map(Verb::name).collect();
    assert_eq!(names, ["Start", "Say", "Pause", "Stop", "Pause", "Hangup"]);
    let Verb::Start(start) = &fork[0] else {
        panic!("{fork:?}")
    };
    assert_eq!(start.stream.url, "ws://127.0.0.1:9/wasm");
    assert_eq!(start.stream.name.as_deref(), Some("wasm-fork"));
    assert_eq!(start.stream.track, StreamTrack::Both);
    assert_eq!(start.stream.parameters[0].name, "app");
    assert_eq!(start.stream.parameters[0].value, "streamer");
    let Verb::Stop(stop) = &fork[3] else {
        panic!("{fork:?}")
    };
    assert_eq!(stop.name, "wasm-fork");

    let connect = host
        .handle(
            &app,
            request("CA1", "/connect/127.0.0.1:9"),
            ctx("CA1", session, log),
        )
        .await
        .unwrap();
    let [Verb::Connect(c)] = &connect[..] else {
        panic!("{connect:?}")
    };
    assert_eq!(c.action.as_deref(), Some("/after"));
    assert_eq!(c.stream.url, "ws://127.0.0.1:9/wasm-bot");
    assert_eq!(c.stream.track, StreamTrack::Inbound);
}
