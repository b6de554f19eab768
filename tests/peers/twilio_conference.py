#!/usr/bin/env python3
"""Steers a conference through the node's REST API with Twilio's helper library.

Finds the in-progress conference named `--name` (`conferences.list(friendly_name=…,
status=…)`), fetches it, then updates the participant `--call` with `--muted`
(`conferences(sid).participants(call).update(muted=…)`). Prints one JSON object: the
conference's sid and status, and the participant as the library returned it. Exits 1
when no such conference is live, 2 if the library raised.
"""

import argparse
import json
import sys

from twilio.rest import Client


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base-url", required=True)
    p.add_argument("--account", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--call", required=True)
    p.add_argument("--muted", choices=["true", "false"], required=True)
    args = p.parse_args()
    client = Client(args.account, args.token)
    client.api.base_url = args.base_url.rstrip("/")
    try:
        rooms = client.conferences.list(friendly_name=args.name, status="in-progress")
        if not rooms:
            print(json.dumps({"error": "no conference in progress"}))
            return 1
        room = client.conferences(rooms[0].sid).fetch()
        part = room.participants(args.call).update(muted=args.muted == "true")
        listed = room.participants.list()
        print(
            json.dumps(
                {
                    "conference_sid": room.sid,
                    "status": room.status,
                    "friendly_name": room.friendly_name,
                    "participant": {
                        "call_sid": part.call_sid,
                        "muted": part.muted,
                        "conference_sid": part.conference_sid,
                    },
                    "participants": len(listed),
                }
            )
        )
        return 0
    except Exception as e:  # the test prints what the library raised
        print(json.dumps({"error": repr(e)}))
        return 2


if __name__ == "__main__":
    sys.exit(main())
