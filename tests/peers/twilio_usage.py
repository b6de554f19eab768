#!/usr/bin/env python3
"""Reads the node's Usage records with Twilio's own helper library (`twilio` on PyPI).

The library is pointed at the node by replacing `client.api.base_url`. Prints one JSON
object on stdout: for each read, the records as lists of their fields, so the test can
compare them with the calls it made. Exits 2 if the library raised.

  twilio_usage.py --base-url URL --account SID --token TOKEN --sub SID --sub-token TOKEN
"""

import argparse
import json
import sys
import traceback

from twilio.rest import Client

FIELDS = ("account_sid", "category", "description", "count", "count_unit", "usage",
          "usage_unit", "price", "price_unit", "as_of", "uri", "subresource_uris")


def fields(record):
    out = {f: getattr(record, f) for f in FIELDS}
    out["start_date"] = str(record.start_date)
    out["end_date"] = str(record.end_date)
    out["price"] = str(record.price)
    return out


def client(base_url, sid, token):
    c = Client(sid, token)
    c.api.base_url = base_url
    return c


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base-url", required=True)
    p.add_argument("--account", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--sub", required=True)
    p.add_argument("--sub-token", required=True)
    a = p.parse_args()
    parent = client(a.base_url, a.account, a.token)
    sub = client(a.base_url, a.sub, a.sub_token)
    records = parent.usage.records
    out = {
        "calls": [fields(r) for r in records.list(category="calls")],
        "today": [fields(r) for r in records.today.list()],
        "daily": [fields(r) for r in records.daily.list(category="calls", start_date="-1days")],
        "this_month": [fields(r) for r in records.this_month.list(category="calls-inbound")],
        "parent_only": [fields(r) for r in records.list(category="calls", include_subaccounts=False)],
        "sub_today": [fields(r) for r in sub.usage.records.today.list(category="calls")],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    try:
        main()
    except Exception:  # the test reads the traceback from stderr
        traceback.print_exc()
        sys.exit(2)
