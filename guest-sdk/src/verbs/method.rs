//! The HTTP method of a verb's callback URL.

/// How a verb's `action` (or a Redirect's URL) is requested; Twilio's default is POST.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// `GET`: the parameters go in the query string.
    Get,
    /// `POST`: the parameters go in a form-encoded body.
    #[default]
    Post,
}
