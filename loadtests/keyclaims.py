"""Who drives which key: the master's ledger of key claims (pure, no Locust import, unit-tested).

The master (or the single process of a local run) owns the keyring and the ledger. A user asks for a key when it
starts and gives it back, with its last rows, when it stops; so a key is never driven by two users at once,
whatever the number of workers and however Locust spreads users over them. The transport of claims between
workers and the master is ``loadtests.coordination``.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from loadtests.keyring import Keyring
from loadtests.ledger import Ledger

log = logging.getLogger("fiwano.load")


@dataclass
class Coordinator:
    """Master side: hands out keys and inbound targets, collects rows."""

    keyring: Keyring
    settings: dict[str, Any]
    inbound_targets: list = field(default_factory=list)   # [[key index, channel dict]], for inbound users only
    ledger: Ledger = field(default_factory=Ledger)
    next_seq: dict[int, int] = field(default_factory=dict)
    claimed: dict[int, str] = field(default_factory=dict)
    status_targets: dict = field(default_factory=dict)    # {world id: {asset id: channel dict}}, status users
    inbound_claims: int = 0                                 # inbound and status users currently running
    inbound_started: int = 0
    status_started: int = 0

    def __post_init__(self) -> None:
        self._keys = self.keyring.by_index()
        sendable = [k.index for k in self.keyring.keys if k.sendable()]
        readonly = [k.index for k in self.keyring.keys if not k.sendable()]
        self._free_send: deque[int] = deque(sendable)
        self._free_read: deque[int] = deque(readonly + list(reversed(sendable)))

    def _take(self, role: str) -> int | None:
        queues = (self._free_send, self._free_read) if role == "send" else (self._free_read, self._free_send)
        for queue in queues:
            while queue:
                index = queue.popleft()
                if index not in self.claimed:
                    return index
        return None

    def claim(self, role: str, owner: str) -> dict | None:
        if role == "status":
            self.inbound_claims += 1
            self.status_started += 1
            return {"run": {**self.settings, "status_targets": self.status_targets},
                    "user_no": self.status_started - 1}
        if role == "inbound":
            self.inbound_claims += 1
            self.inbound_started += 1
            return {"run": {**self.settings, "inbound_targets": self.inbound_targets},
                    "user_no": self.inbound_started - 1}
        index = self._take(role)
        if index is None:
            log.warning("no free key for a %s user (more users than keys)", role)
            return None
        self.claimed[index] = owner
        key = self._keys[index]
        # workers need the key and its channels, not the webhook secrets or the setup history
        public = key.model_dump(mode="json", exclude={"prior_requests": True,
                                                      "channels": {"__all__": {"webhook_secret"}}})
        return {"run": self.settings, "key": public, "next_seq": self.next_seq.get(index, 0)}

    def release(self, role: str, key: int | None, next_seq: int | None, shipment: dict | None) -> None:
        if shipment:
            self.ledger.merge(shipment)
        if role in ("inbound", "status"):
            self.inbound_claims = max(0, self.inbound_claims - 1)
            return
        if key is None:
            return
        self.claimed.pop(key, None)
        if next_seq is not None:
            self.next_seq[key] = max(self.next_seq.get(key, 0), next_seq)
        (self._free_send if self._keys[key].sendable() else self._free_read).append(key)

    def idle(self) -> bool:
        """No user holds a key or an inbound slot: every row has come home."""
        return not self.claimed and self.inbound_claims == 0
