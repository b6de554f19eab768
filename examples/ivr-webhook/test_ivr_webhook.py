"""Drives ivr_webhook.py over HTTP: python3 -m unittest discover examples/ivr-webhook"""

import os
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import urlopen

HERE = os.path.dirname(os.path.abspath(__file__))
TONE = "http://127.0.0.1:9/tone.wav"
WELCOME = "Welcome to Switchyard. Press one, or zero for an operator."


class IvrWebhookTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "ivr_webhook.py"), "0",
             "--tone-url", TONE, "--lifetime", "60"],
            stdout=subprocess.PIPE, text=True,
        )
        line = cls.proc.stdout.readline().split()
        assert line[0] == "PORT", line
        cls.base = "http://127.0.0.1:%s" % line[1]

    @classmethod
    def tearDownClass(cls):
        cls.proc.kill()
        cls.proc.wait()

    def post(self, path, **params):
        body = urlencode(params).encode()
        with urlopen(self.base + path, data=body, timeout=5) as resp:
            return ET.fromstring(resp.read())

    def test_welcome_then_welcome_back(self):
        caller = {"From": "+15551230001", "To": "+15550001111"}
        doc = self.post("/", **caller)
        gather = doc.find("Gather")
        self.assertEqual(gather.attrib, {"numDigits": "1", "action": "/gathered", "timeout": "10"})
        self.assertEqual(gather.find("Say").text, WELCOME)
        again = self.post("/", **caller)
        self.assertEqual(
            again.find("Gather/Say").text,
            "Welcome back to Switchyard. Press one, or zero for an operator.",
        )
        other = self.post("/", From="+15551230002", To="+15550001111")
        self.assertEqual(other.find("Gather/Say").text, WELCOME)

    def test_one_plays_the_tone(self):
        doc = self.post("/gathered", Digits="1")
        self.assertEqual([c.tag for c in doc], ["Play", "Hangup"])
        self.assertEqual(doc.find("Play").text, TONE)

    def test_zero_dials_the_operator(self):
        doc = self.post("/gathered", Digits="0")
        self.assertEqual([c.tag for c in doc], ["Say", "Dial"])
        self.assertEqual(doc.find("Say").text, "Connecting you to an operator.")
        dial = doc.find("Dial")
        self.assertEqual(dial.attrib, {"action": "/dialed", "timeout": "20"})
        self.assertEqual([(c.tag, c.text) for c in dial], [("Number", "+15550000000")])

    def test_other_digit_is_wrong(self):
        for digits in ("2", "#", "00", ""):
            doc = self.post("/gathered", Digits=digits)
            self.assertEqual([c.tag for c in doc], ["Say", "Hangup"])
            self.assertEqual(doc.find("Say").text, "Wrong digit")

    def test_answered_operator_call_ends_with_goodbye(self):
        doc = self.post("/dialed", DialCallStatus="completed")
        self.assertEqual([c.tag for c in doc], ["Say", "Hangup"])
        self.assertEqual(doc.find("Say").text, "Goodbye.")

    def test_unanswered_operator_call_offers_the_menu_again_uncounted(self):
        caller = {"From": "+15551230003", "To": "+15550001111"}
        for status in ("busy", "no-answer", "failed", "canceled"):
            doc = self.post("/dialed", DialCallStatus=status, **caller)
            self.assertEqual([c.tag for c in doc], ["Say", "Gather"], status)
            self.assertEqual(doc.find("Say").text, "The operator is not available.")
            gather = doc.find("Gather")
            self.assertEqual(
                gather.attrib, {"numDigits": "1", "action": "/gathered", "timeout": "10"}
            )
            self.assertEqual(gather.find("Say").text, "Press one, or zero for an operator.")
        # The menu offered again was no visit: this caller's first call is still a welcome.
        self.assertEqual(self.post("/", **caller).find("Gather/Say").text, WELCOME)

    def test_unknown_path_is_404(self):
        with self.assertRaises(HTTPError) as err:
            self.post("/nope")
        self.assertEqual(err.exception.code, 404)


if __name__ == "__main__":
    unittest.main()
