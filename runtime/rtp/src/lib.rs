//! RTP/RTCP sessions, jitter buffer, RFC 4733 DTMF and SDP offer/answer, sans-IO
