#!/usr/bin/env python3
"""Drives the node's REST API with Twilio's own helper library (`twilio` on PyPI).

The library is pointed at the node by replacing `client.api.base_url`: every 2010-04-01
resource (calls, numbers, notifications) is built from that domain's base URL. The
script walks one outbound call through its whole life and round-trips an incoming
number, checking every object the library returns. It prints one JSON object on stdout
(`failures` lists every check that did not hold) and exits 1 if any check failed, 2 if
the library raised.

The far end is a sipp UAS that answers and waits for our BYE (tests/sipp/uas_wait_bye.xml).
"""

import argparse
import json
import sys
import time
import traceback

from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

HOLD_TWIML = '<Response><Pause length="30"/></Response>'
REDIRECT_TWIML = '<Response><Say>changed</Say><Pause length="5"/></Response>'
# Not a TwiML verb: the node can only report it, which is what provokes a notification.
INVALID_TWIML = "<Response><NotAVerb/></Response>"


class Checks:
    """Collects failed expectations instead of stopping at the first one, so one run
    reports everything that is wrong."""

    def __init__(self):
        self.failures = []

    def expect(self, ok, what):
        if not ok:
            self.failures.append(what)
        return ok

    def equal(self, got, want, what):
        return self.expect(got == want, f"{what}: got {got!r}, want {want!r}")


def poll(limit, fetch, done):
    """Calls `fetch` every 200 ms until `done(value)` or `limit` seconds; returns the last value."""
    deadline = time.time() + limit
    value = fetch()
    while not done(value) and time.time() < deadline:
        time.sleep(0.2)
        value = fetch()
    return value


def call_life(client, args, c, out):
    call = client.calls.create(to=args.to, from_=args.from_, twiml=HOLD_TWIML)
    out["call_sid"] = call.sid
    c.expect(
        isinstance(call.sid, str) and call.sid.startswith("CA") and len(call.sid) == 34,
        f"created call sid {call.sid!r} is not CA + 32 hex",
    )
    c.expect(
        call.status in ("queued", "ringing", "in-progress"),
        f"created call status {call.status!r}",
    )
    c.equal(call.to, args.to, "created call to")
    c.equal(call._from, args.from_, "created call from")  # the library names it `_from`
    c.equal(call.direction, "outbound-api", "created call direction")
    c.equal(call.account_sid, args.account, "created call account_sid")

    listed = client.calls.list(limit=50)
    c.expect(
        any(x.sid == call.sid for x in listed),
        f"calls.list() ({len(listed)} calls) does not contain {call.sid}",
    )

    live = poll(15, lambda: client.calls(call.sid).fetch(), lambda x: x.status == "in-progress")
    c.equal(live.status, "in-progress", "fetched status once sipp answered")
    c.expect(live.start_time is not None, "in-progress call has no start_time")
    out["answered_at"] = time.time()

    # Let the hold Pause run a little, so silence before the redirect is observable.
    time.sleep(1.5)
    out["update_at"] = time.time()
    redirected = client.calls(call.sid).update(twiml=REDIRECT_TWIML)
    c.equal(redirected.sid, call.sid, "redirect returned sid")
    c.equal(redirected.status, "in-progress", "redirect returned status")

    time.sleep(args.after_update)
    out["hangup_at"] = time.time()
    hung = client.calls(call.sid).update(status="completed")
    c.equal(hung.sid, call.sid, "hang-up returned sid")
    c.expect(
        hung.status in ("in-progress", "completed"),
        f"hang-up returned status {hung.status!r}",
    )
    done = poll(10, lambda: client.calls(call.sid).fetch(), lambda x: x.status == "completed")
    out["completed_at"] = time.time()
    c.equal(done.status, "completed", "status after hang-up")
    c.expect(done.end_time is not None, "completed call has no end_time")
    c.expect(done.duration is not None, "completed call has no duration")
    if done.duration is not None and done.start_time and done.end_time:
        # Answered ~1.5 s + after_update before the hang-up.
        c.expect(
            int(done.duration) >= int(args.after_update),
            f"duration {done.duration} shorter than the {args.after_update} s held",
        )
        c.expect(done.end_time >= done.start_time, "end_time before start_time")
    out["call"] = {
        "status": done.status,
        "duration": done.duration,
        "start_time": str(done.start_time),
        "end_time": str(done.end_time),
    }


def number_round_trip(client, args, c, out):
    created = client.incoming_phone_numbers.create(
        phone_number=args.number,
        friendly_name="e2e twilio client",
        voice_url="https://example.com/voice",
        voice_method="GET",
    )
    out["number_sid"] = created.sid
    c.expect(
        isinstance(created.sid, str) and created.sid.startswith("PN"),
        f"number sid {created.sid!r}",
    )
    c.equal(created.phone_number, args.number, "created phone_number")
    c.equal(created.friendly_name, "e2e twilio client", "created friendly_name")
    c.equal(created.voice_url, "https://example.com/voice", "created voice_url")
    c.equal(created.voice_method, "GET", "created voice_method")
    c.equal(created.account_sid, args.account, "created number account_sid")

    updated = client.incoming_phone_numbers(created.sid).update(
        voice_url="https://example.com/voice2",
        voice_method="POST",
        voice_fallback_url="https://example.com/fallback",
        status_callback="https://example.com/status",
        friendly_name="renamed",
    )
    for got, want, what in [
        (updated.sid, created.sid, "updated sid"),
        (updated.voice_url, "https://example.com/voice2", "updated voice_url"),
        (updated.voice_method, "POST", "updated voice_method"),
        (updated.voice_fallback_url, "https://example.com/fallback", "updated fallback"),
        (updated.status_callback, "https://example.com/status", "updated status_callback"),
        (updated.friendly_name, "renamed", "updated friendly_name"),
        (updated.phone_number, args.number, "updated phone_number"),
    ]:
        c.equal(got, want, what)
    fetched = client.incoming_phone_numbers(created.sid).fetch()
    c.equal(fetched.voice_url, "https://example.com/voice2", "fetched voice_url")
    c.equal(fetched.friendly_name, "renamed", "fetched friendly_name")
    listed = client.incoming_phone_numbers.list(phone_number=args.number)
    c.equal([n.sid for n in listed], [created.sid], "numbers listed by phone_number")

    # VoiceTranscoder is a Switchyard extension the library has no argument for: it goes
    # as a raw form parameter through the same client (docs/EXTENSIONS.md).
    uri = f"{args.base_url}/2010-04-01/Accounts/{args.account}/IncomingPhoneNumbers/{created.sid}.json"
    raw = client.request("POST", uri, data={"VoiceTranscoder": "app:agc"})
    c.equal(raw.status_code, 200, "raw VoiceTranscoder update status")
    c.equal(json.loads(raw.text).get("voice_transcoder"), "app:agc", "raw voice_transcoder")
    bad = client.request("POST", uri, data={"VoiceTranscoder": "agc"})
    c.equal(bad.status_code, 400, "VoiceTranscoder without app: refused")
    c.expect("VoiceTranscoder" in json.loads(bad.text).get("message", ""), f"400 names the parameter: {bad.text}")
    # The library still reads the number (it ignores the field it does not know).
    c.equal(client.incoming_phone_numbers(created.sid).fetch().friendly_name, "renamed", "fetched after raw update")


def notification(client, args, c, out):
    bad = client.calls.create(to=args.to, from_=args.from_, twiml=INVALID_TWIML)
    out["bad_call_sid"] = bad.sid
    found = poll(
        20,
        lambda: [n for n in client.notifications.list(limit=100) if n.call_sid == bad.sid],
        lambda ns: len(ns) > 0,
    )
    c.expect(len(found) > 0, f"no notification for the invalid-TwiML call {bad.sid}")
    if found:
        n = found[0]
        c.expect(n.sid is not None and n.sid.startswith("NO"), f"notification sid {n.sid!r}")
        c.equal(n.account_sid, args.account, "notification account_sid")
        c.expect(bool(n.error_code), "notification has no error_code")
        out["notification"] = {"sid": n.sid, "error_code": n.error_code, "log": n.log}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base-url", required=True)
    p.add_argument("--account", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--to", required=True, help="sip: URI of the far end")
    p.add_argument("--from", dest="from_", required=True)
    p.add_argument("--number", required=True, help="E.164 number to create")
    p.add_argument("--after-update", type=float, default=3.0)
    args = p.parse_args()

    client = Client(args.account, args.token)
    client.api.base_url = args.base_url
    c = Checks()
    out = {}
    code = 0
    try:
        call_life(client, args, c, out)
        number_round_trip(client, args, c, out)
        notification(client, args, c, out)
    except TwilioRestException as e:
        c.failures.append(f"TwilioRestException {e.status} {e.code}: {e.msg} ({e.uri})")
        code = 2
    except Exception:  # noqa: BLE001 - any library failure is a finding to report
        c.failures.append(traceback.format_exc())
        code = 2
    out["failures"] = c.failures
    print(json.dumps(out, default=str))
    sys.stdout.flush()
    if code == 0 and c.failures:
        code = 1
    sys.exit(code)


if __name__ == "__main__":
    main()
