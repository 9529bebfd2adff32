"""Reconciliation of north (ledger), south (journal) and east (sink) on synthetic data."""

import hashlib
import hmac
import json

from loadtests.ledger import Detail, Op, Row
from loadtests.reconcile import (illegal_order, media_url, missing_deliveries, reconcile_east,
                                 reconcile_south, signature_valid, token)
from loadtests.sink import SinkRecord

RUN = "20261125T1-abc"


def send_row(key, seq, status=200, detail=Detail.SENT, op=Op.SEND_TEXT):
    return Row(key, seq, op, 10.0 + seq, 10.01 + seq, status, detail)


def journal_entry(text, path="/v21.0/111/messages", method="POST"):
    return {"method": method, "path": path, "body": json.dumps({"text": {"body": text}})}


def test_south_all_good():
    rows = [send_row(0, 0), send_row(0, 1, status=429, detail=Detail.NONE), send_row(1, 0)]
    journal = [journal_entry(token(RUN, 0, 0)), journal_entry(token(RUN, 1, 0)),
               {"method": "GET", "path": "/v21.0/111", "body": ""}]
    report = reconcile_south(RUN, rows, journal)
    assert (report.send_calls, report.matched, report.leaked_to_meta, report.lost_sends) == (2, 2, 0, 0)


def test_south_leak_loss_repeat_and_untracked():
    rows = [send_row(0, 0, status=429, detail=Detail.NONE), send_row(0, 1), send_row(0, 2, detail=Detail.QUEUED),
            send_row(0, 3), Row(0, 4, Op.READ_CHANNELS, 1, 2, 200, Detail.NONE)]
    journal = [journal_entry(token(RUN, 0, 0)), journal_entry(token(RUN, 0, 3)), journal_entry(token(RUN, 0, 3)),
               journal_entry(token("other-run", 0, 1)), journal_entry("no token")]
    report = reconcile_south(RUN, rows, journal)
    assert report.leaked_to_meta == 1          # the 429'd send reached Meta
    assert report.lost_sends == 1              # seq 1: success, not queued, never at Meta (seq 2 is queued)
    assert report.repeated_calls == 1
    assert report.untracked == 2
    assert report.examples["leaked_to_meta"][0]["seq"] == 0


def test_media_tokens_are_found_in_urls():
    rows = [send_row(3, 7, op=Op.SEND_MEDIA)]
    journal = [{"method": "POST", "path": "/v21.0/9/messages",
                "body": json.dumps({"image": {"link": media_url(RUN, 3, 7)}})}]
    assert reconcile_south(RUN, rows, journal).lost_sends == 0


def signed(secret, payload, path, status=200, seq=0, arrived=1.0, answered=1.001):
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return SinkRecord(seq, path, {"x-webhook-signature": signature}, body, arrived, answered, status)


def received(channel, message_id, text="hi"):
    return {"event": "message.received", "channel_id": channel, "channel_type": "whatsapp",
            "data": {"message_id": message_id, "text": text}}


def status_event(channel, message_id, status):
    return {"event": f"message.{status}", "channel_id": channel, "channel_type": "whatsapp",
            "data": {"message_id": message_id, "status": status}}


def emitted(channel, message_id, delivery_status=200, **extra):
    return {"channel_id": channel, "message_id": message_id, "delivery_status": delivery_status, **extra}


SECRETS = {"c1": "s1", "c2": "s2"}


def test_east_all_good():
    records = [signed("s1", received("c1", "wamid.1"), "/hooks/c1", seq=0, arrived=1),
               signed("s2", received("c2", "mid.2"), "/hooks/c2", seq=1, arrived=2),
               signed("s1", status_event("c1", "u-1", "sent"), "/hooks/c1", seq=2, arrived=3),
               signed("s1", status_event("c1", "u-1", "delivered"), "/hooks/c1", seq=3, arrived=4)]
    report = reconcile_east([emitted("c1", "wamid.1"), emitted("c2", "mid.2")], records, SECRETS, 5.0)
    assert (report.inbound_emitted, report.inbound_relayed, report.inbound_lost) == (2, 2, 0)
    assert (report.invalid_signatures, report.duplicates_unexplained, report.illegal_status_orders) == (0, 0, 0)
    assert report.status_events == 2


def test_east_lost_refused_and_emit_errors():
    rows = [emitted("c1", "wamid.1"), emitted("c1", "wamid.2"), emitted("c1", "wamid.3", delivery_status=500),
            {"channel_id": "c1", "message_id": None, "emit_error": "boom"}]
    records = [signed("s1", received("c1", "wamid.1"), "/hooks/c1")]
    report = reconcile_east(rows, records, SECRETS, 5.0)
    assert (report.inbound_lost, report.inbound_refused, report.emit_errors) == (1, 1, 1)
    assert missing_deliveries(rows, records) == 1


def test_east_signatures_bad_missing_and_unverifiable():
    good = signed("s1", received("c1", "a"), "/hooks/c1", seq=0)
    wrong = signed("not-the-secret", received("c1", "b"), "/hooks/c1", seq=1)
    missing = SinkRecord(2, "/hooks/c1", {}, json.dumps(received("c1", "c")).encode(), 1, 1, 200)
    unknown_channel = signed("x", received("c9", "d"), "/hooks/c9", seq=3)
    report = reconcile_east([], [good, wrong, missing, unknown_channel], SECRETS, 5.0)
    assert report.invalid_signatures == 2 and report.unverifiable == 1
    assert report.unknown_inbound == 4


def test_duplicates_explained_only_after_a_failed_or_slow_copy():
    plain = [signed("s1", received("c1", "m1"), "/hooks/c1", seq=0, arrived=1),
             signed("s1", received("c1", "m1"), "/hooks/c1", seq=1, arrived=2)]
    failed_first = [signed("s1", received("c1", "m2"), "/hooks/c1", seq=2, arrived=3, status=500),
                    signed("s1", received("c1", "m2"), "/hooks/c1", seq=3, arrived=40)]
    slow_first = [signed("s1", received("c1", "m3"), "/hooks/c1", seq=4, arrived=50, answered=56),
                  signed("s1", received("c1", "m3"), "/hooks/c1", seq=5, arrived=90)]
    report = reconcile_east([], plain + failed_first + slow_first, SECRETS, 5.0)
    assert report.duplicates_unexplained == 1
    assert report.duplicates_explained == 2


def test_misrouted_and_unparseable():
    wrong_channel = signed("s1", received("c2", "m"), "/hooks/c1")
    garbage = SinkRecord(1, "/hooks/c1", {}, b"not json", 1, 1, 200)
    report = reconcile_east([], [wrong_channel, garbage], SECRETS, 5.0)
    assert report.misrouted == 1 and report.unparseable == 1


def test_status_orders():
    assert illegal_order(["sent", "delivered", "read"]) is None
    assert illegal_order(["delivered", "read"]) is None
    assert illegal_order(["sent", "sent", "delivered"]) is None
    assert illegal_order(["sent", "failed"]) is None
    assert "after" in illegal_order(["read", "delivered"])
    assert "failed" in illegal_order(["delivered", "failed"])
    assert "after failed" in illegal_order(["sent", "failed", "delivered"])
    assert "unknown" in illegal_order(["sent", "exploded"])


def test_status_order_is_judged_on_arrival_order():
    records = [signed("s1", status_event("c1", "u1", "read"), "/hooks/c1", seq=0, arrived=1.0),
               signed("s1", status_event("c1", "u1", "delivered"), "/hooks/c1", seq=1, arrived=1.0004)]
    report = reconcile_east([], records, SECRETS, 5.0)
    assert report.illegal_status_orders == 1
    assert report.examples["illegal_status_orders"][0]["message_id"] == "u1"


def test_status_emits_are_counted_by_channel_and_status():
    rows = [{"kind": "status", "channel_id": "c1", "channel_type": "whatsapp", "status": "sent",
             "delivery_status": 200},
            {"kind": "status", "channel_id": "c1", "channel_type": "whatsapp", "status": "delivered",
             "delivery_status": 200},
            {"kind": "status", "channel_id": "c1", "channel_type": "whatsapp", "status": "read",
             "delivery_status": 503},
            {"kind": "status", "channel_id": "c2", "channel_type": "facebook", "status": "read",
             "delivery_status": 200}]
    records = [signed("s1", status_event("c1", "u1", "sent"), "/hooks/c1")]
    report = reconcile_east(rows, records, SECRETS, 5.0)
    assert (report.statuses_emitted, report.statuses_refused, report.statuses_lost) == (4, 1, 1)
    assert report.inbound_emitted == 0
    assert missing_deliveries(rows, records) == 1


def test_signature_helper():
    body = b'{"a":1}'
    header = "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert signature_valid(body, "k", header)
    assert not signature_valid(body, "k", None)
    assert not signature_valid(body, "k", header.replace("sha256=", "md5="))


def test_relay_latency_from_emit_start_to_the_first_copy_setup_excluded():
    # m1: 40 ms, m2: first copy after 250 ms (a retry later does not count), m3: a window opener (setup),
    # m4: relayed to the sink but without an emit time, m5: never relayed
    rows = [emitted("c1", "m1", sent=10.0), emitted("c1", "m2", sent=20.0),
            emitted("c1", "m3", sent=30.0, setup=True), emitted("c1", "m4"), emitted("c1", "m5", sent=50.0)]
    records = [signed("s1", received("c1", "m1"), "/hooks/c1", seq=0, arrived=10.04),
               signed("s1", received("c1", "m2"), "/hooks/c1", seq=1, arrived=20.25, status=500),
               signed("s1", received("c1", "m2"), "/hooks/c1", seq=2, arrived=50.0),
               signed("s1", received("c1", "m3"), "/hooks/c1", seq=3, arrived=39.0),
               signed("s1", received("c1", "m4"), "/hooks/c1", seq=4, arrived=40.0)]
    report = reconcile_east(rows, records, SECRETS, 5.0)
    assert report.inbound_relayed == 4 and report.inbound_lost == 1
    assert report.relay_latency_ms == {"count": 2, "p50": 40.0, "p90": 250.0, "p99": 250.0, "max": 250.0}


def test_relay_latency_of_a_run_without_inbound_is_empty():
    assert reconcile_east([], [], SECRETS, 5.0).relay_latency_ms == {"count": 0, "p50": None, "p90": None,
                                                                     "p99": None, "max": None}
