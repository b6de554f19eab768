#!/usr/bin/env python3
"""A real SIP phone (PJSIP through pjsua2) for the end-to-end tests.

Caller mode (--uri) places one call; callee mode (--listen) waits for one.
Once the call is confirmed the phone sends DTMF as RFC 4733 telephone-events,
plays a sine tone (--tone) or silence, records what it hears to a WAV file and
waits for the far end to hang up, or hangs up itself after --hangup-after.
A JSON summary goes to stdout.

Exit status: caller 0 when the call was answered and then ended by the far end
(or by our own --hangup-after); callee 0 when it answered the call. Anything
else (no answer, rejected, --timeout, pjsua2 error) is 1.

Usage:
    phone.py --uri sip:+15550001111@127.0.0.1:5060 [--dtmf 1] [--dtmf-after 2.5]
             [--record out.wav] [--tone 1000] [--hangup-after 5]
             [--timeout 30] [--from-user +15557770000] [--codecs PCMU]
    phone.py --listen 0 [--answer-after 1.5] [--tone 600] [--record out.wav]
             [--hangup-after 5] [--dtmf 2] [--timeout 60] [--user callee]
             [--register sip:DOMAIN --proxy sip:127.0.0.1:5060;lr
              --password SECRET]

With --register the callee first registers as sip:USER@DOMAIN (digest user USER,
its REGISTER sent through --proxy), prints "phone.py: registered <status>" to
stderr and, unless the status is 200, exits 1 at once. On exit it unregisters.

In callee mode the phone binds UDP 127.0.0.1:PORT (0: any free port), prints
"phone.py: listening on 127.0.0.1:<port>" to stderr once it can take calls,
answers the first INVITE with 180 and, --answer-after seconds later, 200 (a
second INVITE meanwhile gets 486). Everything binds 127.0.0.1 only.
"""

import argparse
import array
import json
import math
import os
import shutil
import signal
import sys
import tempfile
import time
import wave

import pjsua2 as pj

# Disconnection by the far end shows as DISCONNECTED without our own hangup().
STATE_CONFIRMED = pj.PJSIP_INV_STATE_CONFIRMED
STATE_DISCONNECTED = pj.PJSIP_INV_STATE_DISCONNECTED

# How long to wait for the far end's answer to our own BYE (or CANCEL).
HANGUP_GRACE = 5.0
# After SIGTERM (the harness stopping us): shorter, it sends SIGKILL after 2 s.
STOP_GRACE = 1.0


class PhoneCall(pj.Call):
    """Keeps what the summary needs; all callbacks run on the polling thread."""

    def __init__(self, account, record_path, tone_player=None, call_id=pj.PJSUA_INVALID_ID):
        pj.Call.__init__(self, account, call_id)
        self.record_path = record_path
        self.tone_player = tone_player
        self.recorder = None
        self.connected = False
        self.confirmed_at = None
        self.disconnected = False
        self.last_status = None
        self.last_reason = None
        self.connect_duration = 0.0
        self.dtmf_received = ""
        self.states = []
        self.tone_started = False
        self.audio = None

    def onCallState(self, prm):
        info = self.getInfo()
        self.states.append(info.stateText)
        self.last_status = info.lastStatusCode
        self.last_reason = info.lastReason
        if info.state == STATE_CONFIRMED and not self.connected:
            self.connected = True
            self.confirmed_at = time.monotonic()
            self.start_tone()
        if info.state == STATE_DISCONNECTED:
            self.disconnected = True
            self.connect_duration = info.connectDuration.sec + info.connectDuration.msec / 1000.0
            self.recorder = None
            self.audio = None

    def onCallMediaState(self, prm):
        info = self.getInfo()
        for i, media in enumerate(info.media):
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                # A re-INVITE may give the call a new conference port: (re)connect
                # every time (connecting already connected ports is harmless).
                self.audio = self.getAudioMedia(i)
                if self.record_path is not None:
                    if self.recorder is None:
                        recorder = pj.AudioMediaRecorder()
                        recorder.createRecorder(self.record_path)
                        self.recorder = recorder
                    self.audio.startTransmit(self.recorder)
                if self.tone_started:
                    self.tone_player.startTransmit(self.audio)
                else:
                    self.start_tone()
                break

    def start_tone(self):
        """The tone goes out once the call is confirmed and its audio is up."""
        if self.tone_player is None or not self.connected or self.audio is None:
            return
        self.tone_player.startTransmit(self.audio)
        self.tone_started = True

    def onDtmfDigit(self, prm):
        self.dtmf_received += prm.digit


class PhoneAccount(pj.Account):
    """Callee mode: takes the first incoming call, rejects the others with 486."""

    def __init__(self, record_path, tone_player):
        pj.Account.__init__(self)
        self.reg_status = None
        self.record_path = record_path
        self.tone_player = tone_player
        self.call = None
        self.invited_at = None
        self.invite = None
        self.rejected = []

    def onRegState(self, prm):
        # Provisional and in-progress states report 100 or below; 401 with credentials
        # is retried by PJSIP itself, so the first other status is the outcome.
        if prm.code >= 200:
            self.reg_status = prm.code

    def onIncomingCall(self, prm):
        if self.call is not None:
            busy = pj.Call(self, prm.callId)
            op = pj.CallOpParam()
            op.statusCode = 486
            busy.hangup(op)
            self.rejected.append(busy)
            return
        self.invite = prm.rdata.wholeMsg
        self.invited_at = time.monotonic()
        self.call = PhoneCall(self, self.record_path, self.tone_player, prm.callId)
        # pjsua has already sent 100 Trying; ring until --answer-after.
        op = pj.CallOpParam()
        op.statusCode = 180
        self.call.answer(op)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--uri", help="caller mode: SIP URI to call")
    mode.add_argument("--listen", type=int, metavar="PORT",
                      help="callee mode: UDP port on 127.0.0.1 to take one call on (0: any)")
    p.add_argument("--dtmf", default="", help="digits to send (RFC 4733)")
    p.add_argument("--dtmf-after", type=float, default=2.0,
                   help="seconds after the call is confirmed before sending --dtmf")
    p.add_argument("--record", default=None, help="WAV file for what the phone hears")
    p.add_argument("--tone", type=float, default=None, metavar="HZ",
                   help="send a continuous sine of this frequency instead of silence")
    p.add_argument("--play", default=None, metavar="WAV",
                   help="send this WAV file (looped) instead of silence or --tone")
    p.add_argument("--hangup-after", type=float, default=None, metavar="SECONDS",
                   help="send BYE ourselves this long after the call is confirmed")
    p.add_argument("--answer-after", type=float, default=0.0, metavar="SECONDS",
                   help="callee mode: ring (180) this long before answering 200")
    p.add_argument("--timeout", type=float, default=None,
                   help="give up (and hang up ourselves) after this many seconds "
                        "(default 30 as caller, 60 as callee)")
    p.add_argument("--from-user", default="+15557770000",
                   help="caller mode: user part of our From URI")
    p.add_argument("--user", default="callee", help="callee mode: user part of our URI")
    p.add_argument("--register", default=None, metavar="URI",
                   help="callee mode: register to this registrar URI first")
    p.add_argument("--proxy", default=None, metavar="URI",
                   help="outbound proxy the REGISTER (and nothing else) is sent through")
    p.add_argument("--password", default=None, help="digest password for --register")
    p.add_argument("--codecs", default=None, metavar="LIST",
                   help="only these codecs, in this order, e.g. PCMU or PCMA,PCMU "
                        "(default: PJSIP's own list and order)")
    p.add_argument("--log-level", type=int, default=0)
    args = p.parse_args()
    if args.timeout is None:
        args.timeout = 60.0 if args.listen is not None else 30.0
    if args.listen is not None and not 0 <= args.listen <= 65535:
        p.error("--listen: not a port")
    return args


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
    return ep, cfg.medConfig.clockRate


def restrict_codecs(ep, names):
    """Enables only the named codecs (PCMU matches PCMU/8000/1), first name first."""
    wanted = [n.strip().lower() for n in names.split(",") if n.strip()]
    found = set()
    for info in ep.codecEnum2():
        name = info.codecId.split("/")[0].lower()
        if name in wanted:
            ep.codecSetPriority(info.codecId, 255 - wanted.index(name))
            found.add(name)
        else:
            ep.codecSetPriority(info.codecId, 0)
    missing = [n for n in wanted if n not in found]
    if missing:
        raise SystemExit("phone.py: unknown codec(s): %s" % ", ".join(missing))


def write_tone_wav(path, freq, rate, seconds, amplitude=0.4):
    """A sine WAV of `seconds`. PJSIP's file player loses one 20 ms frame each time
    it loops, so the file outlasts the run instead of looping."""
    peak = amplitude * 32767
    if float(freq).is_integer():
        # Whole cycles per second: build one second and repeat it.
        second = array.array("h", (int(round(peak * math.sin(2 * math.pi * freq * i / rate)))
                                   for i in range(rate)))
        samples = second * int(math.ceil(seconds))
    else:
        samples = array.array("h", (int(round(peak * math.sin(2 * math.pi * freq * i / rate)))
                                    for i in range(int(rate * seconds))))
    if sys.byteorder != "little":
        samples.byteswap()
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())


def main():
    args = parse_args()
    # pjlib prints its start-up lines to fd 1 before any log config applies; keep
    # stdout for the JSON summary alone by sending everything else to stderr.
    summary_out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    stop = {"requested": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(requested=True))
    callee = args.listen is not None
    ep, clock_rate = make_endpoint(args.log_level)
    if args.codecs is not None:
        restrict_codecs(ep, args.codecs)

    tcfg = pj.TransportConfig()
    tcfg.port = args.listen if callee else 0
    tcfg.boundAddress = "127.0.0.1"
    tcfg.publicAddress = "127.0.0.1"
    transport = ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
    local_port = int(ep.transportGetInfo(transport).localName.split(":")[-1])
    ep.libStart()
    # No sound card on a test machine: the conference bridge is clocked by a null port.
    ep.audDevManager().setNullDev()

    tone_dir = None
    tone_player = None
    if args.tone is not None:
        tone_dir = tempfile.mkdtemp(prefix="phone-tone-")
        tone_wav = os.path.join(tone_dir, "tone.wav")
        write_tone_wav(tone_wav, args.tone, clock_rate, args.timeout + 5.0)
        tone_player = pj.AudioMediaPlayer()
        tone_player.createPlayer(tone_wav, 0)  # 0: loop at the end of the file
    elif args.play is not None:
        tone_player = pj.AudioMediaPlayer()
        tone_player.createPlayer(args.play, 0)

    acfg = pj.AccountConfig()
    user = args.user if callee else args.from_user
    acfg.idUri = "sip:%s@127.0.0.1:%d" % (user, local_port)
    if callee and args.register is not None:
        domain = args.register.split(":", 1)[1]
        acfg.idUri = "sip:%s@%s" % (user, domain)
        acfg.regConfig.registrarUri = args.register
        acfg.regConfig.timeoutSec = 300
        if args.proxy is not None:
            acfg.sipConfig.proxies.append(args.proxy)
        cred = pj.AuthCredInfo("digest", "*", user, 0, args.password or "")
        acfg.sipConfig.authCreds.append(cred)
    acfg.sipConfig.transportId = transport
    acfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
    acfg.mediaConfig.transportConfig.publicAddress = "127.0.0.1"
    acfg.mediaConfig.transportConfig.port = 0
    # The caller's account is a plain one, as before: it takes no calls.
    account = PhoneAccount(args.record, tone_player) if callee else pj.Account()
    account.create(acfg)

    started = time.monotonic()
    deadline = started + args.timeout
    summary = {"mode": "callee" if callee else "caller", "connected": False}
    if callee and args.register is not None:
        reg_deadline = time.monotonic() + 10.0
        while account.reg_status is None and time.monotonic() < reg_deadline:
            ep.libHandleEvents(20)
        summary["registration"] = account.reg_status
        print("phone.py: registered %s" % account.reg_status, file=sys.stderr, flush=True)
        if account.reg_status != 200:
            account.shutdown()
            ep.libDestroy()
            print(json.dumps(summary), file=summary_out, flush=True)
            return 1
    if callee:
        summary["port"] = local_port
        print("phone.py: listening on 127.0.0.1:%d" % local_port, file=sys.stderr, flush=True)
        call = None
    else:
        summary["uri"] = args.uri
        call = PhoneCall(account, args.record, tone_player)
    hung_up_by = None  # "local" (--hangup-after), "timeout", "stopped"
    answered_200 = False
    dtmf_sent = ""
    error = None
    try:
        if not callee:
            call.makeCall(args.uri, pj.CallOpParam(True))
        while True:
            ep.libHandleEvents(20)
            now = time.monotonic()
            if callee and call is None:
                call = account.call
            if call is not None and call.disconnected:
                break
            if hung_up_by is not None:
                if now >= deadline:
                    break
                continue
            if call is None:
                if now >= deadline or stop["requested"]:
                    break
                continue
            if (callee and not answered_200
                    and now - account.invited_at >= args.answer_after):
                op = pj.CallOpParam(True)
                op.statusCode = 200
                call.answer(op)
                answered_200 = True
            if (args.dtmf and not dtmf_sent and call.confirmed_at is not None
                    and now - call.confirmed_at >= args.dtmf_after):
                prm = pj.CallSendDtmfParam()
                prm.method = pj.PJSUA_DTMF_METHOD_RFC2833
                prm.digits = args.dtmf
                call.sendDtmf(prm)
                dtmf_sent = args.dtmf
            reason = None
            if stop["requested"]:
                reason = "stopped"
            elif now >= deadline:
                reason = "timeout"
            elif (args.hangup_after is not None and call.confirmed_at is not None
                    and now - call.confirmed_at >= args.hangup_after):
                reason = "local"
            if reason is not None:
                hung_up_by = reason
                call.hangup(pj.CallOpParam(True))
                deadline = now + (STOP_GRACE if reason == "stopped" else HANGUP_GRACE)
        # Let the 200 for the far end's BYE leave before the library goes down.
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            ep.libHandleEvents(20)
    except pj.Error as e:
        error = e.info()

    if call is None:
        summary.update({
            "ended_by_remote": False, "hung_up_by": None, "disconnect_reason": None,
            "last_status": None, "record": args.record, "duration": 0.0,
            "dtmf_sent": "", "dtmf_received": "", "states": [],
        })
    else:
        ended_by_remote = call.disconnected and hung_up_by is None
        summary.update({
            "connected": call.connected,
            "ended_by_remote": ended_by_remote,
            "hung_up_by": "remote" if ended_by_remote else hung_up_by,
            "disconnect_reason": call.last_reason,
            "last_status": call.last_status,
            "record": args.record,
            "duration": call.connect_duration,
            "dtmf_sent": dtmf_sent,
            "dtmf_received": call.dtmf_received,
            "states": call.states,
        })
    summary.update({
        "answered": summary["connected"],
        "tone": args.tone,
        "elapsed": time.monotonic() - started,
        "error": error,
    })
    if callee:
        summary["invite"] = account.invite
        summary["rejected_calls"] = len(account.rejected)
    if call is not None:
        call.recorder = None
        call.tone_player = None
        call.audio = None
    del call
    if callee:
        account.call = None
        account.tone_player = None
    tone_player = None
    ep.libDestroy()
    if tone_dir is not None:
        shutil.rmtree(tone_dir, ignore_errors=True)
    print(json.dumps(summary), file=summary_out, flush=True)
    if error is not None or not summary["connected"]:
        return 1
    if callee:
        return 0
    return 0 if summary["ended_by_remote"] or summary["hung_up_by"] == "local" else 1


if __name__ == "__main__":
    sys.exit(main())
