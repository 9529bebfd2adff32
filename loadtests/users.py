"""The simulated users: each keyed user owns one API key (claimed from the coordinator) and paces its requests
on a fixed grid; the inbound user makes the simulator send Meta webhooks to the target.

``SendUser`` sends text, media and template messages; ``ReadUser`` lists channels and templates; their share of
the keys follows the profile's mix. Every request is recorded in the ledger (per key, with the token that lets
the reconciliation find it in the simulator's journal). A 429 is marked as a success in Locust's statistics:
it is the limiter working, and whether it was right is for the admission oracle to say.
"""

from __future__ import annotations

import itertools
import logging
import random
import time
from collections import deque

import gevent
import orjson
from gevent import GreenletExit
from locust import User, task
from locust.exception import CatchResponseError, StopUser

from loadtests import runtime
from loadtests.api_client import NO_ANSWER, ApiClient
from loadtests.inbound import STATUS_SEQUENCE, emit, emit_status, meta_message_id, simulator_client
from loadtests.keyring import ChannelSpec, KeySpec
from loadtests.ledger import INTERRUPTED, Detail, Op
from loadtests.pacing import Pacer, phase_for
from loadtests.reconcile import TOKEN, media_url, token

log = logging.getLogger("fiwano.load")


def _detail(op: Op, status: int, content: bytes) -> Detail:
    if status != 200 or not op.is_send:
        return Detail.NONE
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:  # not JSON (or not UTF-8): no detail
        return Detail.NONE
    if not isinstance(body, dict):
        return Detail.NONE
    if body.get("status") == "queued":
        return Detail.QUEUED
    return Detail.SENT if body.get("success") is True else Detail.FAILED


_STAT_NAMES = {op: op.name.lower() for op in Op}   # the name of each operation in Locust's statistics


class KeyedUser(User):
    """Claims a key on start, gives it back on stop, and runs one paced operation per slot.

    Requests go through :class:`~loadtests.api_client.ApiClient` (geventhttpclient without FastHttpUser's user
    agent, see there) and are reported to Locust's statistics here, with the answer: a 429 is a success (the
    limiter working, judged by the oracle), any other non-2xx a failure ``HTTP <status>``, no answer a failure
    ``no answer``.
    """

    abstract = True
    role = "send"
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        self.link = runtime.link(self.environment)
        assignment = self.link.claim(self.role)
        if assignment is None:
            raise StopUser()
        self.run_settings = assignment["run"]
        self.key = KeySpec.model_validate(assignment["key"])
        self._next_seq = assignment["next_seq"]
        self.api = ApiClient(self.host or self.environment.host or "", {"X-API-Key": self.key.api_key},
                             network_timeout=self.network_timeout, connection_timeout=self.connection_timeout)
        self._record = self.link.ledger.record
        self._report = self.environment.events.request.fire
        sendable = self.key.sendable()
        self.send_channels = itertools.cycle(sendable) if sendable else None
        whatsapp = [c for c in self.key.channels if c.channel_type == "whatsapp"]
        self.template_channels = itertools.cycle([c for c in whatsapp if c.recipient]) if any(
            c.recipient for c in whatsapp) else None
        self.read_template_channel = whatsapp[0] if whatsapp else None
        interval = self.run_settings["interval"]
        self.pacer = Pacer(interval, phase=phase_for(self.key.index, interval, self.run_settings["spread"]))
        self.operations, weights = self._operations()
        self.cum_weights = list(itertools.accumulate(weights))   # random.choices' work, done once
        gevent.sleep(self.pacer.next_delay())

    def on_stop(self) -> None:
        link = getattr(self, "link", None)
        if link is not None and getattr(self, "key", None) is not None:
            link.release(self.role, self.key.index, self._next_seq)
        api = getattr(self, "api", None)
        if api is not None:
            api.close()

    def wait_time(self) -> float:
        return self.pacer.next_delay()

    def _operations(self) -> tuple[list, list[float]]:
        raise NotImplementedError

    @task
    def act(self) -> None:
        random.choices(self.operations, cum_weights=self.cum_weights)[0]()

    # --- one recorded request ----------------------------------------------------------------------------
    def _request(self, op: Op, method: str, path: str, body: dict | None = None) -> None:
        seq = self._next_seq
        self._next_seq = seq + 1
        payload = None if body is None else orjson.dumps(body)
        status, detail, content, no_answer = 0, Detail.NONE, b"", None
        sent, started = time.time(), time.perf_counter()
        try:
            status, content = self.api.request(method, path, payload)
            detail = _detail(op, status, content)
        except NO_ANSWER as exc:
            no_answer = exc
        except GreenletExit:
            status = INTERRUPTED   # the run ended under this request: neither a failure nor a known outcome
            raise
        finally:
            self._record(self.key.index, seq, op, sent, time.time(), status, detail)
        failure = None
        if no_answer is not None:
            failure = CatchResponseError("no answer")
        elif status != 429 and not 200 <= status < 300:
            failure = CatchResponseError(f"HTTP {status}")
        self._report(request_type=method, name=_STAT_NAMES[op], response_time=(time.perf_counter() - started) * 1000,
                     response_length=len(content), exception=failure, context={}, response=None, start_time=sent,
                     url=path)

    def _next_token(self) -> tuple[int, str]:
        """The sequence number and token of the request about to be made (``_request`` consumes it)."""
        seq = self._next_seq
        return seq, token(self.run_settings["run_id"], self.key.index, seq)

    # --- the operations ----------------------------------------------------------------------------------
    def send_text(self) -> None:
        channel: ChannelSpec = next(self.send_channels)
        _, text = self._next_token()
        self._request(Op.SEND_TEXT, "POST", "/api/v1/messages/send",
                      {"channel_id": channel.channel_id, "recipient": channel.recipient, "text": text})

    def send_media(self) -> None:
        channel: ChannelSpec = next(self.send_channels)
        seq, text = self._next_token()
        body = {"channel_id": channel.channel_id, "recipient": channel.recipient, "media_type": "image",
                "media_url": media_url(self.run_settings["run_id"], self.key.index, seq)}
        if channel.channel_type == "whatsapp":
            body["caption"] = text
        self._request(Op.SEND_MEDIA, "POST", "/api/v1/messages/send-media", body)

    def send_template(self) -> None:
        if self.template_channels is None:
            return self.send_text()
        channel: ChannelSpec = next(self.template_channels)
        _, text = self._next_token()
        template = self.run_settings["template"]
        self._request(Op.SEND_TEMPLATE, "POST", "/api/v1/messages/send-template",
                      {"channel_id": channel.channel_id, "recipient": channel.recipient,
                       "template_name": template["name"], "language": template["language"],
                       "variables": {"body": [text]}})

    def read_channels(self) -> None:
        self._request(Op.READ_CHANNELS, "GET", "/api/v1/channels")

    def read_templates(self) -> None:
        if self.read_template_channel is None:
            return self.read_channels()
        self._request(Op.READ_TEMPLATES, "GET",
                      f"/api/v1/channels/{self.read_template_channel.channel_id}/templates?sync=false")


class SendUser(KeyedUser):
    """Sends text, media and template messages with its key, in the profile's proportions."""

    role = "send"

    def _operations(self):
        mix = self.run_settings["mix"]
        pairs = [(self.send_text, mix["send_text"]), (self.send_media, mix["send_media"]),
                 (self.send_template, mix["send_template"])]
        pairs = [(op, w) for op, w in pairs if w > 0] or [(self.send_text, 1.0)]
        if self.send_channels is None:      # a read-only key ended up here: read instead of failing
            pairs = [(self.read_channels, 1.0)]
        return [p[0] for p in pairs], [p[1] for p in pairs]


class ReadUser(KeyedUser):
    """Lists channels and templates with its key, in the profile's proportions."""

    role = "read"

    def _operations(self):
        mix = self.run_settings["mix"]
        pairs = [(self.read_channels, mix["read_channels"]), (self.read_templates, mix["read_templates"])]
        pairs = [(op, w) for op, w in pairs if w > 0] or [(self.read_channels, 1.0)]
        return [p[0] for p in pairs], [p[1] for p in pairs]


class InboundUser(User):
    """Makes the simulator emit inbound messages (signed Meta webhooks to the target), round robin over the
    run's channels, each user at ``inbound rate / inbound users``."""

    fixed_count = 0   # set from the profile on the master before the run (loadtests.session)

    def on_start(self) -> None:
        self.link = runtime.link(self.environment)
        assignment = self.link.claim("inbound")
        if assignment is None:
            raise StopUser()
        run = self.run_settings = assignment["run"]
        targets = [(k, ChannelSpec.model_validate(c)) for k, c in run["inbound_targets"]]
        if not targets or not run.get("simulator_url"):
            self.link.release("inbound")
            raise StopUser()
        users = max(run["inbound_users"], 1)
        start = (assignment["user_no"] * len(targets)) // users
        self.targets = itertools.cycle(targets[start:] + targets[:start])
        self.sim = simulator_client(run["simulator_url"])
        self.pacer = Pacer(run["inbound_interval"], phase=run["inbound_interval"] * assignment["user_no"] / users)
        self.count = itertools.count()
        gevent.sleep(self.pacer.next_delay())

    def on_stop(self) -> None:
        if getattr(self, "link", None) is not None and getattr(self, "sim", None) is not None:
            self.link.release("inbound")

    def wait_time(self) -> float:
        return self.pacer.next_delay()

    @task
    def emit_inbound(self) -> None:
        key_index, channel = next(self.targets)
        text = f"fiwano-load-inbound {self.run_settings['run_id']} k{key_index} i{next(self.count)}"
        row = emit(self.sim, key_index, channel, text)
        self.link.ledger.record_inbound(row)
        status = row.get("delivery_status")
        problem = row.get("emit_error") or (None if status is not None and 200 <= int(status) < 300
                                            else f"target answered Meta's webhook with {status}")
        self.environment.events.request.fire(
            request_type="SIM", name="inbound webhook (simulator -> target)",
            response_time=(row["done"] - row["sent"]) * 1000, response_length=0,
            exception=RuntimeError(problem) if problem else None, context={})


class StatusUser(User):
    """Makes the simulator send delivery statuses (as Meta would) for messages the run sent: it reads new
    send calls from its share of the simulator worlds' journals and emits each message's statuses in Meta's
    order, one status per slot, interleaving messages. Worlds are split between status users so that no
    message gets its statuses from two users."""

    fixed_count = 0   # set from the profile on the master before the run (loadtests.session)

    def on_start(self) -> None:
        self.link = runtime.link(self.environment)
        assignment = self.link.claim("status")
        if assignment is None:
            raise StopUser()
        run = self.run_settings = assignment["run"]
        users = max(run["status_users"], 1)
        worlds = sorted(run["status_targets"])
        self.worlds = {w: run["status_targets"][w] for w in worlds[assignment["user_no"]::users]}
        self.sim = simulator_client(run["simulator_url"]) if run.get("simulator_url") else None
        if not self.worlds or self.sim is None:
            self.link.release("status")
            self.sim = None
            raise StopUser()
        self.since: dict[str, int | None] = {w: None for w in self.worlds}
        self.world_cycle = itertools.cycle(list(self.worlds))
        self.queue: deque = deque()
        self.pacer = Pacer(run["status_interval"], phase=run["status_interval"] * assignment["user_no"] / users)
        gevent.sleep(self.pacer.next_delay())

    def on_stop(self) -> None:
        if getattr(self, "link", None) is not None and getattr(self, "sim", None) is not None:
            self.link.release("status")

    def wait_time(self) -> float:
        return self.pacer.next_delay()

    def _refresh(self) -> None:
        """Queue the messages sent since the last look, for one world per call (journal reads are cheap)."""
        for _ in range(len(self.worlds)):
            world = next(self.world_cycle)
            entries = self.sim.journal(world, method="POST", path_contains="/messages", since_seq=self.since[world])
            for entry in entries:
                self.since[world] = max(self.since[world] or 0, entry.seq)
                asset = entry.path.rstrip("/").split("/")[-2]
                channel = self.worlds[world].get(asset)
                meta_id = meta_message_id(entry)
                match = TOKEN.search(entry.body or "")
                mine = match is not None and match["run"] == self.run_settings["run_id"]   # not an earlier run's
                if entry.status == 200 and channel and meta_id and mine:
                    self.queue.append((world, channel, meta_id, list(STATUS_SEQUENCE[channel["channel_type"]])))
            if self.queue:
                return

    @task
    def emit_next_status(self) -> None:
        if not self.queue:
            self._refresh()
            if not self.queue:
                return
        world, channel, meta_id, remaining = self.queue.popleft()
        status = remaining.pop(0)
        if remaining:
            self.queue.append((world, channel, meta_id, remaining))
        row = emit_status(self.sim, world, channel, meta_id, status)
        self.link.ledger.record_inbound(row)
        delivery = row.get("delivery_status")
        problem = row.get("emit_error") or (None if delivery is not None and 200 <= int(delivery) < 300
                                            else f"target answered Meta's status webhook with {delivery}")
        self.environment.events.request.fire(
            request_type="SIM", name=f"status webhook {status} (simulator -> target)",
            response_time=(row["done"] - row["sent"]) * 1000, response_length=0,
            exception=RuntimeError(problem) if problem else None, context={})
