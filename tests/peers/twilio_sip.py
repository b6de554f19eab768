#!/usr/bin/env python3
"""Manages the node's SIP resources and API keys with Twilio's helper library (`twilio`).

Creates, lists, fetches, updates and deletes a SIP domain, a credential list and its
credentials, an IP access control list and its addresses, the domain's mappings (the
`Auth/…` ones and the older ones) and an API key, checking every object the library
returns. Passwords must never come back (not in the library's objects, not in the raw
JSON); a weak password must be refused with a 400; a key's secret is shown at creation
only. Prints one JSON object (`failures` lists every check that did not hold) and exits
1 if any check failed, 2 if the library raised unexpectedly.

With `--provision DOMAIN --username U --password P` it only sets up a domain for one
phone user (see `provision`), as the presence tests need.
"""

import argparse
import base64
import json
import sys
import traceback
import urllib.request

from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

PASSWORD = "IWasAtSignal2018"
NEW_PASSWORD = "AnotherStrong2026pass"


class Checks:
    def __init__(self):
        self.failures = []

    def expect(self, ok, what):
        if not ok:
            self.failures.append(what)
        return ok

    def equal(self, got, want, what):
        return self.expect(got == want, f"{what}: got {got!r}, want {want!r}")


def raw_get(args, path):
    """The raw JSON text of a GET, to look for what the library might hide."""
    req = urllib.request.Request(f"{args.base_url}{path}")
    token = base64.b64encode(f"{args.account}:{args.token}".encode()).decode()
    req.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read().decode()


def refused(c, what, status, call):
    """`call` must raise a TwilioRestException with `status`; returns it."""
    try:
        call()
    except TwilioRestException as e:
        c.equal(e.status, status, f"{what}: status")
        return e
    c.expect(False, f"{what}: was accepted")
    return None


def public_fields(instance):
    """The fields the library set on an instance from the JSON it received."""
    return {k: v for k, v in vars(instance).items() if not k.startswith("_")}


def secrets_absent(c, what, text, secrets):
    for s in secrets:
        c.expect(s not in text, f"{what} contains a secret")


def domains(client, args, c, out):
    d = client.sip.domains.create(
        domain_name="Office.SIP.example.com",
        friendly_name="office",
        voice_url="http://127.0.0.1:9/voice",
        voice_method="GET",
        sip_registration=True,
    )
    out["domain_sid"] = d.sid
    c.expect(d.sid.startswith("SD") and len(d.sid) == 34, f"domain sid {d.sid!r}")
    c.equal(d.domain_name, "office.sip.example.com", "domain name (lower case)")
    c.equal(d.friendly_name, "office", "domain friendly_name")
    c.equal(d.voice_url, "http://127.0.0.1:9/voice", "domain voice_url")
    c.equal(d.voice_method, "GET", "domain voice_method")
    c.equal(d.voice_fallback_method, "POST", "domain voice_fallback_method default")
    c.equal(d.sip_registration, True, "domain sip_registration")
    c.equal(d.auth_type, "", "domain auth_type with no mapping")
    c.equal(d.account_sid, args.account, "domain account_sid")
    listed = client.sip.domains.list()
    c.equal([x.sid for x in listed], [d.sid], "domains.list()")
    got = client.sip.domains(d.sid).fetch()
    c.equal(got.domain_name, d.domain_name, "fetched domain name")
    up = client.sip.domains(d.sid).update(
        voice_status_callback_url="http://127.0.0.1:9/status",
        sip_registration=False,
        friendly_name="front office",
    )
    c.equal(up.voice_status_callback_url, "http://127.0.0.1:9/status", "updated callback")
    c.equal(up.sip_registration, False, "updated sip_registration")
    c.equal(up.friendly_name, "front office", "updated friendly_name")
    c.equal(up.voice_url, "http://127.0.0.1:9/voice", "update keeps voice_url")
    dup = refused(
        c,
        "a second domain with the same name",
        400,
        lambda: client.sip.domains.create(domain_name="office.sip.example.com"),
    )
    refused(c, "an invalid domain name", 400, lambda: client.sip.domains.create(domain_name="bad_name"))
    out["duplicate_domain_message"] = dup.msg if dup else None
    return d


def credential_lists(client, args, c, out):
    cl = client.sip.credential_lists.create(friendly_name="phones")
    c.expect(cl.sid.startswith("CL"), f"credential list sid {cl.sid!r}")
    c.equal(cl.friendly_name, "phones", "credential list friendly_name")
    c.equal([x.sid for x in client.sip.credential_lists.list()], [cl.sid], "credential_lists.list()")
    c.equal(
        client.sip.credential_lists(cl.sid).update(friendly_name="desk phones").friendly_name,
        "desk phones",
        "renamed credential list",
    )
    c.equal(client.sip.credential_lists(cl.sid).fetch().friendly_name, "desk phones", "fetched list")

    creds = client.sip.credential_lists(cl.sid).credentials
    cr = creds.create(username="alice", password=PASSWORD)
    c.expect(cr.sid.startswith("CR"), f"credential sid {cr.sid!r}")
    c.equal(cr.username, "alice", "credential username")
    c.equal(cr.credential_list_sid, cl.sid, "credential credential_list_sid")
    fields = public_fields(cr)
    secrets_absent(c, "created credential object", json.dumps(fields, default=str), [PASSWORD])
    c.expect("password" not in fields, "created credential has a password field")
    fetched = creds(cr.sid).fetch()
    c.equal(fetched.username, "alice", "fetched credential username")
    updated = creds(cr.sid).update(password=NEW_PASSWORD)
    c.equal(updated.username, "alice", "updated credential username")
    c.equal([x.username for x in creds.list()], ["alice"], "credentials.list()")
    raw = raw_get(args, f"/2010-04-01/Accounts/{args.account}/SIP/CredentialLists/{cl.sid}/Credentials.json")
    secrets_absent(c, "raw credential listing", raw, [PASSWORD, NEW_PASSWORD])
    c.expect("ha1" not in raw and "password" not in raw, "raw credential listing shows a hash or password")

    weak = refused(c, "a weak password", 400, lambda: creds.create(username="bob", password="password"))
    if weak:
        c.expect("Password" in weak.msg, f"weak password message names Password: {weak.msg!r}")
        c.expect("12 characters" in weak.msg, f"weak password message gives the rule: {weak.msg!r}")
        out["weak_password"] = {"status": weak.status, "code": weak.code, "message": weak.msg}
    refused(c, "a weak new password", 400, lambda: creds(cr.sid).update(password="alllowercase1234"))
    refused(c, "a duplicate username", 400, lambda: creds.create(username="alice", password=PASSWORD))
    bob = creds.create(username="bob", password=PASSWORD)
    c.expect(creds(bob.sid).delete(), "delete credential")
    refused(c, "fetching a deleted credential", 404, lambda: creds(bob.sid).fetch())
    return cl


def ip_acls(client, args, c, out):
    acl = client.sip.ip_access_control_lists.create(friendly_name="office lan")
    c.expect(acl.sid.startswith("AL"), f"ip acl sid {acl.sid!r}")
    c.equal([x.sid for x in client.sip.ip_access_control_lists.list()], [acl.sid], "ip acl list()")
    c.equal(
        client.sip.ip_access_control_lists(acl.sid).update(friendly_name="lan").friendly_name,
        "lan",
        "renamed ip acl",
    )
    addrs = client.sip.ip_access_control_lists(acl.sid).ip_addresses
    a = addrs.create(friendly_name="desk", ip_address="192.0.2.0", cidr_prefix_length=24)
    c.expect(a.sid.startswith("IP"), f"ip address sid {a.sid!r}")
    c.equal(a.ip_address, "192.0.2.0", "ip_address")
    c.equal(a.cidr_prefix_length, 24, "cidr_prefix_length")
    c.equal(a.ip_access_control_list_sid, acl.sid, "ip_access_control_list_sid")
    one = addrs.create(friendly_name="host", ip_address="198.51.100.7")
    c.equal(one.cidr_prefix_length, 32, "default cidr_prefix_length")
    c.equal(addrs(a.sid).fetch().friendly_name, "desk", "fetched ip address")
    c.equal(addrs(a.sid).update(cidr_prefix_length=16).cidr_prefix_length, 16, "updated prefix")
    c.equal(sorted(x.ip_address for x in addrs.list()), ["192.0.2.0", "198.51.100.7"], "ip_addresses.list()")
    refused(c, "an invalid address", 400, lambda: addrs.create(friendly_name="x", ip_address="300.1.1.1"))
    refused(c, "a prefix over 32", 400, lambda: addrs.create(friendly_name="x", ip_address="192.0.2.1", cidr_prefix_length=33))
    c.expect(addrs(one.sid).delete(), "delete ip address")
    c.equal([x.sid for x in addrs.list()], [a.sid], "ip_addresses after delete")
    return acl


def mappings(client, args, c, out, d, cl, acl):
    dom = client.sip.domains(d.sid)
    reg = dom.auth.registrations.credential_list_mappings.create(credential_list_sid=cl.sid)
    c.equal(reg.sid, cl.sid, "registration mapping sid is the list's")
    c.equal(reg.friendly_name, "desk phones", "registration mapping friendly_name")
    calls = dom.auth.calls.credential_list_mappings.create(credential_list_sid=cl.sid)
    c.equal(calls.sid, cl.sid, "calls credential mapping sid")
    ipm = dom.auth.calls.ip_access_control_list_mappings.create(ip_access_control_list_sid=acl.sid)
    c.equal(ipm.sid, acl.sid, "calls ip acl mapping sid")
    c.equal(
        [x.sid for x in dom.auth.registrations.credential_list_mappings.list()],
        [cl.sid],
        "registration mappings list()",
    )
    c.equal(
        dom.auth.calls.ip_access_control_list_mappings(acl.sid).fetch().friendly_name,
        "lan",
        "fetched ip acl mapping",
    )
    # The older mappings directly under the domain are the calls mappings.
    c.equal([x.sid for x in dom.credential_list_mappings.list()], [cl.sid], "legacy credential mappings")
    c.equal([x.sid for x in dom.ip_access_control_list_mappings.list()], [acl.sid], "legacy ip acl mappings")
    c.equal(client.sip.domains(d.sid).fetch().auth_type, "IP_ACL,CREDENTIAL_LIST", "auth_type")
    refused(
        c,
        "mapping the same list twice",
        400,
        lambda: dom.auth.calls.credential_list_mappings.create(credential_list_sid=cl.sid),
    )
    refused(
        c,
        "mapping a list that does not exist",
        404,
        lambda: dom.auth.calls.credential_list_mappings.create(credential_list_sid="CL" + "0" * 32),
    )
    c.expect(dom.auth.calls.credential_list_mappings(cl.sid).delete(), "delete calls mapping")
    c.equal(dom.auth.calls.credential_list_mappings.list(), [], "calls mappings after delete")
    c.equal(client.sip.domains(d.sid).fetch().auth_type, "IP_ACL", "auth_type after unmapping")


def keys(client, args, c, out):
    k = client.new_keys.create(friendly_name="softphones")
    c.expect(k.sid.startswith("SK") and len(k.sid) == 34, f"key sid {k.sid!r}")
    c.expect(isinstance(k.secret, str) and len(k.secret) >= 32, "new key has a secret")
    c.equal(k.friendly_name, "softphones", "new key friendly_name")
    fetched = client.keys(k.sid).fetch()
    c.equal(fetched.friendly_name, "softphones", "fetched key")
    c.equal([x.sid for x in client.keys.list()], [k.sid], "keys.list()")
    c.equal(client.keys(k.sid).update(friendly_name="agents").friendly_name, "agents", "renamed key")
    raw = raw_get(args, f"/2010-04-01/Accounts/{args.account}/Keys/{k.sid}.json")
    raw += raw_get(args, f"/2010-04-01/Accounts/{args.account}/Keys.json")
    secrets_absent(c, "key fetch and listing", raw, [k.secret])
    c.expect("secret" not in raw, "a fetched key shows a secret field")
    c.expect(client.keys(k.sid).delete(), "delete key")
    refused(c, "fetching a deleted key", 404, lambda: client.keys(k.sid).fetch())


def teardown(client, c, d, cl, acl):
    c.expect(client.sip.credential_lists(cl.sid).delete(), "delete credential list")
    dom = client.sip.domains(d.sid)
    c.equal(dom.auth.registrations.credential_list_mappings.list(), [], "mappings of a deleted list")
    c.expect(client.sip.ip_access_control_lists(acl.sid).delete(), "delete ip acl")
    c.expect(dom.delete(), "delete domain")
    refused(c, "fetching a deleted domain", 404, lambda: dom.fetch())
    c.equal(client.sip.domains.list(), [], "domains after delete")


def provision(client, args):
    """What a phone needs to register as `--username`: a domain taking registrations, a
    credential list with that one credential, and the domain's registration mapping.
    Prints their sids as one JSON object."""
    d = client.sip.domains.create(
        domain_name=args.provision, friendly_name="phones", sip_registration=True
    )
    cl = client.sip.credential_lists.create(friendly_name="phones")
    cr = client.sip.credential_lists(cl.sid).credentials.create(
        username=args.username, password=args.password
    )
    m = client.sip.domains(d.sid).auth.registrations.credential_list_mappings.create(
        credential_list_sid=cl.sid
    )
    print(
        json.dumps(
            {
                "domain_sid": d.sid,
                "credential_list_sid": cl.sid,
                "credential_sid": cr.sid,
                "mapping_sid": m.sid,
            }
        )
    )


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base-url", required=True)
    p.add_argument("--account", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--provision", metavar="DOMAIN", help="only provision DOMAIN for one user")
    p.add_argument("--username")
    p.add_argument("--password")
    args = p.parse_args()
    client = Client(args.account, args.token)
    client.api.base_url = args.base_url
    if args.provision:
        provision(client, args)
        return
    c = Checks()
    out = {}
    try:
        d = domains(client, args, c, out)
        cl = credential_lists(client, args, c, out)
        acl = ip_acls(client, args, c, out)
        mappings(client, args, c, out, d, cl, acl)
        keys(client, args, c, out)
        teardown(client, c, d, cl, acl)
    except Exception:
        out["failures"] = c.failures
        out["exception"] = traceback.format_exc()
        print(json.dumps(out))
        sys.exit(2)
    out["failures"] = c.failures
    print(json.dumps(out))
    sys.exit(1 if c.failures else 0)


if __name__ == "__main__":
    main()
