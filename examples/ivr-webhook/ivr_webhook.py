#!/usr/bin/env python3
"""The IVR of examples/ivr as a Twilio-style webhook: the same paths, the same TwiML.

- `/`: <Gather numDigits="1" action="/gathered" timeout="10"> prompting "Welcome to
  Switchyard. Press one."; a (From, To) pair that called before hears "Welcome back
  to Switchyard. Press one." (visits are counted in memory, as the Wasm app counts
  them in its session store);
- `/gathered`: Digits 1 plays the tone and hangs up; anything else says "Wrong digit"
  and hangs up;
- anything else: 404.

Usage:
    ivr_webhook.py PORT [--tone-url URL] [--lifetime SECONDS]

PORT 0 picks a free port. Binds 127.0.0.1 only and prints "PORT <n>" once listening.
The tone URL defaults to $IVR_TONE_URL, else the node's demo tone, like the Wasm app.
"""

import argparse
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from twilio.twiml.voice_response import VoiceResponse

DEFAULT_TONE_URL = "http://127.0.0.1:8080/demo/tone.wav"


class Ivr:
    """The IVR's behaviour, independent of HTTP."""

    def __init__(self, tone_url):
        self.tone_url = tone_url
        self.visits = {}
        self.lock = threading.Lock()

    def welcome(self, params):
        key = (params.get("From", ""), params.get("To", ""))
        with self.lock:
            self.visits[key] = self.visits.get(key, 0) + 1
            visits = self.visits[key]
        r = VoiceResponse()
        g = r.gather(num_digits=1, action="/gathered", timeout=10)
        if visits > 1:
            g.say("Welcome back to Switchyard. Press one.")
        else:
            g.say("Welcome to Switchyard. Press one.")
        return r

    def gathered(self, params):
        r = VoiceResponse()
        if params.get("Digits") == "1":
            r.play(self.tone_url)
        else:
            r.say("Wrong digit")
        r.hangup()
        return r

    def route(self, path, params):
        """Returns (status, TwiML or None)."""
        if path == "/":
            return 200, self.welcome(params)
        if path == "/gathered":
            return 200, self.gathered(params)
        return 404, None


class Handler(BaseHTTPRequestHandler):
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle holds the
    # body until the client's delayed ACK (~40 ms per request on loopback).
    disable_nagle_algorithm = True

    protocol_version = "HTTP/1.1"
    ivr = None  # set before serving

    def log_message(self, fmt, *args):
        pass

    def handle_any(self):
        split = urlsplit(self.path)
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            body = self.rfile.read(length).decode("utf-8")
            params.update(parse_qsl(body, keep_blank_values=True))
        status, twiml = self.ivr.route(split.path, params)
        if twiml is None:
            out, ctype = b"not found", "text/plain"
        else:
            out, ctype = str(twiml).encode(), "text/xml"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def do_GET(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument(
        "--tone-url", default=os.environ.get("IVR_TONE_URL", DEFAULT_TONE_URL)
    )
    parser.add_argument("--lifetime", type=float, default=None)
    args = parser.parse_args(argv)

    Handler.ivr = Ivr(args.tone_url)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    if args.lifetime is not None:
        # A bounded lifetime: a leaked test peer dies anyway.
        threading.Timer(args.lifetime, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
