//! The `http` import: outbound requests to the app's declared hosts only.

use std::time::Instant;

use url::Url;

use crate::bindings::switchyard::telephony::http;
use crate::bindings::wit::HttpMethod;
use crate::state::StoreState;

/// Largest response body handed to a guest.
pub(crate) const MAX_BODY: usize = 1 << 20;

impl http::Host for StoreState {
    async fn fetch(
        &mut self,
        method: HttpMethod,
        url: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Result<http::Response, String> {
        let url = Url::parse(&url).map_err(|e| format!("invalid URL {url}: {e}"))?;
        check_allowed(&url, &self.http_allow)?;
        let remaining = self.wall_deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err("the step's wall-clock budget is used up".to_owned());
        }
        let mut request = self
            .ctx
            .http
            .request(
                match method {
                    HttpMethod::Get => reqwest::Method::GET,
                    HttpMethod::Post => reqwest::Method::POST,
                },
                url,
            )
            .timeout(remaining)
            .body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        // The guest is not running while we wait: stop charging its CPU budget.
        self.clock.pause(Instant::now());
        let result = send(request, &self.http_allow).await;
        self.clock.resume(Instant::now());
        result
    }
}

async fn send(
    request: reqwest::RequestBuilder,
    allow: &[String],
) -> Result<http::Response, String> {
    let mut response = request.send().await.map_err(|e| format!("{e}"))?;
    // If the node's client follows redirects, the final host must be allowed
    // too, or a redirect would be a way around the allow-list.
    check_allowed(response.url(), allow)?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| format!("{e}"))? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(format!("response body exceeds {MAX_BODY} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(http::Response {
        status,
        headers,
        body,
    })
}

/// Accepts `url` when its host (or `host:port`) is in `allow`.
fn check_allowed(url: &Url, allow: &[String]) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "scheme {} is not allowed; use http or https",
            url.scheme()
        ));
    }
    let host = url
        .host_str()
        .ok_or_else(|| format!("URL {url} has no host"))?
        .to_ascii_lowercase();
    let port = url.port_or_known_default();
    let allowed = allow.iter().any(|entry| {
        let entry = entry.to_ascii_lowercase();
        match entry.rsplit_once(':') {
            // `host:port` pins the port; a bare IPv6 literal (`[::1]`) has colons
            // only inside its brackets.
            Some((h, p)) if !p.contains(']') => h == host && p.parse::<u16>().ok() == port,
            _ => entry == host,
        }
    });
    if allowed {
        Ok(())
    } else {
        Err(format!("host {host} is not in this app's allow-list"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, allow: &[&str]) -> Result<(), String> {
        let allow: Vec<String> = allow.iter().map(|s| s.to_string()).collect();
        check_allowed(&Url::parse(url).unwrap(), &allow)
    }

    #[test]
    fn allow_list_matches_host_or_host_and_port() {
        assert!(check("https://api.example.com/x", &["api.example.com"]).is_ok());
        assert!(check("https://API.example.com:8443/x", &["api.example.com"]).is_ok());
        assert!(check("http://127.0.0.1:8080/", &["127.0.0.1:8080"]).is_ok());
        assert!(check("http://127.0.0.1:8081/", &["127.0.0.1:8080"]).is_err());
        // The default port counts when the URL omits it.
        assert!(check("https://a.example/", &["a.example:443"]).is_ok());
        assert!(check("http://[::1]:9/", &["[::1]"]).is_ok());
        assert_eq!(
            check("https://evil.example/", &["api.example.com"]).unwrap_err(),
            "host evil.example is not in this app's allow-list"
        );
        assert!(check("file:///etc/passwd", &["localhost"]).is_err());
    }
}
