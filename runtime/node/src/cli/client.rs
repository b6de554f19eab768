//! A small blocking-free client for the node's Twilio-shaped REST API: HTTP Basic,
//! form-encoded POSTs, JSON answers, Twilio error bodies and `next_page_uri` paging.

use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde_json::Value;

use super::Error;

/// How long one request may take before the node counts as unreachable.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Twilio's largest page: fewer round trips when following `next_page_uri`.
const MAX_PAGE_SIZE: usize = 1000;

/// Connection details for one account on one node.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    account: String,
    token: String,
}

/// Characters that may stay literal in a path segment; everything else is
/// percent-encoded so a SID argument cannot add path segments or a query.
fn segment_char_ok(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.' | b'_')
}

/// `value` as one percent-encoded path segment.
pub fn encode_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if segment_char_ok(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Client {
    /// A client for `account` at the API base `api` (e.g. `http://127.0.0.1:8080`).
    pub fn new(api: &str, account: &str, token: &str) -> Result<Self, Error> {
        let base = Url::parse(api).map_err(|_| Error::InvalidApiUrl(api.to_owned()))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(Error::InvalidApiUrl(api.to_owned()));
        }
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("switchyard-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::unreachable(api, &e))?;
        Ok(Self {
            http,
            base,
            account: account.to_owned(),
            token: token.to_owned(),
        })
    }

    /// `/2010-04-01/Accounts/{AccountSid}/{tail}`.
    pub fn account_path(&self, tail: &str) -> String {
        format!(
            "/2010-04-01/Accounts/{}/{tail}",
            encode_segment(&self.account)
        )
    }

    /// The absolute URL of an API path (as the API's own `*_uri` fields give them).
    pub fn url(&self, path: &str) -> Result<Url, Error> {
        self.base.join(path).map_err(|e| Error::BadResponse {
            url: path.to_owned(),
            reason: format!("cannot join it to {}: {e}", self.base),
        })
    }

    async fn send(
        &self,
        method: Method,
        url: Url,
        form: Option<&[(&str, String)]>,
    ) -> Result<Option<Value>, Error> {
        let mut request = self
            .http
            .request(method, url.clone())
            .basic_auth(&self.account, Some(&self.token))
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(form) = form {
            request = request.form(form);
        }
        let unreachable = |e: reqwest::Error| Error::unreachable(self.base.as_str(), &e);
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let body = response.bytes().await.map_err(unreachable)?;
        if status == StatusCode::NO_CONTENT {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(api_error(url.as_str(), status, &body));
        }
        serde_json::from_slice(&body)
            .map(Some)
            .map_err(|e| Error::BadResponse {
                url: url.to_string(),
                reason: format!("body is not JSON: {e}"),
            })
    }

    fn expect_body(url: &Url, body: Option<Value>) -> Result<Value, Error> {
        body.ok_or_else(|| Error::BadResponse {
            url: url.to_string(),
            reason: "empty body".into(),
        })
    }

    /// `/v1/Accounts/{AccountSid}/{tail}`: Switchyard's own resources.
    pub fn v1_path(&self, tail: &str) -> String {
        format!("/v1/Accounts/{}/{tail}", encode_segment(&self.account))
    }

    /// `POST path?query` with raw bytes as the body (a Wasm component).
    pub async fn post_bytes(
        &self,
        path: &str,
        query: &[(&str, String)],
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<Value, Error> {
        let mut url = self.url(path)?;
        url.query_pairs_mut().extend_pairs(query);
        let unreachable = |e: reqwest::Error| Error::unreachable(self.base.as_str(), &e);
        let response = self
            .http
            .post(url.clone())
            .basic_auth(&self.account, Some(&self.token))
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes)
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status();
        let body = response.bytes().await.map_err(unreachable)?;
        if !status.is_success() {
            return Err(api_error(url.as_str(), status, &body));
        }
        serde_json::from_slice(&body).map_err(|e| Error::BadResponse {
            url: url.to_string(),
            reason: format!("body is not JSON: {e}"),
        })
    }

    /// `GET path?query`, the JSON answer.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, Error> {
        let mut url = self.url(path)?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let body = self.send(Method::GET, url.clone(), None).await?;
        Self::expect_body(&url, body)
    }

    /// `POST path` with a form body, the JSON answer.
    pub async fn post(&self, path: &str, form: &[(&str, String)]) -> Result<Value, Error> {
        let url = self.url(path)?;
        let body = self.send(Method::POST, url.clone(), Some(form)).await?;
        Self::expect_body(&url, body)
    }

    /// `DELETE path` (the API answers 204 without a body).
    pub async fn delete(&self, path: &str) -> Result<(), Error> {
        let url = self.url(path)?;
        self.send(Method::DELETE, url, None).await.map(drop)
    }

    /// Every record under `key` of the list at `path`, following `next_page_uri` until
    /// the API says there is no more or `limit` records were read.
    pub async fn list(
        &self,
        path: &str,
        key: &str,
        filters: &[(&str, String)],
        limit: Option<usize>,
    ) -> Result<Vec<Value>, Error> {
        let page_size = limit.unwrap_or(MAX_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
        let mut query = filters.to_vec();
        query.push(("PageSize", page_size.to_string()));
        let mut page = self.get(path, &query).await?;
        let mut records = Vec::new();
        loop {
            let url = path.to_owned();
            let rows = page
                .get_mut(key)
                .and_then(Value::as_array_mut)
                .ok_or_else(|| Error::BadResponse {
                    url,
                    reason: format!("no {key:?} array in the page"),
                })?;
            records.append(rows);
            if limit.is_some_and(|l| records.len() >= l) {
                records.truncate(limit.unwrap_or(usize::MAX));
                return Ok(records);
            }
            // The link already carries the filters, page size and token.
            match page.get("next_page_uri").and_then(Value::as_str) {
                Some(next) if !next.is_empty() => {
                    let next = next.to_owned();
                    page = self.get(&next, &[]).await?;
                }
                _ => return Ok(records),
            }
        }
    }
}

/// The error a non-2xx answer stands for: Twilio's body when there is one.
fn api_error(url: &str, status: StatusCode, body: &[u8]) -> Error {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| parsed.as_ref().and_then(|v| v.get(name)).cloned();
    match (
        field("code").and_then(|c| c.as_u64()),
        field("message").and_then(|m| m.as_str().map(str::to_owned)),
    ) {
        (Some(code), Some(message)) => Error::Api {
            status: status.as_u16(),
            code,
            message,
            more_info: field("more_info").and_then(|m| m.as_str().map(str::to_owned)),
        },
        _ => Error::Http {
            url: url.to_owned(),
            status: status.as_u16(),
            body: String::from_utf8_lossy(body).chars().take(200).collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cannot_escape_their_place() {
        assert_eq!(encode_segment("+15550001111"), "+15550001111");
        assert_eq!(encode_segment("CA01/../x?y"), "CA01%2F..%2Fx%3Fy");
    }

    #[test]
    fn account_paths_and_next_page_links_resolve_against_the_base() {
        let c = Client::new("http://127.0.0.1:9/", "AC01", "t").unwrap();
        assert_eq!(
            c.account_path("Calls.json"),
            "/2010-04-01/Accounts/AC01/Calls.json"
        );
        assert_eq!(
            c.url("/2010-04-01/Accounts/AC01/Calls.json?Page=1")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9/2010-04-01/Accounts/AC01/Calls.json?Page=1"
        );
    }

    #[test]
    fn rejects_api_urls_that_are_not_http() {
        for bad in ["127.0.0.1:8080", "ftp://x", "not a url"] {
            assert!(
                matches!(Client::new(bad, "AC", "t"), Err(Error::InvalidApiUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn twilio_error_bodies_become_api_errors() {
        let body = br#"{"code":20404,"message":"not found","more_info":"m","status":404}"#;
        match api_error("u", StatusCode::NOT_FOUND, body) {
            Error::Api {
                status,
                code,
                message,
                more_info,
            } => {
                assert_eq!((status, code, message.as_str()), (404, 20404, "not found"));
                assert_eq!(more_info.as_deref(), Some("m"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            api_error("u", StatusCode::BAD_GATEWAY, b"<html>"),
            Error::Http { status: 502, .. }
        ));
    }

    /// Serve `pages` in order, one per connection, recording each request line.
    async fn serve(pages: Vec<String>) -> (String, tokio::task::JoinHandle<Vec<String>>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let mut seen = Vec::new();
            for body in pages {
                let (mut sock, _) = listener.accept().await.unwrap();
                let mut buf = vec![0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap();
                let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                seen.push(head.lines().next().unwrap_or("").to_owned());
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                sock.write_all(reply.as_bytes()).await.unwrap();
            }
            seen
        });
        (base, task)
    }

    #[tokio::test]
    async fn lists_follow_next_page_uri_and_stop_at_the_limit() {
        let page1 = r#"{"calls":[{"sid":"CA1"},{"sid":"CA2"}],
            "next_page_uri":"/2010-04-01/Accounts/AC1/Calls.json?To=x&PageSize=2&Page=1&PageToken=PT1"}"#;
        let page2 = r#"{"calls":[{"sid":"CA3"},{"sid":"CA4"}],
            "next_page_uri":"/2010-04-01/Accounts/AC1/Calls.json?To=x&PageSize=2&Page=2&PageToken=PT2"}"#;
        let (base, task) = serve(vec![page1.into(), page2.into()]).await;
        let c = Client::new(&base, "AC1", "t").unwrap();
        let path = c.account_path("Calls.json");
        let got = c
            .list(&path, "calls", &[("To", "x".to_owned())], Some(3))
            .await
            .unwrap();
        let sids: Vec<&str> = got.iter().map(|v| v["sid"].as_str().unwrap()).collect();
        assert_eq!(sids, ["CA1", "CA2", "CA3"]);
        let seen = task.await.unwrap();
        assert_eq!(
            seen,
            [
                "GET /2010-04-01/Accounts/AC1/Calls.json?To=x&PageSize=3 HTTP/1.1",
                "GET /2010-04-01/Accounts/AC1/Calls.json?To=x&PageSize=2&Page=1&PageToken=PT1 HTTP/1.1",
            ]
        );
    }

    #[tokio::test]
    async fn lists_end_when_next_page_uri_is_null() {
        let only = r#"{"incoming_phone_numbers":[{"sid":"PN1"}],"next_page_uri":null}"#;
        let (base, task) = serve(vec![only.into()]).await;
        let c = Client::new(&base, "AC1", "t").unwrap();
        let path = c.account_path("IncomingPhoneNumbers.json");
        let got = c
            .list(&path, "incoming_phone_numbers", &[], None)
            .await
            .unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(task.await.unwrap().len(), 1);
    }
}
