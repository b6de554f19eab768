//! Signed Twilio-compatible webhook requests with timeouts and fallback
