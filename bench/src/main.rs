//! `switchyard-bench`: benchmarks of a real node on loopback that print markdown tables.
//!
//! `foundation` measures the call rate (sipp callers against the node, and against a
//! sipp callee as the generator's own ceiling) and concurrent playing calls (RTP pacing
//! jitter seen by a receiver, next to an in-process reference pacer). `api` measures
//! the REST API's create-call acceptance next to its bare HTTP stack, and the outbound
//! queue's dequeue cost next to a `VecDeque`. `wasm` measures a call step of the Wasm
//! IVR in-process next to its webhook twins, instantiation alone, steps/s and cold start.
//! `events` measures publish → SSE latency, deliveries/s and memory per idle SSE
//! connection of the event router, with each broker, next to a bare axum SSE server.
//! `bridge` measures bridged calls (`<Dial>`): set-up rate and post-dial delay, and
//! concurrent calls relaying RTP both ways next to a minimal UDP relay.
//! `overload` measures the clean call rate with a Wasm app next to Kamailio's stateless
//! responder, and the goodput when offered 1×, 2× and 3× that rate.
//! `codec` measures G.711⇄Opus transcoding per core next to raw libopus.
//! `transcoder` measures a tenant Wasm transcoder's host overhead per 20 ms frame and
//! the memory of a live transcoder instance with 1,000 streams.
//! `mixer` measures conference mixing per leg (rooms of participants, all talking) next
//! to the same legs as two-party decoded bridges.
//!
//! `conference` measures concurrent conference legs through a node over real RTP, all
//! talking: loss, pacing jitter, CPU per leg and what each leg hears, next to rooms of 2.
//! `registrar` measures REGISTER transactions/s with digest auth and memory per binding.
//! `metering` measures what per-module metering costs: nodes with it on and off alternate
//! under the same call load.
//! `recordings` measures concurrent recordings written by the recorder taps, one worker
//! per core, every file checked for gaps, next to raw file writes.
//! `streams` measures concurrent bidirectional Media Streams: the node's latency RTP→WS
//! and WS→RTP and CPU per stream, next to a minimal bridge in the benchmark.

mod api;
mod bridge;
mod bridge_echo;
mod bridge_gen;
mod bridge_media;
mod bridge_probe;
mod bridge_rate;
mod bridge_relay;
mod bridge_report;
mod cli;
mod codec;
mod conference;
mod conference_report;
mod conference_rx;
mod events;
mod eventsreport;
mod eventsrv;
mod hook;
mod httpload;
mod ivrhook;
mod kamailio;
mod kstamp;
mod media;
mod metering;
mod mixbench;
mod node;
mod overload;
mod overload_report;
mod pacer;
mod procs;
mod qbench;
mod rate;
mod recordings;
mod registrar;
mod report;
mod rtprx;
mod rxset;
mod sseclient;
mod stats;
mod stepper;
mod streams;
mod streams_ws;
mod transcoder;
mod uac;
mod wasmapp;
mod wasmbench;
mod wasmreport;

use anyhow::Result;
use clap::Parser;
use cli::{
    ApiArgs, BridgeArgs, BrokerArg, Cli, Cmd, CodecArgs, ConferenceArgs, EventsArgs, Foundation,
    MeteringArgs, MixerArgs, OverloadArgs, RecordingsArgs, RegistrarArgs, StreamsArgs,
    TranscoderArgs, WasmArgs,
};
use std::time::Duration;

fn main() -> Result<()> {
    let _ = START_LOAD.set(load_average());
    match Cli::parse().command {
        Cmd::Foundation(args) => foundation(args.apply_quick()),
        Cmd::Api(args) => api_bench(args),
        Cmd::Wasm(args) => wasm_bench(args),
        Cmd::Events(args) => events_bench(args),
        Cmd::Bridge(args) => bridge_bench(args.apply_quick()),
        Cmd::Overload(args) => overload_bench(args),
        Cmd::Metering(args) => metering_bench(args),
        Cmd::Codec(args) => codec_bench(args),
        Cmd::Mixer(args) => mixer_bench(args),
        Cmd::Conference(args) => conference_bench(args),
        Cmd::Transcoder(args) => transcoder_bench(args),
        Cmd::Registrar(args) => registrar_bench(args),
        Cmd::Recordings(args) => recordings_bench(args),
        Cmd::Streams(args) => streams_bench(args),
        Cmd::EventsServer(args) => eventsrv::run(&args.config, args.mode),
    }
}

fn bridge_bench(args: BridgeArgs) -> Result<()> {
    if args.runs == 0
        || args.rate_secs == 0
        || args.setup_rate == 0
        || args.rates.contains(&0)
        || args.calls.contains(&0)
        || !(args.window_secs > 0.0 && args.settle_secs >= 0.0)
    {
        anyhow::bail!(
            "runs, rates, calls, --rate-secs, --setup-rate and --window-secs must be positive"
        );
    }
    raise_fd_limit();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let plan = bridge::Plan {
        runs: args.runs,
        rate: bridge_rate::Plan {
            rates: args.rates.clone(),
            secs: args.rate_secs,
            hold_ms: args.hold_ms,
        },
        calls: args.calls.clone(),
        setup_rate: args.setup_rate,
        settle: Duration::from_secs_f64(args.settle_secs),
        window: Duration::from_secs_f64(args.window_secs),
        echo: args.echo,
        relay_workers: args.relay_workers.unwrap_or(cores),
        jitter_limit_ms: args.jitter_limit_ms,
        break_loss_pct: args.break_loss_pct,
        break_jitter_ms: args.break_jitter_ms,
        skip_rate: args.skip_rate,
        skip_media: args.skip_media,
        work_dir: args.work_dir.clone(),
    };
    let runs = bridge::run(&plan, procs::clock_ticks())?;
    let table = bridge_report::table(&plan, &runs);
    println!("{table}");
    let body = format!("{}\n{}\n{table}", preamble(), bridge_report::notes(&plan));
    args.out.write(bridge::HEADING, &body)
}

fn metering_bench(args: MeteringArgs) -> Result<()> {
    raise_fd_limit();
    let work = tempfile::tempdir()?;
    let plan = metering::Plan {
        pairs: args.pairs,
        rate: args.rate,
        secs: args.secs,
        app: wasmbench::component_path("hello", args.app.as_deref())?,
        work: work.path().to_path_buf(),
    };
    let pairs = metering::run(&plan)?;
    let table = metering::table(&pairs);
    println!("{table}");
    let body = format!("{}\n{}\n{table}", preamble(), metering::notes(&plan));
    args.out.write(metering::HEADING, &body)
}

fn overload_bench(args: OverloadArgs) -> Result<()> {
    if args.runs == 0 || args.secs == 0 || args.rates.contains(&0) || args.multiples.contains(&0) {
        anyhow::bail!("runs, --secs, rates and multiples must be positive");
    }
    raise_fd_limit();
    let app = wasmbench::component_path("hello", args.app.as_deref())?;
    let tmp = tempfile::tempdir()?;
    let work = args
        .work_dir
        .clone()
        .unwrap_or_else(|| tmp.path().to_path_buf());
    let kamailio = (!args.no_kamailio).then(|| args.kamailio.clone());
    let version = kamailio
        .as_deref()
        .map_or("no Kamailio".into(), kamailio::version);
    let plan = overload::Plan {
        runs: args.runs,
        rates: args.rates.clone(),
        secs: args.secs,
        multiples: args.multiples.clone(),
        kamailio_rates: args.kamailio_rates.clone(),
        kamailio,
        kamailio_children: args.kamailio_children,
        app,
        work,
    };
    let runs = overload::run(&plan)?;
    let out = format!(
        "\n### Clean capacity\n\n{}\n### Goodput under overload\n\n{}\n{}",
        overload_report::capacity_table(&plan, &runs),
        overload_report::goodput_table(&plan, &runs),
        overload_report::headline(&plan, &runs)
    );
    println!("{out}");
    let body = format!(
        "{}\n{}{out}",
        preamble(),
        overload_report::notes(&plan, &version)
    );
    args.out.write(overload::HEADING, &body)
}

fn events_bench(args: EventsArgs) -> Result<()> {
    if args.lat_accounts == 0
        || args.lat_subs == 0
        || args.tput_subs == 0
        || args.idle_accounts == 0
        || args.client_threads == 0
        || args.lat_rate.is_nan()
        || args.lat_rate <= 0.0
        || args.tput_rates.iter().any(|r| r.is_nan() || *r <= 0.0)
    {
        anyhow::bail!("counts and rates must be positive");
    }
    raise_fd_limit();
    let brokers = match args.broker {
        BrokerArg::Local => vec![events::Broker::Local],
        BrokerArg::Nats => vec![events::Broker::Nats],
        BrokerArg::Both => vec![events::Broker::Local, events::Broker::Nats],
    };
    let plan = events::Plan {
        brokers,
        lat_accounts: args.lat_accounts,
        lat_subs: args.lat_subs,
        lat_rate: args.lat_rate,
        lat_secs: args.lat_secs,
        call_subs: args.call_subs,
        tput_subs: args.tput_subs,
        tput_rates: args.tput_rates.clone(),
        tput_secs: args.tput_secs,
        tput_p99_limit_ms: args.tput_p99_limit_ms,
        idle_conns: args.idle_conns,
        idle_accounts: args.idle_accounts,
        client_threads: args.client_threads,
        subscriber_queue: args.subscriber_queue,
        retention_events: args.retention_events,
        nats_server: args.nats_server.clone(),
    };
    let results = events::run(&plan)?;
    let tables = eventsreport::tables(&plan, &results);
    println!("{tables}");
    let body = format!(
        "{}\n{}\n{tables}",
        preamble_for(
            "cargo run --release -p switchyard-bench --",
            "the node (child process), its clients and nats-server all on the same cores, over loopback"
        ),
        eventsreport::notes(&plan)
    );
    args.out.write(events::HEADING, &body)
}

fn codec_bench(args: CodecArgs) -> Result<()> {
    if args.runs == 0 || !args.secs.is_finite() || args.secs <= 0.0 {
        anyhow::bail!("--runs and --secs must be positive");
    }
    let runs = codec::run(args.runs, Duration::from_secs_f64(args.secs))?;
    let table = codec::table(&runs);
    println!("{table}");
    let body = format!(
        "{}\n{}\n\n{table}",
        preamble_for(
            "cargo run --release -p switchyard-bench --",
            "one thread of the benchmark, no node"
        ),
        codec::NOTES
    );
    args.out.write(codec::HEADING, &body)
}

fn recordings_bench(args: RecordingsArgs) -> Result<()> {
    if args.runs == 0 || args.count == 0 || !args.secs.is_finite() || args.secs <= 0.0 {
        anyhow::bail!("--runs, --count and --secs must be positive");
    }
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut runs: Vec<(recordings::Case, Vec<recordings::CaseRun>)> = recordings::Case::ALL
        .iter()
        .map(|c| (*c, Vec::new()))
        .collect();
    for run in 0..args.runs {
        // The cases alternate within each run, so load changes hit them alike.
        for (case, results) in &mut runs {
            eprintln!("run {}: {case:?}", run + 1);
            results.push(recordings::run_case(*case, args.count, workers, args.secs)?);
        }
    }
    let table = recordings::table(args.count, &runs);
    println!("{table}");
    let body = format!(
        "{}\n{}\n\n{table}",
        preamble_for(
            "cargo run --release -p switchyard-bench --",
            "the benchmark alone, no node"
        ),
        recordings::NOTES
    );
    args.out.write(recordings::HEADING, &body)
}

fn mixer_bench(args: MixerArgs) -> Result<()> {
    if args.runs == 0
        || args.rooms == 0
        || args.size < 2
        || !args.secs.is_finite()
        || args.secs <= 0.0
    {
        anyhow::bail!("--runs and --rooms must be positive, --size at least 2, --secs > 0");
    }
    let secs = Duration::from_secs_f64(args.secs);
    let runs = mixbench::run(args.runs, args.rooms, args.size, secs)?;
    let table = mixbench::table(&runs, args.rooms, args.size);
    println!("{table}");
    let body = format!(
        "{}\n{}\n\n{table}",
        preamble_for(
            "cargo run --release -p switchyard-bench --",
            "one thread of the benchmark, no node"
        ),
        mixbench::NOTES
    );
    args.out.write(mixbench::HEADING, &body)
}

fn conference_bench(args: ConferenceArgs) -> Result<()> {
    if args.runs == 0
        || args.setup_rate == 0
        || args.legs.contains(&0)
        || !(2..=conference_rx::MAX_ROOM).contains(&args.room_size)
        || !(args.window_secs >= 1.0 && args.settle_secs >= 0.0)
    {
        anyhow::bail!(
            "--runs, --legs and --setup-rate must be positive, --room-size 2 to {}, \
             --window-secs at least 1",
            conference_rx::MAX_ROOM
        );
    }
    raise_fd_limit();
    let plan = conference::Plan {
        runs: args.runs,
        legs: args.legs.clone(),
        room_size: args.room_size,
        setup_rate: args.setup_rate,
        settle: Duration::from_secs_f64(args.settle_secs),
        window: Duration::from_secs_f64(args.window_secs),
        checked: args.checked,
        jitter_limit_ms: args.jitter_limit_ms,
        break_loss_pct: args.break_loss_pct,
        break_jitter_ms: args.break_jitter_ms,
    };
    let runs = conference::run(&plan, procs::clock_ticks())?;
    let table = conference_report::table(&plan, &runs);
    let body = format!(
        "{}\n{}\n{table}",
        preamble(),
        conference_report::notes(&plan)
    );
    println!("{body}");
    args.out.write(conference::HEADING, &body)
}

fn wasm_bench(args: WasmArgs) -> Result<()> {
    if args.steps == 0 || args.rounds == 0 || args.tasks.contains(&0) {
        anyhow::bail!("--steps, --rounds and every --tasks value must be positive");
    }
    let plan = wasmbench::Plan {
        ivr: args.ivr.clone(),
        steps: args.steps,
        warmup: args.warmup,
        bound_secs: args.bound_secs,
        tasks: args.tasks.clone(),
        tput_secs: args.tput_secs,
        rounds: args.rounds,
    };
    let results = wasmbench::run(&plan)?;
    let tables = wasmreport::tables(&results);
    println!("{tables}");
    let body = format!(
        "{}
{}
{tables}",
        preamble_for(
            "scripts/build-wasm && cargo run --release -p switchyard-bench --",
            "the benchmark, the Python twin and the Rust webhook all on the same cores, over loopback"
        ),
        wasmreport::notes(args.steps, args.warmup, args.tput_secs)
    );
    args.out.write(wasmbench::HEADING, &body)
}

fn streams_bench(args: StreamsArgs) -> Result<()> {
    if args.runs == 0
        || args.setup_rate == 0
        || args.streams.contains(&0)
        || !(args.window_secs > 0.0 && args.settle_secs >= 0.0)
    {
        anyhow::bail!("runs, streams, --setup-rate and --window-secs must be positive");
    }
    raise_fd_limit();
    let plan = streams::Plan {
        runs: args.runs,
        streams: args.streams.clone(),
        setup_rate: args.setup_rate,
        settle: Duration::from_secs_f64(args.settle_secs),
        window: Duration::from_secs_f64(args.window_secs),
        workers: args.workers,
    };
    let runs = streams::run(&plan, procs::clock_ticks())?;
    let table = streams::table(&plan, &runs);
    println!("{table}");
    let body = format!("{}\n{}\n{table}", preamble(), streams::notes(&plan));
    args.out.write(streams::HEADING, &body)
}

fn registrar_bench(args: RegistrarArgs) -> Result<()> {
    if args.runs == 0 || args.users == 0 || args.rate == 0 || args.registrations == 0 {
        anyhow::bail!("--runs, --registrations, --users and --rate must be positive");
    }
    let sipp_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sipp");
    let mut runs = Vec::new();
    for i in 0..args.runs {
        let r = registrar::run(args.registrations, args.users, args.rate, &sipp_dir)?;
        eprintln!("run {}: {r:?}", i + 1);
        runs.push(r);
    }
    let body = registrar::report(args.registrations, args.users, args.rate, &runs);
    print!("{body}");
    args.out.write(registrar::HEADING, &body)
}

fn transcoder_bench(args: TranscoderArgs) -> Result<()> {
    if args.runs == 0 || args.streams == 0 || args.rounds == 0 {
        anyhow::bail!("--runs, --streams and --rounds must be positive");
    }
    let guests = ["tc-null", "tc-passthrough", "agc"]
        .into_iter()
        .map(|name| {
            let file = name.replace('-', "_");
            let path = match &args.components {
                Some(dir) => {
                    wasmbench::component_path(&file, Some(&dir.join(format!("{file}.wasm"))))
                }
                None => wasmbench::component_path(&file, None),
            }?;
            Ok((name.to_owned(), path))
        })
        .collect::<Result<Vec<_>>>()?;
    let plan = transcoder::Plan {
        runs: args.runs,
        streams: args.streams,
        rounds: args.rounds,
        guests,
    };
    let samples = transcoder::run(&plan)?;
    let table = transcoder::table(&plan, &samples);
    println!("{table}");
    let body = format!(
        "{}\n{}\n{table}",
        preamble_for(
            "scripts/build-wasm && cargo run --release -p switchyard-bench --",
            "one thread of the benchmark process, nothing else of Switchyard running"
        ),
        transcoder::notes(&plan)
    );
    args.out.write(transcoder::HEADING, &body)
}

fn api_bench(args: ApiArgs) -> Result<()> {
    if args.clients == 0 || args.items == 0 || args.accounts.contains(&0) {
        anyhow::bail!("--clients, --items and every --accounts value must be positive");
    }
    let plan = api::Plan {
        clients: args.clients,
        secs: args.secs,
        items: args.items,
        accounts: args.accounts.clone(),
        batch: args.batch,
    };
    let tables = api::run(&plan)?;
    let body = format!("{}\n{tables}", preamble());
    args.out.write(api::HEADING, &body)
}

fn foundation(args: Foundation) -> Result<()> {
    raise_fd_limit();
    let ticks = procs::clock_ticks();
    let hook = hook::Webhook::start(args.play_secs)?;
    let work = tempfile::tempdir()?;
    let mut out = String::new();

    if !args.skip_rate {
        let table = call_rate(&args, &hook, work.path())?;
        println!("### Call rate\n\n{table}");
        out.push_str(&format!("### Call rate\n\n{}\n", rate_notes(&args)));
        out.push_str(&table);
    }
    if !args.skip_media {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name(media::RX_THREADS)
            .build()?;
        let pacer_rt = pacer::runtime(2)?;
        let table = rt.block_on(concurrent_media(&args, &hook, &pacer_rt, ticks))?;
        pacer_rt.shutdown_timeout(Duration::from_secs(2));
        println!("### Concurrent playing calls\n\n{table}");
        out.push_str(&format!(
            "\n### Concurrent playing calls\n\n{}\n",
            media_notes(&args)
        ));
        out.push_str(&table);
    }
    let body = format!("{}\n{out}", preamble());
    args.out.write(report::HEADING, &body)
}

fn call_rate(args: &Foundation, hook: &hook::Webhook, work: &std::path::Path) -> Result<String> {
    let say = format!("{}{}", hook.base_url(), hook::SAY_PATH);
    let mut node = node::Node::start(&say, media::NODE_RTP)?;
    // One call first, so that every measured call hits the node's cache for the Say.
    let warm = rate::run_step(node.sip(), node::NUMBER, 1, 1, work)?;
    eprintln!(
        "warm-up call: {} ok, {} failed",
        warm.successful, warm.failed
    );
    let mut node_steps = Vec::new();
    for &r in &args.rates {
        let s = rate::run_step(node.sip(), node::NUMBER, r, args.rate_secs, work)?;
        eprintln!("node {r}/s: {s:?}");
        let failed = !report::clean(&s, u64::from(r) * u64::from(args.rate_secs));
        node_steps.push(s);
        if failed || !node.alive() {
            let (n, first) = node.warnings(5);
            eprintln!("node WARN/ERROR lines: {n}\n{}", first.join("\n"));
            break;
        }
    }
    let (warn_count, warn_lines) = node.warnings(3);
    drop(node);
    let callee = rate::ReferenceCallee::start(Duration::from_secs(
        (u64::from(args.rate_secs) + 50) * node_steps.len() as u64 + 30,
    ))?;
    let mut ref_steps = Vec::new();
    for s in &node_steps {
        let r = rate::run_step(callee.addr(), node::NUMBER, s.offered, args.rate_secs, work)?;
        eprintln!("sipp {}/s: {r:?}", s.offered);
        ref_steps.push(r);
    }
    let mut table = report::rate_table(&node_steps, &ref_steps, args.rate_secs);
    let evidence: Vec<String> = node_steps
        .iter()
        .chain(&ref_steps)
        .filter(|s| !s.errors.is_empty())
        .take(2)
        .flat_map(|s| s.errors.iter().take(3).cloned())
        .collect();
    if !evidence.is_empty() {
        table.push_str("\nFirst sipp error-log lines:\n\n```\n");
        table.push_str(&evidence.join("\n"));
        table.push_str("\n```\n");
    }
    if warn_count > 0 {
        table.push_str(&format!(
            "\nNode stderr had {warn_count} WARN/ERROR lines, e.g.:\n\n```\n{}\n```\n",
            warn_lines.join("\n")
        ));
    }
    Ok(table)
}

async fn concurrent_media(
    args: &Foundation,
    hook: &hook::Webhook,
    pacer_rt: &tokio::runtime::Runtime,
    ticks: u64,
) -> Result<String> {
    let play = format!("{}{}", hook.base_url(), hook::PLAY_PATH);
    let mut node_steps = Vec::new();
    let mut ref_steps = Vec::new();
    for &calls in &args.calls {
        let plan = media::Plan {
            calls,
            setup_rate: args.setup_rate,
            settle: Duration::from_secs(1),
            window: Duration::from_secs(args.window_secs),
            sweep: (args.rx_sweep_ms > 0).then(|| Duration::from_millis(args.rx_sweep_ms)),
        };
        let ramp = calls as f64 / f64::from(args.setup_rate);
        if ramp + 1.0 + args.window_secs as f64 > f64::from(args.play_secs) - 2.0 {
            eprintln!("warning: {calls} calls at {}/s take {ramp:.1} s to set up: the first calls end before the window does", args.setup_rate);
        }
        let n = media::node_step(&play, plan, ticks).await?;
        eprintln!("node {calls} calls: {n:?}");
        let r = media::reference_step(plan, pacer_rt, ticks).await?;
        eprintln!("pacer {calls} streams: {r:?}");
        node_steps.push(n);
        ref_steps.push(r);
    }
    let mut t = report::media_table(&node_steps, &ref_steps, args.jitter_limit_ms);
    t.push_str(&format!(
        "\nThe WAV was fetched {} time(s) by {} webhook requests in all (the node caches it).\n",
        hook.wav_hits(),
        hook.hits()
    ));
    Ok(t)
}

fn rate_notes(args: &Foundation) -> String {
    format!(
        "sipp 3.6.1 (`tests/sipp/uac_bench.xml`: INVITE, 200, ACK, waits for the node's BYE, \
         200) for {} s per step at each offered rate; the number's webhook (an axum server in \
         the benchmark) answers `<Say>Hello</Say><Hangup/>`, cached by the node after a \
         warm-up call. INVITE→200 is sipp's response time (`-trace_rtt`, 1 ms resolution); \
         achieved = answered calls per second between the first and last 200. Reference: \
         the same sipp caller against a sipp callee (`bench/sipp/uas_bye.xml`: 200, ACK, \
         BYE at once) at the same rates. The ramp stops after the first step with a failed call.\n",
        args.rate_secs
    )
}

fn media_notes(args: &Foundation) -> String {
    format!(
        "Calls set up at {}/s by the benchmark's Rust caller; the webhook answers \
         `<Play>` of a {} s 440 Hz WAV (served by the benchmark) then `<Hangup/>`. Once all \
         calls are up (+1 s) every packet is timed for {} s on its own UDP socket; jitter = \
         |interarrival − 20 ms × sequence step| per packet; loss = 1 − received / (window ÷ \
         20 ms × calls). Jitter is computed from kernel receive timestamps (`SO_TIMESTAMPNS`, \
         read with `recvmsg`), so the receiver's own scheduling delay is left out; the \
         user-space p99 (time the receiving task read the packet) is shown beside it. \
         Receivers: {}. A fresh node per step; CPU from /proc/PID/stat over the window \
         (receiver CPU: the benchmark's `bench` runtime threads), RSS growth over the idle \
         node. Reference: the same receiver fed by one tokio task per stream in the \
         benchmark process (own 2-thread runtime).\n",
        args.setup_rate,
        args.play_secs,
        args.window_secs,
        if args.rx_sweep_ms > 0 {
            format!(
                "one task draining every socket each {} ms (its user-space times are late \
                 by design)",
                args.rx_sweep_ms
            )
        } else {
            "one tokio task per stream, woken by each packet".to_string()
        }
    )
}

/// The load averages when the benchmark started.
static START_LOAD: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// The three load averages of `/proc/loadavg`, space-separated.
fn load_average() -> String {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    load.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn preamble() -> String {
    preamble_for(
        "cargo build --release -p switchyard-node -p switchyard-bench && \
         cargo run --release -p switchyard-bench --",
        "node, sipp and the benchmark all on the same cores, over loopback",
    )
}

/// The run's command (`command` then this run's arguments), machine, load averages and
/// `setting` (what shared the cores).
fn preamble_for(command: &str, setting: &str) -> String {
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    // Other work on the shared cores moves every figure; record how busy they were.
    let start = START_LOAD.get().cloned().unwrap_or_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!(
        "Command: `{command} {}`\n\n\
         Run {}, {cores} cores ({cpu}), shared with other work (load average at the start: \
         {start}; at the end: {}); {setting}.\n",
        args.join(" "),
        date.trim(),
        load_average()
    )
}

/// Each call holds two UDP sockets on each side; raise the open-file limit (inherited by
/// the node and sipp) as far as allowed.
fn raise_fd_limit() {
    const WANT: u64 = 65_536;
    if rlimit::setrlimit(rlimit::Resource::NOFILE, WANT, WANT).is_err() {
        let _ = rlimit::increase_nofile_limit(WANT);
    }
    if let Ok((soft, _)) = rlimit::getrlimit(rlimit::Resource::NOFILE) {
        eprintln!("open files limit: {soft}");
    }
}
