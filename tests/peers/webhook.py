#!/usr/bin/env python3
"""A real Twilio-style webhook application for the end-to-end tests.

It answers with TwiML built by Twilio's own helper library (so the node is fed
exactly what existing Twilio apps send), checks every request's
X-Twilio-Signature with Twilio's own RequestValidator, and logs one JSON line
per request so the Rust harness can assert on what the node sent.

Usage:
    webhook.py --scenario gather-play --auth-token TOKEN --log FILE
               [--lifetime 120] [--delay 20] [--wav-seconds 3.0] [--wav-freq 440]
               [--signing-key KEY]

Prints "PORT <n>" on stdout once listening on 127.0.0.1:<n>, then serves until
--lifetime seconds have passed (a bounded lifetime: a leaked peer dies anyway).
"""

import argparse
import hashlib
import hmac
import io
import json
import math
import os
import struct
import sys
import threading
import time
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

SCENARIOS = ("gather-play", "slow", "error500", "badxml", "say-hangup", "docs")


class MultiParams(dict):
    """name -> list of values; `getlist` lets RequestValidator sign every value."""

    def getlist(self, name):
        return self[name]


def make_tone_wav(seconds, freq=440.0, rate=8000, amplitude=0.5):
    """A 16-bit mono PCM WAV of a sine tone, built in memory."""
    frames = int(seconds * rate)
    peak = int(32767 * amplitude)
    samples = b"".join(
        struct.pack("<h", int(peak * math.sin(2 * math.pi * freq * i / rate)))
        for i in range(frames)
    )
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples)
    return buf.getvalue()


def switchyard_signature_valid(key, header, url, body):
    """Check `t=<unix>,v1=<hex HMAC-SHA256(key, t + "." + url + body)>`."""
    if key is None:
        return None
    if header is None:
        return False
    fields = dict(
        part.split("=", 1) for part in header.split(",") if "=" in part
    )
    if "t" not in fields or "v1" not in fields:
        return False
    message = fields["t"].encode() + b"." + url.encode() + body
    expected = hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


class App:
    """Scenario behaviour and the shared request log."""

    def __init__(self, args):
        self.args = args
        self.validator = RequestValidator(args.auth_token)
        self.log_lock = threading.Lock()
        self.log_file = open(args.log, "a", encoding="utf-8")
        self.wav = make_tone_wav(args.wav_seconds, args.wav_freq)
        self.wav_etag = '"' + hashlib.sha1(self.wav).hexdigest() + '"'
        self.port = None
        self.flaky_seen = set()

    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def log(self, entry):
        line = json.dumps(entry, sort_keys=True)
        with self.log_lock:
            self.log_file.write(line + "\n")
            self.log_file.flush()

    # -- TwiML documents -------------------------------------------------
    def fallback(self):
        r = VoiceResponse()
        r.say("Fallback speaking")
        r.hangup()
        return r

    def voice(self, params):
        scenario = self.args.scenario
        if "EventName" in params:
            # A client event steered the call: play the tone, then hang up.
            r = VoiceResponse()
            r.play(self.base() + "/audio/tone.wav")
            r.hangup()
            return 200, "text/xml", str(r).encode()
        if scenario == "gather-play":
            r = VoiceResponse()
            g = r.gather(num_digits=1, action="/gathered", timeout=10)
            g.say("Welcome to Switchyard. Press one.")
            return 200, "text/xml", str(r).encode()
        if scenario == "slow":
            time.sleep(self.args.delay)
            r = VoiceResponse()
            r.say("Too late")
            r.hangup()
            return 200, "text/xml", str(r).encode()
        if scenario == "error500":
            return 500, "text/plain", b"internal error"
        if scenario == "badxml":
            return 200, "text/xml", b"<Response><Say>unterminated</Response>"
        # say-hangup
        r = VoiceResponse()
        r.say("Hello")
        r.hangup()
        return 200, "text/xml", str(r).encode()

    def gathered(self, params):
        r = VoiceResponse()
        if params.get("Digits", [""])[-1] == "1":
            r.play(self.base() + "/audio/tone.wav")
        else:
            r.say("Wrong digit")
        r.hangup()
        return 200, "text/xml", str(r).encode()

    def route(self, method, path, params, headers):
        """Returns (status, content type, body, extra headers)."""
        audio = path.startswith("/audio/") and path.endswith(".wav")
        if self.args.scenario == "docs" and path != "/status" and not audio:
            # Each path is a TwiML file of the test's: /voice -> DOCS_DIR/voice.xml.
            name = path.strip("/").replace("/", "_") or "index"
            file = os.path.join(self.args.docs_dir, name + ".xml")
            if os.path.exists(file):
                with open(file, "rb") as f:
                    return 200, "text/xml", f.read(), {}
            return 404, "text/plain", b"not found", {}
        if path == "/status":
            return 200, "text/plain", b"", {}
        if path == "/voice":
            return self.voice(params) + ({},)
        if path == "/fallback" and self.args.scenario in ("slow", "error500"):
            return 200, "text/xml", str(self.fallback()).encode(), {}
        if path == "/gathered" and self.args.scenario == "gather-play":
            return self.gathered(params) + ({},)
        if path == "/sink":
            # An event sink: accepts every event.
            return 200, "text/plain", b"", {}
        if path == "/sink-slow":
            # An event sink that takes its time: the node's queue for it fills up.
            time.sleep(0.3)
            return 200, "text/plain", b"", {}
        if path == "/sink-flaky":
            # An event sink that fails each event's first attempt: the node must retry.
            key = headers.get("Idempotency-Key") or ""
            if key not in self.flaky_seen:
                self.flaky_seen.add(key)
                return 503, "text/plain", b"try again", {}
            return 200, "text/plain", b"", {}
        if audio:
            # Every /audio/NAME.wav is the tone (a URL template picks NAME per call).
            extra = {"ETag": self.wav_etag, "Cache-Control": "max-age=60"}
            if headers.get("If-None-Match") == self.wav_etag:
                return 304, None, b"", extra
            return 200, "audio/wav", self.wav, extra
        return 404, "text/plain", b"not found", {}


class Handler(BaseHTTPRequestHandler):
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle holds the
    # body until the client's delayed ACK (~40 ms per request on loopback).
    disable_nagle_algorithm = True

    protocol_version = "HTTP/1.1"
    app = None  # set before serving

    def log_message(self, fmt, *args):
        # The JSON log is the record; keep stderr for real problems.
        pass

    def handle_any(self, method):
        app = self.app
        received = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        url = app.base() + self.path
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()

        params = MultiParams()
        for name, value in parse_qsl(split.query, keep_blank_values=True):
            params.setdefault(name, []).append(value)
        signed = MultiParams()
        if ctype == "application/x-www-form-urlencoded":
            for name, value in parse_qsl(body.decode("utf-8"), keep_blank_values=True):
                params.setdefault(name, []).append(value)
                signed.setdefault(name, []).append(value)

        signature = self.headers.get("X-Twilio-Signature")
        if signature is None:
            valid = False
        elif ctype == "application/json":
            valid = app.validator.validate(url, body.decode("utf-8"), signature)
        else:
            # GET: Twilio signs the URL alone (its query string included).
            valid = app.validator.validate(url, signed, signature)
        sy_header = self.headers.get("X-Switchyard-Signature")

        status, out_type, out_body, extra = app.route(
            method, split.path, params, self.headers
        )
        app.log(
            {
                "path": split.path,
                "query": split.query,
                "method": method,
                "params": {k: (v[0] if len(v) == 1 else v) for k, v in params.items()},
                "signature_valid": valid,
                "twilio_signature": signature,
                "switchyard_signature": sy_header,
                "switchyard_signature_valid": switchyard_signature_valid(
                    app.args.signing_key, sy_header, url, body
                ),
                "user_agent": self.headers.get("User-Agent"),
                "time": received,
                "status": status,
                "body": body.decode("utf-8") if ctype == "application/json" else None,
                "idempotency_key": self.headers.get("Idempotency-Key"),
            }
        )
        self.send_response(status)
        if out_type is not None:
            self.send_header("Content-Type", out_type)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(out_body)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(out_body)

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_HEAD(self):
        self.handle_any("HEAD")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", required=True, choices=SCENARIOS)
    p.add_argument("--auth-token", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--lifetime", type=float, default=120.0)
    p.add_argument("--delay", type=float, default=20.0)
    p.add_argument("--wav-seconds", type=float, default=3.0)
    p.add_argument("--wav-freq", type=float, default=440.0, help="the tone's frequency")
    p.add_argument("--signing-key", default=None)
    p.add_argument("--docs-dir", default=None, help="the docs scenario's TwiML files")
    args = p.parse_args()

    app = App(args)
    Handler.app = app
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A slow /voice must not keep the process alive past its lifetime.
    server.daemon_threads = True
    app.port = server.server_address[1]
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    print("PORT %d" % app.port, flush=True)
    try:
        time.sleep(args.lifetime)
    except KeyboardInterrupt:
        pass
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
