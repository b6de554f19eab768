//! Outbound HTTP, only to the hosts the app declared when it was deployed (anything else
//! is refused with an error). Natively (in unit tests) every request fails.
//!
//! ```no_run
//! use switchyard_sdk::http;
//! match http::get("https://api.example.com/hours") {
//!     Ok(resp) if resp.status == 200 => println!("{}", resp.text()),
//!     Ok(resp) => println!("status {}", resp.status),
//!     Err(why) => println!("refused: {why}"),
//! }
//! ```

use crate::verbs::Method;

/// An HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `GET url`.
pub fn get(url: &str) -> Result<HttpResponse, String> {
    fetch(Method::Get, url, &[], &[])
}

/// `POST url` with `body` of type `content_type`.
pub fn post(url: &str, content_type: &str, body: &[u8]) -> Result<HttpResponse, String> {
    fetch(
        Method::Post,
        url,
        &[("Content-Type".to_owned(), content_type.to_owned())],
        body,
    )
}

/// Any request. `Err` carries the host's reason: not allowed, unreachable, timed out …
pub fn fetch(
    method: Method,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<HttpResponse, String> {
    imp::fetch(method, url, headers, body)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::HttpResponse;
    use crate::bindings::switchyard::telephony::http as wit;
    use crate::verbs::Method;

    pub fn fetch(
        method: Method,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<HttpResponse, String> {
        wit::fetch(method.into(), url, headers, body).map(|r| HttpResponse {
            status: r.status,
            headers: r.headers,
            body: r.body,
        })
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::HttpResponse;
    use crate::verbs::Method;

    pub fn fetch(
        _method: Method,
        url: &str,
        _headers: &[(String, String)],
        _body: &[u8],
    ) -> Result<HttpResponse, String> {
        Err(format!(
            "outbound HTTP to {url} is only available inside a Switchyard node"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lookup_ignores_case() {
        let r = HttpResponse {
            status: 200,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: b"ok\xff".to_vec(),
        };
        assert_eq!(r.header("content-type"), Some("text/plain"));
        assert_eq!(r.header("etag"), None);
        assert_eq!(r.text(), "ok\u{fffd}");
    }

    #[test]
    fn native_fetch_is_an_error_not_a_panic() {
        let err = get("http://127.0.0.1:1/").unwrap_err();
        assert!(err.contains("127.0.0.1:1"), "{err}");
    }
}
