#!/usr/bin/env python3
"""A Media Streams WebSocket server for the end-to-end tests, written from Twilio's
"Media Streams - WebSocket Messages" page.

It checks the upgrade request's X-Twilio-Signature with Twilio's own
RequestValidator, logs every message it receives (one JSON line each, with its
arrival time) and, by --mode, plays the server's part:

  record   reads until the node closes the socket;
  echo     a bidirectional server on a fixed script, in seconds after `start`:
           0-2.0 echo the caller's audio back; 2.0 send 0.6 s of a 1400 Hz tone
           and mark "played"; 3.0 send 2 s of the tone and mark "cleared";
           3.5 send clear; then echo again; --close-after: close the socket;
  stall    stops reading after `start` (the node's writes back up);
  garbage  after `start`, sends --garbage-mb MiB of non-JSON text, 1 MiB a frame.

Every message it sends is logged too ("sent": true). Prints "PORT <n>" once
listening on 127.0.0.1, and exits after --lifetime seconds.
"""

import argparse
import asyncio
import base64
import json
import math
import sys
import time

import websockets
from twilio.request_validator import RequestValidator

TONE_HZ = 1400.0


def ulaw(sample):
    """G.711 µ-law of one 16-bit sample (ITU-T G.711, with the 0x84 bias)."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), 32635) + 0x84
    exponent = 7
    while exponent > 0 and not magnitude & (0x4000 >> (7 - exponent)):
        exponent -= 1
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def tone(seconds):
    n = int(8000 * seconds)
    return bytes(ulaw(int(8000 * math.sin(2 * math.pi * TONE_HZ * i / 8000))) for i in range(n))


class Log:
    def __init__(self, path):
        self.file = open(path, "a", buffering=1)

    def write(self, **entry):
        entry["time"] = time.time()
        self.file.write(json.dumps(entry) + "\n")


async def send(ws, log, message):
    log.write(sent=True, message=message)
    await ws.send(json.dumps(message))


async def echo_script(ws, log, state, close_after):
    """The bidirectional script, timed from the `start` message."""
    await state["started"].wait()
    t0 = state["t0"]
    sid = state["sid"]

    async def at(seconds):
        await asyncio.sleep(max(0.0, t0 + seconds - time.time()))

    await at(2.0)
    state["echo"] = False
    await send(ws, log, {"event": "media", "streamSid": sid,
                         "media": {"payload": base64.b64encode(tone(0.6)).decode()}})
    await send(ws, log, {"event": "mark", "streamSid": sid, "mark": {"name": "played"}})
    await at(3.0)
    await send(ws, log, {"event": "media", "streamSid": sid,
                         "media": {"payload": base64.b64encode(tone(2.0)).decode()}})
    await send(ws, log, {"event": "mark", "streamSid": sid, "mark": {"name": "cleared"}})
    await at(3.5)
    await send(ws, log, {"event": "clear", "streamSid": sid})
    state["echo"] = True
    if close_after is not None:
        await at(close_after)
        log.write(closing=True)
        await ws.close()


async def garbage(ws, log, state, megabytes):
    await state["started"].wait()
    chunk = ("\x01garbage not json " * 60000)[: 1 << 20]
    log.write(garbage_start=True)
    try:
        for _ in range(megabytes):
            await ws.send(chunk)
    except websockets.ConnectionClosed:
        pass
    log.write(garbage_end=True)


def handler_for(args, log, validator):
    async def handler(ws):
        request = ws.request
        url = f"ws://127.0.0.1:{args.port_seen}{request.path}"
        signature = request.headers.get("X-Twilio-Signature")
        log.write(opened=True, path=request.path, signature=signature,
                  signature_valid=bool(signature) and validator.validate(url, {}, signature))
        state = {"started": asyncio.Event(), "echo": True}
        tasks = []
        if args.mode == "echo":
            tasks.append(asyncio.create_task(echo_script(ws, log, state, args.close_after)))
        if args.mode == "garbage":
            tasks.append(asyncio.create_task(garbage(ws, log, state, args.garbage_mb)))
        try:
            async for text in ws:
                try:
                    message = json.loads(text)
                except ValueError:
                    log.write(unparsed=str(text)[:200])
                    continue
                log.write(message=message)
                event = message.get("event")
                if event == "start":
                    state["t0"] = time.time()
                    state["sid"] = message.get("streamSid")
                    state["started"].set()
                    if args.mode == "stall":
                        log.write(stalling=True)
                        await asyncio.sleep(args.lifetime)
                elif event == "media" and args.mode == "echo" and state["echo"]:
                    await send(ws, log, {"event": "media", "streamSid": state["sid"],
                                         "media": {"payload": message["media"]["payload"]}})
        except websockets.ConnectionClosed as e:
            log.write(closed_error=str(e))
        log.write(closed=True)
        for t in tasks:
            t.cancel()

    return handler


async def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mode", choices=("record", "echo", "stall", "garbage"), required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--auth-token", required=True)
    p.add_argument("--lifetime", type=float, default=60.0)
    p.add_argument("--close-after", type=float, default=None)
    p.add_argument("--garbage-mb", type=int, default=100)
    args = p.parse_args()
    log = Log(args.log)
    validator = RequestValidator(args.auth_token)
    args.port_seen = 0
    # No ping: the node is not required to answer them in time under a stalled read.
    async with websockets.serve(handler_for(args, log, validator), "127.0.0.1", 0,
                                max_size=None, ping_interval=None) as server:
        args.port_seen = server.sockets[0].getsockname()[1]
        print(f"PORT {args.port_seen}", flush=True)
        await asyncio.sleep(args.lifetime)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
