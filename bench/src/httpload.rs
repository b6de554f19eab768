//! A closed-loop HTTP load: N clients on keep-alive connections, each sending its next
//! request as soon as the previous answer arrived, for a fixed time.

use crate::stats::percentile;
use reqwest::{Client, RequestBuilder, StatusCode};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Builds one request of the load on the shared client.
pub type MakeRequest = Arc<dyn Fn(&Client) -> RequestBuilder + Send + Sync>;

/// What one load run got back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadResult {
    /// Concurrent clients.
    pub clients: usize,
    /// Answers with the expected status.
    pub accepted: u64,
    /// Answers with another status.
    pub other_status: u64,
    /// Requests that got no answer (connection or timeout errors).
    pub errors: u64,
    /// From the first request sent to the last answer received, seconds.
    pub secs: f64,
    /// Latency of the accepted requests (send → full body), p50 and p99, µs.
    pub latency_us: [Option<u32>; 2],
    /// The first unexpected status or error, for the report.
    pub first_problem: Option<String>,
}

impl LoadResult {
    /// Accepted answers per second.
    pub fn rate(&self) -> f64 {
        if self.secs > 0.0 {
            self.accepted as f64 / self.secs
        } else {
            0.0
        }
    }
}

#[derive(Default)]
struct ClientTally {
    accepted: u64,
    other_status: u64,
    errors: u64,
    latency_us: Vec<u32>,
    first_problem: Option<String>,
}

/// Runs `clients` loops of `make` for `length`, counting answers with status `expect`.
pub async fn run(
    client: &Client,
    make: MakeRequest,
    clients: usize,
    length: Duration,
    expect: StatusCode,
) -> LoadResult {
    let start = Instant::now();
    let until = start + length;
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let client = client.clone();
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            let mut t = ClientTally::default();
            while Instant::now() < until {
                let sent = Instant::now();
                let outcome = match make(&client).send().await {
                    Ok(resp) => {
                        let status = resp.status();
                        // The body is part of the answer: a keep-alive connection is
                        // only reusable once it has been read.
                        resp.bytes().await.map(|_| status)
                    }
                    Err(e) => Err(e),
                };
                match outcome {
                    Ok(status) if status == expect => {
                        t.accepted += 1;
                        let us = sent.elapsed().as_micros();
                        t.latency_us.push(us.min(u128::from(u32::MAX)) as u32);
                    }
                    Ok(status) => {
                        t.other_status += 1;
                        t.first_problem
                            .get_or_insert_with(|| format!("status {status}"));
                    }
                    Err(e) => {
                        t.errors += 1;
                        t.first_problem.get_or_insert_with(|| format!("{e}"));
                    }
                }
            }
            t
        }));
    }
    let mut all = ClientTally::default();
    for task in tasks {
        let Ok(t) = task.await else {
            all.errors += 1;
            continue;
        };
        all.accepted += t.accepted;
        all.other_status += t.other_status;
        all.errors += t.errors;
        all.latency_us.extend(t.latency_us);
        if all.first_problem.is_none() {
            all.first_problem = t.first_problem;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    all.latency_us.sort_unstable();
    LoadResult {
        clients,
        accepted: all.accepted,
        other_status: all.other_status,
        errors: all.errors,
        secs,
        latency_us: [
            percentile(&all.latency_us, 50.0),
            percentile(&all.latency_us, 99.0),
        ],
        first_problem: all.first_problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{routing::get, Router};

    #[tokio::test]
    async fn counts_expected_and_unexpected_answers() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/ok", get(|| async { "ok" }))
            .route("/teapot", get(|| async { StatusCode::IM_A_TEAPOT }));
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let client = Client::new();
        let ok: MakeRequest = Arc::new(move |c: &Client| c.get(format!("http://{addr}/ok")));
        let r = run(&client, ok, 3, Duration::from_millis(200), StatusCode::OK).await;
        assert!(r.accepted > 0);
        assert_eq!((r.other_status, r.errors, r.clients), (0, 0, 3));
        assert!(r.latency_us[0] <= r.latency_us[1]);
        assert!(r.rate() > 0.0);
        let tea: MakeRequest = Arc::new(move |c: &Client| c.get(format!("http://{addr}/teapot")));
        let r = run(&client, tea, 2, Duration::from_millis(100), StatusCode::OK).await;
        assert_eq!(r.accepted, 0);
        assert!(r.other_status > 0);
        assert_eq!(r.first_problem.as_deref(), Some("status 418 I'm a teapot"));
        assert_eq!(r.latency_us, [None, None]);
        server.abort();
    }
}
