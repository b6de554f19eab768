#!/usr/bin/env python3
"""The IVR of examples/ivr as a Twilio-style webhook: the same paths, the same TwiML.

- `/`: <Gather numDigits="1" action="/gathered" timeout="10"> prompting "Welcome to
  Switchyard. Press one, or zero for an operator."; a (From, To) pair that called
  before hears "Welcome back to Switchyard. ..." (visits are counted in memory, as the
  Wasm app counts them in its session store);
- `/gathered`: Digits 1 plays the tone and hangs up; Digits 0 says "Connecting you to
  an operator." and dials OPERATOR (<Dial action="/dialed" timeout="20">); anything
  else says "Wrong digit" and hangs up;
- `/dialed`: DialCallStatus "completed" (the operator answered) says "Goodbye." and
  hangs up; any other status says "The operator is not available." and offers the
  menu again (not counted as a visit; no digit there ends the call);
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
# The operator's number, dialled for 0; the node routes it through the account's trunk.
OPERATOR = "+15550000000"
# How long the operator's phone rings before the caller is told nobody answered.
OPERATOR_RING_SECONDS = 20
# The menu's choices, after the greeting and on their own when offered again.
MENU = "Press one, or zero for an operator."


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
        greeting = "Welcome back to Switchyard." if visits > 1 else "Welcome to Switchyard."
        r = VoiceResponse()
        self.menu(r, "%s %s" % (greeting, MENU))
        return r

    @staticmethod
    def menu(r, prompt):
        """Appends the one-digit Gather saying `prompt` to `r`."""
        r.gather(num_digits=1, action="/gathered", timeout=10).say(prompt)

    def gathered(self, params):
        r = VoiceResponse()
        digits = params.get("Digits")
        if digits == "1":
            r.play(self.tone_url)
            r.hangup()
        elif digits == "0":
            r.say("Connecting you to an operator.")
            r.dial(action="/dialed", timeout=OPERATOR_RING_SECONDS).number(OPERATOR)
        else:
            r.say("Wrong digit")
            r.hangup()
        return r

    def dialed(self, params):
        r = VoiceResponse()
        if params.get("DialCallStatus") == "completed":
            r.say("Goodbye.")
            r.hangup()
        else:
            r.say("The operator is not available.")
            self.menu(r, MENU)
        return r

    def route(self, path, params):
        """Returns (status, TwiML or None)."""
        if path == "/":
            return 200, self.welcome(params)
        if path == "/gathered":
            return 200, self.gathered(params)
        if path == "/dialed":
            return 200, self.dialed(params)
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
