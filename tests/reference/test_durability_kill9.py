"""kill -9 durability: nothing queued or pending is lost when the reference process dies without warning.

Real processes on loopback: the simulator and the reference are subprocesses (``fiwano_conformance.embedded``),
the reference keeps a real SQLite file, and the customer's HTTPS endpoint is the suites' ``Sink`` in this
process (verified TLS through the kit CA). Before the crash the reference holds

- messages queued for retry (the simulator answers every send with a transient 503), one of them with a
  retry *in flight* (the simulator holds that request, then drops it without processing it), and
- relays pending (the sink answers 500), one of them *in flight* (the sink holds its answer), and
- an inbound photo (Pro) whose download from Meta is *in flight* (Meta got its 200; the event is not built yet),

then gets SIGKILL. A new process on the same database file (same settings) must finish all of it once Meta
and the sink are healthy: every message accepted by Meta, every event at the sink with a valid signature
and the same bytes on every attempt. No fixed sleeps: every wait is a bounded poll on an observable state.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from fiwano_conformance import embedded
from simulator.client import SimulatorClient
from suites.sink import Reply, Sink

SENDS = 4  # messages queued for retry (one of them in flight at the crash)
INBOUND = 3  # relays pending (one of them in flight at the crash)
PHOTO = b"\xff\xd8\xff" + b"kill9-photo" * 300  # an inbound photo whose download is in flight at the crash
WEBHOOK_SECRET = "kill9-" + "s" * 26
SEND_RETRY_DUE = 31  # the first send retry / relay retry is due 30 s (virtual) after the failure
AFTER_RESTART = 61  # the second retry of both queues is due 60 s after the first retry failed


def _poll(what: str, probe: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Bounded poll of an observable state (never a sleep standing in for a time rule)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last observation: {last!r}")


class Reference:
    """The reference subprocess on a fixed database file, restartable with the same settings."""

    def __init__(self, workdir: Path, simulator_url: str, app_secret: str, verify_token: str, ca_file: Path,
                 db_path: Path) -> None:
        self.args = dict(workdir=workdir, simulator_url=simulator_url, app_secret=app_secret,
                         verify_token=verify_token, webhook_ca_file=ca_file, allow_webhook_hosts=["127.0.0.1"],
                         profile="default", db_path=db_path)
        self.server: embedded.ManagedServer | None = None
        self.http: httpx.Client | None = None

    def start(self) -> None:
        self.server = embedded.start_reference(**self.args)
        embedded.point_simulator_at(self.args["simulator_url"], self.server.url)
        self.http = httpx.Client(base_url=self.server.url, timeout=30)

    def kill(self) -> None:
        assert self.server is not None and self.http is not None
        self.server.kill()
        self.http.close()

    def stop(self) -> None:
        if self.http is not None:
            self.http.close()
        if self.server is not None:
            self.server.stop()

    def call(self, method: str, path: str, api_key: str | None = None, **kwargs: Any) -> Any:
        assert self.http is not None
        headers = {"X-API-Key": api_key} if api_key else {}
        response = self.http.request(method, path, headers=headers, **kwargs)
        assert response.status_code < 300, f"{method} {path} -> {response.status_code} {response.text}"
        return response.json() if response.content else None

    def deliveries(self, channel_id: str) -> list[dict[str, Any]]:
        return self.call("GET", f"/harness/channels/{channel_id}/deliveries")["deliveries"]

    def message(self, message_id: str) -> dict[str, Any]:
        return self.call("GET", f"/harness/messages/{message_id}")


@pytest.fixture
def rig(tmp_path):
    app_secret, verify_token = secrets.token_hex(16), secrets.token_hex(12)
    sink = Sink(tmp_path / "ca", default_timeout=15.0).start()
    simulator = embedded.start_simulator(tmp_path, app_secret, verify_token)
    reference = Reference(tmp_path, simulator.url, app_secret, verify_token, sink.ca_file,
                          tmp_path / "durable.sqlite3")
    try:
        reference.start()
        with SimulatorClient(simulator.url) as sim:
            yield sim, sink, reference
    finally:
        reference.stop()
        simulator.stop()
        sink.stop()


def _signature_ok(body: bytes, header: str | None) -> bool:
    expected = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return header is not None and hmac.compare_digest(header, expected)


def test_kill9_loses_no_queued_message_and_no_pending_relay(rig):
    sim, sink, ref = rig
    world = sim.create_world(["whatsapp"], label="kill9")
    phone = world.asset("whatsapp")
    account = ref.call("POST", "/harness/accounts", json={"tier": "pro", "subscription_status": "active"})
    key = account["api_key"]
    channel = ref.call("POST", f"/harness/accounts/{account['account_id']}/channels",
                       json={"channel_type": "whatsapp", "asset_id": phone.asset_id,
                             "access_token": phone.access_token, "waba_id": phone.waba_id})
    hook = sink.endpoint()
    ref.call("PATCH", f"/api/v1/channels/{channel['id']}", key,
             json={"webhook_url": hook.url, "webhook_secret": WEBHOOK_SECRET, "webhook_events": ["message.received"]})

    # (b) relays pending: every first attempt answered 500; then the retries (500, one held in flight)
    hook.script(*([500] * INBOUND), Reply(500, delay=5.5), *([500] * (INBOUND - 1)))
    senders = [f"1555000{i:04d}" for i in range(INBOUND)]
    for i, sender in enumerate(senders):
        result = sim.emit_inbound_text(world.world_id, phone.asset_id, sender, f"inbound {i} ✓")
        assert result.delivery.ok, result.delivery  # Meta's webhook is answered only once persisted
    hook.wait_for(INBOUND, what="first relay attempts")
    _poll("first relay attempts recorded", lambda: all(
        d["state"] == "pending" and d["attempts"] == 1 for d in ref.deliveries(channel["id"]))
        and len(ref.deliveries(channel["id"])) == INBOUND)

    # (a) messages queued for retry: Meta answers 503 (transient) to every send; later one retry is held
    sim.add_faults(world.world_id, [{"match": {"method": "POST", "path_contains": "/messages"},
                                     "action": {"kind": "http_error", "code": 2}, "times": None}])
    queued = []
    for i in range(SENDS):
        answer = ref.call("POST", "/api/v1/messages/send", key,
                          json={"channel_id": channel["id"], "recipient": senders[i % INBOUND], "text": f"out {i}"})
        assert answer["success"] is True and answer["status"] == "queued", answer
        queued.append(answer["message_id"])
    sim.add_faults(world.world_id, [  # rules are tried in order: one send retry held (then dropped), 503 for ever
        {"match": {"method": "POST", "path_contains": "/messages"}, "action": {"kind": "timeout", "seconds": 8},
         "times": 1},
        {"match": {"method": "GET", "path_contains": "/whatsapp_business/attachments"},  # the photo's bytes
         "action": {"kind": "timeout", "seconds": 8}, "times": 1},
        {"match": {"method": "POST", "path_contains": "/messages"}, "action": {"kind": "http_error", "code": 2},
         "times": None}], replace=True)

    # (c) a photo arrives; Meta is answered at once, the download (held by Meta) runs afterwards
    photo = sim.emit_inbound(world.world_id, phone.asset_id, senders[0], "image", content=PHOTO,
                             media={"mime_type": "image/jpeg"}, caption="kill9 photo")
    assert photo.delivery.ok, photo.delivery

    # the first background retries run (the clock is moved in a thread: the held attempts keep that call open)
    advance_url = f"{ref.server.url}/harness/clock/advance"
    mover = threading.Thread(target=_swallow, args=(httpx.post, advance_url),
                             kwargs={"json": {"seconds": SEND_RETRY_DUE}, "timeout": 30}, daemon=True)
    mover.start()
    hook.wait_for(2 * INBOUND, what="relay retries before the crash")
    _poll("a send retry and the photo download held by Meta",
          lambda: len([e for e in sim.journal(world.world_id) if (e.fault or {}).get("kind") == "timeout"]) == 2)

    def settled_before_crash() -> bool:
        deliveries = ref.deliveries(channel["id"])
        messages = [ref.message(m) for m in queued]
        return (sorted((d["state"], d["attempts"]) for d in deliveries)
                == sorted([("pending", 2)] * (INBOUND - 1) + [("sending", 1)])
                and sorted((m["status"], m["attempts"]) for m in messages)
                == sorted([("queued", 2)] * (SENDS - 1) + [("sending", 1)]))

    _poll("retries recorded, one send and one relay in flight", settled_before_crash)
    before = {"deliveries": ref.deliveries(channel["id"]), "messages": [ref.message(m) for m in queued],
              "clock": ref.call("GET", "/harness/clock")}

    # ---- crash ------------------------------------------------------------------------------------------
    ref.kill()
    held = next(r for r in hook.requests if "after" in r.answered_with)
    crash_after = time.monotonic() - held.received_monotonic
    assert crash_after < 5.0, "the held relay attempt had already timed out (5 s budget) before the crash"
    mover.join(timeout=10)
    sim.clear_faults(world.world_id)  # Meta healthy again
    hook.script()  # the sink answers 200 from now on
    ref.start()  # same database file, same settings, new port; the simulator is pointed at it

    after_clock = ref.call("GET", "/harness/clock")
    assert after_clock["offset_seconds"] == before["clock"]["offset_seconds"]  # virtual time did not jump back
    ref.call("POST", "/harness/clock/advance", json={"seconds": AFTER_RESTART})

    def all_done() -> bool:
        deliveries = ref.deliveries(channel["id"])
        return (len(deliveries) == INBOUND + 1 and all(d["state"] == "delivered" for d in deliveries)
                and all(ref.message(m)["status"] == "accepted" for m in queued))

    _poll("every queued message accepted and every relay delivered after the restart", all_done)

    # ---- no loss: Meta --------------------------------------------------------------------------------------
    accepted = Counter(m.payload.get("text", {}).get("body") for m in sim.sent_messages(world.world_id))
    assert {f"out {i}": 1 for i in range(SENDS)} == dict(accepted), accepted  # each exactly once
    for message_id in queued:
        state = ref.message(message_id)
        assert state["meta_message_id"], state

    # ---- no loss: the sink ---------------------------------------------------------------------------------
    by_delivery: dict[str, list] = defaultdict(list)
    for request in hook.requests:
        assert _signature_ok(request.body, request.header("X-Webhook-Signature")), request.describe()
        by_delivery[request.header("X-Webhook-Id")].append(request)
    assert len(by_delivery) == INBOUND + 1
    texts, photos = set(), []
    for delivery_id, attempts in by_delivery.items():
        assert len({a.body for a in attempts}) == 1, f"{delivery_id}: body changed between attempts"
        answered_ok = [a for a in attempts if a.answered_with == "200"]
        assert len(answered_ok) == 1, f"{delivery_id}: {len(answered_ok)} successful deliveries"
        data = attempts[0].json()["data"]
        if data["type"] == "image":
            photos.append(data)
        else:
            texts.add(data["text"])
    assert texts == {f"inbound {i} ✓" for i in range(INBOUND)}
    (photo_event,) = photos
    assert photo_event["message_id"] == photo.message_id and photo_event["caption"] == "kill9 photo"
    download = ref.http.get(f"/api/v1/media/{photo_event['media']['media_id']}", headers={"X-API-Key": key})
    assert download.status_code == 200 and download.content == PHOTO  # fetched by the restarted process

    # figures for the report (pytest -s shows them)
    in_flight_relay = [d for d in before["deliveries"] if d["state"] == "sending"]
    print(f"\nkill -9 durability: 1 photo download in flight (relayed after the restart: {len(photos)}); "
          f"{SENDS} messages queued ({sum(m['status'] == 'sending' for m in before['messages'])}"
          f" in flight), {INBOUND} relays pending ({len(in_flight_relay)} in flight); clock offset before the crash "
          f"{before['clock']['offset_seconds']:g} s, after the restart {after_clock['offset_seconds']:g} s; "
          f"after the restart: {len(accepted)} accepted by Meta (max copies {max(accepted.values())}), "
          f"{len(by_delivery)} events delivered; sink requests {len(hook.requests)} "
          f"(attempts per delivery {sorted(len(a) for a in by_delivery.values())}); killed {crash_after:.2f} s after the "
          f"held relay attempt began")


def _swallow(call: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    try:
        call(*args, **kwargs)
    except httpx.HTTPError:
        pass  # the process is killed while this call waits for the held attempts
