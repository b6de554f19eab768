#!/usr/bin/env python3
"""Stand-in for `switchyard up --config FILE`, used only to test the harness's Node.

It checks the config has exactly the shape agreed with the node (DESIGN of the
e2e contract), serves GET /healthz -> "ok" and, behind HTTP Basic auth of a
configured account, GET /2010-04-01/Accounts/<sid>/Calls.json echoing what it read.
With --fail it writes to stderr and exits 3 instead.
"""

import base64
import json
import sys
import tomllib
from http.server import BaseHTTPRequestHandler, HTTPServer

EXPECTED = {
    "node": {"data_dir"},
    "sip": {"listen"},
    "http": {"listen"},
    "media": {"rtp_ip", "rtp_port_min", "rtp_port_max"},
}


def main():
    args = sys.argv[1:]
    if "--fail" in args:
        print("fake node: refusing to start", file=sys.stderr, flush=True)
        return 3
    if args[:2] != ["up", "--config"] or len(args) != 3:
        print("usage: up --config FILE", file=sys.stderr)
        return 2
    with open(args[2], "rb") as f:
        cfg = tomllib.load(f)
    for section, keys in EXPECTED.items():
        if set(cfg[section]) != keys:
            print("bad [%s]: %s" % (section, sorted(cfg[section])), file=sys.stderr)
            return 4
    tokens = {a["sid"]: a["auth_token"] for a in cfg["accounts"]}
    host, port = cfg["http"]["listen"].rsplit(":", 1)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def reply(self, status, ctype, body):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/healthz":
                return self.reply(200, "text/plain", b"ok")
            parts = self.path.split("/")
            auth = self.headers.get("Authorization", "")
            if len(parts) == 5 and parts[1] == "2010-04-01" and parts[4] == "Calls.json":
                sid = parts[3]
                want = "Basic " + base64.b64encode(
                    ("%s:%s" % (sid, tokens.get(sid, ""))).encode()
                ).decode()
                if sid not in tokens or auth != want:
                    return self.reply(401, "application/json", b'{"code": 20003}')
                body = json.dumps({"calls": [], "config": cfg}).encode()
                return self.reply(200, "application/json", body)
            return self.reply(404, "application/json", b"{}")

    HTTPServer((host, int(port)), Handler).serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
