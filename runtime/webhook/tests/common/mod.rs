//! A scripted application server on 127.0.0.1 and a resolver that counts lookups.
#![allow(dead_code)] // each test binary uses a different part

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use switchyard_webhook::{WebhookClient, WebhookConfig};

/// One request as the application saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    /// Path and query, exactly as in the request line.
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }

    /// The form body (POST) or the query (GET) decoded as pairs, in order.
    pub fn params(&self) -> Vec<(String, String)> {
        if self.method == Method::GET {
            let query = self.uri.split_once('?').map(|(_, q)| q).unwrap_or("");
            serde_urlencoded::from_str(query).unwrap()
        } else {
            serde_urlencoded::from_bytes(&self.body).unwrap()
        }
    }

    pub fn param(&self, name: &str) -> Option<String> {
        self.params()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }
}

pub type Log = Arc<Mutex<Vec<Recorded>>>;

/// The scripted application: what it answers depends on the path.
pub struct App {
    pub addr: SocketAddr,
    pub log: Log,
}

pub const TWIML: &str =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say>hi</Say></Response>";
pub const FALLBACK_TWIML: &str = "<Response><Say>fallback</Say></Response>";
pub const LIMIT: usize = 64 * 1024;

impl App {
    pub async fn start() -> App {
        let log: Log = Arc::default();
        let router = axum::Router::new().fallback(handle).with_state(log.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        App { addr, log }
    }

    /// `http://127.0.0.1:PORT{path}`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `http://hook.test:PORT{path}`, resolved by [`CountingResolver`].
    pub fn named_url(&self, path: &str) -> String {
        format!("http://hook.test:{}{path}", self.addr.port())
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }

    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.uri.split('?').next() == Some(path))
            .collect()
    }
}

async fn handle(State(log): State<Log>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let recorded = Recorded {
        method: parts.method.clone(),
        uri: parts.uri.to_string(),
        headers: parts.headers.clone(),
        body,
    };
    log.lock().unwrap().push(recorded.clone());
    let path = parts.uri.path().to_string();
    let typed = |ct: &'static str, body: Body| ([("content-type", ct)], body).into_response();
    match path.as_str() {
        "/twiml" => typed("text/xml", TWIML.into()),
        "/appxml" => typed("application/xml; charset=utf-8", TWIML.into()),
        "/fallback" => typed("text/xml", FALLBACK_TWIML.into()),
        "/html-twiml" => typed("text/html", "\n  <Response><Hangup/></Response>".into()),
        "/html-page" => typed(
            "text/html",
            "<html><body>Internal error</body></html>".into(),
        ),
        "/json" => typed("application/json", "{}".into()),
        "/audio" => typed("audio/mpeg", vec![0xFFu8, 0xFB, 0x90, 0x00].into()),
        "/wav" => typed("audio/x-wav", b"RIFF....WAVE".to_vec().into()),
        "/text" => typed("text/plain; charset=utf-8", "Bonjour, Zoë".into()),
        "/empty" => StatusCode::OK.into_response(),
        "/no-content" => StatusCode::NO_CONTENT.into_response(),
        "/exact" => typed("text/plain", "a".repeat(LIMIT).into()),
        "/big" => typed("text/xml", "a".repeat(LIMIT + 1).into()),
        "/big-chunked" => {
            // No Content-Length: the limit must hold while streaming.
            let chunks = (0..80).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'a'; 1024])));
            typed(
                "text/xml",
                Body::from_stream(futures_util::stream::iter(chunks)),
            )
        }
        "/500" => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
        "/404" => StatusCode::NOT_FOUND.into_response(),
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            typed("text/xml", TWIML.into())
        }
        "/set-cookie" => Response::builder()
            .header("content-type", "text/xml")
            .header("set-cookie", "session=abc123; Path=/; HttpOnly")
            .header("set-cookie", "step=1")
            .body(Body::from(TWIML))
            .unwrap(),
        "/clear-cookie" => Response::builder()
            .header("set-cookie", "session=; Max-Age=0")
            .body(Body::empty())
            .unwrap(),
        "/echo-cookie" => {
            let cookie = parts
                .headers
                .get("cookie")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            typed("text/plain", cookie.into())
        }
        "/echo-auth" => {
            let auth = parts
                .headers
                .get("authorization")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            typed("text/plain", auth.into())
        }
        "/see-other" => redirect(303, "/twiml"),
        "/found" => redirect(302, "/twiml"),
        "/temporary" => redirect(307, "/twiml?from=307"),
        "/loop" => redirect(302, "/loop"),
        "/no-location" => Response::builder().status(302).body(Body::empty()).unwrap(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

fn redirect(status: u16, location: &str) -> Response {
    Response::builder()
        .status(status)
        .header("location", location)
        .header("set-cookie", format!("hop{status}=yes"))
        .body(Body::empty())
        .unwrap()
}

/// Resolves `hook.test` to 127.0.0.1 and every other name to a failure, counting every
/// lookup: the client resolves once per new connection, so this counts connection
/// attempts.
#[derive(Debug, Default)]
pub struct CountingResolver {
    pub lookups: AtomicUsize,
}

impl CountingResolver {
    pub fn count(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }
}

impl Resolve for CountingResolver {
    fn resolve(&self, name: Name) -> Resolving {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        let known = name.as_str() == "hook.test";
        Box::pin(async move {
            if known {
                let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
                Ok(Box::new(std::iter::once(addr)) as Addrs)
            } else {
                Err("NXDOMAIN".into())
            }
        })
    }
}

pub fn config() -> WebhookConfig {
    WebhookConfig::default()
}

pub fn client() -> WebhookClient {
    WebhookClient::new(config()).unwrap()
}

pub fn counting_client(config: WebhookConfig) -> (WebhookClient, Arc<CountingResolver>) {
    let resolver = Arc::new(CountingResolver::default());
    let client = WebhookClient::with_resolver(config, resolver.clone()).unwrap();
    (client, resolver)
}

pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// A local port with nothing listening on it.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
