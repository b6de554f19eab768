//! `<Redirect>`: continue with another path of this app, another app, or a webhook.

use super::Method;

/// Ends this step; the call continues with `url`: a path of this app (`/menu`), another
/// Wasm app (`app:NAME`) or a webhook (`https://…`).
///
/// ```
/// use switchyard_sdk::Redirect;
/// let here = Redirect::to("/menu");
/// let webhook = Redirect::to("https://example.com/voice");
/// let other = Redirect::app("billing");
/// assert_eq!(other.url, "app:billing");
/// # let _ = (here, webhook);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// An app path, `app:NAME`, or an absolute webhook URL.
    pub url: String,
    /// How a webhook `url` is requested.
    pub method: Method,
}

impl Redirect {
    /// Continues at `url`.
    pub fn to(url: impl Into<String>) -> Self {
        Redirect {
            url: url.into(),
            method: Method::Post,
        }
    }

    /// Continues with the account's Wasm app `name`.
    pub fn app(name: &str) -> Self {
        Redirect::to(format!("app:{name}"))
    }

    /// How a webhook `url` is requested.
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }
}

impl From<&str> for Redirect {
    fn from(url: &str) -> Self {
        Redirect::to(url)
    }
}

impl From<String> for Redirect {
    fn from(url: String) -> Self {
        Redirect::to(url)
    }
}
