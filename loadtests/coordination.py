"""How key claims and ledger rows travel between Locust workers and the master (``loadtests.keyclaims`` is
the master's bookkeeping). Workers ship their rows every
stats report (``report_to_master``) to keep their memory flat, and the remainder with each release. Messages
between one worker and the master travel in order over one socket, so when the master has seen every release,
it has seen every row.
"""

from __future__ import annotations

import logging
import uuid

import gevent
from gevent.event import AsyncResult
from locust.runners import MasterRunner, WorkerRunner

from loadtests.keyclaims import Coordinator
from loadtests.ledger import Ledger

log = logging.getLogger("fiwano.load")

CLAIM, ASSIGN, RELEASE = "fiwano_claim", "fiwano_assign", "fiwano_release"
CLAIM_TIMEOUT = 60.0


class Link:
    """What a user sees: claim and release, and the ledger of its own process."""

    def __init__(self, environment, coordinator: Coordinator | None) -> None:
        self.environment = environment
        self.coordinator = coordinator
        self.ledger = coordinator.ledger if coordinator is not None else Ledger()
        self._pending: dict[str, AsyncResult] = {}
        runner = environment.runner
        self.remote = isinstance(runner, WorkerRunner)
        if isinstance(runner, WorkerRunner):
            runner.register_message(ASSIGN, self._on_assign)
            environment.events.report_to_master.add_listener(self._on_report_to_master)
        elif isinstance(runner, MasterRunner):
            runner.register_message(CLAIM, self._on_claim)
            runner.register_message(RELEASE, self._on_release)
            environment.events.worker_report.add_listener(self._on_worker_report)

    # --- user side ---------------------------------------------------------------------------------------
    def claim(self, role: str) -> dict | None:
        if not self.remote:
            return self.coordinator.claim(role, "local")
        request_id = uuid.uuid4().hex
        result = AsyncResult()
        self._pending[request_id] = result
        self.environment.runner.send_message(CLAIM, {"request_id": request_id, "role": role})
        try:
            return result.get(timeout=CLAIM_TIMEOUT)
        except gevent.Timeout:
            log.error("the master did not answer a key claim within %.0f s", CLAIM_TIMEOUT)
            return None
        finally:
            self._pending.pop(request_id, None)

    def release(self, role: str, key: int | None = None, next_seq: int | None = None) -> None:
        if not self.remote:
            self.coordinator.release(role, key, next_seq, None)
            return
        self.environment.runner.send_message(RELEASE, {"role": role, "key": key, "next_seq": next_seq,
                                                       "shipment": self.ledger.take_unshipped()})

    # --- worker side -------------------------------------------------------------------------------------
    def _on_assign(self, environment, msg, **_kw) -> None:
        pending = self._pending.get(msg.data["request_id"])
        if pending is not None:
            pending.set(msg.data["assignment"])

    def _on_report_to_master(self, client_id, data, **_kw) -> None:
        data["fiwano"] = self.ledger.take_unshipped()

    # --- master side -------------------------------------------------------------------------------------
    def _on_claim(self, environment, msg, **_kw) -> None:
        assignment = self.coordinator.claim(msg.data["role"], msg.node_id)
        environment.runner.send_message(ASSIGN, {"request_id": msg.data["request_id"], "assignment": assignment},
                                        client_id=msg.node_id)

    def _on_release(self, environment, msg, **_kw) -> None:
        data = msg.data
        self.coordinator.release(data["role"], data.get("key"), data.get("next_seq"), data.get("shipment"))

    def _on_worker_report(self, client_id, data, **_kw) -> None:
        shipment = data.get("fiwano")
        if shipment:
            self.coordinator.ledger.merge(shipment)
