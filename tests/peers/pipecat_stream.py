#!/usr/bin/env python3
"""A Media Streams server built on pipecat's TwilioFrameSerializer (PyPI `pipecat-ai`).

Every message the node sends goes through `TwilioFrameSerializer.deserialize`; what
came out (the frame's type, its audio length) is logged, one JSON line per message.
After `start`, 2 s of a 1400 Hz tone at 16 kHz go back as pipecat OutputAudioRawFrames
through `serialize`, 20 ms each; the socket is closed --close-after seconds after
`start`. Prints "PORT <n>" once listening on 127.0.0.1; exits after --lifetime s.
"""

import argparse
import asyncio
import json
import math
import struct
import sys
import time
import types

import websockets
from pipecat.frames.frames import OutputAudioRawFrame
from pipecat.serializers.twilio import TwilioFrameSerializer

RATE = 16000


def tone_frames(seconds, hz=1400.0):
    n = RATE // 50
    for f in range(int(seconds * 50)):
        samples = (int(8000 * math.sin(2 * math.pi * hz * (f * n + i) / RATE)) for i in range(n))
        yield struct.pack(f"<{n}h", *samples)


async def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--log", required=True)
    p.add_argument("--lifetime", type=float, default=60.0)
    p.add_argument("--close-after", type=float, default=4.0)
    args = p.parse_args()
    log = open(args.log, "a", buffering=1)

    def write(**entry):
        entry["time"] = time.time()
        log.write(json.dumps(entry) + "\n")

    async def speak(ws, serializer):
        for pcm in tone_frames(2.0):
            text = await serializer.serialize(
                OutputAudioRawFrame(audio=pcm, sample_rate=RATE, num_channels=1))
            # Its resampler gives audio out in blocks: most frames serialize to nothing.
            if text:
                write(sent=True, message=json.loads(text))
                await ws.send(text)
            await asyncio.sleep(0.02)
        await asyncio.sleep(args.close_after - 2.0)
        write(closing=True)
        await ws.close()

    async def handler(ws):
        serializer = None
        tasks = []
        try:
            async for text in ws:
                message = json.loads(text)
                if message.get("event") == "start":
                    serializer = TwilioFrameSerializer(
                        stream_sid=message["streamSid"],
                        call_sid=message["start"]["callSid"],
                        params=TwilioFrameSerializer.InputParams(auto_hang_up=False),
                    )
                    await serializer.setup(types.SimpleNamespace(audio_in_sample_rate=RATE))
                    tasks.append(asyncio.create_task(speak(ws, serializer)))
                frame = await serializer.deserialize(text) if serializer else None
                write(message=message, frame=type(frame).__name__ if frame else None,
                      audio_bytes=len(getattr(frame, "audio", b"") or b""))
        except websockets.ConnectionClosed as e:
            write(closed_error=str(e))
        except Exception as e:  # a message pipecat could not take
            write(error=repr(e))
        write(closed=True)
        for t in tasks:
            t.cancel()

    async with websockets.serve(handler, "127.0.0.1", 0, max_size=None, ping_interval=None) as server:
        print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.sleep(args.lifetime)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
