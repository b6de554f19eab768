//! A minimal HTTP/1.1 origin for cache tests: one request per connection, counted,
//! with scripted validators, delays, pauses and truncation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// How the server answers one path.
#[derive(Debug, Clone, Default)]
pub struct Route {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// Extra response headers (Cache-Control, Expires …).
    pub headers: Vec<(String, String)>,
    /// Sent as `ETag`; a matching `If-None-Match` gets 304.
    pub etag: Option<String>,
    /// Sent as `Last-Modified`; an equal `If-Modified-Since` gets 304.
    pub last_modified: Option<String>,
    /// Wait before answering.
    pub delay: Duration,
    /// Send this many body bytes, then wait for the notify before the rest.
    pub pause_after: Option<(usize, Arc<Notify>)>,
    /// Send this many body bytes, then close the connection.
    pub cut_after: Option<usize>,
}

impl Route {
    /// `200` with a body of the given type.
    pub fn ok(content_type: &str, body: Vec<u8>) -> Self {
        Route {
            status: 200,
            content_type: Some(content_type.into()),
            body,
            ..Route::default()
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    /// Lower-cased header names.
    pub headers: HashMap<String, String>,
    pub status: u16,
}

/// The running server.
#[derive(Debug, Clone)]
pub struct Server {
    pub base: String,
    routes: Arc<Mutex<HashMap<String, Route>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    count: Arc<AtomicUsize>,
}

impl Server {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = Server {
            base: format!("http://{}", listener.local_addr().unwrap()),
            routes: Arc::default(),
            seen: Arc::default(),
            count: Arc::default(),
        };
        let s = server.clone();
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move { s.serve(conn).await });
            }
        });
        server
    }

    /// Sets the answer for `path` and returns its full URL.
    pub fn route(&self, path: &str, route: Route) -> String {
        self.routes.lock().unwrap().insert(path.into(), route);
        format!("{}{path}", self.base)
    }

    /// Requests received so far.
    pub fn requests(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    async fn serve(&self, mut conn: TcpStream) {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            match conn.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let text = String::from_utf8_lossy(&buf).into_owned();
        let mut lines = text.split("\r\n");
        let path = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("/")
            .to_owned();
        let headers: HashMap<String, String> = lines
            .take_while(|l| !l.is_empty())
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        self.count.fetch_add(1, Ordering::SeqCst);
        let route = self.routes.lock().unwrap().get(&path).cloned();
        let route = route.unwrap_or(Route {
            status: 404,
            content_type: Some("text/plain".into()),
            body: b"not found".to_vec(),
            ..Route::default()
        });
        tokio::time::sleep(route.delay).await;

        let not_modified = route.status == 200
            && (matches!((&route.etag, headers.get("if-none-match")), (Some(e), Some(h)) if e == h)
                || (route.etag.is_none()
                    && matches!((&route.last_modified, headers.get("if-modified-since")), (Some(l), Some(h)) if l == h)));
        let status = if not_modified { 304 } else { route.status };
        self.seen.lock().unwrap().push(Seen {
            path,
            headers,
            status,
        });

        let mut head = format!("HTTP/1.1 {status} X\r\nConnection: close\r\n");
        if let Some(etag) = &route.etag {
            head.push_str(&format!("ETag: {etag}\r\n"));
        }
        if let Some(lm) = &route.last_modified {
            head.push_str(&format!("Last-Modified: {lm}\r\n"));
        }
        for (k, v) in &route.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        let body: &[u8] = if not_modified { &[] } else { &route.body };
        if !not_modified {
            if let Some(ct) = &route.content_type {
                head.push_str(&format!("Content-Type: {ct}\r\n"));
            }
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        if conn.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        if let Some(cut) = route.cut_after.filter(|_| !not_modified) {
            let _ = conn.write_all(&body[..cut.min(body.len())]).await;
            let _ = conn.flush().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            return; // dropping the socket closes the connection mid-body
        }
        if let Some((at, go)) = route.pause_after.filter(|_| !not_modified) {
            let at = at.min(body.len());
            let _ = conn.write_all(&body[..at]).await;
            let _ = conn.flush().await;
            go.notified().await;
            let _ = conn.write_all(&body[at..]).await;
        } else {
            let _ = conn.write_all(body).await;
        }
        let _ = conn.shutdown().await;
    }
}
