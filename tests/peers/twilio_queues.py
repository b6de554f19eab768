#!/usr/bin/env python3
"""Drives the node's Queues and Members resources with Twilio's own helper library.

Reads the queue named --queue and its members, dequeues the member at its front to --url,
and, on a queue of its own, checks create, update of MaxSize, fetch and delete. Prints one
JSON object on stdout with what it read; exits 2 if the library raised.

  twilio_queues.py --base-url URL --account SID --token TOKEN --queue NAME --url URL
"""

import argparse
import json
import sys
import traceback

from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client


def queue_fields(q):
    return {
        "sid": q.sid,
        "friendly_name": q.friendly_name,
        "current_size": q.current_size,
        "max_size": q.max_size,
        "average_wait_time": q.average_wait_time,
        "date_created": str(q.date_created),
    }


def member_fields(m):
    return {
        "call_sid": m.call_sid,
        "queue_sid": m.queue_sid,
        "position": m.position,
        "wait_time": m.wait_time,
        "date_enqueued": str(m.date_enqueued),
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base-url", required=True)
    p.add_argument("--account", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--queue", required=True)
    p.add_argument("--url", required=True)
    a = p.parse_args()
    client = Client(a.account, a.token)
    client.api.base_url = a.base_url

    out = {}
    queues = client.queues.list()
    out["queues"] = [queue_fields(q) for q in queues]
    queue = next(q for q in queues if q.friendly_name == a.queue)
    out["queue"] = queue_fields(client.queues(queue.sid).fetch())
    out["members"] = [member_fields(m) for m in client.queues(queue.sid).members.list()]
    out["front"] = member_fields(client.queues(queue.sid).members("Front").fetch())
    out["dequeued"] = member_fields(
        client.queues(queue.sid).members("Front").update(url=a.url, method="POST"))
    out["after"] = queue_fields(client.queues(queue.sid).fetch())

    created = client.queues.create(friendly_name="billing", max_size=10)
    out["created"] = queue_fields(created)
    out["updated"] = queue_fields(client.queues(created.sid).update(max_size=20))
    try:
        client.queues(created.sid).update(max_size=5001)
        out["too_large"] = None
    except TwilioRestException as e:
        out["too_large"] = e.status
    out["deleted"] = client.queues(created.sid).delete()
    try:
        client.queues(created.sid).fetch()
        out["after_delete"] = None
    except TwilioRestException as e:
        out["after_delete"] = e.status
    print(json.dumps(out))


if __name__ == "__main__":
    try:
        main()
    except Exception:  # noqa: BLE001 - the test reads the traceback
        traceback.print_exc()
        sys.exit(2)
