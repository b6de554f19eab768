#!/usr/bin/env python3
"""A real SIP phone (PJSIP through pjsua2) for the end-to-end tests.

It places one call, sends DTMF as RFC 4733 telephone-events once the call is
confirmed, records what it hears to a WAV file and waits for the far end to
hang up. A JSON summary goes to stdout; the exit status is 0 only when the call
was answered and then ended by the far end.

Usage:
    phone.py --uri sip:+15550001111@127.0.0.1:5060 [--dtmf 1] [--dtmf-after 2.5]
             [--record out.wav] [--timeout 30] [--from-user +15557770000]
"""

import argparse
import json
import os
import sys
import time

import pjsua2 as pj

# Disconnection by the far end shows as DISCONNECTED without our own hangup().
STATE_CONFIRMED = pj.PJSIP_INV_STATE_CONFIRMED
STATE_DISCONNECTED = pj.PJSIP_INV_STATE_DISCONNECTED


class PhoneCall(pj.Call):
    """Keeps what the summary needs; all callbacks run on the polling thread."""

    def __init__(self, account, record_path):
        pj.Call.__init__(self, account)
        self.record_path = record_path
        self.recorder = None
        self.connected = False
        self.confirmed_at = None
        self.disconnected = False
        self.last_status = None
        self.last_reason = None
        self.connect_duration = 0.0
        self.dtmf_received = ""
        self.states = []

    def onCallState(self, prm):
        info = self.getInfo()
        self.states.append(info.stateText)
        self.last_status = info.lastStatusCode
        self.last_reason = info.lastReason
        if info.state == STATE_CONFIRMED and not self.connected:
            self.connected = True
            self.confirmed_at = time.monotonic()
        if info.state == STATE_DISCONNECTED:
            self.disconnected = True
            self.connect_duration = info.connectDuration.sec + info.connectDuration.msec / 1000.0
            self.recorder = None

    def onCallMediaState(self, prm):
        if self.record_path is None or self.recorder is not None:
            return
        info = self.getInfo()
        for i, media in enumerate(info.media):
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                audio = self.getAudioMedia(i)
                recorder = pj.AudioMediaRecorder()
                recorder.createRecorder(self.record_path)
                audio.startTransmit(recorder)
                self.recorder = recorder
                break

    def onDtmfDigit(self, prm):
        self.dtmf_received += prm.digit


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--uri", required=True, help="SIP URI to call")
    p.add_argument("--dtmf", default="", help="digits to send (RFC 4733)")
    p.add_argument("--dtmf-after", type=float, default=2.0,
                   help="seconds after the call is confirmed before sending --dtmf")
    p.add_argument("--record", default=None, help="WAV file for what the phone hears")
    p.add_argument("--timeout", type=float, default=30.0,
                   help="give up (and hang up ourselves) after this many seconds")
    p.add_argument("--from-user", default="+15557770000")
    p.add_argument("--log-level", type=int, default=0)
    return p.parse_args()


def make_endpoint(log_level):
    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    # Callbacks only from our own libHandleEvents() loop: Python and PJSIP's
    # worker threads do not mix well, and polling keeps the run deterministic.
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.uaConfig.userAgent = "switchyard-e2e-phone"
    cfg.logConfig.level = log_level
    cfg.logConfig.consoleLevel = log_level
    cfg.medConfig.noVad = True
    cfg.medConfig.ecTailLen = 0
    ep.libInit(cfg)
    return ep


def main():
    args = parse_args()
    # pjlib prints its start-up lines to fd 1 before any log config applies; keep
    # stdout for the JSON summary alone by sending everything else to stderr.
    summary_out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    ep = make_endpoint(args.log_level)

    tcfg = pj.TransportConfig()
    tcfg.port = 0
    tcfg.boundAddress = "127.0.0.1"
    tcfg.publicAddress = "127.0.0.1"
    transport = ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
    local_port = ep.transportGetInfo(transport).localName.split(":")[-1]
    ep.libStart()
    # No sound card on a test machine: the conference bridge is clocked by a null port.
    ep.audDevManager().setNullDev()

    acfg = pj.AccountConfig()
    acfg.idUri = "sip:%s@127.0.0.1:%s" % (args.from_user, local_port)
    acfg.sipConfig.transportId = transport
    acfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
    acfg.mediaConfig.transportConfig.publicAddress = "127.0.0.1"
    acfg.mediaConfig.transportConfig.port = 0
    account = pj.Account()
    account.create(acfg)

    call = PhoneCall(account, args.record)
    started = time.monotonic()
    summary = {"connected": False, "uri": args.uri}
    hung_up_ourselves = False
    dtmf_sent = ""
    error = None
    try:
        call.makeCall(args.uri, pj.CallOpParam(True))
        deadline = started + args.timeout
        while not call.disconnected:
            ep.libHandleEvents(20)
            now = time.monotonic()
            if (args.dtmf and not dtmf_sent and call.confirmed_at is not None
                    and now - call.confirmed_at >= args.dtmf_after):
                prm = pj.CallSendDtmfParam()
                prm.method = pj.PJSUA_DTMF_METHOD_RFC2833
                prm.digits = args.dtmf
                call.sendDtmf(prm)
                dtmf_sent = args.dtmf
            if now >= deadline and not hung_up_ourselves:
                hung_up_ourselves = True
                call.hangup(pj.CallOpParam(True))
                deadline = now + 5.0
            elif now >= deadline:
                break
        # Let the 200 for the far end's BYE leave before the library goes down.
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            ep.libHandleEvents(20)
    except pj.Error as e:
        error = e.info()

    summary.update({
        "connected": call.connected,
        "ended_by_remote": call.disconnected and not hung_up_ourselves,
        "disconnect_reason": call.last_reason,
        "last_status": call.last_status,
        "record": args.record,
        "duration": call.connect_duration,
        "elapsed": time.monotonic() - started,
        "dtmf_sent": dtmf_sent,
        "dtmf_received": call.dtmf_received,
        "states": call.states,
        "error": error,
    })
    call.recorder = None
    del call
    ep.libDestroy()
    print(json.dumps(summary), file=summary_out, flush=True)
    ok = summary["connected"] and summary["ended_by_remote"] and error is None
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
