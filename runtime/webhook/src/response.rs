//! What an application answered, classified by `Content-Type` the way Twilio does.
//! Pure: bytes in, [`AppResponse`] out.

use crate::Error;

/// The application's answer to one webhook request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppResponse {
    /// A TwiML document (`text/xml`, `application/xml`, or `text/html` whose body is a
    /// `<Response>` document), as text; the node parses it.
    Twiml(String),
    /// Audio to play (`audio/*`); `content_type` is the header value as received,
    /// parameters included (e.g. `audio/L16;rate=8000`).
    Audio {
        /// The body.
        bytes: Vec<u8>,
        /// The `Content-Type` header value.
        content_type: String,
    },
    /// Text to say (`text/plain`).
    Text(String),
    /// A 2xx answer with an empty body.
    Empty,
}

/// Classifies a 2xx body. `url` is only used in errors.
pub(crate) fn classify(
    url: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Result<AppResponse, Error> {
    if body.is_empty() {
        return Ok(AppResponse::Empty);
    }
    let Some(content_type) = content_type.map(str::trim) else {
        return Err(Error::MissingContentType {
            url: url.to_string(),
        });
    };
    // RFC 9110 §8.3.1: "The type and subtype tokens are case-insensitive."
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let text = |body: Vec<u8>| {
        let mut text = String::from_utf8(body).map_err(|_| Error::InvalidEncoding {
            url: url.to_string(),
        })?;
        if text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
        }
        Ok::<_, Error>(text)
    };
    match media_type.as_str() {
        "text/xml" | "application/xml" => Ok(AppResponse::Twiml(text(body)?)),
        // Twilio executes TwiML served as text/html (static files on misconfigured
        // servers); anything else labelled HTML is an error page, not an answer.
        "text/html" if looks_like_twiml(&body) => Ok(AppResponse::Twiml(text(body)?)),
        "text/plain" => Ok(AppResponse::Text(text(body)?)),
        audio if audio.starts_with("audio/") && audio.len() > "audio/".len() => {
            Ok(AppResponse::Audio {
                bytes: body,
                content_type: content_type.to_string(),
            })
        }
        _ => Err(Error::InvalidContentType {
            url: url.to_string(),
            content_type: content_type.to_string(),
        }),
    }
}

/// Whether a body is a TwiML document: optional BOM, whitespace and XML declaration, then
/// a `<Response` start tag.
fn looks_like_twiml(body: &[u8]) -> bool {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut rest = body.trim_ascii_start();
    if rest.starts_with(b"<?xml") {
        let Some(end) = rest.windows(2).position(|w| w == b"?>") else {
            return false;
        };
        rest = rest[end + 2..].trim_ascii_start();
    }
    match rest.strip_prefix(b"<Response") {
        Some(after) => matches!(
            after.first(),
            Some(b'>' | b'/' | b' ' | b'\t' | b'\r' | b'\n')
        ),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(ct: Option<&str>, body: &[u8]) -> Result<AppResponse, Error> {
        classify("http://h/", ct, body.to_vec())
    }

    #[test]
    fn content_type_classes() {
        let doc = "<Response><Say>hi</Say></Response>";
        assert_eq!(
            go(Some("text/xml"), doc.as_bytes()).unwrap(),
            AppResponse::Twiml(doc.into())
        );
        assert_eq!(
            go(Some("Application/XML; charset=utf-8"), doc.as_bytes()).unwrap(),
            AppResponse::Twiml(doc.into())
        );
        assert_eq!(
            go(Some("text/plain"), b"hello").unwrap(),
            AppResponse::Text("hello".into())
        );
        assert_eq!(
            go(Some("audio/L16;rate=8000"), b"\x00\x01").unwrap(),
            AppResponse::Audio {
                bytes: vec![0, 1],
                content_type: "audio/L16;rate=8000".into()
            }
        );
        assert_eq!(go(Some("text/xml"), b"").unwrap(), AppResponse::Empty);
        assert_eq!(go(None, b"").unwrap(), AppResponse::Empty);
        assert_eq!(go(None, b"x").unwrap_err().twilio_code(), 11200);
        assert_eq!(
            go(Some("application/json"), b"{}")
                .unwrap_err()
                .twilio_code(),
            12300
        );
        assert_eq!(go(Some("audio/"), b"x").unwrap_err().twilio_code(), 12300);
        assert_eq!(
            go(Some("text/xml"), b"\xff\xfe").unwrap_err().twilio_code(),
            12100
        );
    }

    #[test]
    fn html_only_when_it_is_twiml() {
        let with_decl = "\u{feff}\n<?xml version=\"1.0\"?>\n<Response/>";
        assert_eq!(
            go(Some("text/html"), with_decl.as_bytes()).unwrap(),
            AppResponse::Twiml("\n<?xml version=\"1.0\"?>\n<Response/>".into())
        );
        assert!(go(Some("text/html"), b"  <Response>\n<Hangup/></Response>").is_ok());
        for page in [
            &b"<html><body>500</body></html>"[..],
            b"<ResponseX/>",
            b"<?xml <Response/>",
        ] {
            assert_eq!(
                go(Some("text/html"), page).unwrap_err().twilio_code(),
                12300
            );
        }
    }
}
